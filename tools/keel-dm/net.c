/*
 * virtio-net (virtio 1.2 5.1) over a tap device in dom0: one receive and
 * one transmit queue, no control queue, checksum and TCP segmentation
 * offloads passed between the guest and dom0's stack. The tap carries the
 * virtio-net header itself (IFF_VNET_HDR, 12 bytes as VIRTIO_F_VERSION_1
 * has it): a transmitted frame goes from the guest's buffers to the tap
 * with one writev; a received one is read whole first (its length decides
 * how many of the guest's buffers it takes), then copied in. The tap joins a bridge (the
 * default network's keelbr0, or the vif's bridge=), as Xen's vif-bridge
 * script does.
 *
 * The guest's side is hostile: a receive chain with a readable buffer or a
 * transmit chain with a writable one breaks the device's rules (5.1.6.3,
 * 5.1.6.2) and the device needs a reset; a frame whose header asks for
 * offloads that were not negotiated, or larger than a 64 KiB segment, is
 * dropped and counted. Each turn serves at most NET_QUOTA frames a queue,
 * then goes back to the poll loop (which serves the rest on its next
 * turn), so a guest that keeps its transmit ring full does not keep
 * keel-dm from its other devices.
 *
 * Where dom0 has vhost-net (and KEEL_DM_VHOST is not "off"), the rings of
 * a vif's NIC are handed to it at DRIVER_OK (vhost_net.c) and keel-dm
 * keeps only the transport; this file's data path serves otherwise, and
 * always for net_attach()'s sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "dm.h"
#include "kl_devspec.h"

#define VIRTIO_ID_NET           1
#define VIRTIO_NET_F_CSUM       0       /* the device completes partial checksums (the driver's "HW csum") */
#define VIRTIO_NET_F_GUEST_CSUM 1       /* the driver takes partially checksummed frames */
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7       /* the driver takes TCP segments up to 64 KiB ("big packets") */
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4  11      /* the driver sends them */
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_MRG_RXBUF  15      /* a received frame may span several buffers */
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_S_LINK_UP    1
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define NET_CFG_SIZE            8u      /* mac[6], status */
#define NET_HDR_LEN             12u     /* struct virtio_net_hdr with num_buffers (5.1.6) */
#define NET_MAX_FRAME           (NET_HDR_LEN + 65536u + 256u)   /* a 64 KiB segment and its headers */
#define NET_MIN_FRAME           14u     /* an Ethernet header */
#define NET_QUOTA               64      /* frames per queue per turn of the poll loop */
#define NET_RX_MAX_BUFS         64      /* buffers one received frame may take (MRG_RXBUF) */
#define RXQ                     0
#define TXQ                     1

struct net {
    int tap;
    int rx_watched;                     /* the tap is in the poll set */
    uint8_t mac[6];
    struct virtio_dev *v;
    uint64_t tx_dropped, rx_dropped;
    int said_dropped;                   /* the first dropped frame was logged */
    uint8_t *frame;                     /* a received frame on its way to the guest, header first */
    size_t frame_len;                   /* 0: none */
    int try_vhost;                      /* a tap: offer the rings to vhost-net */
    int said_vhost;                     /* that was logged (once: a driver may reset without end) */
    struct vhost_net *vhost;            /* the kernel runs the rings */
};

/*
 * Checksum and TCP segmentation offload both ways, as the tap offers them
 * to dom0's stack: a TCP stream moves in 64 KiB segments, one exit and one
 * interrupt each, instead of one per 1.5 KiB frame. With MRG_RXBUF a
 * segment spans the driver's page-sized buffers; without it, GUEST_TSO
 * makes the driver post 64 KiB buffers (5.1.6.3.1), 18 MiB of its RAM.
 */
static uint64_t net_features(struct virtio_dev *v)
{
    return 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_NET_F_MAC |
           1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
           1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_TSO4 |
           1ull << VIRTIO_NET_F_GUEST_TSO6 | 1ull << VIRTIO_NET_F_MRG_RXBUF;
}

static int has(const struct virtio_dev *v, unsigned bit)
{
    return (v->driver_features >> bit) & 1;
}

/*
 * The header a transmitted frame came with, as the tap may get it: only
 * what was negotiated (a partial checksum with CSUM, TCP segmentation with
 * HOST_TSO4/6 and a checksum to finish). 0, or -1: drop the frame. dom0's
 * kernel checks the offsets and sizes again (virtio_net_hdr_to_skb).
 */
static int tx_header(const struct virtio_dev *v, uint8_t hdr[NET_HDR_LEN])
{
    uint8_t flags = hdr[0], gso = hdr[1];

    if (flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM || ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !has(v, VIRTIO_NET_F_CSUM)))
        return -1;
    if (gso != VIRTIO_NET_HDR_GSO_NONE &&
        !(gso == VIRTIO_NET_HDR_GSO_TCPV4 && has(v, VIRTIO_NET_F_HOST_TSO4)) &&
        !(gso == VIRTIO_NET_HDR_GSO_TCPV6 && has(v, VIRTIO_NET_F_HOST_TSO6)))
        return -1;
    if (gso != VIRTIO_NET_HDR_GSO_NONE && !(flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return -1;
    if (gso == VIRTIO_NET_HDR_GSO_NONE)
        memset(hdr + 2, 0, 4);          /* hdr_len, gso_size: meaningless without segmentation */
    hdr[10] = hdr[11] = 0;              /* num_buffers: the receive side's */
    return 0;
}

/* What the tap may hand us, from what the driver takes: TUNSETOFFLOAD's flags. */
static void tap_offloads(struct net *n, const struct virtio_dev *v)
{
    unsigned f = 0;

    if (v && has(v, VIRTIO_NET_F_GUEST_CSUM)) {
        f = TUN_F_CSUM;
        if (has(v, VIRTIO_NET_F_GUEST_TSO4))
            f |= TUN_F_TSO4;
        if (has(v, VIRTIO_NET_F_GUEST_TSO6))
            f |= TUN_F_TSO6;
    }
    /* A socket in the unit tests has no offloads to set. */
    if (ioctl(n->tap, TUNSETOFFLOAD, f) && errno != ENOTTY && errno != EINVAL)
        dm_log("%s: offloads %#x not set: %s\n", n->v->pci.name, f, strerror(errno));
}

static void net_cfg_read(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
    struct net *n = v->priv;
    uint8_t cfg[NET_CFG_SIZE] = { 0 };

    memcpy(cfg, n->mac, 6);
    cfg_put(cfg, 6, 2, VIRTIO_NET_S_LINK_UP);
    memcpy(buf, cfg + off, len);
}

static void rx_watch(struct net *n, int on);

/* Write @len bytes at byte @off of the writable buffers @iov (@cnt of them), as far as they reach. */
static void iov_put(const struct iovec *iov, unsigned cnt, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *b = buf;

    for (unsigned i = 0; i < cnt && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t k = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
        memcpy((uint8_t *)iov[i].iov_base + off, b, k);
        b += k;
        len -= k;
        off = 0;
    }
}

/* What is wrong with a receive chain (5.1.6.3: writable, room for the header), or NULL. */
static const char *rx_chain_bad(const struct virtq_chain *c)
{
    if (c->nr_in)
        return "a receive buffer the device may not write";
    if (c->out_bytes < NET_HDR_LEN)
        return "a receive buffer shorter than the frame header";
    return NULL;
}

/*
 * The frame waiting in n->frame (header first) into the receive queue:
 * with MRG_RXBUF over as many buffers as it needs (5.1.6.4, num_buffers
 * says how many), else into one. 1: delivered (or dropped, too big for the
 * buffers the driver gives), 0: not enough buffers yet (none taken), -1:
 * the ring broke the rules.
 */
static int rx_deliver(struct net *n)
{
    static struct virtq_chain first, c;
    struct virtio_dev *v = n->v;
    struct virtq *vq = &v->q[RXQ].vq;
    uint16_t heads[NET_RX_MAX_BUFS];
    uint32_t lens[NET_RX_MAX_BUFS];
    unsigned nb = 0, most = has(v, VIRTIO_NET_F_MRG_RXBUF) ? NET_RX_MAX_BUFS : 1;
    size_t off = 0;
    const char *why = NULL;

    while (off < n->frame_len && nb < most) {
        struct virtq_chain *ch = nb ? &c : &first;
        int rc = virtq_pop(vq, ch, &why);
        size_t k;

        if (rc < 0) {
            virtio_needs_reset(v, why);
            return -1;
        }
        if (!rc) {
            vq->last_avail = (uint16_t)(vq->last_avail - nb);      /* they go back, in order */
            return 0;
        }
        if ((why = rx_chain_bad(ch))) {
            virtio_needs_reset(v, why);
            return -1;
        }
        k = ch->out_bytes < n->frame_len - off ? (size_t)ch->out_bytes : n->frame_len - off;
        iov_put(ch->iov, ch->nr_out, 0, n->frame + off, k);
        heads[nb] = ch->head;
        lens[nb++] = (uint32_t)k;
        off += k;
    }
    if (off < n->frame_len) {
        /* Buffers too small for it (5.1.6.3.1 asks for enough): the frame is lost, the buffers come back empty. */
        n->rx_dropped++;
        for (unsigned i = 0; i < nb; i++)
            lens[i] = 0;
    } else {
        uint8_t count[2] = { (uint8_t)nb, (uint8_t)(nb >> 8) };
        iov_put(first.iov, first.nr_out, NET_HDR_LEN - 2, count, 2);       /* num_buffers */
    }
    /* All of a frame's buffers become used at once: the driver reads num_buffers, then takes the rest. */
    virtq_push_n(vq, heads, lens, nb);
    return 1;
}

/*
 * Frames from the tap into the receive queue: until the tap is empty, the
 * ring is, or the quota is spent. What is left keeps the watched tap
 * readable: the poll loop comes back to it after the other devices.
 */
static void rx(struct net *n)
{
    struct virtio_dev *v = n->v;
    unsigned done = 0;

    if (!virtio_queue_ready(v, RXQ)) {
        /* No driver to take them: the frames go, as on a NIC whose driver is not up. */
        n->frame_len = 0;
        while (done < NET_QUOTA && read(n->tap, n->frame, NET_MAX_FRAME) > 0)
            done++;
        n->rx_dropped += done;
        return;
    }
    while (done < NET_QUOTA) {
        int rc;

        if (!n->frame_len) {
            /* Read whole into the frame buffer first: its length decides how many guest buffers it takes. */
            ssize_t got = read(n->tap, n->frame, NET_MAX_FRAME);
            if (got <= 0)
                break;
            if ((size_t)got < NET_HDR_LEN + NET_MIN_FRAME) {
                n->rx_dropped++;
                continue;
            }
            n->frame_len = (size_t)got;
        }
        rc = rx_deliver(n);
        if (rc < 0) {
            n->frame_len = 0;
            break;
        }
        if (!rc) {
            /* No room: the frame waits, and the tap with it, until the driver adds buffers (its notify). */
            rx_watch(n, 0);
            break;
        }
        n->frame_len = 0;
        done++;
    }
    if (done)
        virtio_notify_queue(v, RXQ);
}

/* One chain from the transmit queue to the tap: 0, or -1 if it broke the rules (*@why). */
static int tx_one(struct net *n, struct virtq_chain *c, const char **why)
{
    struct virtio_dev *v = n->v;
    uint8_t hdr[NET_HDR_LEN] = { 0 };
    struct iovec iov[VIRTQ_MAX_SEGS + 1];
    uint64_t len = 0, skip = NET_HDR_LEN;
    unsigned cnt = 1;

    if (c->nr_out) {
        *why = "a transmit buffer the device would write";
        return -1;
    }
    for (unsigned i = 0; i < c->nr_in; i++)
        len += c->iov[i].iov_len;
    /* The header is copied out before it is checked: the guest may change its own copy meanwhile. */
    if (len < NET_HDR_LEN + NET_MIN_FRAME || len > NET_MAX_FRAME ||
        virtq_read(c, 0, hdr, NET_HDR_LEN) != NET_HDR_LEN || tx_header(v, hdr)) {
        if (!n->said_dropped) {
            n->said_dropped = 1;
            dm_log("%s: dropped a %llu-byte frame%s (the first; counted from now on)\n", v->pci.name,
                   (unsigned long long)len, len > NET_MAX_FRAME || len < NET_HDR_LEN + NET_MIN_FRAME ? ""
                   : ": its header asks for what was not negotiated");
        }
        n->tx_dropped++;
        return 0;
    }
    iov[0] = (struct iovec){ hdr, NET_HDR_LEN };
    for (unsigned i = 0; i < c->nr_in; i++) {
        struct iovec s = c->iov[i];
        if (skip >= s.iov_len) {
            skip -= s.iov_len;
            continue;
        }
        s.iov_base = (uint8_t *)s.iov_base + skip;
        s.iov_len -= skip;
        skip = 0;
        iov[cnt++] = s;
    }
    if (writev(n->tap, iov, (int)cnt) < 0)
        n->tx_dropped++;
    return 0;
}

/* Frames from the transmit queue to the tap, the driver's notifications off meanwhile. */
static int tx(struct net *n, const char **why)
{
    struct virtio_dev *v = n->v;
    struct virtio_queue *q = &v->q[TXQ];
    struct virtq_chain c;
    unsigned done = 0;
    int rc = 0, quiet = 0;

    while (done < NET_QUOTA && (rc = virtq_pop_draining(&q->vq, &c, &quiet, why)) > 0) {
        done++;
        if (tx_one(n, &c, why)) {
            rc = -1;
            break;
        }
        virtq_push(&q->vq, c.head, 0);
    }
    if (done)
        virtio_notify_queue(v, TXQ);
    /* Quota spent: notifications stay off until the loop's next turn drains the rest. */
    if (done == NET_QUOTA)
        virtio_queue_later(v, TXQ);
    return rc < 0 ? -1 : 0;
}

static void tap_readable(void *arg)
{
    rx(arg);
}

static void rx_watch(struct net *n, int on)
{
    if (on && !n->rx_watched)
        dm_watch(n->tap, tap_readable, NULL, n);
    else if (!on && n->rx_watched)
        dm_unwatch(n->tap);
    n->rx_watched = on;
}

static int net_queue_notify(struct virtio_dev *v, unsigned qi, const char **why)
{
    struct net *n = v->priv;

    if (n->vhost)
        return 0;                       /* the transport kicks vhost's eventfd */
    if (qi == RXQ) {
        /* New receive buffers: the first is checked now (not when a frame comes), then frames can go. */
        static struct virtq_chain c;
        int rc = n->frame_len ? 0 : virtq_pop(&v->q[RXQ].vq, &c, why);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            if ((*why = rx_chain_bad(&c)))
                return -1;
            v->q[RXQ].vq.last_avail--;
        }
        rx_watch(n, 1);
        rx(n);
        return 0;
    }
    return tx(n, why);
}

static int net_start(struct virtio_dev *v)
{
    struct net *n = v->priv;

    tap_offloads(n, v);
    if (n->try_vhost && (n->vhost = vhost_net_start(v, n->tap))) {
        rx_watch(n, 0);
        if (!n->said_vhost) {
            n->said_vhost = 1;
            dm_log("%s: its rings run in dom0's vhost-net\n", v->pci.name);
        }
        return 0;
    }
    rx_watch(n, 1);
    return 0;
}

static void vhost_off(struct net *n)
{
    if (n->vhost)
        vhost_net_stop(n->vhost);
    n->vhost = NULL;
}

static void net_reset(struct virtio_dev *v)
{
    /* The tap stays watched: with no driver its frames are dropped (rx()). */
    struct net *n = v->priv;

    vhost_off(n);
    tap_offloads(n, NULL);
    n->frame_len = 0;
    rx_watch(n, 1);
}

static const struct virtio_dev_ops net_ops = {
    .device_id = VIRTIO_ID_NET,
    .pci_class = 0x02000000,            /* network controller, Ethernet */
    .nr_queues = 2,
    .features = net_features,
    .cfg_size = NET_CFG_SIZE,
    .cfg_read = net_cfg_read,
    .queue_notify = net_queue_notify,
    .start = net_start,
    .reset = net_reset,
};

/* An interface ioctl on @name: 0 or -errno. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

    if (s < 0)
        return -errno;
    if (ioctl(s, req, ifr))
        rc = -errno;
    close(s);
    return rc;
}

/* The tap @ifname, up and a port of @bridge: its fd, or -1 after logging why. */
static int tap_open(const char *ifname, const char *bridge)
{
    struct ifreq ifr;
    int fd, hdr = NET_HDR_LEN, rc;

    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        dm_log("%s: /dev/net/tun: %s\n", ifname, strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr) || ioctl(fd, TUNSETOFFLOAD, 0)) {
        dm_log("%s: cannot make the tap: %s\n", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    /* As Xen's vif scripts: the host side's MAC is never the bridge's lowest, so the bridge keeps its own. */
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    ifr.ifr_hwaddr.sa_family = 1;       /* ARPHRD_ETHER */
    memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    if ((rc = if_ioctl(SIOCSIFHWADDR, &ifr)))
        dm_log("%s: MAC not set: %s\n", ifname, strerror(-rc));
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
    ifr.ifr_ifindex = (int)if_nametoindex(ifname);
    if ((rc = if_ioctl(SIOCBRADDIF, &ifr))) {
        dm_log("%s: cannot join bridge %s: %s\n", ifname, bridge,
               rc == -ENODEV || rc == -EOPNOTSUPP ? "no such bridge" : strerror(-rc));
        close(fd);
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if ((rc = if_ioctl(SIOCGIFFLAGS, &ifr)) == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = if_ioctl(SIOCSIFFLAGS, &ifr);
    }
    if (rc) {
        dm_log("%s: cannot bring it up: %s\n", ifname, strerror(-rc));
        close(fd);
        return -1;
    }
    return fd;
}

int net_attach(struct virtio_dev *v, struct dm *dm, int fd, const uint8_t mac[6], unsigned index)
{
    struct net *n = calloc(1, sizeof(*n));
    char name[24];

    if (!n)
        return -1;
    n->frame = malloc(NET_MAX_FRAME);
    if (!n->frame) {
        free(n);
        return -1;
    }
    memcpy(n->mac, mac, 6);
    n->tap = fd;
    n->v = v;
    snprintf(name, sizeof(name), "net %u", index);
    virtio_pci_init(v, dm, &net_ops, n, name);
    rx_watch(n, 1);
    return 0;
}

void net_detach(struct virtio_dev *v)
{
    struct net *n = v->priv;

    vhost_off(n);
    rx_watch(n, 0);
    close(n->tap);
    free(n->frame);
    free(n);
    v->priv = NULL;
}

int net_create(struct virtio_dev *v, struct dm *dm, const struct kl_vif *vif, unsigned index)
{
    const char *bridge = vif->bridge[0] ? vif->bridge : KL_DEFAULT_BRIDGE;
    char ifname[IFNAMSIZ];
    int fd;

    if (vif->vifname[0])
        snprintf(ifname, sizeof(ifname), "%s", vif->vifname);
    else
        snprintf(ifname, sizeof(ifname), "vif%u.%u", dm->domid, index);
    fd = tap_open(ifname, bridge);
    if (fd < 0)
        return -1;
    if (net_attach(v, dm, fd, vif->mac, index)) {
        close(fd);
        return -1;
    }
    const char *vh = getenv("KEEL_DM_VHOST");
    ((struct net *)v->priv)->try_vhost = !(vh && !strcmp(vh, "off"));
    dm_log("net %u: %s on %s, MAC %02x:%02x:%02x:%02x:%02x:%02x\n", index, ifname, bridge, vif->mac[0],
           vif->mac[1], vif->mac[2], vif->mac[3], vif->mac[4], vif->mac[5]);
    return 0;
}

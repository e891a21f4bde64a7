/*
 * virtio-net (virtio 1.2 5.1) over a tap device in dom0: one receive and
 * one transmit queue, no control queue, no offloads. The tap carries the
 * virtio-net header itself (IFF_VNET_HDR, 12 bytes as VIRTIO_F_VERSION_1
 * has it), so a frame moves between the tap and the guest's buffers with
 * one readv or writev and no copy in keel-dm. The tap joins a bridge (the
 * default network's keelbr0, or the vif's bridge=), as Xen's vif-bridge
 * script does.
 *
 * The guest's side is hostile: a receive chain with a readable buffer or a
 * transmit chain with a writable one breaks the device's rules (5.1.6.3,
 * 5.1.6.2) and the device needs a reset; a header that asks for offloads
 * that were not negotiated is cleared before the frame reaches dom0; a
 * frame larger than an Ethernet frame can be is dropped and counted. Each
 * turn serves at most one queue's worth of frames, then goes back to the
 * poll loop (an eventfd brings it back), so a guest that keeps its
 * transmit ring full does not keep keel-dm from its other devices.
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
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "dm.h"
#include "kl_devspec.h"

#define VIRTIO_ID_NET           1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_S_LINK_UP    1
#define NET_CFG_SIZE            8u      /* mac[6], status */
#define NET_HDR_LEN             12u     /* struct virtio_net_hdr with num_buffers (5.1.6) */
#define NET_MAX_FRAME           (NET_HDR_LEN + 65535u)  /* an IP packet's most, in one frame */
#define NET_MIN_FRAME           14u     /* an Ethernet header */
#define NET_QUOTA               64      /* frames per queue per turn of the poll loop */
#define RXQ                     0
#define TXQ                     1

struct net {
    int tap;
    int kick;                           /* eventfd: more to do after a turn's quota */
    int rx_watched;                     /* the tap is in the poll set */
    uint8_t mac[6];
    struct virtio_dev *v;
    uint64_t tx_dropped, rx_dropped;
    int said_oversize;
};

static uint64_t net_features(struct virtio_dev *v)
{
    return 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_NET_F_MAC |
           1ull << VIRTIO_NET_F_STATUS;
}

static void net_cfg_read(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
    struct net *n = v->priv;
    uint8_t cfg[NET_CFG_SIZE] = { 0 };

    memcpy(cfg, n->mac, 6);
    cfg_put(cfg, 6, 2, VIRTIO_NET_S_LINK_UP);
    memcpy(buf, cfg + off, len);
}

static int serving(const struct virtio_dev *v, unsigned q)
{
    return !v->broken && (v->status & VIRTIO_STATUS_DRIVER_OK) && v->q[q].enable;
}

static void rx_watch(struct net *n, int on);

static void more_later(struct net *n)
{
    uint64_t one = 1;

    if (write(n->kick, &one, sizeof(one)) != sizeof(one)) { /* already signalled */ }
}

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

/* Frames from the tap into the receive queue: until the tap is empty, the ring is, or the quota is spent. */
static void rx(struct net *n)
{
    static const uint8_t one[2] = { 1, 0 };
    struct virtio_dev *v = n->v;
    struct virtio_queue *q = &v->q[RXQ];
    struct virtq_chain c;
    const char *why = NULL;
    unsigned done = 0;

    if (!serving(v, RXQ)) {
        /* No driver to take them: the frames go, as on a NIC whose driver is not up. */
        static uint8_t sink[NET_MAX_FRAME];
        while (done < NET_QUOTA && read(n->tap, sink, sizeof(sink)) > 0)
            done++;
        n->rx_dropped += done;
        if (done == NET_QUOTA)
            more_later(n);
        return;
    }
    while (done < NET_QUOTA) {
        int rc = virtq_pop(&q->vq, &c, &why);
        ssize_t got;

        if (rc < 0) {
            virtio_needs_reset(v, why);
            break;
        }
        if (!rc) {
            /* No buffers: wait for the driver to add some (its notify brings the tap back). */
            rx_watch(n, 0);
            break;
        }
        if (c.nr_in || c.out_bytes < NET_HDR_LEN) {
            virtio_needs_reset(v, c.nr_in ? "a receive buffer the device may not write"
                                          : "a receive buffer shorter than the frame header");
            break;
        }
        got = readv(n->tap, c.iov, (int)c.nr_out);
        if (got < 0) {
            /* Nothing waiting after all: the chain goes back for the next frame. */
            q->vq.last_avail--;
            break;
        }
        /* num_buffers (5.1.6.4): 1 without VIRTIO_NET_F_MRG_RXBUF; the tap leaves those bytes alone. */
        iov_put(c.iov, c.nr_out, NET_HDR_LEN - 2, one, 2);
        virtq_push(&q->vq, c.head, (uint32_t)got);
        done++;
    }
    if (done)
        virtio_notify_queue(v, RXQ);
    if (done == NET_QUOTA)
        more_later(n);
}

/* Frames from the transmit queue to the tap. */
static int tx(struct net *n, const char **why)
{
    struct virtio_dev *v = n->v;
    struct virtio_queue *q = &v->q[TXQ];
    struct virtq_chain c;
    unsigned done = 0;
    int rc = 0;

    while (done < NET_QUOTA && (rc = virtq_pop(&q->vq, &c, why)) > 0) {
        uint8_t hdr[NET_HDR_LEN] = { 0 };
        struct iovec iov[VIRTQ_MAX_SEGS + 1];
        uint64_t len = 0, skip = NET_HDR_LEN;
        unsigned cnt = 1;

        done++;
        if (c.nr_out) {
            *why = "a transmit buffer the device would write";
            return -1;
        }
        for (unsigned i = 0; i < c.nr_in; i++)
            len += c.iov[i].iov_len;
        if (len < NET_HDR_LEN + NET_MIN_FRAME || len > NET_MAX_FRAME) {
            if (!n->said_oversize++)
                dm_log("%s: dropped a %llu-byte frame (the first; counted from now on)\n", v->pci.name,
                       (unsigned long long)len);
            n->tx_dropped++;
            virtq_push(&q->vq, c.head, 0);
            continue;
        }
        /*
         * The header the guest wrote is not passed on: nothing was negotiated
         * that it could ask for (checksum or segmentation offload), so dom0's
         * tap gets a zero header and the frame as it is.
         */
        iov[0] = (struct iovec){ hdr, NET_HDR_LEN };
        for (unsigned i = 0; i < c.nr_in; i++) {
            struct iovec s = c.iov[i];
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
        virtq_push(&q->vq, c.head, 0);
    }
    if (done)
        virtio_notify_queue(v, TXQ);
    if (done == NET_QUOTA)
        more_later(n);
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

/* The quota ran out on a turn: the rest now. */
static void kicked(void *arg)
{
    struct net *n = arg;
    uint64_t c;

    if (read(n->kick, &c, sizeof(c)) != sizeof(c))
        return;
    rx_watch(n, 1);
    rx(n);
    virtio_queue_kick(n->v, TXQ);
}

static int net_queue_notify(struct virtio_dev *v, unsigned qi, const char **why)
{
    struct net *n = v->priv;

    if (qi == RXQ) {
        /* New receive buffers: frames waiting in the tap can go. */
        rx_watch(n, 1);
        rx(n);
        return 0;
    }
    return tx(n, why);
}

static int net_start(struct virtio_dev *v)
{
    rx_watch(v->priv, 1);
    return 0;
}

static void net_reset(struct virtio_dev *v)
{
    /* The tap stays watched: with no driver its frames are dropped (rx()). */
    rx_watch(v->priv, 1);
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
    n->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->kick < 0) {
        free(n);
        return -1;
    }
    memcpy(n->mac, mac, 6);
    n->tap = fd;
    n->v = v;
    snprintf(name, sizeof(name), "net %u", index);
    virtio_pci_init(v, dm, &net_ops, n, name);
    dm_watch(n->kick, kicked, NULL, n);
    rx_watch(n, 1);
    return 0;
}

void net_detach(struct virtio_dev *v)
{
    struct net *n = v->priv;

    rx_watch(n, 0);
    dm_unwatch(n->kick);
    close(n->kick);
    close(n->tap);
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
    dm_log("net %u: %s on %s, MAC %02x:%02x:%02x:%02x:%02x:%02x\n", index, ifname, bridge, vif->mac[0],
           vif->mac[1], vif->mac[2], vif->mac[3], vif->mac[4], vif->mac[5]);
    return 0;
}

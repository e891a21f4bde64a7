/*
 * virtio-console (virtio 1.2 5.3): one port, the guest's hvc0, without
 * MULTIPORT or SIZE. Its dom0 end is a Unix socket,
 * /run/keel/dDOMID-console.sock, that `kl console -t pv` connects to (one
 * client at a time; a new one takes over). What the guest wrote is kept
 * (the last CON_HISTORY bytes) and shown to each client as it attaches,
 * as `kl console` does for COM1. Without a client, output is only kept and
 * input waits; with one, the guest's input buffers are filled straight
 * from the socket.
 *
 * The guest's side is hostile: a receive chain with a readable buffer or a
 * transmit chain with a writable one breaks the rules (5.3.6.1) and the
 * device needs a reset; each turn takes at most one queue's worth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "dm.h"

#define VIRTIO_ID_CONSOLE   3
#define CON_HISTORY         16384u      /* the guest's output kept for the next client */
#define CON_QUOTA           64u         /* chains per queue per turn */
#define RXQ                 0
#define TXQ                 1

struct con {
    struct virtio_dev *v;
    int listen_fd, client;              /* client: -1 when nobody is attached */
    int client_watched;
    char path[108];
    uint8_t hist[CON_HISTORY];
    uint64_t written;                   /* bytes ever appended to hist */
};

static uint64_t con_features(struct virtio_dev *v)
{
    return 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC;
}

static void con_cfg_read(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
    memset(buf, 0, len);
}

static void client_in(void *arg);
static void client_gone(void *arg);

static void client_watch(struct con *c, int on)
{
    if (c->client < 0)
        on = 0;
    if (on && !c->client_watched)
        dm_watch(c->client, client_in, client_gone, c);
    else if (!on && c->client_watched)
        dm_unwatch(c->client);
    c->client_watched = on;
}

static void drop_client(struct con *c)
{
    if (c->client < 0)
        return;
    client_watch(c, 0);
    close(c->client);
    c->client = -1;
}

/* To the client, if any, never waiting for it: what it cannot take now it misses (the history keeps it). */
static void to_client(struct con *c, const void *buf, size_t len)
{
    if (c->client >= 0 && send(c->client, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
        drop_client(c);
}

static void keep(struct con *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        c->hist[c->written++ % CON_HISTORY] = buf[i];
}

/* The client's bytes into the guest's receive buffers, while both last. */
static void rx(struct con *c)
{
    struct virtio_dev *v = c->v;
    struct virtio_queue *q = &v->q[RXQ];
    struct virtq_chain ch;
    const char *why = NULL;
    unsigned done = 0;

    if (c->client < 0)
        return;
    if (!virtio_queue_ready(v, RXQ)) {
        client_watch(c, 0);             /* input waits for a driver */
        return;
    }
    while (done < CON_QUOTA) {
        int rc = virtq_pop(&q->vq, &ch, &why);
        ssize_t got;

        if (rc < 0) {
            virtio_needs_reset(v, why);
            break;
        }
        if (!rc) {
            client_watch(c, 0);         /* the driver's next buffers bring it back */
            break;
        }
        if (ch.nr_in) {
            virtio_needs_reset(v, "a receive buffer the device may not write");
            break;
        }
        got = readv(c->client, ch.iov, (int)ch.nr_out);
        if (got < 0 && errno == EAGAIN) {
            q->vq.last_avail--;
            break;
        }
        if (got <= 0) {
            q->vq.last_avail--;
            drop_client(c);
            break;
        }
        virtq_push(&q->vq, ch.head, (uint32_t)got);
        done++;
    }
    if (done)
        virtio_notify_queue(v, RXQ);
}

static int tx(struct con *c, const char **why)
{
    struct virtio_dev *v = c->v;
    struct virtio_queue *q = &v->q[TXQ];
    struct virtq_chain ch;
    unsigned done = 0;
    int rc = 0;

    while (done < CON_QUOTA && (rc = virtq_pop(&q->vq, &ch, why)) > 0) {
        if (ch.nr_out) {
            *why = "a transmit buffer the device would write";
            return -1;
        }
        for (unsigned i = 0; i < ch.nr_in; i++) {
            /* A buffer past the history's size shows only its end, as the history would. */
            size_t len = ch.iov[i].iov_len, skip = len > CON_HISTORY ? len - CON_HISTORY : 0;
            keep(c, (uint8_t *)ch.iov[i].iov_base + skip, len - skip);
            to_client(c, (uint8_t *)ch.iov[i].iov_base + skip, len - skip);
        }
        virtq_push(&q->vq, ch.head, 0);
        done++;
    }
    if (done)
        virtio_notify_queue(v, TXQ);
    if (done == CON_QUOTA)
        virtio_queue_later(v, TXQ);     /* the rest on the poll loop's next turn: other devices first */
    return rc < 0 ? -1 : 0;
}

static void client_in(void *arg)
{
    rx(arg);
}

static void client_gone(void *arg)
{
    drop_client(arg);
}

/* A client attaches: the history first, then it replaces whoever was there. */
static void accept_client(void *arg)
{
    struct con *c = arg;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    uint64_t from;

    if (fd < 0)
        return;
    drop_client(c);
    c->client = fd;
    from = c->written > CON_HISTORY ? c->written - CON_HISTORY : 0;
    for (uint64_t i = from; i < c->written;) {
        uint64_t at = i % CON_HISTORY, n = c->written - i < CON_HISTORY - at ? c->written - i : CON_HISTORY - at;
        to_client(c, c->hist + at, (size_t)n);
        i += n;
    }
    client_watch(c, 1);
}

static int con_queue_notify(struct virtio_dev *v, unsigned qi, const char **why)
{
    struct con *c = v->priv;

    if (qi == RXQ) {
        client_watch(c, 1);
        rx(c);
        return 0;
    }
    return tx(c, why);
}

static int con_start(struct virtio_dev *v)
{
    client_watch(v->priv, 1);
    return 0;
}

static const struct virtio_dev_ops con_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .pci_class = 0x07800000,            /* simple communication controller, as QEMU's virtio-serial-pci */
    .nr_queues = 2,
    .features = con_features,
    .cfg_size = 0,
    .cfg_read = con_cfg_read,
    .queue_notify = con_queue_notify,
    .start = con_start,
};

int console_create(struct virtio_dev *v, struct dm *dm, const char *path)
{
    struct con *c = calloc(1, sizeof(*c));
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    if (!c)
        return -1;
    c->v = v;
    c->client = -1;
    if (strlen(path) >= sizeof(a.sun_path)) {
        free(c);
        return -1;
    }
    snprintf(c->path, sizeof(c->path), "%s", path);
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    unlink(path);
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) || chmod(path, 0600) ||
        listen(c->listen_fd, 2)) {
        dm_log("console: %s: %s\n", path, strerror(errno));
        if (c->listen_fd >= 0)
            close(c->listen_fd);
        free(c);
        return -1;
    }
    virtio_pci_init(v, dm, &con_ops, c, "console");
    dm_watch(c->listen_fd, accept_client, NULL, c);
    return 0;
}

void console_destroy(struct virtio_dev *v)
{
    struct con *c = v->priv;

    drop_client(c);
    dm_unwatch(c->listen_fd);
    close(c->listen_fd);
    unlink(c->path);
    free(c);
}

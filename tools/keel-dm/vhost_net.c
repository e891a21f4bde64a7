/*
 * A NIC's rings run by dom0's kernel (drivers/vhost/net.c), as QEMU's
 * vhost=on: a vhost worker moves frames between the guest's buffers and
 * the tap, Keel's ioevent is its kick and an irqfd its interrupt
 * (virtio_queue_backend), so no frame passes through keel-dm. The guest's
 * RAM is keel-dm's own mapping of it, the one region of vhost's memory
 * table. vhost checks each ring as it walks it; a chain it refuses
 * signals the queue's error eventfd and keel-dm sets DEVICE_NEEDS_RESET,
 * as for a chain it refuses itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include "dm.h"

#define VHOST_NET_QUEUES    2           /* receive, transmit: net.c's RXQ and TXQ */

struct vhost_net_queue {
    struct virtio_dev *v;               /* set once the queue is the kernel's */
    unsigned index;
    int kick, call, err;
};

struct vhost_net {
    int fd;
    struct vhost_net_queue q[VHOST_NET_QUEUES];
};

static void ring_refused(void *arg)
{
    struct vhost_net_queue *q = arg;
    uint64_t n;

    if (read(q->err, &n, sizeof(n)) == sizeof(n))
        virtio_needs_reset(q->v, q->index ? "vhost-net refused a transmit chain" : "vhost-net refused a receive chain");
}

void vhost_net_stop(struct vhost_net *vn)
{
    for (unsigned i = 0; i < VHOST_NET_QUEUES; i++) {
        struct vhost_net_queue *q = &vn->q[i];
        if (q->v) {
            virtio_queue_backend(q->v, i, -1, -1);
            dm_unwatch(q->err);
        }
    }
    if (vn->fd >= 0)
        close(vn->fd);                  /* the worker stops and lets go of the tap */
    for (unsigned i = 0; i < VHOST_NET_QUEUES; i++) {
        struct vhost_net_queue *q = &vn->q[i];
        if (q->kick >= 0)
            close(q->kick);
        if (q->call >= 0)
            close(q->call);
        if (q->err >= 0)
            close(q->err);
    }
    free(vn);
}

/* Queue @i's ring, eventfds and tap for vhost: NULL, or what failed (errno says how). */
static const char *queue_setup(struct vhost_net *vn, struct virtio_dev *v, unsigned i, int tap)
{
    struct vhost_net_queue *q = &vn->q[i];
    struct virtio_queue *vq = &v->q[i];
    uint64_t base = (uint64_t)(uintptr_t)v->dm->mem.base;
    struct vhost_vring_state num = { i, vq->size }, start = { i, 0 };
    struct vhost_vring_addr addr = { .index = i, .desc_user_addr = base + vq->desc,
                                     .avail_user_addr = base + vq->driver, .used_user_addr = base + vq->device };

    if (!vq->enable) {
        errno = EINVAL;
        return "a queue the driver did not enable";
    }
    q->index = i;
    q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    q->err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->kick < 0 || q->call < 0 || q->err < 0)
        return "eventfd";
    struct vhost_vring_file kick = { i, q->kick }, call = { i, q->call }, err = { i, q->err }, back = { i, tap };
    if (ioctl(vn->fd, VHOST_SET_VRING_NUM, &num) || ioctl(vn->fd, VHOST_SET_VRING_BASE, &start) ||
        ioctl(vn->fd, VHOST_SET_VRING_ADDR, &addr))
        return "the ring";
    if (ioctl(vn->fd, VHOST_SET_VRING_KICK, &kick) || ioctl(vn->fd, VHOST_SET_VRING_CALL, &call) ||
        ioctl(vn->fd, VHOST_SET_VRING_ERR, &err))
        return "the ring's eventfds";
    if (ioctl(vn->fd, VHOST_NET_SET_BACKEND, &back))
        return "the tap";
    return NULL;
}

struct vhost_net *vhost_net_start(struct virtio_dev *v, int tap)
{
    struct vhost_net *vn = calloc(1, sizeof(*vn));
    struct {
        struct vhost_memory m;
        struct vhost_memory_region r;
    } mem;
    const char *failed = "/dev/vhost-net";
    uint64_t features;

    if (!vn)
        return NULL;
    for (unsigned i = 0; i < VHOST_NET_QUEUES; i++)
        vn->q[i] = (struct vhost_net_queue){ .kick = -1, .call = -1, .err = -1 };
    vn->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
    if (vn->fd < 0)
        goto fail;
    failed = "owner";
    if (ioctl(vn->fd, VHOST_SET_OWNER, NULL))
        goto fail;
    /* Only the ring and transport bits are vhost's; the offloads are the tap's (TUNSETOFFLOAD). */
    failed = "features";
    if (ioctl(vn->fd, VHOST_GET_FEATURES, &features))
        goto fail;
    features &= v->driver_features;
    if (ioctl(vn->fd, VHOST_SET_FEATURES, &features))
        goto fail;
    memset(&mem, 0, sizeof(mem));
    mem.m.nregions = 1;
    mem.r.guest_phys_addr = 0;
    mem.r.memory_size = v->dm->mem.size;
    mem.r.userspace_addr = (uint64_t)(uintptr_t)v->dm->mem.base;
    failed = "memory table";
    if (ioctl(vn->fd, VHOST_SET_MEM_TABLE, &mem.m))
        goto fail;
    for (unsigned i = 0; i < VHOST_NET_QUEUES; i++)
        if ((failed = queue_setup(vn, v, i, tap)))
            goto fail;
    for (unsigned i = 0; i < VHOST_NET_QUEUES; i++) {
        vn->q[i].v = v;
        virtio_queue_backend(v, i, vn->q[i].kick, vn->q[i].call);
        dm_watch(vn->q[i].err, ring_refused, NULL, &vn->q[i]);
    }
    return vn;
fail:
    dm_log("%s: vhost-net: %s: %s; keel-dm runs the rings\n", v->pci.name, failed, strerror(errno));
    vhost_net_stop(vn);
    return NULL;
}

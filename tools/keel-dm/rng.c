/*
 * virtio-rng (virtio 1.2 5.4): the driver's writable buffers filled from
 * dom0's kernel RNG (getrandom, as /dev/urandom). One queue, no device
 * configuration. A chain with a readable buffer breaks the device's rules
 * (5.4.6.1: the driver's buffers are device-writable).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "dm.h"

#define VIRTIO_ID_RNG       4
#define RNG_MAX_REQUEST     (64u << 10)     /* filled per request; the driver asks again */
#define RNG_QUOTA           64              /* requests per turn of the poll loop, as blk.c's */

static uint64_t rng_features(struct virtio_dev *v)
{
    return 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC;
}

static void rng_cfg_read(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
    memset(buf, 0, len);
}

static int rng_queue_notify(struct virtio_dev *v, unsigned qi, const char **why)
{
    struct virtio_queue *q = &v->q[qi];
    struct virtq_chain c;
    int rc = 0, served = 0;

    while (served < RNG_QUOTA && (rc = virtq_pop(&q->vq, &c, why)) > 0) {
        uint32_t done = 0;

        if (c.nr_in) {
            *why = "an entropy request with a readable buffer";
            return -1;
        }
        for (unsigned i = 0; i < c.nr_out && done < RNG_MAX_REQUEST; i++) {
            size_t want = c.iov[i].iov_len < RNG_MAX_REQUEST - done ? c.iov[i].iov_len : RNG_MAX_REQUEST - done;
            ssize_t got = getrandom(c.iov[i].iov_base, want, 0);
            if (got < 0 && errno == EINTR)
                got = 0;
            if (got < 0)
                break;
            done += (uint32_t)got;
            if ((size_t)got < want)
                break;
        }
        virtq_push(&q->vq, c.head, done);
        served++;
    }
    if (served)
        virtio_notify_queue(v, qi);
    if (served == RNG_QUOTA)
        virtio_queue_later(v, qi);      /* the rest after the other devices */
    return rc < 0 ? -1 : 0;
}

static const struct virtio_dev_ops rng_ops = {
    .device_id = VIRTIO_ID_RNG,
    .pci_class = 0x00ff0000,            /* unclassified device, as QEMU's virtio-rng-pci */
    .nr_queues = 1,
    .features = rng_features,
    .cfg_size = 0,
    .cfg_read = rng_cfg_read,
    .queue_notify = rng_queue_notify,
};

int rng_create(struct virtio_dev *v, struct dm *dm)
{
    virtio_pci_init(v, dm, &rng_ops, NULL, "rng");
    return 0;
}

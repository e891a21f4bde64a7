/*
 * virtio-blk (virtio 1.2 5.2) over a raw image file or block device, read
 * and written with preadv/pwritev straight between the file and the
 * guest's buffers (no copy in keel-dm). A flush is fdatasync(): what the
 * guest flushed is on the disk when it hears so. Read-only disks offer
 * VIRTIO_BLK_F_RO and fail any write. While a queue drains, the driver is
 * asked not to notify (VIRTQ_USED_F_NO_NOTIFY), as for the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "dm.h"
#include "kl_devspec.h"

#define VIRTIO_ID_BLOCK         2
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_FLUSH      9
#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_T_GET_ID     8
#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2
#define VIRTIO_BLK_ID_BYTES     20
#define SECTOR                  512u
#define BLK_CFG_SIZE            24u     /* capacity, size_max, seg_max, geometry, blk_size */
/*
 * The most one request may move. Linux's requests stay far below (its
 * default max_sectors_kb is 1280); a guest asking for more (overlapping
 * buffers can name gigabytes) gets an I/O error instead of keeping keel-dm
 * busy for seconds.
 */
#define BLK_MAX_REQUEST         (32u << 20)
/*
 * Requests per turn of the poll loop: a guest that keeps its ring full
 * gets this many, then keel-dm serves its other devices and its control
 * socket before it comes back (virtio_queue_later).
 */
#define BLK_QUOTA               64

struct blk {
    int fd;
    uint64_t bytes;
    int readonly;
    char serial[VIRTIO_BLK_ID_BYTES + 1];
};

static uint64_t blk_features(struct virtio_dev *v)
{
    struct blk *b = v->priv;

    return 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_BLK_F_SEG_MAX |
           1ull << VIRTIO_BLK_F_FLUSH | (b->readonly ? 1ull << VIRTIO_BLK_F_RO : 0);
}

static void blk_cfg_read(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
    struct blk *b = v->priv;
    uint8_t cfg[BLK_CFG_SIZE] = { 0 };

    cfg_put(cfg, 0, 4, (uint32_t)(b->bytes / SECTOR));
    cfg_put(cfg, 4, 4, (uint32_t)(b->bytes / SECTOR >> 32));
    cfg_put(cfg, 12, 4, VIRTQ_MAX_SEGS - 2);           /* seg_max: all but the header and status */
    cfg_put(cfg, 20, 4, SECTOR);
    memcpy(buf, cfg + off, len);
}

/* Trim @n bytes from the front of @iov (@cnt entries, changed in place); the entries left. */
static unsigned iov_skip(struct iovec *iov, unsigned cnt, size_t n, struct iovec **first)
{
    while (cnt && n >= iov->iov_len) {
        n -= iov->iov_len;
        iov++;
        cnt--;
    }
    if (cnt) {
        iov->iov_base = (uint8_t *)iov->iov_base + n;
        iov->iov_len -= n;
    }
    *first = iov;
    return cnt;
}

/* Read or write @iov at @off, all of it: 0 or -1. */
static int rw_all(struct blk *b, int write, struct iovec *iov, unsigned cnt, uint64_t off)
{
    while (cnt) {
        ssize_t n = write ? pwritev(b->fd, iov, (int)(cnt > 1024 ? 1024 : cnt), (off_t)off)
                          : preadv(b->fd, iov, (int)(cnt > 1024 ? 1024 : cnt), (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (uint64_t)n;
        cnt = iov_skip(iov, cnt, (size_t)n, &iov);
        while (cnt && !iov->iov_len)
            iov++, cnt--;
    }
    return 0;
}

/* One request (5.2.6): its status, and *@written the bytes put in the guest's buffers. */
static uint8_t request(struct blk *b, struct virtq_chain *c, uint32_t *written)
{
    struct { uint32_t type, reserved; uint64_t sector; } hdr;
    struct iovec *data;
    uint64_t len = 0, off;
    unsigned cnt;

    *written = 0;
    if (virtq_read(c, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
        return VIRTIO_BLK_S_IOERR;
    if (hdr.type == VIRTIO_BLK_T_IN) {
        /* The writable buffers but their last byte (the status). */
        data = &c->iov[c->nr_in];
        cnt = c->nr_out;
        len = c->out_bytes - 1;
        while (cnt && !data[cnt - 1].iov_len)
            cnt--;
        if (cnt) {
            data[cnt - 1].iov_len--;
            if (!data[cnt - 1].iov_len)
                cnt--;
        }
    } else if (hdr.type == VIRTIO_BLK_T_OUT) {
        for (unsigned i = 0; i < c->nr_in; i++)
            len += c->iov[i].iov_len;
        len -= sizeof(hdr);
        cnt = iov_skip(c->iov, c->nr_in, sizeof(hdr), &data);
    } else if (hdr.type == VIRTIO_BLK_T_FLUSH) {
        return fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    } else if (hdr.type == VIRTIO_BLK_T_GET_ID) {
        struct iovec *o = &c->iov[c->nr_in];
        if (c->out_bytes < VIRTIO_BLK_ID_BYTES + 1 || o->iov_len < VIRTIO_BLK_ID_BYTES)
            return VIRTIO_BLK_S_IOERR;
        memcpy(o->iov_base, b->serial, VIRTIO_BLK_ID_BYTES);
        *written = VIRTIO_BLK_ID_BYTES;
        return VIRTIO_BLK_S_OK;
    } else {
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (len % SECTOR || len > BLK_MAX_REQUEST || hdr.sector > b->bytes / SECTOR ||
        len > b->bytes - hdr.sector * SECTOR)
        return VIRTIO_BLK_S_IOERR;      /* past the end, not whole sectors, or too large */
    if (hdr.type == VIRTIO_BLK_T_OUT && b->readonly)
        return VIRTIO_BLK_S_IOERR;
    off = hdr.sector * SECTOR;
    if (rw_all(b, hdr.type == VIRTIO_BLK_T_OUT, data, cnt, off))
        return VIRTIO_BLK_S_IOERR;
    if (hdr.type == VIRTIO_BLK_T_IN)
        *written = (uint32_t)len;
    return VIRTIO_BLK_S_OK;
}

static int blk_queue_notify(struct virtio_dev *v, unsigned qi, const char **why)
{
    struct virtio_queue *q = &v->q[qi];
    struct virtq_chain c;
    int rc = 0, done = 0, quiet = 0;

    while (done < BLK_QUOTA && (rc = virtq_pop_draining(&q->vq, &c, &quiet, why)) > 0) {
        uint32_t written;
        uint8_t *status, st;

        /* The status is the last writable byte: found before the data trims its buffer. */
        unsigned k = c.nr_in + c.nr_out;
        while (k > c.nr_in && !c.iov[k - 1].iov_len)
            k--;
        if (k == c.nr_in) {
            *why = "a block request with no writable status byte";
            return -1;
        }
        status = (uint8_t *)c.iov[k - 1].iov_base + c.iov[k - 1].iov_len - 1;
        st = request(v->priv, &c, &written);
        *status = st;
        virtq_push(&q->vq, c.head, written + 1);
        done++;
    }
    if (done)
        virtio_notify_queue(v, qi);
    /* Quota spent: notifications stay off until the poll loop's next turn drains the rest. */
    if (done == BLK_QUOTA)
        virtio_queue_later(v, qi);
    return rc < 0 ? -1 : 0;
}

static void blk_reset(struct virtio_dev *v)
{
    (void)v;
}

static const struct virtio_dev_ops blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .pci_class = 0x01800000,            /* mass storage, other */
    .nr_queues = 1,
    .features = blk_features,
    .cfg_size = BLK_CFG_SIZE,
    .cfg_read = blk_cfg_read,
    .queue_notify = blk_queue_notify,
    .reset = blk_reset,
};

int blk_create(struct virtio_dev *v, struct dm *dm, const struct kl_disk *disk)
{
    struct blk *b = calloc(1, sizeof(*b));
    struct stat st;
    char name[24];

    if (!b)
        return -1;
    if (strcmp(disk->format, "raw")) {
        dm_log("disk %s: format %s is not served yet (raw only)\n", disk->target, disk->format);
        free(b);
        return -1;
    }
    b->readonly = disk->readonly;
    b->fd = open(disk->target, (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (b->fd < 0 || fstat(b->fd, &st)) {
        dm_log("disk %s: %s\n", disk->target, strerror(errno));
        free(b);
        return -1;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(b->fd, BLKGETSIZE64, &b->bytes)) {
            dm_log("disk %s: cannot read its size: %s\n", disk->target, strerror(errno));
            close(b->fd);
            free(b);
            return -1;
        }
    } else {
        b->bytes = (uint64_t)st.st_size;
    }
    b->bytes -= b->bytes % SECTOR;
    snprintf(b->serial, sizeof(b->serial), "keel-%s", disk->vdev);
    snprintf(name, sizeof(name), "blk %s", disk->vdev);
    virtio_pci_init(v, dm, &blk_ops, b, name);
    dm_log("%s: %s, %llu sectors%s\n", name, disk->target, (unsigned long long)(b->bytes / SECTOR),
           b->readonly ? ", read-only" : "");
    return 0;
}

void blk_destroy(struct virtio_dev *v)
{
    struct blk *b = v->priv;

    close(b->fd);
    free(b);
    v->priv = NULL;
}

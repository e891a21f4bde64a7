/*
 * virtio-blk served by QEMU's block layer: qemu-storage-daemon exports the
 * image (qcow2 with its backing chain, raw, a block device) as
 * vhost-user-blk and runs the virtqueues itself in the domain's RAM, which
 * it maps from the RAM file keel-dm passes it. keel-dm keeps the PCI
 * transport; the kick and call eventfds are bound in dom0's kernel to
 * Keel's ioevent and to the queue's MSI (virtio_queue_backend), so a
 * request does not pass through keel-dm. The daemon dies with keel-dm (PR_SET_PDEATHSIG) and is
 * stopped with SIGTERM when the domain goes, so the image is closed
 * cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "dm.h"
#include "kl_devspec.h"
#include "vhost_user.h"

#define RUN_DIR         "/run/keel"
#define VUBLK_CFG_SIZE  24u
/* What the transport passes on: VERSION_1, the ring's INDIRECT_DESC and EVENT_IDX; SEG_MAX, RO, BLK_SIZE, FLUSH. */
#define VUBLK_FEATURES  (1ull << VIRTIO_F_VERSION_1 | 1ull << 28 | 1ull << 29 | 1ull << 2 | 1ull << 5 | 1ull << 6 | \
                         1ull << 9)

struct vublk {
    struct vhost_user vu;
    pid_t daemon;
    int kick, call;
    int started;
    uint8_t config[VUBLK_CFG_SIZE];
    char sock[108];
};

static uint64_t vublk_features(struct virtio_dev *v)
{
    struct vublk *b = v->priv;

    return (b->vu.features & VUBLK_FEATURES) | 1ull << VIRTIO_F_VERSION_1;
}

static void vublk_cfg_read(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
    memcpy(buf, ((struct vublk *)v->priv)->config + off, len);
}

/* Never called: the transport kicks the back end's eventfd (virtio_queue_backend). */
static int vublk_queue_notify(struct virtio_dev *v, unsigned q, const char **why)
{
    return 0;
}

static void sock_hup(void *arg)
{
    struct virtio_dev *v = arg;
    struct vublk *b = v->priv;

    dm_unwatch(b->vu.sock);
    virtio_needs_reset(v, "the storage back end closed its connection");
}

static int vublk_start(struct virtio_dev *v)
{
    struct vublk *b = v->priv;
    struct virtio_queue *q = &v->q[0];
    struct vhost_user_msg m;
    int rc;

    if (!q->enable)
        return 0;                       /* a driver that enabled no queue: nothing to run */
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_FEATURES, .size = 8,
                                 .u.u64 = v->driver_features | (b->vu.features & 1ull << VHOST_USER_F_PROTOCOL_FEATURES) };
    rc = vhost_user_call(&b->vu, &m, -1, 0);
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_MEM_TABLE, .size = 8 + 32 };
    m.u.mem.nregions = 1;
    m.u.mem.r[0].gpa = 0;
    m.u.mem.r[0].size = v->dm->mem.size;
    m.u.mem.r[0].uaddr = (uint64_t)(uintptr_t)v->dm->mem.base;
    m.u.mem.r[0].mmap_offset = 0;
    if (!rc)
        rc = vhost_user_call(&b->vu, &m, v->dm->ram_fd, 0);
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_VRING_NUM, .size = 8, .u.state = { 0, q->size } };
    if (!rc)
        rc = vhost_user_call(&b->vu, &m, -1, 0);
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_VRING_ADDR, .size = 40 };
    m.u.addr.desc = (uint64_t)(uintptr_t)(v->dm->mem.base + q->desc);
    m.u.addr.used = (uint64_t)(uintptr_t)(v->dm->mem.base + q->device);
    m.u.addr.avail = (uint64_t)(uintptr_t)(v->dm->mem.base + q->driver);
    if (!rc)
        rc = vhost_user_call(&b->vu, &m, -1, 0);
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_VRING_BASE, .size = 8, .u.state = { 0, 0 } };
    if (!rc)
        rc = vhost_user_call(&b->vu, &m, -1, 0);
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_VRING_CALL, .size = 8, .u.u64 = 0 };
    if (!rc)
        rc = vhost_user_call(&b->vu, &m, b->call, 0);
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_VRING_KICK, .size = 8, .u.u64 = 0 };
    if (!rc)
        rc = vhost_user_call(&b->vu, &m, b->kick, 0);
    if (!rc && (b->vu.features >> VHOST_USER_F_PROTOCOL_FEATURES & 1)) {
        m = (struct vhost_user_msg){ .request = VHOST_USER_SET_VRING_ENABLE, .size = 8, .u.state = { 0, 1 } };
        rc = vhost_user_call(&b->vu, &m, -1, 0);
    }
    if (rc) {
        dm_log("%s: the storage back end refused the rings: %s\n", v->pci.name, strerror(-rc));
        return -1;
    }
    b->started = 1;
    return 0;
}

static void vublk_reset(struct virtio_dev *v)
{
    struct vublk *b = v->priv;
    struct vhost_user_msg m = { .request = VHOST_USER_GET_VRING_BASE, .size = 8, .u.state = { 0, 0 } };

    if (!b || !b->started)
        return;
    /* GET_VRING_BASE stops the ring (vhost-user.rst, "Starting and stopping rings"). */
    if (vhost_user_call(&b->vu, &m, -1, 1))
        dm_log("%s: the storage back end did not stop its ring\n", v->pci.name);
    b->started = 0;
}

static const struct virtio_dev_ops vublk_ops = {
    .device_id = 2,
    .pci_class = 0x01800000,
    .nr_queues = 1,
    .features = vublk_features,
    .cfg_size = VUBLK_CFG_SIZE,
    .cfg_read = vublk_cfg_read,
    .queue_notify = vublk_queue_notify,
    .start = vublk_start,
    .reset = vublk_reset,
};

/* QEMU's option syntax doubles a comma inside a value. */
static void qemu_escape(char *out, size_t size, const char *in)
{
    size_t n = 0;

    for (; *in && n + 2 < size; in++) {
        if (*in == ',')
            out[n++] = ',';
        out[n++] = *in;
    }
    out[n] = '\0';
}

int vublk_create(struct virtio_dev *v, struct dm *dm, const struct kl_disk *disk)
{
    struct vublk *b = calloc(1, sizeof(*b));
    char file[600], fmt[700], exp[300], path[520], name[24];
    const char *qsd = getenv("KEEL_QSD") ? getenv("KEEL_QSD") : "qemu-storage-daemon";
    struct vhost_user_msg m;
    struct stat st;
    int rc;

    if (!b)
        return -1;
    if (stat(disk->target, &st)) {
        dm_log("disk %s: %s\n", disk->target, strerror(errno));
        free(b);
        return -1;
    }
    mkdir("/run", 0755);
    mkdir(RUN_DIR, 0755);
    snprintf(b->sock, sizeof(b->sock), RUN_DIR "/d%u-%s.sock", dm->domid, disk->vdev);
    unlink(b->sock);
    qemu_escape(path, sizeof(path), disk->target);
    snprintf(file, sizeof(file), "driver=%s,node-name=file0,filename=%s,read-only=%s",
             S_ISBLK(st.st_mode) ? "host_device" : "file", path, disk->readonly ? "on" : "off");
    snprintf(fmt, sizeof(fmt), "driver=%s,node-name=disk0,file=file0,read-only=%s", disk->format,
             disk->readonly ? "on" : "off");
    snprintf(exp, sizeof(exp), "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=%s,writable=%s",
             b->sock, disk->readonly ? "off" : "on");
    b->daemon = fork();
    if (b->daemon == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(2, 1);                     /* its messages: keel-dm's log */
        execlp(qsd, qsd, "--blockdev", file, "--blockdev", fmt, "--export", exp, (char *)NULL);
        fprintf(stderr, "keel-dm: cannot run %s: %s\n", qsd, strerror(errno));
        _exit(127);
    }
    b->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    b->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    rc = b->daemon < 0 || b->kick < 0 || b->call < 0 ? -EIO : vhost_user_connect(&b->vu, b->sock, 20000);
    if (!rc && !(b->vu.protocol >> VHOST_USER_PROTOCOL_F_CONFIG & 1))
        rc = -EPROTO;                   /* the disk's geometry comes from the back end */
    if (!rc) {
        m = (struct vhost_user_msg){ .request = VHOST_USER_GET_CONFIG, .size = 12 + VUBLK_CFG_SIZE };
        m.u.config.size = VUBLK_CFG_SIZE;
        rc = vhost_user_call(&b->vu, &m, -1, 1);
        if (!rc && (m.size != 12 + VUBLK_CFG_SIZE || m.u.config.size != VUBLK_CFG_SIZE))
            rc = -EPROTO;
    }
    if (rc) {
        dm_log("disk %s: the storage back end (%s) did not come up: %s\n", disk->target, qsd, strerror(-rc));
        if (b->daemon > 0)
            kill(b->daemon, SIGKILL);
        free(b);
        return -1;
    }
    memcpy(b->config, m.u.config.data, VUBLK_CFG_SIZE);
    snprintf(name, sizeof(name), "blk %s", disk->vdev);
    virtio_pci_init(v, dm, &vublk_ops, b, name);
    virtio_queue_backend(v, 0, b->kick, b->call);
    dm_watch(b->vu.sock, NULL, sock_hup, v);
    uint64_t sectors;
    memcpy(&sectors, b->config, 8);
    dm_log("%s: %s (%s) through %s, %llu sectors%s\n", name, disk->target, disk->format, qsd,
           (unsigned long long)sectors, disk->readonly ? ", read-only" : "");
    return 0;
}

void vublk_stop(struct virtio_dev *v)
{
    struct vublk *b = v->priv;
    int status;

    if (b->daemon > 0) {
        kill(b->daemon, SIGTERM);       /* it flushes and closes the image */
        waitpid(b->daemon, &status, 0);
    }
    unlink(b->sock);
}

void vublk_destroy(struct virtio_dev *v)
{
    struct vublk *b = v->priv;

    vublk_reset(v);
    virtio_queue_backend(v, 0, -1, -1);
    dm_unwatch(b->vu.sock);
    vublk_stop(v);
    close(b->kick);
    close(b->call);
    close(b->vu.sock);
    free(b);
    v->priv = NULL;
}

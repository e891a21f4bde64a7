/* libkeel: /dev/keel wrappers (see libkeel.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "libkeel.h"

int keel_open(struct keel *k)
{
    int64_t abi;

    k->fd = open("/dev/keel", O_RDWR | O_CLOEXEC);
    if (k->fd < 0)
        return -errno;
    abi = keel_hypercall(k, KEEL_HC_ABI_VERSION, (const uint64_t[5]){ 0 }, NULL, 0, 0, 0);
    if (abi != KEEL_ABI_VERSION) {
        keel_close(k);
        return abi < 0 ? (int)abi : -EPROTO;
    }
    return 0;
}

void keel_close(struct keel *k)
{
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
}

int64_t keel_hypercall(struct keel *k, uint64_t nr, const uint64_t args[5], void *buf, uint32_t len,
                       unsigned buf_arg, unsigned dir)
{
    struct keel_ioctl_hypercall hc = { .nr = nr, .buf = (uint64_t)(uintptr_t)buf, .buf_len = buf ? len : 0,
                                       .buf_arg = (uint16_t)buf_arg, .buf_dir = buf ? (uint16_t)dir : 0 };

    memcpy(hc.args, args, sizeof(hc.args));
    if (ioctl(k->fd, KEEL_IOCTL_HYPERCALL, &hc) < 0)
        return -errno;
    return hc.result;
}

int64_t keel_console_read(struct keel *k, char *buf, size_t len, int clear)
{
    uint64_t a[5] = { 0, len, clear ? KEEL_CONSOLE_CLEAR : 0, 0, 0 };

    if (len > KEEL_CONSOLE_READ_MAX)
        return -EINVAL;
    return keel_hypercall(k, KEEL_HC_CONSOLE_READ, a, buf, (uint32_t)len, 0, KEEL_BUF_OUT);
}

int64_t keel_physinfo(struct keel *k, struct keel_physinfo *pi)
{
    return keel_hypercall(k, KEEL_HC_PHYSINFO, (const uint64_t[5]){ 0 }, pi, sizeof(*pi), 0, KEEL_BUF_OUT);
}

static int64_t domid_call(struct keel *k, uint64_t nr, uint32_t domid)
{
    return keel_hypercall(k, nr, (const uint64_t[5]){ domid }, NULL, 0, 0, 0);
}

int64_t keel_domain_create(struct keel *k, const char *name, const uint8_t uuid[16], uint64_t mem_bytes,
                           uint32_t vcpus)
{
    struct keel_domain_create c;

    memset(&c, 0, sizeof(c));
    if (strlen(name) >= sizeof(c.name))
        return -ENAMETOOLONG;
    strcpy(c.name, name);
    if (uuid)
        memcpy(c.uuid, uuid, sizeof(c.uuid));
    c.mem_bytes = mem_bytes;
    c.max_vcpus = vcpus;
    return keel_hypercall(k, KEEL_HC_DOMAIN_CREATE, (const uint64_t[5]){ 0 }, &c, sizeof(c), 0, KEEL_BUF_IN);
}

int64_t keel_domain_destroy(struct keel *k, uint32_t domid)
{
    return domid_call(k, KEEL_HC_DOMAIN_DESTROY, domid);
}

int64_t keel_domain_pause(struct keel *k, uint32_t domid)
{
    return domid_call(k, KEEL_HC_DOMAIN_PAUSE, domid);
}

int64_t keel_domain_unpause(struct keel *k, uint32_t domid)
{
    return domid_call(k, KEEL_HC_DOMAIN_UNPAUSE, domid);
}

int64_t keel_evtchn_op(struct keel *k, uint32_t op, uint32_t port, uint64_t arg)
{
    struct keel_ioctl_evtchn e = { .op = op, .port = port, .arg = arg };

    if (ioctl(k->fd, KEEL_IOCTL_EVTCHN, &e) < 0)
        return -errno;
    return e.result;
}

int64_t keel_evtchn_wait(struct keel *k, int timeout_ms)
{
    struct pollfd p = { .fd = k->fd, .events = POLLIN };
    uint32_t port;
    int n = poll(&p, 1, timeout_ms);

    if (n < 0)
        return -errno;
    if (!n)
        return 0;
    if (read(k->fd, &port, sizeof(port)) != (ssize_t)sizeof(port))
        return errno == EAGAIN ? 0 : -errno;
    return port;
}

int64_t keel_vcpu_context(struct keel *k, uint32_t domid, uint32_t vcpu, uint32_t op, struct keel_vcpu_context *c)
{
    return keel_hypercall(k, KEEL_HC_VCPU_CONTEXT, (const uint64_t[5]){ domid, vcpu, op }, c, sizeof(*c), 3,
                          op == KEEL_VCPU_CONTEXT_GET ? KEEL_BUF_OUT : KEEL_BUF_IN);
}

/* Foreign mappings: keel.ko's mmap offset for each address this process mapped. */
static struct { void *addr; uint64_t offset; } maps[64];

void *keel_foreign_map(struct keel *k, uint32_t domid, uint64_t gfn, uint32_t npages, int *err)
{
    struct keel_ioctl_foreign fm = { .domid = domid, .npages = npages, .gfn = gfn };
    unsigned slot;
    void *p;

    for (slot = 0; slot < sizeof(maps) / sizeof(maps[0]) && maps[slot].addr; slot++)
        ;
    if (slot == sizeof(maps) / sizeof(maps[0])) {
        *err = -ENOSPC;
        return NULL;
    }
    if (ioctl(k->fd, KEEL_IOCTL_FOREIGN_MAP, &fm) < 0) {
        *err = -errno;
        return NULL;
    }
    p = mmap(NULL, (size_t)npages << 12, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, (off_t)fm.offset);
    if (p == MAP_FAILED) {
        *err = -errno;
        ioctl(k->fd, KEEL_IOCTL_FOREIGN_UNMAP, &fm);
        return NULL;
    }
    maps[slot].addr = p;
    maps[slot].offset = fm.offset;
    return p;
}

int keel_foreign_unmap(struct keel *k, void *addr, uint32_t npages)
{
    for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        struct keel_ioctl_foreign fm = { .offset = maps[i].offset };
        if (maps[i].addr != addr)
            continue;
        munmap(addr, (size_t)npages << 12);
        maps[i].addr = NULL;
        return ioctl(k->fd, KEEL_IOCTL_FOREIGN_UNMAP, &fm) < 0 ? -errno : 0;
    }
    return -EINVAL;
}

int64_t keel_domain_shutdown(struct keel *k, uint32_t domid, uint32_t reason)
{
    return keel_hypercall(k, KEEL_HC_DOMAIN_SHUTDOWN, (const uint64_t[5]){ domid, reason }, NULL, 0, 0, 0);
}

int64_t keel_vcpu_list(struct keel *k, uint32_t domid, struct keel_vcpu_info *out, unsigned max)
{
    if (max > KEEL_MAX_VCPUS)
        max = KEEL_MAX_VCPUS;
    return keel_hypercall(k, KEEL_HC_VCPU_LIST, (const uint64_t[5]){ domid, 0, max }, out,
                          (uint32_t)(max * sizeof(*out)), 1, KEEL_BUF_OUT);
}

int64_t keel_domain_list(struct keel *k, uint32_t first, struct keel_domain_info *out, unsigned max)
{
    if (max > KEEL_DOMAIN_LIST_MAX)
        max = KEEL_DOMAIN_LIST_MAX;
    return keel_hypercall(k, KEEL_HC_DOMAIN_LIST, (const uint64_t[5]){ 0, max, first }, out,
                          (uint32_t)(max * sizeof(*out)), 0, KEEL_BUF_OUT);
}

int64_t keel_domain_info(struct keel *k, uint32_t domid, struct keel_domain_info *out)
{
    int64_t n = keel_domain_list(k, domid, out, 1);

    if (n < 0)
        return n;
    return n == 1 && out->domid == domid ? 0 : -ENOENT;
}

int64_t keel_domain_lookup(struct keel *k, const char *name_or_id)
{
    struct keel_domain_info info[KEEL_DOMAIN_LIST_MAX];
    uint32_t first = 0;
    char *end;
    unsigned long id = strtoul(name_or_id, &end, 10);
    int64_t n;

    if (*name_or_id && !*end && id <= 0xffffffffu) {
        n = keel_domain_info(k, (uint32_t)id, info);
        return n < 0 ? n : (int64_t)id;
    }
    while ((n = keel_domain_list(k, first, info, KEEL_DOMAIN_LIST_MAX)) > 0) {
        for (int64_t i = 0; i < n; i++)
            if (!strncmp(info[i].name, name_or_id, sizeof(info[i].name)))
                return info[i].domid;
        first = info[n - 1].domid + 1;
    }
    return n < 0 ? n : -ENOENT;
}

int64_t keel_domain_set_maxmem(struct keel *k, uint32_t domid, uint64_t bytes)
{
    return keel_hypercall(k, KEEL_HC_DOMAIN_SET_MAXMEM, (const uint64_t[5]){ domid, bytes }, NULL, 0, 0, 0);
}

int64_t keel_vcpu_set_entry(struct keel *k, uint32_t domid, uint32_t vcpu, const struct keel_vcpu_entry *e)
{
    return keel_hypercall(k, KEEL_HC_VCPU_SET_ENTRY, (const uint64_t[5]){ domid, vcpu }, (void *)(uintptr_t)e,
                          sizeof(*e), 2, KEEL_BUF_IN);
}

int64_t keel_console_domain_read(struct keel *k, uint32_t domid, uint64_t *pos, char *buf, size_t len)
{
    static uint8_t chunk[sizeof(struct keel_console_chunk) + 16384];
    struct keel_console_chunk h;
    size_t room = len < sizeof(chunk) - sizeof(h) ? len : sizeof(chunk) - sizeof(h);
    int64_t n = keel_hypercall(k, KEEL_HC_DOMAIN_CONSOLE,
                               (const uint64_t[5]){ domid, KEEL_CONSOLE_OP_READ, 0, room + sizeof(h), *pos },
                               chunk, (uint32_t)(room + sizeof(h)), 2, KEEL_BUF_OUT);

    if (n < 0)
        return n;
    memcpy(&h, chunk, sizeof(h));
    if ((uint64_t)n > room || h.end - h.start != (uint64_t)n)
        return -EPROTO;
    memcpy(buf, chunk + sizeof(h), (size_t)n);
    *pos = h.end;
    return n;
}

int64_t keel_console_domain_write(struct keel *k, uint32_t domid, const char *buf, size_t len)
{
    if (len > 4096)
        len = 4096;
    return keel_hypercall(k, KEEL_HC_DOMAIN_CONSOLE, (const uint64_t[5]){ domid, KEEL_CONSOLE_OP_WRITE, 0, len },
                          (void *)(uintptr_t)buf, (uint32_t)len, 2, KEEL_BUF_IN);
}

int64_t keel_domain_set_wallclock(struct keel *k, uint32_t domid, uint64_t unix_seconds)
{
    return keel_hypercall(k, KEEL_HC_DOMAIN_SET_WALLCLOCK, (const uint64_t[5]){ domid, unix_seconds }, NULL, 0,
                          0, 0);
}

int64_t keel_dm_register(struct keel *k, uint32_t domid, struct keel_ioreq_page **page)
{
    struct keel_ioctl_dm dm = { .op = KEEL_DM_REGISTER, .domid = domid };
    void *p;

    if (ioctl(k->fd, KEEL_IOCTL_DM, &dm) < 0)
        return -errno;
    if (dm.result < 0)
        return dm.result;
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, (off_t)KEEL_DM_PAGE_OFFSET);
    if (p == MAP_FAILED)
        return -errno;
    *page = p;
    return dm.result;
}

int64_t keel_dm_op(struct keel *k, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct keel_ioctl_dm dm = { .op = op, .arg = { a0, a1, a2 } };

    if (ioctl(k->fd, KEEL_IOCTL_DM, &dm) < 0)
        return -errno;
    return dm.result;
}

int keel_ioeventfd(struct keel *k, uint32_t port, int fd)
{
    struct keel_ioctl_ioeventfd r = { .port = port, .fd = fd };

    return ioctl(k->fd, KEEL_IOCTL_IOEVENTFD, &r) < 0 ? -errno : 0;
}

int keel_irqfd(struct keel *k, int fd, uint32_t flags, uint64_t addr, uint32_t data)
{
    struct keel_ioctl_irqfd r = { .fd = fd, .flags = flags, .addr = addr, .data = data };

    return ioctl(k->fd, KEEL_IOCTL_IRQFD, &r) < 0 ? -errno : 0;
}

int keel_domain_ram_fd(struct keel *k, uint32_t domid, uint64_t bytes)
{
    struct keel_ioctl_ram r = { .domid = domid, .bytes = bytes };
    int fd = ioctl(k->fd, KEEL_IOCTL_DOMAIN_RAM, &r);

    return fd < 0 ? -errno : fd;
}

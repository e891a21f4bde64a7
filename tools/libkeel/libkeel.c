/* libkeel: /dev/keel wrappers (see libkeel.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "libkeel.h"

int keel_open(struct keel *k)
{
    int64_t abi;

    k->fd = open("/dev/keel", O_RDWR | O_CLOEXEC);
    if (k->fd < 0)
        return -errno;
    abi = keel_hypercall(k, KEEL_HC_ABI_VERSION, (const uint64_t[5]){ 0 }, NULL, 0, 0);
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
                       unsigned buf_arg)
{
    struct keel_ioctl_hypercall hc = { .nr = nr, .buf = (uint64_t)(uintptr_t)buf, .buf_len = buf ? len : 0,
                                       .buf_arg = buf_arg };

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
    return keel_hypercall(k, KEEL_HC_CONSOLE_READ, a, buf, (uint32_t)len, 0);
}

int64_t keel_physinfo(struct keel *k, struct keel_physinfo *pi)
{
    return keel_hypercall(k, KEEL_HC_PHYSINFO, (const uint64_t[5]){ 0 }, pi, sizeof(*pi), 0);
}

/*
 * libkeel: every call from dom0's user space into Keel goes through here
 * (the /dev/keel ioctl of keel.ko); nothing else in the tools calls ioctl.
 * Functions return 0 or more on success, a negative errno on failure.
 */
#ifndef LIBKEEL_H
#define LIBKEEL_H
#include <stddef.h>
#include <stdint.h>
#include <public/keel.h>

struct keel {
    int fd;
};

/* Open /dev/keel and check the hypervisor speaks our KEEL_ABI_VERSION. */
int keel_open(struct keel *k);
void keel_close(struct keel *k);
/* A hypercall; @buf (@len bytes, may be NULL) is bounced and its address passed as args[@buf_arg]. */
int64_t keel_hypercall(struct keel *k, uint64_t nr, const uint64_t args[5], void *buf, uint32_t len,
                       unsigned buf_arg);
/* The hypervisor's log, up to @len bytes (lines start with a level digit); @clear: as dmesg -c. */
int64_t keel_console_read(struct keel *k, char *buf, size_t len, int clear);
/* The machine as Keel sees it. */
int64_t keel_physinfo(struct keel *k, struct keel_physinfo *pi);
#endif

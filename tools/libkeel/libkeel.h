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
/*
 * A hypercall; @buf (@len bytes, may be NULL) is bounced and its address
 * passed as args[@buf_arg]; @dir: KEEL_BUF_IN (only read: may be const),
 * KEEL_BUF_OUT (only written) or both.
 */
int64_t keel_hypercall(struct keel *k, uint64_t nr, const uint64_t args[5], void *buf, uint32_t len,
                       unsigned buf_arg, unsigned dir);
/* The hypervisor's log, up to @len bytes (lines start with a level digit); @clear: as dmesg -c. */
int64_t keel_console_read(struct keel *k, char *buf, size_t len, int clear);
/* The machine as Keel sees it. */
int64_t keel_physinfo(struct keel *k, struct keel_physinfo *pi);

/* ---- domains ---- */

/* A new paused domU: its domid, or -EINVAL, -EEXIST (name taken), -ENOMEM. */
int64_t keel_domain_create(struct keel *k, const char *name, const uint8_t uuid[16], uint64_t mem_bytes,
                           uint32_t vcpus);
int64_t keel_domain_destroy(struct keel *k, uint32_t domid);
int64_t keel_domain_pause(struct keel *k, uint32_t domid);
int64_t keel_domain_unpause(struct keel *k, uint32_t domid);
/* Up to @max domains with domid >= @first, in domid order: how many. */
int64_t keel_domain_list(struct keel *k, uint32_t first, struct keel_domain_info *out, unsigned max);
/* One domain: 0, or -ENOENT. */
int64_t keel_domain_info(struct keel *k, uint32_t domid, struct keel_domain_info *out);
/* Ask a domU to stop: KEEL_SHUTDOWN_POWEROFF (its ACPI power button) or _REBOOT (a reset, now). */
int64_t keel_domain_shutdown(struct keel *k, uint32_t domid, uint32_t reason);
/*
 * Event channels (KEEL_IOCTL_EVTCHN): KEEL_EVTCHN_ALLOC_UNBOUND / BIND_* give
 * a port of this handle, SEND / CLOSE take one; the result, or -errno.
 */
int64_t keel_evtchn_op(struct keel *k, uint32_t op, uint32_t port, uint64_t arg);
/* Wait up to @timeout_ms (-1: forever) for ports of this handle to fire: one port, 0 on timeout, -errno. */
int64_t keel_evtchn_wait(struct keel *k, int timeout_ms);
/* A paused domain's vCPU registers (KEEL_VCPU_CONTEXT_GET), or set them (_SET: GPRs, RIP, RFLAGS). */
int64_t keel_vcpu_context(struct keel *k, uint32_t domid, uint32_t vcpu, uint32_t op, struct keel_vcpu_context *c);
/*
 * A domU's frames [@gfn, +@npages) in this process (KEEL_IOCTL_FOREIGN_MAP +
 * mmap): the address, or NULL with *@err = -errno. keel_foreign_unmap()
 * takes them away again.
 */
void *keel_foreign_map(struct keel *k, uint32_t domid, uint64_t gfn, uint32_t npages, int *err);
int keel_foreign_unmap(struct keel *k, void *addr, uint32_t npages);
/* Up to @max of a domain's vCPUs: how many, or -errno. */
int64_t keel_vcpu_list(struct keel *k, uint32_t domid, struct keel_vcpu_info *out, unsigned max);
/* A domain's id from its name (or its id written in decimal): the id, or -ENOENT. */
int64_t keel_domain_lookup(struct keel *k, const char *name_or_id);
/* The most RAM a domU may have (a multiple of 2 MiB; below what it has stops it getting more). */
int64_t keel_domain_set_maxmem(struct keel *k, uint32_t domid, uint64_t bytes);
int64_t keel_vcpu_set_entry(struct keel *k, uint32_t domid, uint32_t vcpu, const struct keel_vcpu_entry *e);
/*
 * A domU's console output from position *@pos: up to @len bytes into @buf;
 * *@pos moves past them (to the oldest byte kept first, if older ones were
 * overwritten). Returns the bytes read.
 */
int64_t keel_console_domain_read(struct keel *k, uint32_t domid, uint64_t *pos, char *buf, size_t len);
/* Type into a domU's console: the bytes it took. */
int64_t keel_console_domain_write(struct keel *k, uint32_t domid, const char *buf, size_t len);

/*
 * @bytes of domU @domid's RAM from guest-physical 0 as a file descriptor
 * (mmap offset = guest-physical address; KEEL_IOCTL_DOMAIN_RAM): the fd,
 * or -errno.
 */
int keel_domain_ram_fd(struct keel *k, uint32_t domid, uint64_t bytes);
/* A domU's CMOS clock: it reads @unix_seconds now (kl gives dom0's time at creation). */
int64_t keel_domain_set_wallclock(struct keel *k, uint32_t domid, uint64_t unix_seconds);
/*
 * Device models (KEEL_IOCTL_DM): serve @domid's PCI bus from this handle.
 * keel_dm_register() returns the port Keel signals and maps the request
 * page at *@page; keel_dm_op() makes one of MAP_MMIO, IOEVENT, IO_DONE, MSI, HOTPLUG, INTX
 * with @a0..@a2 (its result, or -errno).
 */
int64_t keel_dm_register(struct keel *k, uint32_t domid, struct keel_ioreq_page **page);
int64_t keel_dm_op(struct keel *k, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2);
/*
 * A device model's eventfds in dom0's kernel: port @port (an IOEVENT's)
 * signals eventfd @fd (-1: no more); each signal of eventfd @fd becomes
 * MSI(@addr, @data) (keel_irqfd with KEEL_IRQFD_DEASSIGN removes it). 0 or -errno.
 */
int keel_ioeventfd(struct keel *k, uint32_t port, int fd);
int keel_irqfd(struct keel *k, int fd, uint32_t flags, uint64_t addr, uint32_t data);

/* ---- building a domain (build.c) ---- */

struct keel_kernel {
    const uint8_t *image;           /* bzImage, ELF vmlinux, or multiboot (v1) ELF */
    size_t image_len;
    const uint8_t *ramdisk;         /* or NULL */
    size_t ramdisk_len;
    const char *cmdline;
    int pvh;                        /* a vmlinux with a PVH entry note starts there (else startup_64) */
};
/*
 * Load a kernel into paused domU @domid (@mem_bytes of RAM) and set vCPU 0
 * at its entry; *@how (if not NULL) names that entry ("PVH entry",
 * "64-bit entry", "multiboot entry"). 0, or -EINVAL (not a kernel Keel can
 * boot; @err says why), -E2BIG (does not fit), or the hypercall's error.
 */
int keel_build(struct keel *k, uint32_t domid, uint64_t mem_bytes, const struct keel_kernel *kern,
               const char **how, char *err, size_t errlen);
#endif

/*
 * Building a domU from dom0: the loaders the hypervisor uses for its own
 * guests (arch/x86/guest/linux_boot.c, hv/mb1.c: pure code, shared), with guest
 * memory reached through foreign mappings (a window of it at a time) and
 * the entry state set with KEEL_HC_VCPU_SET_ENTRY. The memory map is the
 * domU platform's (public/keel.h): RAM but the legacy hole, ACPI tables at
 * KEEL_DOMU_RSDP.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/linux_boot.h>
#include <keel/mb1.h>
#include "libkeel.h"

#define MB1_MAGIC           0x1badb002u
#define MB1_SEARCH          8192        /* the header is in the first 8 KiB, 4-byte aligned */
#define MB1_BOOTLOADER_MAGIC 0x2badb002u

#define WINDOW              (64ull << 20)   /* mapped at a time: 2 MiB-aligned, so 2 MiB EPT pages */

struct target {
    struct keel *k;
    uint32_t domid;
    uint64_t mem_bytes;
    uint64_t base;                  /* the window's first guest address */
    uint64_t size;                  /* its length (0: none mapped) */
    uint8_t *map;
};

/* The loaders log through printk(): here their words become the caller's error message. */
static char log_buf[256];

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    va_start(ap, fmt);
    vsnprintf(log_buf, sizeof(log_buf), fmt, ap);
    va_end(ap);
    log_buf[strcspn(log_buf, "\n")] = '\0';
}

void panic(const char *fmt, ...)
{
    (void)fmt;
    fprintf(stderr, "libkeel: internal error in a loader\n");
    abort();
}

static int unmap_window(struct target *t)
{
    int rc = t->size ? keel_foreign_unmap(t->k, t->map, (uint32_t)(t->size >> 12)) : 0;

    t->size = 0;
    return rc;
}

/* Into the domain's RAM, through the window that holds each piece (mapped on demand). */
static int copy_to(void *opaque, uint64_t gpa, const void *src, uint64_t len)
{
    struct target *t = opaque;
    const uint8_t *p = src;
    int rc = 0;

    if (gpa > t->mem_bytes || len > t->mem_bytes - gpa) {
        rc = -ERANGE;
        goto out;
    }
    while (len) {
        uint64_t n;
        if (!t->size || gpa < t->base || gpa >= t->base + t->size) {
            unmap_window(t);
            t->base = gpa & ~(WINDOW - 1);
            t->size = t->mem_bytes - t->base < WINDOW ? t->mem_bytes - t->base : WINDOW;
            t->map = keel_foreign_map(t->k, t->domid, t->base >> 12, (uint32_t)(t->size >> 12), &rc);
            if (!t->map) {
                t->size = 0;
                goto out;
            }
        }
        n = t->base + t->size - gpa < len ? t->base + t->size - gpa : len;
        memcpy(t->map + (gpa - t->base), p, n);
        p += n;
        gpa += n;
        len -= n;
    }
out:
    if (rc == -ERANGE)
        snprintf(log_buf, sizeof(log_buf), "%llu bytes at guest address %#llx are outside the domain's memory",
                 (unsigned long long)len, (unsigned long long)gpa);
    else if (rc)
        snprintf(log_buf, sizeof(log_buf), "mapping guest address %#llx failed: %s", (unsigned long long)gpa,
                 strerror(-rc));
    return rc ? -EFAULT : 0;
}

/* The TSC's rate from Keel's timing leaf (CPUID 40000010H:EAX, kHz), for the kernel's tsc_early_khz=. */
static uint32_t keel_tsc_khz(void)
{
    unsigned a, b, c, d;

    __cpuid(0x40000000, a, b, c, d);
    if (a < 0x40000010)
        return 0;
    __cpuid(0x40000010, a, b, c, d);
    return a;
}

static int is_multiboot(const uint8_t *img, size_t len)
{
    for (size_t off = 0; off + 12 <= len && off < MB1_SEARCH; off += 4) {
        uint32_t w[3];
        memcpy(w, img + off, sizeof(w));
        if (w[0] == MB1_MAGIC && w[0] + w[1] + w[2] == 0)
            return 1;
    }
    return 0;
}

int keel_build(struct keel *k, uint32_t domid, uint64_t mem_bytes, const struct keel_kernel *kern,
               const char **how, char *err, size_t errlen)
{
    const char *entry;
    struct target t = { k, domid, mem_bytes, 0, 0, NULL };
    struct keel_vcpu_entry e;
    int rc, unmap_rc;

    log_buf[0] = '\0';
    memset(&e, 0, sizeof(e));
    if (is_multiboot(kern->image, kern->image_len)) {
        struct mb1_target mt = { mem_bytes, copy_to, &t };
        struct mb1_module mod = { kern->ramdisk, kern->ramdisk_len, "" };
        struct mb1_entry me;
        rc = mb1_load(kern->image, kern->image_len, kern->cmdline, &mod, kern->ramdisk ? 1 : 0, &mt, &me);
        e = (struct keel_vcpu_entry){ .kind = KEEL_ENTRY_PM32, .rip = me.eip, .rax = MB1_BOOTLOADER_MAGIC,
                                      .rbx = me.mbi };
        entry = "multiboot entry";
    } else {
        const struct linux_e820 map[] = {
            { 0, KEEL_DOMU_HOLE_START, LINUX_E820_RAM },
            { KEEL_DOMU_HOLE_START, KEEL_DOMU_HOLE_END - KEEL_DOMU_HOLE_START, LINUX_E820_RESERVED },
            { KEEL_DOMU_HOLE_END, mem_bytes - KEEL_DOMU_HOLE_END, LINUX_E820_RAM },
        };
        struct linux_target lt = { mem_bytes, map, 3, KEEL_DOMU_RSDP, copy_to, &t, kern->pvh, keel_tsc_khz() };
        struct linux_entry le;
        rc = linux_load(kern->image, kern->image_len, kern->cmdline, kern->ramdisk, kern->ramdisk_len, &lt, &le);
        if (le.pvh)
            e = (struct keel_vcpu_entry){ .kind = KEEL_ENTRY_PM32, .rip = le.rip, .rbx = le.rbx };
        else
            e = (struct keel_vcpu_entry){ .kind = KEEL_ENTRY_LINUX64, .rip = le.rip, .rsi = le.rsi,
                                          .cr3 = le.cr3, .gdt = le.gdt };
        entry = le.pvh ? "PVH entry" : "64-bit entry";
    }
    unmap_rc = unmap_window(&t);
    if (!rc && unmap_rc) {
        snprintf(err, errlen, "unmapping the domain's memory failed: %s", strerror(-unmap_rc));
        return unmap_rc;
    }
    if (rc) {
        snprintf(err, errlen, "%s", log_buf[0] ? log_buf : rc == -E2BIG ? "it does not fit in the domain's memory"
                                                                          : "not a kernel Keel can boot");
        return rc;
    }
    rc = (int)keel_vcpu_set_entry(k, domid, 0, &e);
    if (rc)
        snprintf(err, errlen, "setting vCPU 0's entry failed: %s", strerror(-rc));
    else if (how)
        *how = entry;
    return rc;
}

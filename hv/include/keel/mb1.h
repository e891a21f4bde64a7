/*
 * Loading a multiboot (v1) kernel into a domain (Multiboot spec 0.6.96,
 * sections 3.1-3.3). Pure: guest memory is reached through callbacks, so
 * the loader runs on the host against hostile images.
 */
#ifndef KEEL_MB1_H
#define KEEL_MB1_H
#include <stddef.h>
#include <stdint.h>

struct mb1_target {
    uint64_t ram_bytes;             /* guest RAM is [0, ram_bytes) */
    /* Copy into guest RAM; 0 or -EFAULT. */
    int (*copy_to)(void *opaque, uint64_t gpa, const void *src, uint64_t len);
    void *opaque;
};

struct mb1_entry {
    uint32_t eip;                   /* entry point */
    uint32_t mbi;                   /* guest-physical address of the multiboot info (EBX) */
    uint32_t image_end;             /* end of the loaded image (bss included) */
};

struct mb1_module {
    const uint8_t *data;
    size_t len;
    const char *cmdline;
};

#define MB1_MAX_MODULES 8

/*
 * Load @img (@len bytes) with command line @cmdline and @nr_mods modules
 * (page-aligned after the image, 3.3 mods_addr). Returns 0, or -EINVAL (no
 * valid header, malformed ELF, flags we do not support: logged) or -E2BIG
 * (does not fit in guest RAM).
 */
int mb1_load(const uint8_t *img, size_t len, const char *cmdline, const struct mb1_module *mods,
             unsigned nr_mods, const struct mb1_target *t, struct mb1_entry *out);
#endif

/*
 * Multiboot2 boot information parser (Multiboot2 spec, 3.6).
 *
 * Runs before anything else in the core and on the host under sanitizers:
 * every size and offset read from the structure is checked against what
 * was declared and what may be read, so a corrupt structure is reported,
 * never followed out of bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <boot/mb2.h>
#include <boot/multiboot2.h>
#include <boot/efi_memtype.h>
#include <keel/log.h>

/* Copy a NUL-terminated string that must end inside [s, s + max). */
static int copy_str(char *dst, size_t dst_size, const char *s, size_t max)
{
    size_t n = strnlen(s, max);

    if (n == max)
        return -EINVAL;
    if (n >= dst_size)
        n = dst_size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int parse_mmap(const struct mb2_tag_mmap *t, struct boot_info *bi)
{
    uint32_t n;

    if (t->size < sizeof(*t)) {
        /* Too short to hold entry_size: do not read it, not even for the message. */
        pr_err("mb2: memory map tag of %u bytes\n", t->size);
        return -EINVAL;
    }
    if (t->entry_size < sizeof(struct mb2_mmap_entry) || t->entry_size % 8) {
        pr_err("mb2: bad memory map tag (size %u, entry size %u)\n", t->size, t->entry_size);
        return -EINVAL;
    }
    n = (t->size - (uint32_t)sizeof(*t)) / t->entry_size;
    for (uint32_t i = 0; i < n; i++) {
        const struct mb2_mmap_entry *e =
            (const void *)((const uint8_t *)t->entries + (size_t)i * t->entry_size);
        uint32_t type = e->type;

        if (e->len == 0 || e->addr + e->len < e->addr)
            continue;
        if (type < BOOT_MEM_RAM || type > BOOT_MEM_UNUSABLE)
            type = BOOT_MEM_RESERVED;   /* spec: other values are reserved */
        if (boot_info_add_mem(bi, e->addr, e->len, type)) {
            pr_warn("mb2: memory map has more than %u entries; rest ignored\n", BOOT_MEM_MAX);
            break;
        }
    }
    return 0;
}

int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi)
{
    const uint8_t *base = mbi;
    const struct mb2_info_header *hdr = mbi;
    const struct mb2_tag_efi_mmap *efi_mmap = NULL;
    int have_mmap = 0, have_end = 0, have_acpi_new = 0;
    size_t total, off;

    memset(bi, 0, sizeof(*bi));
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;

    if (avail < sizeof(*hdr)) {
        pr_err("mb2: information structure truncated\n");
        return -EINVAL;
    }
    total = hdr->total_size;
    if (total < sizeof(*hdr) + sizeof(struct mb2_tag) || total > avail || total > MB2_INFO_MAX) {
        pr_err("mb2: bad total_size %lu (readable %lu)\n", total, avail);
        return -EINVAL;
    }
    bi->info_start = (uint64_t)(uintptr_t)mbi;
    bi->info_end = bi->info_start + total;

    for (off = sizeof(*hdr); off + sizeof(struct mb2_tag) <= total;) {
        const struct mb2_tag *tag = (const void *)(base + off);
        size_t size = tag->size;

        if (size < sizeof(struct mb2_tag) || size > total - off) {
            pr_err("mb2: tag %u at offset %lu has bad size %lu\n", tag->type, off, size);
            return -EINVAL;
        }
        switch (tag->type) {
        case MULTIBOOT2_TAG_TYPE_END:
            have_end = 1;
            break;
        case MULTIBOOT2_TAG_TYPE_CMDLINE:
        case MULTIBOOT2_TAG_TYPE_BOOT_LOADER_NAME: {
            const struct mb2_tag_string *s = (const void *)tag;
            int cmd = tag->type == MULTIBOOT2_TAG_TYPE_CMDLINE;

            if (copy_str(cmd ? bi->cmdline : bi->loader,
                         cmd ? sizeof(bi->cmdline) : sizeof(bi->loader),
                         s->string, size - sizeof(*s))) {
                pr_err("mb2: unterminated string in tag %u\n", tag->type);
                return -EINVAL;
            }
            break;
        }
        case MULTIBOOT2_TAG_TYPE_MODULE: {
            const struct mb2_tag_module *m = (const void *)tag;
            struct boot_module *bm;

            if (size < sizeof(*m) || m->mod_end < m->mod_start) {
                pr_err("mb2: bad module tag\n");
                return -EINVAL;
            }
            if (bi->nr_modules >= BOOT_MODULES_MAX) {
                pr_warn("mb2: more than %u modules; rest ignored\n", BOOT_MODULES_MAX);
                break;
            }
            bm = &bi->modules[bi->nr_modules];
            if (copy_str(bm->cmdline, sizeof(bm->cmdline), m->cmdline, size - sizeof(*m))) {
                pr_err("mb2: unterminated module command line\n");
                return -EINVAL;
            }
            bm->start = m->mod_start;
            bm->end = m->mod_end;
            bi->nr_modules++;
            break;
        }
        case MULTIBOOT2_TAG_TYPE_MMAP:
            if (parse_mmap((const void *)tag, bi))
                return -EINVAL;
            have_mmap = 1;
            break;
        case MULTIBOOT2_TAG_TYPE_EFI_MMAP:
            efi_mmap = (const void *)tag;
            if (size < sizeof(*efi_mmap)) {
                pr_err("mb2: bad EFI memory map tag\n");
                return -EINVAL;
            }
            break;
        case MULTIBOOT2_TAG_TYPE_ACPI_OLD:
        case MULTIBOOT2_TAG_TYPE_ACPI_NEW: {
            const struct mb2_tag_acpi *a = (const void *)tag;
            size_t len = size - sizeof(*a);

            /* The newer RSDP wins whatever the order of the two tags. */
            if (tag->type == MULTIBOOT2_TAG_TYPE_ACPI_OLD && have_acpi_new)
                break;
            if (len < 20) {
                pr_err("mb2: ACPI tag holds a %lu-byte RSDP\n", len);
                return -EINVAL;
            }
            if (len > BOOT_RSDP_MAX)
                len = BOOT_RSDP_MAX;
            memcpy(bi->rsdp, a->rsdp, len);
            bi->rsdp_len = (uint32_t)len;
            have_acpi_new |= tag->type == MULTIBOOT2_TAG_TYPE_ACPI_NEW;
            break;
        }
        case MULTIBOOT2_TAG_TYPE_EFI64:
            if (size < sizeof(struct mb2_tag_efi64)) {
                pr_err("mb2: bad EFI64 tag\n");
                return -EINVAL;
            }
            bi->efi_system_table = ((const struct mb2_tag_efi64 *)tag)->pointer;
            break;
        default:
            break;      /* tags Keel does not use */
        }
        if (have_end)
            break;
        off += (size + MULTIBOOT2_TAG_ALIGN - 1) & ~(size_t)(MULTIBOOT2_TAG_ALIGN - 1);
    }
    if (!have_end) {
        pr_err("mb2: no end tag within %lu bytes\n", total);
        return -EINVAL;
    }
    /* Tag 6 is the loader's digest; the EFI map (tag 17) is the fallback. */
    if (!have_mmap && efi_mmap) {
        unsigned lost = efi_mmap_to_boot_info(bi, efi_mmap->efi_mmap,
                                              efi_mmap->size - sizeof(*efi_mmap),
                                              efi_mmap->descr_size);
        if (lost)
            pr_warn("mb2: %u EFI memory descriptors did not fit\n", lost);
        have_mmap = bi->nr_mem > 0;
    }
    if (!have_mmap) {
        pr_err("mb2: no memory map\n");
        return -EINVAL;
    }
    return 0;
}

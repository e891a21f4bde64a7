/*
 * Multiboot (v1) loader (see keel/mb1.h). ELF32/ELF64 images are loaded by
 * their program headers; the a.out kludge (flag 16) by the header's
 * addresses. Every offset and size from the image is checked before use.
 */
#include <errno.h>
#include <string.h>
#include <multiboot.h>
#include <keel/elf.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mb1.h>

#define LOW_MEM_KB      640
#define SUPPORTED_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE)
#define FOUR_GB         (1ull << 32)

static const struct multiboot_header *find_header(const uint8_t *img, size_t len)
{
    for (size_t off = 0; off + sizeof(struct multiboot_header) <= MIN(len, (size_t)MULTIBOOT_SEARCH);
         off += MULTIBOOT_HEADER_ALIGN) {
        const struct multiboot_header *h = (const void *)(img + off);
        if (h->magic == MULTIBOOT_HEADER_MAGIC && !(uint32_t)(h->magic + h->flags + h->checksum))
            return h;
    }
    return NULL;
}

static int fits(const struct mb1_target *t, uint64_t gpa, uint64_t len)
{
    return gpa < t->ram_bytes && len <= t->ram_bytes - gpa && gpa + len <= FOUR_GB;
}

static int zero(const struct mb1_target *t, uint64_t gpa, uint64_t len)
{
    static const uint8_t zeros[512];

    while (len) {
        uint64_t n = MIN(len, (uint64_t)sizeof(zeros));
        if (t->copy_to(t->opaque, gpa, zeros, n))
            return -EFAULT;
        gpa += n;
        len -= n;
    }
    return 0;
}

/* One loadable segment: file bytes, then zeroes up to memsz. */
static int load_segment(const struct mb1_target *t, const uint8_t *img, size_t len, uint64_t off,
                        uint64_t filesz, uint64_t memsz, uint64_t paddr, uint32_t *end)
{
    if (off > len || filesz > len - off || filesz > memsz) {
        pr_err("mb1: segment outside the image\n");
        return -EINVAL;
    }
    if (!fits(t, paddr, memsz)) {
        pr_err("mb1: segment %#lx+%#lx does not fit in guest RAM\n", (unsigned long)paddr,
               (unsigned long)memsz);
        return -E2BIG;
    }
    if (t->copy_to(t->opaque, paddr, img + off, filesz) || zero(t, paddr + filesz, memsz - filesz))
        return -EFAULT;
    *end = MAX(*end, (uint32_t)(paddr + memsz));
    return 0;
}

static int load_elf(const uint8_t *img, size_t len, const struct mb1_target *t, struct mb1_entry *o)
{
    const Elf32_Ehdr *e32 = (const void *)img;
    int is64;
    uint64_t phoff, phnum, phentsize;

    if (len < sizeof(Elf32_Ehdr) || memcmp(img, ELFMAG, SELFMAG)) {
        pr_err("mb1: not an ELF image and no a.out kludge\n");
        return -EINVAL;
    }
    is64 = img[EI_CLASS] == ELFCLASS64;
    if (is64 && len < sizeof(Elf64_Ehdr))
        return -EINVAL;
    if (is64) {
        const Elf64_Ehdr *e = (const void *)img;
        phoff = e->e_phoff, phnum = e->e_phnum, phentsize = e->e_phentsize;
        if (e->e_machine != EM_X86_64 || e->e_entry >= FOUR_GB) {
            pr_err("mb1: ELF64 image is not x86-64 with a 32-bit entry\n");
            return -EINVAL;
        }
        o->eip = (uint32_t)e->e_entry;
    } else {
        phoff = e32->e_phoff, phnum = e32->e_phnum, phentsize = e32->e_phentsize;
        if (img[EI_CLASS] != ELFCLASS32 || e32->e_machine != EM_386) {
            pr_err("mb1: ELF image is not i386\n");
            return -EINVAL;
        }
        o->eip = e32->e_entry;
    }
    if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phoff > len ||
        phnum * phentsize > len - phoff || !phnum) {
        pr_err("mb1: bad program header table\n");
        return -EINVAL;
    }
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + i * phentsize;
        uint64_t type, off, filesz, memsz, paddr;
        int rc;

        /* Copied out: e_phoff is the image's word, so the table may be misaligned. */
        if (is64) {
            Elf64_Phdr p;
            memcpy(&p, ph, sizeof(p));
            type = p.p_type, off = p.p_offset, filesz = p.p_filesz, memsz = p.p_memsz, paddr = p.p_paddr;
        } else {
            Elf32_Phdr p;
            memcpy(&p, ph, sizeof(p));
            type = p.p_type, off = p.p_offset, filesz = p.p_filesz, memsz = p.p_memsz, paddr = p.p_paddr;
        }
        if (type != PT_LOAD || !memsz)
            continue;
        rc = load_segment(t, img, len, off, filesz, memsz, paddr, &o->image_end);
        if (rc)
            return rc;
    }
    if (!o->image_end) {
        pr_err("mb1: no loadable segment\n");
        return -EINVAL;
    }
    return 0;
}

/* 3.1.3 address fields: the file from header_addr - (load_addr) on is the image. */
static int load_aout(const uint8_t *img, size_t len, const struct multiboot_header *h,
                     const struct mb1_target *t, struct mb1_entry *o)
{
    uint64_t hoff = (uint64_t)((const uint8_t *)h - img), off, end, bss_end;

    if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > hoff) {
        pr_err("mb1: a.out kludge addresses are inconsistent\n");
        return -EINVAL;
    }
    off = hoff - (h->header_addr - h->load_addr);
    end = h->load_end_addr ? h->load_end_addr : h->load_addr + (len - off);
    bss_end = h->bss_end_addr ? h->bss_end_addr : end;
    if (end < h->load_addr || bss_end < end || h->entry_addr < h->load_addr || h->entry_addr >= bss_end) {
        pr_err("mb1: a.out kludge addresses are inconsistent\n");
        return -EINVAL;
    }
    o->eip = h->entry_addr;
    return load_segment(t, img, len, off, end - h->load_addr, bss_end - h->load_addr, h->load_addr,
                        &o->image_end);
}

int mb1_load(const uint8_t *img, size_t len, const char *cmdline, const struct mb1_module *mods,
             unsigned nr_mods, const struct mb1_target *t, struct mb1_entry *o)
{
    const struct multiboot_header *h = find_header(img, len);
    struct {
        struct multiboot_info info;
        struct multiboot_mmap_entry mmap[2];
        struct multiboot_mod_list mods[MB1_MAX_MODULES];
        char loader[8];
    } __attribute__((packed)) boot;
    uint64_t at, strings;
    int rc;

    memset(o, 0, sizeof(*o));
    if (!h) {
        pr_err("mb1: no multiboot header in the first %u bytes\n", MULTIBOOT_SEARCH);
        return -EINVAL;
    }
    if (h->flags & 0xffff & ~SUPPORTED_FLAGS) {
        pr_err("mb1: required flags %#x are not supported (video mode?)\n", h->flags & 0xffff);
        return -EINVAL;
    }
    if (nr_mods > MB1_MAX_MODULES) {
        pr_err("mb1: %u modules, at most %u\n", nr_mods, MB1_MAX_MODULES);
        return -EINVAL;
    }
    rc = (h->flags & MULTIBOOT_AOUT_KLUDGE) ? load_aout(img, len, h, t, o) : load_elf(img, len, t, o);
    if (rc)
        return rc;
    if (o->eip >= o->image_end) {
        pr_err("mb1: entry point %#x outside the image\n", o->eip);
        return -EINVAL;
    }
    memset(&boot, 0, sizeof(boot));
    /* Modules on page boundaries after the image (flag 0 asks for it; we always do it). */
    at = ALIGN_UP((uint64_t)o->image_end, 4096ull);
    for (unsigned i = 0; i < nr_mods; i++) {
        if (!fits(t, at, mods[i].len)) {
            pr_err("mb1: module %u (%lu bytes) does not fit in guest RAM\n", i, (unsigned long)mods[i].len);
            return -E2BIG;
        }
        if (t->copy_to(t->opaque, at, mods[i].data, mods[i].len))
            return -EFAULT;
        boot.mods[i].mod_start = (uint32_t)at;
        boot.mods[i].mod_end = (uint32_t)(at + mods[i].len);
        at = ALIGN_UP(at + mods[i].len + 1, 4096ull);
    }
    /* Then the information structure, followed by its strings. */
    strings = at + sizeof(boot);
    if (!fits(t, at, sizeof(boot)) || t->ram_bytes < 0x200000) {
        pr_err("mb1: no room for the boot information\n");
        return -E2BIG;
    }
    boot.info.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
                      MULTIBOOT_INFO_BOOT_LOADER_NAME | MULTIBOOT_INFO_MODS;
    boot.info.mem_lower = LOW_MEM_KB;
    boot.info.mem_upper = (uint32_t)((MIN(t->ram_bytes, FOUR_GB) - 0x100000) >> 10);
    /* 3.3: each entry's size field excludes itself. */
    boot.mmap[0] = (struct multiboot_mmap_entry){ sizeof(boot.mmap[0]) - 4, 0, LOW_MEM_KB * 1024,
                                                  MULTIBOOT_MEMORY_AVAILABLE };
    boot.mmap[1] = (struct multiboot_mmap_entry){ sizeof(boot.mmap[1]) - 4, 0x100000,
                                                  t->ram_bytes - 0x100000, MULTIBOOT_MEMORY_AVAILABLE };
    boot.info.mmap_addr = (uint32_t)(at + offsetof(__typeof__(boot), mmap));
    boot.info.mmap_length = sizeof(boot.mmap);
    boot.info.mods_count = nr_mods;
    boot.info.mods_addr = (uint32_t)(at + offsetof(__typeof__(boot), mods));
    memcpy(boot.loader, "Keel", 5);
    boot.info.boot_loader_name = (uint32_t)(at + offsetof(__typeof__(boot), loader));
    for (int i = -1; i < (int)nr_mods; i++) {
        const char *s = i < 0 ? cmdline : (mods[i].cmdline ? mods[i].cmdline : "");
        uint64_t n = strlen(s) + 1;

        if (!fits(t, strings, n)) {
            pr_err("mb1: no room for the command lines\n");
            return -E2BIG;
        }
        if (t->copy_to(t->opaque, strings, s, n))
            return -EFAULT;
        if (i < 0)
            boot.info.cmdline = (uint32_t)strings;
        else
            boot.mods[i].cmdline = (uint32_t)strings;
        strings += n;
    }
    if (t->copy_to(t->opaque, at, &boot, sizeof(boot)))
        return -EFAULT;
    o->mbi = (uint32_t)at;
    return 0;
}

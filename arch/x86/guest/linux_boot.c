/*
 * Linux x86 boot protocol, 64-bit entry, and the PVH entry (see
 * asm/linux_boot.h). Offsets are those of boot.rst ("THE REAL-MODE KERNEL
 * HEADER") and zero-page.rst; every field read from the image is checked
 * before it is used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <asm/linux_boot.h>
#include <keel/elf.h>
#include <keel/lib.h>
#include <keel/log.h>

/* Setup header, offsets in the image and in boot_params (the same). */
#define LINUX_CMDLINE_BUF   4096        /* the command line with what Keel adds */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200
#define HDR_HEADER          0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260
#define HDR_END_MAX         0x290       /* past the last field Keel knows of */

/* boot_params outside the setup header. */
#define BP_ACPI_RSDP_ADDR   0x070
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_E820_ENTRIES     0x1e8
#define BP_SENTINEL         0x1ef
#define BP_E820_TABLE       0x2d0
#define BP_SIZE             4096

#define HDRS_MAGIC          0x53726448u     /* "HdrS" */
#define LOADED_HIGH         0x01
#define CAN_USE_HEAP        0x80
#define XLF_KERNEL_64       0x01
#define MIN_VERSION         0x020c          /* 2.12: xloadflags, 64-bit entry described */
#define FOUR_GB             (1ull << 32)

static uint16_t rd16(const uint8_t *p, size_t o) { uint16_t v; memcpy(&v, p + o, 2); return v; }
static uint32_t rd32(const uint8_t *p, size_t o) { uint32_t v; memcpy(&v, p + o, 4); return v; }
static uint64_t rd64(const uint8_t *p, size_t o) { uint64_t v; memcpy(&v, p + o, 8); return v; }
static void wr16(uint8_t *p, size_t o, uint16_t v) { memcpy(p + o, &v, 2); }
static void wr32(uint8_t *p, size_t o, uint32_t v) { memcpy(p + o, &v, 4); }
static void wr64(uint8_t *p, size_t o, uint64_t v) { memcpy(p + o, &v, 8); }

static int is_ram(const struct linux_target *t, uint64_t gpa, uint64_t len)
{
    if (gpa > t->ram_bytes || len > t->ram_bytes - gpa)
        return 0;
    for (unsigned i = 0; i < t->nr_e820; i++) {
        const struct linux_e820 *e = &t->e820[i];
        if (e->type == LINUX_E820_RAM && gpa >= e->addr && gpa + len <= e->addr + e->size)
            return 1;
    }
    return 0;
}

static int put(const struct linux_target *t, uint64_t gpa, const void *src, uint64_t len)
{
    return is_ram(t, gpa, len) && !t->copy_to(t->opaque, gpa, src, len) ? 0 : -E2BIG;
}

/*
 * Where a @size-byte kernel aligned to @align goes: @pref if that is RAM,
 * else (a relocatable kernel) the lowest aligned RAM place above @pref.
 */
static uint64_t pick_load(const struct linux_target *t, uint64_t pref, uint64_t align, uint64_t size,
                          int relocatable)
{
    uint64_t best = 0;

    if (is_ram(t, pref, size))
        return pref;
    if (!relocatable)
        return 0;
    for (unsigned i = 0; i < t->nr_e820; i++) {
        const struct linux_e820 *e = &t->e820[i];
        uint64_t a = MAX(ALIGN_UP(e->addr, align), pref);

        if (e->type == LINUX_E820_RAM && a < FOUR_GB && is_ram(t, a, size) && (!best || a < best))
            best = a;
    }
    return best;
}

/* Identity map of the first 4 GiB with 2 MiB pages, and the boot GDT. */
static int build_tables(const struct linux_target *t, struct linux_entry *o)
{
    static const uint64_t gdt[4] = { 0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
    uint64_t table[512];
    int rc;

    memset(table, 0, sizeof(table));
    table[0] = (LINUX_PAGE_TABLES + 0x1000) | 3;                     /* PML4[0] -> PDPT */
    rc = put(t, LINUX_PAGE_TABLES, table, sizeof(table));
    for (unsigned i = 0; i < 4; i++)
        table[i] = (LINUX_PAGE_TABLES + 0x2000 + 0x1000 * i) | 3;    /* PDPT[i] -> PD i */
    if (!rc)
        rc = put(t, LINUX_PAGE_TABLES + 0x1000, table, sizeof(table));
    for (unsigned pd = 0; pd < 4 && !rc; pd++) {
        for (unsigned i = 0; i < 512; i++)
            table[i] = ((uint64_t)pd << 30) + ((uint64_t)i << 21) + 0x83;     /* P RW PS */
        rc = put(t, LINUX_PAGE_TABLES + 0x2000 + 0x1000 * pd, table, sizeof(table));
    }
    if (!rc)
        rc = put(t, LINUX_GDT, gdt, sizeof(gdt));
    o->cr3 = LINUX_PAGE_TABLES;
    o->gdt = LINUX_GDT;
    return rc;
}

static int load_bzimage(const uint8_t *img, size_t len, uint8_t *bp, const struct linux_target *t,
                        struct linux_entry *o)
{
    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    uint64_t pm_off = (uint64_t)(setup_sects + 1) * 512, pm_len, load, align, init_size;
    size_t hdr_end = MIN((size_t)(0x202 + img[HDR_JUMP + 1]), (size_t)HDR_END_MAX);
    uint16_t version = rd16(img, HDR_VERSION);

    if (version < MIN_VERSION || !(rd16(img, HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
        pr_err("linux: boot protocol %x.%02x without a 64-bit entry; need 2.12 and XLF_KERNEL_64\n",
               version >> 8, version & 0xff);
        return -EINVAL;
    }
    if (pm_off >= len || hdr_end > pm_off) {
        pr_err("linux: %u setup sectors run past the %lu-byte image\n", setup_sects, (unsigned long)len);
        return -EINVAL;
    }
    pm_len = len - pm_off;
    if (pm_len <= 0x200) {
        pr_err("linux: a %lu-byte kernel cannot hold its 64-bit entry at +0x200\n", (unsigned long)pm_len);
        return -EINVAL;
    }
    align = rd32(img, HDR_KERNEL_ALIGN);
    load = rd64(img, HDR_PREF_ADDRESS);
    init_size = rd32(img, HDR_INIT_SIZE);
    if (!align || (align & (align - 1)) || align > (1u << 30) || !load || (load & (align - 1)) ||
        load >= FOUR_GB) {
        pr_err("linux: bad load address %#lx or alignment %#lx\n", (unsigned long)load,
               (unsigned long)align);
        return -EINVAL;
    }
    /* The decompressor moves itself up to LOAD_PHYSICAL_ADDR (pref_address) if below it. */
    load = pick_load(t, load, align, MAX(pm_len, init_size), hdr_end > HDR_RELOCATABLE && img[HDR_RELOCATABLE]);
    if (!load) {
        pr_err("linux: the kernel needs %lu MiB of RAM from %#lx\n",
               (unsigned long)(MAX(pm_len, init_size) >> 20), (unsigned long)rd64(img, HDR_PREF_ADDRESS));
        return -E2BIG;
    }
    o->kernel_start = load;
    o->kernel_end = load + MAX(pm_len, init_size);
    if (put(t, load, img + pm_off, pm_len))
        return -E2BIG;
    memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
    wr32(bp, HDR_CODE32_START, (uint32_t)load);
    o->rip = load + 0x200;              /* startup_64: 0x200 past the 32-bit entry (boot.rst) */
    return 0;
}

/*
 * The PVH entry a vmlinux declares (an ELF note "Xen", type
 * XEN_ELFNOTE_PHYS32_ENTRY, a 4- or 8-byte physical address), or 0.
 */
static uint64_t pvh_note(const uint8_t *img, size_t len, const Elf64_Ehdr *eh)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        uint64_t off, end;

        memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
            continue;
        for (off = ph.p_offset, end = ph.p_offset + ph.p_filesz; end - off >= 12;) {
            uint32_t namesz = rd32(img, off), descsz = rd32(img, off + 4), type = rd32(img, off + 8);
            uint64_t name = off + 12, desc = name + ALIGN_UP((uint64_t)namesz, 4);

            if (namesz > end - name || desc > end || descsz > end - desc)
                break;
            if (namesz == 4 && !memcmp(img + name, "Xen", 4) && type == PVH_ELFNOTE_ENTRY &&
                (descsz == 4 || descsz == 8))
                return descsz == 4 ? rd32(img, desc) : rd64(img, desc);
            off = desc + ALIGN_UP((uint64_t)descsz, 4);
            if (off > end)
                break;
        }
    }
    return 0;
}

static int load_vmlinux(const uint8_t *img, size_t len, uint8_t *bp, const struct linux_target *t,
                        struct linux_entry *o)
{
    uint64_t pvh = 0;
    const Elf64_Ehdr *eh = (const void *)img;
    uint64_t lo = ~0ull, hi = 0, delta;

    if (len < sizeof(*eh) || img[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
        (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
        pr_err("linux: not an x86-64 ELF vmlinux\n");
        return -EINVAL;
    }
    /* The physical span of the image first: it moves as a whole. */
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || !ph.p_memsz)
            continue;
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset || ph.p_filesz > ph.p_memsz ||
            ph.p_paddr >= FOUR_GB || ph.p_memsz > FOUR_GB) {
            pr_err("linux: vmlinux segment %u does not fit\n", i);
            return -E2BIG;
        }
        lo = MIN(lo, ph.p_paddr);
        hi = MAX(hi, ph.p_paddr + ph.p_memsz);
    }
    if (hi <= lo || (lo & (0x200000 - 1))) {
        pr_err("linux: vmlinux has no 2 MiB-aligned loadable segments\n");
        return -EINVAL;
    }
    /*
     * A CONFIG_RELOCATABLE vmlinux runs at any 2 MiB-aligned physical address
     * (startup_64 computes its load delta); move it up if its own is not RAM.
     */
    delta = pick_load(t, lo, 0x200000, hi - lo, 1);
    if (!delta) {
        pr_err("linux: the vmlinux needs %lu MiB of RAM from %#lx\n", (unsigned long)((hi - lo) >> 20),
               (unsigned long)lo);
        return -E2BIG;
    }
    if (delta != lo)
        pr_info("linux: vmlinux linked at %#lx loaded at %#lx (relocatable kernels only)\n",
                (unsigned long)lo, (unsigned long)delta);
    /* Linux's PVH entry runs at its link address only (its code uses _pa()): moved, it gets startup_64. */
    if (t->pvh && delta == lo && (pvh = pvh_note(img, len, eh)) && (pvh < lo || pvh >= hi)) {
        pr_err("linux: the PVH entry %#lx is outside the kernel\n", (unsigned long)pvh);
        return -EINVAL;
    }
    delta -= lo;
    o->rip = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || !ph.p_memsz)
            continue;
        if (put(t, ph.p_paddr + delta, img + ph.p_offset, ph.p_filesz))
            return -E2BIG;
        for (uint64_t z = ph.p_filesz; z < ph.p_memsz;) {      /* bss */
            static const uint8_t zeros[4096];
            uint64_t n = MIN(ph.p_memsz - z, (uint64_t)sizeof(zeros));
            if (put(t, ph.p_paddr + delta + z, zeros, n))
                return -E2BIG;
            z += n;
        }
        /* e_entry is physical (ENTRY(phys_startup_64)) or, in other links, virtual. */
        if (eh->e_entry >= ph.p_paddr && eh->e_entry < ph.p_paddr + ph.p_memsz)
            o->rip = eh->e_entry + delta;
        else if (eh->e_entry >= ph.p_vaddr && eh->e_entry - ph.p_vaddr < ph.p_memsz)
            o->rip = ph.p_paddr + delta + (eh->e_entry - ph.p_vaddr);
    }
    if (!o->rip) {
        pr_err("linux: the vmlinux entry point is in no loaded segment\n");
        return -EINVAL;
    }
    if (pvh) {
        o->pvh = 1;
        o->rip = pvh;
    }
    lo += delta;
    hi += delta;
    o->kernel_start = lo;
    o->kernel_end = hi;
    /* A setup header as a bzImage of this protocol would carry one. */
    wr16(bp, HDR_BOOT_FLAG, 0xaa55);
    wr32(bp, HDR_HEADER, HDRS_MAGIC);
    wr16(bp, HDR_VERSION, 0x020f);
    bp[HDR_LOADFLAGS] = LOADED_HIGH;
    wr32(bp, HDR_CODE32_START, (uint32_t)lo);
    wr32(bp, HDR_INITRD_ADDR_MAX, 0x7fffffff);
    wr32(bp, HDR_KERNEL_ALIGN, 0x200000);
    bp[HDR_RELOCATABLE] = 1;
    wr16(bp, HDR_XLOADFLAGS, XLF_KERNEL_64);
    wr32(bp, HDR_CMDLINE_SIZE, 2047);
    return 0;
}

/*
 * PVH: the start_info, the initrd as module 0 and the memory map, in one
 * page (pvh.pandoc: the kernel finds everything through EBX).
 */
static int build_pvh(const struct linux_target *t, uint64_t cmdline, struct linux_entry *o)
{
    static uint8_t page[4096];
    struct pvh_start_info si = { .magic = PVH_START_MAGIC, .version = 1, .cmdline_paddr = cmdline,
                                 .rsdp_paddr = t->rsdp, .memmap_paddr = LINUX_PVH_START + 0x80 };
    struct pvh_module mod = { o->initrd_start, o->initrd_end - o->initrd_start, 0, 0 };

    _Static_assert(0x80 + LINUX_E820_MAX * sizeof(struct pvh_memmap_entry) <= sizeof(page), "PVH page");
    memset(page, 0, sizeof(page));
    if (o->initrd_end) {
        si.nr_modules = 1;
        si.modlist_paddr = LINUX_PVH_START + 0x40;
        memcpy(page + 0x40, &mod, sizeof(mod));
    }
    for (unsigned i = 0; i < t->nr_e820 && i < LINUX_E820_MAX; i++) {
        struct pvh_memmap_entry m = { t->e820[i].addr, t->e820[i].size, t->e820[i].type, 0 };
        memcpy(page + 0x80 + i * sizeof(m), &m, sizeof(m));
        si.memmap_entries++;
    }
    memcpy(page, &si, sizeof(si));
    o->rbx = LINUX_PVH_START;
    return put(t, LINUX_PVH_START, page, sizeof(page));
}

int linux_load(const uint8_t *img, size_t len, const char *cmdline, const uint8_t *initrd,
               size_t initrd_len, const struct linux_target *t, struct linux_entry *o)
{
    static uint8_t bp[BP_SIZE];
    static char cmd[LINUX_CMDLINE_BUF];
    size_t cmdlen = strlen(cmdline);
    unsigned n = 0;
    int rc;

    memset(o, 0, sizeof(*o));
    memset(bp, 0, sizeof(bp));
    if (len >= 4 && !memcmp(img, ELFMAG, SELFMAG)) {
        rc = load_vmlinux(img, len, bp, t, o);
    } else if (len > HDR_END_MAX && rd16(img, HDR_BOOT_FLAG) == 0xaa55 && rd32(img, HDR_HEADER) == HDRS_MAGIC) {
        rc = load_bzimage(img, len, bp, t, o);
    } else {
        pr_err("linux: neither a bzImage nor an ELF vmlinux\n");
        rc = -EINVAL;
    }
    if (rc)
        return rc;

    bp[HDR_TYPE_OF_LOADER] = 0xff;                  /* "undefined" boot loader */
    bp[HDR_LOADFLAGS] = (uint8_t)((bp[HDR_LOADFLAGS] | LOADED_HIGH) & ~CAN_USE_HEAP);
    wr16(bp, HDR_HEAP_END_PTR, 0);
    if (t->tsc_khz && !strstr(cmdline, "tsc_early_khz=") && cmdlen < sizeof(cmd) - 32) {
        snprintf(cmd, sizeof(cmd), "%s%stsc_early_khz=%u", cmdline, cmdlen ? " " : "", t->tsc_khz);
        cmdline = cmd;
        cmdlen = strlen(cmd);
    }
    if (cmdlen > rd32(bp, HDR_CMDLINE_SIZE) || cmdlen >= LINUX_CMDLINE - 0x10000) {
        pr_err("linux: command line of %lu bytes; the kernel takes %u\n", (unsigned long)cmdlen,
               rd32(bp, HDR_CMDLINE_SIZE));
        return -EINVAL;
    }
    if (put(t, LINUX_CMDLINE, cmdline, cmdlen + 1))
        return -E2BIG;
    wr32(bp, HDR_CMD_LINE_PTR, (uint32_t)LINUX_CMDLINE);

    if (initrd_len) {
        /* As high as RAM and initrd_addr_max allow, clear of the kernel's init_size. */
        uint64_t top = MIN(MIN(t->ram_bytes, FOUR_GB), (uint64_t)rd32(bp, HDR_INITRD_ADDR_MAX) + 1);
        uint64_t at = 0;

        for (unsigned i = 0; i < t->nr_e820; i++) {
            const struct linux_e820 *e = &t->e820[i];
            uint64_t end = MIN(e->addr + e->size, top), a;

            if (e->type != LINUX_E820_RAM || end < initrd_len || end <= e->addr)
                continue;
            a = (end - initrd_len) & ~0xfffull;
            if (a >= e->addr && a >= o->kernel_end && is_ram(t, a, initrd_len) && a > at)
                at = a;
        }
        if (!at) {
            pr_err("linux: no room for the initrd (%lu bytes) above the kernel\n", (unsigned long)initrd_len);
            return -E2BIG;
        }
        if (put(t, at, initrd, initrd_len))
            return -E2BIG;
        o->initrd_start = at;
        o->initrd_end = at + initrd_len;
        wr32(bp, HDR_RAMDISK_IMAGE, (uint32_t)at);
        wr32(bp, HDR_RAMDISK_SIZE, (uint32_t)initrd_len);
        wr32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)initrd_len >> 32));
    }
    if (o->pvh)
        return build_pvh(t, LINUX_CMDLINE, o);
    wr64(bp, BP_ACPI_RSDP_ADDR, t->rsdp);
    for (unsigned i = 0; i < t->nr_e820 && n < LINUX_E820_MAX; i++, n++) {
        wr64(bp, BP_E820_TABLE + 20 * n, t->e820[i].addr);
        wr64(bp, BP_E820_TABLE + 20 * n + 8, t->e820[i].size);
        wr32(bp, BP_E820_TABLE + 20 * n + 16, t->e820[i].type);
    }
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    bp[BP_SENTINEL] = 0;
    if (put(t, LINUX_ZERO_PAGE, bp, sizeof(bp)))
        return -E2BIG;
    o->rsi = LINUX_ZERO_PAGE;
    return build_tables(t, o);
}

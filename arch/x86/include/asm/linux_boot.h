/*
 * The Linux x86 boot protocol (Documentation/x86/boot.rst, zero-page.rst in
 * linux-source-6.1), 64-bit entry: load a bzImage's protected-mode kernel or
 * an uncompressed vmlinux ELF, build boot_params with e820, command line,
 * initrd and ACPI RSDP, and identity page tables for the entry state.
 * Or, for a vmlinux with a PVH entry note and a target that asks for it,
 * the PVH boot ABI (Xen's docs/misc/pvh.pandoc, hvm/start_info.h): 32-bit
 * protected mode at that entry with EBX -> struct hvm_start_info.
 * Pure: guest memory is reached through a copy callback; host-tested.
 */
#ifndef ASM_LINUX_BOOT_H
#define ASM_LINUX_BOOT_H
#include <stddef.h>
#include <stdint.h>

#define LINUX_E820_MAX      128
#define LINUX_E820_RAM      1
#define LINUX_E820_RESERVED 2
#define LINUX_E820_ACPI     3

struct linux_e820 {
    uint64_t addr, size;
    uint32_t type;
};

struct linux_target {
    uint64_t ram_bytes;                 /* guest RAM is [0, ram_bytes) minus the e820 holes */
    const struct linux_e820 *e820;      /* what the guest is told */
    unsigned nr_e820;
    uint64_t rsdp;                      /* guest-physical RSDP, or 0 */
    int (*copy_to)(void *opaque, uint64_t gpa, const void *src, uint64_t len);
    void *opaque;
    int pvh;                            /* enter through the PVH note if the kernel has one */
    /* The TSC's rate, told the kernel as tsc_early_khz= unless its command line says it
     * (on AMD, CPUID has no leaf with it: the kernel would calibrate against a PIT). 0: not told. */
    uint32_t tsc_khz;
};

struct linux_entry {
    int pvh;                            /* PVH: 32-bit entry at @rip, EBX = @rbx; no @rsi, @cr3, @gdt */
    uint64_t rbx;                       /* PVH: struct hvm_start_info */
    uint64_t rip;                       /* 64-bit entry (startup_64) */
    uint64_t rsi;                       /* boot_params */
    uint64_t cr3;                       /* identity page tables for the first 4 GiB */
    uint64_t gdt;                       /* a GDT with __BOOT_CS (0x10) and __BOOT_DS (0x18) */
    uint64_t kernel_start, kernel_end;  /* what the kernel may use while it starts (init_size) */
    uint64_t initrd_start, initrd_end;
};

/* Fixed guest-physical places of what the loader builds (all below 1 MiB). */
#define LINUX_ZERO_PAGE     0x7000ull
#define LINUX_CMDLINE       0x20000ull
#define LINUX_GDT           0x6000ull
#define LINUX_PAGE_TABLES   0x9000ull   /* PML4, PDPT and 4 page directories: 6 pages */
#define LINUX_BOOT_CS       0x10
#define LINUX_BOOT_DS       0x18
#define LINUX_PVH_START     0x7000ull   /* PVH: start_info, module list and memory map, in one page */

/* The PVH start_info (version 1) and what it points to. */
#define PVH_START_MAGIC     0x336ec578u
#define PVH_ELFNOTE_ENTRY   18          /* XEN_ELFNOTE_PHYS32_ENTRY, in a "Xen" note */
struct pvh_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries, reserved;
};
struct pvh_module {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
struct pvh_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};
_Static_assert(sizeof(struct pvh_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct pvh_module) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "hvm_memmap_table_entry layout");

/*
 * Load @img (a bzImage, or an ELF vmlinux) with @cmdline and an optional
 * initrd. Returns 0, or -EINVAL for an image Keel cannot boot (with a log
 * line saying why), -E2BIG when it does not fit. With @t->pvh, a vmlinux
 * that has a PVH entry and runs where it is linked is entered through it
 * (@out->pvh); anything else gets the 64-bit entry.
 */
int linux_load(const uint8_t *img, size_t len, const char *cmdline, const uint8_t *initrd,
               size_t initrd_len, const struct linux_target *t, struct linux_entry *out);
#endif

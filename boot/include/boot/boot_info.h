/*
 * struct boot_info: the one hand-off from a boot path to the core.
 *
 * The multiboot2 path fills it from GRUB's tags (boot/mb2.c); the UEFI loader
 * (boot/efi/) fills it itself before ExitBootServices and enters the same
 * 64-bit entry. Fixed-width fields and no pointers: the loader is a separate
 * binary built with a different ABI (ms_abi), and this struct is its contract.
 */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#define BOOT_INFO_MAGIC        0x4b65656c426f6f74ull  /* "KeelBoot" */
#define BOOT_INFO_VERSION      1

/* Values of RDI at keel_entry64: which boot path RSI points to. */
#define BOOT_ENTRY_MULTIBOOT2  1   /* RSI = multiboot2 information structure */
#define BOOT_ENTRY_BOOT_INFO   2   /* RSI = struct boot_info (UEFI loader) */

#define BOOT_CMDLINE_MAX       1024
#define BOOT_MEM_MAX           256
#define BOOT_MODULES_MAX       16
#define BOOT_MOD_CMDLINE_MAX   256
#define BOOT_LOADER_NAME_MAX   64
#define BOOT_RSDP_MAX          36    /* ACPI 2.0+ RSDP length */

/* Memory range types: the E820/multiboot2 numbering. */
#define BOOT_MEM_RAM           1
#define BOOT_MEM_RESERVED      2
#define BOOT_MEM_ACPI          3
#define BOOT_MEM_NVS           4
#define BOOT_MEM_UNUSABLE      5

/* ELF note that carries the 64-bit entry point for the UEFI loader. */
#define KEEL_NOTE_NAME         "Keel"
#define KEEL_NOTE_ENTRY64      1

#ifndef __ASSEMBLER__
#include <stdint.h>

struct boot_mem_range {
    uint64_t base;
    uint64_t len;
    uint32_t type;                  /* BOOT_MEM_* */
    uint32_t pad;
};

struct boot_module {
    uint64_t start;                 /* physical, inclusive */
    uint64_t end;                   /* physical, exclusive */
    char cmdline[BOOT_MOD_CMDLINE_MAX];
};

struct boot_info {
    uint64_t magic;                 /* BOOT_INFO_MAGIC */
    uint32_t version;               /* BOOT_INFO_VERSION */
    uint32_t nr_mem;
    uint32_t nr_modules;
    uint32_t rsdp_len;              /* 0: none given, scan the BIOS area */
    uint64_t efi_system_table;      /* 0 when not booted from UEFI */
    uint64_t info_start, info_end;  /* where the loader's own data lives */
    char loader[BOOT_LOADER_NAME_MAX];
    char cmdline[BOOT_CMDLINE_MAX];
    uint8_t rsdp[BOOT_RSDP_MAX];
    uint32_t pad;
    struct boot_mem_range mem[BOOT_MEM_MAX];
    struct boot_module modules[BOOT_MODULES_MAX];
};

_Static_assert(sizeof(struct boot_mem_range) == 24, "boot_mem_range layout");
_Static_assert(sizeof(struct boot_module) == 16 + BOOT_MOD_CMDLINE_MAX, "boot_module layout");
_Static_assert(sizeof(struct boot_info) % 8 == 0, "boot_info layout");

/*
 * Append a range to bi->mem. Returns 0, or -1 when the table is full (the
 * caller reports it; the range is lost but boot goes on with what fits).
 */
static inline int boot_info_add_mem(struct boot_info *bi, uint64_t base,
                                    uint64_t len, uint32_t type)
{
    if (bi->nr_mem >= BOOT_MEM_MAX)
        return -1;
    bi->mem[bi->nr_mem].base = base;
    bi->mem[bi->nr_mem].len = len;
    bi->mem[bi->nr_mem].type = type;
    bi->mem[bi->nr_mem].pad = 0;
    bi->nr_mem++;
    return 0;
}
#endif /* !__ASSEMBLER__ */
#endif

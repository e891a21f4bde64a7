/*
 * Multiboot2 definitions, written from "The Multiboot2 Specification"
 * (version 2.0). Debian ships no installable header for it, so this is the
 * one place the numbers live. Only what Keel uses or validates is here.
 */
#ifndef BOOT_MULTIBOOT2_H
#define BOOT_MULTIBOOT2_H

/* 3.1.1: the header's magic field; 3.2: EAX on entry. */
#define MULTIBOOT2_HEADER_MAGIC          0xe85250d6
#define MULTIBOOT2_BOOTLOADER_MAGIC      0x36d76289
#define MULTIBOOT2_ARCH_I386             0
#define MULTIBOOT2_HEADER_ALIGN          8
#define MULTIBOOT2_SEARCH                32768

/* 3.1.3: header tags. */
#define MULTIBOOT2_HEADER_TAG_END                   0
#define MULTIBOOT2_HEADER_TAG_INFORMATION_REQUEST   1
#define MULTIBOOT2_HEADER_TAG_ADDRESS               2
#define MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS         3
#define MULTIBOOT2_HEADER_TAG_CONSOLE_FLAGS         4
#define MULTIBOOT2_HEADER_TAG_FRAMEBUFFER           5
#define MULTIBOOT2_HEADER_TAG_MODULE_ALIGN          6
#define MULTIBOOT2_HEADER_TAG_EFI_BS                7
#define MULTIBOOT2_HEADER_TAG_OPTIONAL              1

/* 3.6: boot information tags. */
#define MULTIBOOT2_TAG_ALIGN                 8
#define MULTIBOOT2_TAG_TYPE_END              0
#define MULTIBOOT2_TAG_TYPE_CMDLINE          1
#define MULTIBOOT2_TAG_TYPE_BOOT_LOADER_NAME 2
#define MULTIBOOT2_TAG_TYPE_MODULE           3
#define MULTIBOOT2_TAG_TYPE_BASIC_MEMINFO    4
#define MULTIBOOT2_TAG_TYPE_BOOTDEV          5
#define MULTIBOOT2_TAG_TYPE_MMAP             6
#define MULTIBOOT2_TAG_TYPE_VBE              7
#define MULTIBOOT2_TAG_TYPE_FRAMEBUFFER      8
#define MULTIBOOT2_TAG_TYPE_ELF_SECTIONS     9
#define MULTIBOOT2_TAG_TYPE_APM              10
#define MULTIBOOT2_TAG_TYPE_EFI32            11
#define MULTIBOOT2_TAG_TYPE_EFI64            12
#define MULTIBOOT2_TAG_TYPE_SMBIOS           13
#define MULTIBOOT2_TAG_TYPE_ACPI_OLD         14
#define MULTIBOOT2_TAG_TYPE_ACPI_NEW         15
#define MULTIBOOT2_TAG_TYPE_NETWORK          16
#define MULTIBOOT2_TAG_TYPE_EFI_MMAP         17
#define MULTIBOOT2_TAG_TYPE_EFI_BS           18
#define MULTIBOOT2_TAG_TYPE_EFI32_IH         19
#define MULTIBOOT2_TAG_TYPE_EFI64_IH         20
#define MULTIBOOT2_TAG_TYPE_LOAD_BASE_ADDR   21

/* 3.6.8: memory map entry types. */
#define MULTIBOOT2_MEMORY_AVAILABLE          1
#define MULTIBOOT2_MEMORY_RESERVED           2
#define MULTIBOOT2_MEMORY_ACPI_RECLAIMABLE   3
#define MULTIBOOT2_MEMORY_NVS                4
#define MULTIBOOT2_MEMORY_BADRAM             5

#ifndef __ASSEMBLER__
#include <stdint.h>

struct mb2_info_header {
    uint32_t total_size;
    uint32_t reserved;
};

struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

struct mb2_tag_string {            /* CMDLINE, BOOT_LOADER_NAME */
    uint32_t type;
    uint32_t size;
    char string[];
};

struct mb2_tag_module {
    uint32_t type;
    uint32_t size;
    uint32_t mod_start;
    uint32_t mod_end;
    char cmdline[];
};

struct mb2_mmap_entry {
    uint64_t addr;
    uint64_t len;
    uint32_t type;
    uint32_t zero;
};

struct mb2_tag_mmap {
    uint32_t type;
    uint32_t size;
    uint32_t entry_size;
    uint32_t entry_version;
    struct mb2_mmap_entry entries[];
};

struct mb2_tag_efi_mmap {
    uint32_t type;
    uint32_t size;
    uint32_t descr_size;
    uint32_t descr_vers;
    uint8_t efi_mmap[];
};

struct mb2_tag_acpi {              /* ACPI_OLD, ACPI_NEW: a copy of the RSDP */
    uint32_t type;
    uint32_t size;
    uint8_t rsdp[];
};

struct mb2_tag_efi64 {
    uint32_t type;
    uint32_t size;
    uint64_t pointer;
};

struct mb2_tag_load_base_addr {
    uint32_t type;
    uint32_t size;
    uint32_t load_base_addr;
};
#endif /* !__ASSEMBLER__ */
#endif

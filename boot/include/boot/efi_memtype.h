/*
 * UEFI memory types (UEFI 2.10, 7.2 EFI_BOOT_SERVICES.AllocatePages) and
 * their meaning once boot services have been exited. Shared by the UEFI
 * loader and by the multiboot2 parser (GRUB EFI passes the EFI map, tag 17).
 */
#ifndef BOOT_EFI_MEMTYPE_H
#define BOOT_EFI_MEMTYPE_H
#include <stdint.h>
#include <boot/boot_info.h>

#define KEEL_EFI_PAGE 4096ull

enum efi_mem_type {
    EFI_RESERVED_MEMORY = 0,
    EFI_LOADER_CODE,
    EFI_LOADER_DATA,
    EFI_BOOT_SERVICES_CODE,
    EFI_BOOT_SERVICES_DATA,
    EFI_RUNTIME_SERVICES_CODE,
    EFI_RUNTIME_SERVICES_DATA,
    EFI_CONVENTIONAL_MEMORY,
    EFI_UNUSABLE_MEMORY,
    EFI_ACPI_RECLAIM_MEMORY,
    EFI_ACPI_MEMORY_NVS,
    EFI_MEMORY_MAPPED_IO,
    EFI_MEMORY_MAPPED_IO_PORT_SPACE,
    EFI_PAL_CODE,
    EFI_PERSISTENT_MEMORY,
};

/* The layout of EFI_MEMORY_DESCRIPTOR; descriptors may be larger (DescriptorSize). */
struct efi_mem_desc {
    uint32_t type;
    uint32_t pad;
    uint64_t phys_start;
    uint64_t virt_start;
    uint64_t num_pages;
    uint64_t attribute;
};

/* After ExitBootServices, loader and boot-services memory is free RAM. */
static inline uint32_t efi_mem_type_to_boot(uint32_t type)
{
    switch (type) {
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_BOOT_SERVICES_CODE:
    case EFI_BOOT_SERVICES_DATA:
    case EFI_CONVENTIONAL_MEMORY:
        return BOOT_MEM_RAM;
    case EFI_ACPI_RECLAIM_MEMORY:
        return BOOT_MEM_ACPI;
    case EFI_ACPI_MEMORY_NVS:
        return BOOT_MEM_NVS;
    case EFI_UNUSABLE_MEMORY:
        return BOOT_MEM_UNUSABLE;
    default:
        return BOOT_MEM_RESERVED;
    }
}

/*
 * Convert a UEFI memory map into bi->mem, merging neighbours of one type.
 * Returns the number of descriptors that did not fit (0 when all did).
 */
static inline unsigned efi_mmap_to_boot_info(struct boot_info *bi, const uint8_t *map,
                                             uint64_t map_size, uint64_t desc_size)
{
    unsigned lost = 0;

    if (desc_size < sizeof(struct efi_mem_desc))
        return (unsigned)(map_size ? 1 : 0);
    for (uint64_t off = 0; off + desc_size <= map_size; off += desc_size) {
        struct efi_mem_desc d;
        uint32_t type;
        uint64_t len;

        /* Copied out: DescriptorSize comes from the firmware (or a hostile tag). */
        __builtin_memcpy(&d, map + off, sizeof(d));
        type = efi_mem_type_to_boot(d.type);
        if (d.num_pages == 0 || d.num_pages > (UINT64_MAX - d.phys_start) / KEEL_EFI_PAGE)
            continue;
        len = d.num_pages * KEEL_EFI_PAGE;
        if (bi->nr_mem) {
            struct boot_mem_range *last = &bi->mem[bi->nr_mem - 1];
            if (last->type == type && last->base + last->len == d.phys_start) {
                last->len += len;
                continue;
            }
        }
        if (boot_info_add_mem(bi, d.phys_start, len, type))
            lost++;
    }
    return lost;
}
#endif

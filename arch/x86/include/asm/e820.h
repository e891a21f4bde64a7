/*
 * An E820 map under construction (for a Linux guest's boot_params): ranges
 * painted with a type, later paint winning, kept sorted, split and merged.
 * Pure, host-tested.
 */
#ifndef ASM_E820_H
#define ASM_E820_H
#include <stdint.h>
#include <asm/linux_boot.h>

struct e820_map {
    unsigned n;
    struct linux_e820 e[LINUX_E820_MAX];
};

/* Make [base, end) of type @type. 0, or -E2BIG when the map would overflow (then unchanged). */
int e820_set(struct e820_map *m, uint64_t base, uint64_t end, uint32_t type);
/* Remove [base, end) from the map (a hole). 0 or -E2BIG. */
int e820_clear(struct e820_map *m, uint64_t base, uint64_t end);
/* Bytes of @type in the map. */
uint64_t e820_total(const struct e820_map *m, uint32_t type);
#endif

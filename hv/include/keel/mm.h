/* Host memory: the boot memory map digested, and the frame allocator. */
#ifndef KEEL_MM_H
#define KEEL_MM_H
#include <stddef.h>
#include <stdint.h>
#include <boot/boot_info.h>

struct mem_range {
    uint64_t base, end;             /* [base, end) */
};

#define MEMMAP_MAX_RANGES   (BOOT_MEM_MAX + 32)

/*
 * RAM of @bi minus every non-RAM range of the map (overlaps: reserved wins,
 * as E820 consumers do) and minus @resv: page-aligned inwards, sorted,
 * merged. Returns the number of ranges written to @out (at most @max).
 */
size_t memmap_free_ranges(const struct boot_info *bi, const struct mem_range *resv,
                          size_t nr_resv, struct mem_range *out, size_t max);

/* Remove [base, end) from a sorted range list in place; returns the new count. */
size_t memmap_subtract(struct mem_range *r, size_t n, size_t max, uint64_t base, uint64_t end);

/* Is all of [base, base + len) RAM (and no other type) in @bi's map? */
int memmap_is_ram(const struct boot_info *bi, uint64_t base, uint64_t len);
/* The lowest @len-byte, page-aligned RAM block in [lo, hi), or 0. */
uint64_t memmap_find_ram(const struct boot_info *bi, uint64_t lo, uint64_t hi, uint64_t len);

/* Digest the map, build the page tables, start the allocator. 0 or -errno. */
int memory_init(const struct boot_info *bi);

/* 2^order contiguous frames (contents undefined): a physical address, or 0. */
uint64_t alloc_pages(unsigned order);
/* The 2^order frames at @pa, if the allocator has all of them free: @pa, or 0. */
uint64_t alloc_pages_at(uint64_t pa, unsigned order);
void free_pages(uint64_t pa, unsigned order);
uint64_t mm_free_bytes(void);
/* The RAM the boot memory map lists (usable ranges), in bytes. */
uint64_t mm_total_bytes(void);
/* The boot modules have been used: their memory joins the allocator (and @bi forgets them). */
void mm_release_boot_modules(struct boot_info *bi);
#endif

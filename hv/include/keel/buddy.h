/*
 * Buddy allocator of host frames.
 *
 * Free blocks are kept on per-order doubly linked lists whose nodes live in
 * the free frames themselves; a byte of metadata per frame records whether a
 * frame heads a free or an allocated block and its order, so a double free
 * or a free of the wrong order is detected and refused, not absorbed.
 * Frame 0 of the zone is never handed out: 0 means "no memory".
 */
#ifndef KEEL_BUDDY_H
#define KEEL_BUDDY_H
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT       12
#define PAGE_SIZE        (1ull << PAGE_SHIFT)
#define BUDDY_MAX_ORDER  18          /* 1 GiB blocks */

struct buddy_node {
    struct buddy_node *next, *prev;
};

struct buddy {
    uint64_t base_pfn;               /* first frame the zone covers */
    uint64_t nr_frames;
    uint8_t *meta;                   /* nr_frames bytes */
    intptr_t virt_offset;            /* virtual = physical + virt_offset */
    struct buddy_node free_list[BUDDY_MAX_ORDER + 1];
    uint64_t nr_free[BUDDY_MAX_ORDER + 1];
    uint64_t free_frames;
};

/* Bytes of metadata buddy_init() needs for a zone of @nr_frames frames. */
static inline size_t buddy_meta_size(uint64_t nr_frames) { return (size_t)nr_frames; }

/* Set up an empty zone: every frame starts out reserved. */
void buddy_init(struct buddy *b, uint64_t base_pa, uint64_t nr_frames,
                uint8_t *meta, intptr_t virt_offset);

/* Hand the frames of [pa, pa + len) (rounded inwards to pages) to the allocator. */
void buddy_add_range(struct buddy *b, uint64_t pa, uint64_t len);

/* Allocate 2^order contiguous frames aligned to their size: a physical address, or 0. */
uint64_t buddy_alloc(struct buddy *b, unsigned order);

/* Allocate the block of 2^order frames at @pa (aligned to its size) if all of it is free: @pa, or 0. */
uint64_t buddy_alloc_at(struct buddy *b, uint64_t pa, unsigned order);

/* Free a block from buddy_alloc(). Returns 0, or -EINVAL for a bad or double free. */
int buddy_free(struct buddy *b, uint64_t pa, unsigned order);

/* Largest order with a free block, or -1. */
int buddy_largest_free_order(const struct buddy *b);
#endif

/*
 * x86-64 4-level paging structures (SDM Vol. 3A, 4.5): entry bits with SDM
 * names, accessors, and the page-table builder (arch/x86/mm/pagetable.c),
 * which is pure and host-tested.
 */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H
#include <stdint.h>

typedef uint64_t pte_t;

#define PT_ENTRIES      512
#define PTE_P           (1ull << 0)
#define PTE_RW          (1ull << 1)
#define PTE_US          (1ull << 2)
#define PTE_PWT         (1ull << 3)
#define PTE_PCD         (1ull << 4)
#define PTE_A           (1ull << 5)
#define PTE_D           (1ull << 6)
#define PTE_PS          (1ull << 7)      /* in PDPTE/PDE: maps a 1 GiB / 2 MiB page */
#define PTE_G           (1ull << 8)
#define PTE_NX          (1ull << 63)
#define PTE_ADDR_MASK   0x000ffffffffff000ull
/* What a leaf may carry from the caller (attributes, not the address or PS). */
#define PTE_ATTR_MASK   (PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_G | PTE_NX)

/* Levels, numbered as the SDM's walk: 1 = PT (4 KiB) ... 4 = PML4. */
#define PT_LEVEL_4K     1
#define PT_LEVEL_2M     2
#define PT_LEVEL_1G     3
#define PT_LEVEL_PML4   4

static inline unsigned pt_index(uint64_t va, unsigned level)
{
    return (unsigned)(va >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static inline uint64_t pt_level_size(unsigned level) { return 1ull << (12 + 9 * (level - 1)); }
static inline uint64_t pte_addr(pte_t e) { return e & PTE_ADDR_MASK; }
static inline int pte_is_leaf(pte_t e, unsigned level)
{
    return level == PT_LEVEL_4K || (level <= PT_LEVEL_1G && (e & PTE_PS));
}

/* Second-level (EPT/NPT) permissions and memory types as the hvm ops take them (PAT encodings). */
#define P2M_R       1u
#define P2M_W       2u
#define P2M_X       4u
#define P2M_RWX     7u
#define P2M_MT_UC   0u
#define P2M_MT_WB   6u

/*
 * The entry format: the builder serves both the CPU's page tables and EPT
 * (SDM 29.3.2), which share the 4-level shape, PS at bit 7 and the address
 * bits, and differ in what "present" is and which bits carry permissions.
 */
struct pt_format {
    uint64_t present;       /* an entry is present if any of these bits is set */
    uint64_t table;         /* bits of a non-leaf entry (grants all: leaves decide) */
    uint64_t attr_mask;     /* leaf attribute bits the caller controls */
    uint64_t leaf;          /* bits every leaf carries */
};
extern const struct pt_format pt_format_x86;

static inline int pte_present(pte_t e) { return (e & PTE_P) != 0; }

/* Where tables come from and how the builder reaches them. */
struct pt_ctx {
    const struct pt_format *fmt;             /* NULL: pt_format_x86 */
    uint64_t (*alloc_table)(void *opaque);   /* a zeroed 4 KiB frame's physical address, or 0 */
    void *opaque;
    intptr_t virt_offset;                    /* virtual = physical + virt_offset */
    unsigned max_leaf_level;                 /* PT_LEVEL_2M, or PT_LEVEL_1G if the CPU has 1 GiB pages */
};

/*
 * Map [va, va + size) to [pa, pa + size) with @attr (PTE_ATTR_MASK bits; P is
 * implied), using the largest pages that alignment and ctx->max_leaf_level
 * allow. Existing mappings in the range are replaced; a large page that is
 * only partly covered is split first so the rest of it keeps its mapping.
 * Returns 0, -EINVAL (unaligned or non-canonical) or -ENOMEM.
 */
int pt_map(const struct pt_ctx *ctx, uint64_t root, uint64_t va, uint64_t pa,
           uint64_t size, uint64_t attr);

/* Remove the mappings of [va, va + size), splitting large pages at the edges. */
int pt_unmap(const struct pt_ctx *ctx, uint64_t root, uint64_t va, uint64_t size);

/* Translate @va: 0 with the address, attributes and level filled in, or -ENOENT. */

int pt_lookup(const struct pt_ctx *ctx, uint64_t root, uint64_t va,
              uint64_t *pa, uint64_t *attr, unsigned *level);

/*
 * Count leaf mappings that are both writable and executable, taking the
 * permissions of every level of the walk into account.
 */
uint64_t pt_count_wx(const struct pt_ctx *ctx, uint64_t root);

/* Give every table of the tree at @root, @root included, to @free_table (a domain's EPT or NPT going). */
void pt_free_tables(const struct pt_ctx *ctx, uint64_t root, void (*free_table)(uint64_t pa));
#endif

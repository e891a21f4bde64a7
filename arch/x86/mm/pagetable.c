/*
 * 4-level page-table builder (SDM Vol. 3A, 4.5). Pure: tables are reached
 * through ctx->virt_offset and allocated through ctx->alloc_table, so the
 * same code builds the hypervisor's tables and runs on the host in tests.
 */
#include <errno.h>
#include <string.h>
#include <asm/page.h>

#define CANONICAL_LIMIT  (1ull << 47)
#define PHYS_LIMIT       (PTE_ADDR_MASK | 0xfff)

/* Non-leaf entries grant everything; leaves decide (SDM 4.6: rights combine). */
const struct pt_format pt_format_x86 = {
    .present = PTE_P,
    .table = PTE_P | PTE_RW,
    .attr_mask = PTE_ATTR_MASK,
    .leaf = PTE_P,
};

static inline const struct pt_format *fmt_of(const struct pt_ctx *ctx)
{
    return ctx->fmt ? ctx->fmt : &pt_format_x86;
}

static inline int present(const struct pt_ctx *ctx, pte_t e)
{
    return (e & fmt_of(ctx)->present) != 0;
}

static inline pte_t *table_of(const struct pt_ctx *ctx, uint64_t pa)
{
    return (pte_t *)(uintptr_t)((intptr_t)pa + ctx->virt_offset);
}

static uint64_t new_table(const struct pt_ctx *ctx)
{
    uint64_t pa = ctx->alloc_table(ctx->opaque);

    if (pa)
        memset(table_of(ctx, pa), 0, PT_ENTRIES * sizeof(pte_t));
    return pa;
}

/* Replace the large leaf *e (at @level) by a table of 512 smaller leaves. */
static int split(const struct pt_ctx *ctx, pte_t *e, unsigned level)
{
    const struct pt_format *f = fmt_of(ctx);
    uint64_t table = new_table(ctx), step = pt_level_size(level - 1);
    uint64_t attr = *e & f->attr_mask, base = pte_addr(*e) & ~(pt_level_size(level) - 1);
    pte_t *t;

    if (!table)
        return -ENOMEM;
    t = table_of(ctx, table);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        t[i] = (base + i * step) | attr | f->leaf | (level - 1 > PT_LEVEL_4K ? PTE_PS : 0);
    *e = table | f->table;
    return 0;
}

/* Walk to the entry for @va at @target level, creating or splitting tables. */
static int walk_create(const struct pt_ctx *ctx, uint64_t root, uint64_t va,
                       unsigned target, pte_t **out)
{
    pte_t *t = table_of(ctx, root);

    for (unsigned level = PT_LEVEL_PML4; level > target; level--) {
        pte_t *e = &t[pt_index(va, level)];

        if (!present(ctx, *e)) {
            uint64_t table = new_table(ctx);
            if (!table)
                return -ENOMEM;
            *e = table | fmt_of(ctx)->table;
        } else if (pte_is_leaf(*e, level)) {
            int rc = split(ctx, e, level);
            if (rc)
                return rc;
        }
        t = table_of(ctx, pte_addr(*e));
    }
    *out = &t[pt_index(va, target)];
    return 0;
}

static int check_range(uint64_t va, uint64_t size)
{
    if ((va | size) & (pt_level_size(PT_LEVEL_4K) - 1) || !size)
        return -EINVAL;
    if (va >= CANONICAL_LIMIT || size > CANONICAL_LIMIT - va)
        return -EINVAL;   /* the lower half only: the hypervisor is identity-mapped */
    return 0;
}

static unsigned best_level(const struct pt_ctx *ctx, uint64_t va, uint64_t pa, uint64_t left)
{
    unsigned level = ctx->max_leaf_level;

    while (level > PT_LEVEL_4K) {
        uint64_t sz = pt_level_size(level);
        if (!((va | pa) & (sz - 1)) && left >= sz)
            break;
        level--;
    }
    return level;
}

/* The entry for @va at @level if the tables down to it exist, else NULL (nothing is created). */
static pte_t *find_entry(const struct pt_ctx *ctx, uint64_t root, uint64_t va, unsigned level)
{
    pte_t *t = table_of(ctx, root);

    for (unsigned l = PT_LEVEL_PML4; l > level; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!present(ctx, e) || pte_is_leaf(e, l))
            return NULL;
        t = table_of(ctx, pte_addr(e));
    }
    return &t[pt_index(va, level)];
}

/*
 * The level of the next leaf: the largest that fits, but never one that
 * would drop an existing table, which a CPU may still be walking and
 * nobody would free: the range is mapped inside that table instead.
 */
static unsigned leaf_level(const struct pt_ctx *ctx, uint64_t root, uint64_t va, uint64_t pa, uint64_t left)
{
    unsigned level = best_level(ctx, va, pa, left);
    const pte_t *e;

    while (level > PT_LEVEL_4K && (e = find_entry(ctx, root, va, level)) && present(ctx, *e) &&
           !pte_is_leaf(*e, level))
        level--;
    return level;
}

int pt_map(const struct pt_ctx *ctx, uint64_t root, uint64_t va, uint64_t pa,
           uint64_t size, uint64_t attr)
{
    int rc = check_range(va, size);

    if (rc)
        return rc;
    /* The frames must exist: 4K-aligned, within MAXPHYADDR's 52-bit limit. */
    if ((pa & (pt_level_size(PT_LEVEL_4K) - 1)) || pa > PHYS_LIMIT || size - 1 > PHYS_LIMIT - pa)
        return -EINVAL;
    attr &= fmt_of(ctx)->attr_mask;
    while (size) {
        unsigned level = leaf_level(ctx, root, va, pa, size);
        pte_t *e;

        rc = walk_create(ctx, root, va, level, &e);
        if (rc)
            return rc;
        *e = pa | attr | fmt_of(ctx)->leaf | (level > PT_LEVEL_4K ? PTE_PS : 0);
        va += pt_level_size(level);
        pa += pt_level_size(level);
        size -= pt_level_size(level);
    }
    return 0;
}

int pt_unmap(const struct pt_ctx *ctx, uint64_t root, uint64_t va, uint64_t size)
{
    int rc = check_range(va, size);

    while (!rc && size) {
        unsigned level = leaf_level(ctx, root, va, 0, size);
        pte_t *e;

        rc = walk_create(ctx, root, va, level, &e);
        if (!rc) {
            *e = 0;
            va += pt_level_size(level);
            size -= pt_level_size(level);
        }
    }
    return rc;
}

int pt_lookup(const struct pt_ctx *ctx, uint64_t root, uint64_t va,
              uint64_t *pa, uint64_t *attr, unsigned *level_out)
{
    pte_t *t = table_of(ctx, root);

    if (va >= CANONICAL_LIMIT)
        return -ENOENT;
    for (unsigned level = PT_LEVEL_PML4; level >= PT_LEVEL_4K; level--) {
        pte_t e = t[pt_index(va, level)];

        if (!present(ctx, e))
            return -ENOENT;
        if (pte_is_leaf(e, level)) {
            uint64_t mask = pt_level_size(level) - 1;
            *pa = (pte_addr(e) & ~mask) | (va & mask);
            *attr = e & fmt_of(ctx)->attr_mask;
            *level_out = level;
            return 0;
        }
        t = table_of(ctx, pte_addr(e));
    }
    return -ENOENT;
}

static uint64_t count_wx(const struct pt_ctx *ctx, uint64_t table, unsigned level,
                         int rw, int x)
{
    const pte_t *t = table_of(ctx, table);
    uint64_t n = 0;

    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        pte_t e = t[i];
        int erw = rw && (e & PTE_RW), ex = x && !(e & PTE_NX);

        if (!pte_present(e))
            continue;
        if (pte_is_leaf(e, level))
            n += erw && ex;
        else if (erw && ex)
            n += count_wx(ctx, pte_addr(e), level - 1, erw, ex);
    }
    return n;
}

uint64_t pt_count_wx(const struct pt_ctx *ctx, uint64_t root)
{
    return count_wx(ctx, root, PT_LEVEL_PML4, 1, 1);
}

static void free_level(const struct pt_ctx *ctx, uint64_t table, unsigned level, void (*free_table)(uint64_t))
{
    const pte_t *t = table_of(ctx, table);

    for (unsigned i = 0; level > PT_LEVEL_4K && i < PT_ENTRIES; i++)
        if (present(ctx, t[i]) && !pte_is_leaf(t[i], level))
            free_level(ctx, pte_addr(t[i]), level - 1, free_table);
    free_table(table);
}

void pt_free_tables(const struct pt_ctx *ctx, uint64_t root, void (*free_table)(uint64_t pa))
{
    free_level(ctx, root, PT_LEVEL_PML4, free_table);
}

/*
 * Buddy allocator (see keel/buddy.h). Pure logic, host-tested.
 */
#include <errno.h>
#include <string.h>
#include <keel/buddy.h>
#include <keel/log.h>

/* Per-frame metadata byte. */
#define META_RESERVED   0xff            /* not managed, or in use outside the allocator */
#define META_TAIL       0x00            /* inside a block, not its head */
#define META_FREE       0x40            /* head of a free block | order */
#define META_ALLOC      0x80            /* head of an allocated block | order */
#define META_ORDER(m)   ((unsigned)(m) & 0x1f)

static inline struct buddy_node *node_of(const struct buddy *b, uint64_t pfn)
{
    return (struct buddy_node *)(uintptr_t)((intptr_t)(pfn << PAGE_SHIFT) + b->virt_offset);
}

static inline uint64_t pfn_of(const struct buddy *b, const struct buddy_node *n)
{
    return (uint64_t)((intptr_t)(uintptr_t)n - b->virt_offset) >> PAGE_SHIFT;
}

static inline uint8_t *meta_of(const struct buddy *b, uint64_t pfn)
{
    return &b->meta[pfn - b->base_pfn];
}

static void list_push(struct buddy *b, unsigned order, uint64_t pfn)
{
    struct buddy_node *head = &b->free_list[order], *n = node_of(b, pfn);

    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
    *meta_of(b, pfn) = (uint8_t)(META_FREE | order);
    b->nr_free[order]++;
    b->free_frames += 1ull << order;
}

static void list_del(struct buddy *b, unsigned order, uint64_t pfn)
{
    struct buddy_node *n = node_of(b, pfn);

    n->prev->next = n->next;
    n->next->prev = n->prev;
    *meta_of(b, pfn) = META_TAIL;
    b->nr_free[order]--;
    b->free_frames -= 1ull << order;
}

void buddy_init(struct buddy *b, uint64_t base_pa, uint64_t nr_frames,
                uint8_t *meta, intptr_t virt_offset)
{
    memset(b, 0, sizeof(*b));
    b->base_pfn = base_pa >> PAGE_SHIFT;
    b->nr_frames = nr_frames;
    b->meta = meta;
    b->virt_offset = virt_offset;
    memset(meta, META_RESERVED, buddy_meta_size(nr_frames));
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        b->free_list[o].next = b->free_list[o].prev = &b->free_list[o];
}

static int in_zone(const struct buddy *b, uint64_t pfn, uint64_t count)
{
    return pfn >= b->base_pfn && count <= b->nr_frames &&
           pfn - b->base_pfn <= b->nr_frames - count;
}

/* Free a block the allocator does not know yet, merging with its buddies. */
static void free_block(struct buddy *b, uint64_t pfn, unsigned order)
{
    while (order < BUDDY_MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ull << order);

        if (!in_zone(b, buddy, 1ull << order) || *meta_of(b, buddy) != (META_FREE | order))
            break;
        list_del(b, order, buddy);
        pfn &= ~(1ull << order);
        order++;
    }
    list_push(b, order, pfn);
}

static int all_reserved(const struct buddy *b, uint64_t pfn, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++)
        if (*meta_of(b, pfn + i) != META_RESERVED)
            return 0;
    return 1;
}

void buddy_add_range(struct buddy *b, uint64_t pa, uint64_t len)
{
    uint64_t start = (pa + PAGE_SIZE - 1) >> PAGE_SHIFT;
    uint64_t end = (pa + len) >> PAGE_SHIFT;

    if (pa + len < pa)
        end = UINT64_MAX >> PAGE_SHIFT;
    if (start < b->base_pfn)
        start = b->base_pfn;
    if (end > b->base_pfn + b->nr_frames)
        end = b->base_pfn + b->nr_frames;
    if (start == 0)
        start = 1;                      /* 0 is the "no memory" value */
    while (start < end) {
        unsigned order = 0;

        /* The largest naturally aligned block that starts here and fits. */
        while (order < BUDDY_MAX_ORDER && !(start & ((2ull << order) - 1)) &&
               start + (2ull << order) <= end)
            order++;
        if (all_reserved(b, start, 1ull << order)) {
            for (uint64_t i = 1; i < (1ull << order); i++)
                *meta_of(b, start + i) = META_TAIL;
            free_block(b, start, order);
        } else if (order) {
            /* Part of it is managed already: go frame by frame here. */
            for (uint64_t i = 0; i < (1ull << order); i++)
                buddy_add_range(b, (start + i) << PAGE_SHIFT, PAGE_SIZE);
        }
        start += 1ull << order;
    }
}

uint64_t buddy_alloc(struct buddy *b, unsigned order)
{
    unsigned o = order;
    uint64_t pfn;

    if (order > BUDDY_MAX_ORDER)
        return 0;
    while (o <= BUDDY_MAX_ORDER && b->free_list[o].next == &b->free_list[o])
        o++;
    if (o > BUDDY_MAX_ORDER)
        return 0;
    pfn = pfn_of(b, b->free_list[o].next);
    list_del(b, o, pfn);
    /* Split: hand the upper halves back to the lists. */
    while (o > order) {
        o--;
        list_push(b, o, pfn + (1ull << o));
    }
    *meta_of(b, pfn) = (uint8_t)(META_ALLOC | order);
    return pfn << PAGE_SHIFT;
}

uint64_t buddy_alloc_at(struct buddy *b, uint64_t pa, unsigned order)
{
    uint64_t pfn = pa >> PAGE_SHIFT;

    if ((pa & (PAGE_SIZE - 1)) || order > BUDDY_MAX_ORDER || (pfn & ((1ull << order) - 1)) || !pfn)
        return 0;
    /* The free block that holds [pfn, pfn + 2^order): the first head found going up in order. */
    for (unsigned o = order; o <= BUDDY_MAX_ORDER; o++) {
        uint64_t head = pfn & ~((1ull << o) - 1);

        if (!in_zone(b, head, 1ull << o))
            return 0;
        if (*meta_of(b, head) != (META_FREE | o))
            continue;
        list_del(b, o, head);
        /* Split towards pfn, handing the other halves back. */
        while (o > order) {
            uint64_t half = 1ull << --o;
            if (pfn & half) {
                list_push(b, o, head);
                head += half;
            } else {
                list_push(b, o, head + half);
            }
        }
        *meta_of(b, head) = (uint8_t)(META_ALLOC | order);
        return head << PAGE_SHIFT;
    }
    return 0;
}

int buddy_free(struct buddy *b, uint64_t pa, unsigned order)
{
    uint64_t pfn = pa >> PAGE_SHIFT;
    uint8_t m;

    if ((pa & (PAGE_SIZE - 1)) || order > BUDDY_MAX_ORDER ||
        !in_zone(b, pfn, 1ull << order) || (pfn & ((1ull << order) - 1))) {
        pr_err("buddy: bad free of %#lx order %u\n", (unsigned long)pa, order);
        return -EINVAL;
    }
    m = *meta_of(b, pfn);
    if (m != (META_ALLOC | order)) {
        pr_err("buddy: %s of %#lx order %u\n",
               (m & META_FREE) && m != META_RESERVED ? "double free" : "free of unallocated block",
               (unsigned long)pa, order);
        return -EINVAL;
    }
    *meta_of(b, pfn) = META_TAIL;
    free_block(b, pfn, order);
    return 0;
}

int buddy_largest_free_order(const struct buddy *b)
{
    for (int o = BUDDY_MAX_ORDER; o >= 0; o--)
        if (b->nr_free[o])
            return o;
    return -1;
}

/*
 * Boot memory map arithmetic (see keel/mm.h). Pure, host-tested.
 */
#include <stdlib.h>
#include <string.h>
#include <keel/buddy.h>
#include <keel/lib.h>
#include <keel/mm.h>

static int cmp_range(const void *a, const void *b)
{
    const struct mem_range *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

size_t memmap_subtract(struct mem_range *r, size_t n, size_t max, uint64_t base, uint64_t end)
{
    if (end <= base)
        return n;
    for (size_t i = 0; i < n; i++) {
        if (end <= r[i].base || base >= r[i].end)
            continue;
        if (base > r[i].base && end < r[i].end) {
            /* Punches a hole: split in two (the tail is lost if there is no room). */
            if (n < max) {
                memmove(&r[i + 2], &r[i + 1], (n - i - 1) * sizeof(*r));
                r[i + 1].base = end;
                r[i + 1].end = r[i].end;
                n++;
            }
            r[i].end = base;
            i++;
        } else if (base <= r[i].base && end >= r[i].end) {
            memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(*r));
            n--;
            i--;
        } else if (base <= r[i].base) {
            r[i].base = end;
        } else {
            r[i].end = base;
        }
    }
    return n;
}

size_t memmap_free_ranges(const struct boot_info *bi, const struct mem_range *resv,
                          size_t nr_resv, struct mem_range *out, size_t max)
{
    size_t n = 0, m = 0;
    uint32_t nr = MIN(bi->nr_mem, (uint32_t)BOOT_MEM_MAX);

    for (uint32_t i = 0; i < nr && n < max; i++) {
        const struct boot_mem_range *e = &bi->mem[i];
        uint64_t end = e->base + e->len;

        if (e->type != BOOT_MEM_RAM || end <= e->base)
            continue;
        out[n].base = ALIGN_UP(e->base, PAGE_SIZE);
        out[n].end = ALIGN_DOWN(end, PAGE_SIZE);
        if (out[n].end > out[n].base)
            n++;
    }
    qsort(out, n, sizeof(*out), cmp_range);
    for (size_t i = 0; i < n; i++) {          /* merge overlaps and neighbours */
        if (m && out[i].base <= out[m - 1].end)
            out[m - 1].end = MAX(out[m - 1].end, out[i].end);
        else
            out[m++] = out[i];
    }
    for (uint32_t i = 0; i < nr; i++) {
        const struct boot_mem_range *e = &bi->mem[i];
        uint64_t end = e->base + e->len < e->base ? UINT64_MAX : e->base + e->len;

        if (e->type != BOOT_MEM_RAM)
            m = memmap_subtract(out, m, max, ALIGN_DOWN(e->base, PAGE_SIZE),
                                ALIGN_UP(end, PAGE_SIZE) ? ALIGN_UP(end, PAGE_SIZE) : UINT64_MAX);
    }
    for (size_t i = 0; i < nr_resv; i++)
        m = memmap_subtract(out, m, max, ALIGN_DOWN(resv[i].base, PAGE_SIZE),
                            ALIGN_UP(resv[i].end, PAGE_SIZE));
    return m;
}

int memmap_is_ram(const struct boot_info *bi, uint64_t base, uint64_t len)
{
    struct mem_range r[MEMMAP_MAX_RANGES];
    size_t n = memmap_free_ranges(bi, NULL, 0, r, MEMMAP_MAX_RANGES);

    for (size_t i = 0; i < n; i++)
        if (base >= r[i].base && base + len <= r[i].end && base + len > base)
            return 1;
    return 0;
}

uint64_t memmap_find_ram(const struct boot_info *bi, uint64_t lo, uint64_t hi, uint64_t len)
{
    struct mem_range r[MEMMAP_MAX_RANGES];
    size_t n = memmap_free_ranges(bi, NULL, 0, r, MEMMAP_MAX_RANGES);

    for (size_t i = 0; i < n; i++) {
        uint64_t b = MAX(r[i].base, ALIGN_UP(lo, PAGE_SIZE));
        if (b + len <= r[i].end && b + len <= hi)
            return b;
    }
    return 0;
}

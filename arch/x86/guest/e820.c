/* E820 map painting (see asm/e820.h). */
#include <errno.h>
#include <string.h>
#include <asm/e820.h>

/* Cut [base, end) out of every entry into @out; returns the count or -1 if it overflows. */
static int cut(const struct e820_map *m, uint64_t base, uint64_t end, struct linux_e820 *out, unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < m->n; i++) {
        uint64_t b = m->e[i].addr, e = b + m->e[i].size;

        if (e <= base || b >= end) {
            if (n == max)
                return -1;
            out[n++] = m->e[i];
            continue;
        }
        if (b < base) {
            if (n == max)
                return -1;
            out[n++] = (struct linux_e820){ b, base - b, m->e[i].type };
        }
        if (e > end) {
            if (n == max)
                return -1;
            out[n++] = (struct linux_e820){ end, e - end, m->e[i].type };
        }
    }
    return (int)n;
}

static int paint(struct e820_map *m, uint64_t base, uint64_t end, uint32_t type, int add)
{
    struct linux_e820 t[LINUX_E820_MAX + 1];
    unsigned n, k = 0;
    int rc;

    if (end <= base)
        return 0;
    rc = cut(m, base, end, t, LINUX_E820_MAX);
    if (rc < 0)
        return -E2BIG;
    n = (unsigned)rc;
    if (add) {
        /* Insert in address order (the entries are sorted and disjoint). */
        unsigned at = 0;
        while (at < n && t[at].addr < base)
            at++;
        if (n == LINUX_E820_MAX)
            return -E2BIG;
        memmove(&t[at + 1], &t[at], (n - at) * sizeof(t[0]));
        t[at] = (struct linux_e820){ base, end - base, type };
        n++;
    }
    /* Merge touching neighbours of one type. */
    for (unsigned i = 0; i < n; i++) {
        if (k && t[k - 1].type == t[i].type && t[k - 1].addr + t[k - 1].size == t[i].addr)
            t[k - 1].size += t[i].size;
        else
            t[k++] = t[i];
    }
    memcpy(m->e, t, k * sizeof(t[0]));
    m->n = k;
    return 0;
}

int e820_set(struct e820_map *m, uint64_t base, uint64_t end, uint32_t type)
{
    return paint(m, base, end, type, 1);
}

int e820_clear(struct e820_map *m, uint64_t base, uint64_t end)
{
    return paint(m, base, end, 0, 0);
}

uint64_t e820_total(const struct e820_map *m, uint32_t type)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < m->n; i++)
        if (m->e[i].type == type)
            sum += m->e[i].size;
    return sum;
}

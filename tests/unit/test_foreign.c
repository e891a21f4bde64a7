/*
 * hv/foreign.c: argument checks, a domU's RAM mapped piece by piece into
 * dom0, failures undone, and every mapping of a destroyed domU taken down
 * (with a TLB flush) before its memory could be freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <public/keel.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/foreign.h>
#include "unit.h"

#define MiB(x) ((uint64_t)(x) << 20)

static struct domain dom0, domu;
static struct vcpu caller = { .domain = &dom0 };
/* dom0's address space: 1 = passthrough (mappable), 2 = mapped foreign; per 4 KiB page of the first 64 MiB. */
static uint8_t space[MiB(64) >> 12];
static uint64_t hpa_at[MiB(64) >> 12];
static unsigned flushes, pieces;
/* > 0: arch_foreign_map maps this many more pages, then runs out of table pages (-ENOMEM). */
static long fail_after;

struct domain *domain_find(uint64_t id)
{
    return id == 1 ? &dom0 : id == 2 ? &domu : NULL;
}

/* The domU's RAM: two chunks, [0, 16M) at host 1G and [16M, 32M) at host 2G. */
int domain_ram_hpa(struct domain *d, uint64_t gpa, uint64_t *hpa, uint64_t *run)
{
    if (d != &domu || gpa >= MiB(32))
        return -EINVAL;
    *hpa = (gpa < MiB(16) ? (1ull << 30) : (2ull << 30) - MiB(16)) + gpa;
    *run = (gpa < MiB(16) ? MiB(16) : MiB(32)) - gpa;
    return 0;
}

int arch_foreign_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    assert_ptr_equal(d, &dom0);
    for (uint64_t o = 0; o < size; o += 4096)
        if ((gpa + o) >= MiB(64) || space[(gpa + o) >> 12] != 1)
            return -EINVAL;
    for (uint64_t o = 0; o < size; o += 4096) {
        if (fail_after > 0 && !--fail_after)
            return -ENOMEM;             /* what ept_map() leaves: the pages before are mapped */
        space[(gpa + o) >> 12] = 2;
        hpa_at[(gpa + o) >> 12] = hpa + o;
    }
    pieces++;
    return 0;
}

/* Passthrough back over a range: where it was passthrough or mapped, never over dom0's RAM. */
void arch_foreign_unmap(struct domain *d, uint64_t gpa, uint64_t size)
{
    for (uint64_t o = 0; o < size; o += 4096) {
        assert_int_not_equal(space[(gpa + o) >> 12], 0);
        space[(gpa + o) >> 12] = 1;
    }
}

void arch_domain_flush_tlbs(struct domain *d) { flushes++; }

static int64_t map(uint64_t domid, uint64_t gfn, uint64_t npages, uint64_t gpa)
{
    const uint64_t a[5] = { domid, gfn, npages, gpa, 0 };

    return foreign_map(&caller, a);
}

static int64_t unmap(uint64_t gpa)
{
    const uint64_t a[5] = { gpa, 0, 0, 0, 0 };

    return foreign_unmap(&caller, a);
}

static int setup(void **state)
{
    (void)state;
    memset(&dom0, 0, sizeof(dom0));
    memset(&domu, 0, sizeof(domu));
    dom0.id = 1;
    dom0.privileged = 1;
    domu.id = 2;
    domu.mem_bytes = MiB(32);
    memset(space, 0, sizeof(space));
    memset(space + (MiB(32) >> 12), 1, MiB(32) >> 12);      /* dom0's passthrough: [32M, 64M) */
    flushes = pieces = 0;
    fail_after = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    foreign_domain_gone(&dom0);         /* empties the table for the next test */
    return 0;
}

static void test_checks(void **state)
{
    (void)state;
    assert_int_equal(map(9, 0, 1, MiB(32)), -ENOENT);
    assert_int_equal(map(1ull << 32 | 2, 0, 1, MiB(32)), -ENOENT);
    assert_int_equal(map(1, 0, 1, MiB(32)), -EPERM);                    /* dom0's own */
    assert_int_equal(map(2, 0, 0, MiB(32)), -EINVAL);                   /* nothing */
    assert_int_equal(map(2, 0, 8193, MiB(32)), -EINVAL);                /* more than it has */
    assert_int_equal(map(2, 8191, 2, MiB(32)), -EINVAL);                /* past its end */
    assert_int_equal(map(2, ~0ull, 2, MiB(32)), -EINVAL);
    assert_int_equal(map(2, 0, 1, MiB(32) + 8), -EINVAL);               /* not page-aligned */
    assert_int_equal(map(2, 0, 1, ~0ull & ~0xfffull), -EINVAL);         /* wraps */
    assert_int_equal(map(2, 0, 1, MiB(1)), -EINVAL);                    /* dom0's RAM, not passthrough */
    assert_int_equal(pieces, 0);
    assert_int_equal(unmap(MiB(32)), -EINVAL);                          /* nothing there */
}

static void test_map_across_chunks(void **state)
{
    (void)state;
    /* domU [15M, 17M) spans its two chunks: two pieces, each at its own host address. */
    assert_int_equal(map(2, MiB(15) >> 12, 512, MiB(40)), 0);
    assert_int_equal(pieces, 2);
    assert_int_equal(hpa_at[MiB(40) >> 12], (1ull << 30) + MiB(15));
    assert_int_equal(hpa_at[(MiB(41) >> 12) - 1], (1ull << 30) + MiB(16) - 4096);
    assert_int_equal(hpa_at[MiB(41) >> 12], (2ull << 30));
    assert_true(flushes >= 1);
    /* Overlapping what is mapped: refused, nothing changed. */
    assert_int_equal(map(2, 0, 1, MiB(41)), -EINVAL);
    assert_int_equal(hpa_at[MiB(41) >> 12], (2ull << 30));
    flushes = 0;
    assert_int_equal(unmap(MiB(40)), 0);
    assert_int_equal(flushes, 1);
    assert_int_equal(space[MiB(40) >> 12], 1);
    assert_int_equal(space[(MiB(42) >> 12) - 1], 1);
    assert_int_equal(unmap(MiB(40)), -EINVAL);
}

static void test_failure_undone(void **state)
{
    (void)state;
    /* The second piece lands on dom0's RAM at 64M-: the first one must come off again. */
    memset(space + (MiB(63) >> 12), 0, MiB(1) >> 12);
    assert_int_equal(map(2, MiB(15) >> 12, 512, MiB(62)), -EINVAL);
    for (uint64_t p = MiB(62) >> 12; p < MiB(63) >> 12; p++)
        assert_int_equal(space[p], 1);
}

/* The second piece runs out of table pages half-way: what it mapped comes off too. */
static void test_partial_failure_undone(void **state)
{
    (void)state;
    fail_after = 256 + 100;
    assert_int_equal(map(2, MiB(15) >> 12, 512, MiB(40)), -ENOMEM);
    for (uint64_t p = MiB(40) >> 12; p < MiB(42) >> 12; p++)
        assert_int_equal(space[p], 1);
    fail_after = 0;
    assert_int_equal(map(2, MiB(15) >> 12, 512, MiB(40)), 0);  /* and the slot was not taken */
}

static void test_domain_gone_and_full(void **state)
{
    int64_t rc = 0;
    unsigned n = 0;

    (void)state;
    for (uint64_t gpa = MiB(32); gpa < MiB(64) && !rc; gpa += 4096, n++)
        rc = map(2, 0, 1, gpa);
    assert_int_equal(rc, -ENOSPC);
    assert_int_equal(n, KEEL_FOREIGN_MAX + 1);
    flushes = 0;
    foreign_domain_gone(&domu);
    assert_int_equal(flushes, KEEL_FOREIGN_MAX);
    for (uint64_t p = MiB(32) >> 12; p < MiB(64) >> 12; p++)
        assert_int_equal(space[p], 1);
    assert_int_equal(map(2, 0, 1, MiB(32)), 0);                 /* the slots are free again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_across_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_undone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_failure_undone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domain_gone_and_full, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

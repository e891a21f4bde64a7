/* Page-table builder: large pages, splits, permissions, W^X, bad input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <asm/page.h>
#include "unit.h"

#define POOL 256
#define FAKE_BASE 0x40000000ull          /* "physical" address of the pool */

static uint8_t *pool;
static unsigned used, limit;
static struct pt_ctx ctx;
static uint64_t root;

static uint64_t alloc(void *opaque)
{
    (void)opaque;
    if (used >= limit)
        return 0;
    return FAKE_BASE + 4096ull * used++;
}

static int setup(void **state)
{
    (void)state;
    pool = aligned_alloc(4096, POOL * 4096);
    memset(pool, 0xcc, POOL * 4096);          /* tables must be zeroed by the builder */
    used = 0;
    limit = POOL;
    ctx = (struct pt_ctx){ .alloc_table = alloc, .virt_offset = (intptr_t)pool - (intptr_t)FAKE_BASE,
                           .max_leaf_level = PT_LEVEL_1G };
    root = alloc(NULL);
    memset(pool, 0, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(pool);
    return 0;
}

static void check(uint64_t va, uint64_t pa_want, uint64_t attr_want, unsigned level_want)
{
    uint64_t pa, attr;
    unsigned level;

    assert_int_equal(pt_lookup(&ctx, root, va, &pa, &attr, &level), 0);
    assert_int_equal(pa, pa_want);
    assert_int_equal(attr, attr_want);
    assert_int_equal(level, level_want);
}

static void test_large_pages(void **state)
{
    (void)state;
    /* 4 GiB identity: 4 x 1 GiB leaves, just PML4 + PDPT. */
    assert_int_equal(pt_map(&ctx, root, 0, 0, 4ull << 30, PTE_RW | PTE_NX), 0);
    assert_int_equal(used, 2);
    check(0x12345678, 0x12345678, PTE_RW | PTE_NX, PT_LEVEL_1G);
    check(0xfffff000, 0xfffff000, PTE_RW | PTE_NX, PT_LEVEL_1G);
    assert_int_equal(pt_lookup(&ctx, root, 4ull << 30, &(uint64_t){ 0 }, &(uint64_t){ 0 },
                               &(unsigned){ 0 }), -ENOENT);
    /* With 2 MiB as the largest leaf: 4 page directories more. */
    teardown(state);
    setup(state);
    ctx.max_leaf_level = PT_LEVEL_2M;
    assert_int_equal(pt_map(&ctx, root, 0, 0, 4ull << 30, PTE_RW), 0);
    assert_int_equal(used, 6);
    check(0x40200000, 0x40200000, PTE_RW, PT_LEVEL_2M);
    teardown(state);
}

static void test_split_keeps_rest(void **state)
{
    (void)state;
    assert_int_equal(pt_map(&ctx, root, 0, 0, 1ull << 30, PTE_RW | PTE_NX), 0);
    /* Remap one 4K page read-only executable in the middle of the 1 GiB page. */
    assert_int_equal(pt_map(&ctx, root, 0x200000, 0x200000, 0x1000, 0), 0);
    check(0x200000, 0x200000, 0, PT_LEVEL_4K);
    check(0x201000, 0x201000, PTE_RW | PTE_NX, PT_LEVEL_4K);
    check(0x1ff000, 0x1ff000, PTE_RW | PTE_NX, PT_LEVEL_2M);
    check(0x3fe00000, 0x3fe00000, PTE_RW | PTE_NX, PT_LEVEL_2M);
    /* Non-identity mapping and unmap of page 0. */
    assert_int_equal(pt_unmap(&ctx, root, 0, 0x1000), 0);
    assert_int_equal(pt_lookup(&ctx, root, 0x10, &(uint64_t){ 0 }, &(uint64_t){ 0 },
                               &(unsigned){ 0 }), -ENOENT);
    check(0x1000, 0x1000, PTE_RW | PTE_NX, PT_LEVEL_4K);
    assert_int_equal(pt_map(&ctx, root, 0x7f0000000000ull, 0x5000, 0x2000, PTE_RW), 0);
    check(0x7f0000001abcull, 0x6abc, PTE_RW, PT_LEVEL_4K);
}

static void test_wx_count(void **state)
{
    (void)state;
    assert_int_equal(pt_map(&ctx, root, 0, 0, 8ull << 20, PTE_RW | PTE_NX), 0);
    assert_int_equal(pt_count_wx(&ctx, root), 0);
    assert_int_equal(pt_map(&ctx, root, 0x400000, 0x400000, 0x3000, PTE_RW), 0);   /* W+X */
    assert_int_equal(pt_count_wx(&ctx, root), 3);
    assert_int_equal(pt_map(&ctx, root, 0x400000, 0x400000, 0x3000, 0), 0);        /* R+X */
    assert_int_equal(pt_count_wx(&ctx, root), 0);
    assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x40000000, 2ull << 20, PTE_RW), 0);
    assert_int_equal(pt_count_wx(&ctx, root), 1);                                  /* one 2M leaf */
}

static void test_bad_input(void **state)
{
    (void)state;
    assert_int_equal(pt_map(&ctx, root, 0x1001, 0, 0x1000, 0), -EINVAL);
    assert_int_equal(pt_map(&ctx, root, 0, 0x1001, 0x1000, 0), -EINVAL);
    assert_int_equal(pt_map(&ctx, root, 0, 0, 0x1001, 0), -EINVAL);
    assert_int_equal(pt_map(&ctx, root, 0, 0, 0, 0), -EINVAL);
    assert_int_equal(pt_map(&ctx, root, 1ull << 47, 0, 0x1000, 0), -EINVAL);        /* non-canonical */
    assert_int_equal(pt_map(&ctx, root, (1ull << 47) - 0x1000, 0, 0x2000, 0), -EINVAL);
    assert_int_equal(pt_map(&ctx, root, 0, 1ull << 52, 0x1000, 0), -EINVAL);        /* > MAXPHYADDR */
    assert_int_equal(pt_map(&ctx, root, 0, (1ull << 52) - 0x1000, 0x2000, 0), -EINVAL);
    assert_int_equal(pt_unmap(&ctx, root, 0x123, 0x1000), -EINVAL);
    assert_int_equal(used, 1);                        /* nothing was built */
    /* Attribute bits outside PTE_ATTR_MASK are ignored, not written. */
    assert_int_equal(pt_map(&ctx, root, 0, 0, 0x1000, PTE_RW | PTE_PS | 0x000ffffffffff000ull), 0);
    check(0, 0, PTE_RW, PT_LEVEL_4K);
}

static void test_out_of_tables(void **state)
{
    (void)state;
    limit = 3;
    assert_int_equal(pt_map(&ctx, root, 0, 0, 0x1000, PTE_RW), -ENOMEM);
    limit = POOL;
    assert_int_equal(pt_map(&ctx, root, 0, 0, 0x1000, PTE_RW), 0);
}

/* A range mapped again with larger pages goes into the tables already there: none is dropped. */
static void test_tables_kept(void **state)
{
    unsigned after_first;

    (void)state;
    ctx.max_leaf_level = PT_LEVEL_2M;
    /* 4 MiB + 12 KiB: two 2M leaves and a page table for the tail. */
    assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x80000000, 0x403000, PTE_RW), 0);
    check(0x40401000, 0x80401000, PTE_RW, PT_LEVEL_4K);
    after_first = used;
    /* The same place as 6 MiB: the tail's 2 MiB stays 4K pages in its table, the rest is 2M. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x90000000, 0x600000, PTE_RW | PTE_NX), 0);
        assert_int_equal(pt_unmap(&ctx, root, 0x40000000, 0x600000), 0);
        assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x80000000, 0x403000, PTE_RW), 0);
    }
    assert_int_equal(used, after_first);                /* no table built, none lost */
    assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x90000000, 0x600000, PTE_RW | PTE_NX), 0);
    check(0x40000000, 0x90000000, PTE_RW | PTE_NX, PT_LEVEL_2M);
    check(0x40401000, 0x90401000, PTE_RW | PTE_NX, PT_LEVEL_4K);
    check(0x405ff000, 0x905ff000, PTE_RW | PTE_NX, PT_LEVEL_4K);
    /* Unmapping a 2 MiB range over that table clears its pages and keeps it. */
    assert_int_equal(pt_unmap(&ctx, root, 0x40400000, 0x200000), 0);
    assert_int_equal(pt_lookup(&ctx, root, 0x40400000, &(uint64_t){ 0 }, &(uint64_t){ 0 }, &(unsigned){ 0 }),
                     -ENOENT);
    check(0x403ff000, 0x903ff000, PTE_RW | PTE_NX, PT_LEVEL_2M);
    assert_int_equal(used, after_first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_large_pages, setup, NULL),
        cmocka_unit_test_setup_teardown(test_split_keeps_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wx_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_kept, setup, teardown),
    };
    return cmocka_run_group_tests_name("pagetable", tests, NULL, NULL);
}

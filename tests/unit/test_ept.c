/* EPT tables: large pages, permissions the CPU would reject, protect/split, EPTP. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <asm/ept.h>
#include "unit.h"

#define POOL 64
#define FAKE_BASE 0x10000000ull

static uint8_t *pool;
static unsigned used;
static struct ept e;

static uint64_t alloc(void *opaque)
{
    (void)opaque;
    return used < POOL ? FAKE_BASE + 4096ull * used++ : 0;
}

static int setup(void **state)
{
    (void)state;
    pool = aligned_alloc(4096, POOL * 4096);
    memset(pool, 0xee, POOL * 4096);
    used = 0;
    memset(&e, 0, sizeof(e));
    e.ctx.alloc_table = alloc;
    e.ctx.virt_offset = (intptr_t)pool - (intptr_t)FAKE_BASE;
    e.ctx.max_leaf_level = PT_LEVEL_1G;
    return ept_init(&e);
}

static int teardown(void **state)
{
    (void)state;
    free(pool);
    return 0;
}

static void look(uint64_t gpa, uint64_t hpa, uint64_t perm, unsigned mt, unsigned level)
{
    uint64_t h, p;
    unsigned m, l;

    assert_int_equal(ept_lookup(&e, gpa, &h, &p, &m, &l), 0);
    assert_int_equal(h, hpa);
    assert_int_equal(p, perm);
    assert_int_equal(m, mt);
    assert_int_equal(l, level);
}

static void test_map_sizes(void **state)
{
    uint64_t *pml4 = (uint64_t *)(pool);

    (void)state;
    assert_int_equal(ept_pointer(&e, 0), FAKE_BASE | 6 | (3 << 3));
    assert_int_equal(ept_pointer(&e, 1) & EPTP_AD_ENABLE, EPTP_AD_ENABLE);
    /* 1 GiB + 2 MiB + 4 KiB, each where alignment allows. */
    assert_int_equal(ept_map(&e, 1ull << 30, 3ull << 30, 1ull << 30, EPT_RWX, EPT_MT_WB), 0);
    assert_int_equal(ept_map(&e, 0x200000, 0x40000000000ull, 0x200000, EPT_R | EPT_X, EPT_MT_WB), 0);
    assert_int_equal(ept_map(&e, 0x1000, 0xfee00000, 0x1000, EPT_R | EPT_W, EPT_MT_UC), 0);
    look((1ull << 30) + 0x12345, (3ull << 30) + 0x12345, EPT_RWX, EPT_MT_WB, PT_LEVEL_1G);
    look(0x2ff000, 0x400000ff000ull, EPT_R | EPT_X, EPT_MT_WB, PT_LEVEL_2M);
    look(0x1abc, 0xfee00abc, EPT_R | EPT_W, EPT_MT_UC, PT_LEVEL_4K);
    /* Non-leaf entries grant RWX and carry no memory type (29.3.2). */
    assert_int_equal(pml4[0] & 0xff, EPT_RWX);
    assert_int_equal(ept_lookup(&e, 0x3000, &(uint64_t){ 0 }, &(uint64_t){ 0 }, &(unsigned){ 0 },
                                &(unsigned){ 0 }), -ENOENT);
}

static void test_misconfigurations_refused(void **state)
{
    (void)state;
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_W, EPT_MT_WB), -EINVAL);           /* W without R */
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_W | EPT_X, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_X, EPT_MT_WB), -EINVAL);           /* no execute-only cap */
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, 0, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_R | 8, EPT_MT_WB), -EINVAL);
    for (unsigned mt = 2; mt <= 7; mt += (mt == 3 ? 4 : 1))                            /* 2, 3, 7 */
        assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_R, mt), -EINVAL);
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_R, 8), -EINVAL);
    assert_int_equal(used, 1);                          /* nothing built */
    e.execute_only_ok = 1;
    assert_int_equal(ept_map(&e, 0, 0, 0x1000, EPT_X, EPT_MT_WB), 0);
    look(0, 0, EPT_X, EPT_MT_WB, PT_LEVEL_4K);
    assert_int_equal(ept_map(&e, 0x1001, 0, 0x1000, EPT_R, EPT_MT_WB), -EINVAL);      /* unaligned */
    assert_int_equal(ept_map(&e, 1ull << 48, 0, 0x1000, EPT_R, EPT_MT_WB), -EINVAL);  /* beyond the walk */
}

static void test_protect_split(void **state)
{
    (void)state;
    assert_int_equal(ept_map(&e, 0, 0x80000000, 0x400000, EPT_RWX, EPT_MT_WB), 0);   /* two 2M pages */
    assert_int_equal(ept_map(&e, 0x400000, 0xfec00000, 0x200000, EPT_RWX, EPT_MT_UC), 0);
    assert_int_equal(ept_protect(&e, 0x1ff000, 0x202000, EPT_R | EPT_X), 0);            /* spans three pages */
    look(0x1fe000, 0x801fe000, EPT_RWX, EPT_MT_WB, PT_LEVEL_4K);                        /* split, untouched */
    look(0x1ff000, 0x801ff000, EPT_R | EPT_X, EPT_MT_WB, PT_LEVEL_4K);
    look(0x300000, 0x80300000, EPT_R | EPT_X, EPT_MT_WB, PT_LEVEL_2M);                  /* whole leaf kept */
    look(0x400000, 0xfec00000, EPT_R | EPT_X, EPT_MT_UC, PT_LEVEL_4K);                  /* type kept */
    look(0x401000, 0xfec01000, EPT_RWX, EPT_MT_UC, PT_LEVEL_4K);
    assert_int_equal(ept_protect(&e, 0x1ff000, 0x1000, EPT_W), -EINVAL);
    assert_int_equal(ept_protect(&e, 0x1ff800, 0x1000, EPT_R), -EINVAL);
    /* A hole in the range is skipped, not filled. */
    assert_int_equal(ept_protect(&e, 0x600000, 0x2000, EPT_R), 0);
    assert_int_equal(ept_lookup(&e, 0x600000, &(uint64_t){ 0 }, &(uint64_t){ 0 }, &(unsigned){ 0 },
                                &(unsigned){ 0 }), -ENOENT);
    assert_int_equal(ept_unmap(&e, 0x1ff000, 0x1000), 0);
    assert_int_equal(ept_lookup(&e, 0x1ff000, &(uint64_t){ 0 }, &(uint64_t){ 0 }, &(unsigned){ 0 },
                                &(unsigned){ 0 }), -ENOENT);
    look(0x1fe000, 0x801fe000, EPT_RWX, EPT_MT_WB, PT_LEVEL_4K);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_map_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misconfigurations_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protect_split, setup, teardown),
    };
    return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}

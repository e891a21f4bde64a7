/* Buddy allocator: exhaustion, fragmentation and merging, bad and double frees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <keel/buddy.h>
#include "unit.h"

#define BASE    0x800000ull             /* the zone's first physical address: 8 MiB */
#define FRAMES  2048                    /* 8 MiB */

static struct buddy b;
static uint8_t meta[FRAMES];
static uint8_t *mem;

static int setup(void **state)
{
    (void)state;
    mem = aligned_alloc(4096, FRAMES * 4096);
    buddy_init(&b, BASE, FRAMES, meta, (intptr_t)mem - (intptr_t)BASE);
    unit_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

static void test_exhaust_and_merge(void **state)
{
    static uint64_t got[FRAMES];
    size_t n = 0;
    uint64_t pa;

    (void)state;
    buddy_add_range(&b, BASE, FRAMES * 4096ull);
    assert_int_equal(b.free_frames, FRAMES);
    assert_int_equal(buddy_largest_free_order(&b), 11);     /* 2048 frames, 8 MiB-aligned base */
    while ((pa = buddy_alloc(&b, 0)) != 0) {
        assert_true(pa >= BASE && pa < BASE + FRAMES * 4096ull);
        memset(mem + (pa - BASE), 0xa5, 4096);              /* the frame is really ours */
        got[n++] = pa;
    }
    assert_int_equal(n, FRAMES);
    assert_int_equal(b.free_frames, 0);
    assert_int_equal(buddy_alloc(&b, 0), 0);
    assert_int_equal(buddy_largest_free_order(&b), -1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(buddy_free(&b, got[i], 0), 0);
    assert_int_equal(b.free_frames, FRAMES);
    assert_int_equal(buddy_largest_free_order(&b), 11);     /* merged back whole */
}

static void test_fragmentation(void **state)
{
    static uint64_t got[FRAMES];
    size_t n = 0;
    uint64_t pa;

    (void)state;
    buddy_add_range(&b, BASE, FRAMES * 4096ull);
    while ((pa = buddy_alloc(&b, 0)) != 0)
        got[n++] = pa;
    /* Free every other frame: half the memory is free, but no two frames touch. */
    for (size_t i = 0; i < n; i++)
        if (((got[i] - BASE) >> 12) % 2 == 0)
            assert_int_equal(buddy_free(&b, got[i], 0), 0);
    assert_int_equal(b.free_frames, FRAMES / 2);
    assert_int_equal(buddy_largest_free_order(&b), 0);
    assert_int_equal(buddy_alloc(&b, 1), 0);
    for (size_t i = 0; i < n; i++)
        if (((got[i] - BASE) >> 12) % 2 == 1)
            assert_int_equal(buddy_free(&b, got[i], 0), 0);
    assert_int_equal(buddy_largest_free_order(&b), 11);
}

static void test_orders_aligned(void **state)
{
    (void)state;
    buddy_add_range(&b, BASE, FRAMES * 4096ull);
    for (unsigned o = 0; o <= 9; o++) {
        uint64_t pa = buddy_alloc(&b, o);
        assert_int_not_equal(pa, 0);
        assert_int_equal(pa & ((4096ull << o) - 1), 0);     /* naturally aligned */
    }
    assert_int_equal(buddy_alloc(&b, BUDDY_MAX_ORDER + 1), 0);
    assert_int_equal(buddy_alloc(&b, 12), 0);               /* more than the zone */
}

static void test_bad_frees(void **state)
{
    uint64_t pa, pa2;

    (void)state;
    buddy_add_range(&b, BASE, FRAMES * 4096ull);
    pa = buddy_alloc(&b, 2);
    assert_int_equal(buddy_free(&b, pa, 1), -22);           /* wrong order */
    assert_true(unit_log_has("free of unallocated block"));
    assert_int_equal(buddy_free(&b, pa + 4096, 0), -22);    /* inside a block */
    assert_int_equal(buddy_free(&b, pa + 1, 2), -22);       /* unaligned */
    assert_int_equal(buddy_free(&b, BASE - 4096, 0), -22);  /* outside the zone */
    assert_int_equal(buddy_free(&b, BASE + FRAMES * 4096ull, 0), -22);
    assert_int_equal(buddy_free(&b, pa, BUDDY_MAX_ORDER + 1), -22);
    assert_int_equal(buddy_free(&b, pa, 2), 0);
    unit_log_clear();
    assert_int_equal(buddy_free(&b, pa, 2), -22);           /* double free */
    assert_true(unit_log_has("double free"));
    /* After a merge the old head is no longer a block head either. */
    pa2 = buddy_alloc(&b, 0);
    assert_int_equal(buddy_free(&b, pa2, 0), 0);
    assert_int_equal(buddy_free(&b, pa2, 0), -22);
    assert_int_equal(b.free_frames, FRAMES);
}

static void test_ranges_and_holes(void **state)
{
    uint64_t pa;

    (void)state;
    /* Unaligned edges are rounded inwards; a range added twice counts once. */
    buddy_add_range(&b, BASE + 0x10800, 0x20000);
    assert_int_equal(b.free_frames, 0x1f);
    buddy_add_range(&b, BASE + 0x10000, 0x40000);
    assert_int_equal(b.free_frames, 0x40);
    /* Outside the zone: clipped. */
    buddy_add_range(&b, BASE + FRAMES * 4096ull - 0x2000, 0x10000);
    assert_int_equal(b.free_frames, 0x42);
    while ((pa = buddy_alloc(&b, 0)) != 0)
        assert_true((pa >= BASE + 0x10000 && pa < BASE + 0x50000) ||
                    pa >= BASE + FRAMES * 4096ull - 0x2000);
}

/* Claiming a given block: split around it, refuse what is taken, merge back on free. */
static void test_alloc_at(void **state)
{
    uint64_t mid = BASE + 0x500000;         /* inside the second 2 MiB block's buddy */

    (void)state;
    buddy_add_range(&b, BASE, FRAMES * 4096ull);
    assert_int_equal(buddy_alloc_at(&b, BASE + 0x200000, 9), BASE + 0x200000);
    assert_int_equal(b.free_frames, FRAMES - 512);
    assert_int_equal(buddy_alloc_at(&b, BASE + 0x200000, 9), 0);        /* taken */
    assert_int_equal(buddy_alloc_at(&b, BASE + 0x201000, 0), 0);        /* inside a taken block */
    assert_int_equal(buddy_alloc_at(&b, mid, 9), 0);                    /* misaligned for order 9 */
    assert_int_equal(buddy_alloc_at(&b, mid, 0), mid);
    assert_int_equal(buddy_alloc_at(&b, mid + 0x1000, 0), mid + 0x1000);
    assert_int_equal(buddy_alloc_at(&b, BASE + FRAMES * 4096ull, 0), 0); /* past the zone */
    /* What is left is still handed out, never twice. */
    for (uint64_t pa; (pa = buddy_alloc(&b, 0)) != 0;) {
        assert_false(pa >= BASE + 0x200000 && pa < BASE + 0x400000);
        assert_false(pa == mid || pa == mid + 0x1000);
        assert_int_equal(buddy_free(&b, pa, 0), 0);
        break;
    }
    assert_int_equal(buddy_free(&b, mid, 0), 0);
    assert_int_equal(buddy_free(&b, mid + 0x1000, 0), 0);
    assert_int_equal(buddy_free(&b, BASE + 0x200000, 9), 0);
    assert_int_equal(b.free_frames, FRAMES);
    assert_int_equal(buddy_largest_free_order(&b), 11);
}

static void test_frame_zero_never_returned(void **state)
{
    struct buddy z;
    uint8_t zm[16];
    uint8_t *zmem = aligned_alloc(4096, 16 * 4096);
    uint64_t pa;
    int n = 0;

    (void)state;
    buddy_init(&z, 0, 16, zm, (intptr_t)zmem);
    buddy_add_range(&z, 0, 16 * 4096);
    assert_int_equal(z.free_frames, 15);
    while ((pa = buddy_alloc(&z, 0)) != 0)
        n++;
    assert_int_equal(n, 15);
    free(zmem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exhaust_and_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragmentation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orders_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_and_holes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_at, setup, teardown),
        cmocka_unit_test(test_frame_zero_never_returned),
    };
    return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}

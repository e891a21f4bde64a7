/* Memory-map digestion: sorting, merging, reserved overlaps, holes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <keel/mm.h>
#include "unit.h"

static struct boot_info bi;
static struct mem_range out[MEMMAP_MAX_RANGES];

static void add(uint64_t base, uint64_t len, uint32_t type)
{
    assert_int_equal(boot_info_add_mem(&bi, base, len, type), 0);
}

static void test_typical_bios_map(void **state)
{
    struct mem_range resv[] = { { 0, 0x100000 }, { 0x200000, 0x28b000 } };
    size_t n;

    (void)state;
    memset(&bi, 0, sizeof(bi));
    add(0x100000, 0x1fee0000, 1);          /* out of order on purpose */
    add(0, 0x9fc00, 1);
    add(0x9fc00, 0x400, 2);
    add(0xf0000, 0x10000, 2);
    add(0x1ffe0000, 0x20000, 2);
    add(0xfffc0000, 0x40000, 2);
    n = memmap_free_ranges(&bi, resv, 2, out, MEMMAP_MAX_RANGES);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].base, 0x100000);
    assert_int_equal(out[0].end, 0x200000);
    assert_int_equal(out[1].base, 0x28b000);
    assert_int_equal(out[1].end, 0x1ffe0000);
}

static void test_overlaps_reserved_wins(void **state)
{
    size_t n;

    (void)state;
    memset(&bi, 0, sizeof(bi));
    add(0x100000, 0x1000000, 1);
    add(0x800000, 0x1000000, 1);           /* overlapping RAM entries merge */
    add(0x400000, 0x1000, 3);              /* ACPI inside RAM: not free */
    add(0x600800, 0x800, 2);               /* unaligned reserved: whole page goes */
    n = memmap_free_ranges(&bi, NULL, 0, out, MEMMAP_MAX_RANGES);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].base, 0x100000);
    assert_int_equal(out[0].end, 0x400000);
    assert_int_equal(out[1].base, 0x401000);
    assert_int_equal(out[1].end, 0x600000);
    assert_int_equal(out[2].base, 0x601000);
    assert_int_equal(out[2].end, 0x1800000);
}

static void test_unaligned_and_empty(void **state)
{
    size_t n;

    (void)state;
    memset(&bi, 0, sizeof(bi));
    add(0x1234, 0x800, 1);                 /* less than a page once aligned */
    add(0x100fff, 0x2002, 1);              /* -> 0x101000..0x103000 */
    add(0xffffffffffff0000ull, 0x20000, 1);  /* wraps: ignored */
    add(0x200000, 0, 1);
    n = memmap_free_ranges(&bi, NULL, 0, out, MEMMAP_MAX_RANGES);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].base, 0x101000);
    assert_int_equal(out[0].end, 0x103000);
}

static void test_subtract(void **state)
{
    struct mem_range r[4] = { { 0x1000, 0x9000 } };
    size_t n = 1;

    (void)state;
    n = memmap_subtract(r, n, 4, 0x3000, 0x4000);           /* hole */
    assert_int_equal(n, 2);
    n = memmap_subtract(r, n, 4, 0x0, 0x2000);              /* head */
    assert_int_equal(r[0].base, 0x2000);
    n = memmap_subtract(r, n, 4, 0x8000, 0x10000);          /* tail */
    assert_int_equal(r[1].end, 0x8000);
    n = memmap_subtract(r, n, 4, 0x2000, 0x3000);           /* whole range */
    assert_int_equal(n, 1);
    assert_int_equal(r[0].base, 0x4000);
    n = memmap_subtract(r, n, 1, 0x5000, 0x6000);           /* no room to split: tail lost */
    assert_int_equal(n, 1);
    assert_int_equal(r[0].end, 0x5000);
    n = memmap_subtract(r, n, 4, 0x6000, 0x5000);           /* empty: nothing */
    assert_int_equal(n, 1);
}

static void test_modules_reserved(void **state)
{
    struct mem_range resv[] = { { 0x2000000, 0x2345678 }, { 0x3000000, 0x3000001 } };
    size_t n;

    (void)state;
    memset(&bi, 0, sizeof(bi));
    add(0x100000, 0x7f00000, 1);
    n = memmap_free_ranges(&bi, resv, 2, out, MEMMAP_MAX_RANGES);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].end, 0x2000000);
    assert_int_equal(out[1].base, 0x2346000);               /* rounded out to pages */
    assert_int_equal(out[1].end, 0x3000000);
    assert_int_equal(out[2].base, 0x3001000);
}

static void test_is_ram_and_find(void **state)
{
    (void)state;
    memset(&bi, 0, sizeof(bi));
    add(0, 0x9fc00, 1);
    add(0x7000, 0x2000, 2);                /* firmware keeps 0x7000-0x9000 */
    add(0x100000, 0x100000, 1);
    assert_false(memmap_is_ram(&bi, 0x8000, 0x1000));
    assert_true(memmap_is_ram(&bi, 0x9000, 0x1000));
    assert_false(memmap_is_ram(&bi, 0x9f000, 0x1000));      /* partial page at the top */
    assert_false(memmap_is_ram(&bi, 0xa0000, 0x1000));
    assert_false(memmap_is_ram(&bi, 0xfffffffffffff000ull, 0x2000));
    assert_int_equal(memmap_find_ram(&bi, 0x1000, 0x100000, 0x1000), 0x1000);
    assert_int_equal(memmap_find_ram(&bi, 0x6800, 0x100000, 0x1000), 0x9000);
    assert_int_equal(memmap_find_ram(&bi, 0x9f000, 0x100000, 0x1000), 0);
    assert_int_equal(memmap_find_ram(&bi, 0x9f000, 0x300000, 0x1000), 0x100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical_bios_map),
        cmocka_unit_test(test_overlaps_reserved_wins),
        cmocka_unit_test(test_unaligned_and_empty),
        cmocka_unit_test(test_subtract),
        cmocka_unit_test(test_modules_reserved),
        cmocka_unit_test(test_is_ram_and_find),
    };
    return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}

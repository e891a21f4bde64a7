/* E820 painting: later ranges win, entries stay sorted, split and merged; overflow refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <asm/e820.h>
#include "unit.h"

static void expect(const struct e820_map *m, unsigned i, uint64_t addr, uint64_t size, uint32_t type)
{
    assert_true(i < m->n);
    assert_int_equal(m->e[i].addr, addr);
    assert_int_equal(m->e[i].size, size);
    assert_int_equal(m->e[i].type, type);
}

static void test_paint(void **state)
{
    static struct e820_map m;

    (void)state;
    memset(&m, 0, sizeof(m));
    assert_int_equal(e820_set(&m, 0x100000, 0x20000000, LINUX_E820_RESERVED), 0);
    assert_int_equal(e820_set(&m, 0, 0x9f000, LINUX_E820_RAM), 0);
    assert_int_equal(e820_set(&m, 0x1000000, 0x3000000, LINUX_E820_RAM), 0);     /* inside: split */
    assert_int_equal(e820_set(&m, 0x3000000, 0x4000000, LINUX_E820_RAM), 0);     /* touches: merged */
    assert_int_equal(e820_set(&m, 0x5000000, 0x5001000, LINUX_E820_ACPI), 0);
    assert_int_equal(m.n, 6);
    expect(&m, 0, 0, 0x9f000, LINUX_E820_RAM);
    expect(&m, 1, 0x100000, 0xf00000, LINUX_E820_RESERVED);
    expect(&m, 2, 0x1000000, 0x3000000, LINUX_E820_RAM);
    expect(&m, 3, 0x4000000, 0x1000000, LINUX_E820_RESERVED);
    expect(&m, 4, 0x5000000, 0x1000, LINUX_E820_ACPI);
    expect(&m, 5, 0x5001000, 0x20000000 - 0x5001000, LINUX_E820_RESERVED);
    assert_int_equal(e820_total(&m, LINUX_E820_RAM), 0x9f000 + 0x3000000);
    assert_int_equal(e820_clear(&m, 0, 0x1000), 0);
    expect(&m, 0, 0x1000, 0x9e000, LINUX_E820_RAM);
    assert_int_equal(e820_set(&m, 5, 5, LINUX_E820_RAM), 0);                   /* empty: nothing */
    assert_int_equal(m.n, 6);
}

static void test_overflow(void **state)
{
    static struct e820_map m, before;

    (void)state;
    memset(&m, 0, sizeof(m));
    for (unsigned i = 0; i < LINUX_E820_MAX; i++)
        assert_int_equal(e820_set(&m, i * 0x2000ull, i * 0x2000ull + 0x1000, LINUX_E820_RAM), 0);
    assert_int_equal(m.n, LINUX_E820_MAX);
    before = m;
    assert_int_equal(e820_set(&m, 0x1000000, 0x1001000, LINUX_E820_RAM), -E2BIG);
    assert_int_equal(e820_set(&m, 0x400, 0x800, LINUX_E820_ACPI), -E2BIG);       /* a split */
    assert_memory_equal(&m, &before, sizeof(m));
    assert_int_equal(e820_set(&m, 0, 0x1000000, LINUX_E820_RESERVED), 0);      /* swallows all */
    assert_int_equal(m.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paint),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}

/* Command-line parser: values, suffixes, booleans, unknown and bad options. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <keel/cmdline.h>
#include "unit.h"

static uint64_t maxcpus, mem;
static int flag;
static char name[8];
static char custom_seen[32];

static int custom(const char *v)
{
    if (!strcmp(v, "bad"))
        return -EINVAL;
    strcpy(custom_seen, v);
    return 0;
}

static const struct param table[] = {
    { "maxcpus", PARAM_UINT, &maxcpus, 0, NULL },
    { "dom0_mem", PARAM_SIZE, &mem, 0, NULL },
    { "x2apic", PARAM_BOOL, &flag, 0, NULL },
    { "name", PARAM_STR, name, sizeof(name), NULL },
    { "console", PARAM_CUSTOM, NULL, 0, custom },
};

static int parse(const char *s)
{
    maxcpus = mem = 0;
    flag = -1;
    name[0] = custom_seen[0] = '\0';
    unit_log_clear();
    return cmdline_parse(s, table, sizeof(table) / sizeof(table[0]));
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(parse("  maxcpus=4\tdom0_mem=512M x2apic name=abc console=com1  "), 0);
    assert_int_equal(maxcpus, 4);
    assert_int_equal(mem, 512ull << 20);
    assert_int_equal(flag, 1);
    assert_string_equal(name, "abc");
    assert_string_equal(custom_seen, "com1");
    assert_int_equal(parse("maxcpus=0x10 dom0_mem=2GiB no-x2apic"), 0);
    assert_int_equal(maxcpus, 16);
    assert_int_equal(mem, 2ull << 30);
    assert_int_equal(flag, 0);
    assert_int_equal(parse("x2apic=off dom0_mem=1024 dom0_mem=4kb"), 0);
    assert_int_equal(flag, 0);
    assert_int_equal(mem, 4096);                 /* the last one wins */
    assert_int_equal(parse(""), 0);
}

static void test_warnings(void **state)
{
    char longtok[400];

    (void)state;
    assert_int_equal(parse("bogus=1 maxcpus=2"), 1);
    assert_true(unit_log_has("unknown option 'bogus'"));
    assert_int_equal(maxcpus, 2);                /* the rest still applies */
    assert_int_equal(parse("maxcpus=abc maxcpus= maxcpus dom0_mem=12Q dom0_mem=99999999999T"), 5);
    assert_true(unit_log_has("bad value 'abc' for 'maxcpus'"));
    assert_int_equal(maxcpus, 0);
    assert_int_equal(parse("x2apic=maybe name=toolongname console=bad no-maxcpus"), 4);
    assert_string_equal(name, "");
    assert_int_equal(parse("maxcpus=-1 maxcpus=99999999999999999999999"), 2);
    memset(longtok, 'a', sizeof(longtok) - 1);
    longtok[sizeof(longtok) - 1] = '\0';
    assert_int_equal(parse(longtok), 1);
    assert_true(unit_log_has("too long"));
}

static void test_parse_size(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(parse_size("1K", &v, 1), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(parse_size("3t", &v, 1), 0);
    assert_int_equal(v, 3ull << 40);
    assert_int_equal(parse_size("3M", &v, 0), -EINVAL);   /* suffix not allowed */
    assert_int_equal(parse_size("", &v, 1), -EINVAL);
    assert_int_equal(parse_size("M", &v, 1), -EINVAL);
    assert_int_equal(parse_size("16777216T", &v, 1), -EINVAL);   /* overflows */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_parse_size),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}

/* keel/ratelimit.h: gprintk()'s budget per window, and the count of what it dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <keel/ratelimit.h>
#include "unit.h"

static void test_burst_then_suppressed(void **state)
{
    struct ratelimit rl = { 0, 0, 0 };
    uint32_t missed = 99;
    unsigned let = 0;

    (void)state;
    for (unsigned i = 0; i < 4096; i++)             /* one rep outsb's worth in one window */
        let += (unsigned)ratelimit_ok(&rl, 1000 + i, 5000, 10, &missed);
    assert_int_equal(let, 10);
    assert_int_equal(missed, 0);                    /* the first ten followed nothing dropped */
    assert_int_equal(rl.missed, 4086);
    assert_false(ratelimit_ok(&rl, 5999, 5000, 10, &missed));      /* still that window */
    assert_true(ratelimit_ok(&rl, 6000, 5000, 10, &missed));       /* the next one */
    assert_int_equal(missed, 4087);                 /* says what it dropped, once */
    assert_true(ratelimit_ok(&rl, 6001, 5000, 10, &missed));
    assert_int_equal(missed, 0);
}

static void test_clock_at_zero(void **state)
{
    struct ratelimit rl = { 0, 0, 0 };
    uint32_t missed;

    (void)state;
    assert_true(ratelimit_ok(&rl, 0, 100, 1, &missed));
    assert_false(ratelimit_ok(&rl, 50, 100, 1, &missed));         /* a window starting at 0 counts */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_suppressed),
        cmocka_unit_test(test_clock_at_zero),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

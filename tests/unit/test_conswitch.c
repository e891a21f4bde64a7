/* Console input switching: three Ctrl-As switch, fewer reach the guest in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <keel/conswitch.h>
#include "unit.h"

/* Feed a string; return what was delivered (to either side) and count switches. */
static const char *feed(struct conswitch *s, const char *in, int *switches)
{
    static char got[64];
    size_t n = 0;

    *switches = 0;
    for (; *in; in++) {
        char out[3];
        int sw, k = conswitch_feed(s, *in, out, &sw);
        for (int i = 0; i < k; i++)
            got[n++] = out[i];
        *switches += sw;
    }
    got[n] = '\0';
    return got;
}

static void test_switching(void **state)
{
    struct conswitch s = { 0, 0 };
    int sw;

    (void)state;
    assert_string_equal(feed(&s, "ls\r", &sw), "ls\r");
    assert_int_equal(sw, 0);
    assert_string_equal(feed(&s, "\x01\x01\x01", &sw), "");
    assert_int_equal(sw, 1);
    assert_true(s.to_keel);
    assert_string_equal(feed(&s, "h", &sw), "h");
    assert_string_equal(feed(&s, "\x01\x01\x01", &sw), "");
    assert_false(s.to_keel);
    /* One or two Ctrl-As are the guest's (screen, emacs), before what follows them. */
    assert_string_equal(feed(&s, "\x01" "a", &sw), "\x01" "a");
    assert_string_equal(feed(&s, "\x01\x01" "b", &sw), "\x01\x01" "b");
    assert_int_equal(sw, 0);
    /* Six in a row: there and back. */
    assert_string_equal(feed(&s, "\x01\x01\x01\x01\x01\x01", &sw), "");
    assert_int_equal(sw, 2);
    assert_false(s.to_keel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switching),
    };
    return cmocka_run_group_tests_name("conswitch", tests, NULL, NULL);
}

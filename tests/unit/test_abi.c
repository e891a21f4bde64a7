/* The public ABI's layouts: what keel.ko, libkeel and the hypervisor agree on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <public/keel.h>
#include "unit.h"

static void test_ioctl_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct keel_ioctl_hypercall), 72);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, nr), 0);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, args), 8);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf), 48);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf_len), 56);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf_arg), 60);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, result), 64);
    /* Linux's _IOWR('K', 1, 72 bytes): direction 3, size, type, number. */
    assert_int_equal(KEEL_IOCTL_HYPERCALL, (3u << 30) | (72u << 16) | ('K' << 8) | 1);
}

static void test_physinfo_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct keel_physinfo), 56);
    assert_int_equal(offsetof(struct keel_physinfo, free_bytes), 8);
    assert_int_equal(offsetof(struct keel_physinfo, tsc_khz), 16);
    assert_int_equal(offsetof(struct keel_physinfo, version), 24);
}

static void test_numbers(void **state)
{
    (void)state;
    /* Numbers are ABI: changing one needs a new KEEL_ABI_VERSION. */
    assert_int_equal(KEEL_ABI_VERSION, 2);
    assert_int_equal(KEEL_HC_ABI_VERSION, 0);
    assert_int_equal(KEEL_HC_CONSOLE_READ, 1);
    assert_int_equal(KEEL_HC_PHYSINFO, 2);
    assert_int_equal(KEEL_CONSOLE_CLEAR, 1);
    assert_true(KEEL_CONSOLE_READ_MAX <= KEEL_IOCTL_BUF_MAX);
    assert_int_equal(KEEL_EPERM, 1);
    assert_int_equal(KEEL_ENOSYS, 38);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ioctl_layout),
        cmocka_unit_test(test_physinfo_layout),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

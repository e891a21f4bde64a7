/*
 * The public ABI: field offsets (the header's _Static_asserts hold the
 * sizes), ioctl and hypercall numbers, and keel.ko's buffer rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <public/keel.h>
#include <public/keel_hcbuf.h>
#include "unit.h"

static void test_ioctl_layout(void **state)
{
    (void)state;
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, nr), 0);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, args), 8);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf), 48);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf_len), 56);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf_arg), 60);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, buf_dir), 62);
    assert_int_equal(offsetof(struct keel_ioctl_hypercall, result), 64);
    /* Linux's _IOWR('K', 1, 72 bytes): direction 3, size, type, number. */
    assert_int_equal(KEEL_IOCTL_HYPERCALL, (3u << 30) | (72u << 16) | ('K' << 8) | 1);
}

static void test_physinfo_layout(void **state)
{
    (void)state;
    assert_int_equal(offsetof(struct keel_physinfo, free_bytes), 8);
    assert_int_equal(offsetof(struct keel_physinfo, tsc_khz), 16);
    assert_int_equal(offsetof(struct keel_physinfo, version), 24);
    assert_int_equal(offsetof(struct keel_physinfo, total_bytes), 56);
    assert_int_equal(offsetof(struct keel_physinfo, virt_caps), 76);
    assert_int_equal(offsetof(struct keel_physinfo, hw_caps), 80);
}

static void test_domctl_layout(void **state)
{
    (void)state;
    assert_int_equal(offsetof(struct keel_domain_create, uuid), 32);
    assert_int_equal(offsetof(struct keel_domain_create, mem_bytes), 48);
    assert_int_equal(offsetof(struct keel_domain_create, max_vcpus), 56);
    assert_int_equal(offsetof(struct keel_domain_info, mem_bytes), 24);
    assert_int_equal(offsetof(struct keel_domain_info, max_mem_bytes), 32);
    assert_int_equal(offsetof(struct keel_domain_info, cpu_time_ns), 40);
    assert_int_equal(offsetof(struct keel_domain_info, name), 56);
    assert_int_equal(offsetof(struct keel_domain_info, uuid), 88);
    assert_int_equal(offsetof(struct keel_domain_info, crash_reason), 104);
    assert_int_equal(offsetof(struct keel_vcpu_entry, rip), 8);
    assert_int_equal(offsetof(struct keel_vcpu_entry, rbx), 48);
    assert_int_equal(offsetof(struct keel_vcpu_context, rip), 128);
    assert_int_equal(offsetof(struct keel_vcpu_context, cs), 192);
    assert_int_equal(KEEL_IOCTL_EVTCHN, (3u << 30) | (24u << 16) | ('K' << 8) | 2);
    assert_int_equal(offsetof(struct keel_vcpu_info, flags), 8);
    assert_int_equal(offsetof(struct keel_vcpu_info, cpu_time_ns), 16);
    /* A list of the most domains fits one bounced buffer. */
    assert_true(KEEL_DOMAIN_LIST_MAX * sizeof(struct keel_domain_info) <= KEEL_IOCTL_BUF_MAX);
}

static void test_numbers(void **state)
{
    (void)state;
    /* Numbers are ABI: changing one needs a new KEEL_ABI_VERSION. */
    assert_int_equal(KEEL_ABI_VERSION, 6);
    assert_int_equal(KEEL_HC_ABI_VERSION, 0);
    assert_int_equal(KEEL_HC_CONSOLE_READ, 1);
    assert_int_equal(KEEL_HC_PHYSINFO, 2);
    assert_int_equal(KEEL_CONSOLE_CLEAR, 1);
    assert_int_equal(KEEL_HC_DOMAIN_CREATE, 3);
    assert_int_equal(KEEL_HC_DOMAIN_DESTROY, 4);
    assert_int_equal(KEEL_HC_DOMAIN_PAUSE, 5);
    assert_int_equal(KEEL_HC_DOMAIN_UNPAUSE, 6);
    assert_int_equal(KEEL_HC_DOMAIN_LIST, 7);
    assert_int_equal(KEEL_HC_DOMAIN_SET_MAXMEM, 8);
    assert_int_equal(KEEL_HC_VCPU_SET_ENTRY, 9);
    assert_int_equal(KEEL_HC_DOMAIN_CONSOLE, 10);
    assert_int_equal(KEEL_HC_DOMAIN_SHUTDOWN, 11);
    assert_int_equal(KEEL_HC_VCPU_LIST, 12);
    assert_int_equal(KEEL_HC_EVTCHN_OP, 13);
    assert_int_equal(KEEL_HC_VCPU_CONTEXT, 14);
    assert_int_equal(KEEL_HC_FOREIGN_MAP, 15);
    assert_int_equal(KEEL_HC_FOREIGN_UNMAP, 16);
    assert_int_equal(KEEL_ENTRY_LINUX64, 1);
    assert_int_equal(KEEL_ENTRY_PM32, 2);
    assert_int_equal(KEEL_EVTCHN_INIT, 0);
    assert_int_equal(KEEL_EVTCHN_RESET, 6);
    assert_int_equal(KEEL_VIRQ_DOM_EXC, 0);
    assert_int_equal(KEEL_VIRQ_CONSOLE, 1);
    assert_int_equal(KEEL_VIRQ_MAX, 2);
    assert_int_equal(KEEL_BUF_IN, 1);
    assert_int_equal(KEEL_BUF_OUT, 2);
    assert_int_equal(KEEL_SHUTDOWN_POWEROFF, 0);
    assert_int_equal(KEEL_SHUTDOWN_REBOOT, 1);
    assert_int_equal(KEEL_SHUTDOWN_CRASH, 3);
    assert_true(KEEL_CONSOLE_READ_MAX <= KEEL_IOCTL_BUF_MAX);
    assert_int_equal(KEEL_EPERM, 1);
    assert_int_equal(KEEL_ENOSYS, 38);
}

/* keel_hc_buffer(): which argument is a buffer, and how much of it Keel may touch. */
static void test_hc_buffers(void **state)
{
    uint64_t a[5] = { 0, 64, 0, 0, 0 }, bytes;
    unsigned arg;

    (void)state;
    /* The review's case: 64 domains asked into a 200-byte buffer needs 12800 bytes. */
    assert_true(keel_hc_buffer(KEEL_HC_DOMAIN_LIST, a, &arg, &bytes));
    assert_int_equal(arg, 0);
    assert_int_equal(bytes, 64 * sizeof(struct keel_domain_info));
    assert_true(bytes > 200);
    a[1] = KEEL_DOMAIN_LIST_MAX + 1;                    /* no product that wraps or fits */
    assert_true(keel_hc_buffer(KEEL_HC_DOMAIN_LIST, a, &arg, &bytes) && bytes > KEEL_IOCTL_BUF_MAX);
    a[1] = 0;
    a[2] = ~0ull / sizeof(struct keel_vcpu_info) + 2;   /* a count whose product would wrap */
    assert_true(keel_hc_buffer(KEEL_HC_VCPU_LIST, a, &arg, &bytes) && arg == 1 && bytes > KEEL_IOCTL_BUF_MAX);
    a[3] = 5000;
    assert_true(keel_hc_buffer(KEEL_HC_DOMAIN_CONSOLE, a, &arg, &bytes) && arg == 2 && bytes == 5000);
    assert_true(keel_hc_buffer(KEEL_HC_VCPU_CONTEXT, a, &arg, &bytes) && arg == 3 &&
                bytes == sizeof(struct keel_vcpu_context));
    assert_true(keel_hc_buffer(KEEL_HC_VCPU_SET_ENTRY, a, &arg, &bytes) && arg == 2);
    assert_true(keel_hc_buffer(KEEL_HC_PHYSINFO, a, &arg, &bytes) && bytes == sizeof(struct keel_physinfo));
    /* Calls without a buffer: keel.ko lets no address through for them. */
    assert_false(keel_hc_buffer(KEEL_HC_DOMAIN_DESTROY, a, &arg, &bytes));
    assert_false(keel_hc_buffer(KEEL_HC_DOMAIN_SET_MAXMEM, a, &arg, &bytes));
    assert_false(keel_hc_buffer(KEEL_HC_TEST_EPT_PROTECT, a, &arg, &bytes));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ioctl_layout),
        cmocka_unit_test(test_physinfo_layout),
        cmocka_unit_test(test_domctl_layout),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_hc_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Virtual LAPIC: registers, timer modes against a given TSC, priorities, EOI, x2APIC rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <asm/vlapic.h>
#include "unit.h"

#define KHZ 10000       /* a 10 MHz TSC, as under Bochs with ips=10000000 */
static struct vlapic l;

static uint64_t rd(unsigned reg, uint64_t now)
{
    uint64_t v = 0;
    assert_int_equal(vlapic_read(&l, reg, now, &v), 0);
    return v;
}

static int setup(void **state)
{
    (void)state;
    vlapic_reset(&l, 3, KHZ);
    return 0;
}

static void test_registers(void **state)
{
    (void)state;
    assert_int_equal(rd(LAPIC_ID, 0), 3u << 24);
    assert_int_equal(rd(LAPIC_VER, 0) & 0xff, 0x14);
    assert_int_equal(rd(LAPIC_SVR, 0), 0xff);                        /* disabled after reset */
    assert_int_equal(rd(LAPIC_LVTT, 0), LVT_MASKED);
    vlapic_write(&l, LAPIC_LVTT, 0x40, 0);                           /* masks stick while disabled */
    assert_int_equal(rd(LAPIC_LVTT, 0), 0x40 | LVT_MASKED);
    vlapic_write(&l, LAPIC_SVR, 0x1ff, 0);
    vlapic_write(&l, LAPIC_LVTT, 0x40, 0);
    assert_int_equal(rd(LAPIC_LVTT, 0), 0x40);
    assert_int_equal(vlapic_write(&l, LAPIC_ICR2, 0x02000000, 0), VLAPIC_DONE);
    assert_int_equal(vlapic_write(&l, LAPIC_ICR, 0x4041, 0), VLAPIC_SEND_IPI);
    assert_int_equal(rd(LAPIC_ICR, 0), 0x4041);
    assert_int_equal(vlapic_read(&l, 0x050, 0, &(uint64_t){ 0 }), -1);   /* reserved */
    /* x2APIC: 32-bit ID, LDR derived, DFR gone, ICR is 64 bits, reserved bits #GP. */
    l.x2apic = 1;
    assert_int_equal(rd(LAPIC_ID, 0), 3);
    assert_int_equal(rd(LAPIC_LDR, 0), 1u << 3);
    assert_int_equal(vlapic_read(&l, LAPIC_DFR, 0, &(uint64_t){ 0 }), -1);
    assert_int_equal(vlapic_write(&l, LAPIC_ICR, (5ull << 32) | 0x30, 0), VLAPIC_SEND_IPI);
    assert_int_equal(l.icr_hi, 5);
    assert_int_equal(vlapic_write(&l, LAPIC_TPR, 1ull << 32, 0), VLAPIC_FAULT);
    assert_int_equal(vlapic_write(&l, LAPIC_EOI, 1, 0), VLAPIC_FAULT);
    assert_int_equal(vlapic_write(&l, LAPIC_LDR, 0, 0), VLAPIC_FAULT);
    assert_int_equal(vlapic_write(&l, LAPIC_SELF_IPI, 0x55, 0), VLAPIC_DONE);
    assert_int_equal(vlapic_pending(&l), 0x55);
}

static void test_timer_modes(void **state)
{
    (void)state;
    vlapic_write(&l, LAPIC_SVR, 0x1ff, 0);
    vlapic_write(&l, LAPIC_TDCR, 0xb, 0);                            /* divide by 1 */
    vlapic_write(&l, LAPIC_LVTT, 0x40, 0);
    vlapic_write(&l, LAPIC_TMICT, 25000, 1000);                      /* 1 ms at 25 MHz = 10000 TSC ticks */
    assert_int_equal(l.deadline, 11000);
    assert_int_equal(rd(LAPIC_TMCCT, 6000), 12500);
    assert_int_equal(vlapic_timer_poll(&l, 10999), 0);
    assert_int_equal(vlapic_timer_poll(&l, 11000), 1);
    assert_int_equal(vlapic_pending(&l), 0x40);
    assert_int_equal(l.deadline, 0);                                 /* one-shot: done */
    assert_int_equal(rd(LAPIC_TMCCT, 12000), 0);
    /* Divide by 2 doubles the period (figure 11-10: 0b0000). */
    vlapic_write(&l, LAPIC_TDCR, 0x0, 0);
    vlapic_write(&l, LAPIC_TMICT, 25000, 0);
    assert_int_equal(l.deadline, 20000);
    /* Periodic: missed periods are skipped, the phase kept. */
    vlapic_write(&l, LAPIC_TDCR, 0xb, 0);
    vlapic_write(&l, LAPIC_LVTT, 0x20041, 0);
    assert_int_equal(l.deadline, 0);                                 /* a mode switch stops it */
    vlapic_write(&l, LAPIC_TMICT, 2500, 0);                          /* 1000 ticks */
    assert_int_equal(vlapic_timer_poll(&l, 3500), 1);
    assert_int_equal(l.deadline, 4000);
    /* TSC-deadline: the MSR arms it; TMICT is ignored. */
    vlapic_write(&l, LAPIC_LVTT, 0x40042, 0);
    vlapic_write(&l, LAPIC_TMICT, 5, 0);
    assert_int_equal(l.deadline, 0);
    vlapic_write_tsc_deadline(&l, 777);
    assert_int_equal(vlapic_read_tsc_deadline(&l), 777);
    assert_int_equal(vlapic_timer_poll(&l, 800), 1);
    assert_int_equal(vlapic_read_tsc_deadline(&l), 0);
    /* A masked timer expires without raising its vector. */
    memset(l.irr, 0, sizeof(l.irr));
    vlapic_write(&l, LAPIC_LVTT, 0x50043 | LVT_MASKED, 0);
    vlapic_write_tsc_deadline(&l, 10);
    assert_int_equal(vlapic_timer_poll(&l, 20), 1);
    assert_int_equal(vlapic_pending(&l), -1);
}

static void test_priorities(void **state)
{
    (void)state;
    vlapic_set_irr(&l, 0x51);
    assert_int_equal(vlapic_pending(&l), -1);                        /* software-disabled */
    vlapic_write(&l, LAPIC_SVR, 0x1ff, 0);
    vlapic_set_irr(&l, 0x32);
    assert_int_equal(vlapic_pending(&l), 0x51);
    vlapic_accept(&l, 0x51);
    assert_int_equal(rd(LAPIC_PPR, 0), 0x50);
    assert_int_equal(vlapic_pending(&l), -1);                        /* 0x32 is below the in-service class */
    vlapic_set_irr(&l, 0x61);
    assert_int_equal(vlapic_pending(&l), 0x61);                      /* a higher class nests */
    vlapic_write(&l, LAPIC_TPR, 0x70, 0);
    assert_int_equal(vlapic_pending(&l), -1);                        /* TPR holds it back */
    vlapic_write(&l, LAPIC_TPR, 0, 0);
    vlapic_accept(&l, 0x61);
    vlapic_write(&l, LAPIC_EOI, 0, 0);                               /* ends 0x61 first */
    assert_int_equal(rd(LAPIC_ISR + 0x30, 0), 0);
    assert_int_equal(rd(LAPIC_ISR + 0x20, 0), 1u << 17);
    vlapic_write(&l, LAPIC_EOI, 0, 0);
    assert_int_equal(vlapic_pending(&l), 0x32);
    vlapic_set_irr(&l, 7);                                           /* illegal vector */
    assert_int_equal(rd(LAPIC_ESR, 0) & (1u << 6), 1u << 6);
    vlapic_write(&l, LAPIC_ESR, 0, 0);
    assert_int_equal(rd(LAPIC_ESR, 0), 0);
}

/* Level-triggered requests set TMR and their EOI is reported for the I/O APIC; edge ones are not. */
static void test_level_eoi(void **state)
{
    (void)state;
    vlapic_write(&l, LAPIC_SVR, 0x1ff, 0);
    vlapic_set_irr_trig(&l, 0x41, 1);
    vlapic_set_irr(&l, 0x52);
    assert_int_equal(rd(LAPIC_TMR + 0x20, 0), 1u << 1);
    vlapic_accept(&l, 0x52);
    assert_int_equal(vlapic_write(&l, LAPIC_EOI, 0, 0), VLAPIC_DONE);
    assert_int_equal(vlapic_pending(&l), 0x41);
    vlapic_accept(&l, 0x41);
    assert_int_equal(vlapic_write(&l, LAPIC_EOI, 0, 0), VLAPIC_EOI_LEVEL);
    assert_int_equal(l.eoi_vector, 0x41);
    vlapic_set_irr(&l, 0x41);                                        /* the same vector, now edge */
    assert_int_equal(rd(LAPIC_TMR + 0x20, 0), 0);
    vlapic_accept(&l, 0x41);
    assert_int_equal(vlapic_write(&l, LAPIC_EOI, 0, 0), VLAPIC_DONE);
}

static void test_destinations(void **state)
{
    (void)state;
    l.id = 2;
    assert_true(vlapic_match_dest(&l, 2, 0));
    assert_false(vlapic_match_dest(&l, 3, 0));
    assert_true(vlapic_match_dest(&l, 0xff, 0));                    /* broadcast */
    vlapic_write(&l, LAPIC_LDR, 0x04000000, 0);                      /* flat: bit 2 */
    assert_true(vlapic_match_dest(&l, 0x0c, 1));
    assert_false(vlapic_match_dest(&l, 0x03, 1));
    vlapic_write(&l, LAPIC_DFR, 0x0fffffff, 0);                      /* cluster model */
    vlapic_write(&l, LAPIC_LDR, 0x12000000, 0);                      /* cluster 1, bit 1 */
    assert_true(vlapic_match_dest(&l, 0x13, 1));
    assert_false(vlapic_match_dest(&l, 0x23, 1));
    l.x2apic = 1;
    l.id = 0x21;                                                     /* cluster 2, bit 1 */
    assert_true(vlapic_match_dest(&l, 0x00020002, 1));
    assert_false(vlapic_match_dest(&l, 0x00010002, 1));
    assert_true(vlapic_match_dest(&l, 0x21, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_registers, setup),
        cmocka_unit_test_setup(test_timer_modes, setup),
        cmocka_unit_test_setup(test_priorities, setup),
        cmocka_unit_test_setup(test_level_eoi, setup),
        cmocka_unit_test_setup(test_destinations, setup),
    };
    return cmocka_run_group_tests_name("vlapic", tests, NULL, NULL);
}

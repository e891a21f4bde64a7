/* Virtual I/O APIC: registers, edge and level pins, remote IRR and EOI, masking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <asm/vioapic.h>
#include "unit.h"

static struct vioapic io;
static uint64_t sent[16];
static unsigned nr_sent, nr_changed, last_changed_pin;
static int line_after_eoi;

static void deliver(void *o, uint64_t rte) { (void)o; if (nr_sent < 16) sent[nr_sent] = rte; nr_sent++; }
static void changed(void *o, unsigned pin, uint64_t rte) { (void)o; (void)rte; nr_changed++; last_changed_pin = pin; }
static int eoi(void *o, unsigned pin) { (void)o; (void)pin; return line_after_eoi; }
static const struct vioapic_ops ops = { deliver, changed, eoi, NULL };

static int setup(void **state)
{
    (void)state;
    vioapic_reset(&io, 2, 24, &ops);
    nr_sent = nr_changed = 0;
    line_after_eoi = 0;
    return 0;
}

static uint32_t rd(unsigned reg)
{
    vioapic_mmio_write(&io, IOAPIC_REGSEL, reg);
    return vioapic_mmio_read(&io, IOAPIC_WINDOW);
}

static void wr(unsigned reg, uint32_t v)
{
    vioapic_mmio_write(&io, IOAPIC_REGSEL, reg);
    vioapic_mmio_write(&io, IOAPIC_WINDOW, v);
}

static void test_registers(void **state)
{
    (void)state;
    assert_int_equal(rd(IOAPIC_REG_ID), 2u << 24);
    assert_int_equal(rd(IOAPIC_REG_VERSION), 0x170011);       /* 24 pins, version 0x11 */
    assert_int_equal(rd(IOAPIC_REG_RTE(5)), RTE_MASKED);
    wr(IOAPIC_REG_RTE(5) + 1, 0x03000000);
    wr(IOAPIC_REG_RTE(5), 0x0000a031 | RTE_REMOTE_IRR | RTE_DELIVERY_STATUS);   /* RO bits ignored */
    assert_int_equal(rd(IOAPIC_REG_RTE(5)), 0xa031);
    assert_int_equal(rd(IOAPIC_REG_RTE(5) + 1), 0x03000000);
    assert_int_equal(nr_changed, 1);
    assert_int_equal(last_changed_pin, 5);
    assert_int_equal(rd(IOAPIC_REG_RTE(24)), 0xffffffff);     /* past the last pin */
    wr(IOAPIC_REG_VERSION, 0);                                /* read-only */
    assert_int_equal(rd(IOAPIC_REG_VERSION), 0x170011);
    assert_int_equal(vioapic_mmio_read(&io, 0x20), 0);        /* no such offset */
    vioapic_set_line(&io, 99, 1);                             /* no such pin: ignored */
    assert_int_equal(nr_sent, 0);
}

static void test_edge(void **state)
{
    (void)state;
    vioapic_set_line(&io, 4, 1);                              /* masked: lost */
    vioapic_set_line(&io, 4, 0);
    wr(IOAPIC_REG_RTE(4), 0x34);
    assert_int_equal(nr_sent, 0);
    vioapic_set_line(&io, 4, 1);
    vioapic_set_line(&io, 4, 1);                              /* no new edge */
    assert_int_equal(nr_sent, 1);
    assert_int_equal(RTE_VECTOR(sent[0]), 0x34);
    vioapic_set_line(&io, 4, 0);
    vioapic_set_line(&io, 4, 1);
    assert_int_equal(nr_sent, 2);
    vioapic_eoi(&io, 0x34);                                   /* edge: nothing to end */
    assert_int_equal(nr_sent, 2);
}

static void test_level(void **state)
{
    (void)state;
    vioapic_set_line(&io, 10, 1);                             /* asserted while masked */
    assert_int_equal(nr_sent, 0);
    wr(IOAPIC_REG_RTE(10), 0x41 | RTE_LEVEL | RTE_ACTIVE_LOW);
    assert_int_equal(nr_sent, 1);                             /* fires when unmasked */
    assert_true(rd(IOAPIC_REG_RTE(10)) & RTE_REMOTE_IRR);
    vioapic_set_line(&io, 10, 1);
    assert_int_equal(nr_sent, 1);                             /* in service: held */
    line_after_eoi = 1;
    vioapic_eoi(&io, 0x41);                                   /* still asserted: again */
    assert_int_equal(nr_sent, 2);
    line_after_eoi = 0;
    vioapic_eoi(&io, 0x41);
    assert_int_equal(nr_sent, 2);
    assert_false(rd(IOAPIC_REG_RTE(10)) & RTE_REMOTE_IRR);
    vioapic_eoi(&io, 0x41);                                   /* stray EOI */
    assert_int_equal(nr_sent, 2);
    /* Linux's EOI for I/O APICs without an EOI register: flip to edge and back. */
    vioapic_set_line(&io, 10, 1);
    assert_int_equal(nr_sent, 3);
    wr(IOAPIC_REG_RTE(10), 0x41 | RTE_ACTIVE_LOW);
    assert_false(rd(IOAPIC_REG_RTE(10)) & RTE_REMOTE_IRR);
    vioapic_set_line(&io, 10, 0);
    wr(IOAPIC_REG_RTE(10), 0x41 | RTE_LEVEL | RTE_ACTIVE_LOW);
    assert_int_equal(nr_sent, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_registers, setup),
        cmocka_unit_test_setup(test_edge, setup),
        cmocka_unit_test_setup(test_level, setup),
    };
    return cmocka_run_group_tests_name("vioapic", tests, NULL, NULL);
}

/*
 * The guest's i8254: what Linux's pit_calibrate_tsc() and
 * quick_pit_calibrate() do with it, against a TSC of 2 GHz, and hostile
 * sequences (any port, any value, any order).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <asm/vpit.h>
#include "unit.h"

#define KHZ 2000000ull                          /* a 2 GHz TSC */
#define TSC_PER_TICK(n) (((n) * KHZ * 1000 + VPIT_HZ - 1) / VPIT_HZ)     /* rounded up: exactly n ticks */

/* pit_calibrate_tsc(): gate on, channel 2 mode 0, a latch; OUT2 rises at terminal count. */
static void mode0_out2(void **state)
{
    struct vpit p;
    uint64_t t = 1000000;

    vpit_reset(&p);
    vpit_write(&p, 0x61, (vpit_read(&p, 0x61, t, KHZ) & ~0x02) | 0x01, t, KHZ);
    vpit_write(&p, 0x43, 0xb0, t, KHZ);         /* channel 2, LSB then MSB, mode 0, binary */
    assert_false(vpit_read(&p, 0x61, t, KHZ) & 0x20);
    vpit_write(&p, 0x42, 0x9c, t, KHZ);         /* 11932: 10 ms */
    vpit_write(&p, 0x42, 0x2e, t, KHZ);
    assert_false(vpit_read(&p, 0x61, t + TSC_PER_TICK(11931), KHZ) & 0x20);
    assert_true(vpit_read(&p, 0x61, t + TSC_PER_TICK(11933), KHZ) & 0x20);
    /* Bit 4 toggles from read to read, as a PC's refresh bit does. */
    assert_int_not_equal(vpit_read(&p, 0x61, t, KHZ) & 0x10, vpit_read(&p, 0x61, t, KHZ) & 0x10);
    (void)state;
}

/* quick_pit_calibrate(): count 0xffff, then the MSB falls by one every 256 ticks. */
static void msb_counts_down(void **state)
{
    struct vpit p;
    uint64_t t = 5;

    vpit_reset(&p);
    vpit_write(&p, 0x61, 0x01, t, KHZ);
    vpit_write(&p, 0x43, 0xb0, t, KHZ);
    vpit_write(&p, 0x42, 0xff, t, KHZ);
    vpit_write(&p, 0x42, 0xff, t, KHZ);
    for (unsigned i = 0; i < 200; i++) {
        uint64_t now = t + TSC_PER_TICK(256ull * i + 10);
        uint8_t lsb = vpit_read(&p, 0x42, now, KHZ), msb = vpit_read(&p, 0x42, now, KHZ);
        assert_int_equal(msb, 0xff - i);
        (void)lsb;
    }
    (void)state;
}

/* A latch holds the count until both bytes are read; the count goes on meanwhile. */
static void latch_and_readback(void **state)
{
    struct vpit p;
    uint64_t t = 0;

    vpit_reset(&p);
    vpit_write(&p, 0x61, 0x01, t, KHZ);
    vpit_write(&p, 0x43, 0xb4, t, KHZ);         /* channel 2, mode 2 */
    vpit_write(&p, 0x42, 0x00, t, KHZ);
    vpit_write(&p, 0x42, 0x10, t, KHZ);         /* 4096 */
    vpit_write(&p, 0x43, 0x80, t + TSC_PER_TICK(100), KHZ);     /* latch channel 2 */
    assert_int_equal(vpit_read(&p, 0x42, t + TSC_PER_TICK(900), KHZ), (4096 - 100) & 0xff);
    assert_int_equal(vpit_read(&p, 0x42, t + TSC_PER_TICK(900), KHZ), (4096 - 100) >> 8);
    assert_int_equal(vpit_read(&p, 0x42, t + TSC_PER_TICK(900), KHZ), (4096 - 900) & 0xff);
    vpit_read(&p, 0x42, 0, KHZ);
    /* Mode 2 reloads: after 4096 + 5 ticks it reads 4096 - 5. */
    vpit_write(&p, 0x43, 0xc8, t + TSC_PER_TICK(4101), KHZ);    /* read-back, latch count of channel 2 */
    {
        unsigned lsb = vpit_read(&p, 0x42, 0, KHZ), msb = vpit_read(&p, 0x42, 0, KHZ);
        assert_int_equal(lsb | msb << 8, 4096 - 5);
    }
    (void)state;
}

/* Gate off: channel 2 holds; LSB-only and MSB-only access. */
static void gate_and_byte_modes(void **state)
{
    struct vpit p;

    vpit_reset(&p);
    vpit_write(&p, 0x43, 0x90, 0, KHZ);         /* channel 2, LSB only, mode 0 */
    vpit_write(&p, 0x42, 0x80, 0, KHZ);
    assert_int_equal(vpit_read(&p, 0x42, TSC_PER_TICK(50), KHZ), 0x80);        /* gate low: no count */
    vpit_write(&p, 0x61, 0x01, TSC_PER_TICK(50), KHZ);
    assert_int_equal(vpit_read(&p, 0x42, TSC_PER_TICK(60), KHZ), 0x80 - 10);
    vpit_write(&p, 0x43, 0xa0, 0, KHZ);         /* MSB only */
    vpit_write(&p, 0x42, 0x01, 0, KHZ);
    assert_int_equal(vpit_read(&p, 0x42, 0, KHZ), 0x01);
    (void)state;
}

/* Whatever a guest writes, reads stay bytes and nothing is touched outside the state. */
static void hostile(void **state)
{
    struct vpit p;
    uint32_t x = 12345;

    vpit_reset(&p);
    for (unsigned i = 0; i < 200000; i++) {
        uint16_t port = (uint16_t)(0x40 + (x >> 8) % 5);
        if (port == 0x44)
            port = 0x61;
        x = x * 1103515245u + 12345u;
        if (x & 1)
            vpit_write(&p, port, (uint8_t)(x >> 16), (uint64_t)i * 997 + (x >> 20), x & 2 ? KHZ : 0);
        else
            (void)vpit_read(&p, port, (uint64_t)i * 997, x & 4 ? KHZ : 1);
    }
    vpit_write(&p, 0x43, 0xb0, ~0ull, KHZ);
    vpit_write(&p, 0x42, 0, ~0ull, KHZ);
    vpit_write(&p, 0x42, 0, ~0ull, KHZ);       /* count 65536, started at the end of time */
    (void)vpit_read(&p, 0x42, 0, KHZ);
    (void)vpit_read(&p, 0x61, ~0ull, KHZ);
    assert_int_equal(vpit_read(&p, 0x43, 0, KHZ), 0xff);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mode0_out2),
        cmocka_unit_test(msb_counts_down),
        cmocka_unit_test(latch_and_readback),
        cmocka_unit_test(gate_and_byte_modes),
        cmocka_unit_test(hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

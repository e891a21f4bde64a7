/* Virtual 16550A: Linux's 8250 probe, transmit, receive, and the interrupt line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <keel/vuart.h>
#include "unit.h"

static struct vuart u;
static char out[64];
static unsigned nout, rises;
static int line;

static void tx(void *o, uint8_t c) { (void)o; if (nout < sizeof(out)) out[nout++] = (char)c; }
static void irq(void *o, int level) { (void)o; rises += level && !line; line = level; }

static int setup(void **state)
{
    (void)state;
    vuart_reset(&u, tx, NULL, irq, NULL);
    nout = rises = 0;
    line = 0;
    return 0;
}

static void test_probe(void **state)
{
    (void)state;
    vuart_write(&u, 7, 0xa5);
    assert_int_equal(vuart_read(&u, 7), 0xa5);                 /* scratch */
    vuart_write(&u, 4, 0x1a);                                  /* LOOP | OUT2 | RTS */
    assert_int_equal(vuart_read(&u, 6) & 0xf0, 0x90);          /* DCD | CTS: the 8250 loopback test */
    vuart_write(&u, 4, 0);
    vuart_write(&u, 2, 0x01);                                  /* FIFO on */
    assert_int_equal(vuart_read(&u, 2) & 0xc0, 0xc0);          /* a 16550A */
    vuart_write(&u, 3, 0x80);                                  /* divisor latch */
    vuart_write(&u, 0, 0x01);
    vuart_write(&u, 1, 0x00);
    assert_int_equal(vuart_read(&u, 0), 0x01);
    vuart_write(&u, 3, 0x03);
    assert_int_equal(nout, 0);                                 /* divisor writes send nothing */
    assert_int_equal(vuart_read(&u, 5) & 0x60, 0x60);          /* THRE | TEMT */
}

static void test_tx_interrupt(void **state)
{
    (void)state;
    vuart_write(&u, 4, 0x0b);                                  /* DTR RTS OUT2 */
    vuart_write(&u, 1, 0x02);                                  /* THRI on: raised at once */
    assert_int_equal(rises, 1);
    assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x02);
    assert_int_equal(line, 0);                                 /* read from IIR: cleared */
    vuart_write(&u, 0, 'h');
    vuart_write(&u, 0, 'i');
    assert_int_equal(nout, 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(rises, 2);
    vuart_write(&u, 1, 0x00);
    assert_int_equal(line, 0);
    vuart_write(&u, 4, 0x03);                                  /* OUT2 off gates the line */
    vuart_write(&u, 1, 0x02);
    assert_int_equal(line, 0);
}

static void test_rx(void **state)
{
    (void)state;
    vuart_write(&u, 4, 0x08);
    vuart_write(&u, 1, 0x05);                                  /* RDI | RLSI */
    assert_int_equal(vuart_receive(&u, 'x'), 0);
    assert_int_equal(line, 1);
    assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x04);
    assert_int_equal(vuart_read(&u, 5) & 1, 1);
    assert_int_equal(vuart_read(&u, 0), 'x');
    assert_int_equal(line, 0);
    assert_int_equal(vuart_read(&u, 5) & 1, 0);
    for (unsigned i = 0; i < VUART_RX_SIZE; i++)
        assert_int_equal(vuart_receive(&u, (uint8_t)i), 0);
    assert_int_equal(vuart_receive(&u, 0xee), -1);             /* full: lost, overrun */
    assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x06);
    assert_int_equal(vuart_read(&u, 5) & 0x03, 0x03);          /* DR | OE, OE cleared by the read */
    assert_int_equal(vuart_read(&u, 5) & 0x02, 0);
    vuart_write(&u, 2, 0x03);                                  /* clear the receive FIFO */
    assert_int_equal(vuart_read(&u, 5) & 1, 0);
    assert_int_equal(line, 0);
    vuart_write(&u, 4, 0x18);                                  /* loopback: sent comes back */
    vuart_write(&u, 0, 'L');
    assert_int_equal(nout, 0);
    assert_int_equal(vuart_read(&u, 0), 'L');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_tx_interrupt, setup),
        cmocka_unit_test_setup(test_rx, setup),
    };
    return cmocka_run_group_tests_name("vuart", tests, NULL, NULL);
}

/*
 * The test platform's devices: a 16550 on COM1 whose output becomes the
 * domain's console lines, and the debug-exit port. Guest values are taken
 * as they come: any register, any size, any order.
 */
#include <errno.h>
#include <string.h>
#include <keel/buddy.h>
#include <keel/lib.h>
#include <keel/mm.h>
#include <keel/domain.h>
#include <keel/vdev.h>

/* 16550 registers (PC16550D data sheet) that a polled console touches. */
#define UART_THR    0
#define UART_IER    1
#define UART_IIR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_MSR    6
#define UART_SCR    7
#define LCR_DLAB    0x80
#define LSR_THRE_TEMT 0x60
#define IIR_NO_INT  0x01

/* A test domain's device state (d->platform). */
struct test_platform {
    uint8_t com1_lcr, com1_scr;
    uint8_t testdev[VDEV_TESTDEV_SIZE];
};

static int com1(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domain *d = v->domain;
    struct test_platform *tp = d->platform;
    unsigned reg = port - VDEV_COM1_BASE;

    if (!in) {
        uint8_t b = (uint8_t)*val;
        if (reg == UART_THR && !(tp->com1_lcr & LCR_DLAB))
            domain_console_putc(d, (char)b);
        else if (reg == UART_LCR)
            tp->com1_lcr = b;
        else if (reg == UART_SCR)
            tp->com1_scr = b;
        return 0;           /* divisor, IER, FCR, MCR: accepted, no effect */
    }
    switch (reg) {
    case UART_LSR: *val = LSR_THRE_TEMT; break;         /* always ready to send, nothing received */
    case UART_IIR: *val = IIR_NO_INT; break;
    case UART_LCR: *val = tp->com1_lcr; break;
    case UART_SCR: *val = tp->com1_scr; break;
    case UART_MSR: *val = 0xb0; break;                  /* CTS, DSR, DCD */
    default: *val = 0; break;
    }
    return 0;
}

static int debug_exit(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    if (in) {
        *val = 0xffffffff;
        return 0;
    }
    domain_shutdown(v->domain, SHUTDOWN_POWEROFF, *val & (size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff));
    return 0;
}

static int testdev(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val)
{
    uint8_t *m = ((struct test_platform *)v->domain->platform)->testdev;
    uint64_t off = gpa - VDEV_TESTDEV_BASE, count;
    int counter = off + size > VDEV_TESTDEV_SIZE - 8;

    if (!size || size > 8 || off > VDEV_TESTDEV_SIZE - size) {
        if (!write)
            *val = ~0ull;               /* off the end: reads float high */
        return 0;
    }
    if (counter && write)
        return 0;                       /* the counter is read-only */
    if (!counter) {
        memcpy(&count, m + VDEV_TESTDEV_SIZE - 8, 8);
        count++;
        memcpy(m + VDEV_TESTDEV_SIZE - 8, &count, 8);
    }
    if (write) {
        memcpy(m + off, val, size);
    } else {
        *val = 0;
        memcpy(val, m + off, size);
    }
    return 0;
}

static void test_platform_free(struct domain *d)
{
    free_pages(virt_to_phys(d->platform), 1);
    d->platform = NULL;
}

int vdev_test_platform(struct domain *d)
{
    uint64_t pa = alloc_pages(1);
    int rc;

    _Static_assert(sizeof(struct test_platform) <= 2 * PAGE_SIZE, "test platform in 2 pages");
    if (!pa)
        return -ENOMEM;
    d->platform = phys_to_virt(pa);
    memset(d->platform, 0, sizeof(struct test_platform));
    d->platform_free = test_platform_free;
    rc = domain_register_portio(d, VDEV_COM1_BASE, 8, com1);
    if (!rc)
        rc = domain_register_portio(d, VDEV_DEBUG_EXIT, 4, debug_exit);
    if (!rc)
        rc = domain_register_mmio(d, VDEV_TESTDEV_BASE, VDEV_TESTDEV_SIZE, testdev);
    return rc;
}

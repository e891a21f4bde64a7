/*
 * 16550 UART driver (polled). Register layout: the PC16550D data sheet.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <drivers/uart.h>

#define UART_RBR   0   /* receive (read), DLAB=0 */
#define UART_THR   0   /* transmit (write), DLAB=0 */
#define UART_DLL   0   /* divisor low, DLAB=1 */
#define UART_IER   1
#define UART_DLM   1   /* divisor high, DLAB=1 */
#define UART_FCR   2
#define UART_LCR   3
#define UART_MCR   4
#define UART_LSR   5
#define UART_SCR   7

#define LCR_8N1    0x03
#define LCR_DLAB   0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define UART_CLOCK 115200

int uart_init(struct uart *u, uint16_t base, uint32_t baud)
{
    uint32_t div;

    u->base = base;
    u->baud = baud ? baud : 115200;
    u->present = 0;
    /* A UART keeps what is written to its scratch register. */
    outb(base + UART_SCR, 0x5a);
    if (inb(base + UART_SCR) != 0x5a)
        return -ENODEV;
    div = UART_CLOCK / u->baud;
    if (!div || div > 0xffff)
        div = 1;
    outb(base + UART_IER, 0);
    outb(base + UART_LCR, LCR_DLAB);
    outb(base + UART_DLL, (uint8_t)div);
    outb(base + UART_DLM, (uint8_t)(div >> 8));
    outb(base + UART_LCR, LCR_8N1);
    outb(base + UART_FCR, FCR_ENABLE_CLEAR);
    outb(base + UART_MCR, MCR_DTR_RTS_OUT2);
    u->present = 1;
    return 0;
}

void uart_putc(struct uart *u, char c)
{
    /* Bounded: a wedged UART must not hang the hypervisor. */
    for (unsigned spin = 0; spin < 100000; spin++)
        if (inb(u->base + UART_LSR) & LSR_THRE)
            break;
    outb(u->base + UART_THR, (uint8_t)c);
}

int uart_getc(struct uart *u)
{
    if (!u->present || !(inb(u->base + UART_LSR) & LSR_DR))
        return -1;
    return inb(u->base + UART_RBR);
}

void uart_enable_rx_interrupt(struct uart *u)
{
    if (u->present)
        outb(u->base + UART_IER, 0x01);     /* received data available */
}

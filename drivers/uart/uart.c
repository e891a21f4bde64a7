/*
 * 16550 UART driver (polled). Registers and bits: keel/ns16550.h.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <drivers/uart.h>
#include <keel/ns16550.h>

#define UART_FCR_ENABLE_CLEAR (UART_FCR_ENABLE | UART_FCR_CLR_RX | UART_FCR_CLR_TX)
#define UART_MCR_DTR_RTS_OUT2 (UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2)

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
    outb(base + UART_LCR, UART_LCR_DLAB);
    outb(base + UART_DLL, (uint8_t)div);
    outb(base + UART_DLM, (uint8_t)(div >> 8));
    outb(base + UART_LCR, UART_LCR_8N1);
    outb(base + UART_FCR, UART_FCR_ENABLE_CLEAR);
    outb(base + UART_MCR, UART_MCR_DTR_RTS_OUT2);
    u->present = 1;
    return 0;
}

void uart_putc(struct uart *u, char c)
{
    /* Bounded: a wedged UART must not hang the hypervisor. */
    for (unsigned spin = 0; spin < 100000; spin++)
        if (inb(u->base + UART_LSR) & UART_LSR_THRE)
            break;
    outb(u->base + UART_THR, (uint8_t)c);
}

int uart_getc(struct uart *u)
{
    if (!u->present || !(inb(u->base + UART_LSR) & UART_LSR_DR))
        return -1;
    return inb(u->base + UART_RBR);
}

void uart_enable_rx_interrupt(struct uart *u)
{
    if (u->present)
        outb(u->base + UART_IER, UART_IER_RDI);
}

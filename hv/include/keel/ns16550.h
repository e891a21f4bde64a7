/*
 * The 16550's registers and bits (PC16550D data sheet, tables 2-4): one
 * set for Keel's own UART driver (drivers/uart) and the virtual 16550A
 * its guests get (hv/vuart.c).
 */
#ifndef KEEL_NS16550_H
#define KEEL_NS16550_H

/* Register offsets from the base port; DLAB is LCR bit 7. */
#define UART_RBR        0       /* receive buffer (read, DLAB=0) */
#define UART_THR        0       /* transmit holding (write, DLAB=0) */
#define UART_DLL        0       /* divisor latch low (DLAB=1) */
#define UART_IER        1       /* interrupt enable (DLAB=0) */
#define UART_DLM        1       /* divisor latch high (DLAB=1) */
#define UART_IIR        2       /* interrupt identification (read) */
#define UART_FCR        2       /* FIFO control (write) */
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5
#define UART_MSR        6
#define UART_SCR        7

#define UART_IER_RDI    0x01    /* received data available */
#define UART_IER_THRI   0x02    /* transmit holding register empty */
#define UART_IER_RLSI   0x04    /* receiver line status */
#define UART_IER_MSI    0x08    /* modem status */

#define UART_IIR_NONE   0x01    /* no interrupt pending */
#define UART_IIR_MSI    0x00
#define UART_IIR_THRI   0x02
#define UART_IIR_RDI    0x04
#define UART_IIR_RLSI   0x06
#define UART_IIR_FIFO   0xc0    /* FIFOs enabled */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLR_RX 0x02
#define UART_FCR_CLR_TX 0x04

#define UART_LCR_8N1    0x03
#define UART_LCR_DLAB   0x80

#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT1   0x04
#define UART_MCR_OUT2   0x08    /* on a PC: gates the IRQ line */
#define UART_MCR_LOOP   0x10

#define UART_LSR_DR     0x01    /* data ready */
#define UART_LSR_OE     0x02    /* overrun */
#define UART_LSR_THRE   0x20    /* THR empty */
#define UART_LSR_TEMT   0x40    /* transmitter empty */

#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80

#define UART_CLOCK      115200  /* the divisor's base rate */
#endif

/* 16550 UART, polled (the hypervisor console). */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H
#include <stdint.h>

#define UART_COM1_BASE  0x3f8
#define UART_COM2_BASE  0x2f8

struct uart {
    uint16_t base;
    uint32_t baud;
    int present;
};

/* Program 8n1 at @baud; 0 if a UART answered at @base, -ENODEV if not. */
int uart_init(struct uart *u, uint16_t base, uint32_t baud);
void uart_putc(struct uart *u, char c);
/* A received byte, or -1 when none is waiting. */
int uart_getc(struct uart *u);
/* Interrupt on received data (IER bit 0; OUT2 is set by uart_init). */
void uart_enable_rx_interrupt(struct uart *u);
#endif

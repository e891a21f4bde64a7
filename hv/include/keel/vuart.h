/*
 * A virtual 16550A UART (PC16550D data sheet): what Linux's 8250 driver
 * probes and uses — scratch, loopback, FIFO identification, divisor latch,
 * receive FIFO, and the interrupt sources it enables (received data, THR
 * empty, line and modem status), with the PC's OUT2 gate on the IRQ line.
 * Pure: output and the interrupt line go out through callbacks; host-tested.
 */
#ifndef KEEL_VUART_H
#define KEEL_VUART_H
#include <stdint.h>

#define VUART_RX_SIZE   256

struct vuart {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, msr_delta;
    uint8_t overrun;
    int thre_pending;               /* THR-empty interrupt raised and not yet read from IIR */
    int irq_level;                  /* what the line shows now */
    uint8_t rx[VUART_RX_SIZE];
    unsigned rx_head, rx_count;
    void (*tx)(void *opaque, uint8_t c);
    void *tx_opaque;
    void (*irq)(void *opaque, int level);       /* NULL: the line goes nowhere */
    void *irq_opaque;
};

void vuart_reset(struct vuart *u, void (*tx)(void *, uint8_t), void *tx_opaque, void (*irq)(void *, int),
                 void *irq_opaque);
/* Register @reg (0-7) access. */
uint8_t vuart_read(struct vuart *u, unsigned reg);
void vuart_write(struct vuart *u, unsigned reg, uint8_t val);
/* A byte from the outside: 0, or -1 when the FIFO is full (the byte is lost, LSR.OE set). */
int vuart_receive(struct vuart *u, uint8_t c);
#endif

/*
 * Virtual 16550A (see keel/vuart.h). Registers and bits: keel/ns16550.h.
 * Interrupt priority (IIR): line status, received data, THR empty, modem
 * status.
 */
#include <string.h>
#include <keel/ns16550.h>
#include <keel/vuart.h>

void vuart_reset(struct vuart *u, void (*tx)(void *, uint8_t), void *tx_opaque, void (*irq)(void *, int),
                 void *irq_opaque)
{
    memset(u, 0, sizeof(*u));
    u->tx = tx;
    u->tx_opaque = tx_opaque;
    u->irq = irq;
    u->irq_opaque = irq_opaque;
    u->lcr = UART_LCR_8N1;
}

static uint8_t msr(const struct vuart *u)
{
    uint8_t m;

    if (u->mcr & UART_MCR_LOOP)          /* loopback: outputs wired back to inputs */
        m = (u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) | (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
            (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) | (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
    else
        m = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;   /* a terminal is always there */
    return m | u->msr_delta;
}

static uint8_t iir(const struct vuart *u)
{
    uint8_t fifo = u->fcr & UART_FCR_ENABLE ? UART_IIR_FIFO : 0;

    if ((u->ier & UART_IER_RLSI) && u->overrun)
        return fifo | UART_IIR_RLSI;
    if ((u->ier & UART_IER_RDI) && u->rx_count)
        return fifo | UART_IIR_RDI;
    if ((u->ier & UART_IER_THRI) && u->thre_pending)
        return fifo | UART_IIR_THRI;
    if ((u->ier & UART_IER_MSI) && u->msr_delta)
        return fifo | UART_IIR_MSI;
    return fifo | UART_IIR_NONE;
}

/* The line follows the pending sources, gated by OUT2 (and quiet in loopback). */
static void update_irq(struct vuart *u)
{
    int level = !(iir(u) & UART_IIR_NONE) && (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP);

    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->irq)
            u->irq(u->irq_opaque, level);
    }
}

static int push(struct vuart *u, uint8_t c)
{
    if (u->rx_count == VUART_RX_SIZE) {
        u->overrun = 1;
        return -1;
    }
    u->rx[(u->rx_head + u->rx_count++) % VUART_RX_SIZE] = c;
    return 0;
}

int vuart_receive(struct vuart *u, uint8_t c)
{
    int rc = push(u, c);

    update_irq(u);
    return rc;
}

uint8_t vuart_read(struct vuart *u, unsigned reg)
{
    uint8_t v = 0;

    switch (reg & 7) {
    case UART_RBR:
        if (u->lcr & UART_LCR_DLAB) {
            v = u->dll;
        } else if (u->rx_count) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % VUART_RX_SIZE;
            u->rx_count--;
        }
        break;
    case UART_IER:
        v = u->lcr & UART_LCR_DLAB ? u->dlm : u->ier;
        break;
    case UART_IIR:
        v = iir(u);
        if ((v & 0x0f) == UART_IIR_THRI)
            u->thre_pending = 0;    /* reading IIR with THRE as its source clears it */
        break;
    case UART_LCR: v = u->lcr; break;
    case UART_MCR: v = u->mcr; break;
    case UART_LSR:
        v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0) | (u->overrun ? UART_LSR_OE : 0);
        u->overrun = 0;
        break;
    case UART_MSR:
        v = msr(u);
        u->msr_delta = 0;
        break;
    case UART_SCR: v = u->scr; break;
    }
    update_irq(u);
    return v;
}

void vuart_write(struct vuart *u, unsigned reg, uint8_t val)
{
    switch (reg & 7) {
    case UART_THR:
        if (u->lcr & UART_LCR_DLAB) {
            u->dll = val;
            break;
        }
        if (u->mcr & UART_MCR_LOOP)
            push(u, val);
        else if (u->tx)
            u->tx(u->tx_opaque, val);
        u->thre_pending = 1;        /* sent at once: THR is empty again */
        break;
    case UART_IER:
        if (u->lcr & UART_LCR_DLAB) {
            u->dlm = val;
            break;
        }
        if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
            u->thre_pending = 1;    /* enabling THRE with THR empty raises it */
        u->ier = val & 0x0f;
        break;
    case UART_FCR:
        u->fcr = val & 0xc9;
        if (val & UART_FCR_CLR_RX)
            u->rx_head = u->rx_count = 0;
        break;
    case UART_LCR: u->lcr = val; break;
    case UART_MCR: {
        uint8_t before = msr(u) & 0xf0;
        u->mcr = val & 0x1f;
        /* Modem-status deltas (DCTS, DDSR, TERI, DDCD) as loopback changes them. */
        uint8_t after = msr(u) & 0xf0, diff = before ^ after;
        u->msr_delta |= (diff & UART_MSR_CTS ? 1 : 0) | (diff & UART_MSR_DSR ? 2 : 0) |
                        ((before & UART_MSR_RI) && !(after & UART_MSR_RI) ? 4 : 0) | (diff & UART_MSR_DCD ? 8 : 0);
        break;
    }
    case UART_LSR:
    case UART_MSR:
        break;                      /* read-only */
    case UART_SCR: u->scr = val; break;
    }
    update_irq(u);
}

/*
 * Virtual 16550A (see keel/vuart.h). Register numbers and bits: PC16550D
 * data sheet tables 2-4. Interrupt priority (IIR): line status, received
 * data, THR empty, modem status.
 */
#include <string.h>
#include <keel/vuart.h>

#define RBR 0
#define IER 1
#define IIR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define IER_RDI     0x01
#define IER_THRI    0x02
#define IER_RLSI    0x04
#define IER_MSI     0x08
#define IIR_NONE    0x01
#define IIR_MSI     0x00
#define IIR_THRI    0x02
#define IIR_RDI     0x04
#define IIR_RLSI    0x06
#define IIR_FIFO    0xc0
#define FCR_ENABLE  0x01
#define FCR_CLR_RX  0x02
#define LCR_DLAB    0x80
#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10
#define LSR_DR      0x01
#define LSR_OE      0x02
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define MSR_CTS     0x10
#define MSR_DSR     0x20
#define MSR_RI      0x40
#define MSR_DCD     0x80

void vuart_reset(struct vuart *u, void (*tx)(void *, uint8_t), void (*irq)(void *, int), void *opaque)
{
    memset(u, 0, sizeof(*u));
    u->tx = tx;
    u->irq = irq;
    u->opaque = opaque;
    u->lcr = 0x03;
}

static uint8_t msr(const struct vuart *u)
{
    uint8_t m;

    if (u->mcr & MCR_LOOP)          /* loopback: outputs wired back to inputs */
        m = (u->mcr & MCR_DTR ? MSR_DSR : 0) | (u->mcr & MCR_RTS ? MSR_CTS : 0) |
            (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
    else
        m = MSR_CTS | MSR_DSR | MSR_DCD;   /* a terminal is always there */
    return m | u->msr_delta;
}

static uint8_t iir(const struct vuart *u)
{
    uint8_t fifo = u->fcr & FCR_ENABLE ? IIR_FIFO : 0;

    if ((u->ier & IER_RLSI) && u->overrun)
        return fifo | IIR_RLSI;
    if ((u->ier & IER_RDI) && u->rx_count)
        return fifo | IIR_RDI;
    if ((u->ier & IER_THRI) && u->thre_pending)
        return fifo | IIR_THRI;
    if ((u->ier & IER_MSI) && u->msr_delta)
        return fifo | IIR_MSI;
    return fifo | IIR_NONE;
}

/* The line follows the pending sources, gated by OUT2 (and quiet in loopback). */
static void update_irq(struct vuart *u)
{
    int level = !(iir(u) & IIR_NONE) && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);

    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->irq)
            u->irq(u->opaque, level);
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
    case RBR:
        if (u->lcr & LCR_DLAB) {
            v = u->dll;
        } else if (u->rx_count) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % VUART_RX_SIZE;
            u->rx_count--;
        }
        break;
    case IER:
        v = u->lcr & LCR_DLAB ? u->dlm : u->ier;
        break;
    case IIR:
        v = iir(u);
        if ((v & 0x0f) == IIR_THRI)
            u->thre_pending = 0;    /* reading IIR with THRE as its source clears it */
        break;
    case LCR: v = u->lcr; break;
    case MCR: v = u->mcr; break;
    case LSR:
        v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0);
        u->overrun = 0;
        break;
    case MSR:
        v = msr(u);
        u->msr_delta = 0;
        break;
    case SCR: v = u->scr; break;
    }
    update_irq(u);
    return v;
}

void vuart_write(struct vuart *u, unsigned reg, uint8_t val)
{
    switch (reg & 7) {
    case RBR:
        if (u->lcr & LCR_DLAB) {
            u->dll = val;
            break;
        }
        if (u->mcr & MCR_LOOP)
            push(u, val);
        else if (u->tx)
            u->tx(u->opaque, val);
        u->thre_pending = 1;        /* sent at once: THR is empty again */
        break;
    case IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = val;
            break;
        }
        if ((val & IER_THRI) && !(u->ier & IER_THRI))
            u->thre_pending = 1;    /* enabling THRE with THR empty raises it */
        u->ier = val & 0x0f;
        break;
    case IIR:                       /* FCR */
        u->fcr = val & 0xc9;
        if (val & FCR_CLR_RX)
            u->rx_head = u->rx_count = 0;
        break;
    case LCR: u->lcr = val; break;
    case MCR: {
        uint8_t before = msr(u) & 0xf0;
        u->mcr = val & 0x1f;
        /* Modem-status deltas (DCTS, DDSR, TERI, DDCD) as loopback changes them. */
        uint8_t after = msr(u) & 0xf0, diff = before ^ after;
        u->msr_delta |= (diff & MSR_CTS ? 1 : 0) | (diff & MSR_DSR ? 2 : 0) |
                        ((before & MSR_RI) && !(after & MSR_RI) ? 4 : 0) | (diff & MSR_DCD ? 8 : 0);
        break;
    }
    case LSR:
    case MSR:
        break;                      /* read-only */
    case SCR: u->scr = val; break;
    }
    update_irq(u);
}

/*
 * The i8254 a guest calibrates its TSC with (see asm/vpit.h): counters that
 * follow the TSC at 1.193182 MHz, the control word's modes, latch and
 * read-back commands, LSB/MSB byte order, and channel 2's gate and OUT in
 * port 61h. Every guest value is accepted: a mode or count that makes no
 * sense gives a count that makes no sense, never more.
 */
#include <string.h>
#include <asm/vpit.h>

void vpit_reset(struct vpit *p)
{
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; i < 3; i++)
        p->ch[i].rw = 3;
}

/* PIT ticks since @c started: the TSC delta scaled (bounded, so the product cannot overflow). */
static uint64_t ticks(const struct vpit_channel *c, uint64_t now, uint64_t tsc_khz)
{
    uint64_t d = now > c->start ? now - c->start : 0;

    if (!tsc_khz)
        return 0;
    if (d > (1ull << 42))
        d = 1ull << 42;                 /* over half an hour at any TSC rate: OUT high, counts wrapped */
    return d * VPIT_HZ / (tsc_khz * 1000);
}

static int gated_off(const struct vpit *p, unsigned ch)
{
    return ch == 2 && !(p->port61 & 1);
}

static uint16_t count_of(const struct vpit *p, unsigned ch, uint64_t now, uint64_t tsc_khz)
{
    const struct vpit_channel *c = &p->ch[ch];
    uint64_t n = c->reload ? c->reload : 65536, t;

    if (!c->armed || gated_off(p, ch))
        return c->reload;
    t = ticks(c, now, tsc_khz);
    if (c->mode == 2 || c->mode == 3)
        return (uint16_t)(n - t % n);           /* periodic: reloads at terminal count */
    return (uint16_t)(n - t);                   /* one-shot: wraps on after terminal count */
}

static int out_of(const struct vpit *p, unsigned ch, uint64_t now, uint64_t tsc_khz)
{
    const struct vpit_channel *c = &p->ch[ch];
    uint64_t n = c->reload ? c->reload : 65536, t;

    if (!c->armed)
        return c->mode != 0;                    /* mode 0: low from the control word on */
    if (gated_off(p, ch))
        return c->mode == 0 ? 0 : 1;
    t = ticks(c, now, tsc_khz);
    switch (c->mode) {
    case 0: case 1:
        return t >= n;                          /* high at terminal count */
    case 2:
        return t % n != n - 1;                  /* low for one tick before reload */
    case 3:
        return t % n < (n + 1) / 2;             /* square wave */
    default:
        return t != n;                          /* modes 4, 5: a low strobe at terminal count */
    }
}

uint8_t vpit_read(struct vpit *p, uint16_t port, uint64_t now, uint64_t tsc_khz)
{
    struct vpit_channel *c;
    uint16_t v;
    unsigned ch;

    if (port == VPIT_PORT_61) {
        p->refresh ^= 1;
        return (uint8_t)((p->port61 & 0x0f) | (p->refresh ? 0x10 : 0) | (out_of(p, 2, now, tsc_khz) ? 0x20 : 0));
    }
    ch = port - VPIT_PORT_BASE;
    if (ch > 2)
        return 0xff;                            /* the control word is write-only */
    c = &p->ch[ch];
    v = c->latched ? c->latch : count_of(p, ch, now, tsc_khz);
    if (c->rw == 1 || (c->rw == 3 && !c->read_msb)) {
        if (c->rw == 3)
            c->read_msb = 1;
        else
            c->latched = 0;
        return (uint8_t)v;
    }
    c->read_msb = 0;
    c->latched = 0;                             /* a latch holds until it is read whole */
    return (uint8_t)(v >> 8);
}

static void latch(struct vpit *p, unsigned ch, uint64_t now, uint64_t tsc_khz)
{
    struct vpit_channel *c = &p->ch[ch];

    if (!c->latched) {                          /* a second latch before the read is ignored */
        c->latch = count_of(p, ch, now, tsc_khz);
        c->latched = 1;
        c->read_msb = 0;
    }
}

static void start(struct vpit_channel *c, uint64_t now)
{
    c->armed = 1;
    c->start = now;
}

void vpit_write(struct vpit *p, uint16_t port, uint8_t val, uint64_t now, uint64_t tsc_khz)
{
    struct vpit_channel *c;
    unsigned ch;

    if (port == VPIT_PORT_61) {
        int rising = (val & 1) && !(p->port61 & 1);
        p->port61 = val & 0x0f;
        if (rising && p->ch[2].armed)
            p->ch[2].start = now;               /* gate edge: counting (re)starts */
        return;
    }
    if (port == VPIT_PORT_BASE + 3) {
        ch = val >> 6;
        if (ch == 3) {                          /* read-back: bit 5 clear latches the counts of bits 1-3 */
            for (unsigned i = 0; i < 3; i++)
                if (!(val & 0x20) && (val & (2u << i)))
                    latch(p, i, now, tsc_khz);
            return;
        }
        c = &p->ch[ch];
        if (((val >> 4) & 3) == 0) {            /* counter latch command */
            latch(p, ch, now, tsc_khz);
            return;
        }
        c->rw = (val >> 4) & 3;
        c->mode = (val >> 1) & 7;
        if (c->mode > 5)
            c->mode -= 4;                       /* 6 and 7 are 2 and 3 */
        c->write_msb = c->read_msb = 0;
        c->latched = 0;
        c->armed = 0;                           /* waits for its count */
        return;
    }
    ch = port - VPIT_PORT_BASE;
    if (ch > 2)
        return;
    c = &p->ch[ch];
    switch (c->rw) {
    case 1:
        c->reload = val;
        start(c, now);
        break;
    case 2:
        c->reload = (uint16_t)(val << 8);
        start(c, now);
        break;
    default:
        if (!c->write_msb) {
            c->pending_lsb = val;
            c->write_msb = 1;
            if (c->mode == 0)
                c->armed = 0;                   /* mode 0: the first byte stops the count */
        } else {
            c->reload = (uint16_t)(c->pending_lsb | (val << 8));
            c->write_msb = 0;
            start(c, now);
        }
    }
}

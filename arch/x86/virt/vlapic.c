/*
 * Virtual local APIC (see asm/vlapic.h). Rules: 11.4.7 (software enable via
 * SVR), 11.5.4 (timer, divide configuration, current count), 11.5.4.1
 * (TSC-deadline mode), 11.8.3.1 (TPR/PPR and priority classes), 11.8.4
 * (IRR/ISR on acceptance), 11.8.5 (EOI), 11.12 (x2APIC register rules).
 */
#include <string.h>
#include <asm/vlapic.h>

#define VERSION     0x50014             /* version 0x14, 6 LVT entries (max LVT 5) */
#define LVT_TIMER   0
#define LVT_ERROR   5
#define LVT_ENTRIES 7

static int lvt_index(unsigned reg)
{
    switch (reg) {
    case LAPIC_LVTT: return 0;
    case LAPIC_LVTTHMR: return 1;
    case LAPIC_LVTPC: return 2;
    case LAPIC_LVT0: return 3;
    case LAPIC_LVT1: return 4;
    case LAPIC_LVTERR: return 5;
    case LAPIC_CMCI: return 6;
    }
    return -1;
}

void vlapic_reset(struct vlapic *l, uint32_t id, uint32_t tsc_khz)
{
    memset(l, 0, sizeof(*l));
    l->id = id;
    l->tsc_khz = tsc_khz ? tsc_khz : 1000000;
    l->dfr = 0xffffffff;
    l->svr = 0xff;                      /* software-disabled after reset (11.4.7.1) */
    for (int i = 0; i < LVT_ENTRIES; i++)
        l->lvt[i] = LVT_MASKED;
}

/* Divide configuration (figure 11-10): bits 0, 1, 3 -> 2, 4, ..., 128, 1. */
static unsigned divider(const struct vlapic *l)
{
    unsigned v = (l->tdcr & 3) | ((l->tdcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

/* APIC timer counts -> TSC ticks. */
static uint64_t counts_to_tsc(const struct vlapic *l, uint64_t counts)
{
    return (uint64_t)((unsigned __int128)counts * divider(l) * l->tsc_khz / VLAPIC_KHZ);
}

static uint32_t current_count(const struct vlapic *l, uint64_t now)
{
    uint64_t left;

    if (!l->deadline || (l->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_DEADLINE || now >= l->deadline)
        return 0;
    left = l->deadline - now;
    return (uint32_t)((unsigned __int128)left * VLAPIC_KHZ / ((uint64_t)divider(l) * l->tsc_khz));
}

static uint32_t ppr(const struct vlapic *l)
{
    int isrv = -1;

    for (int i = 7; i >= 0 && isrv < 0; i--)
        if (l->isr[i])
            isrv = i * 32 + 31 - __builtin_clz(l->isr[i]);
    /* 11.8.3.1: the higher of TPR and the in-service priority class. */
    if (isrv >= 0 && (unsigned)(isrv & 0xf0) > (l->tpr & 0xf0))
        return (uint32_t)isrv & 0xf0;
    return l->tpr & 0xff;
}

int vlapic_read(struct vlapic *l, unsigned reg, uint64_t now, uint64_t *val)
{
    int lvt = lvt_index(reg);

    if (lvt >= 0) {
        *val = l->lvt[lvt];
        return 0;
    }
    if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80 && !(reg & 0xf)) {
        *val = l->isr[(reg - LAPIC_ISR) >> 4];
        return 0;
    }
    if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80 && !(reg & 0xf)) {
        *val = __atomic_load_n(&l->tmr[(reg - LAPIC_TMR) >> 4], __ATOMIC_ACQUIRE);
        return 0;
    }
    if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80 && !(reg & 0xf)) {
        *val = __atomic_load_n(&l->irr[(reg - LAPIC_IRR) >> 4], __ATOMIC_ACQUIRE);
        return 0;
    }
    switch (reg) {
    case LAPIC_ID: *val = l->x2apic ? l->id : l->id << 24; return 0;
    case LAPIC_VER: *val = VERSION; return 0;
    case LAPIC_TPR: *val = l->tpr; return 0;
    case LAPIC_PPR: *val = ppr(l); return 0;
    case LAPIC_LDR: *val = l->x2apic ? ((l->id >> 4) << 16) | (1u << (l->id & 15)) : l->ldr; return 0;
    case LAPIC_DFR: if (l->x2apic) return -1; *val = l->dfr; return 0;
    case LAPIC_SVR: *val = l->svr; return 0;
    case LAPIC_ESR: *val = l->esr; return 0;
    case LAPIC_ICR: *val = l->icr_lo | (l->x2apic ? (uint64_t)l->icr_hi << 32 : 0); return 0;
    case LAPIC_ICR2: if (l->x2apic) return -1; *val = l->icr_hi; return 0;
    case LAPIC_TMICT: *val = l->tmict; return 0;
    case LAPIC_TMCCT: *val = current_count(l, now); return 0;
    case LAPIC_TDCR: *val = l->tdcr; return 0;
    }
    return -1;                          /* reserved register */
}

static void arm(struct vlapic *l, uint64_t now)
{
    l->timer_start = now;
    l->deadline = 0;
    l->period = 0;
    if (!l->tmict || (l->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_DEADLINE)
        return;
    l->deadline = now + counts_to_tsc(l, l->tmict);
    if (l->deadline == 0)
        l->deadline = 1;
    if (l->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC)
        l->period = counts_to_tsc(l, l->tmict) ? counts_to_tsc(l, l->tmict) : 1;
}

enum vlapic_effect vlapic_write(struct vlapic *l, unsigned reg, uint64_t val, uint64_t now)
{
    int lvt = lvt_index(reg);
    uint32_t v = (uint32_t)val;

    if (l->x2apic && reg != LAPIC_ICR && (val >> 32))
        return VLAPIC_FAULT;
    if (lvt >= 0) {
        uint32_t old_mode = l->lvt[LVT_TIMER] & LVT_TIMER_MODE;
        if (!(l->svr & SVR_ENABLED))
            v |= LVT_MASKED;            /* 11.4.7.2: masks stay set while disabled */
        l->lvt[lvt] = v & (lvt == LVT_TIMER ? 0x700ff : 0x1f7ff);
        if (lvt == LVT_TIMER && (l->lvt[LVT_TIMER] & LVT_TIMER_MODE) != old_mode) {
            l->tmict = 0;               /* a mode switch stops the timer */
            l->deadline = 0;
        }
        return VLAPIC_DONE;
    }
    switch (reg) {
    case LAPIC_TPR:
        l->tpr = v & 0xff;
        return VLAPIC_DONE;
    case LAPIC_EOI: {
        if (l->x2apic && v)
            return VLAPIC_FAULT;
        for (int i = 7; i >= 0; i--)
            if (l->isr[i]) {
                unsigned bit = 31 - (unsigned)__builtin_clz(l->isr[i]);
                l->isr[i] &= ~(1u << bit);
                /* 11.8.5: a level-triggered vector's EOI goes on to the I/O APICs. */
                if (__atomic_load_n(&l->tmr[i], __ATOMIC_ACQUIRE) & (1u << bit)) {
                    l->eoi_vector = (unsigned)i * 32 + bit;
                    return VLAPIC_EOI_LEVEL;
                }
                break;
            }
        return VLAPIC_DONE;
    }
    case LAPIC_LDR:
        if (l->x2apic)
            return VLAPIC_FAULT;        /* read-only in x2APIC mode */
        l->ldr = v & 0xff000000u;
        return VLAPIC_DONE;
    case LAPIC_DFR:
        if (l->x2apic)
            return VLAPIC_FAULT;
        l->dfr = v | 0x0fffffffu;
        return VLAPIC_DONE;
    case LAPIC_SVR:
        l->svr = v & 0x11ff;
        if (!(l->svr & SVR_ENABLED))
            for (int i = 0; i < LVT_ENTRIES; i++)
                l->lvt[i] |= LVT_MASKED;
        return VLAPIC_DONE;
    case LAPIC_ESR:
        if (l->x2apic && v)
            return VLAPIC_FAULT;
        l->esr = 0;
        return VLAPIC_DONE;
    case LAPIC_ICR:
        l->icr_lo = v & 0x000cdfff;
        if (l->x2apic)
            l->icr_hi = (uint32_t)(val >> 32);
        return VLAPIC_SEND_IPI;
    case LAPIC_ICR2:
        if (l->x2apic)
            return VLAPIC_FAULT;
        l->icr_hi = v & 0xff000000u;
        return VLAPIC_DONE;
    case LAPIC_TMICT:
        l->tmict = v;
        arm(l, now);
        return VLAPIC_DONE;
    case LAPIC_TDCR:
        l->tdcr = v & 0xb;
        return VLAPIC_DONE;
    case LAPIC_SELF_IPI:
        if (!l->x2apic)
            return VLAPIC_FAULT;
        vlapic_set_irr(l, v & 0xff);
        return VLAPIC_DONE;
    case LAPIC_ID:
    case LAPIC_VER:
    case LAPIC_PPR:
    case LAPIC_TMCCT:
        return l->x2apic ? VLAPIC_FAULT : VLAPIC_DONE;   /* read-only: ignored in xAPIC mode */
    }
    return l->x2apic ? VLAPIC_FAULT : VLAPIC_DONE;
}

void vlapic_write_tsc_deadline(struct vlapic *l, uint64_t tsc)
{
    if ((l->lvt[LVT_TIMER] & LVT_TIMER_MODE) != LVT_TIMER_DEADLINE)
        return;                         /* 11.5.4.1: ignored outside TSC-deadline mode */
    l->deadline = tsc;
    l->period = 0;
}

uint64_t vlapic_read_tsc_deadline(const struct vlapic *l)
{
    return (l->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_DEADLINE ? l->deadline : 0;
}

void vlapic_set_irr_trig(struct vlapic *l, unsigned vector, int level)
{
    uint32_t bit = 1u << (vector % 32);

    if (vector < 16 || vector > 255) {
        __atomic_fetch_or(&l->esr, 1u << 6, __ATOMIC_RELAXED);   /* illegal vector */
        return;
    }
    /* 11.8.4: TMR records the trigger mode of the request IRR takes. */
    if (level)
        __atomic_fetch_or(&l->tmr[vector / 32], bit, __ATOMIC_RELEASE);
    else
        __atomic_fetch_and(&l->tmr[vector / 32], ~bit, __ATOMIC_RELEASE);
    __atomic_fetch_or(&l->irr[vector / 32], bit, __ATOMIC_RELEASE);
}

void vlapic_set_irr(struct vlapic *l, unsigned vector)
{
    vlapic_set_irr_trig(l, vector, 0);
}

int vlapic_timer_poll(struct vlapic *l, uint64_t now)
{
    if (!l->deadline || now < l->deadline)
        return 0;
    if (!(l->lvt[LVT_TIMER] & LVT_MASKED))
        vlapic_set_irr(l, l->lvt[LVT_TIMER] & 0xff);
    if (l->period) {
        /* Skip whole periods missed while not running, keep the phase. */
        uint64_t missed = (now - l->deadline) / l->period + 1;
        l->deadline += missed * l->period;
    } else {
        l->deadline = 0;
    }
    return 1;
}

int vlapic_pending(const struct vlapic *l)
{
    if (!(l->svr & SVR_ENABLED))
        return -1;
    for (int i = 7; i >= 0; i--) {
        uint32_t w = __atomic_load_n(&l->irr[i], __ATOMIC_ACQUIRE);
        if (w) {
            int vec = i * 32 + 31 - __builtin_clz(w);
            return (uint32_t)(vec & 0xf0) > (ppr(l) & 0xf0) ? vec : -1;
        }
    }
    return -1;
}

void vlapic_accept(struct vlapic *l, unsigned vector)
{
    __atomic_fetch_and(&l->irr[vector / 32], ~(1u << (vector % 32)), __ATOMIC_ACQ_REL);
    l->isr[vector / 32] |= 1u << (vector % 32);
}

int vlapic_match_dest(const struct vlapic *l, uint32_t dest, int logical)
{
    uint32_t ldr;

    if (!logical)                       /* 11.6.2.1: an APIC ID, or all ones for everyone */
        return dest == (l->x2apic ? 0xffffffffu : 0xffu) || dest == l->id;
    if (l->x2apic) {                    /* 11.12.10.2: cluster in 31:16, one bit of 16 */
        ldr = ((l->id >> 4) << 16) | (1u << (l->id & 15));
        return dest == 0xffffffffu || ((dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff));
    }
    ldr = l->ldr >> 24;
    if (dest == 0xff)
        return 1;
    if ((l->dfr >> 28) == 0xf)          /* 11.6.2.2: flat model, a bit per APIC */
        return (dest & ldr) != 0;
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);    /* cluster model */
}

/*
 * Virtual local APIC (SDM Vol. 3A ch. 11): the register file, timer
 * (one-shot, periodic, TSC-deadline) and interrupt state (IRR/ISR, PPR,
 * EOI). xAPIC MMIO and x2APIC MSR accesses both land in vlapic_read/write.
 * Pure: time comes in as a TSC value, side effects go out as return codes,
 * so it is host-tested.
 */
#ifndef ASM_VLAPIC_H
#define ASM_VLAPIC_H
#include <stdint.h>

#define VLAPIC_BASE         0xfee00000ull
#define VLAPIC_KHZ          25000u          /* timer clock: 25 MHz before the divider (CPUID 0x15's crystal) */
#define X2APIC_MSR_FIRST    0x800
#define X2APIC_MSR_LAST     0x8ff
#define MSR_TSC_DEADLINE    0x6e0

/* Register offsets (table 11-1). */
#define LAPIC_ID        0x020
#define LAPIC_VER       0x030
#define LAPIC_TPR       0x080
#define LAPIC_PPR       0x0a0
#define LAPIC_EOI       0x0b0
#define LAPIC_LDR       0x0d0
#define LAPIC_DFR       0x0e0
#define LAPIC_SVR       0x0f0
#define LAPIC_ISR       0x100
#define LAPIC_TMR       0x180
#define LAPIC_IRR       0x200
#define LAPIC_ESR       0x280
#define LAPIC_CMCI      0x2f0
#define LAPIC_ICR       0x300
#define LAPIC_ICR2      0x310
#define LAPIC_LVTT      0x320
#define LAPIC_LVTTHMR   0x330
#define LAPIC_LVTPC     0x340
#define LAPIC_LVT0      0x350
#define LAPIC_LVT1      0x360
#define LAPIC_LVTERR    0x370
#define LAPIC_TMICT     0x380
#define LAPIC_TMCCT     0x390
#define LAPIC_TDCR      0x3e0
#define LAPIC_SELF_IPI  0x3f0               /* x2APIC only */

#define LVT_MASKED          (1u << 16)
#define LVT_TIMER_PERIODIC  (1u << 17)
#define LVT_TIMER_DEADLINE  (2u << 17)
#define LVT_TIMER_MODE      (3u << 17)
#define SVR_ENABLED         (1u << 8)

/* ICR fields (11.6.1). */
#define ICR_VECTOR(v)       ((v) & 0xff)
#define ICR_MODE(v)         (((v) >> 8) & 7)
#define ICR_MODE_FIXED      0
#define ICR_MODE_NMI        4
#define ICR_MODE_INIT       5
#define ICR_MODE_STARTUP    6
#define ICR_DEST_LOGICAL    (1u << 11)
#define ICR_LEVEL_ASSERT    (1u << 14)
#define ICR_SHORTHAND(v)    (((v) >> 18) & 3)
#define ICR_DEST_NONE       0
#define ICR_DEST_SELF       1
#define ICR_DEST_ALL        2
#define ICR_DEST_OTHERS     3

struct vlapic {
    uint32_t id;
    uint32_t tsc_khz;
    int x2apic;
    uint32_t tpr, svr, ldr, dfr, esr, icr_lo, icr_hi, tdcr, tmict;
    uint32_t lvt[7];                        /* timer, thermal, perf, LINT0, LINT1, error, CMCI */
    uint64_t timer_start;                   /* TSC when TMICT was written */
    uint64_t deadline;                      /* TSC when the timer fires; 0 = not armed */
    uint64_t period;                        /* periodic: TSC ticks between firings */
    uint32_t irr[8], isr[8], tmr[8];
    unsigned eoi_vector;                    /* with VLAPIC_EOI_LEVEL: the vector that ended */
};

/* What a write asks the caller to do. */
enum vlapic_effect {
    VLAPIC_DONE,
    VLAPIC_FAULT,           /* #GP (x2APIC: reserved register or bits) */
    VLAPIC_SEND_IPI,        /* deliver per icr_lo/icr_hi */
    VLAPIC_EOI_LEVEL,       /* EOI of a level-triggered vector: tell the I/O APIC (eoi_vector) */
};

void vlapic_reset(struct vlapic *l, uint32_t id, uint32_t tsc_khz);
/* Register access at @reg (xAPIC offset; x2APIC MSR n maps to (n - 0x800) << 4). */
int vlapic_read(struct vlapic *l, unsigned reg, uint64_t now, uint64_t *val);
enum vlapic_effect vlapic_write(struct vlapic *l, unsigned reg, uint64_t val, uint64_t now);
/* IA32_TSC_DEADLINE (only in TSC-deadline mode; 0 disarms). */
void vlapic_write_tsc_deadline(struct vlapic *l, uint64_t tsc);
uint64_t vlapic_read_tsc_deadline(const struct vlapic *l);

/* The timer: raise its vector if due by @now (and re-arm a periodic one). 1 if it fired. */
int vlapic_timer_poll(struct vlapic *l, uint64_t now);
/* Mark @vector requested (an IPI or edge-triggered device interrupt). */
void vlapic_set_irr(struct vlapic *l, unsigned vector);
/* The same with the trigger mode: @level sets its TMR bit (EOI is then reported). */
void vlapic_set_irr_trig(struct vlapic *l, unsigned vector, int level);
/* Highest requested vector above the processor priority, or -1. */
int vlapic_pending(const struct vlapic *l);
/* Does an interrupt message for @dest (physical APIC ID, or logical) reach @l? */
int vlapic_match_dest(const struct vlapic *l, uint32_t dest, int logical);
/* The CPU took @vector: IRR -> ISR. */
void vlapic_accept(struct vlapic *l, unsigned vector);
#endif

/* Local APIC, xAPIC (MMIO) or x2APIC (MSR) mode (SDM Vol. 3A ch. 11). */
#ifndef ASM_LAPIC_H
#define ASM_LAPIC_H
#include <stdint.h>

#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370

#define APIC_SVR_ENABLE         (1u << 8)
#define APIC_LVT_MASKED         (1u << 16)
#define APIC_ICR_BUSY           (1u << 12)
#define APIC_ICR_INIT           (5u << 8)
#define APIC_ICR_STARTUP        (6u << 8)
#define APIC_ICR_LEVEL_ASSERT   (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL  (1u << 15)
#define APIC_ICR_FIXED_VECTOR(v) ((uint32_t)(v) & 0xff)   /* fixed delivery, edge */

#define KICK_VECTOR     0xf0
#define TIMER_VECTOR    0xef        /* the host's TSC-deadline timer (a sleeping scheduler) */
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)
#define MSR_IA32_TSC_DEADLINE 0x6e0        /* host vector that makes a CPU leave guest mode or its sleep */

/* Set up this CPU's LAPIC (x2APIC when the BSP chose it). */
void lapic_init(int bsp, uint64_t madt_lapic_addr);
uint32_t lapic_id(void);
int lapic_x2apic_mode(void);
void lapic_eoi(void);
/* TIMER_VECTOR at TSC value @tsc (0: disarm): TSC-deadline mode, else one-shot. 0 or -ENODEV. */
int lapic_timer_deadline(uint64_t tsc);
/* Measure the one-shot timer's rate where there is no TSC-deadline mode (boot CPU). */
void lapic_timer_calibrate(void);
/* Send an IPI; 0, or -ETIMEDOUT if an xAPIC never finished delivering it. */
int lapic_send_ipi(uint32_t apic_id, uint32_t icr_lo);
#endif

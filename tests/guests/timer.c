/* HLT and the LAPIC timer (xAPIC MMIO): one-shot, periodic, TSC-deadline, interrupt window. */
#include "guest.h"

#define LAPIC(off) (*(volatile uint32_t *)(0xfee00000u + (off)))
static volatile int ticks;

static void on_timer(void)
{
    ticks++;
    LAPIC(0xb0) = 0;                                    /* EOI */
}

int main(void)
{
    uint64_t t0, t1, ns_ticks;
    uint32_t khz = tsc_khz();

    irq_handler = on_timer;
    check((cpuid(1, 0).c >> 24) & 1, "CPUID: TSC-deadline timer offered");
    check(LAPIC(0x20) >> 24 == 0 && (LAPIC(0x30) & 0xff) == 0x14, "LAPIC ID 0, version 0x14");
    LAPIC(0xf0) = 0x1ff;                                /* enable, spurious vector 0xff */
    check(LAPIC(0xf0) == 0x1ff, "SVR written");
    LAPIC(0x3e0) = 0xb;                                 /* divide by 1: 25 MHz */
    LAPIC(0x320) = 0x40;                                /* one-shot, vector 0x40 */
    t0 = rdtsc();
    LAPIC(0x380) = 50000;                               /* 2 ms */
    check(LAPIC(0x390) > 0 && LAPIC(0x390) < 50000, "current count runs down");
    __asm__ volatile("sti; hlt; cli");
    t1 = rdtsc();
    ns_ticks = khz * 2;                                 /* 2 ms of TSC ticks (32-bit math) */
    check(ticks == 1, "one-shot timer woke HLT");
    check(t1 - t0 >= ns_ticks, "no earlier than programmed");
    check(LAPIC(0x390) == 0, "current count is 0 after expiry");

    LAPIC(0x320) = 0x20040;                             /* periodic, 1 ms */
    LAPIC(0x380) = 25000;
    while (ticks < 5)
        __asm__ volatile("sti; hlt; cli");      /* tested with IF=0: no wake-up lost between test and HLT */
    LAPIC(0x380) = 0;                                   /* stop */
    check(ticks >= 5, "periodic timer: four more ticks");

    LAPIC(0x320) = 0x40040;                             /* TSC-deadline mode */
    ticks = 0;
    wrmsr(0x6e0, rdtsc() + ns_ticks);
    __asm__ volatile("sti; hlt; cli");
    check(ticks == 1, "TSC-deadline timer woke HLT");
    check(rdmsr(0x6e0) == 0, "IA32_TSC_DEADLINE reads 0 once fired");

    /* Interrupt window: the deadline passes with IF=0; delivery waits for STI's shadow. */
    ticks = 0;
    wrmsr(0x6e0, rdtsc() + ns_ticks / 4);
    t0 = rdtsc();
    while (rdtsc() - t0 < ns_ticks)
        ;
    check(ticks == 0, "no interrupt while IF=0");
    __asm__ volatile("sti; nop; cli");
    check(ticks == 1, "delivered right after STI");
    LAPIC(0x320) = 0x10040;                             /* masked */
    check(LAPIC(0x320) & 0x10000, "LVT timer masked");
    return report("timer");
}

/*
 * Local APIC driver. x2APIC is used whenever CPUID.1:ECX[21] offers it
 * (SDM 11.12): registers are MSRs 0x800 + offset/16 and the ICR is one
 * 64-bit write with a 32-bit destination. Otherwise xAPIC MMIO.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/lapic.h>
#include <asm/processor.h>
#include <keel/arch.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/percpu.h>

#define X2APIC_MSR_BASE  0x800
#define APIC_SPURIOUS_VECTOR 0xff

#define APIC_TIMER_INIT     0x380
#define APIC_TIMER_CUR      0x390
#define APIC_TIMER_DIV      0x3e0
#define APIC_TIMER_DIV_1    0xb

static int use_x2apic;
static volatile uint32_t *xapic_base;
static uint64_t apic_timer_khz;         /* one-shot timer ticks per ms, divide by 1 (no TSC deadline) */
int arch_opt_x2apic = 1;                /* x2apic= on the command line (keel/arch.h) */

static uint32_t apic_read(uint32_t reg)
{
    if (use_x2apic)
        return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
    return xapic_base[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t v)
{
    if (use_x2apic)
        wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
    else
        xapic_base[reg / 4] = v;
}

int lapic_x2apic_mode(void) { return use_x2apic; }

uint32_t lapic_id(void)
{
    uint32_t id = apic_read(APIC_ID);
    return use_x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
    if (use_x2apic || xapic_base)
        apic_write(APIC_EOI, 0);
}

void lapic_init(int bsp, uint64_t madt_lapic_addr)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

    if (bsp) {
        use_x2apic = arch_opt_x2apic && (cpuid(1).ecx & CPUID1_ECX_X2APIC);
        xapic_base = phys_to_virt((base & APIC_BASE_ADDR_MASK) ? (base & APIC_BASE_ADDR_MASK)
                                                               : madt_lapic_addr);
    }
    base |= APIC_BASE_ENABLE;
    if (use_x2apic)
        base |= APIC_BASE_EXTD;     /* xAPIC -> x2APIC is a legal transition (11.12.5) */
    wrmsr(MSR_IA32_APIC_BASE, base);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    /* No 8259 ExtINT through LINT0: dom0 may program the PICs, their interrupts are not ours. */
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
    apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV_1);
    if (bsp)
        pr_info("LAPIC: %s mode, BSP APIC ID %u, version %#x\n", use_x2apic ? "x2APIC" : "xAPIC",
                lapic_id(), apic_read(APIC_VERSION) & 0xff);
}

/*
 * Without the TSC-deadline timer (QEMU's TCG has none), lapic_timer_deadline()
 * runs the timer one-shot (11.5.4): its rate, against the TSC, over 1 ms.
 * Boot CPU, interrupts off, after the TSC is calibrated.
 */
void lapic_timer_calibrate(void)
{
    uint64_t t0, khz = arch_tsc_khz();

    if ((cpuid(1).ecx & CPUID1_ECX_TSC_DEADLINE) || !khz)
        return;
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | TIMER_VECTOR);
    apic_write(APIC_TIMER_INIT, 0xffffffffu);
    t0 = rdtsc();
    while (rdtsc() - t0 < khz)
        cpu_relax();
    apic_timer_khz = 0xffffffffu - apic_read(APIC_TIMER_CUR);
    apic_write(APIC_TIMER_INIT, 0);
    pr_info("LAPIC: no TSC-deadline timer: one-shot timer at %lu kHz\n", (unsigned long)apic_timer_khz);
}

/* The same deadline as a one-shot count (lapic_timer_calibrate()); -ENODEV if uncalibrated. */
static int lapic_timer_oneshot(uint64_t tsc, int *mode_set)
{
    uint64_t now, ticks, khz = arch_tsc_khz();

    if (!apic_timer_khz || !khz)
        return -ENODEV;
    if (!*mode_set) {
        apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV_1);
        apic_write(APIC_LVT_TIMER, TIMER_VECTOR);       /* one-shot, unmasked */
        *mode_set = 1;
    }
    if (!tsc) {
        apic_write(APIC_TIMER_INIT, 0);                 /* 0 stops it */
        return 0;
    }
    now = rdtsc();
    ticks = tsc > now ? tsc - now : 0;
    if (ticks > (1ull << 40))
        ticks = 1ull << 40;                             /* hours away: an early wake-up is harmless */
    ticks = ticks * apic_timer_khz / khz;
    apic_write(APIC_TIMER_INIT, ticks == 0 ? 1 : ticks > 0xffffffffull ? 0xffffffffu : (uint32_t)ticks);
    return 0;
}

/*
 * One-shot timer at TSC value @tsc in TSC-deadline mode (11.5.4.1), firing
 * TIMER_VECTOR; 0 disarms. -ENODEV without the TSC-deadline timer.
 */
int lapic_timer_deadline(uint64_t tsc)
{
    static int mode_set[MAX_CPUS], have = -1;
    unsigned cpu = this_cpu()->cpu_id;

    if (have < 0)
        have = (cpuid(1).ecx & CPUID1_ECX_TSC_DEADLINE) != 0;
    if (!have)
        return lapic_timer_oneshot(tsc, &mode_set[cpu]);
    if (!mode_set[cpu]) {
        apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | TIMER_VECTOR);
        mode_set[cpu] = 1;
    }
    wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
    return 0;
}

int lapic_send_ipi(uint32_t apic_id, uint32_t icr_lo)
{
    if (use_x2apic) {
        wrmsr(X2APIC_MSR_BASE + (APIC_ICR_LO >> 4), ((uint64_t)apic_id << 32) | icr_lo);
        return 0;
    }
    apic_write(APIC_ICR_HI, apic_id << 24);
    apic_write(APIC_ICR_LO, icr_lo);
    for (unsigned spin = 0; spin < 1000000; spin++)
        if (!(apic_read(APIC_ICR_LO) & APIC_ICR_BUSY))
            return 0;
    return -ETIMEDOUT;
}

/* ---- the scheduler's hooks: kick a CPU, sleep until a deadline ---- */

void arch_cpu_kick(unsigned cpu)
{
    lapic_send_ipi(percpu[cpu].apic_id, APIC_ICR_FIXED_VECTOR(KICK_VECTOR));
}

void arch_cpu_sleep(uint64_t deadline, volatile int *wake)
{
    if (deadline == ~0ull || lapic_timer_deadline(deadline) == 0) {
        cpu_wait_for_interrupt();
        lapic_timer_deadline(0);
        return;
    }
    /* No TSC-deadline timer: wait awake, with interrupts open, until then. */
    while (rdtsc() < deadline) {
        __asm__ volatile("sti; pause; cli" ::: "memory");
        if (__atomic_load_n(wake, __ATOMIC_ACQUIRE))
            return;
    }
}

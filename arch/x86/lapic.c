/*
 * Local APIC driver. x2APIC is used whenever CPUID.1:ECX[21] offers it
 * (SDM 11.12): registers are MSRs 0x800 + offset/16 and the ICR is one
 * 64-bit write with a 32-bit destination. Otherwise xAPIC MMIO.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/lapic.h>
#include <asm/processor.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/percpu.h>

#define X2APIC_MSR_BASE  0x800
#define APIC_SPURIOUS_VECTOR 0xff

static int use_x2apic;
static volatile uint32_t *xapic_base;
int opt_x2apic = 1;                     /* x2apic= on the command line */

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
        use_x2apic = opt_x2apic && (cpuid(1).ecx & CPUID1_ECX_X2APIC);
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
    if (bsp)
        pr_info("LAPIC: %s mode, BSP APIC ID %u, version %#x\n", use_x2apic ? "x2APIC" : "xAPIC",
                lapic_id(), apic_read(APIC_VERSION) & 0xff);
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
        return -ENODEV;
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

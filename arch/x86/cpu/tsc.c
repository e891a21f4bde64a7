/*
 * TSC frequency: CPUID 0x15 when it gives the crystal clock (SDM Vol. 3B
 * 19.7.3), else measured against the ACPI PM timer (3.579545 MHz), else
 * against PIT channel 2. CPUID 0x16 (nominal base MHz) is only reported.
 */
#include <asm/cpu_ops.h>
#include <drivers/acpi.h>
#include <keel/arch.h>
#include <keel/log.h>

#define PM_TIMER_HZ      3579545ull
#define PIT_HZ           1193182ull
#define CALIBRATE_MS     25

static uint64_t tsc_khz;

uint64_t arch_tsc_khz(void) { return tsc_khz; }

void udelay(uint64_t us)
{
    uint64_t start = rdtsc(), ticks = us * (tsc_khz ? tsc_khz : 1000000) / 1000;

    while (rdtsc() - start < ticks)
        cpu_relax();
}

static uint64_t from_cpuid15(void)
{
    struct cpuid_regs r;

    if (cpuid(0).eax < 0x15)
        return 0;
    r = cpuid(0x15);
    if (!r.eax || !r.ebx || !r.ecx)
        return 0;
    return (uint64_t)r.ecx * r.ebx / r.eax / 1000;
}

static uint64_t from_pm_timer(const struct acpi_info *ai)
{
    uint16_t port = (uint16_t)ai->pm_tmr.address;
    uint32_t mask = ai->pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
    uint32_t want = (uint32_t)(PM_TIMER_HZ * CALIBRATE_MS / 1000), t0, t;
    uint64_t tsc0, tsc1, spins = 0;

    if (!ai->have_fadt || ai->pm_tmr.space_id != ACPI_GAS_IO || !port)
        return 0;
    t0 = inl(port) & mask;
    tsc0 = rdtsc();
    do {
        t = inl(port) & mask;
        if (++spins > 100000000ull)
            return 0;               /* a timer that does not count */
    } while (((t - t0) & mask) < want);
    tsc1 = rdtsc();
    return (tsc1 - tsc0) * PM_TIMER_HZ / ((t - t0) & mask) / 1000;
}

static uint64_t from_pit(void)
{
    uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
    uint64_t tsc0, tsc1, spins = 0;

    /* Channel 2, gate on, speaker off; mode 0 counts down once (8254 data sheet). */
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xb0);
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    tsc0 = rdtsc();
    while (!(inb(0x61) & 0x20))
        if (++spins > 100000000ull)
            return 0;
    tsc1 = rdtsc();
    return (tsc1 - tsc0) / CALIBRATE_MS;
}

void tsc_init(const struct acpi_info *ai)
{
    const char *src = "CPUID 0x15";
    uint32_t nominal = cpuid(0).eax >= 0x16 ? cpuid(0x16).eax & 0xffff : 0;

    tsc_khz = from_cpuid15();
    if (!tsc_khz && (tsc_khz = from_pm_timer(ai)))
        src = "PM timer";
    if (!tsc_khz && (tsc_khz = from_pit()))
        src = "PIT";
    if (!tsc_khz) {
        tsc_khz = nominal ? nominal * 1000ull : 1000000;
        src = nominal ? "CPUID 0x16 (unmeasured)" : "a guess (no timer)";
    }
    pr_info("TSC: %lu.%03lu MHz from %s\n", (unsigned long)(tsc_khz / 1000),
            (unsigned long)(tsc_khz % 1000), src);
    if (nominal)
        pr_debug("TSC: CPUID 0x16 says base %u MHz\n", nominal);
}

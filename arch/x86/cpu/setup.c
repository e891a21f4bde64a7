/* Boot-CPU platform bring-up: ACPI facts for power control, TSC, LAPIC, I/O APICs. */
#include <string.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include <asm/x86.h>
#include <drivers/acpi.h>
#include <keel/arch.h>
#include <keel/console.h>

void arch_acpi_ready(const struct acpi_info *ai);

void arch_platform_init(const struct acpi_info *ai)
{
    arch_acpi_ready(ai);
    tsc_init(ai);
    lapic_init(1, ai->have_madt ? ai->lapic_addr : 0xfee00000);
    lapic_timer_calibrate();
    ioapic_init(ai);
}

int arch_cpuid_param(const char *value)
{
    return cpuid_param(value);
}

static void policy_line(const char *line)
{
    console_write(line, strlen(line));
}

void arch_dump_policy(void)
{
    pol_dump(policy_line);
}

/* Boot-CPU platform bring-up: ACPI facts for power control, TSC, LAPIC, I/O APICs. */
#include <asm/cpuid_policy.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include <asm/x86.h>
#include <drivers/acpi.h>
#include <keel/arch.h>

void arch_acpi_ready(const struct acpi_info *ai);

void arch_platform_init(const struct acpi_info *ai)
{
    arch_acpi_ready(ai);
    tsc_init(ai);
    lapic_init(1, ai->have_madt ? ai->lapic_addr : 0xfee00000);
    ioapic_init(ai);
}

int arch_cpuid_param(const char *value)
{
    return cpuid_param(value);
}

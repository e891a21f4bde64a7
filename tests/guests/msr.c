/* MSR emulation: allowed MSRs work, others raise #GP delivered with error code 0. */
#include "guest.h"

int main(void)
{
    uint64_t v = 0, t0, t1;

    check(rdmsr_safe(0x10, &t0) == 0 && rdmsr_safe(0x10, &t1) == 0 && t1 > t0, "IA32_TSC reads and advances");
    check(rdmsr_safe(0x1b, &v) == 0 && (v & ~0xfffull) == 0xfee00000ull && (v & 0x900) == 0x900,
          "IA32_APIC_BASE: 0xfee00000, enabled, BSP");
    check(wrmsr_safe(0x174, 0x10) == 0 && rdmsr_safe(0x174, &v) == 0 && v == 0x10, "SYSENTER_CS round trip");
    check(wrmsr_safe(0x277, 0x0007040600070406ull) == 0 && rdmsr_safe(0x277, &v) == 0 &&
          v == 0x0007040600070406ull, "PAT round trip");
    check(wrmsr_safe(0x277, 0x0202020202020202ull) == 13 && last_error == 0, "PAT with a reserved type: #GP(0)");
    check(rdmsr_safe(0xc0000080, &v) == 0 && v == 0, "EFER reads 0");
    check(wrmsr_safe(0xc0000080, 1ull << 3) == 13, "EFER reserved bit: #GP");
    check(rdmsr_safe(0x3a, &v) == 0 && (v & 1) && !(v & 6), "FEATURE_CONTROL: locked, VMX off");
    check(wrmsr_safe(0x3a, 5) == 13, "FEATURE_CONTROL write: #GP");
    check(rdmsr_safe(0x12345678, &v) == 13 && last_error == 0, "unknown MSR read: #GP(0)");
    check(wrmsr_safe(0xc0001234, 1) == 13, "unknown MSR write: #GP");
    check(wrmsr_safe(0xc0000082, 0x1234) == 0 && rdmsr_safe(0xc0000082, &v) == 0 && v == 0x1234,
          "LSTAR passes through");

    /* IA32_APIC_BASE transitions (SDM 11.4.3, 11.12.5): disable, re-enable, the invalid ones. */
    check(wrmsr_safe(0x1b, 0xfee00000ull) == 0 && rdmsr_safe(0x1b, &v) == 0 && !(v & 0x800),
          "IA32_APIC_BASE: the LAPIC can be disabled");
    check(rdmsr_safe(0x802, &v) == 13, "disabled: x2APIC registers #GP");
    check(wrmsr_safe(0x1b, 0xfee00c00ull) == 13, "disabled -> x2APIC directly: #GP");
    check(wrmsr_safe(0x1b, 0xfee00400ull) == 13, "EXTD without EN: #GP");
    check(wrmsr_safe(0x1b, 0xfee00800ull) == 0 && rdmsr_safe(0x1b, &v) == 0 && (v & 0x900) == 0x900,
          "re-enabled in xAPIC mode (BSP kept)");
    check(*(volatile uint32_t *)0xfee000f0 == 0xff, "re-enabled LAPIC is as after RESET (SVR 0xff)");
    check(wrmsr_safe(0x1b, 0xfed00800ull) == 13, "relocation: #GP");
    check(wrmsr_safe(0x1b, 0xfee00c00ull) == 0 && wrmsr_safe(0x1b, 0xfee00800ull) == 13 &&
          wrmsr_safe(0x1b, 0xfee00000ull) == 0 && wrmsr_safe(0x1b, 0xfee00800ull) == 0,
          "x2APIC -> xAPIC: #GP; x2APIC -> disabled -> xAPIC works");

    /* IA32_TSC (18.17): writable, the TSC goes on from the value written. */
    check(wrmsr_safe(0x10, 1ull << 40) == 0 && rdtsc() >= (1ull << 40) && rdtsc() < (1ull << 40) + (1ull << 32),
          "IA32_TSC write: RDTSC goes on from it");
    check(rdmsr_safe(0x10, &v) == 0 && v >= (1ull << 40), "IA32_TSC reads the written timeline");

    /* IA32_MISC_ENABLE: fast strings is the guest's; read-only bits stay; unoffered ones #GP. */
    check(rdmsr_safe(0x1a0, &v) == 0 && v == 0x1801, "IA32_MISC_ENABLE reads 0x1801");
    check(wrmsr_safe(0x1a0, 0x1800) == 0 && rdmsr_safe(0x1a0, &v) == 0 && v == 0x1800,
          "IA32_MISC_ENABLE: fast strings off");
    check(wrmsr_safe(0x1a0, 0x0001) == 0 && rdmsr_safe(0x1a0, &v) == 0 && v == 0x1801,
          "IA32_MISC_ENABLE: read-only bits kept");
    check(wrmsr_safe(0x1a0, 0x1801 | (1ull << 22)) == 13, "IA32_MISC_ENABLE: CPUID limit #GP");
    check(wrmsr_safe(0x1a0, 0x1801 | (1ull << 34)) == 13, "IA32_MISC_ENABLE: XD disable #GP");
    return report("msr");
}

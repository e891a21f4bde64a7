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
    return report("msr");
}

/*
 * What a guest sees from CPUID: the host's answer filtered, plus Keel's
 * hypervisor leaves. Pure and host-tested.
 */
#ifndef ASM_CPUID_POLICY_H
#define ASM_CPUID_POLICY_H
#include <stdint.h>

struct cpuid_out { uint32_t eax, ebx, ecx, edx; };

struct cpuid_guest {
    uint32_t vcpu_id;           /* becomes the initial (x2)APIC ID */
    uint32_t nr_vcpus;
    uint32_t tsc_khz;
    uint32_t apic_khz;          /* the virtual LAPIC timer's clock */
};

/* Is @leaf answered by Keel itself (host CPUID not needed)? */
static inline int cpuid_is_hypervisor_leaf(uint32_t leaf)
{
    return (leaf & 0xffffff00u) == 0x40000000u;
}

void cpuid_policy(uint32_t leaf, uint32_t subleaf, const struct cpuid_out *host,
                  const struct cpuid_guest *g, struct cpuid_out *out);
#endif

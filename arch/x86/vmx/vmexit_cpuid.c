/* CPUID exits (SDM 28.1.2: CPUID always exits). */
#include <asm/cpu_ops.h>
#include <asm/cpuid_policy.h>
#include <keel/arch.h>
#include "vmx_internal.h"

void vmexit_cpuid(struct vcpu *v, const struct vmx_exit *e)
{
    struct guest_regs *r = &v->arch.regs;
    uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
    struct cpuid_out host = { 0, 0, 0, 0 }, out;
    struct cpuid_guest g = {
        .vcpu_id = v->id,
        .nr_vcpus = v->domain->nr_vcpus,
        .tsc_khz = (uint32_t)arch_tsc_khz(),
        .apic_khz = 1000000,    /* the virtual LAPIC timer counts nanoseconds */
    };

    if (!cpuid_is_hypervisor_leaf(leaf)) {
        struct cpuid_regs h = cpuid_count(leaf, sub);
        host = (struct cpuid_out){ h.eax, h.ebx, h.ecx, h.edx };
    }
    cpuid_policy(leaf, sub, &host, &g, &out);
    /* 32-bit results zero-extend into the 64-bit registers. */
    r->rax = out.eax;
    r->rbx = out.ebx;
    r->rcx = out.ecx;
    r->rdx = out.edx;
    vmx_skip_instruction(v);
}

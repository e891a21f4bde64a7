/*
 * CPUID exits (SDM 28.1.2: CPUID always exits). The hot path is a lookup in
 * the vCPU's precomputed table; the rest runs the policy on the host's
 * live answer.
 */
#include <asm/cpu_ops.h>
#include <asm/cpuid_policy.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <keel/arch.h>
#include "vmx_internal.h"

static struct cpuid_guest guest_of(const struct vcpu *v)
{
    return (struct cpuid_guest){
        .vcpu_id = v->id,
        .nr_vcpus = v->domain->max_vcpus,
        .tsc_khz = (uint32_t)arch_tsc_khz(),
        .apic_khz = VLAPIC_KHZ,
        .xsaves = vmx_cfg.has_xsaves,
        .rdtscp = (vmx_cfg.proc2 & CPU2_ENABLE_RDTSCP) != 0,
        .invpcid = (vmx_cfg.proc2 & CPU2_ENABLE_INVPCID) != 0,
        .no_avx512 = cpuid_no_avx512,     /* the virtual LAPIC timer's clock, the "crystal" of leaf 0x15 */
    };
}

void vmx_cpuid_init(struct vcpu *v)
{
    struct cpuid_guest g = guest_of(v);

    cpuid_table_build(&v->arch.cpuid, &g, vmx_host_cpuid);
}

/* Outside the table: the policy on the host's live answer; leaf 0DH's sizes follow XCR0 and XSS. */
static __attribute__((noinline, cold)) void cpuid_slow(struct vcpu *v, uint32_t leaf, uint32_t sub,
                                                       struct cpuid_out *out)
{
    struct cpuid_out host = { 0, 0, 0, 0 };
    struct cpuid_guest g = guest_of(v);

    if (!cpuid_is_hypervisor_leaf(leaf))
        vmx_host_cpuid(leaf, sub, &host);
    cpuid_policy(leaf, sub, &host, &g, out);
    if (leaf == 0xd && sub <= 1 && (vmcs_readl(GUEST_CR4) & X86_CR4_OSXSAVE))
        out->ebx = cpuid_xsave_size(xgetbv(0) | (sub == 1 && vmx_cfg.has_xsaves ? rdmsr(MSR_IA32_XSS) : 0),
                                    sub == 1, vmx_host_cpuid);      /* XCR0 and XSS are the guest's */
}

/* What the table does not answer (vmx_cpuid_exit() answers the rest inline). */
void vmexit_cpuid(struct vcpu *v, const struct vmx_exit *e)
{
    struct guest_regs *r = &v->arch.regs;
    uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
    struct cpuid_out out;

    if (leaf == 1 || (leaf == 7 && sub == 0)) {
        /* The table's answer; OSXSAVE and OSPKE mirror the guest's own CR4 (SDM Vol. 2A, CPUID). */
        uint64_t cr4 = vmcs_readl(GUEST_CR4);
        out = v->arch.cpuid.basic[leaf][0];
        if (leaf == 1 && (cr4 & X86_CR4_OSXSAVE))
            out.ecx |= CPUID1_ECX_OSXSAVE;
        else if (leaf == 7 && (cr4 & X86_CR4_PKE))
            out.ecx |= CPUID7_ECX_OSPKE;
    } else if (!cpuid_table_lookup(&v->arch.cpuid, leaf, sub, &out)) {
        cpuid_slow(v, leaf, sub, &out);
    }
    vmx_cpuid_result(v, &out);
}

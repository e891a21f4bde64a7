/*
 * CPUID exits (SDM 28.1.2: CPUID always exits; SVM intercepts it). The hot
 * path is a lookup in the vCPU's precomputed table; the rest runs the
 * policy on the host's live answer.
 */
#include <asm/cpu_ops.h>
#include <asm/cpuid_policy.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <keel/arch.h>
#include <asm/hvm.h>
#include <keel/domain.h>

static struct cpuid_guest guest_of(const struct vcpu *v)
{
    return (struct cpuid_guest){
        .vcpu_id = v->id,
        .nr_vcpus = v->domain->max_vcpus,
        .tsc_khz = (uint32_t)arch_tsc_khz(),
        .apic_khz = VLAPIC_KHZ,
        .xsaves = hvm->has_xsaves,
        .rdtscp = hvm->has_rdtscp,
        .invpcid = hvm->has_invpcid,
        .vmmcall = hvm->vmmcall,
        .no_avx512 = cpuid_no_avx512,     /* the virtual LAPIC timer's clock, the "crystal" of leaf 0x15 */
    };
}

void hvm_cpuid_init(struct vcpu *v)
{
    struct cpuid_guest g = guest_of(v);

    cpuid_table_build(&v->arch.cpuid, &g, cpuid_host);
}

/* Outside the table: the policy on the host's live answer; leaf 0DH's sizes follow XCR0 and XSS. */
static __attribute__((noinline, cold)) void cpuid_slow(struct vcpu *v, uint32_t leaf, uint32_t sub,
                                                       uint64_t cr4, struct cpuid_out *out)
{
    struct cpuid_out host = { 0, 0, 0, 0 };
    struct cpuid_guest g = guest_of(v);

    if (!cpuid_is_hypervisor_leaf(leaf))
        cpuid_host(leaf, sub, &host);
    cpuid_policy(leaf, sub, &host, &g, out);
    if (leaf == 0xd && sub <= 1 && (cr4 & X86_CR4_OSXSAVE))
        out->ebx = cpuid_xsave_size(xgetbv(0) | (sub == 1 && hvm->has_xsaves ? rdmsr(MSR_IA32_XSS) : 0),
                                    sub == 1, cpuid_host);      /* XCR0 and XSS are the guest's */
}

/* Every CPUID (a vendor may answer its table's leaves inline first). */
void hvm_cpuid(struct vcpu *v, uint64_t cr4)
{
    struct guest_regs *r = &v->arch.regs;
    uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
    struct cpuid_out out;

    if (leaf == 1 || (leaf == 7 && sub == 0)) {
        /* The table's answer; OSXSAVE and OSPKE mirror the guest's own CR4 (SDM Vol. 2A, CPUID). */
        out = v->arch.cpuid.basic[leaf][0];
        if (leaf == 1 && (cr4 & X86_CR4_OSXSAVE))
            out.ecx |= CPUID1_ECX_OSXSAVE;
        else if (leaf == 7 && (cr4 & X86_CR4_PKE))
            out.ecx |= CPUID7_ECX_OSPKE;
    } else if (!cpuid_table_lookup(&v->arch.cpuid, leaf, sub, &out)) {
        cpuid_slow(v, leaf, sub, cr4, &out);
    }
    hvm_cpuid_result(v, &out);
}

/* Shared between the files of arch/x86/vmx only. */
#ifndef VMX_INTERNAL_H
#define VMX_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <asm/cpu_ops.h>
#include <asm/cpuid_policy.h>
#include <asm/ept.h>
#include <asm/vmx.h>
#include <asm/vmx_caps.h>
#include <asm/vmx_ops.h>
#include <keel/domain.h>
#include <keel/percpu.h>

extern struct vmx_config vmx_cfg;

/* What every handler gets: the decoded exit reason. */
struct vmx_exit {
    union vmx_exit_reason reason;
};

/*
 * Exit handlers (vmexit_*.c). Contract: handle the exit completely (advance
 * RIP, queue an injection, or stop the domain with domain_crash()) and
 * return. The run loop re-enters while the domain is running.
 */
typedef void (*vmx_exit_handler)(struct vcpu *v, const struct vmx_exit *e);

void vmexit_cpuid(struct vcpu *v, const struct vmx_exit *e);
void vmexit_io(struct vcpu *v, const struct vmx_exit *e);
void vmexit_msr_read(struct vcpu *v, const struct vmx_exit *e);
void vmexit_msr_write(struct vcpu *v, const struct vmx_exit *e);
void vmexit_cr_access(struct vcpu *v, const struct vmx_exit *e);
void vmexit_dr_access(struct vcpu *v, const struct vmx_exit *e);
void vmexit_rdpmc(struct vcpu *v, const struct vmx_exit *e);
/* @v (this CPU's state owner) gets its debug registers in the CPU and MOV DR without exits. */
void vmx_debug_regs_claim(struct vcpu *v);
/* Debug registers as after RESET (DR6 0xffff0ff0), MOV DR exiting again. */
void vmx_debug_regs_reset(struct vcpu *v);
void vmexit_ept_violation(struct vcpu *v, const struct vmx_exit *e);
void vmexit_ept_misconfig(struct vcpu *v, const struct vmx_exit *e);
void vmexit_hlt(struct vcpu *v, const struct vmx_exit *e);
void vmexit_vmcall(struct vcpu *v, const struct vmx_exit *e);
void vmexit_xsetbv(struct vcpu *v, const struct vmx_exit *e);
void vmexit_wbinvd(struct vcpu *v, const struct vmx_exit *e);
void vmexit_triple_fault(struct vcpu *v, const struct vmx_exit *e);
void vmexit_init(struct vcpu *v, const struct vmx_exit *e);
void vmexit_sipi(struct vcpu *v, const struct vmx_exit *e);
void vmexit_external_interrupt(struct vcpu *v, const struct vmx_exit *e);
void vmexit_interrupt_window(struct vcpu *v, const struct vmx_exit *e);
void vmexit_nmi_window(struct vcpu *v, const struct vmx_exit *e);
void vmexit_exception_nmi(struct vcpu *v, const struct vmx_exit *e);
void vmexit_preemption_timer(struct vcpu *v, const struct vmx_exit *e);
void vmexit_vmx_instruction(struct vcpu *v, const struct vmx_exit *e);

/* Precompute the vCPU's CPUID table (vmexit_cpuid.c). */
void vmx_cpuid_init(struct vcpu *v);

/* Helpers for handlers. */

/* IA32_MISC_ENABLE (SDM Vol. 4, table 2-2): fast strings, automatic TCC and xTPR
 * disable are the guest's; performance monitoring, BTS and PEBS unavailable are
 * read-only; the rest (EIST, MONITOR, CPUID limit, XD disable) are not offered: #GP. */
#define MISC_ENABLE_RW      ((1ull << 0) | (1ull << 3) | (1ull << 23))
#define MISC_ENABLE_RO      ((1ull << 7) | (1ull << 11) | (1ull << 12))
#define MISC_ENABLE_RESET   ((1ull << 0) | (1ull << 11) | (1ull << 12))

#define RFLAGS_TF           (1u << 8)
#define DR6_BS              (1u << 14)          /* DR6: a single step caused the #DB */
#define DR6_RESET           0xffff0ff0ull

/* The guest's CPL: SS.DPL (25.4.1). */
static inline unsigned vmx_guest_cpl(void)
{
    return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

/* The host's CPUID, as the policy's cpuid_host_fn. */
static inline void vmx_host_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_out *out)
{
    struct cpuid_regs h = cpuid_count(leaf, sub);

    *out = (struct cpuid_out){ h.eax, h.ebx, h.ecx, h.edx };
}

/* An emulated instruction completed: RIP moves on (hot path: inline). */
static inline void vmx_complete_instruction(uint64_t next_rip)
{
    uint32_t intr;

    vmcs_writel(GUEST_RIP, next_rip);
    /* STI/MOV SS blocking ends with the instruction after them (25.4.2). */
    intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    if (__builtin_expect(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS), 0))
        vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
                     intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
    /* Single-stepping (RFLAGS.TF): the trap the instruction would have raised, after it. */
    if (__builtin_expect(vmcs_readl(GUEST_RFLAGS) & RFLAGS_TF, 0))
        vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
}

/* The exiting instruction is done: advance RIP past it. */
static inline void vmx_skip_instruction(struct vcpu *v)
{
    (void)v;
    vmx_complete_instruction(vmcs_readl(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}
/* A #PF's address, for the vCPU running here (its CR2 is live in the CPU, vmx_switch.c). */
static inline void vmx_set_cr2(struct vcpu *v, uint64_t cr2)
{
    v->arch.regs.cr2 = cr2;
    write_cr2(cr2);
}
/* A CPUID's answer: 32-bit results zero-extend into the 64-bit registers. */
static inline void vmx_cpuid_result(struct vcpu *v, const struct cpuid_out *out)
{
    struct guest_regs *r = &v->arch.regs;

    r->rax = out->eax;
    r->rbx = out->ebx;
    r->rcx = out->ecx;
    r->rdx = out->edx;
    vmx_skip_instruction(v);
}

/* The hottest exit, inline in the dispatcher: the vCPU's table, else vmexit_cpuid(). */
static inline void vmx_cpuid_exit(struct vcpu *v)
{
    struct cpuid_out out;

    if (__builtin_expect(cpuid_table_lookup(&v->arch.cpuid, (uint32_t)v->arch.regs.rax,
                                            (uint32_t)v->arch.regs.rcx, &out), 1))
        vmx_cpuid_result(v, &out);
    else
        vmexit_cpuid(v, NULL);
}

/* Queue an exception for the next entry (SDM 27.6, 28.2.4 for merging). */
void vmx_inject_exception(struct vcpu *v, unsigned vector, int has_error, uint32_t error);
static inline void vmx_inject_gp(struct vcpu *v) { vmx_inject_exception(v, 13, 1, 0); }
static inline void vmx_inject_ud(struct vcpu *v) { vmx_inject_exception(v, 6, 0, 0); }
/* Set the guest's CR0/CR4 (read shadow = @v; the real value has VMX's fixed bits). */
void vmx_set_guest_cr0(uint64_t v);
void vmx_set_guest_cr4(uint64_t v);

/* HLT: wait for an interrupt (crashes the domain if nothing can ever come). */
void vmx_vcpu_halt(struct vcpu *v);
/* Start @v in real mode at vector << 12 (a SIPI). */
void vmx_vcpu_start_real(struct vcpu *v, uint8_t vector);
/* Linear -> guest-physical with the guest's current paging (guest_walk.h). */
int vmx_guest_translate(struct vcpu *v, uint64_t gla, unsigned access, uint64_t *gpa, uint32_t *pf);
/* Drop @d's cached guest-physical translations on this CPU (the whole cache without single-context INVEPT). */
static inline void vmx_flush_ept(struct domain *d)
{
    invept(vmx_cfg.has_invept_single ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT, d->arch.eptp);
}
/* Drop @v's VPID-tagged linear translations on this CPU (every VPID's without single-context INVVPID). */
static inline void vmx_flush_vpid(struct vcpu *v)
{
    invvpid(vmx_cfg.has_invvpid_single ? INVVPID_SINGLE_CONTEXT : INVVPID_ALL_CONTEXT, v->arch.vpid, 0);
}

/*
 * The guest's own CR0/CR4 (24.6.6): bits it owns live in the register, bits
 * in the guest/host mask in the read shadow. A write that touches only its
 * own bits does not exit, so neither half alone is current.
 */
static inline uint64_t vmx_guest_cr0(void)
{
    uint64_t m = vmcs_readl(CR0_GUEST_HOST_MASK);
    return (vmcs_readl(GUEST_CR0) & ~m) | (vmcs_readl(CR0_READ_SHADOW) & m);
}

static inline uint64_t vmx_guest_cr4(void)
{
    uint64_t m = vmcs_readl(CR4_GUEST_HOST_MASK);
    return (vmcs_readl(GUEST_CR4) & ~m) | (vmcs_readl(CR4_READ_SHADOW) & m);
}

static inline unsigned this_cpu_id(void) { return this_cpu()->cpu_id; }

/* Virtual LAPIC (vmx_lapic.c). */
void vmx_lapic_init(struct vcpu *v);
int vmx_lapic_domain_init(struct domain *d);
/* LAPIC MSRs: 0 done, 1 #GP, -1 not a LAPIC MSR (the caller skips or injects). */
int vmx_lapic_msr(struct vcpu *v, uint32_t msr, int write, uint64_t *val);
void vmx_deliver_events(struct vcpu *v);

/* Emulate the instruction that touched device memory at @gpa (vmx_mmio.c). */
void vmx_emulate_mmio(struct vcpu *v, uint64_t gpa);

/* Guest state outside the VMCS, switched between vCPUs on a CPU (vmx_switch.c). */
void vmx_switch_init(void);
int vmx_vcpu_state_init(struct vcpu *v);
void vmx_vcpu_state_free(struct vcpu *v);
void vmx_state_switch_to(struct vcpu *v);
void vmx_state_release(struct vcpu *v);

/* Log the VMCS state that explains a failure (vmcs.c). */
void vmcs_dump(void);
/* The domain's EPT. */
struct ept *vmx_domain_ept(struct domain *d);

/* vmentry.S, and the C half of its loop (vmx.c) */
int vmx_run(struct guest_regs *regs, struct vcpu *v);
extern const char vmx_vmexit[];
int vmx_exit_dispatch(struct vcpu *v);
#endif

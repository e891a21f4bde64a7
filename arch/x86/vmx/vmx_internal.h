/* Shared between the files of arch/x86/vmx only. */
#ifndef VMX_INTERNAL_H
#define VMX_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <asm/cpu_ops.h>
#include <asm/cpuid_policy.h>
#include <asm/ept.h>
#include <asm/hvm.h>
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
 * Exit handlers (vmexit.c): decode the exit, then handle it completely
 * (through the shared handlers of arch/x86/virt, or here) and return. The
 * run loop re-enters while the domain is running.
 */
typedef void (*vmx_exit_handler)(struct vcpu *v, const struct vmx_exit *e);

void vmexit_cpuid(struct vcpu *v, const struct vmx_exit *e);
void vmexit_io(struct vcpu *v, const struct vmx_exit *e);
void vmexit_msr_read(struct vcpu *v, const struct vmx_exit *e);
void vmexit_msr_write(struct vcpu *v, const struct vmx_exit *e);
void vmexit_cr_access(struct vcpu *v, const struct vmx_exit *e);
void vmexit_dr_access(struct vcpu *v, const struct vmx_exit *e);
void vmexit_rdpmc(struct vcpu *v, const struct vmx_exit *e);
void vmexit_ept_violation(struct vcpu *v, const struct vmx_exit *e);
void vmexit_ept_misconfig(struct vcpu *v, const struct vmx_exit *e);
void vmexit_hlt(struct vcpu *v, const struct vmx_exit *e);
void vmexit_vmcall(struct vcpu *v, const struct vmx_exit *e);
void vmexit_xsetbv(struct vcpu *v, const struct vmx_exit *e);
void vmexit_wbinvd(struct vcpu *v, const struct vmx_exit *e);
void vmexit_pause(struct vcpu *v, const struct vmx_exit *e);
#define VMX_PLE_GAP     128
#define VMX_PLE_WINDOW  4096
void vmexit_triple_fault(struct vcpu *v, const struct vmx_exit *e);
void vmexit_init(struct vcpu *v, const struct vmx_exit *e);
void vmexit_sipi(struct vcpu *v, const struct vmx_exit *e);
void vmexit_external_interrupt(struct vcpu *v, const struct vmx_exit *e);
void vmexit_interrupt_window(struct vcpu *v, const struct vmx_exit *e);
void vmexit_nmi_window(struct vcpu *v, const struct vmx_exit *e);
void vmexit_exception_nmi(struct vcpu *v, const struct vmx_exit *e);
void vmexit_preemption_timer(struct vcpu *v, const struct vmx_exit *e);
void vmexit_vmx_instruction(struct vcpu *v, const struct vmx_exit *e);

/* The guest's CPL: SS.DPL (25.4.1). */
static inline unsigned vmx_guest_cpl(void)
{
    return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
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
/* The hottest exit, inline in the dispatcher: the vCPU's table, else hvm_cpuid(). */
static inline void vmx_cpuid_exit(struct vcpu *v)
{
    struct cpuid_out out;

    if (__builtin_expect(cpuid_table_lookup(&v->arch.cpuid, (uint32_t)v->arch.regs.rax,
                                            (uint32_t)v->arch.regs.rcx, &out), 1)) {
        hvm_cpuid_result(v, &out);
    } else {
        hvm_cpuid(v, vmcs_readl(GUEST_CR4));    /* OSXSAVE and OSPKE are the guest's bits: in the register */
    }
    vmx_skip_instruction(v);
}

/* vmx_cpu.c: VMX on this CPU, its capability MSRs (for fixtures), VPIDs (0: none left). */
int vmx_cpu_init(int bsp);
void vmx_dump_msrs(void);
uint16_t vmx_vpid_alloc(void);
void vmx_vpid_free(uint16_t vpid);
/* vmx.c: make @v's VMCS current here (it stays active between runs): 0, -EBUSY, -EIO. */
int vmx_vmcs_load(struct vcpu *v);
/* vmx_run.c: run @v until the scheduler wants the CPU; its VMCS off this CPU; on one? */
void vmx_vcpu_run(struct vcpu *v);
void vmx_vcpu_unload(struct vcpu *v);
int vmx_vcpu_loaded(const struct vcpu *v);
/* Set the guest's CR0/CR4 (read shadow = @v; the real value has VMX's fixed bits). */
void vmx_set_guest_cr0(uint64_t v);
void vmx_set_guest_cr4(uint64_t v);


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

/* Log the VMCS state that explains a failure (vmcs.c). */
void vmcs_dump(void);

/* vmentry.S, and the C half of its loop (vmx.c) */
int vmx_run(struct guest_regs *regs, struct vcpu *v);
extern const char vmx_vmexit[];
int vmx_exit_dispatch(struct vcpu *v);
#endif

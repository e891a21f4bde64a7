/*
 * The smaller exit classes: control registers, HLT, VMCALL, XSETBV,
 * INVD/WBINVD, triple fault, INIT/SIPI, interrupts and windows,
 * exceptions, the preemption timer and VMX instructions (SDM 28.1-28.2).
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/processor.h>
#include <keel/hypercall.h>
#include <keel/log.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include "vmx_internal.h"

#define X86_CR0_TS  (1u << 3)
#define EFER_LMA    (1ull << 10)

static uint64_t *gpr(struct vcpu *v, unsigned n)
{
    /* struct guest_regs follows the instruction encoding order; RSP is in the VMCS. */
    return &((uint64_t *)&v->arch.regs)[n];
}

static uint64_t read_gpr(struct vcpu *v, unsigned n)
{
    return n == 4 ? vmcs_readl(GUEST_RSP) : *gpr(v, n);
}

static void write_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
    if (n == 4)
        vmcs_writel(GUEST_RSP, val);
    else
        *gpr(v, n) = val;
}

/*
 * CR8 is the virtual LAPIC's TPR[7:4] (SDM 10.8.6.1), never the physical
 * one: a guest's CR8 would otherwise mask the host's kick and timer
 * interrupts on its CPU. Bits 63:4 are reserved (#GP). 64-bit mode only:
 * elsewhere the CPU raises #UD before any exit.
 */
static void guest_write_cr8(struct vcpu *v, uint64_t val)
{
    if (val & ~0xfull) {
        vmx_inject_gp(v);
        return;
    }
    v->arch.lapic.tpr = (uint32_t)val << 4;
    vmx_skip_instruction(v);
}

static void guest_write_cr0(struct vcpu *v, uint64_t val)
{
    uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
    uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);

    /*
     * 2.5 and MOV CR0 #GP rules: high bits, PG without PE, NW without CD. CD
     * and NW live in the read shadow only, so VMX's fixed-1 bits (Bochs' omit
     * them) do not limit them: Linux sets both around MTRR updates.
     */
    if ((val >> 32) || (val & ~(vmx_cfg.cr0_fixed1 | X86_CR0_CD | X86_CR0_NW)) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
        ((val & X86_CR0_NW) && !(val & X86_CR0_CD))) {
        gprintk(v->domain, LOG_DEBUG, "d%u v%u: MOV to CR0 %#lx refused (#GP)\n", v->domain->id, v->id,
                (unsigned long)val);
        vmx_inject_gp(v);
        return;
    }
    if ((val & X86_CR0_PG) && (efer & EFER_LME)) {
        if (!(vmx_guest_cr4() & X86_CR4_PAE)) {
            gprintk(v->domain, LOG_DEBUG, "d%u v%u: MOV to CR0 %#lx with EFER.LME and no PAE (#GP)\n",
                    v->domain->id, v->id, (unsigned long)val);
            vmx_inject_gp(v);       /* 10.8.5: long mode needs PAE first */
            return;
        }
        efer |= EFER_LMA;
        entry |= ENTRY_IA32E_MODE_GUEST;
    } else if (!(val & X86_CR0_PG)) {
        efer &= ~EFER_LMA;
        entry &= ~ENTRY_IA32E_MODE_GUEST;
    }
    vmcs_write64(GUEST_IA32_EFER, efer);
    vmcs_write32(VM_ENTRY_CONTROLS, entry);
    vmx_set_guest_cr0(val);
    vmx_skip_instruction(v);
}

static void guest_write_cr4(struct vcpu *v, uint64_t val)
{
    if ((val & ~pol_cr4_allowed()) || (val & ~vmx_cfg.cr4_fixed1)) {
        vmx_inject_gp(v);
        return;
    }
    if ((vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) && !(val & X86_CR4_PAE)) {
        vmx_inject_gp(v);           /* PAE may not be cleared in long mode */
        return;
    }
    vmx_set_guest_cr4(val);
    vmx_skip_instruction(v);
}

void vmexit_cr_access(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t q = vmcs_readl(EXIT_QUALIFICATION), shadow = vmx_guest_cr0();

    switch (CR_QUAL_TYPE(q)) {
    case 0:                                 /* MOV to CR */
        if (CR_QUAL_NUMBER(q) == 0)
            guest_write_cr0(v, read_gpr(v, CR_QUAL_GPR(q)));
        else if (CR_QUAL_NUMBER(q) == 4)
            guest_write_cr4(v, read_gpr(v, CR_QUAL_GPR(q)));
        else if (CR_QUAL_NUMBER(q) == 8)
            guest_write_cr8(v, read_gpr(v, CR_QUAL_GPR(q)));
        else
            domain_crash(v->domain, "unexpected MOV to CR%u exit", CR_QUAL_NUMBER(q));
        return;
    case 2:                                 /* CLTS */
        guest_write_cr0(v, shadow & ~(uint64_t)X86_CR0_TS);
        return;
    case 3:                                 /* LMSW: bits 3:0, and PE cannot be cleared */
        guest_write_cr0(v, (shadow & ~0xeull) | (CR_QUAL_LMSW_DATA(q) & 0xf) | (shadow & X86_CR0_PE));
        return;
    case 1:                                 /* MOV from CR: only CR8 exits */
        if (CR_QUAL_NUMBER(q) == 8) {
            write_gpr(v, CR_QUAL_GPR(q), (v->arch.lapic.tpr >> 4) & 0xf);
            vmx_skip_instruction(v);
            return;
        }
        /* fall through */
    default:
        domain_crash(v->domain, "unexpected MOV from CR%u exit", CR_QUAL_NUMBER(q));
    }
}

/*
 * A vCPU's first MOV to or from a debug register (the CPU checked CPL, DR7.GD
 * and CR4.DE before the exit, 26.1.1): its DR0-3 and DR6 go into the CPU and
 * from now on switch with its other state, and the instruction runs again,
 * natively, as every later one does (KVM does the same).
 */
void vmexit_dr_access(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_debug_regs_claim(v);
}

void vmexit_hlt(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_skip_instruction(v);
    /*
     * Single-stepping (TF): HLT's trap comes when it completes, that is
     * when the vCPU wakes, and before the interrupt that woke it (SDM 6.9:
     * traps on the previous instruction come first): vmx_deliver_events()
     * injects it then, rather than VM entry's pending-#DB (lost under an
     * injected interrupt).
     */
    if (vmcs_readl(GUEST_RFLAGS) & RFLAGS_TF) {
        vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS) & ~(uint64_t)PENDING_DBG_BS);
        v->arch.halt_step = 1;
    }
    vmx_vcpu_halt(v);
}

void vmexit_vmcall(struct vcpu *v, const struct vmx_exit *e)
{
    struct guest_regs *r = &v->arch.regs;
    uint64_t args[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };

    /* Hypercalls are for the guest kernel. */
    if (vmx_guest_cpl())
        r->rax = (uint64_t)(int64_t)-EPERM;
    else
        r->rax = (uint64_t)hypercall_dispatch(v, r->rax, args);
    vmx_skip_instruction(v);
}

void vmexit_xsetbv(struct vcpu *v, const struct vmx_exit *e)
{
    struct guest_regs *r = &v->arch.regs;
    uint64_t val = (r->rdx << 32) | (uint32_t)r->rax, host_ok;
    struct cpuid_regs d = cpuid_count(0xd, 0);
    const struct pol_host h = { .no_avx512 = cpuid_no_avx512 };

    host_ok = (((uint64_t)d.edx << 32) | d.eax) & pol_xcr0_allowed(&h);
    /*
     * 13.3: XCR0 only; x87 always on; AVX needs SSE; the AVX-512 states (bits
     * 7:5) all or none, and only with AVX; BNDREGS/BNDCSR together; only what
     * the CPU supports and the policy offers (asm/cpu_policy.h: no MPX, no AMX).
     */
    if ((uint32_t)r->rcx != 0 || !(val & 1) || ((val & 4) && !(val & 2)) || (val & ~host_ok) ||
        ((val & 0xe0) && ((val & 0xe0) != 0xe0 || !(val & 4))) || (((val >> 3) & 3) == 1 || ((val >> 3) & 3) == 2)) {
        vmx_inject_gp(v);
        return;
    }
    xsetbv(0, val);
    vmx_skip_instruction(v);
}

/* RDPMC: no PMU in the policy (CPUID leaf 0AH reads 0): every counter index #GPs. */
void vmexit_rdpmc(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_inject_gp(v);
}

void vmexit_wbinvd(struct vcpu *v, const struct vmx_exit *e)
{
    /* EPT maps guest RAM write-back and coherent: nothing to flush for the guest. */
    vmx_skip_instruction(v);
}

void vmexit_triple_fault(struct vcpu *v, const struct vmx_exit *e)
{
    domain_crash(v->domain, "triple fault at RIP %#lx", (unsigned long)vmcs_readl(GUEST_RIP));
}

void vmexit_init(struct vcpu *v, const struct vmx_exit *e)
{
    /* 28.2: INIT in non-root mode exits; the vCPU waits for a SIPI. */
    vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_WAIT_SIPI);
}

void vmexit_sipi(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_vcpu_start_real(v, (uint8_t)vmcs_readl(EXIT_QUALIFICATION));
}

void vmexit_external_interrupt(struct vcpu *v, const struct vmx_exit *e)
{
    uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);

    /* Acknowledged on exit (EXIT_ACK_INTERRUPT_ON_EXIT): the host's, not the guest's. */
    irq_dispatch(info & INTR_INFO_VECTOR_MASK);
    /* An NMI IPI comes with a kick: deliver it even to a vCPU whose LAPIC is off. */
    if (__atomic_load_n(&v->arch.nmi_pending, __ATOMIC_ACQUIRE))
        vmx_deliver_events(v);
}

void vmexit_interrupt_window(struct vcpu *v, const struct vmx_exit *e)
{
    vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
                 vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~CPU_INTERRUPT_WINDOW_EXITING);
}

void vmexit_nmi_window(struct vcpu *v, const struct vmx_exit *e)
{
    vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
                 vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~CPU_NMI_WINDOW_EXITING);
}

void vmexit_exception_nmi(struct vcpu *v, const struct vmx_exit *e)
{
    uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
    unsigned vec = info & INTR_INFO_VECTOR_MASK;

    if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
        pr_warn("CPU%u: NMI while running d%u\n", this_cpu_id(), v->domain->id);
        return;
    }
    if (vec == 18) {
        domain_crash(v->domain, "machine check while running");
        return;
    }
    domain_crash(v->domain, "unexpected exception exit, vector %u", vec);
}

void vmexit_vmx_instruction(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_inject_ud(v);           /* no nested VMX: as on a CPU without it */
}

void vmexit_preemption_timer(struct vcpu *v, const struct vmx_exit *e)
{
    /* A guest timer deadline came: vmx_deliver_events() fires it on the way back in. */
}

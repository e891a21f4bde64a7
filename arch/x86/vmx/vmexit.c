/*
 * VM exits decoded (SDM 28.1-28.2, qualifications in 28.2.1): each class is
 * handed to the shared handler of arch/x86/virt, or handled here when it is
 * VMX's own (windows, INIT/SIPI, VMX instructions, the preemption timer).
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/processor.h>
#include <keel/log.h>
#include <keel/sched.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include "vmx_internal.h"

#define X86_CR0_TS  (1u << 3)

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

void vmexit_cpuid(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_cpuid_exit(v);
}

/* Qualification: table 28-5; INS/OUTS address size in the instruction information (28.2.5). */
void vmexit_io(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t q = vmcs_readl(EXIT_QUALIFICATION);
    int done;

    if (q & IO_QUAL_STRING) {
        unsigned as = (vmcs_read32(VMX_INSTRUCTION_INFO) >> 7) & 7;
        done = hvm_string_io(v, (uint16_t)IO_QUAL_PORT(q), IO_QUAL_SIZE(q), (q & IO_QUAL_IN) != 0,
                             (q & IO_QUAL_REP) != 0, vmcs_readl(GUEST_LINEAR_ADDRESS), as == 0 ? 2 : as == 1 ? 4 : 8);
    } else {
        done = hvm_port_io(v, (uint16_t)IO_QUAL_PORT(q), IO_QUAL_SIZE(q), (q & IO_QUAL_IN) != 0);
    }
    if (done)
        vmx_skip_instruction(v);
}

void vmexit_msr_read(struct vcpu *v, const struct vmx_exit *e)
{
    if (hvm_msr_read(v))
        vmx_skip_instruction(v);
}

void vmexit_msr_write(struct vcpu *v, const struct vmx_exit *e)
{
    if (hvm_msr_write(v))
        vmx_skip_instruction(v);
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
        hvm_inject_gp(v);
        return;
    }
    v->arch.lapic.tpr = (uint32_t)val << 4;
    vmx_skip_instruction(v);
}

static void guest_write_cr0(struct vcpu *v, uint64_t val)
{
    if (!hvm_write_cr0(v, val))
        vmx_skip_instruction(v);
}

static void guest_write_cr4(struct vcpu *v, uint64_t val)
{
    if (val & ~vmx_cfg.cr4_fixed1) {
        hvm_inject_gp(v);           /* a bit this CPU cannot run a guest with */
        return;
    }
    if (!hvm_write_cr4(v, val))
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
    hvm_debug_regs_claim(v);
}

void vmexit_hlt(struct vcpu *v, const struct vmx_exit *e)
{
    hvm_halt(v);
}

void vmexit_vmcall(struct vcpu *v, const struct vmx_exit *e)
{
    hvm_hypercall(v, vmx_guest_cpl());
    vmx_skip_instruction(v);
}

void vmexit_xsetbv(struct vcpu *v, const struct vmx_exit *e)
{
    if (hvm_xsetbv(v))
        vmx_skip_instruction(v);
}

/* RDPMC: no PMU in the policy (CPUID leaf 0AH reads 0): every counter index #GPs. */
void vmexit_rdpmc(struct vcpu *v, const struct vmx_exit *e)
{
    hvm_inject_gp(v);
}

void vmexit_wbinvd(struct vcpu *v, const struct vmx_exit *e)
{
    /* EPT maps guest RAM write-back and coherent: nothing to flush for the guest. */
    vmx_skip_instruction(v);
}

/* A PAUSE loop (PAUSE-loop exiting): the vCPU likely waits for one that is not running. */
void vmexit_pause(struct vcpu *v, const struct vmx_exit *e)
{
    vcpu_yield(v);
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
    hvm_start_ap(v, (uint8_t)vmcs_readl(EXIT_QUALIFICATION));
}

void vmexit_external_interrupt(struct vcpu *v, const struct vmx_exit *e)
{
    uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);

    /* Acknowledged on exit (EXIT_ACK_INTERRUPT_ON_EXIT): the host's, not the guest's. */
    irq_dispatch(info & INTR_INFO_VECTOR_MASK);
    /* An NMI IPI comes with a kick: deliver it even to a vCPU whose LAPIC is off. */
    if (__atomic_load_n(&v->arch.nmi_pending, __ATOMIC_ACQUIRE))
        hvm_deliver_events(v);
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
    if (vec == 6) {
        hvm_ud(v);
        return;
    }
    domain_crash(v->domain, "unexpected exception exit, vector %u", vec);
}

void vmexit_vmx_instruction(struct vcpu *v, const struct vmx_exit *e)
{
    hvm_inject_ud(v);           /* no nested VMX: as on a CPU without it */
}

void vmexit_preemption_timer(struct vcpu *v, const struct vmx_exit *e)
{
    /* A guest timer deadline came: hvm_deliver_events() fires it on the way back in. */
}

/* 29.3.3.2, table 28-7. */
void vmexit_ept_violation(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t q = vmcs_readl(EXIT_QUALIFICATION);

    hvm_p2m_fault(v, vmcs_read64(GUEST_PHYSICAL_ADDRESS), (q & EPT_QUAL_WRITE) != 0, (q & EPT_QUAL_FETCH) != 0,
                  (q & EPT_QUAL_READABLE) != 0, (q & EPT_QUAL_WRITABLE) != 0);
}

void vmexit_ept_misconfig(struct vcpu *v, const struct vmx_exit *e)
{
    /* Keel never builds one (ept.c refuses them): this is a hypervisor bug, contained. */
    domain_crash(v->domain, "EPT misconfiguration at guest-physical %#lx",
                 (unsigned long)vmcs_read64(GUEST_PHYSICAL_ADDRESS));
    vmcs_dump();
}

/*
 * The VMX run loop: enter the guest (vmentry.S), dispatch each exit by its
 * basic reason (SDM Vol. 3C ch. 28, appendix C), re-inject an event the
 * exit cut short (28.2.4), flush stale EPT translations before entry, and
 * leave the CPU when the scheduler says so.
 */
#include <asm/hvm.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include "vmx_internal.h"

/* Indexed by basic exit reason (appendix C); a hole is an unexpected exit. */
static const vmx_exit_handler exit_handlers[EXIT_REASON_MAX] = {
    [EXIT_REASON_EXCEPTION_NMI] = vmexit_exception_nmi,
    [EXIT_REASON_EXTERNAL_INTERRUPT] = vmexit_external_interrupt,
    [EXIT_REASON_TRIPLE_FAULT] = vmexit_triple_fault,
    [EXIT_REASON_INIT_SIGNAL] = vmexit_init,
    [EXIT_REASON_SIPI] = vmexit_sipi,
    [EXIT_REASON_INTERRUPT_WINDOW] = vmexit_interrupt_window,
    [EXIT_REASON_NMI_WINDOW] = vmexit_nmi_window,
    [EXIT_REASON_CPUID] = vmexit_cpuid,
    [EXIT_REASON_HLT] = vmexit_hlt,
    [EXIT_REASON_INVD] = vmexit_wbinvd,
    [EXIT_REASON_VMCALL] = vmexit_vmcall,
    [EXIT_REASON_VMCLEAR] = vmexit_vmx_instruction,
    [EXIT_REASON_VMLAUNCH] = vmexit_vmx_instruction,
    [EXIT_REASON_VMPTRLD] = vmexit_vmx_instruction,
    [EXIT_REASON_VMPTRST] = vmexit_vmx_instruction,
    [EXIT_REASON_VMREAD] = vmexit_vmx_instruction,
    [EXIT_REASON_VMRESUME] = vmexit_vmx_instruction,
    [EXIT_REASON_VMWRITE] = vmexit_vmx_instruction,
    [EXIT_REASON_VMOFF] = vmexit_vmx_instruction,
    [EXIT_REASON_VMON] = vmexit_vmx_instruction,
    [EXIT_REASON_INVEPT] = vmexit_vmx_instruction,
    [EXIT_REASON_INVVPID] = vmexit_vmx_instruction,
    [EXIT_REASON_CR_ACCESS] = vmexit_cr_access,
    [EXIT_REASON_DR_ACCESS] = vmexit_dr_access,
    [EXIT_REASON_RDPMC] = vmexit_rdpmc,
    [EXIT_REASON_IO_INSTRUCTION] = vmexit_io,
    [EXIT_REASON_MSR_READ] = vmexit_msr_read,
    [EXIT_REASON_MSR_WRITE] = vmexit_msr_write,
    [EXIT_REASON_EPT_VIOLATION] = vmexit_ept_violation,
    [EXIT_REASON_EPT_MISCONFIG] = vmexit_ept_misconfig,
    [EXIT_REASON_PREEMPTION_TIMER] = vmexit_preemption_timer,
    [EXIT_REASON_WBINVD] = vmexit_wbinvd,
    [EXIT_REASON_PAUSE_INSTRUCTION] = vmexit_pause,
    [EXIT_REASON_XSETBV] = vmexit_xsetbv,
};

static void entry_failed(struct vcpu *v, int vmfail)
{
    if (vmfail)
        domain_crash(v->domain, "VM entry failed: VM-instruction error %u",
                     vmcs_read32(VM_INSTRUCTION_ERROR));
    else
        domain_crash(v->domain, "VM entry failed: invalid guest state (exit reason %#x, qualification %lu)",
                     vmcs_read32(VM_EXIT_REASON), (unsigned long)vmcs_readl(EXIT_QUALIFICATION));
    vmcs_dump();
}

/* Exit reasons that can interrupt the delivery of an event (28.2.4). */
#define DURING_DELIVERY ((1ull << EXIT_REASON_EXCEPTION_NMI) | (1ull << EXIT_REASON_TRIPLE_FAULT) | \
                         (1ull << EXIT_REASON_TASK_SWITCH) | (1ull << EXIT_REASON_APIC_ACCESS) | \
                         (1ull << EXIT_REASON_EPT_VIOLATION) | (1ull << EXIT_REASON_EPT_MISCONFIG) | \
                         (1ull << EXIT_REASON_PML_FULL))

/* Put a queued event into the VMCS for the next entry (SDM 26.6). */
static inline void prepare_entry(struct vcpu *v)
{
    struct domain *d = v->domain;
    uint64_t gen;

    __atomic_store_n(&v->arch.in_guest, 1, __ATOMIC_SEQ_CST);
    gen = __atomic_load_n(&d->arch.p2m_gen, __ATOMIC_SEQ_CST);
    if (__builtin_expect(gen != v->arch.p2m_gen_seen, 0)) {
        vmx_flush_ept(d);
        __atomic_store_n(&v->arch.p2m_gen_seen, gen, __ATOMIC_SEQ_CST);
    }
    if (v->arch.pending_event) {
        /* hvm.h's EVENT_* encoding is VM entry's interruption information (24.8.3). */
        vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->arch.pending_event);
        if (v->arch.pending_event & INTR_INFO_DELIVER_CODE)
            vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, v->arch.pending_error);
        vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
        v->arch.pending_event = 0;
    }
}

/* Every exit but the two hottest: a failed entry, an interrupted event, the table. */
static __attribute__((noinline)) int exit_other(struct vcpu *v, struct vmx_exit *e)
{
    struct domain *d = v->domain;
    uint32_t idt;

    if (__builtin_expect(e->reason.failed_vmentry, 0)) {
        entry_failed(v, 0);
        return 1;
    }
    /*
     * 28.2.4: an event whose delivery was cut short by this exit is delivered
     * again. Only exits that can happen during event delivery carry one.
     */
    idt = e->reason.basic < 64 && ((1ull << e->reason.basic) & DURING_DELIVERY) ?
          vmcs_read32(IDT_VECTORING_INFO_FIELD) : 0;
    if (idt & INTR_INFO_VALID) {
        v->arch.pending_event = idt & ~INTR_INFO_NMI_UNBLOCK_IRET;
        if (idt & INTR_INFO_DELIVER_CODE)
            v->arch.pending_error = vmcs_read32(IDT_VECTORING_ERROR_CODE);
    }
    if (__builtin_expect(e->reason.basic < EXIT_REASON_MAX && exit_handlers[e->reason.basic] != NULL, 1)) {
        exit_handlers[e->reason.basic](v, e);
    } else {
        domain_crash(d, "unexpected VM exit, reason %u", e->reason.basic);
        vmcs_dump();
    }
    return 0;
}

/* After each VM exit (called by vmentry.S): 0 to enter the guest again. */
int vmx_exit_dispatch(struct vcpu *v)
{
    struct vmx_exit e;

    __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
    v->arch.exits++;
    e.reason.full = vmcs_read32(VM_EXIT_REASON);
    /* CPUID and VMCALL exits are never a failed entry and interrupt no event delivery (28.2.4). */
    if (__builtin_expect(e.reason.full == EXIT_REASON_CPUID, 1))
        vmx_cpuid_exit(v);
    else if (e.reason.full == EXIT_REASON_VMCALL)
        vmexit_vmcall(v, &e);
    else if (exit_other(v, &e))
        return 1;
    if (sched_should_leave(v))
        return 1;
    /* Only a guest using its LAPIC (or with the preemption timer on) has events to deliver. */
    if (hvm_events_possible(v))
        hvm_deliver_events(v);
    prepare_entry(v);
    return 0;
}

/* Run @v here until the scheduler wants the CPU back (sched_should_leave()). */
void vmx_vcpu_run(struct vcpu *v)
{
    if (vmx_vmcs_load(v)) {
        domain_crash(v->domain, "cannot load the VMCS of vCPU%u", v->id);
        return;
    }
    hvm_state_switch_to(v);
    if (v->arch.sipi_vector >= 0) {
        hvm_start_ap(v, (uint8_t)v->arch.sipi_vector);
        v->arch.sipi_vector = -1;
    }
    hvm_deliver_events(v);
    prepare_entry(v);
    if (vmx_run(&v->arch.regs, v)) {
        __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
        entry_failed(v, 1);
    }
}

/* On @v's CPU, @v not running: its state to memory, its VMCS cleared, so any CPU may take it. */
void vmx_vcpu_unload(struct vcpu *v)
{
    struct percpu *pc = this_cpu();

    if (v->arch.loaded_cpu != (int)pc->cpu_id)
        return;
    vmclear(v->arch.vmcs);
    if (pc->arch.cur_vmcs == v->arch.vmcs)
        pc->arch.cur_vmcs = 0;
    v->arch.loaded_cpu = -1;
    v->arch.regs.launched = 0;
}

int vmx_vcpu_loaded(const struct vcpu *v)
{
    return v->arch.loaded_cpu >= 0;
}

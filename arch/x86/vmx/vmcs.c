/*
 * VMCS helpers outside the hot path: failure reports and the state dump
 * that precedes crashing a guest.
 */
#include <asm/vmx.h>
#include <asm/vmx_ops.h>
#include <keel/lib.h>
#include <keel/log.h>
#include "vmx_internal.h"

void vmcs_access_failed(const char *op, uint32_t field, int rc)
{
    uint64_t err = 0;
    int no_vmcs = __vmread(VM_INSTRUCTION_ERROR, &err) == -1;

    (void)rc;
    /* A VMCS field Keel uses is missing or no VMCS is current: a hypervisor bug. */
    panic("%s of VMCS field %#x failed (%s, VM-instruction error %lu)", op, field,
          no_vmcs ? "no current VMCS" : "VMfailValid", (unsigned long)err);
}

/* VMREAD that tolerates a field this CPU lacks (a dump must not panic). */
static uint64_t rd(uint32_t field)
{
    uint64_t v = 0;
    if (__vmread(field, &v))
        return 0xdeadbeefdeadbeefull;
    return v;
}

void vmcs_dump(void)
{
    static const struct { uint32_t f; const char *n; } fields[] = {
        { VM_EXIT_REASON, "exit reason" }, { EXIT_QUALIFICATION, "qualification" },
        { VM_INSTRUCTION_ERROR, "instruction error" }, { GUEST_PHYSICAL_ADDRESS, "guest phys" },
        { GUEST_LINEAR_ADDRESS, "guest linear" }, { VM_EXIT_INTR_INFO, "exit intr info" },
        { VM_EXIT_INTR_ERROR_CODE, "exit intr error" }, { IDT_VECTORING_INFO_FIELD, "idt vectoring" },
        { VM_EXIT_INSTRUCTION_LEN, "instruction len" }, { GUEST_RIP, "RIP" }, { GUEST_RSP, "RSP" },
        { GUEST_RFLAGS, "RFLAGS" }, { GUEST_CR0, "CR0" }, { GUEST_CR3, "CR3" }, { GUEST_CR4, "CR4" },
        { GUEST_IA32_EFER, "EFER" }, { GUEST_CS_SELECTOR, "CS" }, { GUEST_CS_BASE, "CS base" },
        { GUEST_CS_AR_BYTES, "CS AR" }, { GUEST_SS_AR_BYTES, "SS AR" }, { GUEST_TR_AR_BYTES, "TR AR" },
        { GUEST_INTERRUPTIBILITY_INFO, "interruptibility" }, { GUEST_ACTIVITY_STATE, "activity" },
        { VM_ENTRY_INTR_INFO_FIELD, "entry intr info" }, { PIN_BASED_VM_EXEC_CONTROL, "pin ctls" },
        { CPU_BASED_VM_EXEC_CONTROL, "proc ctls" }, { SECONDARY_VM_EXEC_CONTROL, "proc2 ctls" },
        { VM_ENTRY_CONTROLS, "entry ctls" }, { VM_EXIT_CONTROLS, "exit ctls" },
        { EPT_POINTER, "EPTP" },
    };

    pr_err("VMCS dump:\n");
    for (size_t i = 0; i < ARRAY_SIZE(fields); i += 2) {
        if (i + 1 < ARRAY_SIZE(fields))
            pr_err("  %-18s %#018lx   %-18s %#018lx\n", fields[i].n, (unsigned long)rd(fields[i].f),
                   fields[i + 1].n, (unsigned long)rd(fields[i + 1].f));
        else
            pr_err("  %-18s %#018lx\n", fields[i].n, (unsigned long)rd(fields[i].f));
    }
}

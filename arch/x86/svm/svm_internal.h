/* Shared between the files of arch/x86/svm only. */
#ifndef SVM_INTERNAL_H
#define SVM_INTERNAL_H
#include <stdint.h>
#include <asm/hvm.h>
#include <asm/svm.h>
#include <keel/domain.h>

extern struct svm_caps svm_caps;

static inline int svm_has(uint32_t feature) { return (svm_caps.features & feature) != 0; }

/* The VMCB fields changed since the last VMRUN: clear their clean bits (15.15.3). */
static inline void svm_dirty(struct vcpu *v, uint32_t bits) { v->arch.vmcb->c.clean &= ~bits; }

/* The exiting instruction's end, from next-RIP save or decoded (svm_exit.c): 0 if unknown. */
uint64_t svm_next_rip(struct vcpu *v);
/* Done: RIP past it, the interrupt shadow gone, TF's #DB queued (@trap). */
void svm_complete(struct vcpu *v, uint64_t next_rip, int trap);
static inline void svm_skip_instruction(struct vcpu *v)
{
    struct vmcb *b = v->arch.vmcb;
    uint64_t next;

    /* The hot path (CPUID, VMMCALL): next-RIP save and no single step, done here. */
    if (__builtin_expect(svm_has(SVM_FEAT_NRIPS) && !(b->s.rflags & RFLAGS_TF), 1)) {
        b->s.rip = b->c.next_rip;
        b->c.int_state &= ~1u;          /* the interrupt shadow ends with the instruction */
        return;
    }
    next = svm_next_rip(v);
    if (next)
        svm_complete(v, next, 1);
}

/* Log the VMCB state that explains a failure. */
void svm_dump(struct vcpu *v);
/* Handle the exit in the VMCB (svm_exit.c). */
void svm_handle_exit(struct vcpu *v);
/* CR4 bits this CPU can run a guest with. */
extern uint64_t svm_cr4_ok;

/* vmrun.S, and the C half of its loop (svm.c). */
int svm_run(struct guest_regs *regs, struct vcpu *v, uint64_t host_save_pa);
int svm_exit_dispatch(struct vcpu *v);
#endif

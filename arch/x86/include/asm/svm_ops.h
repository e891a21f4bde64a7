/*
 * SVM instructions (APM Vol. 3, ch. 4) as inline helpers: with cpu_ops.h
 * and vmx_ops.h, the headers that hold inline assembly. VMRUN itself is in
 * svm/vmrun.S.
 */
#ifndef ASM_SVM_OPS_H
#define ASM_SVM_OPS_H
#include <stdint.h>

static inline void svm_vmsave(uint64_t vmcb_pa) { __asm__ volatile("vmsave %%rax" :: "a"(vmcb_pa) : "memory"); }
static inline void svm_vmload(uint64_t vmcb_pa) { __asm__ volatile("vmload %%rax" :: "a"(vmcb_pa) : "memory"); }
static inline void svm_stgi(void) { __asm__ volatile("stgi" ::: "memory"); }
static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
/* Take a host interrupt that arrived in guest mode (#VMEXIT(INTR): it is still pending). */
static inline void svm_take_interrupt(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }
#endif

/* Per-CPU architectural state: descriptor tables and stacks (arch/x86/cpu/cpu.c). */
#ifndef ASM_CPU_ARCH_H
#define ASM_CPU_ARCH_H
#include <stdint.h>
#include <asm/desc.h>
#include <asm/svm.h>

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS layout (SDM Vol. 3A, 8.7)");

struct vcpu;

struct cpu_arch {
    uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
    struct tss64 tss __attribute__((aligned(16)));
    uint64_t cur_vmcs;              /* VMX: this CPU's current VMCS (VMPTRLD), 0 if none */
    uint64_t host_save_pa;          /* SVM: VMSAVE area of the host's FS, GS, TR, LDTR and syscall MSRs */
    uint64_t hsave_pa;              /* SVM: VM_HSAVE_PA, where VMRUN keeps the rest of the host's state */
    struct svm_asid_cpu asid;       /* SVM: this CPU's ASIDs */
    struct vcpu *state_owner;       /* whose FPU/XSAVE state and syscall MSRs are loaded */
    uint32_t last_domid;            /* the domain whose vCPU ran here last (predictor barrier) */
    int dr_dirty;                   /* DR0-3/DR6 hold a vCPU's values (one with dr_live) */
};
#endif

/* Per-CPU architectural state: descriptor tables and stacks (arch/x86/cpu.c). */
#ifndef ASM_CPU_ARCH_H
#define ASM_CPU_ARCH_H
#include <stdint.h>
#include <asm/desc.h>

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
    uint64_t cur_vmcs;              /* this CPU's current VMCS (VMPTRLD), 0 if none */
    struct vcpu *state_owner;       /* whose FPU/XSAVE state and syscall MSRs are loaded */
    uint32_t last_domid;            /* the domain whose vCPU ran here last (predictor barrier) */
    int dr_dirty;                   /* DR0-3/DR6 hold a vCPU's values (one with dr_live) */
};
#endif

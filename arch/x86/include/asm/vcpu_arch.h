/* x86/VMX part of struct vcpu and struct domain (embedded by hv/). */
#ifndef ASM_VCPU_ARCH_H
#define ASM_VCPU_ARCH_H
#include <stdint.h>
#include <asm/cpuid_policy.h>
#include <asm/ept.h>
#include <asm/vlapic.h>

/* Guest GPRs saved by arch/x86/vmx/vmentry.S; RSP and RIP live in the VMCS. */
struct guest_regs {
    uint64_t rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t cr2;
    uint64_t launched;              /* VMLAUNCH done since the last VMCLEAR (set by vmentry.S) */
};

struct vcpu_arch {
    struct guest_regs regs;         /* first: vmentry.S addresses it at offset 0 */
    uint64_t vmcs;                  /* physical address of this vCPU's VMCS */
    int loaded_cpu;                 /* pCPU whose current VMCS this is, or -1 */
    uint16_t vpid;
    uint32_t pending_event;         /* VM_ENTRY_INTR_INFO to inject, 0 if none */
    uint32_t pending_error;
    uint64_t exits;                 /* VM exits taken */
    volatile int in_guest;          /* from just before VM entry to the exit (arch_domain_flush_tlbs) */
    uint64_t ept_gen_seen;          /* the domain's ept_gen this vCPU last flushed for */
    uint64_t ept_wp_faults;         /* write-protect faults resolved (dirty tracking) */
    struct cpuid_table cpuid;       /* this vCPU's CPUID answers */
    struct vlapic lapic;
    uint64_t apic_base;             /* IA32_APIC_BASE */
    volatile int wait_sipi;         /* after INIT: parked until a STARTUP IPI */
    int nmi_pending;                /* an NMI IPI waits for delivery */
    volatile int sipi_vector;       /* -1: none received */
    volatile int pcpu;              /* physical CPU running it, -1 if none */
    int ptimer_on;                  /* preemption timer enabled in the VMCS */
    uint64_t pat;                   /* IA32_PAT when the CPU cannot switch it on entry */
    uint64_t mtrr_def_type;         /* IA32_MTRR_DEF_TYPE as the guest set it */
    int halt_nmi_only;              /* blocked in HLT with IF=0: only an NMI wakes it */
    int halt_step;                  /* HLT single-stepped: its #DB comes when the vCPU wakes */
    /* Guest state the VMCS does not switch, kept here while another vCPU has the CPU. */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
    uint64_t xcr0, xss;
    /* DR0-3 and DR6 (DR7 and DEBUGCTL are in the VMCS): in the CPU while dr_live and this
     * vCPU owns the CPU's state; until its first MOV DR the vCPU exits on every one. */
    uint64_t dr[4], dr6;
    int dr_live;
    uint64_t misc_enable;           /* IA32_MISC_ENABLE as the guest set it */
    uint64_t tsc_offset;            /* guest TSC - host TSC (VMCS TSC_OFFSET; WRMSR to IA32_TSC) */
    int xsave_valid;                /* xsave_area holds saved state (else: initial state) */
    uint8_t *xsave_area;            /* 64-byte aligned, vmx_cfg.xsave_size bytes */
};

struct domain;

struct domain_arch {
    struct ept ept;                 /* second-level tables (ept.root: the PML4) */
    uint64_t eptp;
    uint8_t *io_bitmap;             /* 2 pages: ports 0-0x7fff, 0x8000-0xffff */
    uint8_t *msr_bitmap;            /* 1 page */
    struct { uint64_t gpa, end; } wp[8];   /* write-protected for dirty logging (test hypercall) */
    /* A domain with a virtual I/O APIC: EOIs of level-triggered vectors go to it. */
    void (*level_eoi)(struct domain *d, unsigned vector);
    uint64_t ept_gen;               /* bumped when translations must go: vCPUs INVEPT before entry */
};
#endif

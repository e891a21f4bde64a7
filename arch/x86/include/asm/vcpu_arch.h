/* x86 part of struct vcpu and struct domain (embedded by hv/): shared, then each vendor's. */
#ifndef ASM_VCPU_ARCH_H
#define ASM_VCPU_ARCH_H
#include <stdint.h>
#include <asm/cpuid_policy.h>
#include <asm/ept.h>
#include <asm/npt.h>
#include <asm/vlapic.h>
#include <keel/spinlock.h>

/*
 * Guest GPRs saved by vmx/vmentry.S or svm/vmrun.S; RSP and RIP live in the
 * VMCS or VMCB. SVM's VMCB holds RAX too: vmrun.S copies it here and back,
 * so handlers of both vendors read RAX here.
 */
struct guest_regs {
    uint64_t rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t cr2;
    uint64_t launched;              /* VMX: VMLAUNCH done since the last VMCLEAR (set by vmentry.S) */
    uint64_t vmcb_pa;               /* SVM: the VMCB, for vmrun.S */
};

struct vmcb;

struct vcpu_arch {
    struct guest_regs regs;         /* first: vmentry.S and vmrun.S address it at offset 0 */
    /* VMX */
    uint64_t vmcs;                  /* physical address of this vCPU's VMCS */
    uint16_t vpid;
    /* SVM */
    struct vmcb *vmcb;
    uint64_t vmcb_pa;
    uint32_t asid;                  /* this CPU's ASID for the vCPU, valid while asid_gen is the CPU's */
    uint64_t asid_gen;
    uint32_t insn_len;              /* SVM without next-RIP save: the decoded length, 0 unknown */
    /* both */
    int loaded_cpu;                 /* pCPU whose current VMCS this is (SVM: where it last ran), or -1 */
    uint32_t pending_event;         /* event to inject (hvm.h EVENT_*), 0 if none */
    uint32_t pending_error;
    uint64_t exits;                 /* VM exits taken */
    volatile int in_guest;          /* from just before VM entry to the exit (arch_domain_flush_tlbs) */
    uint64_t p2m_gen_seen;          /* the domain's p2m_gen this vCPU last flushed for */
    uint64_t wp_faults;             /* write-protect faults resolved (dirty tracking) */
    struct cpuid_table cpuid;       /* this vCPU's CPUID answers */
    struct vlapic lapic;
    uint64_t apic_base;             /* IA32_APIC_BASE */
    volatile int wait_sipi;         /* after INIT: parked until a STARTUP IPI */
    int nmi_pending;                /* an NMI IPI waits for delivery */
    int nmi_blocked;                /* SVM: an injected NMI's handler runs (until its IRET) */
    volatile int sipi_vector;       /* -1: none received */
    volatile int pcpu;              /* physical CPU running it, -1 if none */
    int timer_on;                   /* a deadline bounds the guest's run (VMX preemption timer, SVM host LAPIC) */
    uint64_t pat;                   /* IA32_PAT when the CPU cannot switch it on entry (VMX) */
    uint64_t mtrr_def_type;         /* IA32_MTRR_DEF_TYPE as the guest set it */
    int halt_nmi_only;              /* blocked in HLT with IF=0: only an NMI wakes it */
    int halt_step;                  /* HLT single-stepped: its #DB comes when the vCPU wakes */
    /* Guest state the VMCS does not switch, kept here while another vCPU has the CPU. */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
    uint64_t xcr0, xss;
    /* DR0-3 and DR6 (DR7 and DEBUGCTL are in the VMCS; DR6 too in the VMCB): in the CPU while dr_live and this
     * vCPU owns the CPU's state; until its first MOV DR the vCPU exits on every one. */
    uint64_t dr[4], dr6;
    int dr_live;
    uint64_t misc_enable;           /* IA32_MISC_ENABLE as the guest set it */
    uint64_t amd_hwcr, amd_de_cfg;  /* AMD's HWCR and DE_CFG as the guest set them (not applied) */
    uint64_t tsc_offset;            /* guest TSC - host TSC (VMCS/VMCB TSC offset; WRMSR to IA32_TSC) */
    int xsave_valid;                /* xsave_area holds saved state (else: initial state) */
    uint8_t *xsave_area;            /* 64-byte aligned (virt/state.c) */
};

struct domain;

struct domain_arch {
    union {                         /* second-level tables (root: the PML4) */
        struct { struct ept ept; uint64_t eptp; };     /* VMX */
        struct npt npt;                                 /* SVM */
    };
    uint8_t *io_bitmap;             /* a bit per port (VMX: 2 pages; SVM: 3, 15.10.1) */
    uint8_t *msr_bitmap;            /* VMX: 1 page; SVM: 2 (15.11) */
    struct { uint64_t gpa, end; } wp[8];   /* write-protected for dirty logging (test hypercall) */
    /* A domain with a virtual I/O APIC: EOIs of level-triggered vectors go to it. */
    void (*level_eoi)(struct domain *d, unsigned vector);
    uint64_t p2m_gen;               /* bumped when translations must go: vCPUs flush before entry */
};
#endif

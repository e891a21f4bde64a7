/*
 * One vendor backend (arch/x86/vmx or arch/x86/svm) behind one ops table,
 * chosen once at boot from CPUID. Everything that handles a guest's
 * CPUID, MSR, I/O, CR, XSETBV, HLT and MMIO exits, its events, its LAPIC
 * and its lazily switched state (arch/x86/virt/) reaches the VMCS or VMCB
 * only through these accessors, as Jailhouse's vcpu.c does.
 */
#ifndef ASM_HVM_H
#define ASM_HVM_H
#include <stdint.h>
#include <asm/cpu_ops.h>
#include <asm/cpuid_policy.h>
#include <asm/vcpu_arch.h>
#include <keel/domain.h>
#include <keel/hypercall.h>
#include <public/keel.h>

struct domain;
struct vcpu;
struct cpuid_out;
struct hvm_insn_state;

/* Registers of the vCPU whose VMCS/VMCB is current here (running, or borrowed). */
enum hvm_reg {
    HVM_RSP, HVM_RIP, HVM_RFLAGS,
    HVM_CR0,                /* the guest's view (VMX: register and read shadow merged) */
    HVM_CR3,
    HVM_CR4,                /* the guest's view */
    HVM_CR2,
    HVM_EFER,               /* a write also sets the entry mode from EFER.LMA */
    HVM_ES_BASE, HVM_CS_BASE, HVM_SS_BASE, HVM_DS_BASE, HVM_FS_BASE, HVM_GS_BASE,
    HVM_ES_SEL, HVM_CS_SEL, HVM_SS_SEL, HVM_DS_SEL, HVM_FS_SEL, HVM_GS_SEL,
    HVM_CS_AR,              /* VMX access-rights layout: L is bit 13, D/B bit 14 */
    HVM_CPL,
    HVM_SYSENTER_CS, HVM_SYSENTER_ESP, HVM_SYSENTER_EIP,
    HVM_PAT,
    HVM_DR6, HVM_DR7, HVM_DEBUGCTL,
    HVM_TSC_OFFSET,
    HVM_NR_REGS
};

/* hvm_vendor.intr_blocked(): what holds an event back now. */
#define HVM_BLOCK_SHADOW    1u      /* STI or MOV SS interrupt shadow */
#define HVM_BLOCK_NMI       2u      /* an NMI handler runs (until IRET) */
#define HVM_BLOCK_IF        4u      /* RFLAGS.IF is clear */

/* A segment register as an entry state loads it; ar: SEG_AR_* (VMX's layout). */
struct hvm_seg {
    uint16_t sel;
    uint32_t ar, limit;
    uint64_t base;
};

/*
 * The architectural state of a vCPU at an entry point: a boot protocol's
 * (multiboot, Linux 64-bit) or a SIPI's. Built once here for both vendors
 * (virt/hvm.c), loaded by each into its VMCS or VMCB (load_entry).
 */
struct hvm_entry_state {
    struct hvm_seg cs, data, tr, ldtr;  /* data: DS, ES, SS, FS and GS alike */
    uint64_t gdt_base, idt_base;
    uint32_t gdt_limit, idt_limit;
    uint64_t cr0, cr3, cr4, efer, rflags, rip, rsp;
    /*
     * reset: the rest as after RESET too: the GPRs (but rax, rbx, rsi
     * below), PAT, the MTRR default, SYSENTER, DR0-7 and DEBUGCTL, no
     * interrupt shadow. Otherwise (a SIPI) the rest is what INIT left.
     */
    int reset;
    uint64_t rax, rbx, rsi;
};

struct hvm_vendor {
    const char *name;
    int vmmcall;                    /* the native hypercall instruction is VMMCALL (else VMCALL) */
    /* Enable on this CPU: 0, or -ENODEV with the reason logged. */
    int (*cpu_init)(int bsp);
    /* Guest-visible facts the CPUID policy needs (set by cpu_init on the boot CPU). */
    int has_xsaves, has_rdtscp, has_invpcid;
    /* Entry and exit switch CR2 and STAR/LSTAR/CSTAR/SFMASK/KERNEL_GS_BASE (SVM: VMRUN, VMLOAD/VMSAVE): virt/state.c leaves them. */
    int switches_syscall_msrs;

    int (*domain_init)(struct domain *d);
    void (*domain_destroy)(struct domain *d);
    /* The domain's second-level tables. */
    int (*p2m_map)(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm, unsigned mt);
    int (*p2m_lookup)(struct domain *d, uint64_t gpa, uint64_t *hpa, unsigned *perm, unsigned *mt,
                      unsigned *level);
    int (*p2m_protect)(struct domain *d, uint64_t gpa, uint64_t size, unsigned perm);
    /* Drop @d's cached guest-physical translations on this CPU. */
    void (*p2m_flush_local)(struct domain *d);

    int (*vcpu_init)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    void (*vcpu_run)(struct vcpu *v);
    void (*vcpu_unload)(struct vcpu *v);
    int (*vcpu_loaded)(const struct vcpu *v);
    /* Reach the state of a vCPU on no CPU from here; give it back with the token. */
    uint64_t (*borrow)(struct vcpu *v);
    void (*give_back)(struct vcpu *v, uint64_t token);
    /* Load an entry state (virt/hvm.c builds them) into a borrowed or running vCPU. */
    void (*load_entry)(struct vcpu *v, const struct hvm_entry_state *e);

    uint64_t (*get)(struct vcpu *v, enum hvm_reg r);
    void (*set)(struct vcpu *v, enum hvm_reg r, uint64_t val);
    /* Everything an instruction fetch or the emulator needs, in one call. */
    void (*insn_state)(struct vcpu *v, struct hvm_insn_state *st);
    /* The paging registers a guest page walk needs (the real ones, not a read shadow). */
    void (*paging_state)(struct vcpu *v, uint64_t *cr0, uint64_t *cr3, uint64_t *cr4, uint64_t *efer);
    /* RIP of the instruction after the one that exited, or 0 if it cannot be told (re-run it). */
    uint64_t (*next_rip)(struct vcpu *v);
    /* An emulated instruction is done: RIP, the interrupt shadow, and (@trap) TF's single step. */
    void (*complete)(struct vcpu *v, uint64_t next_rip, int trap);
    unsigned (*intr_blocked)(struct vcpu *v);
    /* Exit as soon as the guest can take an interrupt (@nmi: an NMI). */
    void (*window)(struct vcpu *v, int nmi);
    /* Leave guest mode by TSC @deadline (~0: no deadline). */
    void (*set_timer)(struct vcpu *v, uint64_t deadline);
    /* MOV DR exits on (until the vCPU's first) or off. */
    void (*dr_intercept)(struct vcpu *v, int on);
    /* Log the VMCS/VMCB state that explains a failure. */
    void (*dump)(struct vcpu *v);
    /* keel.dump=vmx: the capabilities, one @@ line each (unit-test fixtures). */
    void (*dump_caps)(void);
};

/* hvm_vendor.insn_state(). */
struct hvm_insn_state {
    uint64_t rip, rsp, rflags, efer;
    uint64_t seg_base[6];           /* ES CS SS DS FS GS (emulate.h's SEG_*) */
    uint32_t cs_ar;                 /* SEG_AR_L, SEG_AR_DB */
    unsigned cpl;
};

extern const struct hvm_vendor *hvm;
extern struct hvm_vendor vmx_vendor, svm_vendor;

static inline uint64_t hvm_get(struct vcpu *v, enum hvm_reg r) { return hvm->get(v, r); }
static inline void hvm_set(struct vcpu *v, enum hvm_reg r, uint64_t val) { hvm->set(v, r, val); }

/* The host's CPUID, as the policy's cpuid_host_fn. */
static inline void cpuid_host(uint32_t leaf, uint32_t sub, struct cpuid_out *out)
{
    struct cpuid_regs h = cpuid_count(leaf, sub);

    *out = (struct cpuid_out){ h.eax, h.ebx, h.ecx, h.edx };
}

/*
 * ---- shared exit handling (arch/x86/virt) ----
 * A handler that returns int returns 1 when the instruction completed and
 * the vendor's decoder is to move RIP past it (its own inline way), 0 when
 * the instruction runs again, a fault was queued or the domain was crashed.
 */

/* Queue an exception for the next entry (merging into #DF as SDM 6.15 says). */
void hvm_inject_exception(struct vcpu *v, unsigned vector, int has_error, uint32_t error);
static inline void hvm_inject_gp(struct vcpu *v) { hvm_inject_exception(v, 13, 1, 0); }
static inline void hvm_inject_ud(struct vcpu *v) { hvm_inject_exception(v, 6, 0, 0); }
/* A #PF's address, for the vCPU running here (its CR2 is live in the CPU). */
void hvm_set_cr2(struct vcpu *v, uint64_t cr2);
/* Linear -> guest-physical with the guest's paging; -EFAULT (#PF code in *pf) or -EIO (crashed). */
int hvm_guest_translate(struct vcpu *v, uint64_t gla, unsigned access, uint64_t *gpa, uint32_t *pf);
/* The same in two steps, for several walks with one reading of the paging registers. */
struct guest_walk;
void hvm_walk_prepare(struct vcpu *v, struct guest_walk *w);
int hvm_walk(struct vcpu *v, const struct guest_walk *w, uint64_t gla, unsigned access, uint64_t *gpa, uint32_t *pf);
/* A second-level table page from the buddy allocator (pt_ctx.alloc_table), and back. */
uint64_t hvm_p2m_alloc_table(void *opaque);
void hvm_p2m_free_table(uint64_t pa);

void hvm_cpuid_init(struct vcpu *v);
/* Up to @len bytes fetched at linear @gla (CPL 3 if @user; @paging 0: paging is off): how many. */
unsigned hvm_fetch(struct vcpu *v, uint64_t gla, int user, int paging, uint8_t *buf, unsigned len);
/* A #UD exit: the other vendor's hypercall instruction is a hypercall; else the guest's #UD. */
void hvm_ud(struct vcpu *v);
/* A CPUID's answer: 32-bit results zero-extend into the 64-bit registers. */
static inline void hvm_cpuid_result(struct vcpu *v, const struct cpuid_out *out)
{
    struct guest_regs *r = &v->arch.regs;

    r->rax = out->eax;
    r->rbx = out->ebx;
    r->rcx = out->ecx;
    r->rdx = out->edx;
}
/* CPUID from RAX/RCX answered into the registers (@cr4: the guest's, for OSXSAVE/OSPKE); always completes. */
void hvm_cpuid(struct vcpu *v, uint64_t cr4);
int hvm_msr_read(struct vcpu *v);
int hvm_msr_write(struct vcpu *v);
/* The hypercall in RAX from CPL @cpl, its result in RAX; always completes (hot: inline). */
static inline void hvm_hypercall(struct vcpu *v, unsigned cpl)
{
    struct guest_regs *r = &v->arch.regs;
    uint64_t args[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };

    /* Hypercalls are for the guest kernel. */
    if (cpl)
        r->rax = (uint64_t)(int64_t)-KEEL_EPERM;
    else
        r->rax = (uint64_t)hypercall_dispatch(v, r->rax, args);
}
int hvm_xsetbv(struct vcpu *v);
void hvm_halt(struct vcpu *v);                  /* HLT exited (RIP at the HLT) */
/* INS/OUTS (@rep: with REP) of @size-byte elements at @gla, @asize-byte addresses. */
int hvm_string_io(struct vcpu *v, uint16_t port, unsigned size, int in, int rep, uint64_t gla, unsigned asize);
/* IN/OUT of @size bytes through the domain's port handlers (hot: inline). */
static inline int hvm_port_io(struct vcpu *v, uint16_t port, unsigned size, int in)
{
    uint64_t mask = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffull;
    uint32_t val = 0;

    if (__builtin_expect(size != 1 && size != 2 && size != 4, 0)) {
        domain_crash(v->domain, "I/O exit with size %u", size);
        return 0;
    }
    if (in) {
        domain_portio(v, port, size, 1, &val);
        /* IN to EAX zero-extends into RAX; AL and AX leave the rest alone. */
        v->arch.regs.rax = size == 4 ? val : (v->arch.regs.rax & ~mask) | (val & mask);
    } else {
        val = (uint32_t)(v->arch.regs.rax & mask);
        domain_portio(v, port, size, 0, &val);
    }
    /* Gone to a device model (keel/dm.h): the IN runs again for its answer (RAX is rewritten then). */
    if (__builtin_expect(v->io.busy, 0)) {
        dm_insn_end(&v->io);
        return !v->io.pending && v->domain->state == DOMAIN_RUNNING;
    }
    return v->domain->state == DOMAIN_RUNNING;
}
/* MOV to CR0/CR4 with their #GP rules (0: done; the caller skips the instruction; else #GP queued). */
int hvm_write_cr0(struct vcpu *v, uint64_t val);
int hvm_write_cr4(struct vcpu *v, uint64_t val);
/* Emulate the instruction at RIP that touched device memory at @gpa. */
void hvm_emulate_mmio(struct vcpu *v, uint64_t gpa);
/* A second-level fault: dirty logging, MMIO, or the guest is crashed. */
void hvm_p2m_fault(struct vcpu *v, uint64_t gpa, int write, int fetch, int readable, int writable);

/* Virtual LAPIC (virt/lapic.c). */
void hvm_lapic_init(struct vcpu *v);
int hvm_lapic_domain_init(struct domain *d);
int hvm_lapic_msr(struct vcpu *v, uint32_t msr, int write, uint64_t *val);
void hvm_deliver_events(struct vcpu *v);
void hvm_vcpu_halt(struct vcpu *v);
static inline int hvm_events_possible(const struct vcpu *v)
{
    return v->arch.lapic.deadline || (v->arch.lapic.svr & SVR_ENABLED) || v->arch.timer_on;
}

/* Debug registers (virt/state.c). */
void hvm_debug_regs_claim(struct vcpu *v);
void hvm_debug_regs_reset(struct vcpu *v);
/* Load a new vCPU's initial state (its VMCS or VMCB current), or an AP's after a SIPI with @vector. */
void hvm_entry_initial(struct vcpu *v);
void hvm_start_ap(struct vcpu *v, uint8_t vector);

/* Guest state outside the VMCS/VMCB, switched between vCPUs on a CPU (virt/state.c). */
void hvm_switch_init(void);
int hvm_vcpu_state_init(struct vcpu *v);
void hvm_vcpu_state_free(struct vcpu *v);
void hvm_state_switch_to(struct vcpu *v);
void hvm_state_release(struct vcpu *v);

/* IA32_MISC_ENABLE (SDM Vol. 4, table 2-2): fast strings, automatic TCC and xTPR
 * disable are the guest's; performance monitoring, BTS and PEBS unavailable are
 * read-only; the rest (EIST, MONITOR, CPUID limit, XD disable) are not offered: #GP. */
#define MISC_ENABLE_RW      ((1ull << 0) | (1ull << 3) | (1ull << 23))
#define MISC_ENABLE_RO      ((1ull << 7) | (1ull << 11) | (1ull << 12))
#define MISC_ENABLE_RESET   ((1ull << 0) | (1ull << 11) | (1ull << 12))

#define RFLAGS_TF           (1u << 8)
#define RFLAGS_IF           (1u << 9)
#define RFLAGS_DF           (1u << 10)
#define DR6_BS              (1u << 14)          /* DR6: a single step caused the #DB */
#define DR6_RESET           0xffff0ff0ull

/* Event encoding shared by VMX's VM-entry interruption information (24.8.3) and SVM's EVENTINJ (APM 15.20). */
#define EVENT_VALID         (1u << 31)
#define EVENT_HAS_ERROR     (1u << 11)
#define EVENT_TYPE_MASK     (7u << 8)
#define EVENT_TYPE_EXTINT   (0u << 8)
#define EVENT_TYPE_NMI      (2u << 8)
#define EVENT_TYPE_EXCEPTION (3u << 8)
#define EVENT_TYPE_SOFTINT  (4u << 8)
#define EVENT_VECTOR_MASK   0xffu
#endif

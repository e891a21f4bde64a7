/*
 * AMD SVM (APM Vol. 2, ch. 15): per-CPU enablement (15.4, 15.30), a VMCB
 * per vCPU (appendix B) checked before its first VMRUN (15.5.1), nested
 * paging (15.25), ASIDs (15.16), event injection (15.20), the run loop and
 * the accessors of asm/hvm.h. Exits are decoded in svm_exit.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/cpu_policy.h>
#include <asm/lapic.h>
#include <asm/npt.h>
#include <asm/processor.h>
#include <asm/svm_ops.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/console.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include "svm_internal.h"

_Static_assert(offsetof(struct guest_regs, vmcb_pa) == 144, "vmrun.S: GR_VMCB");

struct svm_caps svm_caps;
uint64_t svm_cr4_ok;
static uint32_t intercepts[SVM_ICPT_WORDS];

#define IOPM_ORDER      2           /* 12 KiB used (15.10.1) */
#define MSRPM_ORDER     1           /* 8 KiB (15.11) */

/* keel.dump=vmx on AMD: the CPUID leaves svm_caps.c reads (tests/unit/fixtures/svm-*.txt). */
static void svm_dump_caps(void)
{
    static const uint32_t leaves[] = { 1, 7, 0x80000000, 0x80000001, 0x80000008, 0x8000000a };
    char line[96];

    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        struct cpuid_regs r = cpuid_count(leaves[i], 0);
        int n = snprintf(line, sizeof(line), "@@CPUID %#x 0 %#x %#x %#x %#x\n", leaves[i], r.eax, r.ebx, r.ecx, r.edx);
        console_write(line, (size_t)n);
    }
}

static int svm_cpu_init(int bsp)
{
    struct percpu *pc = this_cpu();
    struct svm_caps mine;
    uint64_t vm_cr = rdmsr(MSR_VM_CR), hsave, host;

    svm_caps_read(&mine, cpuid_host);
    /* 15.30.1: SVMDIS set (and locked by the firmware) forbids EFER.SVME. */
    if (vm_cr & VM_CR_SVMDIS) {
        if (bsp)
            pr_warn("SVM: disabled by the firmware (VM_CR %#lx%s): no guests can run\n", (unsigned long)vm_cr,
                    vm_cr & VM_CR_LOCK ? ", locked" : "");
        return -ENODEV;
    }
    if (bsp) {
        if (!(mine.features & SVM_FEAT_NPT)) {
            pr_warn("SVM: unusable: no nested paging (CPUID 8000000AH:EDX %#x): no guests can run\n",
                    mine.features);
            return -ENODEV;
        }
        if (mine.nasids < 2) {
            pr_warn("SVM: unusable: %u ASIDs: no guests can run\n", mine.nasids);
            return -ENODEV;
        }
        svm_caps = mine;
        svm_cr4_ok = svm_cr4_supported(cpuid_host);
    } else if (mine.features != svm_caps.features || mine.nasids != svm_caps.nasids) {
        pr_warn("CPU%u: SVM capabilities differ from the boot CPU's: SVM off here\n", pc->cpu_id);
        return -ENODEV;
    }
    hsave = alloc_pages(0);
    host = alloc_pages(0);
    if (!hsave || !host)
        return -ENOMEM;
    memset(phys_to_virt(hsave), 0, PAGE_SIZE);
    memset(phys_to_virt(host), 0, PAGE_SIZE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, hsave);
    svm_vmsave(host);               /* the host's FS, GS (this CPU's percpu), TR, LDTR, syscall MSRs */
    pc->arch.hsave_pa = hsave;
    pc->arch.host_save_pa = host;
    pc->arch.asid = (struct svm_asid_cpu){ .gen = 1, .next = 1, .max = svm_caps.nasids };
    if (bsp) {
        struct svm_policy_in pol;
        svm_policy_read(&pol, cpuid_host);
        svm_intercepts(&svm_caps, &pol, intercepts);
        svm_vendor.has_rdtscp = pol.rdtscp;
        svm_vendor.has_invpcid = pol.invpcid;
        svm_vendor.has_xsaves = 0;
        pr_info("SVM: revision %u, %u ASIDs, NPT%s, %s%s%s%s%s\n", svm_caps.revision, svm_caps.nasids,
                svm_caps.page1g ? " 1G" : " 2M", svm_has(SVM_FEAT_NRIPS) ? "next-RIP save" : "no next-RIP save",
                svm_has(SVM_FEAT_VMCB_CLEAN) ? ", clean bits" : "", svm_has(SVM_FEAT_FLUSH_BY_ASID) ? ", flush by ASID" : "",
                svm_has(SVM_FEAT_DECODE_ASSISTS) ? ", decode assists" : "", svm_has(SVM_FEAT_VGIF) ? ", VGIF" : "");
    }
    return 0;
}

/* ---- domains: NPT and the permission maps ------------------------------- */

static int svm_domain_init(struct domain *d)
{
    struct npt *n = &d->arch.npt;
    uint64_t io, msr;

    memset(n, 0, sizeof(*n));
    n->ctx.alloc_table = hvm_p2m_alloc_table;
    n->ctx.max_leaf_level = svm_caps.page1g ? PT_LEVEL_1G : PT_LEVEL_2M;
    if (npt_init(n))
        return -ENOMEM;
    io = alloc_pages(IOPM_ORDER);
    d->arch.io_bitmap = io ? phys_to_virt(io) : NULL;
    msr = alloc_pages(MSRPM_ORDER);
    d->arch.msr_bitmap = msr ? phys_to_virt(msr) : NULL;
    if (!io || !msr)
        return -ENOMEM;
    memset(d->arch.io_bitmap, 0xff, PAGE_SIZE << IOPM_ORDER);
    svm_msrpm_build(d->arch.msr_bitmap);
    return 0;
}


/* ASIDs are per vCPU and CPU: none of this domain's is handed out again before a flush of all (svm_asid_assign). */
static void svm_domain_destroy(struct domain *d)
{
    if (d->arch.npt.root)
        pt_free_tables(&d->arch.npt.ctx, d->arch.npt.root, hvm_p2m_free_table);
    if (d->arch.io_bitmap)
        free_pages(virt_to_phys(d->arch.io_bitmap), IOPM_ORDER);
    if (d->arch.msr_bitmap)
        free_pages(virt_to_phys(d->arch.msr_bitmap), MSRPM_ORDER);
}

static int svm_p2m_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm, unsigned mt)
{
    return npt_map(&d->arch.npt, gpa, hpa, size, perm, mt);
}

static int svm_p2m_lookup(struct domain *d, uint64_t gpa, uint64_t *hpa, unsigned *perm, unsigned *mt,
                          unsigned *level)
{
    return npt_lookup(&d->arch.npt, gpa, hpa, perm, mt, level);
}

static int svm_p2m_protect(struct domain *d, uint64_t gpa, uint64_t size, unsigned perm)
{
    return npt_protect(&d->arch.npt, gpa, size, perm);
}

/* This CPU's cached translations of @d: each of its vCPUs that ran here takes a new ASID. */
static void svm_p2m_flush_local(struct domain *d)
{
    unsigned cpu = this_cpu()->cpu_id;

    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->arch.loaded_cpu == (int)cpu)
            d->vcpus[i]->arch.asid_gen = 0;
}

/* ---- vCPUs: the VMCB ------------------------------------------------------ */

static void seg(struct vmcb_seg *s, const struct hvm_seg *from)
{
    s->sel = from->sel;
    s->base = from->base;
    s->limit = from->limit;
    s->attrib = svm_attrib(from->ar);
}

/* An entry state (asm/hvm.h) into the VMCB. */
static void svm_load_entry(struct vcpu *v, const struct hvm_entry_state *e)
{
    struct vmcb_save *s = &v->arch.vmcb->s;

    if (e->reset) {
        uint64_t vmcb_pa = v->arch.regs.vmcb_pa;
        memset(&v->arch.regs, 0, sizeof(v->arch.regs));
        v->arch.regs.vmcb_pa = vmcb_pa;
        v->arch.regs.rax = e->rax;
        v->arch.regs.rbx = e->rbx;
        v->arch.regs.rsi = e->rsi;
        s->cr2 = 0;
        s->g_pat = PAT_RESET;
        s->dr6 = DR6_RESET;
        s->star = s->lstar = s->cstar = s->sfmask = s->kernel_gs_base = 0;
        s->sysenter_cs = s->sysenter_esp = s->sysenter_eip = 0;
        v->arch.vmcb->c.int_state = 0;
        v->arch.pat = PAT_RESET;
        v->arch.mtrr_def_type = MTRR_DEF_TYPE_RESET;
        hvm_debug_regs_reset(v);        /* DR7 0x400, DEBUGCTL 0, DR0-3 intercepted */
    }
    seg(&s->cs, &e->cs);
    seg(&s->ds, &e->data);
    s->es = s->ss = s->fs = s->gs = s->ds;
    seg(&s->ldtr, &e->ldtr);
    seg(&s->tr, &e->tr);
    seg(&s->gdtr, &(struct hvm_seg){ 0, 0, e->gdt_limit, e->gdt_base });
    seg(&s->idtr, &(struct hvm_seg){ 0, 0, e->idt_limit, e->idt_base });
    s->cpl = 0;
    s->cr0 = e->cr0;
    s->cr3 = e->cr3;
    s->cr4 = e->cr4;
    s->efer = e->efer | EFER_SVME;      /* VMRUN requires it (15.5.1) */
    s->rflags = e->rflags;
    s->rip = e->rip;
    s->rsp = e->rsp;
    v->arch.vmcb->c.clean = 0;
}

static int svm_vcpu_init(struct vcpu *v)
{
    struct domain *d = v->domain;
    uint64_t pa = alloc_pages(0);
    struct vmcb *vmcb;

    if (!pa)
        return -ENOMEM;
    vmcb = phys_to_virt(pa);
    memset(vmcb, 0, PAGE_SIZE);
    v->arch.vmcb = vmcb;
    v->arch.vmcb_pa = pa;
    v->arch.regs.vmcb_pa = pa;
    memcpy(vmcb->c.intercept, intercepts, sizeof(intercepts));
    vmcb->c.iopm_base_pa = virt_to_phys(d->arch.io_bitmap);
    vmcb->c.msrpm_base_pa = virt_to_phys(d->arch.msr_bitmap);
    vmcb->c.tsc_offset = 0;
    /* The guest's TPR is V_TPR; physical interrupts follow the host's RFLAGS.IF (15.21.1). */
    vmcb->c.int_ctl = SVM_V_INTR_MASKING;
    vmcb->c.np_enable = 1;
    if (!arch_opt_pause_yield)
        vmcb->c.intercept[SVM_ICPT_MISC1] &= ~SVM_MISC1_PAUSE;      /* pause_yield=: off by default */
    else if (svm_has(SVM_FEAT_PAUSE_FILTER)) {
        /* 15.14.4: the PAUSE intercept fires after this many PAUSEs, within the threshold's cycles if it has one. */
        vmcb->c.pause_filter_count = SVM_PAUSE_FILTER_COUNT;
        if (svm_has(SVM_FEAT_PF_THRESHOLD))
            vmcb->c.pause_filter_thresh = SVM_PAUSE_FILTER_THRESH;
    }
    vmcb->c.n_cr3 = d->arch.npt.root;
    hvm_entry_initial(v);
    return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
    if (v->arch.vmcb)
        free_pages(v->arch.vmcb_pa, 0);
    v->arch.vmcb = NULL;
    v->arch.vmcb_pa = 0;
}

/* The VMCB is ordinary memory: any CPU may touch a vCPU that runs nowhere. */
static uint64_t svm_borrow(struct vcpu *v) { return 0; }
static void svm_give_back(struct vcpu *v, uint64_t token) { v->arch.vmcb->c.clean = 0; }

/* ---- the run loop ---------------------------------------------------------- */

static void entry_refused(struct vcpu *v, const char *why)
{
    domain_crash(v->domain, "VMRUN refused the VMCB: %s", why);
}

/* Before VMRUN: TLB tagging, RAX, an event to inject; V_TPR too if the vLAPIC may have written it (@tpr). */
static inline __attribute__((always_inline)) void prepare_entry(struct vcpu *v, int tpr)
{
    struct percpu *pc = this_cpu();
    struct vmcb *vmcb = v->arch.vmcb;
    struct domain *d = v->domain;
    uint64_t gen;
    int flush = 0;

    __atomic_store_n(&v->arch.in_guest, 1, __ATOMIC_SEQ_CST);
    gen = __atomic_load_n(&d->arch.p2m_gen, __ATOMIC_SEQ_CST);
    if (__builtin_expect(gen == v->arch.p2m_gen_seen && v->arch.asid_gen == pc->arch.asid.gen, 1)) {
        vmcb->c.tlb_control = SVM_TLB_NOTHING;  /* its ASID of this generation, nothing to drop */
    } else {
        if (gen != v->arch.p2m_gen_seen) {
            flush = 1;
            __atomic_store_n(&v->arch.p2m_gen_seen, gen, __ATOMIC_SEQ_CST);
        }
        /* Without flush-by-ASID a flush takes a fresh ASID instead (svm_asid_assign(), 15.16.2). */
        vmcb->c.tlb_control = svm_asid_assign(&pc->arch.asid, &v->arch.asid, &v->arch.asid_gen, flush,
                                              svm_has(SVM_FEAT_FLUSH_BY_ASID));
        if (vmcb->c.asid != v->arch.asid) {
            vmcb->c.asid = v->arch.asid;
            svm_dirty(v, SVM_CLEAN_ASID);
        }
    }
    vmcb->s.rax = v->arch.regs.rax;
    if (tpr && ((vmcb->c.int_ctl & SVM_V_TPR_MASK) << 4) != (v->arch.lapic.tpr & 0xf0)) {
        vmcb->c.int_ctl = (vmcb->c.int_ctl & ~SVM_V_TPR_MASK) | ((v->arch.lapic.tpr >> 4) & SVM_V_TPR_MASK);
        svm_dirty(v, SVM_CLEAN_TPR);
    }
    if (v->arch.pending_event) {
        /* hvm.h's EVENT_* encoding is EVENTINJ's (15.20). */
        vmcb->c.event_inj = v->arch.pending_event;
        vmcb->c.event_inj_err = v->arch.pending_error;
        if ((v->arch.pending_event & EVENT_TYPE_MASK) == EVENT_TYPE_NMI) {
            v->arch.nmi_blocked = 1;
            vmcb->c.intercept[SVM_ICPT_MISC1] |= SVM_MISC1_IRET;    /* blocked until the handler's IRET */
            svm_dirty(v, SVM_CLEAN_INTERCEPTS);
        }
        v->arch.pending_event = 0;
    }
    /* Without the clean-bits feature the CPU ignores the field (15.15.3), as KVM relies on. */
}

/* After each #VMEXIT (called by vmrun.S): 0 to enter the guest again. */
int svm_exit_dispatch(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;
    int tpr_written = 0;

    __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
    v->arch.exits++;
    v->arch.regs.rax = vmcb->s.rax;
    /* Everything clean until changed (15.15.3): cleared bits mark what Keel writes. */
    vmcb->c.clean = ~0u;
    /* EVENTINJ: the CPU cleared it (APM Vol. 3, VMRUN: "upon #VMEXIT ... clear EVENTINJ field in VMCB"). */
    if ((vmcb->c.int_ctl ^ (v->arch.lapic.tpr >> 4)) & SVM_V_TPR_MASK)
        v->arch.lapic.tpr = (vmcb->c.int_ctl & SVM_V_TPR_MASK) << 4;   /* MOV to CR8 went to V_TPR */
    /*
     * The two hottest exits inline, as vmx_run.c's: an instruction's exit
     * interrupts no event delivery, needs no decoding, and leaves the vLAPIC's
     * TPR alone (prepare_entry() need not look at it).
     */
    if (__builtin_expect(vmcb->c.exit_code == SVM_EXIT_CPUID, 1)) {
        struct cpuid_out out;
        if (__builtin_expect(cpuid_table_lookup(&v->arch.cpuid, (uint32_t)v->arch.regs.rax,
                                                (uint32_t)v->arch.regs.rcx, &out), 1))
            hvm_cpuid_result(v, &out);
        else
            hvm_cpuid(v, vmcb->s.cr4);
        svm_skip_instruction(v);
    } else if (vmcb->c.exit_code == SVM_EXIT_VMMCALL) {
        hvm_hypercall(v, vmcb->s.cpl);
        svm_skip_instruction(v);
    } else {
        /* 15.7.2: an event whose delivery this exit interrupted is delivered again. */
        if (__builtin_expect(vmcb->c.exit_int_info & EVENT_VALID, 0)) {
            v->arch.pending_event = vmcb->c.exit_int_info;
            v->arch.pending_error = vmcb->c.exit_int_info_err;
            if ((vmcb->c.exit_int_info & EVENT_TYPE_MASK) == EVENT_TYPE_NMI)
                v->arch.nmi_blocked = 0;    /* it is injected again, and blocks again then */
        }
        svm_handle_exit(v);
        tpr_written = 1;
    }
    if (sched_should_leave(v))
        return 1;
    if (hvm_events_possible(v))
        hvm_deliver_events(v);
    prepare_entry(v, tpr_written);
    return 0;
}

static void svm_vcpu_run(struct vcpu *v)
{
    struct percpu *pc = this_cpu();
    char why[96];

    if (v->arch.loaded_cpu != (int)pc->cpu_id) {
        /* Another CPU's VMCB cache and ASID are not this one's. */
        v->arch.vmcb->c.clean = 0;
        v->arch.asid_gen = 0;
        v->arch.loaded_cpu = (int)pc->cpu_id;
    }
    hvm_state_switch_to(v);
    if (v->arch.sipi_vector >= 0) {
        hvm_start_ap(v, (uint8_t)v->arch.sipi_vector);
        v->arch.sipi_vector = -1;
    }
    hvm_deliver_events(v);
    prepare_entry(v, 1);
    /* VMRUN's own checks end in VMEXIT_INVALID with no reason: Keel names the rule first. */
    if (svm_vmcb_check(v->arch.vmcb, &svm_caps, svm_cr4_ok, why, sizeof(why))) {
        __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
        entry_refused(v, why);
        return;
    }
    svm_run(&v->arch.regs, v, pc->arch.host_save_pa);
    if (v->arch.timer_on) {
        lapic_timer_deadline(0);
        v->arch.timer_on = 0;
    }
}

/* Its lazily switched state is in memory now (arch_vcpu_unload); the next CPU starts its ASID and clean bits afresh. */
static void svm_vcpu_unload(struct vcpu *v)
{
    if (v->arch.loaded_cpu != (int)this_cpu()->cpu_id)
        return;
    if (v->arch.timer_on) {
        lapic_timer_deadline(0);
        v->arch.timer_on = 0;
    }
    v->arch.loaded_cpu = -1;
}

static int svm_vcpu_loaded(const struct vcpu *v) { return v->arch.loaded_cpu >= 0; }

/* ---- the accessors of asm/hvm.h ------------------------------------------ */

static struct vmcb_seg *seg_of(struct vmcb_save *s, unsigned i)
{
    return i == 0 ? &s->es : i == 1 ? &s->cs : i == 2 ? &s->ss : i == 3 ? &s->ds : i == 4 ? &s->fs : &s->gs;
}

static uint64_t svm_get(struct vcpu *v, enum hvm_reg r)
{
    struct vmcb_save *s = &v->arch.vmcb->s;

    switch (r) {
    case HVM_RSP: return s->rsp;
    case HVM_RIP: return s->rip;
    case HVM_RFLAGS: return s->rflags;
    case HVM_CR0: return s->cr0;
    case HVM_CR3: return s->cr3;
    case HVM_CR4: return s->cr4;
    case HVM_CR2: return s->cr2;
    case HVM_EFER: return s->efer & ~(uint64_t)EFER_SVME;       /* SVME is Keel's */
    case HVM_ES_BASE: case HVM_CS_BASE: case HVM_SS_BASE: case HVM_DS_BASE: case HVM_FS_BASE: case HVM_GS_BASE:
        return seg_of(s, r - HVM_ES_BASE)->base;
    case HVM_ES_SEL: case HVM_CS_SEL: case HVM_SS_SEL: case HVM_DS_SEL: case HVM_FS_SEL: case HVM_GS_SEL:
        return seg_of(s, r - HVM_ES_SEL)->sel;
    case HVM_CS_AR: return svm_ar(s->cs.attrib);
    case HVM_CPL: return s->cpl;
    case HVM_SYSENTER_CS: return s->sysenter_cs;
    case HVM_SYSENTER_ESP: return s->sysenter_esp;
    case HVM_SYSENTER_EIP: return s->sysenter_eip;
    case HVM_PAT: return s->g_pat;
    case HVM_DR6: return s->dr6;
    case HVM_DR7: return s->dr7;
    case HVM_DEBUGCTL: return s->dbgctl;
    case HVM_TSC_OFFSET: return v->arch.vmcb->c.tsc_offset;
    case HVM_NR_REGS: break;
    }
    return 0;
}

static void svm_set(struct vcpu *v, enum hvm_reg r, uint64_t val)
{
    struct vmcb *vmcb = v->arch.vmcb;
    struct vmcb_save *s = &vmcb->s;

    switch (r) {
    case HVM_RSP: s->rsp = val; return;
    case HVM_RIP: s->rip = val; return;
    case HVM_RFLAGS: s->rflags = val; return;
    case HVM_CR0: s->cr0 = val; svm_dirty(v, SVM_CLEAN_CRX); return;
    case HVM_CR3: s->cr3 = val; svm_dirty(v, SVM_CLEAN_CRX); return;
    case HVM_CR4: s->cr4 = val; svm_dirty(v, SVM_CLEAN_CRX); return;
    case HVM_CR2: s->cr2 = val; svm_dirty(v, SVM_CLEAN_CR2); return;
    case HVM_EFER: s->efer = val | EFER_SVME; svm_dirty(v, SVM_CLEAN_CRX); return;
    case HVM_ES_BASE: case HVM_CS_BASE: case HVM_SS_BASE: case HVM_DS_BASE: case HVM_FS_BASE: case HVM_GS_BASE:
        seg_of(s, r - HVM_ES_BASE)->base = val;
        svm_dirty(v, SVM_CLEAN_SEG);
        return;
    case HVM_ES_SEL: case HVM_CS_SEL: case HVM_SS_SEL: case HVM_DS_SEL: case HVM_FS_SEL: case HVM_GS_SEL:
        seg_of(s, r - HVM_ES_SEL)->sel = (uint16_t)val;
        svm_dirty(v, SVM_CLEAN_SEG);
        return;
    case HVM_CS_AR: s->cs.attrib = svm_attrib((uint32_t)val); svm_dirty(v, SVM_CLEAN_SEG); return;
    case HVM_CPL: s->cpl = (uint8_t)val; svm_dirty(v, SVM_CLEAN_SEG); return;
    case HVM_SYSENTER_CS: s->sysenter_cs = val; return;
    case HVM_SYSENTER_ESP: s->sysenter_esp = val; return;
    case HVM_SYSENTER_EIP: s->sysenter_eip = val; return;
    case HVM_PAT: s->g_pat = val; svm_dirty(v, SVM_CLEAN_NP); return;
    case HVM_DR6: s->dr6 = val; svm_dirty(v, SVM_CLEAN_DRX); return;
    case HVM_DR7: s->dr7 = val; svm_dirty(v, SVM_CLEAN_DRX); return;
    case HVM_DEBUGCTL: s->dbgctl = val; svm_dirty(v, SVM_CLEAN_LBR); return;
    case HVM_TSC_OFFSET: vmcb->c.tsc_offset = val; svm_dirty(v, SVM_CLEAN_IOPM); return;
    case HVM_NR_REGS: return;
    }
}

static void svm_insn_state(struct vcpu *v, struct hvm_insn_state *st)
{
    struct vmcb_save *s = &v->arch.vmcb->s;

    st->rip = s->rip;
    st->rsp = s->rsp;
    st->rflags = s->rflags;
    st->efer = s->efer;
    st->seg_base[0] = s->es.base;
    st->seg_base[1] = s->cs.base;
    st->seg_base[2] = s->ss.base;
    st->seg_base[3] = s->ds.base;
    st->seg_base[4] = s->fs.base;
    st->seg_base[5] = s->gs.base;
    st->cs_ar = svm_ar(s->cs.attrib);
    st->cpl = s->cpl;
}

static void svm_paging_state(struct vcpu *v, uint64_t *cr0, uint64_t *cr3, uint64_t *cr4, uint64_t *efer)
{
    struct vmcb_save *s = &v->arch.vmcb->s;

    *cr0 = s->cr0;
    *cr3 = s->cr3;
    *cr4 = s->cr4;
    *efer = s->efer;
}

void svm_complete(struct vcpu *v, uint64_t next_rip, int trap)
{
    struct vmcb *vmcb = v->arch.vmcb;

    vmcb->s.rip = next_rip;
    vmcb->c.int_state &= ~1u;           /* the interrupt shadow ends with the instruction after STI/MOV SS */
    /* Single-stepping: the #DB the instruction would have raised after it, with DR6.BS. */
    if (trap && (vmcb->s.rflags & RFLAGS_TF) && !v->arch.pending_event) {
        vmcb->s.dr6 |= DR6_BS;
        svm_dirty(v, SVM_CLEAN_DRX);
        v->arch.pending_event = EVENT_VALID | EVENT_TYPE_EXCEPTION | 1;
    }
}

static unsigned svm_intr_blocked(struct vcpu *v)
{
    struct vmcb *vmcb = v->arch.vmcb;

    return (vmcb->c.int_state & 1 ? HVM_BLOCK_SHADOW : 0) | (v->arch.nmi_blocked ? HVM_BLOCK_NMI : 0) |
           (vmcb->s.rflags & RFLAGS_IF ? 0 : HVM_BLOCK_IF);
}

/*
 * An interrupt window: a virtual interrupt the guest takes once it can
 * (V_IRQ, TPR ignored), intercepted as VINTR before delivery (15.21.4).
 * An NMI window: the IRET of the NMI handler (intercepted while one runs).
 */
static void svm_window(struct vcpu *v, int nmi)
{
    struct vmcb *vmcb = v->arch.vmcb;

    if (nmi && v->arch.nmi_blocked)
        return;                         /* the IRET intercept is on since the NMI was injected */
    vmcb->c.int_ctl |= SVM_V_IRQ | SVM_V_IGN_TPR | (0xfu << SVM_V_INTR_PRIO_SHIFT);
    vmcb->c.int_vector = 0;
    vmcb->c.intercept[SVM_ICPT_MISC1] |= SVM_MISC1_VINTR;
    svm_dirty(v, SVM_CLEAN_TPR | SVM_CLEAN_INTERCEPTS);
}

/* No preemption timer on SVM: the host LAPIC's TSC deadline interrupt exits the guest (INTR). */
static void svm_set_timer(struct vcpu *v, uint64_t deadline)
{
    if (deadline != ~0ull) {
        if (lapic_timer_deadline(deadline) == 0)
            v->arch.timer_on = 1;
    } else if (v->arch.timer_on) {
        lapic_timer_deadline(0);
        v->arch.timer_on = 0;
    }
}

static void svm_dr_intercept(struct vcpu *v, int on)
{
    struct vmcb *vmcb = v->arch.vmcb;

    vmcb->c.intercept[SVM_ICPT_DR] = on ? 0xf | (0xfu << 16) : 0;
    svm_dirty(v, SVM_CLEAN_INTERCEPTS);
}

void svm_dump(struct vcpu *v)
{
    const struct vmcb *b = v->arch.vmcb;

    pr_err("VMCB: exit %#lx info1 %#lx info2 %#lx intinfo %#x inj %#x asid %u tlb %u int_ctl %#x\n",
           (unsigned long)b->c.exit_code, (unsigned long)b->c.exit_info1, (unsigned long)b->c.exit_info2,
           b->c.exit_int_info, b->c.event_inj, b->c.asid, b->c.tlb_control, b->c.int_ctl);
    pr_err("VMCB: RIP %#lx RSP %#lx RFLAGS %#lx CPL %u CR0 %#lx CR3 %#lx CR4 %#lx EFER %#lx\n",
           (unsigned long)b->s.rip, (unsigned long)b->s.rsp, (unsigned long)b->s.rflags, b->s.cpl,
           (unsigned long)b->s.cr0, (unsigned long)b->s.cr3, (unsigned long)b->s.cr4, (unsigned long)b->s.efer);
    pr_err("VMCB: CS %#x/%#x base %#lx, SS %#x/%#x, TR %#x/%#x, N_CR3 %#lx\n", b->s.cs.sel, b->s.cs.attrib,
           (unsigned long)b->s.cs.base, b->s.ss.sel, b->s.ss.attrib, b->s.tr.sel, b->s.tr.attrib,
           (unsigned long)b->c.n_cr3);
    pr_err("VMCB: IDTR %#lx/%#x GDTR %#lx/%#x; Keel queued %#x, NMI %d; device model: pending %u done %u next %u\n",
           (unsigned long)b->s.idtr.base, b->s.idtr.limit, (unsigned long)b->s.gdtr.base, b->s.gdtr.limit,
           v->arch.pending_event, v->arch.nmi_pending, v->io.pending, v->io.nr_done, v->io.next);
    /*
     * Where it lives, against the host-save areas: a guest state that is the host's
     * (RIP after VMRUN, the host's CR3 and EFER) means VMRUN saved the host there.
     */
    pr_err("VMCB: at %#lx, vCPU%u on CPU%u, this CPU's VM_HSAVE_PA %#lx (set %#lx)\n", (unsigned long)v->arch.vmcb_pa,
           v->id, this_cpu()->cpu_id, (unsigned long)rdmsr(MSR_VM_HSAVE_PA), (unsigned long)this_cpu()->arch.hsave_pa);
    for (uint32_t c = 0; c < nr_cpus_online; c++)
        if (percpu[c].arch.hsave_pa == v->arch.vmcb_pa || percpu[c].arch.host_save_pa == v->arch.vmcb_pa)
            pr_err("VMCB: it is CPU%u's host-save page\n", c);
}

struct hvm_vendor svm_vendor = {
    .name = "SVM",
    .vmmcall = 1,
    .cpu_init = svm_cpu_init,
    .switches_syscall_msrs = 1,
    .domain_init = svm_domain_init,
    .domain_destroy = svm_domain_destroy,
    .p2m_map = svm_p2m_map,
    .p2m_lookup = svm_p2m_lookup,
    .p2m_protect = svm_p2m_protect,
    .p2m_flush_local = svm_p2m_flush_local,
    .vcpu_init = svm_vcpu_init,
    .vcpu_destroy = svm_vcpu_destroy,
    .vcpu_run = svm_vcpu_run,
    .vcpu_unload = svm_vcpu_unload,
    .vcpu_loaded = svm_vcpu_loaded,
    .borrow = svm_borrow,
    .give_back = svm_give_back,
    .load_entry = svm_load_entry,
    .get = svm_get,
    .set = svm_set,
    .insn_state = svm_insn_state,
    .paging_state = svm_paging_state,
    .next_rip = svm_next_rip,
    .complete = svm_complete,
    .intr_blocked = svm_intr_blocked,
    .window = svm_window,
    .set_timer = svm_set_timer,
    .dr_intercept = svm_dr_intercept,
    .dump = svm_dump,
    .dump_caps = svm_dump_caps,
};

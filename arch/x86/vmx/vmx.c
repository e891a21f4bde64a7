/*
 * The VMX backend behind asm/hvm.h: a domain's EPT and I/O and MSR bitmaps,
 * a VMCS per vCPU (SDM Vol. 3C ch. 25) with its host state, entry states
 * and accessors, and the ops table. Enabling VMX on a CPU is vmx_cpu.c's,
 * the run loop vmx_run.c's, exit decoding vmexit.c's.
 */
#include <errno.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/desc.h>
#include <asm/cpu_policy.h>
#include <asm/processor.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include "vmx_internal.h"

/* ---- domains: EPT and the I/O and MSR bitmaps --------------------------- */

static int vmx_domain_init(struct domain *d)
{
    struct ept *e = &d->arch.ept;
    uint64_t io, msr;

    memset(e, 0, sizeof(*e));
    e->ctx.alloc_table = hvm_p2m_alloc_table;
    e->ctx.max_leaf_level = vmx_cfg.has_ept_1g ? PT_LEVEL_1G : vmx_cfg.has_ept_2m ? PT_LEVEL_2M
                                                                                 : PT_LEVEL_4K;
    e->execute_only_ok = vmx_cfg.has_execute_only;
    if (ept_init(e))
        return -ENOMEM;
    d->arch.eptp = ept_pointer(e, 0);
    /* Kept as soon as allocated: arch_domain_destroy() frees whichever the failure left. */
    io = alloc_pages(1);
    d->arch.io_bitmap = io ? phys_to_virt(io) : NULL;
    msr = alloc_pages(0);
    d->arch.msr_bitmap = msr ? phys_to_virt(msr) : NULL;
    if (!io || !msr)
        return -ENOMEM;
    /* Every port and every MSR exits; devices and the MSR table decide. */
    memset(d->arch.io_bitmap, 0xff, 2 * PAGE_SIZE);
    vmx_msr_bitmap_build(d->arch.msr_bitmap);
    return 0;
}


static void vmx_domain_destroy(struct domain *d)
{
    if (d->arch.ept.root) {
        vmx_flush_ept(d);
        pt_free_tables(&d->arch.ept.ctx, d->arch.ept.root, hvm_p2m_free_table);
    }
    if (d->arch.io_bitmap)
        free_pages(virt_to_phys(d->arch.io_bitmap), 1);
    if (d->arch.msr_bitmap)
        free_pages(virt_to_phys(d->arch.msr_bitmap), 0);
}

static int vmx_p2m_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm, unsigned mt)
{
    return ept_map(&d->arch.ept, gpa, hpa, size, perm, mt);       /* P2M_* are EPT's bits and types */
}

static int vmx_p2m_lookup(struct domain *d, uint64_t gpa, uint64_t *hpa, unsigned *perm, unsigned *mt,
                          unsigned *level)
{
    uint64_t p;
    int rc = ept_lookup(&d->arch.ept, gpa, hpa, &p, mt, level);

    *perm = (unsigned)p;
    return rc;
}

static int vmx_p2m_protect(struct domain *d, uint64_t gpa, uint64_t size, unsigned perm)
{
    return ept_protect(&d->arch.ept, gpa, size, perm);
}

/* ---- vCPUs: the VMCS ----------------------------------------------------- */

static void setup_host_state(void);

/* Make @v's VMCS current on this CPU, where it stays active between runs (25.11.1). */
int vmx_vmcs_load(struct vcpu *v)
{
    struct percpu *pc = this_cpu();

    if (pc->arch.cur_vmcs == v->arch.vmcs)
        return 0;
    if (v->arch.loaded_cpu >= 0 && v->arch.loaded_cpu != (int)pc->cpu_id)
        return -EBUSY;          /* active on another CPU: it must clear it there first */
    if (vmptrld(v->arch.vmcs))
        return -EIO;
    pc->arch.cur_vmcs = v->arch.vmcs;
    if (v->arch.loaded_cpu < 0) {
        v->arch.loaded_cpu = (int)pc->cpu_id;
        setup_host_state();     /* GS, TR, GDT and IDT bases are this CPU's */
        /*
         * This CPU may still cache translations tagged with this EPTP or
         * VPID by a destroyed domain whose EPT root page or VPID was then
         * reused (its teardown flushes only the CPU that destroys it): drop them
         * before the vCPU runs here (28.3.3.3, 28.3.3.4).
         */
        vmx_flush_ept(v->domain);
        if (vmx_cfg.has_vpid)
            vmx_flush_vpid(v);
    }
    return 0;
}

/*
 * Work on the VMCS of a vCPU that is on no CPU (being built, or its domain
 * paused) from whatever CPU the caller is on, then put back the VMCS that
 * was current here: a hypercall handler borrows it in the middle of its own
 * vCPU's exit.
 */
static uint64_t vmcs_borrow(struct vcpu *v)
{
    uint64_t prev = this_cpu()->arch.cur_vmcs;

    if (v->arch.loaded_cpu >= 0 && prev != v->arch.vmcs)
        panic("d%u vCPU%u: VMCS borrowed while active on CPU%d", v->domain->id, v->id, v->arch.loaded_cpu);
    if (prev != v->arch.vmcs && vmptrld(v->arch.vmcs))
        panic("VMPTRLD of a vCPU's VMCS failed");
    return prev;
}

static void vmcs_return(struct vcpu *v, uint64_t prev)
{
    if (prev == v->arch.vmcs)
        return;                 /* it was current here already: it stays */
    vmclear(v->arch.vmcs);      /* write it back to memory; launch state clear */
    v->arch.regs.launched = 0;
    if (prev && vmptrld(prev))
        panic("VMPTRLD of the interrupted VMCS failed");
}

static void setup_host_state(void)
{
    struct percpu *pc = this_cpu();
    struct desc_ptr gdtr, idtr;

    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    __asm__ volatile("sidt %0" : "=m"(idtr));
    vmcs_writel(HOST_CR0, read_cr0());
    vmcs_writel(HOST_CR3, read_cr3());
    vmcs_writel(HOST_CR4, read_cr4());
    vmcs_write16(HOST_CS_SELECTOR, GDT_CS64);
    vmcs_write16(HOST_SS_SELECTOR, GDT_DS);
    vmcs_write16(HOST_DS_SELECTOR, GDT_DS);
    vmcs_write16(HOST_ES_SELECTOR, GDT_DS);
    vmcs_write16(HOST_FS_SELECTOR, 0);
    vmcs_write16(HOST_GS_SELECTOR, 0);
    vmcs_write16(HOST_TR_SELECTOR, GDT_TSS);
    vmcs_writel(HOST_FS_BASE, 0);
    vmcs_writel(HOST_GS_BASE, (uint64_t)(uintptr_t)pc);
    vmcs_writel(HOST_TR_BASE, (uint64_t)(uintptr_t)&pc->arch.tss);
    vmcs_writel(HOST_GDTR_BASE, gdtr.base);
    vmcs_writel(HOST_IDTR_BASE, idtr.base);
    vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
    vmcs_writel(HOST_IA32_SYSENTER_ESP, 0);
    vmcs_writel(HOST_IA32_SYSENTER_EIP, 0);
    vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));
    if (vmx_cfg.exit & EXIT_LOAD_IA32_PAT)
        vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_writel(HOST_RIP, (uint64_t)(uintptr_t)vmx_vmexit);
}

static int vmx_vcpu_init(struct vcpu *v)
{
    struct domain *d = v->domain;
    uint64_t vmcs = alloc_pages(0), prev;

    if (!vmcs)
        return -ENOMEM;
    memset(phys_to_virt(vmcs), 0, PAGE_SIZE);
    *(uint32_t *)phys_to_virt(vmcs) = vmx_cfg.revision;
    v->arch.vmcs = vmcs;
    if (vmclear(vmcs))
        return -EIO;
    if (vmx_cfg.has_vpid) {
        v->arch.vpid = vmx_vpid_alloc();
        if (!v->arch.vpid)
            return -ENOSPC;
    }
    prev = vmcs_borrow(v);
    if (vmx_cfg.has_vpid)
        vmcs_write16(VIRTUAL_PROCESSOR_ID, v->arch.vpid);
    vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
    vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx_cfg.proc);
    vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_cfg.proc2 & ~(vmx_cfg.has_vpid ? 0 : CPU2_ENABLE_VPID) &
                                            ~(arch_opt_pause_yield ? 0 : CPU2_PAUSE_LOOP_EXITING));
    /*
     * 25.6.20: XSAVES/XRSTORS exit when IA32_XSS & this bitmap is not 0. A
     * guest's XSS may hold only the supervisor components the policy
     * offers (none: WRMSR checks it), so this never fires; it is the second
     * wall should a component (Processor Trace: an output base outside EPT)
     * ever reach XSS.
     */
    if (vmx_cfg.has_xsaves)
        vmcs_write64(XSS_EXIT_BITMAP, ~pol_xss_allowed());
    if ((vmx_cfg.proc2 & CPU2_PAUSE_LOOP_EXITING) && arch_opt_pause_yield) {
        /* 25.6.13: PAUSEs at most PLE_GAP TSC ticks apart for PLE_WINDOW ticks exit (KVM's defaults). */
        vmcs_write32(PLE_GAP, VMX_PLE_GAP);
        vmcs_write32(PLE_WINDOW, VMX_PLE_WINDOW);
    }
    vmcs_write32(VM_EXIT_CONTROLS, vmx_cfg.exit);
    vmcs_write32(VM_ENTRY_CONTROLS, vmx_cfg.entry);
    /* #MC: the host's to handle; #UD: a VMMCALL is a hypercall too (hvm_ud()). */
    vmcs_write32(EXCEPTION_BITMAP, (1u << 18) | (1u << 6));
    vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
    vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
    vmcs_write32(CR3_TARGET_COUNT, 0);
    vmcs_write64(TSC_OFFSET, 0);
    vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
    vmcs_write64(IO_BITMAP_A, virt_to_phys(d->arch.io_bitmap));
    vmcs_write64(IO_BITMAP_B, virt_to_phys(d->arch.io_bitmap) + PAGE_SIZE);
    vmcs_write64(MSR_BITMAP, virt_to_phys(d->arch.msr_bitmap));
    vmcs_write64(EPT_POINTER, d->arch.eptp);
    vmcs_write64(VMCS_LINK_POINTER, ~0ull);
    /* The guest owns CR0/CR4 except what VMX forces: those bits read from the shadow. */
    vmcs_writel(CR0_GUEST_HOST_MASK, (vmx_cfg.cr0_fixed0 & ~(uint64_t)(X86_CR0_PE | X86_CR0_PG)) |
                                     X86_CR0_CD | X86_CR0_NW);
    /* CR4 bits the policy does not offer are the host's: setting one exits (and #GPs). */
    vmcs_writel(CR4_GUEST_HOST_MASK, vmx_cfg.cr4_fixed0 | X86_CR4_VMXE | ~pol_cr4_allowed());
    hvm_entry_initial(v);
    /* Cleared: the CPU that runs the vCPU loads it there (25.11.1). */
    vmcs_return(v, prev);
    return 0;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
    if (v->arch.vmcs) {
        if (v->arch.loaded_cpu >= 0)
            panic("d%u vCPU%u destroyed while loaded on CPU%d", v->domain->id, v->id, v->arch.loaded_cpu);
        vmclear(v->arch.vmcs);
        if (vmx_cfg.has_vpid && v->arch.vpid) {
            /* 28.3.3.3: no stale translations for the next owner of this VPID. */
            vmx_flush_vpid(v);
            vmx_vpid_free(v->arch.vpid);
            v->arch.vpid = 0;
        }
        free_pages(v->arch.vmcs, 0);
        v->arch.vmcs = 0;
    }
}

/*
 * The guest's view of CR0/CR4 is the read shadow; the real registers carry
 * what VMX forces (A.7, A.8). Unrestricted guest frees PE and PG.
 */
void vmx_set_guest_cr0(uint64_t cr0)
{
    vmcs_writel(CR0_READ_SHADOW, cr0);
    /* CD and NW stay the guest's view only: guest RAM is write-back under EPT, as KVM does
     * without non-coherent DMA, and the host's caches are not the guest's to turn off. */
    vmcs_writel(GUEST_CR0, vmx_fix_cr(cr0 & ~(uint64_t)(X86_CR0_CD | X86_CR0_NW),
                                      vmx_cfg.cr0_fixed0 & ~(uint64_t)(X86_CR0_PE | X86_CR0_PG),
                                      vmx_cfg.cr0_fixed1));
}

void vmx_set_guest_cr4(uint64_t cr4)
{
    vmcs_writel(CR4_READ_SHADOW, cr4);
    vmcs_writel(GUEST_CR4, vmx_fix_cr(cr4, vmx_cfg.cr4_fixed0, vmx_cfg.cr4_fixed1));
}

/* One segment register's four fields (24.4.1): @i in ES, CS, SS, DS, FS, GS, LDTR, TR order. */
static void load_seg(unsigned i, const struct hvm_seg *sg)
{
    /*
     * Each field steps by 2 per register from ES's (appendix B), and each
     * column is one width: selectors 16-bit, limits and AR 32, bases natural.
     */
    vmcs_write_checked(GUEST_ES_SELECTOR + 2 * i, sg->sel);
    vmcs_write_checked(GUEST_ES_BASE + 2 * i, sg->base);
    vmcs_write_checked(GUEST_ES_LIMIT + 2 * i, sg->limit);
    vmcs_write_checked(GUEST_ES_AR_BYTES + 2 * i, sg->ar);
}

/* An entry state (asm/hvm.h) into the current VMCS. */
static void vmx_load_entry(struct vcpu *v, const struct hvm_entry_state *e)
{
    enum { ES, CS, SS, DS, FS, GS, LDTR, TR };

    if (e->reset) {
        uint64_t launched = v->arch.regs.launched;      /* a property of the VMCS, not the guest */
        memset(&v->arch.regs, 0, sizeof(v->arch.regs));
        v->arch.regs.launched = launched;
        v->arch.regs.rax = e->rax;
        v->arch.regs.rbx = e->rbx;
        v->arch.regs.rsi = e->rsi;
        v->arch.pat = PAT_RESET;
        v->arch.mtrr_def_type = MTRR_DEF_TYPE_RESET;
        if (vmx_cfg.entry & ENTRY_LOAD_IA32_PAT)
            vmcs_write64(GUEST_IA32_PAT, v->arch.pat);
        vmcs_write32(GUEST_SYSENTER_CS, 0);
        vmcs_writel(GUEST_SYSENTER_ESP, 0);
        vmcs_writel(GUEST_SYSENTER_EIP, 0);
        vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
        vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
        hvm_debug_regs_reset(v);
    }
    load_seg(CS, &e->cs);
    for (unsigned i = ES; i <= GS; i++)
        if (i != CS)
            load_seg(i, &e->data);
    load_seg(LDTR, &e->ldtr);
    load_seg(TR, &e->tr);
    vmcs_writel(GUEST_GDTR_BASE, e->gdt_base);
    vmcs_write32(GUEST_GDTR_LIMIT, e->gdt_limit);
    vmcs_writel(GUEST_IDTR_BASE, e->idt_base);
    vmcs_write32(GUEST_IDTR_LIMIT, e->idt_limit);
    vmx_set_guest_cr0(e->cr0);
    vmx_set_guest_cr4(e->cr4);
    vmcs_writel(GUEST_CR3, e->cr3);
    vmcs_write64(GUEST_IA32_EFER, e->efer);
    /* IA-32e mode guest follows EFER.LMA (26.3.1.1). */
    vmcs_write32(VM_ENTRY_CONTROLS, e->efer & EFER_LMA ? vmx_cfg.entry | ENTRY_IA32E_MODE_GUEST :
                                                          vmx_cfg.entry & ~ENTRY_IA32E_MODE_GUEST);
    vmcs_writel(GUEST_RFLAGS, e->rflags);
    vmcs_writel(GUEST_RIP, e->rip);
    vmcs_writel(GUEST_RSP, e->rsp);
    vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
}

/* ---- the accessors of asm/hvm.h ------------------------------------------ */

/* hvm_reg -> VMCS field, where one field is the whole answer. */
static const uint32_t reg_field[HVM_NR_REGS] = {
    [HVM_RSP] = GUEST_RSP, [HVM_RIP] = GUEST_RIP, [HVM_RFLAGS] = GUEST_RFLAGS, [HVM_CR3] = GUEST_CR3,
    [HVM_EFER] = GUEST_IA32_EFER,
    [HVM_ES_BASE] = GUEST_ES_BASE, [HVM_CS_BASE] = GUEST_CS_BASE, [HVM_SS_BASE] = GUEST_SS_BASE,
    [HVM_DS_BASE] = GUEST_DS_BASE, [HVM_FS_BASE] = GUEST_FS_BASE, [HVM_GS_BASE] = GUEST_GS_BASE,
    [HVM_ES_SEL] = GUEST_ES_SELECTOR, [HVM_CS_SEL] = GUEST_CS_SELECTOR, [HVM_SS_SEL] = GUEST_SS_SELECTOR,
    [HVM_DS_SEL] = GUEST_DS_SELECTOR, [HVM_FS_SEL] = GUEST_FS_SELECTOR, [HVM_GS_SEL] = GUEST_GS_SELECTOR,
    [HVM_CS_AR] = GUEST_CS_AR_BYTES,
    [HVM_SYSENTER_CS] = GUEST_SYSENTER_CS, [HVM_SYSENTER_ESP] = GUEST_SYSENTER_ESP,
    [HVM_SYSENTER_EIP] = GUEST_SYSENTER_EIP, [HVM_DR7] = GUEST_DR7, [HVM_DEBUGCTL] = GUEST_IA32_DEBUGCTL,
    [HVM_TSC_OFFSET] = TSC_OFFSET,
};

static uint64_t vmx_get(struct vcpu *v, enum hvm_reg r)
{
    switch (r) {
    case HVM_CR0:
        return vmx_guest_cr0();
    case HVM_CR4:
        return vmx_guest_cr4();
    case HVM_CPL:
        return vmx_guest_cpl();
    case HVM_PAT:
        /* The VMCS field exists only with the PAT controls (24.4.2); else it is kept here. */
        return vmx_cfg.entry & ENTRY_LOAD_IA32_PAT ? vmcs_read64(GUEST_IA32_PAT) : v->arch.pat;
    case HVM_DR6:
        return read_dr(6);                  /* the guest's while it runs here (virt/state.c) */
    case HVM_CR2:
        return read_cr2();                  /* likewise */
    default:
        return vmcs_read_checked(reg_field[r]);
    }
}

static void vmx_set(struct vcpu *v, enum hvm_reg r, uint64_t val)
{
    switch (r) {
    case HVM_CR0:
        vmx_set_guest_cr0(val);
        return;
    case HVM_CR4:
        vmx_set_guest_cr4(val);
        return;
    case HVM_EFER: {
        uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);
        /* IA-32e mode guest follows EFER.LMA (26.3.1.1). */
        entry = val & EFER_LMA ? entry | ENTRY_IA32E_MODE_GUEST : entry & ~ENTRY_IA32E_MODE_GUEST;
        vmcs_write32(VM_ENTRY_CONTROLS, entry);
        vmcs_write64(GUEST_IA32_EFER, val);
        return;
    }
    case HVM_PAT:
        if (vmx_cfg.entry & ENTRY_LOAD_IA32_PAT)
            vmcs_write64(GUEST_IA32_PAT, val);
        else
            v->arch.pat = val;
        return;
    case HVM_DR6:
        write_dr(6, val);
        if (v->arch.dr_live)
            v->arch.dr6 = val;
        return;
    case HVM_CR2:
        v->arch.regs.cr2 = val;
        write_cr2(val);
        return;
    case HVM_CPL:
        return;                             /* SS.DPL: not set on its own */
    default:
        vmcs_write_checked(reg_field[r], val);
    }
}

static void vmx_insn_state(struct vcpu *v, struct hvm_insn_state *st)
{
    st->rip = vmcs_readl(GUEST_RIP);
    st->rsp = vmcs_readl(GUEST_RSP);
    st->rflags = vmcs_readl(GUEST_RFLAGS);
    st->efer = vmcs_read64(GUEST_IA32_EFER);
    st->seg_base[0] = vmcs_readl(GUEST_ES_BASE);
    st->seg_base[1] = vmcs_readl(GUEST_CS_BASE);
    st->seg_base[2] = vmcs_readl(GUEST_SS_BASE);
    st->seg_base[3] = vmcs_readl(GUEST_DS_BASE);
    st->seg_base[4] = vmcs_readl(GUEST_FS_BASE);
    st->seg_base[5] = vmcs_readl(GUEST_GS_BASE);
    st->cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
    st->cpl = vmx_guest_cpl();
}

/* The registers the CPU walks with: PG, WP, PAE, PSE, LA57... are never shadowed. */
static void vmx_paging_state(struct vcpu *v, uint64_t *cr0, uint64_t *cr3, uint64_t *cr4, uint64_t *efer)
{
    *cr0 = vmcs_readl(GUEST_CR0);
    *cr3 = vmcs_readl(GUEST_CR3);
    *cr4 = vmcs_readl(GUEST_CR4);
    *efer = vmcs_read64(GUEST_IA32_EFER);
}

static uint64_t vmx_next_rip(struct vcpu *v)
{
    return vmcs_readl(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
}

static void vmx_complete(struct vcpu *v, uint64_t next_rip, int trap)
{
    if (trap) {
        vmx_complete_instruction(next_rip);
        return;
    }
    vmcs_writel(GUEST_RIP, next_rip);
    vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
                 vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
    vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS) & ~(uint64_t)PENDING_DBG_BS);
}

static unsigned vmx_intr_blocked(struct vcpu *v)
{
    uint32_t i = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

    return (i & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS) ? HVM_BLOCK_SHADOW : 0) |
           (i & GUEST_INTR_STATE_NMI ? HVM_BLOCK_NMI : 0) |
           (vmcs_readl(GUEST_RFLAGS) & RFLAGS_IF ? 0 : HVM_BLOCK_IF);
}

static void vmx_window(struct vcpu *v, int nmi)
{
    if (nmi && !vmx_cfg.has_virtual_nmis)
        return;                             /* without virtual NMIs no NMI window: the next exit */
    vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) |
                                            (nmi ? CPU_NMI_WINDOW_EXITING : CPU_INTERRUPT_WINDOW_EXITING));
}

/* The preemption timer ends the guest's run at @deadline (25.5.1). */
static void vmx_set_timer(struct vcpu *v, uint64_t deadline)
{
    if (deadline != ~0ull && vmx_cfg.has_preemption_timer) {
        uint64_t now = rdtsc();
        uint64_t ticks = deadline > now ? (deadline - now) >> vmx_cfg.preemption_timer_shift : 0;
        vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffull ? 0xffffffffu : (uint32_t)ticks);
        if (!v->arch.timer_on) {
            vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin | PIN_PREEMPTION_TIMER);
            v->arch.timer_on = 1;
        }
    } else if (v->arch.timer_on) {
        vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
        v->arch.timer_on = 0;
    }
}

static void vmx_dr_intercept(struct vcpu *v, int on)
{
    uint32_t p = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);

    vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, on ? p | CPU_MOV_DR_EXITING : p & ~CPU_MOV_DR_EXITING);
}

static void vmx_dump(struct vcpu *v)
{
    vmcs_dump();
}

static void vmx_p2m_flush_local(struct domain *d)
{
    vmx_flush_ept(d);
}

struct hvm_vendor vmx_vendor = {
    .name = "VMX",
    .cpu_init = vmx_cpu_init,
    .domain_init = vmx_domain_init,
    .domain_destroy = vmx_domain_destroy,
    .p2m_map = vmx_p2m_map,
    .p2m_lookup = vmx_p2m_lookup,
    .p2m_protect = vmx_p2m_protect,
    .p2m_flush_local = vmx_p2m_flush_local,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_destroy = vmx_vcpu_destroy,
    .vcpu_run = vmx_vcpu_run,
    .vcpu_unload = vmx_vcpu_unload,
    .vcpu_loaded = vmx_vcpu_loaded,
    .borrow = vmcs_borrow,
    .give_back = vmcs_return,
    .load_entry = vmx_load_entry,
    .get = vmx_get,
    .set = vmx_set,
    .insn_state = vmx_insn_state,
    .paging_state = vmx_paging_state,
    .next_rip = vmx_next_rip,
    .complete = vmx_complete,
    .intr_blocked = vmx_intr_blocked,
    .window = vmx_window,
    .set_timer = vmx_set_timer,
    .dr_intercept = vmx_dr_intercept,
    .dump = vmx_dump,
    .dump_caps = vmx_dump_msrs,
};

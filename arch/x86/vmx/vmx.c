/*
 * VMX root operation: per-CPU enablement (SDM Vol. 3C 24.7-24.8), a VMCS per
 * vCPU (ch. 25), the run loop and the exit dispatch table (ch. 28).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/desc.h>
#include <asm/cpu_policy.h>
#include <asm/guest_state.h>
#include <asm/processor.h>
#include <keel/arch.h>
#include <public/keel.h>
#include <keel/console.h>
#include <stdio.h>
#include <keel/buddy.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/spinlock.h>
#include "vmx_internal.h"


struct vmx_config vmx_cfg;
static int vmx_ok;
static uint64_t vmxon_region[MAX_CPUS];
/* VPIDs in use (0 is the host's and never handed out). */
#define MAX_VPIDS 4096
static uint64_t vpid_used[MAX_VPIDS / 64] = { 1 };
static spinlock_t vpid_lock = SPINLOCK_INIT_LEVEL(LOCK_VPID);    /* vpid_used[]; nothing inside */

static uint16_t vpid_alloc(void)
{
    uint16_t vpid = 0;

    spin_lock(&vpid_lock);
    for (unsigned i = 1; i < MAX_VPIDS; i++)
        if (!(vpid_used[i / 64] >> (i % 64) & 1)) {
            vpid_used[i / 64] |= 1ull << (i % 64);
            vpid = (uint16_t)i;
            break;
        }
    spin_unlock(&vpid_lock);
    return vpid;
}

static void vpid_free(uint16_t vpid)
{
    spin_lock(&vpid_lock);
    vpid_used[vpid / 64] &= ~(1ull << (vpid % 64));
    spin_unlock(&vpid_lock);
}

_Static_assert(offsetof(struct guest_regs, rdi) == 56 && offsetof(struct guest_regs, cr2) == 128 &&
               offsetof(struct guest_regs, launched) == 136, "vmentry.S register offsets");

static void read_msrs(struct vmx_msrs *m)
{
    memset(m, 0, sizeof(*m));
    m->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
    m->basic = rdmsr(MSR_IA32_VMX_BASIC);
    m->pin = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
    m->proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
    m->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
    m->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
    m->misc = rdmsr(MSR_IA32_VMX_MISC);
    m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    m->vmcs_enum = rdmsr(MSR_IA32_VMX_VMCS_ENUM);
    /* A.3.3, A.10: these exist only when the primary controls allow secondaries. */
    if (m->proc >> 32 & CPU_ACTIVATE_SECONDARY_CONTROLS) {
        m->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
        if (m->proc2 >> 32 & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID))
            m->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
        if (m->proc2 >> 32 & CPU2_ENABLE_VMFUNC)
            m->vmfunc = rdmsr(MSR_IA32_VMX_VMFUNC);
    }
    if (m->basic & VMX_BASIC_TRUE_CTLS) {
        m->true_pin = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
        m->true_proc = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
        m->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
        m->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
    }
}

/* keel.dump=vmx: the capability MSRs, for tests/unit/fixtures/vmx-*.txt. */
static void vmx_dump_msrs(void)
{
    struct vmx_msrs m;
    char line[64];

    if (!(cpuid(1).ecx & CPUID1_ECX_VMX))
        return;
    read_msrs(&m);
    for (unsigned i = 0; i < vmx_nr_msr_numbers; i++) {
        uint64_t v = 0;
        int n;

        vmx_msrs_get(&m, vmx_msr_numbers[i], &v);
        n = snprintf(line, sizeof(line), "@@VMXMSR %#x %#lx\n", vmx_msr_numbers[i], (unsigned long)v);
        console_write(line, (size_t)n);
    }
}

static int vmx_cpu_init(int bsp)
{
    struct percpu *pc = this_cpu();
    struct vmx_msrs m;
    char why[96];
    uint64_t fc, region;
    int rc;

    if (!(cpuid(1).ecx & CPUID1_ECX_VMX))
        return -ENODEV;
    read_msrs(&m);
    /* 24.7: VMXON needs IA32_FEATURE_CONTROL locked with VMX outside SMX enabled. */
    fc = m.feature_control;
    if (!(fc & FEATURE_CONTROL_LOCKED)) {
        fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
    } else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        pr_warn("VMX: disabled by the firmware (IA32_FEATURE_CONTROL %#lx)\n", (unsigned long)fc);
        return -ENODEV;
    }
    if (bsp) {
        rc = vmx_config_compute(&m, &vmx_cfg, why, sizeof(why));
        if (rc) {
            pr_warn("VMX: unusable: %s: no guests can run\n", why);
            return rc;
        }
    } else {
        struct vmx_config mine;
        if (vmx_config_compute(&m, &mine, why, sizeof(why)) || mine.pin != vmx_cfg.pin ||
            mine.proc != vmx_cfg.proc || mine.proc2 != vmx_cfg.proc2) {
            pr_warn("CPU%u: VMX capabilities differ from the boot CPU's: VMX off here\n", pc->cpu_id);
            return -ENODEV;
        }
    }
    /* 24.8: CR0 and CR4 must honour the fixed bits (NE is one of them). */
    write_cr0(vmx_fix_cr(read_cr0(), m.cr0_fixed0, m.cr0_fixed1));
    write_cr4(vmx_fix_cr(read_cr4() | X86_CR4_VMXE, m.cr4_fixed0, m.cr4_fixed1));
    region = alloc_pages(0);
    if (!region)
        return -ENOMEM;
    memset(phys_to_virt(region), 0, PAGE_SIZE);
    *(uint32_t *)phys_to_virt(region) = vmx_cfg.revision;
    rc = vmxon(region);
    if (rc) {
        pr_err("CPU%u: VMXON failed (%d)\n", pc->cpu_id, rc);
        free_pages(region, 0);
        return -EIO;
    }
    vmxon_region[pc->cpu_id] = region;
    /* A fresh VMXON: drop any stale EPT/VPID translations (28.3.3.4). */
    invept(INVEPT_ALL_CONTEXT, 0);
    if (vmx_cfg.has_vpid)
        invvpid(INVVPID_ALL_CONTEXT, 0, 0);
    if (bsp) {
        vmx_ok = 1;
        vmx_vendor.has_xsaves = vmx_cfg.has_xsaves;
        vmx_vendor.has_rdtscp = (vmx_cfg.proc2 & CPU2_ENABLE_RDTSCP) != 0;
        vmx_vendor.has_invpcid = (vmx_cfg.proc2 & CPU2_ENABLE_INVPCID) != 0;
        pr_info("VMX: revision %#x, EPT%s%s%s, VPID %s, unrestricted guest, preemption timer %s\n",
                vmx_cfg.revision, vmx_cfg.has_ept_2m ? " 2M" : "", vmx_cfg.has_ept_1g ? " 1G" : "",
                vmx_cfg.has_ept_ad ? " A/D" : "", vmx_cfg.has_vpid ? "on" : "off",
                vmx_cfg.has_preemption_timer ? "yes" : "no");
    }
    return 0;
}

/* ---- domains: EPT and the I/O and MSR bitmaps --------------------------- */

static int vmx_domain_init(struct domain *d)
{
    struct ept *e = &d->arch.ept;
    uint64_t io, msr;

    if (!vmx_ok)
        return -ENODEV;
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
static void entry32(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx);

/* Make @v's VMCS current on this CPU, where it stays active between runs (25.11.1). */
static int vmcs_load(struct vcpu *v)
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

/* A segment for the guest's initial state (AR bytes: 25.4.1, table 25-2); base 0. */
static void guest_seg(uint32_t sel_f, uint16_t sel, uint32_t base_f, uint32_t limit_f,
                      uint32_t ar_f, uint32_t ar, uint32_t limit)
{
    vmcs_write_checked(sel_f, sel);
    vmcs_write_checked(base_f, 0);
    vmcs_write_checked(limit_f, limit);
    vmcs_write_checked(ar_f, ar);
}

/* DS, ES, SS, FS and GS alike, as every entry state here has them. */
static void guest_data_segs(uint16_t sel, uint32_t limit, uint32_t ar)
{
    static const uint32_t f[][4] = {
        { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
        { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
        { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
        { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
        { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
    };

    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        guest_seg(f[i][0], sel, f[i][1], f[i][2], f[i][3], ar, limit);
}

#define AR_CODE32   0xc09b      /* G, D/B, P, S, type 11 (code, read, accessed) */
#define AR_DATA32   0xc093      /* G, D/B, P, S, type 3 (data, write, accessed) */
#define AR_TSS32    0x008b      /* P, type 11 (busy 32-bit TSS) */
#define AR_UNUSABLE (1u << 16)

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
        v->arch.vpid = vpid_alloc();
        if (!v->arch.vpid)
            return -ENOSPC;
    }
    prev = vmcs_borrow(v);
    if (vmx_cfg.has_vpid)
        vmcs_write16(VIRTUAL_PROCESSOR_ID, v->arch.vpid);
    vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
    vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx_cfg.proc);
    vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_cfg.proc2 & ~(vmx_cfg.has_vpid ? 0 : CPU2_ENABLE_VPID));
    /*
     * 25.6.20: XSAVES/XRSTORS exit when IA32_XSS & this bitmap is not 0. A
     * guest's XSS may hold only the supervisor components the policy
     * offers (none: WRMSR checks it), so this never fires; it is the second
     * wall should a component (Processor Trace: an output base outside EPT)
     * ever reach XSS.
     */
    if (vmx_cfg.has_xsaves)
        vmcs_write64(XSS_EXIT_BITMAP, ~pol_xss_allowed());
    vmcs_write32(VM_EXIT_CONTROLS, vmx_cfg.exit);
    vmcs_write32(VM_ENTRY_CONTROLS, vmx_cfg.entry);
    vmcs_write32(EXCEPTION_BITMAP, 1u << 18);        /* #MC: the host's to handle */
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
    entry32(v, 0, 0, 0);
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
            vpid_free(v->arch.vpid);
            v->arch.vpid = 0;
        }
        free_pages(v->arch.vmcs, 0);
        v->arch.vmcs = 0;
    }
}

/* Multiboot (v1) machine state, 3.2: flat 32-bit protected mode, paging off. */
static void entry32(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    uint64_t cr0 = X86_CR0_PE | X86_CR0_ET;
    uint64_t launched = v->arch.regs.launched;      /* a property of the VMCS, not the guest */

    memset(&v->arch.regs, 0, sizeof(v->arch.regs));
    v->arch.regs.launched = launched;
    v->arch.regs.rax = eax;
    v->arch.regs.rbx = ebx;
    guest_seg(GUEST_CS_SELECTOR, 0x08, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, AR_CODE32,
              0xffffffff);
    guest_data_segs(0x10, 0xffffffff, AR_DATA32);
    vmcs_write16(GUEST_LDTR_SELECTOR, 0);
    vmcs_writel(GUEST_LDTR_BASE, 0);
    vmcs_write32(GUEST_LDTR_LIMIT, 0);
    vmcs_write32(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
    vmcs_write16(GUEST_TR_SELECTOR, 0);
    vmcs_writel(GUEST_TR_BASE, 0);
    vmcs_write32(GUEST_TR_LIMIT, 0xff);
    vmcs_write32(GUEST_TR_AR_BYTES, AR_TSS32);
    vmcs_writel(GUEST_GDTR_BASE, 0);
    vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
    vmcs_writel(GUEST_IDTR_BASE, 0);
    vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
    vmx_set_guest_cr0(cr0);
    vmx_set_guest_cr4(0);
    vmcs_writel(GUEST_CR3, 0);
    hvm_debug_regs_reset(v);
    vmcs_writel(GUEST_RSP, 0);
    vmcs_writel(GUEST_RIP, eip);
    vmcs_writel(GUEST_RFLAGS, 0x2);
    vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write64(GUEST_IA32_EFER, 0);
    v->arch.pat = 0x0007040600070406ull;                        /* power-on PAT */
    v->arch.mtrr_def_type = 0x806;
    if (vmx_cfg.entry & ENTRY_LOAD_IA32_PAT)
        vmcs_write64(GUEST_IA32_PAT, v->arch.pat);
    vmcs_write32(GUEST_SYSENTER_CS, 0);
    vmcs_writel(GUEST_SYSENTER_ESP, 0);
    vmcs_writel(GUEST_SYSENTER_EIP, 0);
    vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
    vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    vmcs_write32(VM_ENTRY_CONTROLS, vmx_cfg.entry & ~ENTRY_IA32E_MODE_GUEST);
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

/* Linux's 64-bit entry (virt/hvm.c sets RSI). */
static void entry64(struct vcpu *v, uint64_t rip, uint64_t cr3, uint64_t gdt)
{
    entry32(v, 0, 0, 0);                    /* everything else as after a multiboot entry */
    guest_data_segs(0x18, 0xffffffff, AR_DATA32);
    vmcs_write16(GUEST_CS_SELECTOR, 0x10);
    vmcs_write32(GUEST_CS_AR_BYTES, 0xa09b);   /* G, L, P, S, code */
    vmcs_writel(GUEST_GDTR_BASE, gdt);
    vmcs_write32(GUEST_GDTR_LIMIT, 0x1f);
    vmx_set_guest_cr4(X86_CR4_PAE);
    vmx_set_guest_cr0(X86_CR0_PE | X86_CR0_PG | X86_CR0_ET);
    vmcs_writel(GUEST_CR3, cr3);
    vmcs_write64(GUEST_IA32_EFER, EFER_LME | EFER_LMA);
    vmcs_write32(VM_ENTRY_CONTROLS, vmx_cfg.entry | ENTRY_IA32E_MODE_GUEST);
    vmcs_writel(GUEST_RIP, rip);
}

/* 9.1.4 / 28.2: after SIPI, real mode at vector:0000 with CS.base = vector << 12. */
void vmx_vcpu_start_real(struct vcpu *v, uint8_t vector)
{
    uint64_t cr0 = X86_CR0_ET;

    guest_data_segs(0, 0xffff, 0x93);          /* real-mode data: present, read/write */
    vmcs_write16(GUEST_CS_SELECTOR, (uint16_t)vector << 8);
    vmcs_writel(GUEST_CS_BASE, (uint64_t)vector << 12);
    vmcs_write32(GUEST_CS_LIMIT, 0xffff);
    vmcs_write32(GUEST_CS_AR_BYTES, 0x9b);
    vmx_set_guest_cr0(cr0);
    vmx_set_guest_cr4(0);
    vmcs_write64(GUEST_IA32_EFER, 0);
    vmcs_write32(VM_ENTRY_CONTROLS, vmx_cfg.entry & ~ENTRY_IA32E_MODE_GUEST);
    vmcs_writel(GUEST_RFLAGS, 0x2);
    vmcs_writel(GUEST_RIP, 0);
    vmcs_writel(GUEST_RSP, 0);
    vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
}

/* ---- the run loop ------------------------------------------------------ */

/* Indexed by basic exit reason (appendix C); a hole is an unexpected exit. */
static const vmx_exit_handler exit_handlers[EXIT_REASON_MAX] = {
    [EXIT_REASON_EXCEPTION_NMI] = vmexit_exception_nmi,
    [EXIT_REASON_EXTERNAL_INTERRUPT] = vmexit_external_interrupt,
    [EXIT_REASON_TRIPLE_FAULT] = vmexit_triple_fault,
    [EXIT_REASON_INIT_SIGNAL] = vmexit_init,
    [EXIT_REASON_SIPI] = vmexit_sipi,
    [EXIT_REASON_INTERRUPT_WINDOW] = vmexit_interrupt_window,
    [EXIT_REASON_NMI_WINDOW] = vmexit_nmi_window,
    [EXIT_REASON_CPUID] = vmexit_cpuid,
    [EXIT_REASON_HLT] = vmexit_hlt,
    [EXIT_REASON_INVD] = vmexit_wbinvd,
    [EXIT_REASON_VMCALL] = vmexit_vmcall,
    [EXIT_REASON_VMCLEAR] = vmexit_vmx_instruction,
    [EXIT_REASON_VMLAUNCH] = vmexit_vmx_instruction,
    [EXIT_REASON_VMPTRLD] = vmexit_vmx_instruction,
    [EXIT_REASON_VMPTRST] = vmexit_vmx_instruction,
    [EXIT_REASON_VMREAD] = vmexit_vmx_instruction,
    [EXIT_REASON_VMRESUME] = vmexit_vmx_instruction,
    [EXIT_REASON_VMWRITE] = vmexit_vmx_instruction,
    [EXIT_REASON_VMOFF] = vmexit_vmx_instruction,
    [EXIT_REASON_VMON] = vmexit_vmx_instruction,
    [EXIT_REASON_INVEPT] = vmexit_vmx_instruction,
    [EXIT_REASON_INVVPID] = vmexit_vmx_instruction,
    [EXIT_REASON_CR_ACCESS] = vmexit_cr_access,
    [EXIT_REASON_DR_ACCESS] = vmexit_dr_access,
    [EXIT_REASON_RDPMC] = vmexit_rdpmc,
    [EXIT_REASON_IO_INSTRUCTION] = vmexit_io,
    [EXIT_REASON_MSR_READ] = vmexit_msr_read,
    [EXIT_REASON_MSR_WRITE] = vmexit_msr_write,
    [EXIT_REASON_EPT_VIOLATION] = vmexit_ept_violation,
    [EXIT_REASON_EPT_MISCONFIG] = vmexit_ept_misconfig,
    [EXIT_REASON_PREEMPTION_TIMER] = vmexit_preemption_timer,
    [EXIT_REASON_WBINVD] = vmexit_wbinvd,
    [EXIT_REASON_XSETBV] = vmexit_xsetbv,
};

static void entry_failed(struct vcpu *v, int vmfail)
{
    if (vmfail)
        domain_crash(v->domain, "VM entry failed: VM-instruction error %u",
                     vmcs_read32(VM_INSTRUCTION_ERROR));
    else
        domain_crash(v->domain, "VM entry failed: invalid guest state (exit reason %#x, qualification %lu)",
                     vmcs_read32(VM_EXIT_REASON), (unsigned long)vmcs_readl(EXIT_QUALIFICATION));
    vmcs_dump();
}

/* Exit reasons that can interrupt the delivery of an event (28.2.4). */
#define DURING_DELIVERY ((1ull << EXIT_REASON_EXCEPTION_NMI) | (1ull << EXIT_REASON_TRIPLE_FAULT) | \
                         (1ull << EXIT_REASON_TASK_SWITCH) | (1ull << EXIT_REASON_APIC_ACCESS) | \
                         (1ull << EXIT_REASON_EPT_VIOLATION) | (1ull << EXIT_REASON_EPT_MISCONFIG) | \
                         (1ull << EXIT_REASON_PML_FULL))

/* Put a queued event into the VMCS for the next entry (SDM 26.6). */
static inline void prepare_entry(struct vcpu *v)
{
    struct domain *d = v->domain;
    uint64_t gen;

    __atomic_store_n(&v->arch.in_guest, 1, __ATOMIC_SEQ_CST);
    gen = __atomic_load_n(&d->arch.p2m_gen, __ATOMIC_SEQ_CST);
    if (__builtin_expect(gen != v->arch.p2m_gen_seen, 0)) {
        vmx_flush_ept(d);
        __atomic_store_n(&v->arch.p2m_gen_seen, gen, __ATOMIC_SEQ_CST);
    }
    if (v->arch.pending_event) {
        /* hvm.h's EVENT_* encoding is VM entry's interruption information (24.8.3). */
        vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->arch.pending_event);
        if (v->arch.pending_event & INTR_INFO_DELIVER_CODE)
            vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, v->arch.pending_error);
        vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
        v->arch.pending_event = 0;
    }
}

/* Every exit but the two hottest: a failed entry, an interrupted event, the table. */
static __attribute__((noinline)) int exit_other(struct vcpu *v, struct vmx_exit *e)
{
    struct domain *d = v->domain;
    uint32_t idt;

    if (__builtin_expect(e->reason.failed_vmentry, 0)) {
        entry_failed(v, 0);
        return 1;
    }
    /*
     * 28.2.4: an event whose delivery was cut short by this exit is delivered
     * again. Only exits that can happen during event delivery carry one.
     */
    idt = e->reason.basic < 64 && ((1ull << e->reason.basic) & DURING_DELIVERY) ?
          vmcs_read32(IDT_VECTORING_INFO_FIELD) : 0;
    if (idt & INTR_INFO_VALID) {
        v->arch.pending_event = idt & ~INTR_INFO_NMI_UNBLOCK_IRET;
        if (idt & INTR_INFO_DELIVER_CODE)
            v->arch.pending_error = vmcs_read32(IDT_VECTORING_ERROR_CODE);
    }
    if (__builtin_expect(e->reason.basic < EXIT_REASON_MAX && exit_handlers[e->reason.basic] != NULL, 1)) {
        exit_handlers[e->reason.basic](v, e);
    } else {
        domain_crash(d, "unexpected VM exit, reason %u", e->reason.basic);
        vmcs_dump();
    }
    return 0;
}

/* After each VM exit (called by vmentry.S): 0 to enter the guest again. */
int vmx_exit_dispatch(struct vcpu *v)
{
    struct vmx_exit e;

    __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
    v->arch.exits++;
    e.reason.full = vmcs_read32(VM_EXIT_REASON);
    /* CPUID and VMCALL exits are never a failed entry and interrupt no event delivery (28.2.4). */
    if (__builtin_expect(e.reason.full == EXIT_REASON_CPUID, 1))
        vmx_cpuid_exit(v);
    else if (e.reason.full == EXIT_REASON_VMCALL)
        vmexit_vmcall(v, &e);
    else if (exit_other(v, &e))
        return 1;
    if (sched_should_leave(v))
        return 1;
    /* Only a guest using its LAPIC (or with the preemption timer on) has events to deliver. */
    if (hvm_events_possible(v))
        hvm_deliver_events(v);
    prepare_entry(v);
    return 0;
}

/* Run @v here until the scheduler wants the CPU back (sched_should_leave()). */
static void vmx_vcpu_run(struct vcpu *v)
{
    if (vmcs_load(v)) {
        domain_crash(v->domain, "cannot load the VMCS of vCPU%u", v->id);
        return;
    }
    hvm_state_switch_to(v);
    if (v->arch.sipi_vector >= 0) {
        vmx_vcpu_start_real(v, (uint8_t)v->arch.sipi_vector);
        v->arch.sipi_vector = -1;
    }
    hvm_deliver_events(v);
    prepare_entry(v);
    if (vmx_run(&v->arch.regs, v)) {
        __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
        entry_failed(v, 1);
    }
}

/* On @v's CPU, @v not running: its state to memory, its VMCS cleared, so any CPU may take it. */
static void vmx_vcpu_unload(struct vcpu *v)
{
    struct percpu *pc = this_cpu();

    if (v->arch.loaded_cpu != (int)pc->cpu_id)
        return;
    vmclear(v->arch.vmcs);
    if (pc->arch.cur_vmcs == v->arch.vmcs)
        pc->arch.cur_vmcs = 0;
    v->arch.loaded_cpu = -1;
    v->arch.regs.launched = 0;
}

static int vmx_vcpu_loaded(const struct vcpu *v)
{
    return v->arch.loaded_cpu >= 0;
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
    .entry32 = entry32,
    .entry64 = entry64,
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

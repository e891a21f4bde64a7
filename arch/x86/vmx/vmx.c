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

#define MSR_IA32_PAT 0x277

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
void vmx_dump_msrs(void)
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

int arch_virt_available(void) { return vmx_ok; }

int arch_virt_cpu_init(int bsp)
{
    struct percpu *pc = this_cpu();
    struct vmx_msrs m;
    char why[96];
    uint64_t fc, region;
    int rc;

    if (!(cpuid(1).ecx & CPUID1_ECX_VMX)) {
        if (bsp)
            pr_warn("VMX: this CPU has no VMX: no guests can run\n");
        return -ENODEV;
    }
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
    /* XSETBV on a guest's behalf needs CR4.OSXSAVE here in root mode (13.3). */
    if (cpuid(1).ecx & CPUID1_ECX_XSAVE)
        write_cr4(read_cr4() | X86_CR4_OSXSAVE);
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
        vmx_switch_init();
        pr_info("VMX: revision %#x, EPT%s%s%s, VPID %s, unrestricted guest, preemption timer %s\n",
                vmx_cfg.revision, vmx_cfg.has_ept_2m ? " 2M" : "", vmx_cfg.has_ept_1g ? " 1G" : "",
                vmx_cfg.has_ept_ad ? " A/D" : "", vmx_cfg.has_vpid ? "on" : "off",
                vmx_cfg.has_preemption_timer ? "yes" : "no");
    }
    return 0;
}

/* ---- domains: EPT and the I/O and MSR bitmaps --------------------------- */

static uint64_t ept_alloc(void *opaque)
{
    (void)opaque;
    return alloc_pages(0);
}

struct ept *vmx_domain_ept(struct domain *d)
{
    return &d->arch.ept;
}

int arch_domain_init(struct domain *d)
{
    struct ept *e = vmx_domain_ept(d);
    uint64_t io, msr;

    if (!vmx_ok)
        return -ENODEV;
    memset(e, 0, sizeof(*e));
    e->ctx.alloc_table = ept_alloc;
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
    return vmx_lapic_domain_init(d);
}

static void free_tables(uint64_t table, unsigned level)
{
    const uint64_t *t = phys_to_virt(table);

    for (unsigned i = 0; level > PT_LEVEL_4K && i < PT_ENTRIES; i++)
        if ((t[i] & EPT_RWX) && !(t[i] & EPT_LARGE))
            free_tables(t[i] & PTE_ADDR_MASK, level - 1);
    free_pages(table, 0);
}

void arch_domain_destroy(struct domain *d)
{
    if (d->arch.ept.root) {
        vmx_flush_ept(d);
        free_tables(d->arch.ept.root, PT_LEVEL_PML4);
    }
    if (d->arch.io_bitmap)
        free_pages(virt_to_phys(d->arch.io_bitmap), 1);
    if (d->arch.msr_bitmap)
        free_pages(virt_to_phys(d->arch.msr_bitmap), 0);
    memset(&d->arch, 0, sizeof(d->arch));
}

int arch_domain_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    return ept_map(vmx_domain_ept(d), gpa, hpa, size, EPT_RWX, EPT_MT_WB);
}

int arch_domain_map_host(struct domain *d, uint64_t pa, uint64_t size, int cached)
{
    return ept_map(vmx_domain_ept(d), pa, pa, size, EPT_RWX, cached ? EPT_MT_WB : EPT_MT_UC);
}

int arch_foreign_map(struct domain *dom0, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    struct ept *e = vmx_domain_ept(dom0);

    if ((gpa | hpa | size) & 0xfff || !size || gpa + size < gpa)
        return -EINVAL;
    /* Leaf by leaf: a leaf that maps its first page to itself maps every page to itself. */
    for (uint64_t off = 0; off < size;) {
        uint64_t pa, perm;
        unsigned mt, level;
        if (ept_lookup(e, gpa + off, &pa, &perm, &mt, &level) || pa != gpa + off || mt != EPT_MT_UC ||
            perm != EPT_RWX)
            return -EINVAL;             /* RAM, a page Keel keeps, firmware memory or a mapping already */
        off += pt_level_size(level) - ((gpa + off) & (pt_level_size(level) - 1));
    }
    return ept_map(e, gpa, hpa, size, EPT_RWX, EPT_MT_WB);
}

void arch_foreign_unmap(struct domain *dom0, uint64_t gpa, uint64_t size)
{
    if (arch_domain_map_host(dom0, gpa, size, 0))
        panic("dom0: cannot put passthrough back at %#lx", (unsigned long)gpa);
}

/*
 * Bump the domain's generation, then wait until no vCPU is in guest mode
 * with an older one (each INVEPTs on its CPU before entering: prepare_entry).
 * in_guest is set before the generation is read on the entry side, and
 * read after it is bumped here (both with full barriers), so one of the
 * two sides sees the other.
 */
void arch_domain_flush_tlbs(struct domain *d)
{
    uint64_t gen = __atomic_add_fetch(&d->arch.ept_gen, 1, __ATOMIC_SEQ_CST);

    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        while (__atomic_load_n(&v->arch.in_guest, __ATOMIC_SEQ_CST) &&
               __atomic_load_n(&v->arch.ept_gen_seen, __ATOMIC_SEQ_CST) != gen) {
            arch_cpu_kick(v->processor);
            for (unsigned spin = 0; spin < 1000; spin++)
                cpu_relax();
        }
    }
    /* The caller may be one of @d's vCPUs, between exit and entry on this CPU: prepare_entry flushes. */
}

void arch_domain_io_passthrough(struct domain *d, uint32_t port, uint32_t count, int pass)
{
    /* 25.6.4: bitmap A covers ports 0-0x7fff, B 0x8000-0xffff; a set bit exits. */
    for (uint32_t p = port; p < port + count && p < 0x10000; p++) {
        if (pass)
            d->arch.io_bitmap[p / 8] &= (uint8_t)~(1u << (p % 8));
        else
            d->arch.io_bitmap[p / 8] |= (uint8_t)(1u << (p % 8));
    }
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

int arch_vcpu_init(struct vcpu *v)
{
    struct domain *d = v->domain;
    uint64_t vmcs = alloc_pages(0), prev;

    if (!vmx_ok || !vmcs)
        return -ENODEV;
    memset(phys_to_virt(vmcs), 0, PAGE_SIZE);
    *(uint32_t *)phys_to_virt(vmcs) = vmx_cfg.revision;
    v->arch.vmcs = vmcs;
    v->arch.loaded_cpu = -1;
    if (vmx_vcpu_state_init(v) || vmclear(vmcs))
        return -ENOMEM;
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
    v->arch.tsc_offset = 0;
    v->arch.misc_enable = MISC_ENABLE_RESET;
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
    vmx_cpuid_init(v);
    vmx_lapic_init(v);
    /* Cleared: the CPU that runs the vCPU loads it there (25.11.1). */
    vmcs_return(v, prev);
    return 0;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    vmx_vcpu_state_free(v);
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
    vmx_debug_regs_reset(v);
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

/* The vCPU is on no CPU (a domain being built, or paused). */
void arch_vcpu_set_entry32(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    uint64_t prev = vmcs_borrow(v);

    entry32(v, eip, eax, ebx);
    vmcs_return(v, prev);
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

/*
 * Linux's 64-bit boot protocol state (boot.rst, "64-bit BOOT PROTOCOL"):
 * long mode with paging on identity tables at @cr3, CS = __BOOT_CS (0x10)
 * and the data segments __BOOT_DS (0x18) from the GDT at @gdt, interrupts
 * off, RSI = boot_params.
 */
void arch_vcpu_set_entry64(struct vcpu *v, uint64_t rip, uint64_t rsi, uint64_t cr3, uint64_t gdt)
{
    uint64_t prev = vmcs_borrow(v);

    entry32(v, 0, 0, 0);                    /* everything else as after a multiboot entry */
    guest_data_segs(0x18, 0xffffffff, AR_DATA32);
    vmcs_write16(GUEST_CS_SELECTOR, 0x10);
    vmcs_write32(GUEST_CS_AR_BYTES, 0xa09b);   /* G, L, P, S, code */
    vmcs_writel(GUEST_GDTR_BASE, gdt);
    vmcs_write32(GUEST_GDTR_LIMIT, 0x1f);
    vmx_set_guest_cr4(X86_CR4_PAE);
    vmx_set_guest_cr0(X86_CR0_PE | X86_CR0_PG | X86_CR0_ET);
    vmcs_writel(GUEST_CR3, cr3);
    vmcs_write64(GUEST_IA32_EFER, EFER_LME | (1ull << 10));   /* LME | LMA */
    vmcs_write32(VM_ENTRY_CONTROLS, vmx_cfg.entry | ENTRY_IA32E_MODE_GUEST);
    vmcs_writel(GUEST_RIP, rip);
    v->arch.regs.rsi = rsi;
    vmcs_return(v, prev);
}

_Static_assert(offsetof(struct guest_regs, r15) == 15 * 8, "guest_regs: GPRs in encoding order");

void arch_vcpu_get_context(struct vcpu *v, struct keel_vcpu_context *c)
{
    uint64_t prev = vmcs_borrow(v);

    memset(c, 0, sizeof(*c));
    memcpy(c->gpr, &v->arch.regs.rax, sizeof(c->gpr));
    c->gpr[4] = vmcs_readl(GUEST_RSP);
    c->rip = vmcs_readl(GUEST_RIP);
    c->rflags = vmcs_readl(GUEST_RFLAGS);
    c->cr0 = vmx_guest_cr0();
    c->cr3 = vmcs_readl(GUEST_CR3);
    c->cr4 = vmx_guest_cr4();
    c->efer = vmcs_read64(GUEST_IA32_EFER);
    c->fs_base = vmcs_readl(GUEST_FS_BASE);
    c->gs_base = vmcs_readl(GUEST_GS_BASE);
    c->cs = vmcs_read16(GUEST_CS_SELECTOR);
    c->ss = vmcs_read16(GUEST_SS_SELECTOR);
    c->ds = vmcs_read16(GUEST_DS_SELECTOR);
    c->es = vmcs_read16(GUEST_ES_SELECTOR);
    c->fs = vmcs_read16(GUEST_FS_SELECTOR);
    c->gs = vmcs_read16(GUEST_GS_SELECTOR);
    vmcs_return(v, prev);
}

/* RIP and RFLAGS as VM entry checks them (asm/guest_state.h). */
int arch_vcpu_set_context(struct vcpu *v, const struct keel_vcpu_context *c)
{
    uint64_t prev = vmcs_borrow(v);
    int lma = (vmcs_read64(GUEST_IA32_EFER) & (1ull << 10)) != 0;
    int code64 = lma && (vmcs_read32(GUEST_CS_AR_BYTES) & (1u << 13));
    int ok = x86_rip_rflags_ok(c->rip, c->rflags, lma, code64, (vmx_guest_cr4() & X86_CR4_LA57) != 0);

    if (ok) {
        memcpy(&v->arch.regs.rax, c->gpr, sizeof(c->gpr));
        vmcs_writel(GUEST_RSP, c->gpr[4]);
        vmcs_writel(GUEST_RIP, c->rip);
        vmcs_writel(GUEST_RFLAGS, c->rflags);
    }
    vmcs_return(v, prev);
    return ok ? 0 : -EINVAL;
}

/* ---- events ------------------------------------------------------------ */

static int contributory(unsigned vec) { return vec == 0 || (vec >= 10 && vec <= 13); }

void vmx_inject_exception(struct vcpu *v, unsigned vector, int has_error, uint32_t error)
{
    uint32_t prev = v->arch.pending_event;

    /* 6.15 table 6-5: a second fault while delivering the first. */
    if (prev & INTR_INFO_VALID && (prev & INTR_INFO_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION) {
        unsigned pv = prev & INTR_INFO_VECTOR_MASK;
        if (pv == 8) {
            domain_crash(v->domain, "triple fault (fault while delivering #DF)");
            return;
        }
        if ((contributory(pv) && contributory(vector)) || (pv == 14 && (contributory(vector) || vector == 14))) {
            vector = 8;
            has_error = 1;
            error = 0;
        }
    }
    v->arch.pending_event = INTR_INFO_VALID | INTR_TYPE_HARD_EXCEPTION | vector |
                            (has_error ? INTR_INFO_DELIVER_CODE : 0);
    v->arch.pending_error = error;
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
    gen = __atomic_load_n(&d->arch.ept_gen, __ATOMIC_SEQ_CST);
    if (__builtin_expect(gen != v->arch.ept_gen_seen, 0)) {
        vmx_flush_ept(d);
        __atomic_store_n(&v->arch.ept_gen_seen, gen, __ATOMIC_SEQ_CST);
    }
    if (v->arch.pending_event) {
        vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->arch.pending_event);
        if (v->arch.pending_event & INTR_INFO_DELIVER_CODE)
            vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, v->arch.pending_error);
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
    if (v->arch.lapic.deadline || (v->arch.lapic.svr & SVR_ENABLED) || v->arch.ptimer_on)
        vmx_deliver_events(v);
    prepare_entry(v);
    return 0;
}

/* Run @v here until the scheduler wants the CPU back (sched_should_leave()). */
void arch_vcpu_run(struct vcpu *v)
{
    if (vmcs_load(v)) {
        domain_crash(v->domain, "cannot load the VMCS of vCPU%u", v->id);
        return;
    }
    vmx_state_switch_to(v);
    if (v->arch.sipi_vector >= 0) {
        vmx_vcpu_start_real(v, (uint8_t)v->arch.sipi_vector);
        v->arch.sipi_vector = -1;
    }
    vmx_deliver_events(v);
    prepare_entry(v);
    if (vmx_run(&v->arch.regs, v)) {
        __atomic_store_n(&v->arch.in_guest, 0, __ATOMIC_RELEASE);
        entry_failed(v, 1);
    }
}

/* On @v's CPU, @v not running: its state to memory, its VMCS cleared, so any CPU may take it. */
void arch_vcpu_unload(struct vcpu *v)
{
    struct percpu *pc = this_cpu();

    vmx_state_release(v);
    if (v->arch.loaded_cpu != (int)pc->cpu_id)
        return;
    vmclear(v->arch.vmcs);
    if (pc->arch.cur_vmcs == v->arch.vmcs)
        pc->arch.cur_vmcs = 0;
    v->arch.loaded_cpu = -1;
    v->arch.regs.launched = 0;
}

int arch_vcpu_loaded(const struct vcpu *v)
{
    return v->arch.loaded_cpu >= 0;
}

/*
 * What changes hands when a physical CPU switches from one vCPU to another:
 * the state VM entry and exit (or VMRUN and #VMEXIT) do not load (SDM
 * 27.3/28.5, APM 15.5.1 list what they do):
 * x87/SSE/AVX and the other XSAVE components (Vol. 1 ch. 13), XCR0,
 * IA32_XSS, the SYSCALL MSRs, KERNEL_GS_BASE, TSC_AUX, CR2 (only guest
 * mode and Keel's own #PF injections change it: Keel takes no page
 * faults) and, once the vCPU has used them, DR0-3 and DR6 (DR7 is in the
 * VMCS or VMCB; so is DR6 on SVM, which keeps it too). Switched lazily:
 * only when the next vCPU on a CPU is not the one whose state is loaded.
 */
#include <errno.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <asm/lapic.h>
#include <asm/processor.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <asm/hvm.h>
#define XSAVE_AREA_ORDER        1           /* 8 KiB: more than any XSAVE layout needs today */
#define XCOMP_BV_COMPACTED      (1ull << 63)

static int have_xsave, have_tsc_aux, use_xsaves, have_ibpb;
static uint64_t full_xcr0, full_xss;        /* every component this CPU supports */

void hvm_switch_init(void)
{
    have_xsave = (cpuid(1).ecx & CPUID1_ECX_XSAVE) != 0;
    have_ibpb = (cpuid_count(7, 0).edx >> 26) & 1;
    have_tsc_aux = ((cpuid(0x80000001).edx >> 27) & 1) || ((cpuid_count(7, 0).ecx >> 22) & 1);
    if (have_xsave) {
        struct cpuid_regs d0 = cpuid_count(0xd, 0), d1 = cpuid_count(0xd, 1);
        const struct pol_host none = { 0, 0, 0, 0 };
        uint32_t size;
        /* What a guest can enable (asm/cpu_policy.h), of what the CPU has: never AMX's 8 KiB. */
        full_xcr0 = (((uint64_t)d0.edx << 32) | d0.eax) & pol_xcr0_allowed(&none);
        full_xss = hvm->has_xsaves ? (((uint64_t)d1.edx << 32) | d1.ecx) & pol_xss_allowed() : 0;
        /* Supervisor components to switch: the compacted format is needed; else the standard one. */
        use_xsaves = full_xss != 0;
        size = cpuid_xsave_size(full_xcr0 | full_xss, use_xsaves, cpuid_host);
        if (size > (PAGE_SIZE << XSAVE_AREA_ORDER))
            panic("XSAVE area of %u bytes: more than Keel keeps per vCPU", size);
    }
}

int hvm_vcpu_state_init(struct vcpu *v)
{
    uint64_t pa = alloc_pages(XSAVE_AREA_ORDER);

    if (!pa)
        return -ENOMEM;
    v->arch.xsave_area = phys_to_virt(pa);
    memset(v->arch.xsave_area, 0, PAGE_SIZE << XSAVE_AREA_ORDER);
    v->arch.xcr0 = 1;                               /* x87 only, as after RESET (13.3) */
    v->arch.xss = 0;
    v->arch.xsave_valid = 0;
    /* Without XSAVE: FXRSTOR's image of FNINIT's state (FCW 0x37f, MXCSR 0x1f80). */
    if (!have_xsave) {
        v->arch.xsave_area[0] = 0x7f;
        v->arch.xsave_area[1] = 0x03;
        v->arch.xsave_area[24] = 0x80;
        v->arch.xsave_area[25] = 0x1f;
    }
    return 0;
}

void hvm_vcpu_state_free(struct vcpu *v)
{
    if (v->arch.xsave_area)
        free_pages(virt_to_phys(v->arch.xsave_area), XSAVE_AREA_ORDER);
    v->arch.xsave_area = NULL;
}

static void dr_save(struct vcpu_arch *a)
{
    for (unsigned i = 0; i < 4; i++)
        a->dr[i] = read_dr(i);
    a->dr6 = read_dr(6);
}

static void dr_set(const uint64_t dr[4], uint64_t dr6)
{
    for (unsigned i = 0; i < 4; i++)
        write_dr(i, dr[i]);
    write_dr(6, dr6);
}

static const uint64_t dr_zero[4];

/*
 * A vCPU without dr_live runs with the CPU's DR0-3 at 0 and DR6 at its
 * RESET value (hvm_state_switch_to() clears another vCPU's), and exits on
 * every MOV DR; its DR7 (VMCS/VMCB) cannot enable a breakpoint it never set.
 * Only its own #DBs change DR6 meanwhile (a single step sets BS), so at
 * its first MOV DR the CPU's DR6 is its DR6.
 */
void hvm_debug_regs_claim(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;

    a->dr6 = read_dr(6);
    dr_set(a->dr, a->dr6);
    a->dr_live = 1;
    this_cpu()->arch.dr_dirty = 1;
    hvm->dr_intercept(v, 0);
}

void hvm_debug_regs_reset(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;

    memset(a->dr, 0, sizeof(a->dr));
    a->dr6 = DR6_RESET;
    a->dr_live = 0;
    a->halt_step = 0;
    hvm->dr_intercept(v, 1);
    hvm_set(v, HVM_DR7, 0x400);
    hvm_set(v, HVM_DEBUGCTL, 0);
}

static void state_save(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;

    if (a->dr_live)
        dr_save(a);
    if (!hvm->switches_syscall_msrs) {
        a->regs.cr2 = read_cr2();
        a->star = rdmsr(MSR_STAR);
        a->lstar = rdmsr(MSR_LSTAR);
        a->cstar = rdmsr(MSR_CSTAR);
        a->sfmask = rdmsr(MSR_SFMASK);
        a->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
    }
    if (have_tsc_aux)
        a->tsc_aux = rdmsr(MSR_TSC_AUX);
    if (!have_xsave) {
        __asm__ volatile("fxsave64 (%0)" :: "r"(a->xsave_area) : "memory");
        return;
    }
    a->xcr0 = xgetbv(0);
    if (use_xsaves) {
        a->xss = rdmsr(MSR_IA32_XSS);
        xsaves(a->xsave_area, a->xcr0 | a->xss);
    } else {
        xsave(a->xsave_area, a->xcr0);
    }
    a->xsave_valid = 1;
}

/*
 * The XSAVE header's rules (13.8.1 for XRSTOR's standard form, 13.12 for
 * XRSTORS): what Keel saved must pass them, or XRSTOR(S) would #GP in root mode.
 */
static int xsave_header_ok(const struct vcpu_arch *a)
{
    const uint64_t *h = (const uint64_t *)(a->xsave_area + 512);
    uint64_t comp = h[1] & ~XCOMP_BV_COMPACTED;

    for (int i = 2; i < 8; i++)
        if (h[i])
            return 0;
    if (!use_xsaves)
        return h[1] == 0 && !(h[0] & ~full_xcr0);
    return (h[1] & XCOMP_BV_COMPACTED) && !(comp & ~(full_xcr0 | full_xss)) && !(h[0] & ~comp);
}

static void state_load(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;

    if (a->dr_live)
        dr_set(a->dr, a->dr6);
    if (!hvm->switches_syscall_msrs) {
        write_cr2(a->regs.cr2);
        wrmsr(MSR_STAR, a->star);
        wrmsr(MSR_LSTAR, a->lstar);
        wrmsr(MSR_CSTAR, a->cstar);
        wrmsr(MSR_SFMASK, a->sfmask);
        wrmsr(MSR_KERNEL_GS_BASE, a->kernel_gs_base);
    }
    if (have_tsc_aux)
        wrmsr(MSR_TSC_AUX, a->tsc_aux);
    if (!have_xsave) {
        __asm__ volatile("fxrstor64 (%0)" :: "r"(a->xsave_area) : "memory");
        return;
    }
    /*
     * Restore with every component enabled: those this vCPU never saved come
     * back in their initial state, so no other vCPU's registers survive in
     * a component it enables later (13.8.1: XRSTOR initializes a component
     * that is in RFBM but not in XSTATE_BV).
     */
    if (a->xsave_valid && !xsave_header_ok(a)) {
        domain_crash(v->domain, "vCPU%u: saved XSAVE header invalid (XSTATE_BV %#lx XCOMP_BV %#lx)", v->id,
                     (unsigned long)((uint64_t *)(a->xsave_area + 512))[0],
                     (unsigned long)((uint64_t *)(a->xsave_area + 512))[1]);
        memset(a->xsave_area + 512, 0, 64);     /* restore the initial state instead */
        a->xsave_valid = 0;
    }
    xsetbv(0, full_xcr0);
    if (use_xsaves) {
        wrmsr(MSR_IA32_XSS, full_xss);
        if (!a->xsave_valid)
            memcpy(a->xsave_area + 512 + 8, &(uint64_t){ XCOMP_BV_COMPACTED }, 8);
        xrstors(a->xsave_area, full_xcr0 | full_xss);
        wrmsr(MSR_IA32_XSS, a->xss);
    } else {
        xrstor(a->xsave_area, full_xcr0);
    }
    xsetbv(0, a->xcr0);
}

/* Make @v's state outside the VMCS/VMCB the CPU's (called with its VMCS/VMCB current). */
void hvm_state_switch_to(struct vcpu *v)
{
    struct cpu_arch *ca = &this_cpu()->arch;

    if (ca->state_owner == v)
        return;
    /*
     * Another domain's vCPU: no branch prediction trained by the last one
     * may steer this one (IBPB where the CPU has it), nor its return stack.
     */
    if (ca->last_domid != v->domain->id) {
        if (have_ibpb)
            wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
        rsb_fill();
        ca->last_domid = v->domain->id;
    }
    if (ca->state_owner)
        state_save(ca->state_owner);
    state_load(v);
    if (!v->arch.dr_live && ca->dr_dirty)
        dr_set(dr_zero, DR6_RESET);     /* no other vCPU's breakpoints or status bits */
    ca->dr_dirty = v->arch.dr_live;
    ca->state_owner = v;
}

/* Keep @v's state in memory (it leaves this CPU for good, or for a while). */
void hvm_state_release(struct vcpu *v)
{
    struct cpu_arch *ca = &this_cpu()->arch;

    if (ca->state_owner != v)
        return;
    state_save(v);
    ca->state_owner = NULL;
}


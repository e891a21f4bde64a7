/*
 * The vendor is chosen once, on the boot CPU, from CPUID: VMX (Intel) or
 * SVM (AMD). The arch_* hooks hv/ calls for vCPUs land here and reach the
 * vendor through the ops table; what both vendors do alike is done here.
 */
#include <errno.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/guest_state.h>
#include <asm/hvm.h>
#include <asm/processor.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <public/keel.h>

const struct hvm_vendor *hvm;
/*
 * pause_yield= (keel/arch.h): off by default. With it on, a dom0 whose two
 * vCPUs share one CPU (Bochs, VMX) reported a 22 s soft lockup during its
 * boot, where the same boot with PAUSE-loop exits but no yield did not:
 * the round-robin yield is not yet the directed one a spinner needs.
 */
int arch_opt_pause_yield;
static int hvm_ok;

int arch_virt_available(void) { return hvm_ok; }

int arch_virt_cpu_init(int bsp)
{
    int rc;

    if (bsp) {
        if (cpuid(1).ecx & CPUID1_ECX_VMX)
            hvm = &vmx_vendor;
        else if (cpuid(0x80000000).eax >= 0x8000000a && (cpuid(0x80000001).ecx & CPUID_EXT1_ECX_SVM))
            hvm = &svm_vendor;
        else {
            pr_warn("virt: this CPU has neither VMX nor SVM: no guests can run\n");
            return -ENODEV;
        }
    }
    if (!hvm)
        return -ENODEV;
    rc = hvm->cpu_init(bsp);
    /* XSETBV on a guest's behalf (and the lazy XSAVE switch) need CR4.OSXSAVE here (SDM 13.3). */
    if (!rc && (cpuid(1).ecx & CPUID1_ECX_XSAVE))
        write_cr4(read_cr4() | X86_CR4_OSXSAVE);
    if (!rc && bsp) {
        hvm_ok = 1;
        hvm_switch_init();
    }
    return rc;
}

void arch_dump_virt_caps(void)
{
    if (cpuid(1).ecx & CPUID1_ECX_VMX)
        vmx_vendor.dump_caps();
    else if (cpuid(0x80000001).ecx & CPUID_EXT1_ECX_SVM)
        svm_vendor.dump_caps();
}

int arch_domain_init(struct domain *d)
{
    int rc;

    if (!hvm_ok)
        return -ENODEV;
    rc = hvm->domain_init(d);
    return rc ? rc : hvm_lapic_domain_init(d);
}

void arch_domain_destroy(struct domain *d)
{
    if (hvm)
        hvm->domain_destroy(d);
    memset(&d->arch, 0, sizeof(d->arch));
}

int arch_vcpu_init(struct vcpu *v)
{
    int rc;

    if (!hvm_ok)
        return -ENODEV;
    v->arch.loaded_cpu = -1;
    v->arch.tsc_offset = 0;
    v->arch.misc_enable = MISC_ENABLE_RESET;
    rc = hvm_vcpu_state_init(v);
    if (rc)
        return rc;
    hvm_cpuid_init(v);
    hvm_lapic_init(v);
    return hvm->vcpu_init(v);
}

void arch_vcpu_destroy(struct vcpu *v)
{
    if (hvm)
        hvm->vcpu_destroy(v);
    hvm_vcpu_state_free(v);
}

/* ---- entry states --------------------------------------------------------- */

#define AR_CODE32   (SEG_AR_TYPE_CODE_RX_A | SEG_AR_S | SEG_AR_P | SEG_AR_DB | SEG_AR_G)
#define AR_CODE64   (SEG_AR_TYPE_CODE_RX_A | SEG_AR_S | SEG_AR_P | SEG_AR_L | SEG_AR_G)
#define AR_DATA32   (SEG_AR_TYPE_DATA_RW_A | SEG_AR_S | SEG_AR_P | SEG_AR_DB | SEG_AR_G)
#define AR_CODE16   (SEG_AR_TYPE_CODE_RX_A | SEG_AR_S | SEG_AR_P)
#define AR_DATA16   (SEG_AR_TYPE_DATA_RW_A | SEG_AR_S | SEG_AR_P)
#define AR_TSS      (SEG_AR_TYPE_TSS_BUSY | SEG_AR_P)
#define AR_LDT      (SEG_AR_TYPE_LDT | SEG_AR_P)

/* Linux's boot GDT (boot.rst): __BOOT_CS and __BOOT_DS in a table of four descriptors. */
#define LINUX_BOOT_CS   0x10
#define LINUX_BOOT_DS   0x18
#define LINUX_GDT_LIMIT 0x1f
/* Multiboot (v1) 3.2 names no selectors: those of a GDT with code then data after the null entry. */
#define MB_CS           0x08
#define MB_DS           0x10

/* A 4 GiB segment at 0 (the selector's descriptor is the guest's to provide). */
static struct hvm_seg flat(uint16_t sel, uint32_t ar)
{
    return (struct hvm_seg){ sel, ar, 0xffffffff, 0 };
}

/* Multiboot (v1) machine state, 3.2: flat 32-bit protected mode, paging off. */
static void entry_multiboot(struct hvm_entry_state *e, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    *e = (struct hvm_entry_state){
        .cs = flat(MB_CS, AR_CODE32), .data = flat(MB_DS, AR_DATA32),
        .tr = { 0, AR_TSS, 0xff, 0 }, .ldtr = { 0, SEG_AR_UNUSABLE, 0, 0 },
        .gdt_limit = 0xffff, .idt_limit = 0xffff,
        .cr0 = X86_CR0_PE | X86_CR0_ET, .rflags = RFLAGS_FIXED, .rip = eip,
        .reset = 1, .rax = eax, .rbx = ebx,
    };
}

/*
 * Linux's 64-bit boot protocol state (boot.rst, "64-bit BOOT PROTOCOL"):
 * long mode with paging on identity tables at @cr3, CS = __BOOT_CS and
 * the data segments __BOOT_DS from the GDT at @gdt, interrupts off, RSI =
 * boot_params.
 */
static void entry_linux64(struct hvm_entry_state *e, uint64_t rip, uint64_t rsi, uint64_t cr3, uint64_t gdt)
{
    entry_multiboot(e, 0, 0, 0);
    e->cs = flat(LINUX_BOOT_CS, AR_CODE64);
    e->data = flat(LINUX_BOOT_DS, AR_DATA32);
    e->gdt_base = gdt;
    e->gdt_limit = LINUX_GDT_LIMIT;
    e->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
    e->cr3 = cr3;
    e->cr4 = X86_CR4_PAE;
    e->efer = EFER_LME | EFER_LMA;
    e->rip = rip;
    e->rsi = rsi;
}

void hvm_start_ap(struct vcpu *v, uint8_t vector)
{
    /* SDM 9.1.1 table 9-1 and 9.4.4.1: INIT's state, then real mode at vector:0000. */
    const struct hvm_entry_state e = {
        .cs = { (uint16_t)(vector << 8), AR_CODE16, 0xffff, (uint64_t)vector << 12 },
        .data = { 0, AR_DATA16, 0xffff, 0 },
        .tr = { 0, AR_TSS, 0xffff, 0 }, .ldtr = { 0, AR_LDT, 0xffff, 0 },
        .gdt_limit = 0xffff, .idt_limit = 0xffff,
        .cr0 = X86_CR0_ET, .rflags = RFLAGS_FIXED,
    };

    hvm->load_entry(v, &e);
}

static void set_entry(struct vcpu *v, const struct hvm_entry_state *e)
{
    uint64_t tok = hvm->borrow(v);

    hvm->load_entry(v, e);
    hvm->give_back(v, tok);
}

void arch_vcpu_set_entry32(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    struct hvm_entry_state e;

    entry_multiboot(&e, eip, eax, ebx);
    set_entry(v, &e);
}

void arch_vcpu_set_entry64(struct vcpu *v, uint64_t rip, uint64_t rsi, uint64_t cr3, uint64_t gdt)
{
    struct hvm_entry_state e;

    entry_linux64(&e, rip, rsi, cr3, gdt);
    set_entry(v, &e);
}

/* A new vCPU's state before its loader sets one: a multiboot entry at 0. */
void hvm_entry_initial(struct vcpu *v)
{
    struct hvm_entry_state e;

    entry_multiboot(&e, 0, 0, 0);
    hvm->load_entry(v, &e);
}

void arch_vcpu_run(struct vcpu *v)
{
    hvm->vcpu_run(v);
}

void arch_vcpu_unload(struct vcpu *v)
{
    hvm_state_release(v);
    hvm->vcpu_unload(v);
}

int arch_vcpu_loaded(const struct vcpu *v)
{
    return hvm && hvm->vcpu_loaded(v);
}

_Static_assert(offsetof(struct guest_regs, r15) == 15 * 8, "guest_regs: GPRs in encoding order");

void arch_vcpu_get_context(struct vcpu *v, struct keel_vcpu_context *c)
{
    uint64_t tok = hvm->borrow(v);

    memset(c, 0, sizeof(*c));
    memcpy(c->gpr, &v->arch.regs.rax, sizeof(c->gpr));
    c->gpr[4] = hvm_get(v, HVM_RSP);
    c->rip = hvm_get(v, HVM_RIP);
    c->rflags = hvm_get(v, HVM_RFLAGS);
    c->cr0 = hvm_get(v, HVM_CR0);
    c->cr3 = hvm_get(v, HVM_CR3);
    c->cr4 = hvm_get(v, HVM_CR4);
    c->efer = hvm_get(v, HVM_EFER);
    c->fs_base = hvm_get(v, HVM_FS_BASE);
    c->gs_base = hvm_get(v, HVM_GS_BASE);
    c->cs = (uint16_t)hvm_get(v, HVM_CS_SEL);
    c->ss = (uint16_t)hvm_get(v, HVM_SS_SEL);
    c->ds = (uint16_t)hvm_get(v, HVM_DS_SEL);
    c->es = (uint16_t)hvm_get(v, HVM_ES_SEL);
    c->fs = (uint16_t)hvm_get(v, HVM_FS_SEL);
    c->gs = (uint16_t)hvm_get(v, HVM_GS_SEL);
    hvm->give_back(v, tok);
}

/* RIP and RFLAGS as VM entry (or VMRUN) checks them (asm/guest_state.h). */
int arch_vcpu_set_context(struct vcpu *v, const struct keel_vcpu_context *c)
{
    uint64_t tok = hvm->borrow(v);
    int lma = (hvm_get(v, HVM_EFER) & EFER_LMA) != 0;
    int code64 = lma && (hvm_get(v, HVM_CS_AR) & SEG_AR_L);
    int ok = x86_rip_rflags_ok(c->rip, c->rflags, lma, code64, (hvm_get(v, HVM_CR4) & X86_CR4_LA57) != 0);

    if (ok) {
        memcpy(&v->arch.regs.rax, c->gpr, sizeof(c->gpr));
        hvm_set(v, HVM_RSP, c->gpr[4]);
        hvm_set(v, HVM_RIP, c->rip);
        hvm_set(v, HVM_RFLAGS, c->rflags);
    }
    hvm->give_back(v, tok);
    return ok ? 0 : -EINVAL;
}

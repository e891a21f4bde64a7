/*
 * RDMSR/WRMSR exits (SDM 28.1.3, MSR bitmaps 25.6.9; APM 15.11). Only MSRs
 * in the table are emulated; the rest raise #GP in the guest, as on a CPU
 * without them. Guest-state MSRs live in the VMCS or VMCB (EFER, PAT,
 * SYSENTER_*, FS/GS base): hvm_get()/hvm_set().
 */
#include <asm/cpu_ops.h>
#include <asm/cpu_policy.h>
#include <asm/guest_state.h>
#include <asm/processor.h>
#include <keel/log.h>
#include <asm/hvm.h>
#include <keel/domain.h>

#define MSR_IA32_TSC            0x010
#define MSR_IA32_PLATFORM_ID    0x017
#define MSR_IA32_BIOS_SIGN_ID   0x08b
#define MSR_IA32_MTRRCAP        0x0fe
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_IA32_MTRR_DEF_TYPE  0x2ff
#define MSR_AMD_SYSCFG          0xc0010010
#define MSR_AMD_HWCR            0xc0010015
#define MSR_AMD_INT_PENDING_MSG 0xc0010055
#define MSR_AMD_DE_CFG          0xc0011029
#define HWCR_TSC_FREQ_SEL       (1ull << 24)    /* the TSC counts at the P0 rate */
#define DE_CFG_LFENCE_SERIAL    (1ull << 1)

/* AMD's MSRs exist for a guest on an AMD host (its CPUID vendor is the host's). */
static int amd_guest(const struct vcpu *v)
{
    return v->arch.cpuid.basic[0][0].ebx == 0x68747541u;      /* "Auth" */
}

#define EFER_ALLOWED    (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)   /* SCE LME LMA NXE */

enum msr_rc { MSR_OK, MSR_GP };

static int pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t == 2 || t == 3 || t > 7)
            return 0;
    }
    return 1;
}

static enum msr_rc msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_TSC:
        *val = rdtsc() + v->arch.tsc_offset;
        return MSR_OK;
    case MSR_IA32_FEATURE_CONTROL:
        *val = FEATURE_CONTROL_LOCKED;              /* locked, VMX off: no nesting yet */
        return MSR_OK;
    case MSR_IA32_PLATFORM_ID:
    case MSR_IA32_BIOS_SIGN_ID:
    case MSR_IA32_MTRRCAP:                          /* no MTRRs to program */
        *val = 0;
        return MSR_OK;
    case MSR_IA32_MISC_ENABLE:
        *val = v->arch.misc_enable;
        return MSR_OK;
    case MSR_IA32_MTRR_DEF_TYPE:
        *val = v->arch.mtrr_def_type;               /* 0x806 at reset: on, default write-back */
        return MSR_OK;
    case MSR_IA32_SYSENTER_CS:
        *val = hvm_get(v, HVM_SYSENTER_CS);
        return MSR_OK;
    case MSR_IA32_SYSENTER_ESP:
        *val = hvm_get(v, HVM_SYSENTER_ESP);
        return MSR_OK;
    case MSR_IA32_SYSENTER_EIP:
        *val = hvm_get(v, HVM_SYSENTER_EIP);
        return MSR_OK;
    case MSR_IA32_PAT:
        *val = hvm_get(v, HVM_PAT);
        return MSR_OK;
    case MSR_EFER:
        *val = hvm_get(v, HVM_EFER);
        return MSR_OK;
    case MSR_FS_BASE:
        *val = hvm_get(v, HVM_FS_BASE);
        return MSR_OK;
    case MSR_GS_BASE:
        *val = hvm_get(v, HVM_GS_BASE);
        return MSR_OK;
    case MSR_IA32_XSS:
        if (!hvm->has_xsaves)
            return MSR_GP;
        *val = rdmsr(MSR_IA32_XSS);                 /* the guest's: Keel itself never uses XSAVES */
        return MSR_OK;
    case MSR_AMD_SYSCFG:
    case MSR_AMD_INT_PENDING_MSG:
        if (!amd_guest(v))
            return MSR_GP;
        *val = 0;
        return MSR_OK;
    case MSR_AMD_HWCR:
        if (!amd_guest(v))
            return MSR_GP;
        *val = v->arch.amd_hwcr | HWCR_TSC_FREQ_SEL;
        return MSR_OK;
    case MSR_AMD_DE_CFG:
        if (!amd_guest(v))
            return MSR_GP;
        *val = v->arch.amd_de_cfg | DE_CFG_LFENCE_SERIAL;
        return MSR_OK;
    }
    return hvm_lapic_msr(v, msr, 0, val) == 0 ? MSR_OK : MSR_GP;
}

/*
 * An address MSR (SYSENTER_ESP/EIP, FS/GS base) takes canonical addresses
 * only (WRMSR #GPs otherwise; VM entry would refuse the guest state): 57
 * bits wide when the guest's CPU has LA57, else 48.
 */
static int addr_ok(const struct vcpu *v, uint64_t val)
{
    int la57 = (v->arch.cpuid.basic[7][0].ecx >> 16) & 1;

    return x86_canonical(val, la57 ? 57 : 48);
}

static enum msr_rc msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_IA32_SYSENTER_ESP:
    case MSR_IA32_SYSENTER_EIP:
    case MSR_FS_BASE:
    case MSR_GS_BASE:
        if (!addr_ok(v, val))
            return MSR_GP;
        break;
    }
    switch (msr) {
    case MSR_IA32_BIOS_SIGN_ID:                     /* microcode update trigger: ignored */
        return MSR_OK;
    case MSR_IA32_TSC:
        /* 18.17: the TSC becomes @val; the offset carries it (guest TSC = host TSC + offset). */
        v->arch.tsc_offset = val - rdtsc();
        hvm_set(v, HVM_TSC_OFFSET, v->arch.tsc_offset);
        return MSR_OK;
    case MSR_IA32_MISC_ENABLE:
        if (val & ~(MISC_ENABLE_RW | MISC_ENABLE_RO))
            return MSR_GP;
        v->arch.misc_enable = (val & MISC_ENABLE_RW) | (v->arch.misc_enable & MISC_ENABLE_RO);
        return MSR_OK;
    case MSR_IA32_MTRR_DEF_TYPE: {
        unsigned type = val & 0xff;
        /* 12.11.2.1: type, FE (bit 10), E (bit 11); the rest reserved. Kept, not applied:
         * EPT maps guest RAM write-back whatever the guest's MTRRs say. */
        if ((val & ~0xcffull) || type == 2 || type == 3 || type > 6)
            return MSR_GP;
        v->arch.mtrr_def_type = val;
        return MSR_OK;
    }
    case MSR_IA32_SYSENTER_CS:
        hvm_set(v, HVM_SYSENTER_CS, val);
        return MSR_OK;
    case MSR_IA32_SYSENTER_ESP:
        hvm_set(v, HVM_SYSENTER_ESP, val);
        return MSR_OK;
    case MSR_IA32_SYSENTER_EIP:
        hvm_set(v, HVM_SYSENTER_EIP, val);
        return MSR_OK;
    case MSR_IA32_PAT:
        if (!pat_valid(val))
            return MSR_GP;
        hvm_set(v, HVM_PAT, val);
        return MSR_OK;
    case MSR_EFER: {
        uint64_t old = hvm_get(v, HVM_EFER);
        if (val & ~(uint64_t)EFER_ALLOWED)
            return MSR_GP;
        /* LMA is the CPU's: a write keeps it; LME may not change while paging is on. */
        if (((val ^ old) & EFER_LME) && (hvm_get(v, HVM_CR0) & X86_CR0_PG))
            return MSR_GP;
        hvm_set(v, HVM_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
        return MSR_OK;
    }
    case MSR_FS_BASE:
        hvm_set(v, HVM_FS_BASE, val);
        return MSR_OK;
    case MSR_GS_BASE:
        hvm_set(v, HVM_GS_BASE, val);
        return MSR_OK;
    case MSR_AMD_SYSCFG:
        /* Memory encryption, MTRR extensions, top-of-memory registers: none to turn on. */
        return amd_guest(v) && val == 0 ? MSR_OK : MSR_GP;
    case MSR_AMD_HWCR:
    case MSR_AMD_DE_CFG:
        /* Chicken bits of the physical core: the guest's value is kept for it to read back. */
        if (!amd_guest(v))
            return MSR_GP;
        *(msr == MSR_AMD_HWCR ? &v->arch.amd_hwcr : &v->arch.amd_de_cfg) = val;
        return MSR_OK;
    case MSR_IA32_XSS:
        /* 13.3: only the supervisor states the guest's CPUID.(0DH,1):EDX:ECX reports:
         * the policy's, never the host's (Processor Trace would write host memory). */
        if (!hvm->has_xsaves || (val & ~pol_xss_allowed()))
            return MSR_GP;
        wrmsr(MSR_IA32_XSS, val);
        return MSR_OK;
    }
    return hvm_lapic_msr(v, msr, 1, &val) == 0 ? MSR_OK : MSR_GP;
}

int hvm_msr_read(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->arch.regs.rcx;
    uint64_t val = 0;

    if (msr_read(v, msr, &val) != MSR_OK) {
        gprintk(v->domain, LOG_DEBUG, "d%u: rdmsr %#x: #GP\n", v->domain->id, msr);
        hvm_inject_gp(v);
        return 0;
    }
    v->arch.regs.rax = (uint32_t)val;
    v->arch.regs.rdx = (uint32_t)(val >> 32);
    return 1;
}

int hvm_msr_write(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->arch.regs.rcx;
    uint64_t val = (v->arch.regs.rdx << 32) | (uint32_t)v->arch.regs.rax;

    if (msr_write(v, msr, val) != MSR_OK) {
        gprintk(v->domain, LOG_DEBUG, "d%u: wrmsr %#x <- %#lx: #GP\n", v->domain->id, msr, (unsigned long)val);
        hvm_inject_gp(v);
        return 0;
    }
    return 1;
}

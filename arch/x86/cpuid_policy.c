/*
 * Guest CPUID policy (see asm/cpuid_policy.h). Feature bits hidden here are
 * the ones Keel does not virtualize: VMX/SMX (no nesting yet), MONITOR/MWAIT,
 * machine check (no virtual MCA banks), thermal and power management, debug
 * store, PMU, SGX, processor trace, XSAVES when its VMX control is missing
 * (the instruction would #UD), IA32_TSC_ADJUST (not emulated), every
 * supervisor XSAVE component (CPUID_GUEST_XSS), and the speculation
 * controls (IA32_SPEC_CTRL, IA32_PRED_CMD, IA32_ARCH_CAPABILITIES,
 * IA32_FLUSH_CMD: not virtualized, so a guest that saw them would #GP).
 * TSC-deadline mode is offered because the virtual LAPIC implements it.
 * Leaves 0x15/0x16 state the TSC and LAPIC timer clocks the guest runs with.
 */
#include <errno.h>
#include <string.h>
#include <public/keel.h>
#include <asm/cpuid_policy.h>
#include <keel/lib.h>

#define L1_ECX_HIDE  ((1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | \
                      (1u << 11) | (1u << 15))   /* MONITOR DS-CPL VMX SMX EST TM2 SDBG PDCM */
#define L1_ECX_TSC_DEADLINE (1u << 24)      /* the virtual LAPIC has it, whatever the host */
#define L1_ECX_HYPERVISOR (1u << 31)
#define L1_EDX_HIDE  ((1u << 7) | (1u << 14) | (1u << 21) | (1u << 22) | (1u << 29) | (1u << 31)) /* MCE MCA DS ACPI TM PBE */
#define L1_EDX_HTT   (1u << 28)
#define L7_EBX_HIDE  ((1u << 1) | (1u << 2) | (1u << 25))      /* TSC_ADJUST, SGX, Intel PT */
#define L0D1_EAX_XSAVES (1u << 3)                              /* XSAVES/XRSTORS: not enabled in VMX */
#define L7_ECX_HIDE  ((1u << 5) | (1u << 30))                  /* WAITPKG, SGX_LC */
/* MD_CLEAR is kept: VERW needs no MSR. IBRS/IBPB STIBP L1D_FLUSH ARCH_CAPABILITIES
 * CORE_CAPABILITIES SSBD; and AMD's IBPB IBRS STIBP SSBD VIRT_SSBD in 0x80000008 EBX. */
#define L7_EDX_SPEC  ((1u << 26) | (1u << 27) | (1u << 28) | (1u << 29) | (1u << 30) | (1u << 31))
#define LX8_EBX_SPEC ((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24) | (1u << 25))
/* AVX-512 (cpuid=no-avx512): F DQ IFMA PF ER CD BW VL; VBMI VBMI2 VNNI BITALG VPOPCNTDQ;
 * 4VNNIW 4FMAPS VP2INTERSECT FP16; leaf 7.1 BF16; and its XSAVE states (opmask, ZMM). */
#define L7_EBX_AVX512 ((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | \
                       (1u << 28) | (1u << 30) | (1u << 31))
#define L7_ECX_AVX512 ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14))
#define L7_EDX_AVX512 ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23))
#define L71_EAX_AVX512 (1u << 5)

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/*
 * Leaf 0x15: TSC = crystal * EBX / EAX, the crystal being the LAPIC timer
 * clock (apic_khz). Linux computes crystal_khz * EBX in 32 bits, so the
 * ratio is the exact one reduced when that fits, else the nearest with a
 * smaller denominator.
 */
static void tsc_ratio(const struct cpuid_guest *g, struct cpuid_out *out)
{
    uint64_t crystal = g->apic_khz ? g->apic_khz : 1, tsc = g->tsc_khz;
    uint32_t d = gcd((uint32_t)tsc, (uint32_t)crystal);
    uint64_t num = tsc / (d ? d : 1), den = crystal / (d ? d : 1);

    for (uint64_t scale = 100000; num * crystal > 0xffffffffull && scale; scale /= 10) {
        den = scale;
        num = (tsc * den + crystal / 2) / crystal;
    }
    out->eax = (uint32_t)den;
    out->ebx = (uint32_t)num;
    out->ecx = (uint32_t)(crystal * 1000);
    out->edx = 0;
}

void cpuid_policy(uint32_t leaf, uint32_t subleaf, const struct cpuid_out *host,
                  const struct cpuid_guest *g, struct cpuid_out *out)
{
    *out = *host;
    switch (leaf) {
    case 1:
        out->ecx = (host->ecx & ~(L1_ECX_HIDE | CPUID1_ECX_OSXSAVE)) | L1_ECX_HYPERVISOR | L1_ECX_TSC_DEADLINE;
        out->edx = host->edx & ~L1_EDX_HIDE;
        if (g->nr_vcpus > 1)
            out->edx |= L1_EDX_HTT;
        else
            out->edx &= ~L1_EDX_HTT;
        /* EBX: initial APIC ID [31:24], logical processors [23:16], CLFLUSH size, brand. */
        out->ebx = (host->ebx & 0xffffu) | (MIN(g->nr_vcpus, 255u) << 16) | (g->vcpu_id << 24);
        break;
    case 0:
        out->eax = MAX(host->eax, 0x16u);  /* the TSC leaves below are always there */
        break;
    case 0x15:
        tsc_ratio(g, out);
        break;
    case 0x16:                  /* base and maximum MHz, bus (crystal) MHz */
        out->eax = out->ebx = g->tsc_khz / 1000;
        out->ecx = g->apic_khz / 1000;
        out->edx = 0;
        break;
    case 5:                     /* MONITOR/MWAIT: hidden */
    case 6:                     /* thermal and power */
    case 0xa:                   /* architectural PMU: none */
        memset(out, 0, sizeof(*out));
        break;
    case 0xd:
        if (subleaf == 1 && !g->xsaves)
            out->eax &= ~L0D1_EAX_XSAVES;
        if (subleaf == 1) {
            out->ecx = (uint32_t)CPUID_GUEST_XSS;
            out->edx = (uint32_t)(CPUID_GUEST_XSS >> 32);
        }
        /* A supervisor component's own leaf (ECX bit 0) when XSS may not hold it. */
        if (subleaf >= 2 && subleaf < 63 && (host->ecx & 1) && !((CPUID_GUEST_XSS >> subleaf) & 1))
            memset(out, 0, sizeof(*out));
        if (g->no_avx512 && subleaf == 0)
            out->eax &= ~XCR0_AVX512;
        if (g->no_avx512 && subleaf >= 5 && subleaf <= 7)
            memset(out, 0, sizeof(*out));
        break;
    case 7:
        if (subleaf == 0) {
            out->ebx &= ~L7_EBX_HIDE;
            out->ecx &= ~(L7_ECX_HIDE | CPUID7_ECX_OSPKE);
            out->edx &= ~L7_EDX_SPEC;
        }
        if (g->no_avx512 && subleaf == 0) {
            out->ebx &= ~L7_EBX_AVX512;
            out->ecx &= ~L7_ECX_AVX512;
            out->edx &= ~L7_EDX_AVX512;
        } else if (g->no_avx512 && subleaf == 1) {
            out->eax &= ~L71_EAX_AVX512;
        }
        break;
    case 0xb:                   /* topology: one thread per core, nr_vcpus cores */
    case 0x1f:
        out->edx = g->vcpu_id;
        if (subleaf == 0) {
            out->eax = 0;
            out->ebx = 1;
            out->ecx = (1u << 8) | subleaf;
        } else if (subleaf == 1) {
            uint32_t bits = 0;
            while ((1u << bits) < g->nr_vcpus)
                bits++;
            out->eax = bits;
            out->ebx = g->nr_vcpus;
            out->ecx = (2u << 8) | subleaf;
        } else {
            out->eax = out->ebx = 0;
            out->ecx = subleaf;
        }
        break;
    case 0x80000008:
        out->ebx &= ~LX8_EBX_SPEC;
        break;
    case KEEL_CPUID_SIGNATURE:
        out->eax = KEEL_CPUID_MAX;
        memcpy(&out->ebx, "Keel", 4);
        memcpy(&out->ecx, "Keel", 4);
        memcpy(&out->edx, "Keel", 4);
        break;
    case KEEL_CPUID_VERSION:
        memset(out, 0, sizeof(*out));
        out->eax = (0u << 16) | 1u;       /* 0.1, as KEEL_VERSION */
        break;
    case KEEL_CPUID_TIMING:
        memset(out, 0, sizeof(*out));
        out->eax = g->tsc_khz;
        out->ebx = g->apic_khz;
        break;
    default:
        if (cpuid_is_hypervisor_leaf(leaf))
            memset(out, 0, sizeof(*out));
        break;
    }
}

/* Leaves whose output depends on ECX (SDM Vol. 2A, CPUID: "sub-leaf index"). */
#define SUBLEAF_LEAVES ((1u << 4) | (1u << 7) | (1u << 0xb) | (1u << 0xd) | (1u << 0xf) | \
                        (1u << 0x10) | (1u << 0x12) | (1u << 0x14) | (1u << 0x17) | (1u << 0x18) | \
                        (1u << 0x1d) | (1u << 0x1e) | (1u << 0x1f))

void cpuid_table_build(struct cpuid_table *t, const struct cpuid_guest *g, cpuid_host_fn host)
{
    struct cpuid_out h;

    memset(t, 0, sizeof(*t));
    t->leaf_flags = SUBLEAF_LEAVES | ((uint64_t)CPUID_LIVE_LEAVES << 32);
    host(0, 0, &h);
    t->nr_basic = MIN(MAX(h.eax, 0x16u) + 1, (uint32_t)CPUID_TABLE_BASIC);
    for (uint32_t leaf = 0; leaf < t->nr_basic; leaf++) {
        unsigned subs = (SUBLEAF_LEAVES >> leaf) & 1 ? CPUID_TABLE_SUBS : 1;
        for (unsigned sub = 0; sub < subs; sub++) {
            host(leaf, sub, &h);
            cpuid_policy(leaf, sub, &h, g, &t->basic[leaf][sub]);
        }
    }
    host(0x80000000u, 0, &h);
    if (h.eax >= 0x80000000u)
        t->nr_ext = MIN(h.eax - 0x80000000u + 1, (uint32_t)CPUID_TABLE_EXT);
    for (uint32_t i = 0; i < t->nr_ext; i++) {
        host(0x80000000u + i, 0, &h);
        cpuid_policy(0x80000000u + i, 0, &h, g, &t->ext[i]);
    }
}

uint32_t cpuid_xsave_size(uint64_t xcr0, int compacted, cpuid_host_fn host)
{
    uint32_t size = 576;                /* legacy area + XSAVE header (13.4) */

    for (unsigned i = 2; i < 63; i++) {
        struct cpuid_out c;

        if (!((xcr0 >> i) & 1))
            continue;
        host(0xd, i, &c);               /* EAX size, EBX offset (standard), ECX bit 1: 64-aligned */
        if (compacted)
            size = ((c.ecx & 2) ? ALIGN_UP(size, 64u) : size) + c.eax;
        else
            size = MAX(size, c.ebx + c.eax);
    }
    return size;
}

int cpuid_no_avx512;

int cpuid_param(const char *value)
{
    if (strcmp(value, "no-avx512"))
        return -EINVAL;
    cpuid_no_avx512 = 1;
    return 0;
}

/*
 * Guest CPUID policy (see asm/cpuid_policy.h): the feature registers are
 * cut to the bits asm/cpu_policy.h's table passes or sets, whole leaves
 * follow its leaf rules (an unnamed leaf reads 0), and the leaves Keel
 * answers itself are computed here: topology, XSAVE sizes, the TSC and
 * LAPIC clocks (0x15, 0x16, 0x40000010), Keel's signature.
 */
#include <errno.h>
#include <string.h>
#include <public/keel.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <keel/lib.h>

#define L1_EDX_HTT   (1u << 28)
#define XSAVE_SUPERVISOR(host_ecx)  ((host_ecx) & 1)   /* CPUID.(0DH, n):ECX[0]: an IA32_XSS component */

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

/* What the policy's conditions see of the guest's VMX controls. */
static struct pol_host host_of(const struct cpuid_guest *g)
{
    return (struct pol_host){ g->rdtscp, g->invpcid, g->xsaves, g->no_avx512 };
}

/* The feature registers the table lists, each cut to its bits. */
static void apply_bits(uint32_t leaf, uint32_t subleaf, const struct cpuid_guest *g, struct cpuid_out *out)
{
    const struct pol_host h = host_of(g);
    uint32_t *r[4] = { &out->eax, &out->ebx, &out->ecx, &out->edx }, pass, set;

    for (unsigned i = 0; i < 4; i++)
        if (pol_cpuid_reg(leaf, subleaf, i, &h, &pass, &set))
            *r[i] = (*r[i] & pass) | set;
}

void cpuid_policy(uint32_t leaf, uint32_t subleaf, const struct cpuid_out *host,
                  const struct cpuid_guest *g, struct cpuid_out *out)
{
    *out = *host;
    switch (pol_cpuid_leaf_kind(leaf)) {
    case POL_HIDE:
        memset(out, 0, sizeof(*out));
        return;
    case POL_PASS:
        return;
    }
    apply_bits(leaf, subleaf, g, out);
    switch (leaf) {
    case 1:
        if (g->nr_vcpus <= 1)
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
    case 0xd: {
        const struct pol_host h = host_of(g);
        uint64_t xcr0 = pol_xcr0_allowed(&h), xss = pol_xss_allowed();
        if (subleaf == 0) {             /* the XCR0 components a guest may enable */
            out->eax = host->eax & (uint32_t)xcr0;
            out->edx = host->edx & (uint32_t)(xcr0 >> 32);
        } else if (subleaf == 1) {      /* and the IA32_XSS ones (none) */
            out->ecx = host->ecx & (uint32_t)xss;
            out->edx = host->edx & (uint32_t)(xss >> 32);
        } else if (subleaf < 63 && !(((XSAVE_SUPERVISOR(host->ecx) ? xss : xcr0) >> subleaf) & 1)) {
            memset(out, 0, sizeof(*out));   /* a component's own leaf, when it is not offered */
        } else if (subleaf >= 63) {
            memset(out, 0, sizeof(*out));
        }
        break;
    }
    case 7:
        if (subleaf > 1)
            memset(out, 0, sizeof(*out));
        else if (subleaf == 0)
            out->eax = MIN(host->eax, 1u);  /* subleaves: 0 and 1 only */
        else
            out->ebx = out->ecx = out->edx = 0;
        break;
    case 0x80000000u:
        out->eax = MIN(host->eax, 0x80000008u);
        break;
    case 0x80000007u:                   /* invariant TSC only */
        out->eax = out->ebx = out->ecx = 0;
        break;
    case 0x80000008u:                   /* address sizes (EAX) and the EBX bits */
        out->ecx = out->edx = 0;
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
    case KEEL_CPUID_SIGNATURE:
        out->eax = KEEL_CPUID_MAX;
        memcpy(&out->ebx, "Keel", 4);
        memcpy(&out->ecx, "Keel", 4);
        memcpy(&out->edx, "Keel", 4);
        break;
    case KEEL_CPUID_VERSION:
        memset(out, 0, sizeof(*out));
        out->eax = (0u << 16) | 1u;       /* 0.1, as KEEL_VERSION */
        out->ebx = g->vmmcall ? KEEL_CPUID_F_VMMCALL : 0;
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

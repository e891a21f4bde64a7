/*
 * What a guest sees from CPUID: the host's answer filtered, plus Keel's
 * hypervisor leaves. Pure and host-tested.
 */
#ifndef ASM_CPUID_POLICY_H
#define ASM_CPUID_POLICY_H
#include <stdint.h>

struct cpuid_out { uint32_t eax, ebx, ecx, edx; };

struct cpuid_guest {
    uint32_t vcpu_id;           /* becomes the initial (x2)APIC ID */
    uint32_t nr_vcpus;
    uint32_t tsc_khz;
    uint32_t apic_khz;          /* the virtual LAPIC timer's clock */
    int xsaves;                 /* XSAVES/XRSTORS work in the guest (the VMX control is on) */
    int rdtscp;                 /* RDTSCP and RDPID work (enable RDTSCP) */
    int invpcid;                /* INVPCID works (enable INVPCID) */
    int no_avx512;              /* cpuid=no-avx512: hide AVX-512 and its XSAVE states */
    int vmmcall;                /* hypercalls are VMMCALL (SVM): KEEL_CPUID_F_VMMCALL */
};

/* Is @leaf answered by Keel itself (host CPUID not needed)? */
static inline int cpuid_is_hypervisor_leaf(uint32_t leaf)
{
    return (leaf & 0xffffff00u) == 0x40000000u;
}

void cpuid_policy(uint32_t leaf, uint32_t subleaf, const struct cpuid_out *host,
                  const struct cpuid_guest *g, struct cpuid_out *out);

/*
 * A vCPU's answers computed once, so the CPUID exit is a table lookup.
 * Leaves whose output depends on ECX keep their first CPUID_TABLE_SUBS
 * subleaves; anything outside the table takes the slow path (policy on the
 * host's live answer), with the same result.
 */
#define CPUID_TABLE_BASIC   0x20
#define CPUID_TABLE_EXT     0x20
#define CPUID_TABLE_SUBS    4

struct cpuid_table {
    uint32_t nr_basic, nr_ext;          /* leaves [0, nr_basic) and 0x80000000 + [0, nr_ext) */
    /* Bit n: basic leaf n depends on the subleaf; bit 32 + n: its answer depends on live
     * guest state (CR4, XCR0), so the table never answers it. One word, one shift. */
    uint64_t leaf_flags;
    struct cpuid_out basic[CPUID_TABLE_BASIC][CPUID_TABLE_SUBS];
    struct cpuid_out ext[CPUID_TABLE_EXT];
};

typedef void (*cpuid_host_fn)(uint32_t leaf, uint32_t subleaf, struct cpuid_out *out);
void cpuid_table_build(struct cpuid_table *t, const struct cpuid_guest *g, cpuid_host_fn host);

/* 1 and *out filled when the table holds the answer, 0 for the slow path. */
static inline int cpuid_table_lookup(const struct cpuid_table *t, uint32_t leaf, uint32_t sub,
                                     struct cpuid_out *out)
{
    if (leaf < t->nr_basic) {
        uint64_t f = t->leaf_flags >> leaf;
        unsigned idx = f & 1 ? sub : 0;
        if (idx >= CPUID_TABLE_SUBS || (f & (1ull << 32)))
            return 0;
        *out = t->basic[leaf][idx];
        return 1;
    }
    if (leaf - 0x80000000u < t->nr_ext) {
        *out = t->ext[leaf - 0x80000000u];
        return 1;
    }
    return 0;
}
/*
 * CPUID.(EAX=0DH, ECX=0 or 1).EBX (SDM 13.2): the XSAVE area size for the
 * components enabled in @xcr0 (with IA32_XSS's for the compacted size), standard
 * or compacted format, from the component sizes and offsets @host reports.
 */
uint32_t cpuid_xsave_size(uint64_t xcr0, int compacted, cpuid_host_fn host);

#define XCR0_AVX512         0xe0ull     /* opmask, ZMM_Hi256, Hi16_ZMM */

/* cpuid= on the command line: "no-avx512" (as Xen's); 0 or -EINVAL. */
int cpuid_param(const char *value);
extern int cpuid_no_avx512;

/* Leaves with bits that follow the guest's CR4 (or XCR0/XSS) at the time of the CPUID. */
#define CPUID_LIVE_LEAVES   ((1u << 1) | (1u << 7) | (1u << 0xd))
/* Bits that follow the guest's CR4 at the time of the CPUID (set by the exit handler). */
#define CPUID1_ECX_OSXSAVE  (1u << 27)
#define CPUID7_ECX_OSPKE    (1u << 4)
#endif

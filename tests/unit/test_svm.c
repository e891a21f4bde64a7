/*
 * SVM: capabilities and intercepts from CPUID captured in QEMU's TCG models
 * (fixtures/svm-*.txt), every VMRUN consistency rule with a state that
 * breaks it, ASID generations, the MSR permission map, NPT entries and the
 * decoder of intercepted instructions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/cpu_policy.h>
#include <asm/emulate.h>
#include <asm/npt.h>
#include <asm/processor.h>
#include <asm/svm.h>
#include "unit.h"

/* ---- a CPU from a fixture: "@@CPUID leaf sub eax ebx ecx edx" ---- */

static struct { uint32_t leaf, a, b, c, d; } fx[16];
static unsigned nfx;

static void load(const char *model)
{
    char path[256], line[160];
    unsigned leaf, sub, a, b, c, d;
    FILE *f;

    nfx = 0;
    snprintf(path, sizeof(path), "%s/svm-%s.txt", FIXTURE_DIR, model);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) && nfx < 16)
        if (sscanf(line, "@@CPUID %x %x %x %x %x %x", &leaf, &sub, &a, &b, &c, &d) == 6)
            fx[nfx++] = (typeof(fx[0])){ leaf, a, b, c, d };
    fclose(f);
    assert_int_equal(nfx, 6);
}

static void fixture_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_out *o)
{
    (void)sub;
    *o = (struct cpuid_out){ 0, 0, 0, 0 };
    for (unsigned i = 0; i < nfx; i++)
        if (fx[i].leaf == leaf)
            *o = (struct cpuid_out){ fx[i].a, fx[i].b, fx[i].c, fx[i].d };
}

static void caps_qemu(void **state)
{
    struct svm_caps c;

    load("max");
    svm_caps_read(&c, fixture_cpuid);
    assert_int_equal(c.revision, 1);
    assert_int_equal(c.nasids, 16);
    assert_true(c.features & SVM_FEAT_NPT);
    assert_true(c.features & SVM_FEAT_VGIF);
    /* QEMU 7.2's TCG: no next-RIP save, no decode assists, no flush by ASID, no clean bits. */
    assert_false(c.features & (SVM_FEAT_NRIPS | SVM_FEAT_DECODE_ASSISTS | SVM_FEAT_FLUSH_BY_ASID | SVM_FEAT_VMCB_CLEAN));
    assert_true(c.page1g);
    assert_int_equal(c.maxphyaddr, 0x28);
    load("EPYC");
    svm_caps_read(&c, fixture_cpuid);
    assert_true(c.features & SVM_FEAT_NPT);
    assert_false(c.features & SVM_FEAT_VGIF);
    assert_int_equal(c.maxphyaddr, 0x28);
    /* qemu64 has SVM but no nested paging: Keel refuses it (svm.c), the caps say why. */
    load("qemu64");
    svm_caps_read(&c, fixture_cpuid);
    assert_false(c.features & SVM_FEAT_NPT);
    /* Bochs 2.7's ryzen: next-RIP save (no decoding on the hot path), flush by ASID, pause filter; no clean bits. */
    load("bochs-ryzen");
    svm_caps_read(&c, fixture_cpuid);
    assert_int_equal(c.nasids, 32768);
    assert_true(c.features & SVM_FEAT_NPT);
    assert_true(c.features & SVM_FEAT_NRIPS);
    assert_true(c.features & SVM_FEAT_FLUSH_BY_ASID);
    assert_true(c.features & SVM_FEAT_PAUSE_FILTER);
    assert_false(c.features & (SVM_FEAT_DECODE_ASSISTS | SVM_FEAT_VMCB_CLEAN | SVM_FEAT_AVIC));
    assert_true(c.page1g);
    (void)state;
}

static void intercepts_from_cpu(void **state)
{
    static const char *models[] = { "max", "EPYC", "qemu64", "bochs-ryzen" };
    uint32_t w[SVM_ICPT_WORDS];

    for (unsigned m = 0; m < 4; m++) {
        struct svm_caps c;
        struct svm_policy_in p;

        load(models[m]);
        svm_caps_read(&c, fixture_cpuid);
        svm_policy_read(&p, fixture_cpuid);
        svm_intercepts(&c, &p, w);
        /* VMRUN must be intercepted (15.5.1); every SVM instruction #UDs in a guest. */
        assert_true(w[SVM_ICPT_MISC2] & SVM_MISC2_VMRUN);
        assert_int_equal(w[SVM_ICPT_MISC2] & (SVM_MISC2_VMMCALL | SVM_MISC2_VMLOAD | SVM_MISC2_VMSAVE | SVM_MISC2_STGI |
                                              SVM_MISC2_CLGI | SVM_MISC2_SKINIT),
                         SVM_MISC2_VMMCALL | SVM_MISC2_VMLOAD | SVM_MISC2_VMSAVE | SVM_MISC2_STGI | SVM_MISC2_CLGI |
                         SVM_MISC2_SKINIT);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_INVLPGA);
        /* What the policy decides. */
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_CPUID);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_MSR);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_IOIO);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_RDPMC);
        assert_true(w[SVM_ICPT_MISC2] & SVM_MISC2_XSETBV);
        assert_true(w[SVM_ICPT_CR] & SVM_CR_WRITE(4));
        /* What would stop the CPU or reach the host: HLT, MWAIT, shutdown, INVD/WBINVD, host interrupts. */
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_HLT);
        assert_true(w[SVM_ICPT_MISC2] & (SVM_MISC2_MWAIT | SVM_MISC2_MONITOR));
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_SHUTDOWN);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_INVD);
        assert_true(w[SVM_ICPT_MISC2] & SVM_MISC2_WBINVD);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_INTR);
        assert_true(w[SVM_ICPT_MISC1] & SVM_MISC1_NMI);
        /* #MC is the host's; #UD turns an Intel VMCALL into the hypercall. */
        assert_int_equal(w[SVM_ICPT_EXC], (1u << 6) | (1u << 18));
        /* DR0-3 exit until claimed; CR0, CR3, CR8 and DR6/7 need none with NPT. */
        assert_int_equal(w[SVM_ICPT_DR], 0xf | (0xfu << 16));
        assert_false(w[SVM_ICPT_CR] & (SVM_CR_WRITE(0) | SVM_CR_WRITE(3) | SVM_CR_WRITE(8) | SVM_CR_READ(8)));
        /* RDTSCP: EPYC, max and Bochs's ryzen offer it, so it runs; qemu64 has none, so it #UDs. None has INVPCID. */
        assert_int_equal(p.rdtscp, m != 2);
        assert_int_equal(!(w[SVM_ICPT_MISC2] & SVM_MISC2_RDTSCP), m != 2);
        assert_int_equal(p.invpcid, 0);
        assert_true(w[SVM_ICPT_MISC3] & SVM_MISC3_INVPCID);
        /* PAUSE exits only through the pause filter (Bochs's ryzen): a spinner yields; else PAUSE runs. */
        assert_int_equal(!!(w[SVM_ICPT_MISC1] & SVM_MISC1_PAUSE), !!(c.features & SVM_FEAT_PAUSE_FILTER));
        assert_int_equal(!!(c.features & SVM_FEAT_PAUSE_FILTER), m == 3);
    }
    (void)state;
}

static void intercepts_hide_what_policy_hides(void **state)
{
    struct svm_caps c = { 1, 16, SVM_FEAT_NPT, 1, 40 };
    struct svm_policy_in none = { 0, 0 }, both = { 1, 1 };
    uint32_t w[SVM_ICPT_WORDS];

    svm_intercepts(&c, &none, w);
    assert_true(w[SVM_ICPT_MISC2] & SVM_MISC2_RDTSCP);
    assert_true(w[SVM_ICPT_MISC3] & SVM_MISC3_INVPCID);
    svm_intercepts(&c, &both, w);
    assert_false(w[SVM_ICPT_MISC2] & SVM_MISC2_RDTSCP);
    assert_false(w[SVM_ICPT_MISC3] & SVM_MISC3_INVPCID);
    (void)state;
}

static void cr4_from_cpu(void **state)
{
    uint64_t ok;

    load("max");
    ok = svm_cr4_supported(fixture_cpuid);
    assert_true(ok & X86_CR4_PAE);
    assert_true(ok & X86_CR4_OSXSAVE);
    assert_true(ok & (1u << 20));                   /* SMEP: max has it */
    assert_false(ok & X86_CR4_VMXE);
    load("qemu64");
    ok = svm_cr4_supported(fixture_cpuid);
    assert_false(ok & X86_CR4_OSXSAVE);             /* qemu64: no XSAVE */
    assert_false(ok & (1u << 20));
    (void)state;
}

/* ---- VMRUN consistency checks: a good state, then each rule broken ---- */

static struct vmcb *good(void)
{
    struct vmcb *b = aligned_alloc(4096, sizeof(*b));

    memset(b, 0, sizeof(*b));
    b->c.intercept[SVM_ICPT_MISC2] = SVM_MISC2_VMRUN;
    b->c.asid = 1;
    b->c.iopm_base_pa = 0x100000;
    b->c.msrpm_base_pa = 0x104000;
    b->c.np_enable = 1;
    b->c.n_cr3 = 0x200000;
    b->s.efer = EFER_SVME | EFER_LME | EFER_LMA;
    b->s.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
    b->s.cr4 = X86_CR4_PAE;
    b->s.cr3 = 0x300000;
    b->s.cs.attrib = svm_attrib(0xa09b);
    b->s.dr6 = 0xffff0ff0;
    b->s.dr7 = 0x400;
    return b;
}

static const struct svm_caps caps = { 1, 16, SVM_FEAT_NPT, 1, 40 };
static const uint64_t cr4_ok = 0x3707ff;

static void expect_refused(struct vmcb *b, const char *rule)
{
    char why[96] = "";

    assert_int_equal(svm_vmcb_check(b, &caps, cr4_ok, why, sizeof(why)), -EINVAL);
    if (!strstr(why, rule))
        fail_msg("refused for '%s', expected '%s'", why, rule);
    free(b);
}

static void vmcb_checks(void **state)
{
    struct vmcb *b = good();
    char why[96];

    assert_int_equal(svm_vmcb_check(b, &caps, cr4_ok, why, sizeof(why)), 0);
    free(b);

    b = good(); b->s.efer &= ~(uint64_t)EFER_SVME; expect_refused(b, "EFER.SVME");
    b = good(); b->s.cr0 |= X86_CR0_NW; expect_refused(b, "CR0.NW");
    b = good(); b->s.cr0 |= 1ull << 32; expect_refused(b, "CR0[63:32]");
    b = good(); b->s.cr3 |= 1ull << 45; expect_refused(b, "CR3 has MBZ");
    b = good(); b->s.cr3 |= 1ull << 60; expect_refused(b, "CR3[63:52]");
    b = good(); b->s.cr4 |= X86_CR4_VMXE; expect_refused(b, "CR4 has MBZ");
    b = good(); b->s.dr6 |= 1ull << 40; expect_refused(b, "DR6[63:32]");
    b = good(); b->s.dr7 |= 1ull << 40; expect_refused(b, "DR7[63:32]");
    b = good(); b->s.efer |= 1ull << 20; expect_refused(b, "EFER has MBZ");
    b = good(); b->s.cr4 = 0; expect_refused(b, "CR4.PAE zero");
    b = good(); b->s.cr0 &= ~(uint64_t)X86_CR0_PE; expect_refused(b, "CR0.PE zero");
    b = good(); b->s.cs.attrib = svm_attrib(0xe09b); expect_refused(b, "CS.L and CS.D");
    b = good(); b->c.intercept[SVM_ICPT_MISC2] = 0; expect_refused(b, "VMRUN intercept");
    b = good(); b->c.msrpm_base_pa = 1ull << 41; expect_refused(b, "MSRPM_BASE_PA");
    b = good(); b->c.iopm_base_pa = 0x100800; expect_refused(b, "IOPM_BASE_PA");
    b = good(); b->c.asid = 0; expect_refused(b, "ASID is zero");
    b = good(); b->c.asid = 16; expect_refused(b, "ASID beyond");
    b = good(); b->c.n_cr3 = 1ull << 44; expect_refused(b, "N_CR3");
    b = good(); b->c.event_inj = (1u << 31) | (1u << 8) | 32; expect_refused(b, "reserved type");
    b = good(); b->c.event_inj = (1u << 31) | (3u << 8) | 40; expect_refused(b, "invalid vector");
    b = good(); b->c.event_inj = (1u << 31) | (2u << 8) | 3; expect_refused(b, "NMI with a vector");
    b = good(); b->s.cpl = 4; expect_refused(b, "CPL");
    {
        struct svm_caps no_npt = caps;
        no_npt.features = 0;
        b = good();
        assert_int_equal(svm_vmcb_check(b, &no_npt, cr4_ok, why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "nested paging"));
        free(b);
    }
    /* Legal corners: paging off, a valid injected #PF with its error code, an NMI. */
    b = good(); b->s.cr0 = X86_CR0_PE | X86_CR0_ET; b->s.efer = EFER_SVME; b->s.cr4 = 0;
    b->c.event_inj = (1u << 31) | (3u << 8) | (1u << 11) | 14;
    assert_int_equal(svm_vmcb_check(b, &caps, cr4_ok, NULL, 0), 0);
    b->c.event_inj = (1u << 31) | (2u << 8) | 2;
    assert_int_equal(svm_vmcb_check(b, &caps, cr4_ok, NULL, 0), 0);
    free(b);
    (void)state;
}

/* ---- ASIDs ---- */

static void asid_generations(void **state)
{
    struct svm_asid_cpu c = { .gen = 1, .next = 1, .max = 4 };      /* ASIDs 1-3 */
    uint32_t a[5] = { 0 };
    uint64_t g[5] = { 0 };

    assert_int_equal(svm_asid_assign(&c, &a[0], &g[0], 0, 0), SVM_TLB_NOTHING);
    assert_int_equal(a[0], 1);
    assert_int_equal(svm_asid_assign(&c, &a[1], &g[1], 0, 0), SVM_TLB_NOTHING);
    assert_int_equal(svm_asid_assign(&c, &a[2], &g[2], 0, 0), SVM_TLB_NOTHING);
    assert_int_equal(a[2], 3);
    /* Kept while the generation lasts. */
    assert_int_equal(svm_asid_assign(&c, &a[0], &g[0], 0, 0), SVM_TLB_NOTHING);
    assert_int_equal(a[0], 1);
    /* A flush: flush-by-ASID where the CPU has it, else a fresh ASID ... */
    assert_int_equal(svm_asid_assign(&c, &a[1], &g[1], 1, 1), SVM_TLB_FLUSH_ASID);
    assert_int_equal(a[1], 2);
    /* ... which here runs out: a new generation, and everything flushed once. */
    assert_int_equal(svm_asid_assign(&c, &a[1], &g[1], 1, 0), SVM_TLB_FLUSH_ALL);
    assert_int_equal(a[1], 1);
    assert_int_equal(c.gen, 2);
    /* The others' ASIDs are of the old generation: they get new ones, no further flush. */
    assert_int_equal(svm_asid_assign(&c, &a[0], &g[0], 0, 0), SVM_TLB_NOTHING);
    assert_int_equal(a[0], 2);
    assert_int_equal(svm_asid_assign(&c, &a[2], &g[2], 0, 0), SVM_TLB_NOTHING);
    assert_int_equal(a[2], 3);
    /* Never ASID 0 (the host's), never past the count. */
    for (unsigned i = 0; i < 100; i++) {
        svm_asid_assign(&c, &a[3], &g[3], 1, 0);
        assert_true(a[3] >= 1 && a[3] < c.max);
    }
    (void)state;
}

/* ---- the MSR permission map ---- */

static int bit(const uint8_t *m, int b) { return (m[b / 8] >> (b % 8)) & 1; }

static void msrpm(void **state)
{
    static uint8_t m[8192];

    assert_int_equal(svm_msrpm_bit(0), 0);
    assert_int_equal(svm_msrpm_bit(0x1fff), 0x3ffe);
    assert_int_equal(svm_msrpm_bit(0xc0000000), 0x800 * 8);
    assert_int_equal(svm_msrpm_bit(0xc0000081), 0x800 * 8 + 0x81 * 2);
    assert_int_equal(svm_msrpm_bit(0xc0010015), 0x1000 * 8 + 0x15 * 2);
    assert_int_equal(svm_msrpm_bit(0x2000), -1);
    assert_int_equal(svm_msrpm_bit(0xc0002000), -1);
    svm_msrpm_build(m);
    /* The policy's pass-through MSRs: neither read nor write exits. */
    for (uint32_t msr = 0xc0000081; msr <= 0xc0000084; msr++) {
        assert_int_equal(bit(m, svm_msrpm_bit(msr)), 0);
        assert_int_equal(bit(m, svm_msrpm_bit(msr) + 1), 0);
    }
    assert_int_equal(bit(m, svm_msrpm_bit(0xc0000102)), 0);
    /* Everything else exits: EFER (SVME is Keel's), PAT, the LAPIC, AMD's own, the unknown. */
    static const uint32_t exits[] = { 0xc0000080, 0x277, 0x1b, 0x10, 0xc0010015, 0xc0010114, 0xc0010117, 0x48, 0x49 };
    for (unsigned i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
        assert_int_equal(bit(m, svm_msrpm_bit(exits[i])), 1);
        assert_int_equal(bit(m, svm_msrpm_bit(exits[i]) + 1), 1);
    }
    (void)state;
}

/* ---- NPT entries ---- */

static uint8_t *arena;
static unsigned arena_used;

static uint64_t arena_alloc(void *opaque)
{
    (void)opaque;
    if (arena_used >= 63)
        return 0;
    return (uint64_t)(++arena_used * 4096);             /* 0 means "none": page 0 stays unused */
}

static unsigned freed;
static void count_free(uint64_t pa)
{
    assert_true(pa >= 4096 && pa <= arena_used * 4096ull && !(pa & 4095));
    freed++;
}

static void npt(void **state)
{
    struct npt n;
    uint64_t hpa;
    unsigned perm, mt, level;

    arena = aligned_alloc(4096, 64 * 4096);
    arena_used = 0;
    memset(&n, 0, sizeof(n));
    n.ctx.alloc_table = arena_alloc;
    n.ctx.virt_offset = (intptr_t)arena;
    n.ctx.max_leaf_level = PT_LEVEL_1G;
    assert_int_equal(npt_init(&n), 0);
    /* Every entry a user entry (15.25.5); NX for no execute; UC is PCD|PWT (host PAT entry 3). */
    assert_int_equal(npt_leaf_attr(P2M_RWX, P2M_MT_WB), (int64_t)(PTE_US | PTE_RW));
    assert_int_equal(npt_leaf_attr(P2M_R | P2M_X, P2M_MT_WB), (int64_t)PTE_US);
    assert_int_equal(npt_leaf_attr(P2M_RWX, P2M_MT_UC), (int64_t)(PTE_US | PTE_RW | PTE_PCD | PTE_PWT));
    assert_int_equal(npt_leaf_attr(P2M_W, P2M_MT_WB), -1);      /* not readable: not expressible */
    assert_int_equal(npt_leaf_attr(P2M_RWX, 1), -1);            /* WC: not offered */
    assert_int_equal(npt_map(&n, 0, 0x40000000, 1ull << 30, P2M_RWX, P2M_MT_WB), 0);
    assert_int_equal(npt_lookup(&n, 0x12345000, &hpa, &perm, &mt, &level), 0);
    assert_int_equal(hpa, 0x52345000);
    assert_int_equal(perm, P2M_RWX);
    assert_int_equal(mt, P2M_MT_WB);
    assert_int_equal(level, PT_LEVEL_1G);
    /* Write-protect one page (dirty logging): split to 4 KiB, the rest stays. */
    assert_int_equal(npt_protect(&n, 0x200000, 4096, P2M_R | P2M_X), 0);
    assert_int_equal(npt_lookup(&n, 0x200000, &hpa, &perm, &mt, &level), 0);
    assert_int_equal(perm, P2M_R | P2M_X);
    assert_int_equal(level, PT_LEVEL_4K);
    assert_int_equal(npt_lookup(&n, 0x201000, &hpa, &perm, &mt, &level), 0);
    assert_int_equal(perm, P2M_RWX);
    assert_int_equal(npt_protect(&n, 0x200000, 4096, P2M_W), -EINVAL);
    /* Tables: P, RW and US, so leaves decide. */
    {
        const uint64_t *root = (const uint64_t *)(arena + n.root);
        assert_int_equal(root[0] & (PTE_P | PTE_RW | PTE_US), PTE_P | PTE_RW | PTE_US);
    }
    assert_int_equal(npt_map(&n, 0xfed00000, 0xfed00000, 4096, P2M_RWX, P2M_MT_UC), 0);
    assert_int_equal(npt_lookup(&n, 0xfed00000, &hpa, &perm, &mt, &level), 0);
    assert_int_equal(mt, P2M_MT_UC);
    /* The domain goes: every table the builder allocated, once each, leaves not followed. */
    freed = 0;
    pt_free_tables(&n.ctx, n.root, count_free);
    assert_int_equal(freed, arena_used);
    free(arena);
    (void)state;
}

/* ---- the decoder (no next-RIP save) ---- */

static unsigned dec(const char *hex, int mode64, struct svm_insn *in)
{
    uint8_t b[15];
    unsigned n = 0;

    for (const char *p = hex; *p && n < 15; p += 2 + (p[2] == ' '))
        b[n++] = (uint8_t)strtoul((char[]){ p[0], p[1], 0 }, NULL, 16);
    return svm_decode(b, n, mode64, in);
}

static void decoder(void **state)
{
    struct svm_insn in;

    assert_int_equal(dec("0f a2", 1, &in), 2);                  /* CPUID */
    assert_int_equal(dec("0f 32", 0, &in), 2);                  /* RDMSR */
    assert_int_equal(dec("0f 30", 1, &in), 2);                  /* WRMSR */
    assert_int_equal(dec("f4", 0, &in), 1);                     /* HLT */
    assert_int_equal(dec("0f 01 d9", 1, &in), 3);               /* VMMCALL */
    assert_int_equal(dec("0f 01 c1", 0, &in), 3);               /* VMCALL */
    assert_int_equal(dec("0f 01 d1", 1, &in), 3);               /* XSETBV */
    assert_int_equal(dec("0f 09", 1, &in), 2);                  /* WBINVD */
    assert_int_equal(dec("e6 80", 0, &in), 2);                  /* OUT imm8, AL */
    assert_int_equal(dec("ee", 0, &in), 1);                     /* OUT DX, AL */
    /* Prefixes count; a segment override is kept for OUTS; REX only in 64-bit mode. */
    assert_int_equal(dec("66 0f a2", 1, &in), 3);
    assert_int_equal(dec("f3 26 6e", 0, &in), 3);
    assert_int_equal(in.seg, SEG_ES);
    assert_int_equal(dec("f3 64 6f", 1, &in), 3);
    assert_int_equal(in.seg, SEG_FS);
    assert_int_equal(dec("44 0f 22 e0", 1, &in), 4);            /* REX.R: MOV to CR12, not CR4 */
    assert_int_equal(in.rex, 0x44);
    assert_int_equal(dec("41 0f 22 e7", 1, &in), 4);            /* MOV CR4, R15 */
    assert_int_equal(in.op[2] & 7, 7);
    assert_int_equal(in.rex & 1, 1);
    assert_int_equal(dec("0f 22 e0", 0, &in), 3);               /* MOV CR4, EAX */
    assert_int_equal((in.op[2] >> 3) & 7, 4);
    /* Not one of Keel's: 0, the instruction runs again. */
    assert_int_equal(dec("90", 0, &in), 0);
    assert_int_equal(dec("0f 05", 1, &in), 0);
    assert_int_equal(dec("0f", 0, &in), 0);                     /* truncated */
    assert_int_equal(dec("0f 01", 0, &in), 0);
    assert_int_equal(dec("f0 e7", 0, &in), 0);                  /* OUT imm8 without its immediate (fuzz) */
    /* Fifteen bytes at most: fourteen prefixes and HLT is one; with a two-byte opcode it is not. */
    assert_int_equal(dec("66 66 66 66 66 66 66 66 66 66 66 66 66 66 f4", 0, &in), 15);
    assert_int_equal(dec("66 66 66 66 66 66 66 66 66 66 66 66 66 66 0f", 0, &in), 0);
    assert_int_equal(dec("66 66 66 66 66 66 66 66 66 66 66 66 66 66 66", 0, &in), 0);
    (void)state;
}

static void attrib(void **state)
{
    assert_int_equal(svm_attrib(0xc09b), 0xc9b);
    assert_int_equal(svm_attrib(0xa09b), 0xa9b);
    assert_int_equal(svm_ar(0xa9b), 0xa09b);
    assert_int_equal(svm_ar(svm_attrib(0x8b)), 0x8b);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(caps_qemu),
        cmocka_unit_test(intercepts_from_cpu),
        cmocka_unit_test(intercepts_hide_what_policy_hides),
        cmocka_unit_test(cr4_from_cpu),
        cmocka_unit_test(vmcb_checks),
        cmocka_unit_test(asid_generations),
        cmocka_unit_test(msrpm),
        cmocka_unit_test(npt),
        cmocka_unit_test(decoder),
        cmocka_unit_test(attrib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The guest-visible CPU policy (asm/cpu_policy.h) against what Keel
 * derives from it: the VMX controls of every captured CPU model, the MSR
 * bitmap, the CPUID answers for a host that has every bit, the CR4 and
 * XSAVE masks. Nothing may reach a guest that the table does not allow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <asm/vmx.h>
#include <asm/vmx_caps.h>
#include "unit.h"

static const char *const models[] = { "corei7_skylake_x", "corei7_haswell_4770", "tigerlake", "corei5_arrandale_m520" };

static int load(const char *model, struct vmx_msrs *m)
{
    char path[256], line[128];
    unsigned msr;
    unsigned long long v;
    FILE *f;

    memset(m, 0, sizeof(*m));
    snprintf(path, sizeof(path), "%s/vmx-%s.txt", FIXTURE_DIR, model);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "@@VMXMSR %x %llx", &msr, &v) == 2)
            vmx_msrs_set(m, msr, v);
    fclose(f);
    return 0;
}

/* The controls each policy entry needs, on every model Keel runs on. */
static void test_controls_follow_policy(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        struct vmx_msrs m;
        struct vmx_config c;
        char why[96];

        assert_int_equal(load(models[i], &m), 0);
        assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
        /* CR8 is emulated: it must exit both ways, and no TPR shadow may stand in for it. */
        assert_int_equal(pol_cr_bit(8, 0), POL_EMUL);
        assert_int_equal(c.proc & (CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING),
                         CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING);
        assert_false(c.proc & CPU_USE_TPR_SHADOW);
        /* Debug registers: MOV DR exits until first use; DR7/DEBUGCTL follow the vCPU. */
        assert_true(c.proc & CPU_MOV_DR_EXITING);
        assert_true(c.exit & EXIT_SAVE_DEBUG_CONTROLS);
        assert_true(c.entry & ENTRY_LOAD_DEBUG_CONTROLS);
        /* IA32_TSC is emulated through the offset; no PMU: RDPMC exits. */
        assert_int_equal(pol_msr_kind(0x10), POL_EMUL);
        assert_true(c.proc & CPU_USE_TSC_OFFSETTING);
        assert_true(c.proc & CPU_RDPMC_EXITING);
        /* No control the policy has no entry for: no MONITOR/MWAIT passthrough surprises either way. */
        assert_true(c.proc & CPU_HLT_EXITING);
        assert_true(c.proc & CPU_USE_MSR_BITMAPS);
    }
}

static int bit(const uint8_t *bm, unsigned off, unsigned n) { return (bm[off + n / 8] >> (n % 8)) & 1; }

/* The MSR bitmap: an MSR goes without exits exactly when the table passes it through. */
static void test_msr_bitmap(void **state)
{
    static uint8_t bm[4096];
    unsigned passed = 0;

    (void)state;
    vmx_msr_bitmap_build(bm);
    for (uint32_t n = 0; n < 0x2000; n++) {
        for (unsigned hi = 0; hi < 2; hi++) {
            uint32_t msr = (hi ? 0xc0000000u : 0) + n;
            int pass = pol_msr_kind(msr) == POL_PASS;
            assert_int_equal(bit(bm, hi * 1024, n), !pass);             /* read */
            assert_int_equal(bit(bm, 2048 + hi * 1024, n), !pass);      /* write */
            passed += (unsigned)pass;
        }
    }
    assert_int_equal(passed, 6);    /* STAR LSTAR CSTAR SFMASK KERNEL_GS_BASE TSC_AUX */
    assert_int_equal(pol_msr_kind(0x48), POL_HIDE);             /* SPEC_CTRL */
    assert_int_equal(pol_msr_kind(0x49), POL_HIDE);             /* PRED_CMD */
    assert_int_equal(pol_msr_kind(0x570), POL_HIDE);            /* RTIT_CTL (PT) */
    assert_int_equal(pol_msr_kind(0xc1), POL_HIDE);             /* PMC0 */
    assert_int_equal(pol_msr_kind(0xda0), POL_EMUL);            /* XSS: exits and is checked */
}

static void all_ones(uint32_t leaf, uint32_t sub, struct cpuid_out *o)
{
    (void)leaf;
    (void)sub;
    *o = (struct cpuid_out){ 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
}

/* A host with every CPUID bit: only the table's bits reach the guest, and hidden leaves read 0. */
static void test_cpuid_within_policy(void **state)
{
    static const uint32_t ranges[][2] = { { 0, 0x20 }, { 0x80000000u, 0x80000010u }, { 0x40000000u, 0x40000020u } };
    const struct cpuid_guest g = { .vcpu_id = 1, .nr_vcpus = 2, .tsc_khz = 2000000, .apic_khz = 25000,
                                   .xsaves = 1, .rdtscp = 1, .invpcid = 1 };
    const struct pol_host h = { 1, 1, 1, 0 };

    (void)state;
    for (unsigned r = 0; r < 3; r++) {
        for (uint32_t leaf = ranges[r][0]; leaf <= ranges[r][1]; leaf++) {
            for (uint32_t sub = 0; sub < 4; sub++) {
                struct cpuid_out host, out;
                const uint32_t *reg = &out.eax;
                all_ones(leaf, sub, &host);
                cpuid_policy(leaf, sub, &host, &g, &out);
                if (pol_cpuid_leaf_kind(leaf) == POL_HIDE) {
                    assert_int_equal(out.eax | out.ebx | out.ecx | out.edx, 0);
                    continue;
                }
                for (unsigned i = 0; i < 4; i++) {
                    uint32_t pass, set;
                    if (pol_cpuid_reg(leaf, sub, i, &h, &pass, &set) && (reg[i] & ~(pass | set))) {
                        print_error("leaf %#x.%u reg %u: %#x beyond the policy's %#x\n", leaf, sub, i,
                                    reg[i] & ~(pass | set), pass | set);
                        fail();
                    }
                }
            }
        }
    }
}

/* The conditions: a bit that needs a VMX control is hidden without it. */
static void test_cpuid_conditions(void **state)
{
    struct cpuid_guest g = { .nr_vcpus = 1, .tsc_khz = 1000000, .apic_khz = 25000 };
    struct cpuid_out host = { ~0u, ~0u, ~0u, ~0u }, out;

    (void)state;
    cpuid_policy(0x80000001u, 0, &host, &g, &out);
    assert_false(out.edx & (1u << 27));                 /* RDTSCP would #UD */
    cpuid_policy(7, 0, &host, &g, &out);
    assert_false(out.ebx & (1u << 10));                 /* INVPCID */
    assert_false(out.ecx & (1u << 22));                 /* RDPID */
    g.rdtscp = g.invpcid = 1;
    cpuid_policy(0x80000001u, 0, &host, &g, &out);
    assert_true(out.edx & (1u << 27));
    cpuid_policy(7, 0, &host, &g, &out);
    assert_true(out.ebx & (1u << 10));
    assert_true(out.ecx & (1u << 22));
    assert_false(out.ecx & (1u << 5));                  /* WAITPKG */
    assert_false(out.ecx & (1u << 7));                  /* CET_SS */
    assert_false(out.edx & (1u << 26));                 /* IBRS/IBPB: SPEC_CTRL would #GP */
    g.no_avx512 = 1;
    cpuid_policy(7, 0, &host, &g, &out);
    assert_false(out.ebx & (1u << 16));                 /* AVX512F */
    assert_true(out.ebx & (1u << 5));                   /* AVX2 stays */
    cpuid_policy(0xd, 0, &host, &g, &out);
    assert_int_equal(out.eax & 0xe0, 0);                /* no opmask/ZMM states */
    cpuid_policy(0x80000000u, 0, &host, &g, &out);
    assert_int_equal(out.eax, 0x80000008u);             /* no AMD SVM leaf 8000000AH and beyond */
}

static void test_cr4_and_xsave(void **state)
{
    const struct pol_host h = { 0, 0, 0, 0 };
    uint64_t cr4 = pol_cr4_allowed(), xcr0 = pol_xcr0_allowed(&h);

    (void)state;
    assert_false(cr4 & (1u << 13));         /* VMXE */
    assert_false(cr4 & (1u << 14));         /* SMXE */
    assert_false(cr4 & (1u << 19));         /* KL */
    assert_false(cr4 & (1u << 23));         /* CET */
    assert_false(cr4 & (1u << 24));         /* PKS */
    assert_false(cr4 >> 25);
    assert_true((cr4 & 0xa0) == 0xa0);      /* PAE, PGE */
    assert_true(cr4 & (1u << 18));          /* OSXSAVE */
    assert_int_equal(xcr0, 0x2e7);          /* x87 SSE AVX, opmask ZMM_Hi256 Hi16_ZMM, PKRU */
    assert_int_equal(pol_xss_allowed(), 0); /* no PT (8), no CET (11, 12) */
    const struct pol_host no512 = { 0, 0, 0, 1 };
    assert_int_equal(pol_xcr0_allowed(&no512), 0x207);
}

/* The table itself: every entry named and explained, no bit or MSR named twice. */
static void test_table_sane(void **state)
{
    (void)state;
    for (unsigned i = 0; i < pol_nr_cpuid_bits; i++) {
        const struct pol_cpuid_bit *a = &pol_cpuid_bits[i];
        assert_true(a->name && a->name[0] && a->why && a->why[0]);
        assert_true(a->bit < 32 && a->reg < 4);
        assert_int_equal(a->kind == POL_COND, a->need != POL_NEED_NONE);   /* a condition names its control */
        for (unsigned j = i + 1; j < pol_nr_cpuid_bits; j++) {
            const struct pol_cpuid_bit *b = &pol_cpuid_bits[j];
            assert_false(a->leaf == b->leaf && a->sub == b->sub && a->reg == b->reg && a->bit == b->bit);
        }
    }
    for (unsigned i = 0; i < pol_nr_msrs; i++) {
        assert_true(pol_msrs[i].first <= pol_msrs[i].last && pol_msrs[i].why[0]);
        for (unsigned j = i + 1; j < pol_nr_msrs; j++)
            assert_true(pol_msrs[j].first > pol_msrs[i].last || pol_msrs[j].last < pol_msrs[i].first);
    }
    for (unsigned i = 0; i < pol_nr_xsave; i++)
        assert_int_equal(pol_xsave[i].comp, i);
}

static unsigned lines;
static void count_line(const char *line)
{
    assert_int_equal(strncmp(line, "@@POLICY ", 9), 0);
    assert_int_equal(line[strlen(line) - 1], '\n');
    lines++;
}

static void test_dump(void **state)
{
    (void)state;
    pol_dump(count_line);
    assert_int_equal(lines, pol_nr_cpuid_leaves + 1 + pol_nr_cpuid_bits + pol_nr_msrs + 1 + pol_nr_reg_bits +
                                pol_nr_xsave);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls_follow_policy),
        cmocka_unit_test(test_msr_bitmap),
        cmocka_unit_test(test_cpuid_within_policy),
        cmocka_unit_test(test_cpuid_conditions),
        cmocka_unit_test(test_cr4_and_xsave),
        cmocka_unit_test(test_table_sane),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

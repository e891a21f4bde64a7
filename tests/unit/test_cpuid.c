/* CPUID policy: hidden features, Keel's leaves, and the table agreeing with the slow path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <asm/cpuid_policy.h>
#include "unit.h"

/* A made-up host: every register says which leaf and subleaf it answers. */
static void fake_host(uint32_t leaf, uint32_t sub, struct cpuid_out *o)
{
    if (leaf == 0) {
        *o = (struct cpuid_out){ 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 };
    } else if (leaf == 0x80000000u) {
        *o = (struct cpuid_out){ 0x80000008u, 0, 0, 0 };
    } else if (leaf == 1) {
        *o = (struct cpuid_out){ 0x50654, 0x07100800, 0xfffaffff, 0xbfebfbff };
    } else {
        uint32_t tag = (leaf << 8) | sub;
        *o = (struct cpuid_out){ tag, ~tag, tag ^ 0x5a5a5a5a, tag + 1 };
    }
}

static const struct cpuid_guest g = { .vcpu_id = 3, .nr_vcpus = 4, .tsc_khz = 2500000, .apic_khz = 25000 };

static struct cpuid_out pol(uint32_t leaf, uint32_t sub)
{
    struct cpuid_out h, o;

    fake_host(leaf, sub, &h);
    cpuid_policy(leaf, sub, &h, &g, &o);
    return o;
}

static void test_policy(void **state)
{
    struct cpuid_out o = pol(1, 0);

    (void)state;
    assert_int_equal(o.ecx & (1u << 5), 0);             /* VMX */
    assert_int_equal(o.ecx & (1u << 3), 0);             /* MONITOR */
    assert_int_equal(o.ecx & (1u << 24), 1u << 24);     /* TSC deadline: the vLAPIC's */
    assert_int_equal(o.ecx & (1u << 31), 1u << 31);     /* hypervisor */
    assert_int_equal(o.ecx & (1u << 0), 1);             /* SSE3 passes */
    assert_int_equal(o.ebx >> 24, 3);                   /* APIC ID = vCPU */
    assert_int_equal((o.ebx >> 16) & 0xff, 4);
    assert_int_equal(o.edx & (1u << 28), 1u << 28);     /* HTT with 4 vCPUs */
    assert_int_equal(o.edx & (1u << 22), 0);
    o = pol(0x40000000, 0);
    assert_int_equal(o.eax, 0x40000010);
    assert_memory_equal(&o.ebx, "Keel", 4);
    assert_memory_equal(&o.ecx, "Keel", 4);
    assert_memory_equal(&o.edx, "Keel", 4);
    o = pol(0x40000001, 0);
    assert_int_equal(o.eax, 1);                         /* 0.1 */
    assert_int_equal(o.ebx, 0);                         /* VMCALL (an Intel host) */
    {
        struct cpuid_guest amd = g;
        struct cpuid_out h;
        amd.vmmcall = 1;
        fake_host(0x40000001, 0, &h);
        cpuid_policy(0x40000001, 0, &h, &amd, &o);
        assert_int_equal(o.ebx, 1);                     /* KEEL_CPUID_F_VMMCALL */
    }
    o = pol(0x40000010, 0);
    assert_int_equal(o.eax, 2500000);
    assert_int_equal(o.ebx, 25000);
    o = pol(0x40000077, 5);
    assert_int_equal(o.eax | o.ebx | o.ecx | o.edx, 0);
    o = pol(0xa, 0);
    assert_int_equal(o.eax | o.ebx | o.ecx | o.edx, 0);
    o = pol(0xb, 1);
    assert_int_equal(o.ebx, 4);
    assert_int_equal(o.eax, 2);                         /* 2 bits of core ID */
    assert_int_equal(o.edx, 3);
    o = pol(0xd, 1);
    assert_int_equal(o.eax & (1u << 3), 0);             /* XSAVES */
    assert_int_equal(o.ecx | o.edx, 0);                 /* no supervisor component for IA32_XSS */
    {
        /* A host with Processor Trace (component 8, supervisor: ECX bit 0 of its leaf). */
        struct cpuid_guest gx = g;
        struct cpuid_out h = { 0x1f, 0, 1u << 8, 0 };
        gx.xsaves = 1;
        cpuid_policy(0xd, 1, &h, &gx, &o);
        assert_int_equal(o.eax & (1u << 3), 1u << 3);   /* XSAVES itself stays */
        assert_int_equal(o.ecx | o.edx, 0);             /* PT does not */
        h = (struct cpuid_out){ 128, 0, 1, 0 };
        cpuid_policy(0xd, 8, &h, &gx, &o);
        assert_int_equal(o.eax | o.ebx | o.ecx | o.edx, 0);
        h = (struct cpuid_out){ 256, 576, 0, 0 };       /* a user component (AVX) stays */
        cpuid_policy(0xd, 2, &h, &gx, &o);
        assert_int_equal(o.eax, 256);
    }
    /* Speculation controls: SPEC_CTRL/PRED_CMD/ARCH_CAPABILITIES/FLUSH_CMD are not virtualized. */
    {
        struct cpuid_out h = { 0, 0, 0, 0xffffffffu };
        cpuid_policy(7, 0, &h, &g, &o);
        assert_int_equal(o.edx & 0xfc000000u, 0);
        assert_int_equal(o.edx & (1u << 10), 1u << 10); /* MD_CLEAR (VERW) stays */
        h = (struct cpuid_out){ 0, 0xffffffffu, 0, 0 };
        cpuid_policy(0x80000008u, 0, &h, &g, &o);
        assert_int_equal(o.ebx & ((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24) | (1u << 25)), 0);
    }
    o = pol(0x80000001u, 0);
    assert_int_equal(o.eax, (0x80000001u << 8) | 0);    /* untouched */
    /* TSC Hz = ECX * EBX / EAX, the crystal being the LAPIC timer clock (Linux's reading). */
    o = pol(0x15, 0);
    assert_int_equal((uint64_t)o.ecx * o.ebx / o.eax, 2500000000ull);
    assert_int_equal(o.ecx, 25000000u);
    /* Linux multiplies crystal kHz by EBX in 32 bits: it must not wrap, whatever the TSC. */
    for (uint32_t khz = 9999; khz < 6000000; khz = khz * 3 + 7) {
        struct cpuid_guest g2 = g;
        struct cpuid_out h = { 0, 0, 0, 0 };
        uint64_t got;
        g2.tsc_khz = khz;
        cpuid_policy(0x15, 0, &h, &g2, &o);
        assert_true((uint64_t)(o.ecx / 1000) * o.ebx <= 0xffffffffull);
        got = (uint64_t)(o.ecx / 1000) * o.ebx / o.eax;
        assert_true(got * 10000 >= (uint64_t)khz * 9999 && got * 10000 <= (uint64_t)khz * 10001);
    }
    {
        struct cpuid_guest g2 = g;
        struct cpuid_out h = { 0, 0, 0, 0 };
        g2.tsc_khz = 10000;                                 /* Bochs: exact, 2/5 of 25 MHz */
        cpuid_policy(0x15, 0, &h, &g2, &o);
        assert_int_equal(o.ebx, 2);
        assert_int_equal(o.eax, 5);
    }
    o = pol(0x16, 0);
    assert_int_equal(o.eax, 2500);
    assert_true(pol(0, 0).eax >= 0x16);
}

/* Component sizes as a Skylake-X reports them (AVX 256@576, opmask 64@1088, ZMM 512@1152, 1024@1664). */
static void xsave_host(uint32_t leaf, uint32_t sub, struct cpuid_out *o)
{
    static const struct cpuid_out comp[8] = {
        [2] = { 256, 576, 0, 0 }, [5] = { 64, 1088, 0, 0 }, [6] = { 512, 1152, 0, 0 }, [7] = { 1024, 1664, 0, 0 },
    };
    (void)leaf;
    *o = sub < 8 ? comp[sub] : (struct cpuid_out){ 0, 0, 0, 0 };
}

static void test_no_avx512(void **state)
{
    struct cpuid_guest g2 = g;
    struct cpuid_out h = { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, o;

    (void)state;
    g2.no_avx512 = 1;
    cpuid_policy(7, 0, &h, &g2, &o);
    assert_int_equal(o.ebx & (1u << 16), 0);                   /* AVX512F */
    assert_int_equal(o.ebx & (1u << 31), 0);                   /* AVX512VL */
    assert_int_equal(o.ebx & (1u << 5), 1u << 5);              /* AVX2 stays */
    assert_int_equal(o.ecx & (1u << 1), 0);                    /* VBMI */
    cpuid_policy(0xd, 0, &h, &g2, &o);
    assert_int_equal(o.eax & 0xe0, 0);                         /* no ZMM/opmask states */
    assert_int_equal(o.eax & 0x7, 0x7);
    cpuid_policy(0xd, 6, &h, &g2, &o);
    assert_int_equal(o.eax | o.ebx, 0);
    g2.no_avx512 = 0;
    cpuid_policy(7, 0, &h, &g2, &o);
    assert_int_equal(o.ebx & (1u << 16), 1u << 16);
}

static void test_xsave_sizes(void **state)
{
    (void)state;
    assert_int_equal(cpuid_xsave_size(0x3, 0, xsave_host), 576);
    assert_int_equal(cpuid_xsave_size(0x7, 0, xsave_host), 832);
    assert_int_equal(cpuid_xsave_size(0xe7, 0, xsave_host), 2688);     /* what Bochs' 0xd.0 ECX says */
    assert_int_equal(cpuid_xsave_size(0xe7, 1, xsave_host), 2432);     /* Linux's compacted size */
}

static void test_table_matches_slow_path(void **state)
{
    static struct cpuid_table t;
    struct cpuid_out got, want;
    unsigned hits = 0;

    (void)state;
    cpuid_table_build(&t, &g, fake_host);
    assert_int_equal(t.nr_basic, 0x17);
    assert_int_equal(t.nr_ext, 9);
    for (uint32_t leaf = 0; leaf < 0x30; leaf++)
        for (uint32_t sub = 0; sub < 8; sub++) {
            if (!cpuid_table_lookup(&t, leaf, sub, &got))
                continue;
            want = pol(leaf, ((t.leaf_flags >> leaf) & 1) ? sub : 0);
            assert_memory_equal(&got, &want, sizeof(got));
            hits++;
        }
    for (uint32_t leaf = 0x80000000u; leaf < 0x80000010u; leaf++)
        if (cpuid_table_lookup(&t, leaf, 0, &got)) {
            want = pol(leaf, 0);
            assert_memory_equal(&got, &want, sizeof(got));
            hits++;
        }
    assert_true(hits > 50);
    assert_false(cpuid_table_lookup(&t, 4, CPUID_TABLE_SUBS, &got));   /* slow path for high subleaves */
    assert_false(cpuid_table_lookup(&t, 0x40000000, 0, &got));
    assert_false(cpuid_table_lookup(&t, 1, 0, &got));                  /* live: OSXSAVE follows CR4 */
    assert_false(cpuid_table_lookup(&t, 0xd, 0, &got));                /* live: sizes follow XCR0 */
    assert_false(cpuid_table_lookup(&t, 0x17, 0, &got));               /* beyond the host's max */
    assert_true(cpuid_table_lookup(&t, 0x16, 0, &got));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_table_matches_slow_path),
        cmocka_unit_test(test_xsave_sizes),
        cmocka_unit_test(test_no_avx512),
    };
    return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}

/* VMX: controls from capability MSRs read in Bochs models; exit information decoding. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <asm/vmx.h>
#include <asm/vmx_caps.h>
#include <asm/guest_state.h>
#include "unit.h"

static struct vmx_msrs load(const char *model)
{
    char path[256], line[128];
    struct vmx_msrs m;
    unsigned msr;
    unsigned long long v;
    FILE *f;
    int n = 0;

    memset(&m, 0, sizeof(m));
    snprintf(path, sizeof(path), "%s/vmx-%s.txt", FIXTURE_DIR, model);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "@@VMXMSR %x %llx", &msr, &v) == 2)
            n += vmx_msrs_set(&m, msr, v) == 0;
    fclose(f);
    assert_int_equal(n, vmx_nr_msr_numbers);
    return m;
}

static void common_checks(const struct vmx_config *c)
{
    assert_true(c->pin & PIN_EXTERNAL_INTERRUPT_EXITING);
    assert_true(c->pin & PIN_NMI_EXITING);
    assert_false(c->pin & PIN_PREEMPTION_TIMER);        /* switched on only for deadlines */
    assert_true(c->proc & CPU_HLT_EXITING);
    assert_true(c->proc & CPU_USE_IO_BITMAPS);
    assert_true(c->proc & CPU_USE_MSR_BITMAPS);
    assert_true(c->proc & CPU_ACTIVATE_SECONDARY_CONTROLS);
    assert_false(c->proc & CPU_UNCONDITIONAL_IO_EXITING);
    assert_false(c->proc & CPU_RDTSC_EXITING);
    /* A guest's CR8 must never be the physical TPR; DR0-3 are switched after the first MOV DR. */
    assert_true(c->proc & CPU_CR8_LOAD_EXITING);
    assert_true(c->proc & CPU_CR8_STORE_EXITING);
    assert_false(c->proc & CPU_USE_TPR_SHADOW);
    assert_true(c->proc & CPU_MOV_DR_EXITING);
    assert_true(c->proc & CPU_USE_TSC_OFFSETTING);
    /* DR7 and DEBUGCTL are the guest's across exits. */
    assert_true(c->exit & EXIT_SAVE_DEBUG_CONTROLS);
    assert_true(c->entry & ENTRY_LOAD_DEBUG_CONTROLS);
    assert_true(c->proc2 & CPU2_ENABLE_EPT);
    assert_true(c->proc2 & CPU2_UNRESTRICTED_GUEST);
    assert_true(c->exit & EXIT_HOST_ADDR_SPACE_SIZE);
    assert_true(c->exit & EXIT_LOAD_IA32_EFER);
    assert_true(c->entry & ENTRY_LOAD_IA32_EFER);
    assert_false(c->entry & ENTRY_IA32E_MODE_GUEST);    /* per vCPU, not global */
    /* CR0 fixed bits: PE, NE, PG must be 1 outside unrestricted guest. */
    assert_int_equal(c->cr0_fixed0 & 0x80000021, 0x80000021);
    assert_true(c->cr4_fixed0 & (1u << 13));            /* CR4.VMXE */
}

static void test_skylake(void **state)
{
    struct vmx_msrs m = load("corei7_skylake_x");
    struct vmx_config c;
    char why[96];

    (void)state;
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
    common_checks(&c);
    assert_int_equal(c.revision, 0x2b);
    /* True controls (A.3.2): the default-1 CR3 load/store exits can be turned off. */
    assert_true(m.basic & VMX_BASIC_TRUE_CTLS);
    assert_false(c.proc & (CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING));
    assert_true(c.has_vpid && (c.proc2 & CPU2_ENABLE_VPID));
    assert_true(c.has_ept_1g && c.has_ept_2m && c.has_ept_ad);
    assert_true(c.has_preemption_timer);
    assert_true(c.has_virtual_nmis && (c.pin & PIN_VIRTUAL_NMIS));
    /* PAUSE-loop exiting where offered (Bochs's Skylake has it), never plain PAUSE exiting. */
    assert_true(c.proc2 & CPU2_PAUSE_LOOP_EXITING);
    assert_false(c.proc & CPU_PAUSE_EXITING);
    m.proc2 &= ~((uint64_t)CPU2_PAUSE_LOOP_EXITING << 32);
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
    assert_false(c.proc2 & CPU2_PAUSE_LOOP_EXITING);
}

static void test_other_models(void **state)
{
    struct vmx_msrs m;
    struct vmx_config c;
    char why[96];

    (void)state;
    m = load("corei7_haswell_4770");
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
    common_checks(&c);
    m = load("tigerlake");
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
    common_checks(&c);
    assert_int_equal(c.revision, 4);
    m = load("corei5_arrandale_m520");
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
    common_checks(&c);
    assert_false(c.has_ept_1g);                        /* Westmere: 2 MiB EPT pages only */
    assert_true(c.has_ept_2m);
}

static void test_refusals(void **state)
{
    struct vmx_msrs m = load("core2_penryn_t9600"), s;
    struct vmx_config c;
    char why[96];

    (void)state;
    /* Penryn has VMX but neither EPT nor unrestricted guest. */
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), -ENODEV);
    assert_non_null(strstr(why, "EPT"));

    s = load("corei7_skylake_x");
    m = s;
    m.basic |= 1ull << 48;                             /* 32-bit VMX addresses */
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), -ENODEV);
    assert_non_null(strstr(why, "32-bit"));
    m = s;
    m.basic &= ~(0xfull << 50);                        /* VMCS memory type UC */
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), -ENODEV);
    assert_non_null(strstr(why, "write-back"));
    m = s;
    m.true_pin &= ~((uint64_t)PIN_NMI_EXITING << 32);  /* NMI exiting not allowed */
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), -ENODEV);
    assert_non_null(strstr(why, "pin-based"));
    m = s;
    m.proc2 &= ~((uint64_t)CPU2_UNRESTRICTED_GUEST << 32);
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), -ENODEV);
    m = s;
    m.ept_vpid &= ~EPT_CAP_WALK_4;
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), -ENODEV);
    m = s;
    m.ept_vpid &= ~VPID_CAP_INVVPID;                   /* VPID without INVVPID: VPID off */
    assert_int_equal(vmx_config_compute(&m, &c, why, sizeof(why)), 0);
    assert_false(c.has_vpid);
    assert_false(c.proc2 & CPU2_ENABLE_VPID);
}

static void test_adjust(void **state)
{
    uint32_t missing;
    /* must be 1: bit 1; may be 1: bits 0-3. */
    uint64_t cap = ((uint64_t)0xf << 32) | 0x2;

    (void)state;
    assert_int_equal(vmx_adjust_controls(cap, 0x1, 0x8 | 0x10, &missing), 0x1 | 0x2 | 0x8);
    assert_int_equal(missing, 0);
    assert_int_equal(vmx_adjust_controls(cap, 0x31, 0, &missing), 0x3);
    assert_int_equal(missing, 0x30);
    assert_int_equal(vmx_fix_cr(0x1, 0x20, 0xffffffdf), 0x1);   /* fixed1 wins over fixed0 */
}

static void test_exit_decoding(void **state)
{
    union vmx_exit_reason r;
    uint64_t q;

    (void)state;
    r.full = 0x80000021;                               /* entry failure, invalid guest state */
    assert_int_equal(r.basic, EXIT_REASON_INVALID_STATE);
    assert_int_equal(r.failed_vmentry, 1);
    r.full = 0x0000000a;
    assert_int_equal(r.basic, EXIT_REASON_CPUID);
    assert_int_equal(r.failed_vmentry, 0);
    q = (0x3f8ull << 16) | IO_QUAL_IN | IO_QUAL_STRING | IO_QUAL_REP | 0;   /* rep insb */
    assert_int_equal(IO_QUAL_PORT(q), 0x3f8);
    assert_int_equal(IO_QUAL_SIZE(q), 1);
    q = (0xf4ull << 16) | 3;                           /* out %eax, $0xf4 */
    assert_int_equal(IO_QUAL_SIZE(q), 4);
    assert_false(q & IO_QUAL_IN);
    q = (5u << 8) | (0u << 4) | 4;                     /* mov %rbp, %cr4 */
    assert_int_equal(CR_QUAL_NUMBER(q), 4);
    assert_int_equal(CR_QUAL_TYPE(q), 0);
    assert_int_equal(CR_QUAL_GPR(q), 5);
    q = (0x000bull << 16) | (3u << 4);                 /* lmsw */
    assert_int_equal(CR_QUAL_TYPE(q), 3);
    assert_int_equal(CR_QUAL_LMSW_DATA(q), 0xb);
    assert_int_equal(VMCS_FIELD_WIDTH(GUEST_RIP), VMCS_WIDTH_NATURAL);
    assert_int_equal(VMCS_FIELD_WIDTH(VM_EXIT_REASON), VMCS_WIDTH_32);
    assert_int_equal(VMCS_FIELD_WIDTH(EPT_POINTER), VMCS_WIDTH_64);
    assert_int_equal(VMCS_FIELD_WIDTH(GUEST_CS_SELECTOR), VMCS_WIDTH_16);
}

/* RIP and RFLAGS as VM entry checks them (SDM 27.3.1.4), for KEEL_HC_VCPU_CONTEXT's SET. */
static void test_rip_rflags(void **state)
{
    (void)state;
    assert_true(x86_rip_rflags_ok(0xffffffff81000000ull, 0x202, 1, 1, 0));
    assert_true(x86_rip_rflags_ok(0x7fffffffffffull, 0x2, 1, 1, 0));
    assert_false(x86_rip_rflags_ok(0x800000000000ull, 0x2, 1, 1, 0));          /* not canonical at 48 bits */
    assert_true(x86_rip_rflags_ok(0x800000000000ull, 0x2, 1, 1, 1));           /* it is at 57 (LA57) */
    assert_false(x86_rip_rflags_ok(0x1000, 0x0, 0, 0, 0));                     /* bit 1 must be set */
    assert_false(x86_rip_rflags_ok(0x1000, 0x2 | (1u << 3), 0, 0, 0));         /* reserved 3, 5, 15, 63:22 */
    assert_false(x86_rip_rflags_ok(0x1000, 0x2 | (1u << 5), 0, 0, 0));
    assert_false(x86_rip_rflags_ok(0x1000, 0x2 | (1u << 15), 0, 0, 0));
    assert_false(x86_rip_rflags_ok(0x1000, 0x2 | (1ull << 22), 0, 0, 0));
    assert_true(x86_rip_rflags_ok(0x1000, 0x2 | (1u << 21) | (1u << 17), 0, 0, 0)); /* ID; VM outside IA-32e */
    assert_false(x86_rip_rflags_ok(0x1000, 0x2 | (1u << 17), 1, 0, 0));        /* VM in IA-32e mode */
    assert_false(x86_rip_rflags_ok(1ull << 32, 0x2, 1, 0, 0));                  /* compatibility mode: 32 bits */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skylake),
        cmocka_unit_test(test_rip_rflags),
        cmocka_unit_test(test_other_models),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_adjust),
        cmocka_unit_test(test_exit_decoding),
    };
    return cmocka_run_group_tests_name("vmx", tests, NULL, NULL);
}

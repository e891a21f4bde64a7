/*
 * Control computation from the VMX capability MSRs (see asm/vmx_caps.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <asm/cpu_policy.h>
#include <asm/vmx.h>
#include <asm/vmx_caps.h>

#include <stddef.h>

#define F(msr, field) { msr, offsetof(struct vmx_msrs, field) }
static const struct { uint32_t msr; size_t off; } fields[] = {
    F(MSR_IA32_FEATURE_CONTROL, feature_control), F(MSR_IA32_VMX_BASIC, basic),
    F(MSR_IA32_VMX_PINBASED_CTLS, pin), F(MSR_IA32_VMX_PROCBASED_CTLS, proc),
    F(MSR_IA32_VMX_EXIT_CTLS, exit), F(MSR_IA32_VMX_ENTRY_CTLS, entry), F(MSR_IA32_VMX_MISC, misc),
    F(MSR_IA32_VMX_CR0_FIXED0, cr0_fixed0), F(MSR_IA32_VMX_CR0_FIXED1, cr0_fixed1),
    F(MSR_IA32_VMX_CR4_FIXED0, cr4_fixed0), F(MSR_IA32_VMX_CR4_FIXED1, cr4_fixed1),
    F(MSR_IA32_VMX_VMCS_ENUM, vmcs_enum), F(MSR_IA32_VMX_PROCBASED_CTLS2, proc2),
    F(MSR_IA32_VMX_EPT_VPID_CAP, ept_vpid), F(MSR_IA32_VMX_TRUE_PINBASED_CTLS, true_pin),
    F(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, true_proc), F(MSR_IA32_VMX_TRUE_EXIT_CTLS, true_exit),
    F(MSR_IA32_VMX_TRUE_ENTRY_CTLS, true_entry), F(MSR_IA32_VMX_VMFUNC, vmfunc),
};
#undef F

const uint32_t vmx_msr_numbers[] = {
    MSR_IA32_FEATURE_CONTROL, MSR_IA32_VMX_BASIC, MSR_IA32_VMX_PINBASED_CTLS,
    MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_MISC,
    MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1, MSR_IA32_VMX_CR4_FIXED0,
    MSR_IA32_VMX_CR4_FIXED1, MSR_IA32_VMX_VMCS_ENUM, MSR_IA32_VMX_PROCBASED_CTLS2,
    MSR_IA32_VMX_EPT_VPID_CAP, MSR_IA32_VMX_TRUE_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
    MSR_IA32_VMX_TRUE_EXIT_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS, MSR_IA32_VMX_VMFUNC,
};
const unsigned vmx_nr_msr_numbers = sizeof(vmx_msr_numbers) / sizeof(vmx_msr_numbers[0]);

int vmx_msrs_set(struct vmx_msrs *m, uint32_t msr, uint64_t value)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].msr == msr) {
            *(uint64_t *)((char *)m + fields[i].off) = value;
            return 0;
        }
    return -1;
}

int vmx_msrs_get(const struct vmx_msrs *m, uint32_t msr, uint64_t *value)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].msr == msr) {
            *value = *(const uint64_t *)((const char *)m + fields[i].off);
            return 0;
        }
    return -1;
}

uint32_t vmx_adjust_controls(uint64_t cap_msr, uint32_t required, uint32_t optional,
                             uint32_t *missing)
{
    uint32_t must1 = (uint32_t)cap_msr, may1 = (uint32_t)(cap_msr >> 32);

    *missing = required & ~may1;
    return ((required | optional) & may1) | must1;
}

#define PIN_REQUIRED   (PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING)
/* The preemption timer is switched on per entry, only when a deadline needs it. */
#define PIN_OPTIONAL   (PIN_VIRTUAL_NMIS)
/* No CR3, INVLPG or RDTSC exits: EPT makes them unnecessary. The rest: policy_proc(). */
#define PROC_REQUIRED  (CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | \
                        CPU_ACTIVATE_SECONDARY_CONTROLS)
#define PROC_OPTIONAL  0u
#define PROC2_REQUIRED (CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST)
/* XSAVES: without it the instruction #UDs, and Linux falls back to the standard XSAVE format. */
#define PROC2_OPTIONAL (CPU2_ENABLE_VPID | CPU2_ENABLE_RDTSCP | CPU2_ENABLE_INVPCID | CPU2_ENABLE_XSAVES | \
                        CPU2_PAUSE_LOOP_EXITING)
/* Acknowledge on exit: a host interrupt (a kick) is taken with the exit, never left pending. */
#define EXIT_REQUIRED  (EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER | \
                        EXIT_ACK_INTERRUPT_ON_EXIT)
#define EXIT_OPTIONAL  (EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT)
#define ENTRY_REQUIRED (ENTRY_LOAD_IA32_EFER)

/*
 * The controls the guest-visible CPU policy (asm/cpu_policy.h) needs:
 * - CR8 emulated (the virtual TPR): CR8-load and -store exiting, so a
 *   guest's CR8 never reaches the physical TPR (where it would mask the
 *   host's kick and timer interrupts);
 * - DR0-3/DR6 switched after first use: MOV-DR exiting until then;
 * - DR7 and IA32_DEBUGCTL the guest's: the save/load debug controls (exit
 *   itself sets DR7 to 0x400 and clears DEBUGCTL, 28.5.1);
 * - IA32_TSC emulated: TSC offsetting;
 * - no PMU: RDPMC exiting (it would read the host's counters).
 */
static uint32_t policy_proc(void)
{
    uint32_t p = CPU_RDPMC_EXITING;

    if (pol_cr_bit(8, 0) == POL_EMUL)
        p |= CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING;
    if (pol_cr_bit('D', 0) == POL_EMUL)
        p |= CPU_MOV_DR_EXITING;
    if (pol_msr_kind(0x10) == POL_EMUL)
        p |= CPU_USE_TSC_OFFSETTING;
    return p;
}

static uint32_t policy_exit(void)
{
    return pol_cr_bit('D', 7) == POL_EMUL ? EXIT_SAVE_DEBUG_CONTROLS : 0;
}

static uint32_t policy_entry(void)
{
    return pol_cr_bit('D', 7) == POL_EMUL ? ENTRY_LOAD_DEBUG_CONTROLS : 0;
}

void vmx_msr_bitmap_build(uint8_t *bitmap)
{
    memset(bitmap, 0xff, 4096);
    for (unsigned i = 0; i < pol_nr_msrs; i++) {
        if (pol_msrs[i].kind != POL_PASS)
            continue;
        for (uint32_t msr = pol_msrs[i].first; msr <= pol_msrs[i].last; msr++) {
            /* 25.6.9: read-low 0, read-high 1024, write-low 2048, write-high 3072 (bytes). */
            unsigned base = msr >= 0xc0000000u ? 1024 : 0, bit = msr & 0x1fff;
            if ((msr & ~0x1fffu) != 0 && (msr & ~0x1fffu) != 0xc0000000u)
                continue;                       /* outside the bitmap: always exits */
            bitmap[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));
            bitmap[base + 2048 + bit / 8] &= (uint8_t)~(1u << (bit % 8));
        }
    }
}
#define ENTRY_OPTIONAL (ENTRY_LOAD_IA32_PAT)

static int refuse(char *why, size_t len, const char *what, uint32_t bits)
{
    snprintf(why, len, "%s (missing %#x)", what, bits);
    return -ENODEV;
}

int vmx_config_compute(const struct vmx_msrs *m, struct vmx_config *c, char *why, size_t whylen)
{
    int true_ctls = (m->basic & VMX_BASIC_TRUE_CTLS) != 0;
    uint32_t missing;

    *c = (struct vmx_config){ 0 };
    if (why && whylen)
        why[0] = '\0';
    /* A.1: bit 48 set means VMX structures limited to 32-bit addresses (not on 64-bit CPUs). */
    if (m->basic & (1ull << 48))
        return refuse(why, whylen, "VMX limited to 32-bit physical addresses", 0);
    /* A.1: memory type for VMCS and structures must be write-back (6). */
    if (((m->basic >> 50) & 0xf) != 6)
        return refuse(why, whylen, "VMCS memory type is not write-back", 0);
    c->revision = VMX_BASIC_REVISION(m->basic);

    c->pin = vmx_adjust_controls(true_ctls ? m->true_pin : m->pin, PIN_REQUIRED, PIN_OPTIONAL, &missing);
    if (missing)
        return refuse(why, whylen, "pin-based controls", missing);
    c->proc = vmx_adjust_controls(true_ctls ? m->true_proc : m->proc, PROC_REQUIRED | policy_proc(), PROC_OPTIONAL,
                                  &missing);
    if (missing)
        return refuse(why, whylen, "processor-based controls (I/O, MSR bitmaps, CR8, MOV-DR exits)", missing);
    c->proc2 = vmx_adjust_controls(m->proc2, PROC2_REQUIRED, PROC2_OPTIONAL, &missing);
    if (missing)
        return refuse(why, whylen, "EPT and unrestricted guest", missing);
    c->exit = vmx_adjust_controls(true_ctls ? m->true_exit : m->exit, EXIT_REQUIRED | policy_exit(), EXIT_OPTIONAL,
                                  &missing);
    if (missing)
        return refuse(why, whylen, "VM-exit controls (64-bit host, EFER, debug controls)", missing);
    c->entry = vmx_adjust_controls(true_ctls ? m->true_entry : m->entry, ENTRY_REQUIRED | policy_entry(),
                                   ENTRY_OPTIONAL, &missing);
    if (missing)
        return refuse(why, whylen, "VM-entry controls (EFER, debug controls)", missing);

    c->ept_vpid = m->ept_vpid;
    if (!(m->ept_vpid & EPT_CAP_WALK_4) || !(m->ept_vpid & EPT_CAP_MEMTYPE_WB))
        return refuse(why, whylen, "EPT 4-level walk with write-back tables", 0);
    if (!(m->ept_vpid & EPT_CAP_INVEPT) ||
        !(m->ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
        return refuse(why, whylen, "INVEPT", 0);
    c->has_ept_2m = (m->ept_vpid & EPT_CAP_2MB_PAGE) != 0;
    c->has_ept_1g = (m->ept_vpid & EPT_CAP_1GB_PAGE) != 0;
    c->has_ept_ad = (m->ept_vpid & EPT_CAP_AD_BITS) != 0;
    c->has_execute_only = (m->ept_vpid & EPT_CAP_EXECUTE_ONLY) != 0;
    c->has_invept_single = (m->ept_vpid & EPT_CAP_INVEPT_SINGLE) != 0;
    /* VPID is only usable with INVVPID (28.3.3.3). */
    c->has_xsaves = (c->proc2 & CPU2_ENABLE_XSAVES) != 0;
    c->has_vpid = (c->proc2 & CPU2_ENABLE_VPID) && (m->ept_vpid & VPID_CAP_INVVPID) &&
                  (m->ept_vpid & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
    if (!c->has_vpid)
        c->proc2 &= ~CPU2_ENABLE_VPID;
    c->has_invvpid_single = c->has_vpid && (m->ept_vpid & VPID_CAP_INVVPID_SINGLE);
    c->has_preemption_timer = ((true_ctls ? m->true_pin : m->pin) >> 32 & PIN_PREEMPTION_TIMER) != 0;
    c->has_virtual_nmis = (c->pin & PIN_VIRTUAL_NMIS) != 0;
    c->preemption_timer_shift = (unsigned)(m->misc & 0x1f);
    c->has_hlt_activity = (m->misc >> 6) & 1;      /* A.6: HLT activity state */
    c->cr0_fixed0 = m->cr0_fixed0;
    c->cr0_fixed1 = m->cr0_fixed1;
    c->cr4_fixed0 = m->cr4_fixed0;
    c->cr4_fixed1 = m->cr4_fixed1;
    return 0;
}

/*
 * VMX capabilities -> the controls Keel runs guests with. Pure functions of
 * the IA32_VMX_* MSR values (SDM appendix A), host-tested against values
 * read from Bochs CPU models (tests/unit/fixtures/vmx-*.txt).
 */
#ifndef ASM_VMX_CAPS_H
#define ASM_VMX_CAPS_H
#include <stddef.h>
#include <stdint.h>

struct vmx_msrs {
    uint64_t feature_control;
    uint64_t basic, misc, vmcs_enum, vmfunc;
    uint64_t pin, proc, exit, entry, proc2;
    uint64_t true_pin, true_proc, true_exit, true_entry;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t ept_vpid;
};

/* The MSR numbers behind each field, for dumps and fixtures: 0 or -1 if unknown. */
int vmx_msrs_set(struct vmx_msrs *m, uint32_t msr, uint64_t value);
int vmx_msrs_get(const struct vmx_msrs *m, uint32_t msr, uint64_t *value);
extern const uint32_t vmx_msr_numbers[];
extern const unsigned vmx_nr_msr_numbers;

struct vmx_config {
    uint32_t revision;
    uint32_t pin, proc, proc2, exit, entry;
    uint64_t ept_vpid;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    unsigned preemption_timer_shift;   /* timer ticks = TSC >> shift */
    int has_vpid, has_ept_1g, has_ept_2m, has_ept_ad, has_invept_single, has_invvpid_single;
    int has_execute_only, has_preemption_timer, has_virtual_nmis, has_hlt_activity, has_xsaves;
};

/*
 * Compute the controls. Returns 0, or -ENODEV with the reason in @why when
 * the CPU lacks something Keel cannot run without (EPT, unrestricted guest,
 * I/O and MSR bitmaps, the 64-bit host, WB paging structures).
 */
int vmx_config_compute(const struct vmx_msrs *m, struct vmx_config *c, char *why, size_t whylen);
/*
 * A 4 KiB MSR bitmap (SDM 25.6.9) from the policy: every MSR exits except
 * those asm/cpu_policy.h passes through.
 */
void vmx_msr_bitmap_build(uint8_t *bitmap);

/*
 * Adjust @want (required | optional) against a capability MSR: bits in its
 * low half must be 1, bits not in its high half must be 0 (A.3). Returns the
 * control value; *missing gets the required bits the CPU cannot set.
 */
uint32_t vmx_adjust_controls(uint64_t cap_msr, uint32_t required, uint32_t optional,
                             uint32_t *missing);

/* Apply the CR0/CR4 fixed bits (A.7, A.8). */
static inline uint64_t vmx_fix_cr(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
    return (v | fixed0) & fixed1;
}
#endif

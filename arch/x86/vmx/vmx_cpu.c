/*
 * VMX on each CPU: the capability MSRs and the controls they allow
 * (vmx_caps.c), IA32_FEATURE_CONTROL, CR0/CR4's fixed bits and VMXON
 * (SDM Vol. 3C 24.7-24.8), and the VPIDs vCPUs are tagged with (28.1).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/processor.h>
#include <keel/buddy.h>
#include <keel/console.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/spinlock.h>
#include "vmx_internal.h"

struct vmx_config vmx_cfg;
static uint64_t vmxon_region[MAX_CPUS];
/* VPIDs in use (0 is the host's and never handed out). */
#define MAX_VPIDS 4096
static uint64_t vpid_used[MAX_VPIDS / 64] = { 1 };
static spinlock_t vpid_lock = SPINLOCK_INIT_LEVEL(LOCK_VPID);    /* vpid_used[]; nothing inside */

uint16_t vmx_vpid_alloc(void)
{
    uint16_t vpid = 0;

    spin_lock(&vpid_lock);
    for (unsigned i = 1; i < MAX_VPIDS; i++)
        if (!(vpid_used[i / 64] >> (i % 64) & 1)) {
            vpid_used[i / 64] |= 1ull << (i % 64);
            vpid = (uint16_t)i;
            break;
        }
    spin_unlock(&vpid_lock);
    return vpid;
}

void vmx_vpid_free(uint16_t vpid)
{
    spin_lock(&vpid_lock);
    vpid_used[vpid / 64] &= ~(1ull << (vpid % 64));
    spin_unlock(&vpid_lock);
}

_Static_assert(offsetof(struct guest_regs, rdi) == 56 && offsetof(struct guest_regs, cr2) == 128 &&
               offsetof(struct guest_regs, launched) == 136, "vmentry.S register offsets");

static void read_msrs(struct vmx_msrs *m)
{
    memset(m, 0, sizeof(*m));
    m->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
    m->basic = rdmsr(MSR_IA32_VMX_BASIC);
    m->pin = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
    m->proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
    m->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
    m->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
    m->misc = rdmsr(MSR_IA32_VMX_MISC);
    m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    m->vmcs_enum = rdmsr(MSR_IA32_VMX_VMCS_ENUM);
    /* A.3.3, A.10: these exist only when the primary controls allow secondaries. */
    if (m->proc >> 32 & CPU_ACTIVATE_SECONDARY_CONTROLS) {
        m->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
        if (m->proc2 >> 32 & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID))
            m->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
        if (m->proc2 >> 32 & CPU2_ENABLE_VMFUNC)
            m->vmfunc = rdmsr(MSR_IA32_VMX_VMFUNC);
    }
    if (m->basic & VMX_BASIC_TRUE_CTLS) {
        m->true_pin = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
        m->true_proc = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
        m->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
        m->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
    }
}

/* keel.dump=vmx: the capability MSRs, for tests/unit/fixtures/vmx-*.txt. */
void vmx_dump_msrs(void)
{
    struct vmx_msrs m;
    char line[64];

    if (!(cpuid(1).ecx & CPUID1_ECX_VMX))
        return;
    read_msrs(&m);
    for (unsigned i = 0; i < vmx_nr_msr_numbers; i++) {
        uint64_t v = 0;
        int n;

        vmx_msrs_get(&m, vmx_msr_numbers[i], &v);
        n = snprintf(line, sizeof(line), "@@VMXMSR %#x %#lx\n", vmx_msr_numbers[i], (unsigned long)v);
        console_write(line, (size_t)n);
    }
}

int vmx_cpu_init(int bsp)
{
    struct percpu *pc = this_cpu();
    struct vmx_msrs m;
    char why[96];
    uint64_t fc, region;
    int rc;

    if (!(cpuid(1).ecx & CPUID1_ECX_VMX))
        return -ENODEV;
    read_msrs(&m);
    /* 24.7: VMXON needs IA32_FEATURE_CONTROL locked with VMX outside SMX enabled. */
    fc = m.feature_control;
    if (!(fc & FEATURE_CONTROL_LOCKED)) {
        fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
    } else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        pr_warn("VMX: disabled by the firmware (IA32_FEATURE_CONTROL %#lx)\n", (unsigned long)fc);
        return -ENODEV;
    }
    if (bsp) {
        rc = vmx_config_compute(&m, &vmx_cfg, why, sizeof(why));
        if (rc) {
            pr_warn("VMX: unusable: %s: no guests can run\n", why);
            return rc;
        }
    } else {
        struct vmx_config mine;
        if (vmx_config_compute(&m, &mine, why, sizeof(why)) || mine.pin != vmx_cfg.pin ||
            mine.proc != vmx_cfg.proc || mine.proc2 != vmx_cfg.proc2) {
            pr_warn("CPU%u: VMX capabilities differ from the boot CPU's: VMX off here\n", pc->cpu_id);
            return -ENODEV;
        }
    }
    /* 24.8: CR0 and CR4 must honour the fixed bits (NE is one of them). */
    write_cr0(vmx_fix_cr(read_cr0(), m.cr0_fixed0, m.cr0_fixed1));
    write_cr4(vmx_fix_cr(read_cr4() | X86_CR4_VMXE, m.cr4_fixed0, m.cr4_fixed1));
    region = alloc_pages(0);
    if (!region)
        return -ENOMEM;
    memset(phys_to_virt(region), 0, PAGE_SIZE);
    *(uint32_t *)phys_to_virt(region) = vmx_cfg.revision;
    rc = vmxon(region);
    if (rc) {
        pr_err("CPU%u: VMXON failed (%d)\n", pc->cpu_id, rc);
        free_pages(region, 0);
        return -EIO;
    }
    vmxon_region[pc->cpu_id] = region;
    /* A fresh VMXON: drop any stale EPT/VPID translations (28.3.3.4). */
    invept(INVEPT_ALL_CONTEXT, 0);
    if (vmx_cfg.has_vpid)
        invvpid(INVVPID_ALL_CONTEXT, 0, 0);
    if (bsp) {
        vmx_vendor.has_xsaves = vmx_cfg.has_xsaves;
        vmx_vendor.has_rdtscp = (vmx_cfg.proc2 & CPU2_ENABLE_RDTSCP) != 0;
        vmx_vendor.has_invpcid = (vmx_cfg.proc2 & CPU2_ENABLE_INVPCID) != 0;
        pr_info("VMX: revision %#x, EPT%s%s%s, VPID %s, unrestricted guest, preemption timer %s\n",
                vmx_cfg.revision, vmx_cfg.has_ept_2m ? " 2M" : "", vmx_cfg.has_ept_1g ? " 1G" : "",
                vmx_cfg.has_ept_ad ? " A/D" : "", vmx_cfg.has_vpid ? "on" : "off",
                vmx_cfg.has_preemption_timer ? "yes" : "no");
    }
    return 0;
}

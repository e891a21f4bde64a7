/*
 * EPT violations and misconfigurations (SDM 29.3.3). A write to a page
 * write-protected for dirty logging is recorded and let through; any
 * other violation on guest RAM or unclaimed space stops the guest.
 */
#include <errno.h>
#include <asm/guest_walk.h>
#include <keel/arch.h>
#include <keel/lib.h>
#include <keel/log.h>
#include "vmx_internal.h"

#define MAX_WP_RANGES ARRAY_SIZE(((struct domain_arch *)0)->wp)

/* Ranges write-protected through KEEL_HC_TEST_EPT_PROTECT (d->arch.wp). */
static int in_wp_range(struct domain *d, uint64_t gpa)
{
    for (size_t i = 0; i < MAX_WP_RANGES; i++)
        if (gpa >= d->arch.wp[i].gpa && gpa < d->arch.wp[i].end)
            return 1;
    return 0;
}

void vmexit_ept_violation(struct vcpu *v, const struct vmx_exit *e)
{
    struct domain *d = v->domain;
    uint64_t q = vmcs_readl(EXIT_QUALIFICATION), gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);

    if ((q & EPT_QUAL_WRITE) && (q & EPT_QUAL_READABLE) && !(q & EPT_QUAL_WRITABLE) &&
        in_wp_range(d, gpa)) {
        /* Dirty logging: the page was written; make it writable and retry the write. */
        if (ept_protect(vmx_domain_ept(d), gpa & ~0xfffull, 4096, EPT_RWX)) {
            domain_crash(d, "cannot restore write access at %#lx", (unsigned long)gpa);
            return;
        }
        vmx_flush_ept(d);               /* giving access: another CPU's stale entry only faults again */
        v->arch.ept_wp_faults++;
        return;
    }
    if (domain_find_mmio(d, gpa) && !(q & EPT_QUAL_FETCH)) {
        vmx_emulate_mmio(v, gpa);
        return;
    }
    domain_crash(d, "EPT violation: %s%s%s at guest-physical %#lx, RIP %#lx (qualification %#lx)",
                 q & EPT_QUAL_READ ? "read" : "", q & EPT_QUAL_WRITE ? "write" : "",
                 q & EPT_QUAL_FETCH ? "fetch" : "", (unsigned long)gpa,
                 (unsigned long)vmcs_readl(GUEST_RIP), (unsigned long)q);
}

void vmexit_ept_misconfig(struct vcpu *v, const struct vmx_exit *e)
{
    /* Keel never builds one (ept.c refuses them): this is a hypervisor bug, contained. */
    domain_crash(v->domain, "EPT misconfiguration at guest-physical %#lx",
                 (unsigned long)vmcs_read64(GUEST_PHYSICAL_ADDRESS));
    vmcs_dump();
}

int64_t arch_test_ept_protect(struct domain *d, uint64_t gpa, uint64_t bytes)
{
    int slot = -1, rc;

    if ((gpa | bytes) & 0xfff || !bytes || gpa + bytes < gpa || gpa + bytes > d->mem_bytes)
        return -EINVAL;
    for (size_t i = 0; i < MAX_WP_RANGES; i++)
        if (d->arch.wp[i].end == 0) {
            slot = (int)i;
            break;
        }
    if (slot < 0)
        return -ENOSPC;
    rc = ept_protect(vmx_domain_ept(d), gpa, bytes, EPT_R | EPT_X);
    if (rc)
        return rc;
    d->arch.wp[slot].gpa = gpa;
    d->arch.wp[slot].end = gpa + bytes;
    arch_domain_flush_tlbs(d);          /* taking write access away: every CPU's copy goes */
    return 0;
}

int64_t arch_test_ept_query(struct domain *d, uint64_t gpa)
{
    uint64_t hpa, perm;
    unsigned mt, level;

    if (ept_lookup(vmx_domain_ept(d), gpa, &hpa, &perm, &mt, &level))
        return -ENOENT;
    return (int64_t)(level | perm << 8 | (uint64_t)mt << 12);
}

uint64_t arch_test_counter(struct vcpu *v, int which)
{
    return which == 0 ? v->arch.ept_wp_faults : v->arch.exits;
}

static int read_gpa(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    return domain_copy_from(opaque, buf, gpa, len);
}

int vmx_guest_translate(struct vcpu *v, uint64_t gla, unsigned access, uint64_t *gpa, uint32_t *pf)
{
    struct guest_walk w = {
        .cr0 = vmcs_readl(GUEST_CR0),
        .cr3 = vmcs_readl(GUEST_CR3),
        .cr4 = vmcs_readl(GUEST_CR4),
        .efer = vmcs_read64(GUEST_IA32_EFER),
        /* The MAXPHYADDR the guest was told (its reserved bits), else 52. */
        .maxphyaddr = v->arch.cpuid.nr_ext > 8 ? v->arch.cpuid.ext[8].eax & 0xff : 0,
        .read = read_gpa,
        .opaque = v->domain,
    };
    int rc = guest_walk(&w, gla, access, gpa, pf);

    if (rc == -EIO) {
        domain_crash(v->domain, "page tables outside guest RAM (linear %#lx)", (unsigned long)gla);
        return rc;
    }
    return rc;
}

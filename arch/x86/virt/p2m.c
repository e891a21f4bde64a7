/*
 * What both vendors do with a domain's second-level tables (EPT or NPT):
 * dom0's passthrough and foreign mappings, TLB shootdown by generation,
 * faults (dirty logging, MMIO), the I/O permission bitmap, and the
 * test-mode probes. The arch_* hooks that hv/ calls land here or in
 * virt/hvm.c and reach the vendor through the hvm ops table.
 */
#include <errno.h>
#include <asm/hvm.h>
#include <keel/arch.h>
#include <keel/mm.h>
#include <keel/domain.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/percpu.h>

#define MAX_WP_RANGES ARRAY_SIZE(((struct domain_arch *)0)->wp)

uint64_t hvm_p2m_alloc_table(void *opaque)
{
    (void)opaque;
    return alloc_pages(0);
}

void hvm_p2m_free_table(uint64_t pa)
{
    free_pages(pa, 0);
}

int arch_domain_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    return hvm->p2m_map(d, gpa, hpa, size, P2M_RWX, P2M_MT_WB);
}

int arch_domain_map_host(struct domain *d, uint64_t pa, uint64_t size, int cached)
{
    return hvm->p2m_map(d, pa, pa, size, P2M_RWX, cached ? P2M_MT_WB : P2M_MT_UC);
}

int arch_foreign_map(struct domain *dom0, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    if ((gpa | hpa | size) & 0xfff || !size || gpa + size < gpa)
        return -EINVAL;
    /* Leaf by leaf: a leaf that maps its first page to itself maps every page to itself. */
    for (uint64_t off = 0; off < size;) {
        uint64_t pa;
        unsigned perm, mt, level;
        if (hvm->p2m_lookup(dom0, gpa + off, &pa, &perm, &mt, &level) || pa != gpa + off ||
            mt != P2M_MT_UC || perm != P2M_RWX)
            return -EINVAL;             /* RAM, a page Keel keeps, firmware memory or a mapping already */
        off += pt_level_size(level) - ((gpa + off) & (pt_level_size(level) - 1));
    }
    return hvm->p2m_map(dom0, gpa, hpa, size, P2M_RWX, P2M_MT_WB);
}

void arch_foreign_unmap(struct domain *dom0, uint64_t gpa, uint64_t size)
{
    if (arch_domain_map_host(dom0, gpa, size, 0))
        panic("dom0: cannot put passthrough back at %#lx", (unsigned long)gpa);
}

/*
 * Bump the domain's generation, then wait until no vCPU is in guest mode
 * with an older one (each flushes on its CPU before entering). in_guest is
 * set before the generation is read on the entry side, and read after it
 * is bumped here (both with full barriers), so one of the two sides sees
 * the other.
 */
void arch_domain_flush_tlbs(struct domain *d)
{
    uint64_t gen = __atomic_add_fetch(&d->arch.p2m_gen, 1, __ATOMIC_SEQ_CST);

    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        while (__atomic_load_n(&v->arch.in_guest, __ATOMIC_SEQ_CST) &&
               __atomic_load_n(&v->arch.p2m_gen_seen, __ATOMIC_SEQ_CST) != gen) {
            arch_cpu_kick(v->processor);
            for (unsigned spin = 0; spin < 1000; spin++)
                cpu_relax();
        }
    }
    /* The caller may be one of @d's vCPUs, between exit and entry on this CPU: its entry flushes. */
}

void arch_domain_io_passthrough(struct domain *d, uint32_t port, uint32_t count, int pass)
{
    /* One bit per port, set: the access exits (VMX bitmaps A and B back to back, 25.6.4; SVM's IOPM, 15.10.1). */
    for (uint32_t p = port; p < port + count && p < 0x10000; p++) {
        if (pass)
            d->arch.io_bitmap[p / 8] &= (uint8_t)~(1u << (p % 8));
        else
            d->arch.io_bitmap[p / 8] |= (uint8_t)(1u << (p % 8));
    }
}

/* Ranges write-protected through KEEL_HC_TEST_EPT_PROTECT (d->arch.wp). */
static int in_wp_range(struct domain *d, uint64_t gpa)
{
    for (size_t i = 0; i < MAX_WP_RANGES; i++)
        if (gpa >= d->arch.wp[i].gpa && gpa < d->arch.wp[i].end)
            return 1;
    return 0;
}

/*
 * A second-level fault. A write to a page write-protected for dirty
 * logging is recorded and let through; a data access in a device range is
 * emulated; anything else stops the guest.
 */
void hvm_p2m_fault(struct vcpu *v, uint64_t gpa, int write, int fetch, int readable, int writable)
{
    struct domain *d = v->domain;

    if (write && readable && !writable && in_wp_range(d, gpa)) {
        /* Dirty logging: the page was written; make it writable and retry the write. */
        if (hvm->p2m_protect(d, gpa & ~0xfffull, 4096, P2M_RWX)) {
            domain_crash(d, "cannot restore write access at %#lx", (unsigned long)gpa);
            return;
        }
        hvm->p2m_flush_local(d);        /* giving access: another CPU's stale entry only faults again */
        v->arch.wp_faults++;
        return;
    }
    if (domain_find_mmio(d, gpa) && !fetch) {
        hvm_emulate_mmio(v, gpa);
        return;
    }
    domain_crash(d, "second-level fault: %s at guest-physical %#lx, RIP %#lx",
                 fetch ? "fetch" : write ? "write" : "read", (unsigned long)gpa,
                 (unsigned long)hvm_get(v, HVM_RIP));
    hvm->dump(v);
}

int64_t arch_test_p2m_protect(struct domain *d, uint64_t gpa, uint64_t bytes)
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
    rc = hvm->p2m_protect(d, gpa, bytes, P2M_R | P2M_X);
    if (rc)
        return rc;
    d->arch.wp[slot].gpa = gpa;
    d->arch.wp[slot].end = gpa + bytes;
    arch_domain_flush_tlbs(d);          /* taking write access away: every CPU's copy goes */
    return 0;
}

/* Level | R/W/X << 8 | memory type << 12 (the layout the ept test guest reads). */
int64_t arch_test_p2m_query(struct domain *d, uint64_t gpa)
{
    uint64_t hpa;
    unsigned perm, mt, level;

    if (hvm->p2m_lookup(d, gpa, &hpa, &perm, &mt, &level))
        return -ENOENT;
    return (int64_t)(level | (uint64_t)perm << 8 | (uint64_t)mt << 12);
}

uint64_t arch_test_counter(struct vcpu *v, int which)
{
    return which == 0 ? v->arch.wp_faults : v->arch.exits;
}

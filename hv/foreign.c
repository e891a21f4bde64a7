/*
 * Foreign mappings: a domU's frames made visible in dom0's guest-physical
 * space (KEEL_HC_FOREIGN_MAP), where keel.ko maps them for its user (the
 * toolstack's dumps, later the device models' virtqueues). They go over
 * device passthrough that nothing claims (arch_foreign_map() checks every
 * page), and come off again - with every CPU's cached translations - when
 * dom0 says so or the domU is destroyed, before its frames are freed.
 * Called through domctl() (its lock keeps the domU from going meanwhile).
 */
#include <errno.h>
#include <string.h>
#include <public/keel.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/foreign.h>
#include <keel/lib.h>
#include <keel/spinlock.h>

static struct foreign {
    struct domain *dom0;            /* NULL: a free slot */
    uint32_t domid;                 /* whose frames */
    uint64_t gpa, size;             /* where in dom0 */
} maps[KEEL_FOREIGN_MAX];
static spinlock_t foreign_lock = SPINLOCK_INIT_LEVEL(LOCK_FOREIGN);     /* maps[]; inside: mm, the log */

/* Undo @m's mapping: passthrough back, no CPU keeps the old translations. */
static void undo(struct foreign *m)
{
    arch_foreign_unmap(m->dom0, m->gpa, m->size);
    arch_domain_flush_tlbs(m->dom0);
    memset(m, 0, sizeof(*m));
}

int64_t foreign_map(struct vcpu *caller, const uint64_t a[5])
{
    uint64_t domid = a[0], gfn = a[1], npages = a[2], gpa = a[3], size = npages << PAGE_SHIFT, done = 0;
    struct domain *dom0 = caller->domain, *d;
    struct foreign *slot = NULL;
    int rc = domain_find_domu(domid, &d);

    if (rc)
        return rc;
    if (!npages || npages > (d->mem_bytes >> PAGE_SHIFT) || gfn > (d->mem_bytes >> PAGE_SHIFT) - npages ||
        (gpa & (PAGE_SIZE - 1)) || gpa + size < gpa)
        return -EINVAL;
    spin_lock(&foreign_lock);
    for (unsigned i = 0; i < KEEL_FOREIGN_MAX && !slot; i++)
        if (!maps[i].dom0)
            slot = &maps[i];
    if (!slot) {
        spin_unlock(&foreign_lock);
        return -ENOSPC;
    }
    /*
     * Piece by piece: the domU's RAM is contiguous within each chunk only.
     * A piece that fails after its checks (-ENOMEM: no page for a table)
     * may be mapped in part: it comes off with the pieces before it, or
     * dom0 would keep frames the domU frees later.
     */
    while (!rc && done < size) {
        uint64_t hpa, run = 0;
        rc = domain_ram_hpa(d, (gfn << PAGE_SHIFT) + done, &hpa, &run);
        run = MIN(run, size - done);
        if (!rc)
            rc = arch_foreign_map(dom0, gpa + done, hpa, run);
        if (!rc || rc == -ENOMEM)
            done += run;
    }
    if (rc) {
        if (done)
            arch_foreign_unmap(dom0, gpa, done);
    } else {
        *slot = (struct foreign){ dom0, d->id, gpa, size };
    }
    /* What was there (passthrough, or what a half-done attempt put) may be cached by dom0's CPUs. */
    arch_domain_flush_tlbs(dom0);
    spin_unlock(&foreign_lock);
    return rc;
}

int64_t foreign_unmap(struct vcpu *caller, const uint64_t a[5])
{
    int64_t rc = -EINVAL;

    spin_lock(&foreign_lock);
    for (unsigned i = 0; i < KEEL_FOREIGN_MAX; i++)
        if (maps[i].dom0 == caller->domain && maps[i].gpa == a[0]) {
            undo(&maps[i]);
            rc = 0;
            break;
        }
    spin_unlock(&foreign_lock);
    return rc;
}

void foreign_domain_gone(struct domain *d)
{
    spin_lock(&foreign_lock);
    for (unsigned i = 0; i < KEEL_FOREIGN_MAX; i++) {
        if (maps[i].dom0 == d)
            memset(&maps[i], 0, sizeof(maps[i]));       /* dom0 itself: its EPT goes with it */
        else if (maps[i].dom0 && maps[i].domid == d->id)
            undo(&maps[i]);
    }
    spin_unlock(&foreign_lock);
}

/*
 * Nested page tables (see asm/npt.h): the shared builder with the x86
 * long-mode entry format, every entry a user entry (APM 15.25.5). Memory
 * types come from the host's PAT, which Keel leaves at its power-on value
 * (entry 0 write-back, entry 3 uncacheable: PCD|PWT).
 */
#include <errno.h>
#include <string.h>
#include <asm/npt.h>

const struct pt_format pt_format_npt = {
    .present = PTE_P,
    .table = PTE_P | PTE_RW | PTE_US,
    .attr_mask = PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_NX,
    .leaf = PTE_P,
};

int npt_init(struct npt *n)
{
    n->ctx.fmt = &pt_format_npt;
    n->root = n->ctx.alloc_table(n->ctx.opaque);
    if (!n->root)
        return -ENOMEM;
    memset((void *)(uintptr_t)((intptr_t)n->root + n->ctx.virt_offset), 0, 4096);
    return 0;
}

/* NPT cannot express a page that is not readable (present = readable). */
int64_t npt_leaf_attr(unsigned perm, unsigned mt)
{
    uint64_t a = PTE_US;

    if (!(perm & P2M_R) || (perm & ~P2M_RWX))
        return -1;
    if (perm & P2M_W)
        a |= PTE_RW;
    if (!(perm & P2M_X))
        a |= PTE_NX;
    if (mt == P2M_MT_UC)
        a |= PTE_PCD | PTE_PWT;
    else if (mt != P2M_MT_WB)
        return -1;
    return (int64_t)a;
}

int npt_map(struct npt *n, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm, unsigned mt)
{
    int64_t a = npt_leaf_attr(perm, mt);

    if (a < 0)
        return -EINVAL;
    return pt_map(&n->ctx, n->root, gpa, hpa, size, (uint64_t)a);
}

int npt_lookup(const struct npt *n, uint64_t gpa, uint64_t *hpa, unsigned *perm, unsigned *mt,
               unsigned *level)
{
    uint64_t attr;
    int rc = pt_lookup(&n->ctx, n->root, gpa, hpa, &attr, level);

    if (rc)
        return rc;
    *perm = P2M_R | (attr & PTE_RW ? P2M_W : 0) | (attr & PTE_NX ? 0 : P2M_X);
    *mt = (attr & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT) ? P2M_MT_UC : P2M_MT_WB;
    return 0;
}

int npt_protect(struct npt *n, uint64_t gpa, uint64_t size, unsigned perm)
{
    uint64_t end = gpa + size;

    if (npt_leaf_attr(perm, P2M_MT_WB) < 0 || (gpa | size) & 0xfff || end < gpa)
        return -EINVAL;
    /* Leaf by leaf so each keeps its memory type. */
    while (gpa < end) {
        uint64_t hpa, step = 4096;
        unsigned old, mt, level;
        int rc;

        if (!npt_lookup(n, gpa, &hpa, &old, &mt, &level)) {
            step = pt_level_size(level) - (gpa & (pt_level_size(level) - 1));
            if (step > end - gpa)
                step = end - gpa;
            rc = npt_map(n, gpa, hpa, step, perm, mt);
            if (rc)
                return rc;
        }
        gpa += step;
    }
    return 0;
}

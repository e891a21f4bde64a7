/*
 * EPT tables (see asm/ept.h): the shared builder with the EPT entry format,
 * plus the validity rules of SDM 29.3.3.1 so no misconfiguration is built.
 */
#include <errno.h>
#include <string.h>
#include <asm/ept.h>

const struct pt_format pt_format_ept = {
    .present = EPT_RWX,             /* not present = no access bit set (29.3.2) */
    .table = EPT_RWX,
    .attr_mask = EPT_RWX | EPT_MT_MASK | EPT_IGNORE_PAT,
    .leaf = 0,
};

int ept_init(struct ept *e)
{
    e->ctx.fmt = &pt_format_ept;
    e->root = e->ctx.alloc_table(e->ctx.opaque);
    if (!e->root)
        return -ENOMEM;
    memset((void *)(uintptr_t)((intptr_t)e->root + e->ctx.virt_offset), 0, 4096);
    return 0;
}

static int valid(const struct ept *e, uint64_t perm, unsigned mt)
{
    if (perm & ~EPT_RWX)
        return 0;
    if ((perm & EPT_W) && !(perm & EPT_R))
        return 0;
    if (perm == EPT_X && !e->execute_only_ok)
        return 0;
    return mt == EPT_MT_UC || mt == EPT_MT_WC || mt == EPT_MT_WT || mt == EPT_MT_WP ||
           mt == EPT_MT_WB;
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perm, unsigned mt)
{
    if (!perm || !valid(e, perm, mt))
        return -EINVAL;
    return pt_map(&e->ctx, e->root, gpa, hpa, size, perm | ((uint64_t)mt << EPT_MT_SHIFT));
}

int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size)
{
    return pt_unmap(&e->ctx, e->root, gpa, size);
}

int ept_lookup(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint64_t *perm, unsigned *mt,
               unsigned *level)
{
    uint64_t attr;
    int rc = pt_lookup(&e->ctx, e->root, gpa, hpa, &attr, level);

    if (rc)
        return rc;
    *perm = attr & EPT_RWX;
    *mt = (unsigned)((attr & EPT_MT_MASK) >> EPT_MT_SHIFT);
    return 0;
}

int ept_protect(struct ept *e, uint64_t gpa, uint64_t size, uint64_t perm)
{
    uint64_t end = gpa + size;

    if (!perm || !valid(e, perm, EPT_MT_WB) || (gpa | size) & 0xfff || end < gpa)
        return -EINVAL;
    /* Leaf by leaf so each keeps its memory type (pt_protect would take one for all). */
    while (gpa < end) {
        uint64_t hpa, old;
        unsigned mt, level;
        uint64_t step = 4096;
        int rc;

        if (!ept_lookup(e, gpa, &hpa, &old, &mt, &level)) {
            step = pt_level_size(level) - (gpa & (pt_level_size(level) - 1));
            if (step > end - gpa)
                step = end - gpa;
            rc = pt_map(&e->ctx, e->root, gpa, hpa, step, perm | ((uint64_t)mt << EPT_MT_SHIFT));
            if (rc)
                return rc;
        }
        gpa += step;
    }
    return 0;
}

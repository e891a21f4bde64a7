/*
 * EPT (SDM Vol. 3C 29.3): entries, EPTP, and the domain's second-level
 * tables built with the shared page-table builder. Pure, host-tested.
 */
#ifndef ASM_EPT_H
#define ASM_EPT_H
#include <stdint.h>
#include <asm/page.h>

#define EPT_R               (1ull << 0)
#define EPT_W               (1ull << 1)
#define EPT_X               (1ull << 2)
#define EPT_RWX             (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT        3               /* leaf memory type, bits 5:3 */
#define EPT_MT_MASK         (7ull << 3)
#define EPT_IGNORE_PAT      (1ull << 6)
#define EPT_LARGE           (1ull << 7)     /* same bit as PTE_PS */
#define EPT_ACCESSED        (1ull << 8)
#define EPT_DIRTY           (1ull << 9)

#define EPT_MT_UC           0
#define EPT_MT_WC           1
#define EPT_MT_WT           4
#define EPT_MT_WP           5
#define EPT_MT_WB           6

/* EPTP (25.6.11): memory type, walk length - 1, A/D enable, PML4 address. */
#define EPTP_MT_WB          6ull
#define EPTP_WALK_4         (3ull << 3)
#define EPTP_AD_ENABLE      (1ull << 6)

extern const struct pt_format pt_format_ept;

struct ept {
    struct pt_ctx ctx;              /* fmt = &pt_format_ept */
    uint64_t root;
    int execute_only_ok;            /* IA32_VMX_EPT_VPID_CAP bit 0 */
};

/* Set up with a zeroed PML4 from ctx's allocator. 0 or -ENOMEM. */
int ept_init(struct ept *e);
static inline uint64_t ept_pointer(const struct ept *e, int ad)
{
    return e->root | EPTP_MT_WB | EPTP_WALK_4 | (ad ? EPTP_AD_ENABLE : 0);
}

/*
 * Map [gpa, gpa + size) -> [hpa, ...) with permissions @perm (EPT_R/W/X) and
 * memory type @mt. Combinations the CPU would call a misconfiguration are
 * refused with -EINVAL (29.3.3.1: write without read, execute-only without
 * the capability, reserved memory types 2, 3, 7).
 */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perm, unsigned mt);
int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size);
/* Change permissions of what is mapped in the range, keeping each leaf's memory type. */
int ept_protect(struct ept *e, uint64_t gpa, uint64_t size, uint64_t perm);
/* Translate: 0 with hpa, perm, memory type and level, or -ENOENT. */
int ept_lookup(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint64_t *perm, unsigned *mt,
               unsigned *level);
#endif

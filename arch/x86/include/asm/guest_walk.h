/*
 * Guest page-table walk (SDM Vol. 3A ch. 4): linear -> guest-physical for
 * the emulator and string I/O, in every paging mode a guest can be in:
 * none, 32-bit (4K/4M pages), PAE, 4-level and 5-level. Pure, host-tested.
 */
#ifndef ASM_GUEST_WALK_H
#define ASM_GUEST_WALK_H
#include <stddef.h>
#include <stdint.h>

/* Access kinds; also the #PF error-code bits they produce (4.7). */
#define GW_PRESENT  (1u << 0)       /* error code: the page was present */
#define GW_WRITE    (1u << 1)
#define GW_USER     (1u << 2)
#define GW_RSVD     (1u << 3)       /* error code: a reserved bit was set */
#define GW_FETCH    (1u << 4)

struct guest_walk {
    uint64_t cr0, cr3, cr4, efer;
    unsigned maxphyaddr;            /* the guest's CPUID.80000008H:EAX[7:0]; 0: 52 */
    /* Read @len bytes of guest-physical memory; 0 or -EFAULT. */
    int (*read)(void *opaque, uint64_t gpa, void *buf, size_t len);
    void *opaque;
};

/*
 * Translate @gla for an access of kind @access (GW_WRITE/GW_USER/GW_FETCH).
 * Returns 0 with *gpa, -EFAULT with the #PF error code in *pf_error, or
 * -EIO when a paging structure is not in guest RAM (the guest is broken).
 */
int guest_walk(const struct guest_walk *w, uint64_t gla, unsigned access, uint64_t *gpa,
               uint32_t *pf_error);
#endif

/*
 * Guest page-table walk (see asm/guest_walk.h). Permission rules: SDM 4.6
 * (supervisor writes honour CR0.WP; NX needs EFER.NXE). Reserved bits
 * (4.4.2 for PAE, 4.5.4 for 4- and 5-level paging) fault with RSVD set:
 * address bits at or above MAXPHYADDR, XD without EFER.NXE, PS in a PML5E
 * or PML4E, the low address bits of a large page, a PAE PDPTE's reserved
 * bits. Accessed and
 * dirty bits are not set: the emulator's accesses follow a real access by
 * the guest that the CPU already made (the instruction faulted on EPT).
 */
#include <errno.h>
#include <asm/guest_walk.h>
#include <asm/processor.h>

#define P           (1ull << 0)
#define RW          (1ull << 1)
#define US          (1ull << 2)
#define PS          (1ull << 7)
#define NX          (1ull << 63)
#define ADDR52      0x000ffffffffff000ull
#define PDPTE_PAE_RSVD 0x1e6ull      /* bits 2:1 and 8:5 of a PAE PDPTE */

static int rsvd_fault(uint32_t *pf, unsigned access)
{
    *pf = (access & (GW_WRITE | GW_USER | GW_FETCH)) | GW_PRESENT | GW_RSVD;
    return -EFAULT;
}

/* Bits no entry may set: address bits from MAXPHYADDR to 51, and XD without EFER.NXE. */
static uint64_t rsvd_bits(const struct guest_walk *w)
{
    unsigned maxphy = w->maxphyaddr && w->maxphyaddr < 52 ? w->maxphyaddr : 52;

    return (ADDR52 & ~((1ull << maxphy) - 1)) | (w->efer & EFER_NXE ? 0 : NX);
}

static int fault(uint32_t *pf, unsigned access, int present)
{
    *pf = (access & (GW_WRITE | GW_USER | GW_FETCH)) | (present ? GW_PRESENT : 0);
    return -EFAULT;
}

static int check(uint64_t rights_rw, uint64_t rights_us, int nx, const struct guest_walk *w,
                 unsigned access, uint32_t *pf)
{
    if ((access & GW_USER) && !rights_us)
        return fault(pf, access, 1);
    if ((access & GW_WRITE) && !rights_rw && ((access & GW_USER) || (w->cr0 & X86_CR0_WP)))
        return fault(pf, access, 1);
    if ((access & GW_FETCH) && nx && (w->efer & EFER_NXE))
        return fault(pf, access, 1);
    return 0;
}

int guest_walk(const struct guest_walk *w, uint64_t gla, unsigned access, uint64_t *gpa,
               uint32_t *pf_error)
{
    uint64_t rw = 1, us = 1, table, rsvd = rsvd_bits(w);
    int nx = 0, levels;

    if (!(w->cr0 & X86_CR0_PG)) {
        *gpa = (w->efer & EFER_LMA) ? gla : (gla & 0xffffffffull);
        return 0;
    }
    if (!(w->cr4 & X86_CR4_PAE)) {
        /* 32-bit paging (4.3): two levels of 4-byte entries. */
        uint32_t pde, pte;
        uint32_t la = (uint32_t)gla;

        if (w->read(w->opaque, (w->cr3 & 0xfffff000u) + (la >> 22) * 4, &pde, 4))
            return -EIO;
        if (!(pde & P))
            return fault(pf_error, access, 0);
        if ((pde & PS) && (w->cr4 & X86_CR4_PSE)) {
            if (check(pde & RW, pde & US, 0, w, access, pf_error))
                return -EFAULT;
            /* 4 MiB page: bits 20:13 of the PDE are physical bits 39:32 (PSE-36). */
            *gpa = ((uint64_t)(pde & 0xffc00000u) | ((uint64_t)(pde >> 13 & 0xff) << 32)) +
                   (la & 0x3fffff);
            return 0;
        }
        if (w->read(w->opaque, (pde & 0xfffff000u) + ((la >> 12) & 0x3ff) * 4, &pte, 4))
            return -EIO;
        if (!(pte & P))
            return fault(pf_error, access, 0);
        if (check((pde & RW) && (pte & RW), (pde & US) && (pte & US), 0, w, access, pf_error))
            return -EFAULT;
        *gpa = (pte & 0xfffff000u) | (la & 0xfff);
        return 0;
    }

    if (w->efer & EFER_LMA) {
        levels = w->cr4 & X86_CR4_LA57 ? 5 : 4;     /* 5-level paging (4.5.1) */
        table = w->cr3 & ADDR52;
    } else {
        /* PAE (4.4): the PDPTE selected by bits 31:30, from the 32-byte table at CR3. */
        uint64_t pdpte;
        gla &= 0xffffffffull;
        if (w->read(w->opaque, (w->cr3 & 0xffffffe0u) + ((gla >> 30) & 3) * 8, &pdpte, 8))
            return -EIO;
        if (!(pdpte & P))
            return fault(pf_error, access, 0);
        if (pdpte & (PDPTE_PAE_RSVD | (rsvd & ~NX) | NX))
            return rsvd_fault(pf_error, access);
        levels = 2;
        table = pdpte & ADDR52;
    }
    for (int level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t e;

        if (w->read(w->opaque, table + ((gla >> shift) & 511) * 8, &e, 8))
            return -EIO;
        if (!(e & P))
            return fault(pf_error, access, 0);
        /* PS is reserved above the PDPT; a large page's address bits below its size are too (PAT aside). */
        if ((e & rsvd) || ((e & PS) && level >= 4) ||
            ((e & PS) && level >= 2 && level <= 3 && (e & (((1ull << (12 + 9 * (level - 1))) - 1) & ~0x1fffull))))
            return rsvd_fault(pf_error, access);
        rw &= !!(e & RW);
        us &= !!(e & US);
        nx |= !!(e & NX);
        if (level == 1 || ((e & PS) && level <= 3)) {
            uint64_t mask = (1ull << shift) - 1;
            if (check(rw, us, nx, w, access, pf_error))
                return -EFAULT;
            *gpa = (e & ADDR52 & ~mask) | (gla & mask);
            return 0;
        }
        table = e & ADDR52;
    }
    return -EIO;
}

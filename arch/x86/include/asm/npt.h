/*
 * AMD nested page tables (APM Vol. 2, 15.25): ordinary x86-64 long-mode
 * page tables, walked as user accesses (15.25.5: every NPT entry needs U/S
 * set), built with the shared page-table builder. Pure, host-tested.
 */
#ifndef ASM_NPT_H
#define ASM_NPT_H
#include <stdint.h>
#include <asm/page.h>

extern const struct pt_format pt_format_npt;

struct npt {
    struct pt_ctx ctx;              /* fmt = &pt_format_npt */
    uint64_t root;                  /* nCR3 */
};

/* Permissions and types as the hvm ops take them (P2M_R/W/X; PAT types UC 0, WB 6). */
int npt_init(struct npt *n);
int npt_map(struct npt *n, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm, unsigned mt);
int npt_lookup(const struct npt *n, uint64_t gpa, uint64_t *hpa, unsigned *perm, unsigned *mt,
               unsigned *level);
int npt_protect(struct npt *n, uint64_t gpa, uint64_t size, unsigned perm);
/* The leaf bits of a mapping (exposed for the unit tests): -1 if not expressible. */
int64_t npt_leaf_attr(unsigned perm, unsigned mt);
#endif

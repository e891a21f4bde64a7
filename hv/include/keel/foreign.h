/* Foreign mappings of domU frames into dom0 (hv/foreign.c; ABI: KEEL_HC_FOREIGN_* in public/keel.h). */
#ifndef KEEL_FOREIGN_H
#define KEEL_FOREIGN_H
#include <stdint.h>

struct domain;
struct vcpu;

/* The hypercalls, for dom0's @caller, under domctl()'s lock. */
int64_t foreign_map(struct vcpu *caller, const uint64_t a[5]);
int64_t foreign_unmap(struct vcpu *caller, const uint64_t a[5]);
/* @d is being destroyed: its frames leave dom0 (and every CPU's TLB) first. */
void foreign_domain_gone(struct domain *d);
#endif

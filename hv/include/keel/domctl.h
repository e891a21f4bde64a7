/* Domain control hypercalls (hv/domctl.c), reached through the hypercall table. */
#ifndef KEEL_DOMCTL_H
#define KEEL_DOMCTL_H
#include <stdint.h>

struct vcpu;

/* Hypercall @nr (a KEEL_HC_DOMAIN_* or KEEL_HC_VCPU_* number) made by dom0's @caller. */
int64_t domctl(unsigned nr, struct vcpu *caller, const uint64_t a[5]);
#endif

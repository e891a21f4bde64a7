/* Hypercall dispatch (hv/hypercall.c); the ABI is hv/include/public/keel.h. */
#ifndef KEEL_HYPERCALL_H
#define KEEL_HYPERCALL_H
#include <stdint.h>

struct vcpu;

/* Run hypercall @nr for @v with @args (RDI, RSI, RDX, R10, R8): the value for RAX. */
int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[5]);
#endif

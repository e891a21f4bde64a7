/*
 * Checks of guest register state that a hypercall sets, as VM entry checks
 * it (SDM 27.3.1.4): pure, so host tests run the real rules.
 */
#ifndef ASM_GUEST_STATE_H
#define ASM_GUEST_STATE_H
#include <stdint.h>

/* @v sign-extended from bit @width - 1 (canonical for @width-bit linear addresses). */
static inline int x86_canonical(uint64_t v, unsigned width)
{
    return (uint64_t)((int64_t)(v << (64 - width)) >> (64 - width)) == v;
}

/*
 * RFLAGS: reserved bits 63:22, 15, 5 and 3 clear, bit 1 set, VM clear in
 * IA-32e mode (@lma). RIP: within 32 bits outside 64-bit code, canonical
 * (48 bits, 57 with @la57) in it (@code64).
 */
static inline int x86_rip_rflags_ok(uint64_t rip, uint64_t rflags, int lma, int code64, int la57)
{
    const uint64_t reserved = ~0x3fffffull | (1u << 15) | (1u << 5) | (1u << 3);

    return !(rflags & reserved) && (rflags & 2) && !(lma && (rflags & (1u << 17))) &&
           (code64 ? x86_canonical(rip, la57 ? 57 : 48) : !(rip >> 32));
}
#endif

/*
 * Hostile: what the CPU policy hides must stay hidden in practice, not
 * only in CPUID. Processor Trace through IA32_XSS (its output base would be
 * host-physical), the speculation-control MSRs, the host's performance
 * counters through RDPMC, CR4 bits for features not offered, XCR0
 * components not offered (MPX, AMX).
 */
#include "../guest.h"

static int rdpmc_safe(uint32_t idx)
{
    uint32_t lo, hi;

    last_vector = -1;
    fixup_len = 2;                                  /* 0f 33 */
    __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(idx));
    fixup_len = 0;
    return last_vector < 0 ? 0 : last_vector;
}

static int xsetbv_safe(uint64_t v)
{
    last_vector = -1;
    fixup_len = 3;                                  /* 0f 01 d1 */
    __asm__ volatile("xsetbv" :: "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
    fixup_len = 0;
    return last_vector < 0 ? 0 : last_vector;
}

static int cr4_safe(uint32_t v)
{
    last_vector = -1;
    fixup_len = 3;                                  /* 0f 22 e0 */
    __asm__ volatile("mov %0, %%cr4" :: "a"(v) : "memory");
    fixup_len = 0;
    return last_vector < 0 ? 0 : last_vector;
}

int main(void)
{
    struct regs4 d1 = cpuid(0xd, 1), l7 = cpuid(7, 0), d8 = cpuid(0xd, 8);
    uint64_t v;
    uint32_t cr4;

    check(!d1.c && !d1.d, "CPUID.(0DH,1): no supervisor XSAVE component offered");
    check(!(d8.a | d8.b | d8.c | d8.d), "CPUID.(0DH,8) (Processor Trace's state): empty");
    check(wrmsr_safe(0xda0, 1u << 8) == 13, "IA32_XSS with PT (bit 8): #GP");
    check(wrmsr_safe(0xda0, 1u << 11) == 13, "IA32_XSS with CET_U: #GP");
    check(!(l7.b & (1u << 25)), "Processor Trace not offered");
    check(rdmsr_safe(0x570, &v) == 13, "IA32_RTIT_CTL: #GP");
    check(!(l7.d & 0xfc000000u), "IBRS/STIBP/L1D_FLUSH/ARCH_CAP/SSBD not offered");
    check(rdmsr_safe(0x48, &v) == 13 && wrmsr_safe(0x49, 1) == 13, "SPEC_CTRL and PRED_CMD #GP, as the CPUID says");
    check(rdpmc_safe(0) == 13 && rdpmc_safe(1u << 30) == 13, "RDPMC: #GP (no PMU; never the host's counters)");
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    check(cr4_safe(cr4 | (1u << 13)) == 13, "CR4.VMXE: #GP");
    check(cr4_safe(cr4 | (1u << 24)) == 13, "CR4.PKS: #GP");
    check(cr4_safe(cr4 | (1u << 18)) == 0, "CR4.OSXSAVE: allowed");
    check(xsetbv_safe(0x1b) == 13, "XCR0 with MPX: #GP");
    check(xsetbv_safe(0x60007) == 13, "XCR0 with AMX: #GP");
    check(xsetbv_safe(0x7) == 0, "XCR0 x87|SSE|AVX: fine");
    (void)cr4_safe(cr4);
    return report("policy");
}

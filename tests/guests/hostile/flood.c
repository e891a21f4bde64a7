/*
 * Hostile: log floods and long exits. Each access below makes Keel want to
 * log (an unclaimed port, an MSR that #GPs), thousands of times, and a
 * rep outsb of 4096 bytes asks for 4096 emulated port writes. Keel must
 * log at most its per-domain budget (the boot test counts the lines; it
 * runs with loglvl=debug), and no exit may take long: the guest measures
 * its TSC, which under Bochs counts instructions, Keel's included.
 */
#include "../guest.h"

#define PORT_NOBODY 0x510
static uint8_t buf[4096];

int main(void)
{
    uint64_t t0, t_rep, t_in, t_msr;
    uint32_t bad = 0;
    uint64_t v;

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    t0 = rdtsc();
    __asm__ volatile("cld; rep outsb" :: "S"(buf), "c"(sizeof(buf)), "d"(PORT_NOBODY) : "memory");
    t_rep = rdtsc() - t0;
    t0 = rdtsc();
    for (unsigned i = 0; i < 2000; i++)
        bad += inb(PORT_NOBODY) != 0xff;
    t_in = rdtsc() - t0;
    check(!bad, "2000 reads of an unclaimed port float high");
    t0 = rdtsc();
    for (unsigned i = 0; i < 2000; i++)
        bad += rdmsr_safe(0x12345678, &v) != 13;
    t_msr = rdtsc() - t0;
    check(!bad, "2000 RDMSRs of an unknown MSR #GP");
    puts("FLOOD rep outsb 4096 bytes: ");
    put_dec((uint32_t)t_rep);
    puts(" ticks (");
    put_dec((uint32_t)t_rep / 4096);
    puts(" per byte); IN ");
    put_dec((uint32_t)t_in / 2000);
    puts(", RDMSR #GP ");
    put_dec((uint32_t)t_msr / 2000);
    puts(" ticks each\n");
    return report("flood");
}

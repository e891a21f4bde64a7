/*
 * Exit-path benchmark: N CPUID and N VMCALL round trips timed with RDTSC.
 * Under Bochs the TSC counts emulated instructions, so the difference to an
 * empty loop of the same shape is what one exit costs the hypervisor.
 */
#include "guest.h"

#define N 1000000u

/* Deltas stay below 2^32 ticks (a few hundred per iteration): 32-bit division suffices. */
static uint32_t per_iter(uint64_t t) { return (uint32_t)t / N; }

int main(void)
{
    uint64_t t0, t_empty, t_cpuid, t_vmcall;
    uint32_t a, b, c, d;

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("" ::: "memory");
    t_empty = rdtsc() - t0;

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0) : "memory");
    t_cpuid = rdtsc() - t0;

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("vmcall" : "=a"(a) : "a"(0), "D"(0), "S"(0), "d"(0) : "memory");
    t_vmcall = rdtsc() - t0;

    puts("BENCH loop ");
    put_dec(per_iter(t_empty));
    puts(" cpuid ");
    put_dec(per_iter(t_cpuid));
    puts(" vmcall ");
    put_dec(per_iter(t_vmcall));
    puts(" ticks per iteration\n");
    puts("BENCH exit cost: cpuid ");
    put_dec(per_iter(t_cpuid - t_empty));
    puts(" vmcall ");
    put_dec(per_iter(t_vmcall - t_empty));
    puts(" instructions\n");
    return report("bench");
}

/*
 * Exit-path benchmark: round trips of the exits guests really take, timed
 * with RDTSC. Under Bochs the TSC counts emulated instructions, so each
 * figure minus an empty loop of the same shape is what one exit costs in
 * instructions (the guest's own instruction included), deterministically:
 * `make bench` prints them, and `make test` holds them to the limits in
 * tests/exit-cost-limits.
 *   cpuid0    CPUID leaf 0 (the table's fast path)
 *   cpuid1    CPUID leaf 1 (bits that mirror the guest's CR4)
 *   cpuidx    CPUID with the leaf the previous one returned in EAX
 *   vmcall    a hypercall (KEEL_HC_VERSION-like number 0)
 *   hcnosys   a hypercall number nobody serves (-ENOSYS)
 *   inport    IN from a port nobody claims
 *   eoi       an xAPIC EOI write (MMIO: EPT violation, page walk, decode)
 *   selfipi   a self-IPI through the xAPIC ICR, taken, and its EOI
 */
#include "guest.h"

#define N 100000u
#define LAPIC(off) (*(volatile uint32_t *)(0xfee00000u + (off)))

static uint32_t empty;
static volatile uint32_t ipis;

static void on_ipi(void)
{
    ipis++;
    LAPIC(0xb0) = 0;
}

/* Deltas stay below 2^32 ticks: 32-bit division suffices. */
static void report_one(const char *name, uint64_t t)
{
    uint32_t per = (uint32_t)t / N;

    puts("BENCH ");
    puts(name);
    puts(" ");
    put_dec(per > empty ? per - empty : 0);
    puts("\n");
}

/* N hypercalls @nr with the native instruction (Keel's leaf says which), chosen outside the loop: TSC ticks. */
static uint64_t hypercalls(uint32_t nr)
{
    uint64_t t0 = rdtsc();
    uint32_t a;

    if (hc_vmmcall)
        for (uint32_t i = 0; i < N; i++)
            __asm__ volatile("vmmcall" : "=a"(a) : "a"(nr), "D"(0), "S"(0), "d"(0) : "memory");
    else
        for (uint32_t i = 0; i < N; i++)
            __asm__ volatile("vmcall" : "=a"(a) : "a"(nr), "D"(0), "S"(0), "d"(0) : "memory");
    return rdtsc() - t0;
}

int main(void)
{
    uint64_t t0;
    uint32_t a, b, c, d, leaf = 0;

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("" ::: "memory");
    empty = (uint32_t)(rdtsc() - t0) / N;

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0) : "memory");
    report_one("cpuid0", rdtsc() - t0);

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0) : "memory");
    report_one("cpuid1", rdtsc() - t0);

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        __asm__ volatile("cpuid" : "=a"(leaf), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0) : "memory");
    report_one("cpuidx", rdtsc() - t0);

    report_one("vmcall", hypercalls(0));
    report_one("hcnosys", hypercalls(999));

    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        (void)inb(0x510);
    report_one("inport", rdtsc() - t0);

    /* The LAPIC on from here: every later exit also looks for interrupts to deliver. */
    irq_handler = on_ipi;
    LAPIC(0xf0) = 0x1ff;
    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        LAPIC(0xb0) = 0;
    report_one("eoi", rdtsc() - t0);

    __asm__ volatile("sti");
    t0 = rdtsc();
    for (uint32_t i = 0; i < N; i++)
        LAPIC(0x300) = (1u << 18) | 0x50;       /* self, fixed, vector 0x50 */
    report_one("selfipi", rdtsc() - t0);
    __asm__ volatile("cli");
    check(ipis == N, "every self-IPI taken");
    return report("bench");
}

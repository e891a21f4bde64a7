/*
 * Two vCPUs on one physical CPU ("vcpus=2 shared"), handing a token back
 * and forth with PAUSE loops, as a spinlock does when its holder is not
 * running. Where the CPU detects PAUSE loops (VMX PAUSE-loop exiting, SVM's
 * pause filter) the spinner gives its CPU up at once (Keel counts it as a
 * yield); elsewhere each handoff waits for the spinner's time slice to end.
 */
#include "guest.h"

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt[];
extern const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdt_desc;

#define ROUNDS 20

static volatile int turn, ap_rounds;

static void wait_turn(int who)
{
    while (turn != who)
        __asm__ volatile("pause" ::: "memory");
}

void ap_main(void);
void ap_main(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        wait_turn(1);
        ap_rounds++;
        turn = 0;
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}

int main(void)
{
    uint8_t *t = (uint8_t *)0x8000;
    uint32_t n = (uint32_t)(ap_tramp_end - ap_tramp_start);
    uint64_t t0, t1;

    for (uint32_t i = 0; i < n; i++)
        t[i] = (uint8_t)ap_tramp_start[i];
    for (uint32_t i = 0; i < 6; i++)
        t[(ap_tramp_gdt - ap_tramp_start) + i] = ((const uint8_t *)&gdt_desc)[i];
    wrmsr(0x1b, rdmsr(0x1b) | (1u << 10));              /* x2APIC */
    wrmsr(0x80f, 0x1ff);
    wrmsr(0x830, (1ull << 32) | 0x4500);                /* INIT */
    wrmsr(0x830, (1ull << 32) | 0x4600 | (0x8000 >> 12)); /* STARTUP */
    t0 = rdtsc();
    for (int r = 0; r < ROUNDS; r++) {
        turn = 1;
        wait_turn(0);
    }
    t1 = rdtsc();
    check(ap_rounds == ROUNDS, "20 handoffs between two vCPUs sharing a CPU, each waiting in a PAUSE loop");
    puts("spin: ");
    put_dec((uint32_t)((t1 - t0) / (2 * ROUNDS)));
    puts(" TSC ticks per handoff\n");
    return report("spin");
}

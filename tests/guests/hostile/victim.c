/*
 * The victim that runs beside the hostile guests (keel.test=guest, module
 * option "victim"): a 1 kHz LAPIC timer and HLT, for ever. Each tick adds
 * one to the heartbeat at HEARTBEAT_GPA, which Keel's test harness reads
 * from outside before and after each attacker, and checks a slice of a
 * 64 KiB pattern: if any of it changed, the victim exits with 0xbad.
 */
#include "../guest.h"

#define LAPIC(off) (*(volatile uint32_t *)(0xfee00000u + (off)))
#define HEARTBEAT (*(volatile uint32_t *)0x8000)        /* KEEL_TEST_HEARTBEAT_GPA */
#define WORDS 16384

static uint32_t pattern[WORDS];
static uint32_t next;

static uint32_t expected(uint32_t i) { return i * 2654435761u ^ 0x5a5a5a5au; }

static void on_timer(void)
{
    for (uint32_t n = 0; n < 256; n++, next = (next + 1) % WORDS)
        if (pattern[next] != expected(next)) {
            puts("FAIL victim: its memory changed\n");
            guest_exit(0xbad);
        }
    HEARTBEAT = HEARTBEAT + 1;
    LAPIC(0xb0) = 0;
}

int main(void)
{
    for (uint32_t i = 0; i < WORDS; i++)
        pattern[i] = expected(i);
    HEARTBEAT = 0;
    irq_handler = on_timer;
    LAPIC(0xf0) = 0x1ff;                /* enabled, spurious vector 0xff */
    LAPIC(0x3e0) = 0xb;                 /* divide by 1 */
    LAPIC(0x320) = 0x20040;             /* periodic, vector 0x40 */
    LAPIC(0x380) = 25000;               /* 1 ms at 25 MHz */
    puts("victim: running\n");
    for (;;)
        __asm__ volatile("sti; hlt; cli");
}

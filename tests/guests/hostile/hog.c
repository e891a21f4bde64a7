/*
 * Hostile: a guest that keeps its CPU busy and never leaves it on its own,
 * run on the victim's CPU (module option "victim-cpu"). Interrupts off, no
 * instruction that exits: only the host's timer can take the CPU back.
 * With "if=1" it spins with interrupts on: Bochs 2.7's SVM masks physical
 * interrupts by the guest's IF even under V_INTR_MASKING, where the APM
 * (15.21.1) has the host's IF decide; QEMU and VMX do not.
 * The victim beside it halts between the ticks of its 1 kHz timer, and
 * Keel must wake it at each tick, not when the hog ends: the harness
 * counts its ticks over the hog's run.
 */
#include "../guest.h"

#define HOG_MS 300

int main(void)
{
    uint64_t end = rdtsc() + (uint64_t)tsc_khz() * HOG_MS;
    volatile uint32_t work = 0;

    if (cmdline_has("if=1"))
        __asm__ volatile("sti");
    else
        __asm__ volatile("cli");
    while (rdtsc() < end)
        work = work * 1664525u + 1013904223u;
    return report("hog");
}

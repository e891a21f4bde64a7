/*
 * Hostile: MOV to CR8 (64-bit mode). It must reach this vCPU's virtual TPR,
 * never the physical one, where 15 would mask the host's kick and timer
 * interrupts on this CPU. The guest leaves CR8 at 15 when it exits: the
 * victim guest that runs next on this CPU (timer) must still get its
 * interrupts, and Keel its kicks.
 */
#include "../guest.h"

#define LAPIC_TPR ((volatile uint32_t *)0xfee00080)

uint32_t cr8_set15(void);
uint32_t cr8_read(void);
__asm__(".code64\n"
        "cr8_set15:\n"
        "  mov $15, %eax\n"
        "  mov %rax, %cr8\n"
        "  mov %cr8, %rax\n"
        "  ret\n"
        "cr8_read:\n"
        "  mov %cr8, %rax\n"
        "  ret\n"
        ".code32\n");

int main(void)
{
    check(lm_call(cr8_set15) == 15, "MOV to CR8 15, MOV from CR8 reads 15");
    check(*LAPIC_TPR == 0xf0, "the virtual LAPIC's TPR is CR8 << 4 (0xf0)");
    *LAPIC_TPR = 0x30;
    check(lm_call(cr8_read) == 3, "TPR 0x30 written through the xAPIC page reads back as CR8 3");
    check(lm_call(cr8_set15) == 15, "CR8 left at 15 for the victim after us");
    return report("cr8");
}

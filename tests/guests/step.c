/*
 * Single-stepping (RFLAGS.TF) over STI; HLT, as bare hardware does it (the
 * same guest booted by GRUB on bare Bochs gives this order): a #DB after
 * STI (at HLT), a #DB after HLT once the timer wakes it (at the next
 * instruction), then the timer interrupt there, then #DB after each
 * instruction. Keel lost the second #DB: the interrupt it injected at
 * wake-up dropped VM entry's pending single-step trap.
 */
#include "guest.h"

#define LAPIC(off) (*(volatile uint32_t *)(0xfee00000u + (off)))
#define DB(eip)  (0xd0000000u | ((eip) & 0xffffff))
#define INT(eip) (0x10000000u | ((eip) & 0xffffff))

volatile uint32_t ev[16], nev;
void db_c(uint32_t eip);
void irq_c(uint32_t eip);
void db_c(uint32_t eip) { if (nev < 16) ev[nev++] = DB(eip); }
void irq_c(uint32_t eip) { if (nev < 16) ev[nev++] = INT(eip); LAPIC(0xb0) = 0; }
/* Stubs that record where they return to (the frame's EIP). */
__asm__(".globl step_db_stub, step_irq_stub\n"
        "step_db_stub: pusha; push 32(%esp); call db_c; add $4, %esp; popa; iret\n"
        "step_irq_stub: pusha; push 32(%esp); call irq_c; add $4, %esp; popa; iret\n");
extern char step_db_stub[], step_irq_stub[], l_hlt[], l_n1[], l_n2[];

int main(void)
{
    set_idt_entry(1, (uint32_t)step_db_stub);
    set_idt_entry(0x40, (uint32_t)step_irq_stub);
    load_idt();
    LAPIC(0xf0) = 0x1ff;
    LAPIC(0x3e0) = 0xb;                 /* divide by 1 */
    LAPIC(0x320) = 0x40;                /* one-shot, vector 0x40 */
    LAPIC(0x380) = 200000;              /* 8 ms */
    __asm__ volatile("cli; pushf; orl $0x100, (%%esp); popf\n"
                     "sti\n"
                     ".globl l_hlt, l_n1, l_n2\n"
                     "l_hlt: hlt\n"
                     "l_n1: nop\n"
                     "l_n2: nop\n"
                     "pushf; andl $~0x100, (%%esp); popf; cli" ::: "memory");
    check(nev >= 4, "four events at least");
    check(ev[0] == DB((uint32_t)l_hlt), "#DB after STI, at HLT");
    check(ev[1] == DB((uint32_t)l_n1), "#DB after HLT once woken, before the interrupt");
    check(ev[2] == INT((uint32_t)l_n1), "then the timer interrupt, at the next instruction");
    check(ev[3] == DB((uint32_t)l_n2), "then #DB after that instruction");
    return report("step");
}

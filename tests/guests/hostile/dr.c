/*
 * Hostile and conformance: debug registers. DR7 survives VM exits (a data
 * breakpoint set before a CPUID fires after it), a single step over an
 * instruction Keel emulates traps right after it, and the values this
 * guest leaves in DR0-3 are not what the next domain on this CPU reads:
 * run again with "victim" on its command line, it must see the RESET state.
 */
#include "../guest.h"

static volatile uint32_t watched;

#define GET_DR(n) ({ uint32_t v_; __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_)); v_; })
#define SET_DR(n, v) __asm__ volatile("mov %0, %%db" #n :: "r"((uint32_t)(v)) : "memory")


extern char after_step[];

int main(void)
{
    if (cmdline_has("victim")) {
        check(GET_DR(0) == 0 && GET_DR(1) == 0 && GET_DR(2) == 0 && GET_DR(3) == 0,
              "DR0-3 are 0, not the last domain's");
        check(GET_DR(6) == 0xffff0ff0, "DR6 is 0xffff0ff0");
        check(GET_DR(7) == 0x400, "DR7 is 0x400");
        return report("dr-victim");
    }
    /* A single step before this guest ever touched a debug register: DR6.BS is its to read. */
    __asm__ volatile("pushf; orl $0x100, (%%esp); popf; nop; pushf; andl $~0x100, (%%esp); popf" ::: "memory");
    check(GET_DR(6) & (1u << 14), "DR6.BS after a single step, at the first MOV DR");
    SET_DR(6, 0xffff0ff0);
    SET_DR(7, 0x402);
    cpuid(0, 0);
    check(GET_DR(7) == 0x402, "DR7 keeps 0x402 across a CPUID exit");

    SET_DR(0, (uint32_t)&watched);
    SET_DR(7, 0x400 | 1 | (1u << 16) | (3u << 18));      /* L0, write, 4 bytes */
    cpuid(0, 0);
    db_count = 0;
    watched = 1;
    check(db_count == 1 && last_vector == 1, "a write watchpoint set before an exit raises #DB");
    check(GET_DR(6) & 1, "DR6.B0 says which");
    SET_DR(7, 0x400);

    db_count = 0;
    __asm__ volatile("pushf; orl $0x100, (%%esp); popf\n"
                     "cpuid\n"
                     ".global after_step\n"
                     "after_step:\n"
                     "pushf; andl $~0x100, (%%esp); popf"
                     ::: "eax", "ebx", "ecx", "edx", "memory");
    check(db_count >= 1 && db_first_eip == (uint32_t)after_step,
          "single step over CPUID (emulated): #DB right after it");

    /* For the victim: values it must not see. */
    SET_DR(0, 0x11111111);
    SET_DR(1, 0x22222222);
    SET_DR(2, 0x33333333);
    SET_DR(3, 0x44444444);
    return report("dr");
}

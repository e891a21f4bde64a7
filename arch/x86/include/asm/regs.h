/* The frame arch/x86/cpu/entry.S builds for exception_entry(). */
#ifndef ASM_REGS_H
#define ASM_REGS_H
#include <stdint.h>

struct cpu_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};
#endif

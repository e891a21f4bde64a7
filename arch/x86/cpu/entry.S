/*
 * Exception and interrupt entry: 256 stubs of 16 bytes, one per vector, each
 * pushing a uniform frame (error code or 0, vector) for exception_entry(),
 * which receives a struct cpu_regs (asm/regs.h). SDM Vol. 3A, 6.13 and 6.14.
 */
        .section .text
        .balign 16
        .global exception_stubs
exception_stubs:
        vector = 0
        .rept 256
        .balign 16
        /* Vectors that push an error code (SDM table 6-1). */
        .if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30
        .else
        pushq   $0
        .endif
        pushq   $vector
        jmp     exception_common
        vector = vector + 1
        .endr

exception_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rdi
        cld
        call    exception_entry
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp
        iretq

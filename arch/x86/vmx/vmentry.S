/*
 * The VM entry/exit loop (SDM Vol. 3C 26, 27.5). The hot path: every
 * instruction here is paid on every exit, so the loop stays in assembly
 * and only calls C to handle the exit.
 *
 * int vmx_run(struct guest_regs *regs, struct vcpu *v)
 *   Saves the host's callee-saved registers once, then repeats: load the
 *   guest GPRs and CR2, VMRESUME (VMLAUNCH the first time), on exit save
 *   them back and call vmx_exit_dispatch(v); while that returns 0, enter
 *   again. Returns 0 when the dispatcher says stop, 1 when the VM-entry
 *   instruction itself failed (VMfail: nothing was entered).
 * HOST_RSP is this function's stack pointer: written once per call.
 */
#define GR_RAX  0
#define GR_RCX  8
#define GR_RDX  16
#define GR_RBX  24
#define GR_RBP  40
#define GR_RSI  48
#define GR_RDI  56
#define GR_R8   64
#define GR_R9   72
#define GR_R10  80
#define GR_R11  88
#define GR_R12  96
#define GR_R13  104
#define GR_R14  112
#define GR_R15  120
#define GR_CR2  128
#define GR_LAUNCHED 136
#define HOST_RSP 0x6c14

        .text
        .global vmx_run, vmx_vmexit
vmx_run:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rsi                    /* 8(%rsp): the vcpu, for the dispatcher */
        push    %rdi                    /* (%rsp): the regs, found there on exit */
        mov     $HOST_RSP, %eax         /* RSP is 16-byte aligned here, as calls want */
        vmwrite %rsp, %rax
.Lenter:
        /* CR2 is not in the VMCS: the CPU holds the guest's, switched with its lazy state. */
        mov     (%rsp), %rdi
        cmpq    $0, GR_LAUNCHED(%rdi)   /* flags survive the MOVs below */
        mov     GR_RAX(%rdi), %rax
        mov     GR_RCX(%rdi), %rcx
        mov     GR_RDX(%rdi), %rdx
        mov     GR_RBX(%rdi), %rbx
        mov     GR_RBP(%rdi), %rbp
        mov     GR_RSI(%rdi), %rsi
        mov     GR_R8(%rdi), %r8
        mov     GR_R9(%rdi), %r9
        mov     GR_R10(%rdi), %r10
        mov     GR_R11(%rdi), %r11
        mov     GR_R12(%rdi), %r12
        mov     GR_R13(%rdi), %r13
        mov     GR_R14(%rdi), %r14
        mov     GR_R15(%rdi), %r15
        mov     GR_RDI(%rdi), %rdi
        je      2f
        vmresume
        jmp     3f
2:      vmlaunch
3:      /* VMfail: still on our stack; the host's registers are lost to the guest's. */
        mov     $1, %eax
        jmp     .Lleave

        .balign 16
vmx_vmexit:                             /* HOST_RIP: RSP = HOST_RSP */
        push    %rdi
        mov     8(%rsp), %rdi
        mov     %rax, GR_RAX(%rdi)
        mov     %rcx, GR_RCX(%rdi)
        mov     %rdx, GR_RDX(%rdi)
        mov     %rbx, GR_RBX(%rdi)
        mov     %rbp, GR_RBP(%rdi)
        mov     %rsi, GR_RSI(%rdi)
        mov     %r8, GR_R8(%rdi)
        mov     %r9, GR_R9(%rdi)
        mov     %r10, GR_R10(%rdi)
        mov     %r11, GR_R11(%rdi)
        mov     %r12, GR_R12(%rdi)
        mov     %r13, GR_R13(%rdi)
        mov     %r14, GR_R14(%rdi)
        mov     %r15, GR_R15(%rdi)
        pop     GR_RDI(%rdi)
        movq    $1, GR_LAUNCHED(%rdi)
        xor     %ebp, %ebp              /* a clean frame chain for backtraces */
        mov     8(%rsp), %rdi
        call    vmx_exit_dispatch
        test    %eax, %eax
        jz      .Lenter
        xor     %eax, %eax
.Lleave:
        add     $16, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

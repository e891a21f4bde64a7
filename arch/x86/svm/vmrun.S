/*
 * The VMRUN loop (APM Vol. 2, 15.5-15.6): the hot path, in assembly, as
 * vmx/vmentry.S is for VMX.
 *
 * int svm_run(struct guest_regs *regs, struct vcpu *v, uint64_t host_save_pa)
 *   Saves the host's callee-saved registers once, then repeats: load the
 *   guest GPRs (RAX, RSP and RIP are in the VMCB), CLGI, STI (host
 *   interrupts then exit the guest, 15.21.1), VMLOAD the guest's FS, GS,
 *   TR, LDTR, KernelGsBase, STAR family and SYSENTER MSRs, VMRUN, VMSAVE
 *   them back, save the GPRs, VMLOAD the host's, CLI, STGI (GIF was 0 from
 *   VMRUN to here: no interrupt or NMI saw the guest's GS base or TR), and
 *   call svm_exit_dispatch(v); while that returns 0, enter again.
 * regs->vmcb_pa is the VMCB's physical address (RAX for VMRUN). VMRUN
 * restores the host's RSP, RAX, CR0/3/4, EFER, GDTR, IDTR and segments.
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
#define GR_VMCB 144

        .text
        .global svm_run
svm_run:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdx                    /* 16(%rsp): the host save area */
        push    %rsi                    /* 8(%rsp): the vcpu, for the dispatcher */
        push    %rdi                    /* (%rsp): the regs; RSP is 16-byte aligned here */
.Lenter:
        mov     (%rsp), %rdi
        mov     GR_VMCB(%rdi), %rax
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
        clgi
        sti
        vmload  %rax
        vmrun   %rax
        vmsave  %rax
        push    %rdi
        mov     8(%rsp), %rdi
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
        mov     16(%rsp), %rax
        vmload  %rax
        cli
        stgi
        xor     %ebp, %ebp              /* a clean frame chain for backtraces */
        mov     8(%rsp), %rdi
        call    svm_exit_dispatch
        test    %eax, %eax
        jz      .Lenter
        add     $24, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

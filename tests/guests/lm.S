/*
 * uint32_t lm_call(uint32_t (*fn64)(void)): run 64-bit code from a 32-bit
 * test guest. Enters IA-32e mode (SDM 10.8.5) on identity page tables that
 * map the first 4 GiB with 2 MiB pages, calls fn64 with interrupts off (the
 * IDT is 32-bit: fn64 must not fault), and goes back to protected mode
 * (10.8.5.4). Returns fn64's EAX.
 */
        .text
        .code32
        .global lm_call
lm_call:
        push    %ebp
        mov     %esp, %ebp
        push    %ebx
        push    %esi
        push    %edi
        pushf
        cli
        mov     8(%ebp), %esi
        /* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages. */
        mov     $lm_pdpt + 3, %eax
        mov     %eax, lm_pml4
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $12, %eax
        add     $lm_pd + 3, %eax
        mov     %eax, lm_pdpt(,%ecx,8)
        inc     %ecx
        cmp     $4, %ecx
        jne     1b
        xor     %ecx, %ecx
2:      mov     %ecx, %eax
        shl     $21, %eax
        or      $0x83, %eax             /* P, RW, PS */
        mov     %eax, lm_pd(,%ecx,8)
        inc     %ecx
        cmp     $2048, %ecx
        jne     2b
        mov     $lm_pml4, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax            /* LME */
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax       /* PG: LMA */
        mov     %eax, %cr0
        ljmp    $0x18, $3f
        .code64
3:      call    *%rsi
        mov     %eax, %ebx
        lea     4f(%rip), %rax
        pushq   $0x08
        push    %rax
        lretq
        .code32
4:      mov     %cr0, %eax
        and     $0x7fffffff, %eax
        mov     %eax, %cr0
        mov     $0xc0000080, %ecx
        rdmsr
        and     $~0x100, %eax
        wrmsr
        mov     %cr4, %eax
        and     $~0x20, %eax
        mov     %eax, %cr4
        mov     %ebx, %eax
        popf
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        ret

        .bss
        .balign 4096
lm_pml4: .space 4096
lm_pdpt: .space 4096
lm_pd:   .space 4 * 4096

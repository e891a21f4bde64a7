/*
 * Test guests' entry: a multiboot (v1) header, a stack, an IDT whose stubs
 * call guest_exception(), then main(mbi). main's return value is the exit
 * code written to the debug-exit port.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003     /* page-align modules, want memory info */

        .section .multiboot, "a"
        .balign 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .text
        .code32
        .global _start
_start:
        cli
        mov     $stack_top, %esp
        cmp     $0x2BADB002, %eax
        jne     1f
        push    %ebx
        call    guest_init
        call    main
        push    %eax
        call    guest_exit
1:      mov     $0xf4, %dx
        mov     $0xbad, %eax
        out     %eax, %dx
2:      hlt
        jmp     2b

/* Exception stubs: push a uniform frame (error code or 0, vector) and call C. */
        .macro STUB n
        .balign 16
        .if \n == 8 || (\n >= 10 && \n <= 14) || \n == 17
        .else
        push    $0
        .endif
        push    $\n
        jmp     exc_common
        .endm
        .global exc_stubs
        .balign 16
exc_stubs:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        STUB \n
        .endr
        .balign 16
        .global irq_stub
irq_stub:                       /* vectors 32-255: one stub, the vector is found from the ISR */
        push    $0
        push    $255
        jmp     exc_common
exc_common:
        pusha
        push    %esp
        call    guest_exception
        add     $4, %esp
        popa
        add     $8, %esp
        iret

        .bss
        .balign 16
        .space 16384
stack_top:

/*
 * AP start-up code for the SMP test: copied to 0x8000 by the BSP, entered
 * in real mode at 0800:0000 by the STARTUP IPI; loads the GDT whose
 * descriptor the BSP patched in, enters protected mode and calls ap_main.
 */
        .text
        .code16
        .global ap_tramp_start, ap_tramp_end, ap_tramp_gdt
ap_tramp_start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   ap_tramp_gdt - ap_tramp_start
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $ap_entry32
        .balign 4
ap_tramp_gdt:
        .word 0
        .long 0
ap_tramp_end:

        .code32
ap_entry32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $ap_stack_top, %esp
        call    ap_main
1:      cli
        hlt
        jmp     1b

        .bss
        .balign 16
        .space 8192
ap_stack_top:

/*
 * AP trampoline (SDM Vol. 3A, 9.4.4 MP initialization): copied below 1 MiB,
 * started by a STARTUP IPI in real mode at CS = vector << 8, IP = 0. It goes
 * straight to long mode with the BSP's page tables and jumps to ap_entry64
 * with the stack and CPU index the BSP wrote into the trampoline's data.
 * Everything here is addressed relative to trampoline_start: the BSP patches
 * the absolute fields (tramp_*) after copying.
 */
#include <asm/desc.h>

#define CR0_PE      (1 << 0)
#define CR0_WP      (1 << 16)
#define CR0_NW      (1 << 29)
#define CR0_CD      (1 << 30)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define MSR_EFER    0xc0000080
#define EFER_LME    (1 << 8)
#define EFER_NXE    (1 << 11)
#define OFF(x)      ((x) - trampoline_start)

        .section .rodata.trampoline, "a"
        .code16
        .balign 16
        .global trampoline_start, trampoline_end
trampoline_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   OFF(tramp_gdt_desc)
        mov     %cr4, %eax
        or      $CR4_PAE, %eax
        mov     %eax, %cr4
        movl    OFF(tramp_cr3), %eax
        mov     %eax, %cr3
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $(EFER_LME | EFER_NXE), %eax
        wrmsr
        mov     %cr0, %eax
        and     $~(CR0_CD | CR0_NW), %eax       /* after INIT both are set (9.1.1): caches on */
        or      $(CR0_PG | CR0_WP | CR0_PE), %eax
        mov     %eax, %cr0
        ljmpl   *OFF(tramp_far64)

        .code64
        .global tramp_64
tramp_64:
        mov     $GDT_DS, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     tramp_stack(%rip), %rsp
        mov     tramp_cpu(%rip), %rdi
        xor     %ebp, %ebp
        mov     tramp_entry(%rip), %rax
        jmp     *%rax

        .balign 8
tramp_gdt:
        .quad 0
        /* Accessed bits preset: this page is read-only while APs use it. */
        .quad GDT_DESC_CODE64        /* GDT_CS64 */
        .quad GDT_DESC_DATA        /* GDT_DS */
tramp_gdt_end:
        .global tramp_gdt_desc, tramp_cr3, tramp_far64, tramp_stack, tramp_cpu, tramp_entry
        .global tramp_gdt
        .balign 8
tramp_gdt_desc:
        .short tramp_gdt_end - tramp_gdt - 1
        .long 0                         /* patched: linear address of tramp_gdt */
        .balign 8
tramp_far64:
        .long 0                         /* patched: linear address of tramp_64 */
        .short GDT_CS64
        .balign 8
tramp_cr3:      .quad 0
tramp_stack:    .quad 0
tramp_cpu:      .quad 0
tramp_entry:    .quad 0
trampoline_end:

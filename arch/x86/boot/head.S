/*
 * Boot entry points.
 *
 * _start: the multiboot2 entry (Multiboot2 spec 3.3): 32-bit protected mode,
 *   paging off, EAX = magic, EBX = information structure. Builds a 4 GiB
 *   identity map, enters long mode (SDM Vol. 3A, 10.8.5) and joins...
 * keel_entry64: the one 64-bit entry, also used by the UEFI loader:
 *   RDI = BOOT_ENTRY_*, RSI = what it points to. Loads Keel's own GDT,
 *   stack and boot page tables, then calls keel_start(kind, ptr) in C.
 */
#include <boot/multiboot2.h>
#include <boot/boot_info.h>
#include <asm/desc.h>

#define CR0_PE      (1 << 0)
#define CR0_WP      (1 << 16)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define MSR_EFER    0xc0000080
#define EFER_LME    (1 << 8)
#define EFER_NXE    (1 << 11)
#define PTE_P_RW    0x3
#define PTE_PS      0x80

        .section .multiboot2, "a"
        .balign MULTIBOOT2_HEADER_ALIGN
mb2_header:
        .long MULTIBOOT2_HEADER_MAGIC
        .long MULTIBOOT2_ARCH_I386
        .long mb2_header_end - mb2_header
        .long -(MULTIBOOT2_HEADER_MAGIC + MULTIBOOT2_ARCH_I386 + (mb2_header_end - mb2_header))
        .balign 8
        .short MULTIBOOT2_HEADER_TAG_END
        .short 0
        .long 8
mb2_header_end:

        /* The UEFI loader finds keel_entry64 through this note. */
        .section .note.keel, "a"
        .balign 4
        .long 5                         /* namesz: "Keel\0" */
        .long 8                         /* descsz */
        .long KEEL_NOTE_ENTRY64
        .asciz KEEL_NOTE_NAME
        .balign 4
        .quad keel_entry64

        .section .boot.text, "ax"
        .code32
        .global _start
_start:
        cli
        cld
        cmp     $MULTIBOOT2_BOOTLOADER_MAGIC, %eax
        jne     .Lno_boot
        mov     %ebx, %edi              /* keep the mbi pointer */
        mov     $boot_stack_top, %esp

        /* Long mode and NX are required (CPUID.80000001H:EDX[29], [20]). */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      .Lno_lm
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     .Lno_lm

        /* pml4[0] -> pdpt, pdpt[0..3] -> pd[0..3], pd: 2 MiB identity pages. */
        mov     $boot_pdpt + PTE_P_RW, %eax
        mov     %eax, boot_pml4
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $12, %eax
        add     $boot_pd + PTE_P_RW, %eax
        mov     %eax, boot_pdpt(, %ecx, 8)
        inc     %ecx
        cmp     $4, %ecx
        jne     1b
        xor     %ecx, %ecx
2:      mov     %ecx, %eax
        shl     $21, %eax
        or      $PTE_P_RW + PTE_PS, %eax
        mov     %eax, boot_pd(, %ecx, 8)
        mov     %ecx, %eax
        shr     $11, %eax               /* high half of (ecx << 21) */
        mov     %eax, boot_pd + 4(, %ecx, 8)
        inc     %ecx
        cmp     $2048, %ecx
        jne     2b

        mov     %cr4, %eax
        or      $CR4_PAE, %eax
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $(EFER_LME | EFER_NXE), %eax
        wrmsr
        mov     %cr0, %eax
        or      $(CR0_PG | CR0_WP | CR0_PE), %eax
        mov     %eax, %cr0
        lgdt    boot_gdt_desc
        ljmp    $GDT_CS64, $.Lfrom32

.Lno_lm:
        mov     $msg_no_lm, %esi
        jmp     .Lfail32
.Lno_boot:
        mov     $msg_no_boot, %esi
.Lfail32:
        /* COM1, unconfigured: whatever the firmware left, better than nothing. */
        lodsb
        test    %al, %al
        jz      3f
        mov     $0x3f8, %dx
        out     %al, %dx
        jmp     .Lfail32
3:      hlt
        jmp     3b

        .code64
.Lfrom32:
        mov     %edi, %esi              /* mbi (zero-extended) */
        mov     $BOOT_ENTRY_MULTIBOOT2, %edi
        /* fall through */

        .global keel_entry64
keel_entry64:
        cli
        cld
        lea     boot_stack_top(%rip), %rsp
        mov     %rdi, %r12
        mov     %rsi, %r13
        /*
         * From UEFI the firmware's page tables are live: build ours (same
         * layout as above; harmless to redo on the multiboot2 path).
         */
        lea     boot_pdpt(%rip), %rax
        or      $PTE_P_RW, %rax
        mov     %rax, boot_pml4(%rip)
        lea     boot_pd(%rip), %rdx
        lea     boot_pdpt(%rip), %rdi
        xor     %ecx, %ecx
4:      mov     %rcx, %rax
        shl     $12, %rax
        add     %rdx, %rax
        or      $PTE_P_RW, %rax
        mov     %rax, (%rdi, %rcx, 8)
        inc     %ecx
        cmp     $4, %ecx
        jne     4b
        xor     %ecx, %ecx
5:      mov     %rcx, %rax
        shl     $21, %rax
        or      $PTE_P_RW + PTE_PS, %rax
        mov     %rax, (%rdx, %rcx, 8)
        inc     %ecx
        cmp     $2048, %ecx
        jne     5b
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $EFER_NXE, %eax
        wrmsr
        lea     boot_pml4(%rip), %rax
        mov     %rax, %cr3
        lgdt    boot_gdt_desc(%rip)
        push    $GDT_CS64
        lea     6f(%rip), %rax
        push    %rax
        lretq
6:      mov     $GDT_DS, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        xor     %ebp, %ebp
        mov     %r12, %rdi
        mov     %r13, %rsi
        call    keel_start
7:      cli
        hlt
        jmp     7b

        .section .rodata
msg_no_boot:
        .asciz "keel: not started by a multiboot2 loader\r\n"
msg_no_lm:
        .asciz "keel: this CPU has no long mode\r\n"

        .balign 8
boot_gdt:
        .quad 0
        .quad GDT_DESC_CODE64        /* GDT_CS64: 64-bit code, DPL0 */
        .quad GDT_DESC_DATA        /* GDT_DS: data */
boot_gdt_end:
        .global boot_gdt_desc
boot_gdt_desc:
        .short boot_gdt_end - boot_gdt - 1
        .quad boot_gdt

        .section .bss
        .balign 4096
boot_pml4:      .skip 4096
boot_pdpt:      .skip 4096
boot_pd:        .skip 4 * 4096
        .balign 16
        .global boot_stack_top
boot_stack:     .skip KEEL_STACK_SIZE
boot_stack_top:

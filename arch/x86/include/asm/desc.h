/* GDT layout shared by the boot code, the AP trampoline and arch/x86/cpu/cpu.c. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#define GDT_CS64    0x08
#define GDT_DS      0x10
#define GDT_TSS     0x18        /* 16 bytes: entries 3 and 4 */
#define GDT_ENTRIES 5

/* Flat descriptors, accessed bit preset (the trampoline's GDT is read-only while used). */
#define GDT_DESC_CODE64 0x00af9b000000ffff      /* L=1, P, DPL 0, execute/read */
#define GDT_DESC_DATA   0x00cf93000000ffff      /* G, D/B, P, DPL 0, read/write */

/* Interrupt stack table slots (TSS.IST1..3). */
#define IST_DF      1
#define IST_NMI     2
#define IST_MC      3

#define KEEL_STACK_SIZE  16384  /* per-CPU stacks: normal and each IST */
#endif

/* Architectural register bits, MSR numbers and CPUID feature bits (SDM Vol. 3A ch. 2, Vol. 4). */
#ifndef ASM_PROCESSOR_H
#define ASM_PROCESSOR_H

#define X86_CR0_PE          (1u << 0)
#define X86_CR0_MP          (1u << 1)
#define X86_CR0_ET          (1u << 4)
#define X86_CR0_NE          (1u << 5)
#define X86_CR0_WP          (1u << 16)
#define X86_CR0_NW          (1u << 29)
#define X86_CR0_CD          (1u << 30)
#define X86_CR0_PG          (1u << 31)

#define X86_CR4_PSE         (1u << 4)
#define X86_CR4_PAE         (1u << 5)
#define X86_CR4_PGE         (1u << 7)
#define X86_CR4_OSFXSR      (1u << 9)
#define X86_CR4_LA57        (1u << 12)
#define X86_CR4_VMXE        (1u << 13)
#define X86_CR4_OSXSAVE     (1u << 18)
#define X86_CR4_PKE         (1u << 22)

#define MSR_IA32_APIC_BASE  0x0000001b
#define MSR_IA32_FEATURE_CONTROL        0x03a
#define FEATURE_CONTROL_LOCKED          (1u << 0)
#define FEATURE_CONTROL_VMX_INSIDE_SMX  (1u << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1u << 2)
#define MSR_IA32_XSS        0x00000da0
#define MSR_IA32_PRED_CMD   0x00000049
#define PRED_CMD_IBPB       1ull
#define MSR_EFER            0xc0000080
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_IA32_PAT        0x00000277
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SFMASK          0xc0000084
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_TSC_AUX         0xc0000103
/* AMD SVM (APM Vol. 2, 15.30): VM_CR and the host save area's address. */
#define MSR_VM_CR           0xc0010114
#define MSR_VM_HSAVE_PA     0xc0010117
#define VM_CR_LOCK          (1u << 3)
#define VM_CR_SVMDIS        (1u << 4)

#define APIC_BASE_BSP       (1u << 8)
#define APIC_BASE_EXTD      (1u << 10)   /* x2APIC mode */
#define APIC_BASE_ENABLE    (1u << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

#define EFER_SCE            (1u << 0)
#define EFER_LME            (1u << 8)
#define EFER_LMA            (1u << 10)
#define EFER_NXE            (1u << 11)
#define EFER_SVME           (1u << 12)

/*
 * Segment access rights in VMX's layout (SDM 24.4.1, table 24-2), also what
 * hvm_get(HVM_CS_AR) gives; the VMCB packs bits 15:12 into 11:8 (svm_attrib()).
 */
#define SEG_AR_TYPE_DATA_RW_A   0x3         /* data, read/write, accessed */
#define SEG_AR_TYPE_CODE_RX_A   0xb         /* code, execute/read, accessed */
#define SEG_AR_TYPE_TSS_BUSY    0xb         /* system: busy 32/64-bit TSS */
#define SEG_AR_TYPE_LDT         0x2         /* system: LDT */
#define SEG_AR_S            (1u << 4)       /* code or data (not system) */
#define SEG_AR_P            (1u << 7)       /* present */
#define SEG_AR_L            (1u << 13)      /* 64-bit code */
#define SEG_AR_DB           (1u << 14)      /* default operand size 32 */
#define SEG_AR_G            (1u << 15)      /* limit in 4 KiB units */
#define SEG_AR_UNUSABLE     (1u << 16)      /* VMX only: the register holds no segment */

#define RFLAGS_FIXED        (1u << 1)       /* reads as 1 */
#define PAT_RESET           0x0007040600070406ull   /* IA32_PAT after RESET (SDM 13.12.4) */
#define MTRR_DEF_TYPE_RESET 0x806           /* MTRRs enabled, default type WB: what firmware leaves */

/* CPUID.1:ECX / EDX */
#define CPUID1_ECX_VMX      (1u << 5)
#define CPUID_EXT1_ECX_SVM  (1u << 2)      /* CPUID.80000001H:ECX */
#define CPUID1_ECX_X2APIC   (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_XSAVE    (1u << 26)
#define CPUID1_ECX_HYPERVISOR   (1u << 31)
#define CPUID1_EDX_APIC     (1u << 9)
/* CPUID.80000001:EDX */
#define CPUID_EXT1_EDX_NX     (1u << 20)
#define CPUID_EXT1_EDX_PAGE1G (1u << 26)
#define CPUID_EXT1_EDX_LM     (1u << 29)

#endif

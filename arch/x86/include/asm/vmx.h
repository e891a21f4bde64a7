/*
 * VMX architecture definitions with SDM names (Vol. 3C/3D: appendix A for
 * the capability MSRs, appendix B for VMCS field encodings, appendix C for
 * exit reasons, chapters 25-28 for the controls and exit information).
 */
#ifndef ASM_VMX_H
#define ASM_VMX_H
#include <stdint.h>
#include <asm/processor.h>

/* Capability MSRs (appendix A). */
#define MSR_IA32_VMX_BASIC              0x480
#define MSR_IA32_VMX_PINBASED_CTLS      0x481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x482
#define MSR_IA32_VMX_EXIT_CTLS          0x483
#define MSR_IA32_VMX_ENTRY_CTLS         0x484
#define MSR_IA32_VMX_MISC               0x485
#define MSR_IA32_VMX_CR0_FIXED0         0x486
#define MSR_IA32_VMX_CR0_FIXED1         0x487
#define MSR_IA32_VMX_CR4_FIXED0         0x488
#define MSR_IA32_VMX_CR4_FIXED1         0x489
#define MSR_IA32_VMX_VMCS_ENUM          0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x490
#define MSR_IA32_VMX_VMFUNC             0x491


#define VMX_BASIC_REVISION(b)           ((uint32_t)(b) & 0x7fffffff)
#define VMX_BASIC_TRUE_CTLS             (1ull << 55)

/* Pin-based controls (25.6.1). */
#define PIN_EXTERNAL_INTERRUPT_EXITING  (1u << 0)
#define PIN_NMI_EXITING                 (1u << 3)
#define PIN_VIRTUAL_NMIS                (1u << 5)
#define PIN_PREEMPTION_TIMER            (1u << 6)
#define PIN_POSTED_INTERRUPTS           (1u << 7)

/* Primary processor-based controls (25.6.2). */
#define CPU_INTERRUPT_WINDOW_EXITING    (1u << 2)
#define CPU_USE_TSC_OFFSETTING          (1u << 3)
#define CPU_HLT_EXITING                 (1u << 7)
#define CPU_INVLPG_EXITING              (1u << 9)
#define CPU_MWAIT_EXITING               (1u << 10)
#define CPU_RDPMC_EXITING               (1u << 11)
#define CPU_RDTSC_EXITING               (1u << 12)
#define CPU_CR3_LOAD_EXITING            (1u << 15)
#define CPU_CR3_STORE_EXITING           (1u << 16)
#define CPU_CR8_LOAD_EXITING            (1u << 19)
#define CPU_CR8_STORE_EXITING           (1u << 20)
#define CPU_USE_TPR_SHADOW              (1u << 21)
#define CPU_NMI_WINDOW_EXITING          (1u << 22)
#define CPU_MOV_DR_EXITING              (1u << 23)
#define CPU_UNCONDITIONAL_IO_EXITING    (1u << 24)
#define CPU_USE_IO_BITMAPS              (1u << 25)
#define CPU_MONITOR_TRAP_FLAG           (1u << 27)
#define CPU_USE_MSR_BITMAPS             (1u << 28)
#define CPU_MONITOR_EXITING             (1u << 29)
#define CPU_PAUSE_EXITING               (1u << 30)
#define CPU_ACTIVATE_SECONDARY_CONTROLS (1u << 31)

/* Secondary processor-based controls (25.6.2). */
#define CPU2_VIRTUALIZE_APIC_ACCESSES   (1u << 0)
#define CPU2_ENABLE_EPT                 (1u << 1)
#define CPU2_DESCRIPTOR_TABLE_EXITING   (1u << 2)
#define CPU2_ENABLE_RDTSCP              (1u << 3)
#define CPU2_VIRTUALIZE_X2APIC_MODE     (1u << 4)
#define CPU2_ENABLE_VPID                (1u << 5)
#define CPU2_WBINVD_EXITING             (1u << 6)
#define CPU2_UNRESTRICTED_GUEST         (1u << 7)
#define CPU2_APIC_REGISTER_VIRT         (1u << 8)
#define CPU2_VIRTUAL_INTR_DELIVERY      (1u << 9)
#define CPU2_PAUSE_LOOP_EXITING         (1u << 10)
#define CPU2_RDRAND_EXITING             (1u << 11)
#define CPU2_ENABLE_INVPCID             (1u << 12)
#define CPU2_ENABLE_VMFUNC              (1u << 13)
#define CPU2_VMCS_SHADOWING             (1u << 14)
#define CPU2_RDSEED_EXITING             (1u << 16)
#define CPU2_ENABLE_PML                 (1u << 17)
#define CPU2_EPT_VIOLATION_VE           (1u << 18)
#define CPU2_ENABLE_XSAVES              (1u << 20)
#define CPU2_TSC_SCALING                (1u << 25)

/* VM-exit controls (25.7.1). */
#define EXIT_SAVE_DEBUG_CONTROLS        (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE       (1u << 9)
#define EXIT_LOAD_IA32_PERF_GLOBAL_CTRL (1u << 12)
#define EXIT_ACK_INTERRUPT_ON_EXIT      (1u << 15)
#define EXIT_SAVE_IA32_PAT              (1u << 18)
#define EXIT_LOAD_IA32_PAT              (1u << 19)
#define EXIT_SAVE_IA32_EFER             (1u << 20)
#define EXIT_LOAD_IA32_EFER             (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER      (1u << 22)

/* VM-entry controls (25.8.1). */
#define ENTRY_LOAD_DEBUG_CONTROLS       (1u << 2)
#define ENTRY_IA32E_MODE_GUEST          (1u << 9)
#define ENTRY_LOAD_IA32_PAT             (1u << 14)
#define ENTRY_LOAD_IA32_EFER            (1u << 15)

/* EPT/VPID capabilities (A.10). */
#define EPT_CAP_EXECUTE_ONLY            (1ull << 0)
#define EPT_CAP_WALK_4                  (1ull << 6)
#define EPT_CAP_MEMTYPE_UC              (1ull << 8)
#define EPT_CAP_MEMTYPE_WB              (1ull << 14)
#define EPT_CAP_2MB_PAGE                (1ull << 16)
#define EPT_CAP_1GB_PAGE                (1ull << 17)
#define EPT_CAP_INVEPT                  (1ull << 20)
#define EPT_CAP_AD_BITS                 (1ull << 21)
#define EPT_CAP_INVEPT_SINGLE           (1ull << 25)
#define EPT_CAP_INVEPT_ALL              (1ull << 26)
#define VPID_CAP_INVVPID                (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE         (1ull << 41)
#define VPID_CAP_INVVPID_ALL            (1ull << 42)

/* VMCS field encodings (appendix B). Bits 14:13: width; bit 0: high half. */
#define VMCS_WIDTH_16       0
#define VMCS_WIDTH_64       1
#define VMCS_WIDTH_32       2
#define VMCS_WIDTH_NATURAL  3
#define VMCS_FIELD_WIDTH(f) (((f) >> 13) & 3)

enum vmcs_field {
    VIRTUAL_PROCESSOR_ID            = 0x0000,
    GUEST_ES_SELECTOR               = 0x0800,
    GUEST_CS_SELECTOR               = 0x0802,
    GUEST_SS_SELECTOR               = 0x0804,
    GUEST_DS_SELECTOR               = 0x0806,
    GUEST_FS_SELECTOR               = 0x0808,
    GUEST_GS_SELECTOR               = 0x080a,
    GUEST_LDTR_SELECTOR             = 0x080c,
    GUEST_TR_SELECTOR               = 0x080e,
    HOST_ES_SELECTOR                = 0x0c00,
    HOST_CS_SELECTOR                = 0x0c02,
    HOST_SS_SELECTOR                = 0x0c04,
    HOST_DS_SELECTOR                = 0x0c06,
    HOST_FS_SELECTOR                = 0x0c08,
    HOST_GS_SELECTOR                = 0x0c0a,
    HOST_TR_SELECTOR                = 0x0c0c,
    IO_BITMAP_A                     = 0x2000,
    IO_BITMAP_B                     = 0x2002,
    MSR_BITMAP                      = 0x2004,
    VM_EXIT_MSR_STORE_ADDR          = 0x2006,
    VM_EXIT_MSR_LOAD_ADDR           = 0x2008,
    VM_ENTRY_MSR_LOAD_ADDR          = 0x200a,
    TSC_OFFSET                      = 0x2010,
    EPT_POINTER                     = 0x201a,
    XSS_EXIT_BITMAP                 = 0x202c,
    GUEST_PHYSICAL_ADDRESS          = 0x2400,
    VMCS_LINK_POINTER               = 0x2800,
    GUEST_IA32_DEBUGCTL             = 0x2802,
    GUEST_IA32_PAT                  = 0x2804,
    GUEST_IA32_EFER                 = 0x2806,
    HOST_IA32_PAT                   = 0x2c00,
    HOST_IA32_EFER                  = 0x2c02,
    PIN_BASED_VM_EXEC_CONTROL       = 0x4000,
    CPU_BASED_VM_EXEC_CONTROL       = 0x4002,
    EXCEPTION_BITMAP                = 0x4004,
    PAGE_FAULT_ERROR_CODE_MASK      = 0x4006,
    PAGE_FAULT_ERROR_CODE_MATCH     = 0x4008,
    CR3_TARGET_COUNT                = 0x400a,
    VM_EXIT_CONTROLS                = 0x400c,
    VM_EXIT_MSR_STORE_COUNT         = 0x400e,
    VM_EXIT_MSR_LOAD_COUNT          = 0x4010,
    VM_ENTRY_CONTROLS               = 0x4012,
    VM_ENTRY_MSR_LOAD_COUNT         = 0x4014,
    VM_ENTRY_INTR_INFO_FIELD        = 0x4016,
    VM_ENTRY_EXCEPTION_ERROR_CODE   = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN        = 0x401a,
    TPR_THRESHOLD                   = 0x401c,
    SECONDARY_VM_EXEC_CONTROL       = 0x401e,
    PLE_GAP                         = 0x4020,
    PLE_WINDOW                      = 0x4022,
    VM_INSTRUCTION_ERROR            = 0x4400,
    VM_EXIT_REASON                  = 0x4402,
    VM_EXIT_INTR_INFO               = 0x4404,
    VM_EXIT_INTR_ERROR_CODE         = 0x4406,
    IDT_VECTORING_INFO_FIELD        = 0x4408,
    IDT_VECTORING_ERROR_CODE        = 0x440a,
    VM_EXIT_INSTRUCTION_LEN         = 0x440c,
    VMX_INSTRUCTION_INFO            = 0x440e,
    GUEST_ES_LIMIT                  = 0x4800,
    GUEST_CS_LIMIT                  = 0x4802,
    GUEST_SS_LIMIT                  = 0x4804,
    GUEST_DS_LIMIT                  = 0x4806,
    GUEST_FS_LIMIT                  = 0x4808,
    GUEST_GS_LIMIT                  = 0x480a,
    GUEST_LDTR_LIMIT                = 0x480c,
    GUEST_TR_LIMIT                  = 0x480e,
    GUEST_GDTR_LIMIT                = 0x4810,
    GUEST_IDTR_LIMIT                = 0x4812,
    GUEST_ES_AR_BYTES               = 0x4814,
    GUEST_CS_AR_BYTES               = 0x4816,
    GUEST_SS_AR_BYTES               = 0x4818,
    GUEST_DS_AR_BYTES               = 0x481a,
    GUEST_FS_AR_BYTES               = 0x481c,
    GUEST_GS_AR_BYTES               = 0x481e,
    GUEST_LDTR_AR_BYTES             = 0x4820,
    GUEST_TR_AR_BYTES               = 0x4822,
    GUEST_INTERRUPTIBILITY_INFO     = 0x4824,
    GUEST_ACTIVITY_STATE            = 0x4826,
    GUEST_SYSENTER_CS               = 0x482a,
    VMX_PREEMPTION_TIMER_VALUE      = 0x482e,
    HOST_IA32_SYSENTER_CS           = 0x4c00,
    CR0_GUEST_HOST_MASK             = 0x6000,
    CR4_GUEST_HOST_MASK             = 0x6002,
    CR0_READ_SHADOW                 = 0x6004,
    CR4_READ_SHADOW                 = 0x6006,
    EXIT_QUALIFICATION              = 0x6400,
    GUEST_LINEAR_ADDRESS            = 0x640a,
    GUEST_CR0                       = 0x6800,
    GUEST_CR3                       = 0x6802,
    GUEST_CR4                       = 0x6804,
    GUEST_ES_BASE                   = 0x6806,
    GUEST_CS_BASE                   = 0x6808,
    GUEST_SS_BASE                   = 0x680a,
    GUEST_DS_BASE                   = 0x680c,
    GUEST_FS_BASE                   = 0x680e,
    GUEST_GS_BASE                   = 0x6810,
    GUEST_LDTR_BASE                 = 0x6812,
    GUEST_TR_BASE                   = 0x6814,
    GUEST_GDTR_BASE                 = 0x6816,
    GUEST_IDTR_BASE                 = 0x6818,
    GUEST_DR7                       = 0x681a,
    GUEST_RSP                       = 0x681c,
    GUEST_RIP                       = 0x681e,
    GUEST_RFLAGS                    = 0x6820,
    GUEST_PENDING_DBG_EXCEPTIONS    = 0x6822,
    GUEST_SYSENTER_ESP              = 0x6824,
    GUEST_SYSENTER_EIP              = 0x6826,
    HOST_CR0                        = 0x6c00,
    HOST_CR3                        = 0x6c02,
    HOST_CR4                        = 0x6c04,
    HOST_FS_BASE                    = 0x6c06,
    HOST_GS_BASE                    = 0x6c08,
    HOST_TR_BASE                    = 0x6c0a,
    HOST_GDTR_BASE                  = 0x6c0c,
    HOST_IDTR_BASE                  = 0x6c0e,
    HOST_IA32_SYSENTER_ESP          = 0x6c10,
    HOST_IA32_SYSENTER_EIP          = 0x6c12,
    HOST_RSP                        = 0x6c14,
    HOST_RIP                        = 0x6c16,
};

/* Basic exit reasons (appendix C). */
enum {
    EXIT_REASON_EXCEPTION_NMI       = 0,
    EXIT_REASON_EXTERNAL_INTERRUPT  = 1,
    EXIT_REASON_TRIPLE_FAULT        = 2,
    EXIT_REASON_INIT_SIGNAL         = 3,
    EXIT_REASON_SIPI                = 4,
    EXIT_REASON_IO_SMI              = 5,
    EXIT_REASON_OTHER_SMI           = 6,
    EXIT_REASON_INTERRUPT_WINDOW    = 7,
    EXIT_REASON_NMI_WINDOW          = 8,
    EXIT_REASON_TASK_SWITCH         = 9,
    EXIT_REASON_CPUID               = 10,
    EXIT_REASON_GETSEC              = 11,
    EXIT_REASON_HLT                 = 12,
    EXIT_REASON_INVD                = 13,
    EXIT_REASON_INVLPG              = 14,
    EXIT_REASON_RDPMC               = 15,
    EXIT_REASON_RDTSC               = 16,
    EXIT_REASON_RSM                 = 17,
    EXIT_REASON_VMCALL              = 18,
    EXIT_REASON_VMCLEAR             = 19,
    EXIT_REASON_VMLAUNCH            = 20,
    EXIT_REASON_VMPTRLD             = 21,
    EXIT_REASON_VMPTRST             = 22,
    EXIT_REASON_VMREAD              = 23,
    EXIT_REASON_VMRESUME            = 24,
    EXIT_REASON_VMWRITE             = 25,
    EXIT_REASON_VMOFF               = 26,
    EXIT_REASON_VMON                = 27,
    EXIT_REASON_CR_ACCESS           = 28,
    EXIT_REASON_DR_ACCESS           = 29,
    EXIT_REASON_IO_INSTRUCTION      = 30,
    EXIT_REASON_MSR_READ            = 31,
    EXIT_REASON_MSR_WRITE           = 32,
    EXIT_REASON_INVALID_STATE       = 33,
    EXIT_REASON_MSR_LOAD_FAIL       = 34,
    EXIT_REASON_MWAIT_INSTRUCTION   = 36,
    EXIT_REASON_MONITOR_TRAP_FLAG   = 37,
    EXIT_REASON_MONITOR_INSTRUCTION = 39,
    EXIT_REASON_PAUSE_INSTRUCTION   = 40,
    EXIT_REASON_MCE_DURING_VMENTRY  = 41,
    EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
    EXIT_REASON_APIC_ACCESS         = 44,
    EXIT_REASON_EOI_INDUCED         = 45,
    EXIT_REASON_GDTR_IDTR           = 46,
    EXIT_REASON_LDTR_TR             = 47,
    EXIT_REASON_EPT_VIOLATION       = 48,
    EXIT_REASON_EPT_MISCONFIG       = 49,
    EXIT_REASON_INVEPT              = 50,
    EXIT_REASON_RDTSCP              = 51,
    EXIT_REASON_PREEMPTION_TIMER    = 52,
    EXIT_REASON_INVVPID             = 53,
    EXIT_REASON_WBINVD              = 54,
    EXIT_REASON_XSETBV              = 55,
    EXIT_REASON_APIC_WRITE          = 56,
    EXIT_REASON_RDRAND              = 57,
    EXIT_REASON_INVPCID             = 58,
    EXIT_REASON_VMFUNC              = 59,
    EXIT_REASON_ENCLS               = 60,
    EXIT_REASON_RDSEED              = 61,
    EXIT_REASON_PML_FULL            = 62,
    EXIT_REASON_XSAVES              = 63,
    EXIT_REASON_XRSTORS             = 64,
    EXIT_REASON_MAX                 = 75,
};

/* Exit reason field (25.9.1): read-only decoding, so a bitfield union is fine. */
union vmx_exit_reason {
    struct {
        uint32_t basic : 16;
        uint32_t reserved1 : 11;
        uint32_t enclave_mode : 1;
        uint32_t pending_mtf : 1;
        uint32_t from_root : 1;
        uint32_t reserved2 : 1;
        uint32_t failed_vmentry : 1;
    };
    uint32_t full;
};

/* Interruption information (25.8.3 entry, 28.2.2 exit). */
#define INTR_INFO_VECTOR_MASK       0xffu
#define INTR_INFO_TYPE_SHIFT        8
#define INTR_INFO_TYPE_MASK         (7u << 8)
#define INTR_INFO_DELIVER_CODE      (1u << 11)
#define INTR_INFO_NMI_UNBLOCK_IRET  (1u << 12)
#define INTR_INFO_VALID             (1u << 31)
#define INTR_TYPE_EXT_INTR          (0u << 8)
#define INTR_TYPE_NMI               (2u << 8)
#define INTR_TYPE_HARD_EXCEPTION    (3u << 8)
#define INTR_TYPE_SOFT_INTR         (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SOFT_EXCEPTION    (6u << 8)

/* Guest interruptibility state (25.4.2). */
#define GUEST_INTR_STATE_STI        (1u << 0)
#define GUEST_INTR_STATE_MOV_SS     (1u << 1)
#define GUEST_INTR_STATE_SMI        (1u << 2)
#define GUEST_INTR_STATE_NMI        (1u << 3)

/* Guest activity state (25.4.2). */
#define GUEST_ACTIVITY_ACTIVE       0
#define GUEST_ACTIVITY_HLT          1
#define GUEST_ACTIVITY_SHUTDOWN     2
#define GUEST_ACTIVITY_WAIT_SIPI    3

/* Exit qualification for I/O instructions (table 28-5). */
#define IO_QUAL_SIZE(q)         ((unsigned)((q) & 7) + 1)
#define IO_QUAL_IN              (1u << 3)
#define IO_QUAL_STRING          (1u << 4)
#define IO_QUAL_REP             (1u << 5)
#define IO_QUAL_PORT(q)         ((uint16_t)((q) >> 16))

/* Exit qualification for control-register accesses (table 28-3). */
#define CR_QUAL_NUMBER(q)       ((unsigned)((q) & 15))
#define CR_QUAL_TYPE(q)         ((unsigned)(((q) >> 4) & 3))   /* 0 mov to, 1 mov from, 2 clts, 3 lmsw */
#define CR_QUAL_GPR(q)          ((unsigned)(((q) >> 8) & 15))
#define CR_QUAL_LMSW_DATA(q)    ((uint16_t)((q) >> 16))
/* MOV DR exits (table 28-4): register, direction (1: MOV from DR), GPR. */
#define DR_QUAL_NUMBER(q)       ((unsigned)((q) & 7))
#define DR_QUAL_FROM_DR         (1u << 4)
#define DR_QUAL_GPR(q)          ((unsigned)(((q) >> 8) & 15))
/* Pending debug exceptions (25.4.2): BS, a single step after the instruction. */
#define PENDING_DBG_BS          (1u << 14)

/* Exit qualification for EPT violations (table 28-7). */
#define EPT_QUAL_READ           (1u << 0)
#define EPT_QUAL_WRITE          (1u << 1)
#define EPT_QUAL_FETCH          (1u << 2)
#define EPT_QUAL_READABLE       (1u << 3)
#define EPT_QUAL_WRITABLE       (1u << 4)
#define EPT_QUAL_EXECUTABLE     (1u << 5)
#define EPT_QUAL_GLA_VALID      (1u << 7)
#define EPT_QUAL_NMI_UNBLOCK    (1u << 12)

/* VMX-instruction error numbers (30.4), for messages. */
#define VMXERR_VMLAUNCH_NONCLEAR    4
#define VMXERR_VMRESUME_NONLAUNCHED 5
#define VMXERR_ENTRY_INVALID_CTRL   7
#define VMXERR_ENTRY_INVALID_HOST   8
#endif

/*
 * AMD SVM (APM Vol. 2, ch. 15; VMCB layout: appendix B). Pure definitions:
 * the VMCB, intercept bits, exit codes, CPUID 8000_000AH features.
 */
#ifndef ASM_SVM_H
#define ASM_SVM_H
#include <stddef.h>
#include <stdint.h>
#include <asm/cpuid_policy.h>

/* CPUID 8000_000AH: EAX revision, EBX number of ASIDs, EDX features (APM Vol. 3, E.4.9). */
#define SVM_FEAT_NPT            (1u << 0)
#define SVM_FEAT_LBRV           (1u << 1)
#define SVM_FEAT_SVML           (1u << 2)
#define SVM_FEAT_NRIPS          (1u << 3)
#define SVM_FEAT_TSC_RATE       (1u << 4)
#define SVM_FEAT_VMCB_CLEAN     (1u << 5)
#define SVM_FEAT_FLUSH_BY_ASID  (1u << 6)
#define SVM_FEAT_DECODE_ASSISTS (1u << 7)
#define SVM_FEAT_PAUSE_FILTER   (1u << 10)
#define SVM_FEAT_PF_THRESHOLD   (1u << 12)
#define SVM_FEAT_AVIC           (1u << 13)
#define SVM_FEAT_VMSAVE_VIRT    (1u << 15)
#define SVM_FEAT_VGIF           (1u << 16)
/* Pause filter settings (KVM's defaults): PAUSEs before the intercept, cycles between them. */
#define SVM_PAUSE_FILTER_COUNT  3000
#define SVM_PAUSE_FILTER_THRESH 128

/* Intercept words (B.1, table B-1): CR, DR, exceptions, then three of instructions and events. */
enum { SVM_ICPT_CR, SVM_ICPT_DR, SVM_ICPT_EXC, SVM_ICPT_MISC1, SVM_ICPT_MISC2, SVM_ICPT_MISC3, SVM_ICPT_WORDS };
#define SVM_CR_READ(n)          (1u << (n))
#define SVM_CR_WRITE(n)         (1u << (16 + (n)))
#define SVM_DR_READ(n)          (1u << (n))
#define SVM_DR_WRITE(n)         (1u << (16 + (n)))
/* word 3 (offset 00Ch) */
#define SVM_MISC1_INTR          (1u << 0)
#define SVM_MISC1_NMI           (1u << 1)
#define SVM_MISC1_SMI           (1u << 2)
#define SVM_MISC1_INIT          (1u << 3)
#define SVM_MISC1_VINTR         (1u << 4)
#define SVM_MISC1_RDPMC         (1u << 15)
#define SVM_MISC1_CPUID         (1u << 18)
#define SVM_MISC1_IRET          (1u << 20)
#define SVM_MISC1_INVD          (1u << 22)
#define SVM_MISC1_PAUSE         (1u << 23)
#define SVM_MISC1_HLT           (1u << 24)
#define SVM_MISC1_INVLPGA       (1u << 26)
#define SVM_MISC1_IOIO          (1u << 27)
#define SVM_MISC1_MSR           (1u << 28)
#define SVM_MISC1_TASK_SWITCH   (1u << 29)
#define SVM_MISC1_SHUTDOWN      (1u << 31)
/* word 4 (offset 010h) */
#define SVM_MISC2_VMRUN         (1u << 0)
#define SVM_MISC2_VMMCALL       (1u << 1)
#define SVM_MISC2_VMLOAD        (1u << 2)
#define SVM_MISC2_VMSAVE        (1u << 3)
#define SVM_MISC2_STGI          (1u << 4)
#define SVM_MISC2_CLGI          (1u << 5)
#define SVM_MISC2_SKINIT        (1u << 6)
#define SVM_MISC2_RDTSCP        (1u << 7)
#define SVM_MISC2_WBINVD        (1u << 9)
#define SVM_MISC2_MONITOR       (1u << 10)
#define SVM_MISC2_MWAIT         (1u << 11)
#define SVM_MISC2_MWAIT_COND    (1u << 12)
#define SVM_MISC2_XSETBV        (1u << 13)
/* word 5 (offset 014h) */
#define SVM_MISC3_INVPCID       (1u << 2)

/* Exit codes (appendix C). */
#define SVM_EXIT_CR0_READ       0x000
#define SVM_EXIT_CR0_WRITE      0x010
#define SVM_EXIT_CR4_WRITE      0x014
#define SVM_EXIT_DR0_READ       0x020
#define SVM_EXIT_DR0_WRITE      0x030
#define SVM_EXIT_EXCP(v)        (0x040 + (v))
#define SVM_EXIT_INTR           0x060
#define SVM_EXIT_NMI            0x061
#define SVM_EXIT_SMI            0x062
#define SVM_EXIT_INIT           0x063
#define SVM_EXIT_VINTR          0x064
#define SVM_EXIT_RDPMC          0x06f
#define SVM_EXIT_CPUID          0x072
#define SVM_EXIT_IRET           0x074
#define SVM_EXIT_INVD           0x076
#define SVM_EXIT_PAUSE          0x077
#define SVM_EXIT_HLT            0x078
#define SVM_EXIT_INVLPGA        0x07a
#define SVM_EXIT_IOIO           0x07b
#define SVM_EXIT_MSR            0x07c
#define SVM_EXIT_TASK_SWITCH    0x07d
#define SVM_EXIT_SHUTDOWN       0x07f
#define SVM_EXIT_VMRUN          0x080
#define SVM_EXIT_VMMCALL        0x081
#define SVM_EXIT_VMLOAD         0x082
#define SVM_EXIT_VMSAVE         0x083
#define SVM_EXIT_STGI           0x084
#define SVM_EXIT_CLGI           0x085
#define SVM_EXIT_SKINIT         0x086
#define SVM_EXIT_RDTSCP         0x087
#define SVM_EXIT_WBINVD         0x089
#define SVM_EXIT_MONITOR        0x08a
#define SVM_EXIT_MWAIT          0x08b
#define SVM_EXIT_MWAIT_COND     0x08c
#define SVM_EXIT_XSETBV         0x08d
#define SVM_EXIT_INVPCID        0x0a2
#define SVM_EXIT_NPF            0x400
#define SVM_EXIT_INVALID        0xffffffffffffffffull   /* VMEXIT_INVALID: VMRUN refused the state */

/* IOIO EXITINFO1 (15.10.2, figure 15-2). */
#define SVM_IOIO_IN             (1u << 0)
#define SVM_IOIO_STR            (1u << 2)
#define SVM_IOIO_REP            (1u << 3)
#define SVM_IOIO_SZ(i)          (((i) >> 4) & 7)        /* one-hot: 1, 2 or 4 bytes */
#define SVM_IOIO_A(i)           (((i) >> 7) & 7)        /* one-hot: 16, 32 or 64-bit addresses */
#define SVM_IOIO_PORT(i)        ((uint16_t)((i) >> 16))

/* NPF EXITINFO1: a #PF error code (15.25.6). */
#define SVM_NPF_P               (1ull << 0)
#define SVM_NPF_W               (1ull << 1)
#define SVM_NPF_ID              (1ull << 4)

/* TLB_CONTROL (15.16.2). */
#define SVM_TLB_NOTHING         0
#define SVM_TLB_FLUSH_ALL       1
#define SVM_TLB_FLUSH_ASID      3

/* V_INTR fields (offset 060h). */
#define SVM_V_TPR_MASK          0xfu
#define SVM_V_IRQ               (1u << 8)
#define SVM_V_INTR_PRIO_SHIFT   16
#define SVM_V_IGN_TPR           (1u << 20)
#define SVM_V_INTR_MASKING      (1u << 24)

/* VMCB clean bits (15.15.3). */
#define SVM_CLEAN_INTERCEPTS    (1u << 0)
#define SVM_CLEAN_IOPM          (1u << 1)       /* IOPM, MSRPM, TSC offset */
#define SVM_CLEAN_ASID          (1u << 2)
#define SVM_CLEAN_TPR           (1u << 3)       /* V_TPR, V_IRQ ... */
#define SVM_CLEAN_NP            (1u << 4)
#define SVM_CLEAN_CRX           (1u << 5)       /* CR0, CR3, CR4, EFER */
#define SVM_CLEAN_DRX           (1u << 6)       /* DR6, DR7 */
#define SVM_CLEAN_DT            (1u << 7)       /* GDTR, IDTR */
#define SVM_CLEAN_SEG           (1u << 8)       /* CS, DS, SS, ES, CPL */
#define SVM_CLEAN_CR2           (1u << 9)
#define SVM_CLEAN_LBR           (1u << 10)

struct vmcb_seg {
    uint16_t sel;
    uint16_t attrib;                /* AR bits 7:0 and 15:12 packed into 11:0 */
    uint32_t limit;
    uint64_t base;
} __attribute__((packed));

struct vmcb_control {
    uint32_t intercept[SVM_ICPT_WORDS];
    uint8_t reserved1[0x3c - 0x18];
    uint16_t pause_filter_thresh;
    uint16_t pause_filter_count;
    uint64_t iopm_base_pa;
    uint64_t msrpm_base_pa;
    uint64_t tsc_offset;
    uint32_t asid;
    uint8_t tlb_control;
    uint8_t reserved2[3];
    uint32_t int_ctl;               /* V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING */
    uint32_t int_vector;
    uint32_t int_state;             /* bit 0: interrupt shadow */
    uint8_t reserved3[4];
    uint64_t exit_code;
    uint64_t exit_info1;
    uint64_t exit_info2;
    uint32_t exit_int_info;
    uint32_t exit_int_info_err;
    uint64_t np_enable;
    uint64_t avic_apic_bar;
    uint64_t ghcb_pa;
    uint32_t event_inj;
    uint32_t event_inj_err;
    uint64_t n_cr3;
    uint64_t virt_ext;
    uint32_t clean;
    uint32_t reserved5;
    uint64_t next_rip;
    uint8_t insn_len;
    uint8_t insn_bytes[15];
    uint8_t reserved6[0x400 - 0xe0];
} __attribute__((packed));

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t reserved1[0x4cb - 0x4a0];
    uint8_t cpl;
    uint32_t reserved2;
    uint64_t efer;
    uint8_t reserved3[0x548 - 0x4d8];
    uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
    uint8_t reserved4[0x5d8 - 0x580];
    uint64_t rsp;
    uint64_t s_cet, ssp, isst_addr;
    uint64_t rax;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t cr2;
    uint8_t reserved5[0x668 - 0x648];
    uint64_t g_pat;
    uint64_t dbgctl;
    uint64_t br_from, br_to, last_excp_from, last_excp_to;
} __attribute__((packed));

struct vmcb {
    struct vmcb_control c;
    struct vmcb_save s;
} __attribute__((packed, aligned(4096)));

_Static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x40, "VMCB: IOPM_BASE_PA");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x70, "VMCB: EXITCODE");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0xa8, "VMCB: EVENTINJ");
_Static_assert(offsetof(struct vmcb_control, n_cr3) == 0xb0, "VMCB: N_CR3");
_Static_assert(offsetof(struct vmcb_control, next_rip) == 0xc8, "VMCB: nRIP");
_Static_assert(offsetof(struct vmcb, s) == 0x400, "VMCB: state-save area");
_Static_assert(offsetof(struct vmcb, s.cpl) == 0x4cb, "VMCB: CPL");
_Static_assert(offsetof(struct vmcb, s.efer) == 0x4d0, "VMCB: EFER");
_Static_assert(offsetof(struct vmcb, s.cr4) == 0x548, "VMCB: CR4");
_Static_assert(offsetof(struct vmcb, s.rip) == 0x578, "VMCB: RIP");
_Static_assert(offsetof(struct vmcb, s.rsp) == 0x5d8, "VMCB: RSP");
_Static_assert(offsetof(struct vmcb, s.rax) == 0x5f8, "VMCB: RAX");
_Static_assert(offsetof(struct vmcb, s.cr2) == 0x640, "VMCB: CR2");
_Static_assert(offsetof(struct vmcb, s.g_pat) == 0x668, "VMCB: G_PAT");

/* VMX-layout access rights (asm/processor.h SEG_AR_*) <-> the VMCB's packed attributes. */
static inline uint16_t svm_attrib(uint32_t ar) { return (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00)); }
static inline uint32_t svm_ar(uint16_t attrib) { return (attrib & 0xffu) | ((uint32_t)(attrib & 0xf00) << 4); }

/* What the CPU offers, from CPUID 8000_000AH and 8000_0001H (svm_caps.c). */
struct svm_caps {
    uint32_t revision, nasids, features;
    int page1g;                     /* 1 GiB pages for NPT (CPUID 8000_0001H:EDX[26]) */
    unsigned maxphyaddr;            /* CPUID 8000_0008H:EAX[7:0] */
};

/* What the guest policy keeps from the guest, for the intercepts. */
struct svm_policy_in {
    int rdtscp, invpcid;            /* offered to guests (else the instruction #UDs) */
};

/* The CPU's SVM facts, what the guest policy may offer, and the CR4 bits it implements, from its CPUID. */
void svm_caps_read(struct svm_caps *c, cpuid_host_fn cpuid);
void svm_policy_read(struct svm_policy_in *p, cpuid_host_fn cpuid);
uint64_t svm_cr4_supported(cpuid_host_fn cpuid);

/* The intercept words for a new vCPU: a pure function of the CPU and policy (svm_caps.c). */
void svm_intercepts(const struct svm_caps *caps, const struct svm_policy_in *pol, uint32_t out[SVM_ICPT_WORDS]);

/*
 * The consistency checks VMRUN applies (15.5.1) and a few Keel adds: 0 if
 * @vmcb may be run, else -EINVAL with the rule in @why. @cr4_ok: the CR4
 * bits this CPU supports.
 */
int svm_vmcb_check(const struct vmcb *vmcb, const struct svm_caps *caps, uint64_t cr4_ok, char *why, size_t len);

/*
 * ASIDs per CPU with generations (as KVM does): a vCPU keeps its ASID on a
 * CPU while the CPU's generation is the one it got it in; running out
 * starts a new generation with a flush of every ASID.
 */
struct svm_asid_cpu {
    uint64_t gen;                   /* starts at 1 */
    uint32_t next, max;             /* next to hand out; the CPU's count (ASID 0 is the host's) */
};
/*
 * An ASID for a vCPU entering this CPU (its *@asid / *@gen updated): the
 * TLB_CONTROL value for the entry. @flush: its guest-physical translations
 * must go (a new ASID does it; flush-by-ASID if the CPU has it).
 */
uint8_t svm_asid_assign(struct svm_asid_cpu *c, uint32_t *asid, uint64_t *gen, int flush, int flush_by_asid);

/* A decoded instruction: what the intercepted ones need. */
struct svm_insn {
    unsigned len, prefixes;
    uint8_t op[3];                  /* opcode bytes after the prefixes (and REX) */
    uint8_t rex;
    int seg;                        /* segment override (emulate.h SEG_*), -1 none */
};

/*
 * Without next-RIP save and decode assists: the length (0: not one of the
 * instructions Keel intercepts) and the parts of an intercepted instruction.
 */
unsigned svm_decode(const uint8_t *b, unsigned n, int mode64, struct svm_insn *in);

/* MSR permission map bit for @msr (15.11): -1 if outside the map (always intercepted). */
int svm_msrpm_bit(uint32_t msr);
/* The MSR permission map from the policy: intercept all but its pass-through MSRs. */
void svm_msrpm_build(uint8_t *msrpm);
#endif

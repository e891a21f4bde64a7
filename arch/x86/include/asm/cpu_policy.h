/*
 * The guest-visible CPU as one written policy: every CPUID feature bit,
 * CPUID leaf, MSR, control-register bit, debug register and XSAVE
 * component a guest may see or touch, each hidden, emulated, passed
 * through (or mirrored from the guest's own state), with the reason.
 * An allowlist: what the table does not name is hidden (a CPUID bit reads
 * 0, an MSR #GPs, a CR4 bit #GPs, an XSAVE component cannot be enabled).
 * The CPUID policy (cpuid_policy.c), the MSR bitmap, the CR4 guest/host
 * mask, XSETBV/IA32_XSS checks and the VMX controls (vmx_caps.c) are
 * derived from it; keel.dump=policy prints it. Pure, host-tested.
 */
#ifndef ASM_CPU_POLICY_H
#define ASM_CPU_POLICY_H
#include <stdint.h>

enum pol_kind {
    POL_HIDE,       /* not there: CPUID 0, #GP, #UD */
    POL_PASS,       /* the hardware's, untouched by Keel (if the host has it) */
    POL_EMUL,       /* Keel's answer or Keel's emulation, whatever the host has */
    POL_LIVE,       /* mirrors the guest's own state (CPUID bits that follow CR4) */
    POL_COND,       /* passed through when a VMX control makes it work (else hidden) */
};

/* CPUID registers, as in struct cpuid_out. */
enum { POL_EAX, POL_EBX, POL_ECX, POL_EDX };

/* The VMX control a POL_COND bit needs (struct pol_host says which Keel has). */
enum pol_need { POL_NEED_NONE, POL_NEED_RDTSCP, POL_NEED_INVPCID, POL_NEED_XSAVES };

struct pol_cpuid_bit {
    uint32_t leaf;
    uint8_t sub, reg, bit, kind;
    const char *name, *why;
    uint8_t need;                   /* enum pol_need: POL_COND's condition */
};

struct pol_cpuid_leaf {
    uint32_t first, last;           /* a range of leaves */
    uint8_t kind;                   /* POL_EMUL: Keel computes it; POL_PASS: the host's; POL_HIDE: zeros */
    const char *name, *why;
};

struct pol_msr {
    uint32_t first, last;
    uint8_t kind;                   /* POL_PASS: no exit (switched per vCPU); POL_EMUL: exits, emulated */
    const char *name, *why;
};

/* Control-register and debug-register bits; reg 0/4/8 = CR0/CR4/CR8, 'D' = the debug registers. */
struct pol_reg_bit {
    uint8_t reg, bit, kind;
    const char *name, *why;
};

struct pol_xsave {
    uint8_t comp, kind;             /* POL_PASS: the guest may enable it; POL_HIDE: it may not */
    const char *name, *why;
};

extern const struct pol_cpuid_bit pol_cpuid_bits[];
extern const unsigned pol_nr_cpuid_bits;
extern const struct pol_cpuid_leaf pol_cpuid_leaves[];
extern const unsigned pol_nr_cpuid_leaves;
extern const struct pol_msr pol_msrs[];
extern const unsigned pol_nr_msrs;
extern const struct pol_reg_bit pol_reg_bits[];
extern const unsigned pol_nr_reg_bits;
extern const struct pol_xsave pol_xsave[];
extern const unsigned pol_nr_xsave;

/* What the policy's conditions depend on: the VMX controls Keel could turn on. */
struct pol_host {
    int rdtscp;                     /* "enable RDTSCP" (RDTSCP and RDPID work) */
    int invpcid;                    /* "enable INVPCID" */
    int xsaves;                     /* "enable XSAVES/XRSTORS" */
    int no_avx512;                  /* cpuid=no-avx512 */
};

/*
 * For a register the bit table covers (leaf, sub, reg): *pass = the bits
 * the host's value keeps, *set = the bits Keel sets; 0 if the table has
 * no bits for that register (the leaf rules apply).
 */
int pol_cpuid_reg(uint32_t leaf, uint32_t sub, unsigned reg, const struct pol_host *h, uint32_t *pass,
                  uint32_t *set);
/* The leaf rule for @leaf: POL_EMUL, POL_PASS or POL_HIDE (a leaf no rule names). */
int pol_cpuid_leaf_kind(uint32_t leaf);
/* POL_PASS, POL_EMUL or POL_HIDE for @msr. */
int pol_msr_kind(uint32_t msr);
/* The kind of CR0/CR4 bit @bit (POL_HIDE for one the table does not name). */
int pol_cr_bit(unsigned cr, unsigned bit);
/* CR4 bits a guest may set (for the CR4 guest/host mask and MOV-to-CR4's check). */
uint64_t pol_cr4_allowed(void);
/* XCR0 and IA32_XSS components a guest may enable, of those the host has. */
uint64_t pol_xcr0_allowed(const struct pol_host *h);
uint64_t pol_xss_allowed(void);
/* Print the whole table through @out (keel.dump=policy; one line per entry). */
void pol_dump(void (*out)(const char *line));
#endif

/*
 * x86 instruction emulator for accesses that exit: MMIO (EPT violations on
 * device ranges). It decodes the forms guests use on device registers:
 * MOV (88/89/8A/8B/C6/C7/A0-A3), MOVZX/MOVSX, STOS/MOVS (one element per
 * exit, REP resumes), and AND/OR/XOR/ADD/SUB/CMP/TEST with memory operands.
 * Pure: registers and memory are reached through struct emu_ctx, so it runs
 * on the host under sanitizers and libFuzzer.
 */
#ifndef ASM_EMULATE_H
#define ASM_EMULATE_H
#include <stdint.h>

#define EMU_MAX_INSN 15

enum emu_result {
    EMU_DONE,           /* completed: RIP advanced */
    EMU_RETRY,          /* one REP element done: RIP unchanged, run the instruction again */
    EMU_FAULT,          /* inject ctx->fault_vector (with fault_error) */
    EMU_UNHANDLED,      /* not an instruction this emulator knows: the guest is stopped */
};

struct emu_ctx;

struct emu_ops {
    /* Guest-linear memory (RAM side of MOVS/STOS, instruction fetch). 0, or -1 with a fault set. */
    int (*read_linear)(struct emu_ctx *c, uint64_t gla, void *buf, unsigned len, int fetch);
    int (*write_linear)(struct emu_ctx *c, uint64_t gla, const void *buf, unsigned len);
    /* Linear -> physical, to tell which side of a MOVS is the device. 0 or -1 (fault set). */
    int (*translate)(struct emu_ctx *c, uint64_t gla, int write, uint64_t *gpa);
    /* The device. 0, or -1 to stop the guest. */
    int (*mmio_read)(struct emu_ctx *c, uint64_t gpa, uint64_t *val, unsigned len);
    int (*mmio_write)(struct emu_ctx *c, uint64_t gpa, uint64_t val, unsigned len);
};

struct emu_ctx {
    const struct emu_ops *ops;
    void *opaque;
    uint64_t gpr[16];           /* RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
    uint64_t rip, rflags;
    uint64_t seg_base[6];       /* ES CS SS DS FS GS */
    int long_mode;              /* CS.L in IA-32e mode: 64-bit code */
    int default32;              /* CS.D: 32-bit default operand/address size */
    uint64_t mmio_gpa;          /* the faulting guest-physical address */
    /* out */
    uint8_t insn[EMU_MAX_INSN];
    unsigned insn_len;
    unsigned fault_vector;
    uint32_t fault_error;
    int fault_has_error;
    uint64_t fault_addr;                    /* #PF: the linear address, for CR2 once injected */
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

/* Emulate the instruction at ctx->rip, which touched ctx->mmio_gpa. */
enum emu_result emulate_mmio(struct emu_ctx *c);

/* Arithmetic flags of an operation, as the CPU sets them (used by the emulator; testable). */
uint64_t emu_flags_logic(uint64_t rflags, uint64_t result, unsigned bytes);
uint64_t emu_flags_add(uint64_t rflags, uint64_t a, uint64_t b, uint64_t result, unsigned bytes);
uint64_t emu_flags_sub(uint64_t rflags, uint64_t a, uint64_t b, uint64_t result, unsigned bytes);
#endif

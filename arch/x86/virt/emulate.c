/*
 * Instruction emulator for MMIO (see asm/emulate.h). Decoding follows SDM
 * Vol. 2 ch. 2 (prefixes, REX, ModR/M, SIB, displacement, immediate) and the
 * opcode tables of appendix A. The memory operand of a non-string
 * instruction is the device access that exited: its guest-physical address
 * comes from the exit, so only its length and the register operand matter.
 */
#include <string.h>
#include <asm/emulate.h>

#define FL_CF   (1ull << 0)
#define FL_PF   (1ull << 2)
#define FL_AF   (1ull << 4)
#define FL_ZF   (1ull << 6)
#define FL_SF   (1ull << 7)
#define FL_DF   (1ull << 10)
#define FL_OF   (1ull << 11)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

enum alu { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST, ALU_NONE };

struct insn {
    unsigned opsize;            /* operand bytes: 1, 2, 4, 8 */
    unsigned addrsize;          /* address bytes: 2, 4, 8 */
    int rep;                    /* F2/F3 */
    int seg;                    /* override, or -1 */
    uint8_t rex;
    uint8_t op, op2;            /* op2 after 0F */
    int has_modrm;
    uint8_t modrm;
    uint64_t imm;
    unsigned pos;               /* bytes consumed */
};

static uint64_t mask_of(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - bytes * 8;
    return bytes >= 8 ? v : (uint64_t)((int64_t)(v << shift) >> shift);
}

static int parity_even(uint8_t v)
{
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return !(v & 1);
}

static uint64_t zsp(uint64_t fl, uint64_t r, unsigned bytes)
{
    r &= mask_of(bytes);
    fl &= ~(FL_ZF | FL_SF | FL_PF);
    if (!r)
        fl |= FL_ZF;
    if (r >> (bytes * 8 - 1) & 1)
        fl |= FL_SF;
    if (parity_even((uint8_t)r))
        fl |= FL_PF;
    return fl;
}

uint64_t emu_flags_logic(uint64_t fl, uint64_t r, unsigned bytes)
{
    /* AND/OR/XOR/TEST: CF = OF = 0, AF undefined (cleared here, as hardware does). */
    return zsp(fl & ~FL_ARITH, r, bytes);
}

uint64_t emu_flags_add(uint64_t fl, uint64_t a, uint64_t b, uint64_t r, unsigned bytes)
{
    uint64_t m = mask_of(bytes), sign = 1ull << (bytes * 8 - 1);

    a &= m, b &= m, r &= m;
    fl = zsp(fl & ~FL_ARITH, r, bytes);
    if (r < a)
        fl |= FL_CF;
    if (((a ^ r) & (b ^ r)) & sign)
        fl |= FL_OF;
    if ((a ^ b ^ r) & 0x10)
        fl |= FL_AF;
    return fl;
}

uint64_t emu_flags_sub(uint64_t fl, uint64_t a, uint64_t b, uint64_t r, unsigned bytes)
{
    uint64_t m = mask_of(bytes), sign = 1ull << (bytes * 8 - 1);

    a &= m, b &= m, r &= m;
    fl = zsp(fl & ~FL_ARITH, r, bytes);
    if (a < b)
        fl |= FL_CF;
    if (((a ^ b) & (a ^ r)) & sign)
        fl |= FL_OF;
    if ((a ^ b ^ r) & 0x10)
        fl |= FL_AF;
    return fl;
}

/* ALU operation: result and new flags; CMP and TEST compute flags only. */
static uint64_t alu(enum alu op, uint64_t a, uint64_t b, unsigned bytes, uint64_t *fl)
{
    uint64_t r, cf = *fl & FL_CF;

    switch (op) {
    case ALU_ADD: r = a + b; *fl = emu_flags_add(*fl, a, b, r, bytes); return r;
    case ALU_ADC: r = a + b + cf; *fl = emu_flags_add(*fl, a, b + cf, r, bytes);
        if (cf && ((b & mask_of(bytes)) == mask_of(bytes))) *fl |= FL_CF;
        return r;
    case ALU_SUB:
    case ALU_CMP: r = a - b; *fl = emu_flags_sub(*fl, a, b, r, bytes); return op == ALU_CMP ? a : r;
    case ALU_SBB: r = a - b - cf; *fl = emu_flags_sub(*fl, a, b + cf, r, bytes);
        if (cf && ((b & mask_of(bytes)) == mask_of(bytes))) *fl |= FL_CF;
        return r;
    case ALU_AND: r = a & b; *fl = emu_flags_logic(*fl, r, bytes); return r;
    case ALU_TEST: r = a & b; *fl = emu_flags_logic(*fl, r, bytes); return a;
    case ALU_OR: r = a | b; *fl = emu_flags_logic(*fl, r, bytes); return r;
    case ALU_XOR: r = a ^ b; *fl = emu_flags_logic(*fl, r, bytes); return r;
    default: return a;
    }
}

static uint64_t get_reg(const struct emu_ctx *c, unsigned n, unsigned bytes, int rex)
{
    /* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
    if (bytes == 1 && !rex && n >= 4 && n < 8)
        return (c->gpr[n - 4] >> 8) & 0xff;
    return c->gpr[n] & mask_of(bytes);
}

static void set_reg(struct emu_ctx *c, unsigned n, uint64_t v, unsigned bytes, int rex)
{
    if (bytes == 1 && !rex && n >= 4 && n < 8) {
        c->gpr[n - 4] = (c->gpr[n - 4] & ~0xff00ull) | ((v & 0xff) << 8);
        return;
    }
    if (bytes == 4)
        c->gpr[n] = v & 0xffffffffull;          /* 32-bit writes zero-extend (3.4.1.1) */
    else if (bytes == 8)
        c->gpr[n] = v;
    else
        c->gpr[n] = (c->gpr[n] & ~mask_of(bytes)) | (v & mask_of(bytes));
}

static int fetch(struct emu_ctx *c)
{
    uint64_t gla = c->seg_base[SEG_CS] + c->rip;
    unsigned first = (unsigned)(4096 - (gla & 4095));

    /* Fetch what the page holds, then the rest from the next page (if needed). */
    if (first > EMU_MAX_INSN)
        first = EMU_MAX_INSN;
    if (c->ops->read_linear(c, gla, c->insn, first, 1))
        return -1;
    c->insn_len = first;
    if (first < EMU_MAX_INSN && !c->ops->read_linear(c, gla + first, c->insn + first,
                                                     EMU_MAX_INSN - first, 1))
        c->insn_len = EMU_MAX_INSN;
    return 0;
}

static int byte_at(const struct emu_ctx *c, struct insn *in, uint8_t *b)
{
    if (in->pos >= c->insn_len)
        return -1;
    *b = c->insn[in->pos++];
    return 0;
}

static int take(const struct emu_ctx *c, struct insn *in, unsigned bytes, uint64_t *v)
{
    *v = 0;
    if (in->pos + bytes > c->insn_len)
        return -1;
    for (unsigned i = 0; i < bytes; i++)
        *v |= (uint64_t)c->insn[in->pos + i] << (8 * i);
    in->pos += bytes;
    return 0;
}

/* Skip the ModR/M memory operand's SIB and displacement (2.1.5, tables 2-1 to 2-3). */
static int skip_modrm(const struct emu_ctx *c, struct insn *in)
{
    unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
    uint64_t disp;
    uint8_t sib;

    if (mod == 3)
        return -1;                  /* a register operand: cannot have caused an MMIO exit */
    if (in->addrsize == 2) {
        unsigned n = mod == 1 ? 1 : mod == 2 ? 2 : (rm == 6 ? 2 : 0);
        return take(c, in, n, &disp);
    }
    if (rm == 4) {
        if (byte_at(c, in, &sib))
            return -1;
        if (mod == 0 && (sib & 7) == 5)
            return take(c, in, 4, &disp);
    }
    if (mod == 0 && rm == 5)
        return take(c, in, 4, &disp);          /* disp32 (RIP-relative in 64-bit mode) */
    return take(c, in, mod == 1 ? 1 : mod == 2 ? 4 : 0, &disp);
}

static int decode(struct emu_ctx *c, struct insn *in)
{
    int def32 = c->long_mode || c->default32;
    uint8_t b;

    memset(in, 0, sizeof(*in));
    in->seg = -1;
    in->opsize = def32 ? 4 : 2;
    in->addrsize = c->long_mode ? 8 : def32 ? 4 : 2;
    for (;;) {                                   /* legacy prefixes (2.1.1) */
        if (byte_at(c, in, &b))
            return -1;
        switch (b) {
        case 0x66: in->opsize = def32 ? 2 : 4; continue;
        case 0x67: in->addrsize = c->long_mode ? 4 : def32 ? 2 : 4; continue;
        case 0xf2: case 0xf3: in->rep = 1; continue;
        case 0x26: in->seg = SEG_ES; continue;
        case 0x2e: in->seg = SEG_CS; continue;
        case 0x36: in->seg = SEG_SS; continue;
        case 0x3e: in->seg = SEG_DS; continue;
        case 0x64: in->seg = SEG_FS; continue;
        case 0x65: in->seg = SEG_GS; continue;
        case 0xf0: continue;                      /* LOCK: the device access is atomic anyway */
        }
        break;
    }
    if (c->long_mode && (b & 0xf0) == 0x40) {    /* REX (2.2.1), must come last */
        in->rex = b;
        if (b & 8)
            in->opsize = 8;
        if (byte_at(c, in, &b))
            return -1;
    }
    in->op = b;
    if (b == 0x0f) {
        if (byte_at(c, in, &in->op2))
            return -1;
    }
    return 0;
}

/* The non-string forms: the memory operand is the device at c->mmio_gpa. */
static enum emu_result modrm_form(struct emu_ctx *c, struct insn *in)
{
    unsigned reg, bytes = in->opsize, imm_bytes = 0, src_bytes;
    int to_mem = 0, sx = 0, zx = 0, imm_op = 0;
    enum alu op = ALU_NONE;
    uint64_t mem = 0, val, fl = c->rflags;
    uint8_t o = in->op;

    if (o == 0x0f) {
        if (in->op2 != 0xb6 && in->op2 != 0xb7 && in->op2 != 0xbe && in->op2 != 0xbf)
            return EMU_UNHANDLED;
        zx = in->op2 == 0xb6 || in->op2 == 0xb7;
        sx = !zx;
    } else if (o == 0x88 || o == 0x89 || o == 0x8a || o == 0x8b) {
        to_mem = o < 0x8a;
        if (!(o & 1))
            bytes = 1;
    } else if (o == 0xc6 || o == 0xc7) {
        to_mem = 1;
        imm_op = 1;
        if (o == 0xc6)
            bytes = 1;
        imm_bytes = bytes == 1 ? 1 : bytes == 2 ? 2 : 4;
    } else if (o < 0x40 && (o & 7) < 4) {          /* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP r/m forms */
        op = (enum alu)(o >> 3);
        to_mem = !(o & 2);
        if (!(o & 1))
            bytes = 1;
    } else if (o == 0x84 || o == 0x85) {
        op = ALU_TEST;
        to_mem = 1;
        if (o == 0x84)
            bytes = 1;
    } else if (o == 0x80 || o == 0x81 || o == 0x83) {
        imm_op = 1;
        to_mem = 1;
        if (o == 0x80)
            bytes = 1;
        imm_bytes = o == 0x81 ? (bytes == 2 ? 2 : 4) : 1;
    } else if (o == 0xf6 || o == 0xf7) {
        imm_op = 1;
        to_mem = 1;
        op = ALU_TEST;
        if (o == 0xf6)
            bytes = 1;
        imm_bytes = bytes == 1 ? 1 : bytes == 2 ? 2 : 4;
    } else {
        return EMU_UNHANDLED;
    }
    if (byte_at(c, in, &in->modrm) || skip_modrm(c, in))
        return EMU_UNHANDLED;
    reg = ((in->modrm >> 3) & 7) | ((in->rex & 4) ? 8 : 0);
    if (o == 0x80 || o == 0x81 || o == 0x83)
        op = (enum alu)((in->modrm >> 3) & 7);
    if ((o == 0xc6 || o == 0xc7 || o == 0xf6 || o == 0xf7) && ((in->modrm >> 3) & 7) != 0)
        return EMU_UNHANDLED;                    /* only MOV /0 and TEST /0 */
    if (imm_op && take(c, in, imm_bytes, &in->imm))
        return EMU_UNHANDLED;
    in->imm = sign_extend(in->imm, imm_bytes ? imm_bytes : 1);

    if (zx || sx) {                               /* MOVZX/MOVSX reg, r/m8|16 */
        src_bytes = (in->op2 & 1) ? 2 : 1;
        if (c->ops->mmio_read(c, c->mmio_gpa, &mem, src_bytes))
            return EMU_UNHANDLED;
        val = sx ? sign_extend(mem, src_bytes) : mem & mask_of(src_bytes);
        set_reg(c, reg, val, bytes, in->rex);
        goto done;
    }
    if (op == ALU_NONE) {                         /* MOV */
        if (to_mem) {
            val = imm_op ? in->imm : get_reg(c, reg, bytes, in->rex);
            if (c->ops->mmio_write(c, c->mmio_gpa, val & mask_of(bytes), bytes))
                return EMU_UNHANDLED;
        } else {
            if (c->ops->mmio_read(c, c->mmio_gpa, &mem, bytes))
                return EMU_UNHANDLED;
            set_reg(c, reg, mem, bytes, in->rex);
        }
        goto done;
    }
    /* ALU with memory: read-modify-write the device unless CMP/TEST. */
    if (c->ops->mmio_read(c, c->mmio_gpa, &mem, bytes))
        return EMU_UNHANDLED;
    val = imm_op ? in->imm : get_reg(c, reg, bytes, in->rex);
    if (to_mem) {
        uint64_t r = alu(op, mem, val, bytes, &fl);
        if (op != ALU_CMP && op != ALU_TEST &&
            c->ops->mmio_write(c, c->mmio_gpa, r & mask_of(bytes), bytes))
            return EMU_UNHANDLED;
    } else {
        uint64_t r = alu(op, val, mem, bytes, &fl);
        if (op != ALU_CMP)
            set_reg(c, reg, r, bytes, in->rex);
    }
    c->rflags = fl;
done:
    c->rip += in->pos;
    return EMU_DONE;
}

/* MOV AL/AX/EAX/RAX <-> moffs (A0-A3): the offset is the exiting address. */
static enum emu_result moffs_form(struct emu_ctx *c, struct insn *in)
{
    unsigned bytes = (in->op & 1) ? in->opsize : 1;
    uint64_t off, v;

    if (take(c, in, in->addrsize, &off))
        return EMU_UNHANDLED;
    if (in->op < 0xa2) {
        if (c->ops->mmio_read(c, c->mmio_gpa, &v, bytes))
            return EMU_UNHANDLED;
        set_reg(c, 0, v, bytes, in->rex);
    } else if (c->ops->mmio_write(c, c->mmio_gpa, get_reg(c, 0, bytes, in->rex), bytes)) {
        return EMU_UNHANDLED;
    }
    c->rip += in->pos;
    return EMU_DONE;
}

/* STOS/MOVS: one element, then REP continues by re-running the instruction. */
static enum emu_result string_form(struct emu_ctx *c, struct insn *in)
{
    unsigned bytes = (in->op & 1) ? in->opsize : 1;
    uint64_t amask = mask_of(in->addrsize), v = 0, dst_gpa, src_gpa;
    int64_t step = (c->rflags & FL_DF) ? -(int64_t)bytes : (int64_t)bytes;
    uint64_t dst = c->seg_base[SEG_ES] + (c->gpr[7] & amask);
    int movs = in->op == 0xa4 || in->op == 0xa5;

    if (in->rep && !(c->gpr[1] & amask)) {
        c->rip += in->pos;                        /* REP with RCX = 0: nothing to do */
        return EMU_DONE;
    }
    if (movs) {
        uint64_t src = c->seg_base[in->seg >= 0 ? in->seg : SEG_DS] + (c->gpr[6] & amask);
        if (c->ops->translate(c, src, 0, &src_gpa))
            return EMU_FAULT;
        if (src_gpa == c->mmio_gpa) {
            if (c->ops->mmio_read(c, src_gpa, &v, bytes))
                return EMU_UNHANDLED;
        } else if (c->ops->read_linear(c, src, &v, bytes, 0)) {
            return EMU_FAULT;
        }
        c->gpr[6] = (c->gpr[6] & ~amask) | ((c->gpr[6] + (uint64_t)step) & amask);
    } else {
        v = c->gpr[0] & mask_of(bytes);
    }
    if (c->ops->translate(c, dst, 1, &dst_gpa))
        return EMU_FAULT;
    if (dst_gpa == c->mmio_gpa || !movs) {
        if (c->ops->mmio_write(c, dst_gpa, v, bytes))
            return EMU_UNHANDLED;
    } else if (c->ops->write_linear(c, dst, &v, bytes)) {
        return EMU_FAULT;
    }
    c->gpr[7] = (c->gpr[7] & ~amask) | ((c->gpr[7] + (uint64_t)step) & amask);
    if (in->rep) {
        uint64_t n = (c->gpr[1] & amask) - 1;
        c->gpr[1] = (c->gpr[1] & ~amask) | n;
        if (n)
            return EMU_RETRY;
    }
    c->rip += in->pos;
    return EMU_DONE;
}

enum emu_result emulate_mmio(struct emu_ctx *c)
{
    struct insn in;

    c->insn_len = 0;
    if (fetch(c))
        return EMU_FAULT;
    if (decode(c, &in))
        return EMU_UNHANDLED;
    switch (in.op) {
    case 0xa0: case 0xa1: case 0xa2: case 0xa3:
        return moffs_form(c, &in);
    case 0xa4: case 0xa5: case 0xaa: case 0xab:
        return string_form(c, &in);
    default:
        return modrm_form(c, &in);
    }
}

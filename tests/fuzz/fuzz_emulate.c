/* libFuzzer: the instruction emulator on arbitrary bytes, registers and modes. */
#include <stdint.h>
#include <string.h>
#include <asm/emulate.h>

static uint8_t ram[4096], dev[4096], code[64];

static int rd(struct emu_ctx *c, uint64_t gla, void *buf, unsigned len, int fetch)
{
    const uint8_t *src = fetch ? code : ram;
    size_t size = fetch ? sizeof(code) : sizeof(ram);
    uint64_t off = gla - (fetch ? c->seg_base[SEG_CS] + c->rip : 0);

    if (off > size || len > size - off) {
        c->fault_vector = 14;
        return -1;
    }
    memcpy(buf, src + off, len);
    return 0;
}

static int wr(struct emu_ctx *c, uint64_t gla, const void *buf, unsigned len)
{
    (void)c;
    if (gla > sizeof(ram) || len > sizeof(ram) - gla)
        return -1;
    memcpy(ram + gla, buf, len);
    return 0;
}

static int xl(struct emu_ctx *c, uint64_t gla, int write, uint64_t *gpa)
{
    (void)c, (void)write;
    *gpa = gla;
    return 0;
}

static int mr(struct emu_ctx *c, uint64_t gpa, uint64_t *v, unsigned len)
{
    (void)c;
    if (len > 8)
        __builtin_trap();                   /* the emulator never asks for more */
    *v = 0;
    memcpy(v, dev + (gpa % (sizeof(dev) - 8)), len);
    return 0;
}

static int mw(struct emu_ctx *c, uint64_t gpa, uint64_t v, unsigned len)
{
    (void)c;
    if (len > 8)
        __builtin_trap();
    memcpy(dev + (gpa % (sizeof(dev) - 8)), &v, len);
    return 0;
}

static const struct emu_ops ops = { rd, wr, xl, mr, mw };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct emu_ctx c;
    enum emu_result r;

    if (size < 2)
        return 0;
    memset(&c, 0, sizeof(c));
    c.ops = &ops;
    c.long_mode = data[0] & 1;
    c.default32 = (data[0] >> 1) & 1;
    c.rflags = (uint64_t)data[1] << 4 | 2;
    data += 2, size -= 2;
    memset(code, 0, sizeof(code));
    memcpy(code, data, size < EMU_MAX_INSN ? size : EMU_MAX_INSN);
    if (size > EMU_MAX_INSN) {              /* the rest seeds registers */
        size_t n = size - EMU_MAX_INSN;
        memcpy(c.gpr, data + EMU_MAX_INSN, n < sizeof(c.gpr) ? n : sizeof(c.gpr));
    }
    c.rip = 0x100;
    c.mmio_gpa = c.gpr[7] & 0xfff;
    r = emulate_mmio(&c);
    if (r == EMU_DONE && (c.rip <= 0x100 || c.rip > 0x100 + EMU_MAX_INSN))
        __builtin_trap();                   /* a completed instruction advances RIP within 15 bytes */
    if (r == EMU_RETRY && c.rip != 0x100)
        __builtin_trap();
    return 0;
}

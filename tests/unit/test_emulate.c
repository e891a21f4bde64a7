/* Instruction emulator: table-driven forms in 16/32/64-bit code, flags, REP, faults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <asm/emulate.h>
#include "unit.h"

#define DEV_GPA 0xfe000000ull

static uint8_t code[32], ram[256], dev[64];
static unsigned dev_reads, dev_writes;
static int fault_next;

/* Linear = physical here: code at 0x1000, RAM at 0x2000, the device at DEV_GPA. */
static int rd(struct emu_ctx *c, uint64_t gla, void *buf, unsigned len, int fetch)
{
    if (fault_next) {
        c->fault_vector = 14;
        c->fault_has_error = 1;
        c->fault_error = 4;
        return -1;
    }
    if (fetch && gla >= 0x1000 && gla + len <= 0x1000 + sizeof(code)) {
        memcpy(buf, code + (gla - 0x1000), len);
        return 0;
    }
    if (!fetch && gla >= 0x2000 && gla + len <= 0x2000 + sizeof(ram)) {
        memcpy(buf, ram + (gla - 0x2000), len);
        return 0;
    }
    return -1;
}

static int wr(struct emu_ctx *c, uint64_t gla, const void *buf, unsigned len)
{
    (void)c;
    if (gla < 0x2000 || gla + len > 0x2000 + sizeof(ram))
        return -1;
    memcpy(ram + (gla - 0x2000), buf, len);
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
    assert_true(gpa >= DEV_GPA && gpa + len <= DEV_GPA + sizeof(dev));
    *v = 0;
    memcpy(v, dev + (gpa - DEV_GPA), len);
    dev_reads++;
    return 0;
}

static int mw(struct emu_ctx *c, uint64_t gpa, uint64_t v, unsigned len)
{
    (void)c;
    assert_true(gpa >= DEV_GPA && gpa + len <= DEV_GPA + sizeof(dev));
    memcpy(dev + (gpa - DEV_GPA), &v, len);
    dev_writes++;
    return 0;
}

static const struct emu_ops ops = { rd, wr, xl, mr, mw };
static struct emu_ctx c;

/* Run @bytes as the instruction at 0x1000 touching DEV_GPA + @off in mode @bits. */
static enum emu_result run(int bits, const char *bytes, unsigned n, unsigned off)
{
    memset(code, 0x90, sizeof(code));
    memcpy(code, bytes, n);
    c.ops = &ops;
    c.rip = 0x1000;
    c.long_mode = bits == 64;
    c.default32 = bits == 32;
    c.mmio_gpa = DEV_GPA + off;
    return emulate_mmio(&c);
}

static int setup(void **state)
{
    (void)state;
    memset(&c, 0, sizeof(c));
    memset(dev, 0, sizeof(dev));
    memset(ram, 0, sizeof(ram));
    dev_reads = dev_writes = 0;
    fault_next = 0;
    c.rflags = 2;
    return 0;
}

static void test_mov_forms(void **state)
{
    (void)state;
    c.gpr[0] = 0x1122334455667788ull;
    c.gpr[3] = 0xaabb;
    /* 89 18: mov %ebx, (%eax) */
    assert_int_equal(run(32, "\x89\x18", 2, 0), EMU_DONE);
    assert_int_equal(c.rip, 0x1002);
    assert_int_equal(dev[0], 0xbb);
    assert_int_equal(dev[1], 0xaa);
    /* 8b 0c 85 00 00 00 fe: mov 0xfe000000(,%eax,4), %ecx (SIB + disp32) */
    dev[4] = 0x78;
    assert_int_equal(run(32, "\x8b\x0c\x85\x00\x00\x00\xfe", 7, 4), EMU_DONE);
    assert_int_equal(c.rip, 0x1007);
    assert_int_equal(c.gpr[1], 0x78);
    /* 48 89 43 08: mov %rax, 8(%rbx) in 64-bit code, 8 bytes */
    assert_int_equal(run(64, "\x48\x89\x43\x08", 4, 8), EMU_DONE);
    assert_memory_equal(dev + 8, &c.gpr[0], 8);
    /* 8b 43 08 in 64-bit: 32-bit load zero-extends */
    c.gpr[0] = ~0ull;
    assert_int_equal(run(64, "\x8b\x43\x08", 3, 8), EMU_DONE);
    assert_int_equal(c.gpr[0], 0x55667788);
    /* 66 8b 03 (16-bit load) keeps the upper bits */
    c.gpr[0] = 0xffffffff00000000ull;
    assert_int_equal(run(64, "\x66\x8b\x03", 3, 8), EMU_DONE);
    assert_int_equal(c.gpr[0], 0xffffffff00007788ull);
    /* 44 88 43 10: mov %r8b, 0x10(%rbx) */
    c.gpr[8] = 0x5a;
    assert_int_equal(run(64, "\x44\x88\x43\x10", 4, 0x10), EMU_DONE);
    assert_int_equal(dev[0x10], 0x5a);
    /* 88 63 11: mov %ah, 0x11(%ebx) (no REX: register 4 is AH) */
    c.gpr[0] = 0x4321;
    assert_int_equal(run(32, "\x88\x63\x11", 3, 0x11), EMU_DONE);
    assert_int_equal(dev[0x11], 0x43);
    /* 40 88 63 12 in 64-bit: with REX, register 4 is SPL */
    c.gpr[4] = 0x99;
    assert_int_equal(run(64, "\x40\x88\x63\x12", 4, 0x12), EMU_DONE);
    assert_int_equal(dev[0x12], 0x99);
    /* c7 43 14 ff ff ff ff with REX.W: imm32 sign-extended to 64 */
    assert_int_equal(run(64, "\x48\xc7\x43\x14\xff\xff\xff\xff", 8, 0x14), EMU_DONE);
    assert_int_equal(dev[0x1b], 0xff);
    /* c6 05 rel32 ib: RIP-relative in 64-bit code */
    assert_int_equal(run(64, "\xc6\x05\x00\x00\x00\x00\x7e", 7, 0x1c), EMU_DONE);
    assert_int_equal(c.rip, 0x1007);
    assert_int_equal(dev[0x1c], 0x7e);
    /* 16-bit code: 89 07 = mov %ax, (%bx); 67 prefix switches to 32-bit addressing */
    c.gpr[0] = 0x1234;
    assert_int_equal(run(16, "\x89\x07", 2, 0x20), EMU_DONE);
    assert_int_equal(dev[0x20] | dev[0x21] << 8, 0x1234);
    assert_int_equal(run(16, "\x66\x67\x89\x43\x20", 5, 0x20), EMU_DONE);   /* 32-bit op, 32-bit addr */
    assert_int_equal(c.rip, 0x1005);
    /* a1 moffs32, a3 moffs32 */
    dev[0x24] = 7;
    assert_int_equal(run(32, "\xa1\x24\x00\x00\xfe", 5, 0x24), EMU_DONE);
    assert_int_equal(c.gpr[0], 7);
    assert_int_equal(run(64, "\x48\xa3\x28\x00\x00\xfe\x00\x00\x00\x00", 10, 0x28), EMU_DONE);
    assert_int_equal(c.rip, 0x100a);
}

static void test_extend_and_alu(void **state)
{
    uint64_t fl;

    (void)state;
    dev[0] = 0x80;
    dev[2] = 0xff;
    dev[3] = 0x7f;
    assert_int_equal(run(32, "\x0f\xb6\x00", 3, 0), EMU_DONE);     /* movzbl (%eax), %eax */
    assert_int_equal(c.gpr[0], 0x80);
    assert_int_equal(run(32, "\x0f\xbe\x08", 3, 0), EMU_DONE);     /* movsbl (%eax), %ecx */
    assert_int_equal(c.gpr[1], 0xffffff80);
    assert_int_equal(run(64, "\x48\x0f\xbf\x08", 4, 2), EMU_DONE); /* movswq: 0x7fff */
    assert_int_equal(c.gpr[1], 0x7fff);
    /* 83 20 f0: andl $-16, (%eax) */
    memcpy(dev + 8, "\x3f\x00\x00\x80", 4);
    assert_int_equal(run(32, "\x83\x20\xf0", 3, 8), EMU_DONE);
    assert_memory_equal(dev + 8, "\x30\x00\x00\x80", 4);
    assert_true(c.rflags & 0x80);                                   /* SF */
    assert_false(c.rflags & 0x801);                                  /* CF, OF cleared */
    /* 39 08: cmp %ecx, (%eax): mem - ecx, no write */
    c.gpr[1] = 0x80000031;
    dev_writes = 0;
    assert_int_equal(run(32, "\x39\x08", 2, 8), EMU_DONE);
    assert_int_equal(dev_writes, 0);
    assert_true(c.rflags & 1);                                       /* borrow */
    /* 3b 08: cmp (%eax), %ecx = ecx - mem */
    assert_int_equal(run(32, "\x3b\x08", 2, 8), EMU_DONE);
    assert_false(c.rflags & 1);
    /* 09 08: or %ecx, (%eax) writes */
    assert_int_equal(run(32, "\x09\x08", 2, 8), EMU_DONE);
    assert_memory_equal(dev + 8, "\x31\x00\x00\x80", 4);
    /* 85 08: test; 0b 08: or mem into a register */
    assert_int_equal(run(32, "\x0b\x08", 2, 8), EMU_DONE);
    assert_int_equal(c.gpr[1], 0x80000031);
    /* f6 00 01: testb $1, (%eax) -> ZF clear; f7 /0 with imm32 */
    assert_int_equal(run(32, "\xf6\x00\x01", 3, 8), EMU_DONE);
    assert_false(c.rflags & 0x40);
    assert_int_equal(run(32, "\xf7\x00\x00\x01\x00\x00", 6, 8), EMU_DONE);
    assert_true(c.rflags & 0x40);
    /* flags helpers on edge values */
    fl = emu_flags_add(0, 0x7f, 1, 0x80, 1);
    assert_true((fl & 0x800) && (fl & 0x80) && (fl & 0x10) && !(fl & 1));
    fl = emu_flags_add(0, 0xff, 1, 0x100, 1);
    assert_true((fl & 1) && (fl & 0x40) && (fl & 4));                /* CF, ZF, PF */
    fl = emu_flags_sub(0, 0x80000000, 1, 0x7fffffff, 4);
    assert_true((fl & 0x800) && !(fl & 1));
    fl = emu_flags_logic(0x8d5, 0, 8);
    assert_int_equal(fl & 0x8d5, 0x44);                              /* only ZF and PF */
}

static void test_strings(void **state)
{
    (void)state;
    /* rep stosl: one element per call, RETRY until RCX reaches 0 */
    c.gpr[0] = 0xdeadbeef;
    c.gpr[1] = 3;
    c.gpr[7] = DEV_GPA + 0x10;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(run(32, "\xf3\xab", 2, (unsigned)(c.gpr[7] - DEV_GPA)), EMU_RETRY);
        assert_int_equal(c.rip, 0x1000);
    }
    assert_int_equal(run(32, "\xf3\xab", 2, (unsigned)(c.gpr[7] - DEV_GPA)), EMU_DONE);
    assert_int_equal(c.gpr[1], 0);
    assert_int_equal(c.gpr[7], DEV_GPA + 0x1c);
    assert_memory_equal(dev + 0x18, "\xef\xbe\xad\xde", 4);
    /* rep with RCX = 0 does nothing */
    assert_int_equal(run(32, "\xf3\xab", 2, 0x1c), EMU_DONE);
    assert_int_equal(c.gpr[7], DEV_GPA + 0x1c);
    /* movsb RAM -> device, DF=1 walks down */
    ram[5] = 0x42;
    c.rflags |= 1u << 10;
    c.gpr[6] = 0x2005;
    c.gpr[7] = DEV_GPA + 0x30;
    assert_int_equal(run(32, "\xa4", 1, 0x30), EMU_DONE);
    assert_int_equal(dev[0x30], 0x42);
    assert_int_equal(c.gpr[6], 0x2004);
    assert_int_equal(c.gpr[7], DEV_GPA + 0x2f);
    /* movsw device -> RAM with a 16-bit address size wrap */
    c.rflags &= ~(1ull << 10);
    dev[0x32] = 0x11, dev[0x33] = 0x22;
    c.seg_base[SEG_DS] = DEV_GPA;
    c.seg_base[SEG_ES] = 0x2000;
    c.gpr[6] = 0x32;
    c.gpr[7] = 0xfffe0010;
    assert_int_equal(run(16, "\xa5", 1, 0x32), EMU_DONE);
    assert_int_equal(ram[0x10] | ram[0x11] << 8, 0x2211);
    assert_int_equal(c.gpr[7], 0xfffe0012);                         /* only DI moved */
}

static void test_unhandled_and_faults(void **state)
{
    (void)state;
    assert_int_equal(run(32, "\x0f\x0b", 2, 0), EMU_UNHANDLED);      /* ud2 */
    assert_int_equal(run(32, "\x89\xc0", 2, 0), EMU_UNHANDLED);      /* register operand */
    assert_int_equal(run(32, "\xc7\x48\x00\x01\x00\x00\x00", 7, 0), EMU_UNHANDLED); /* C7 /1 */
    assert_int_equal(run(32, "\xf6\x10\x01", 3, 0), EMU_UNHANDLED);  /* NOT */
    assert_int_equal(run(32, "\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3", 15, 0),
                     EMU_UNHANDLED);                                 /* prefixes only */
    fault_next = 1;
    assert_int_equal(run(32, "\x89\x18", 2, 0), EMU_FAULT);
    assert_int_equal(c.fault_vector, 14);
    assert_int_equal(c.rip, 0x1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_mov_forms, setup),
        cmocka_unit_test_setup(test_extend_and_alu, setup),
        cmocka_unit_test_setup(test_strings, setup),
        cmocka_unit_test_setup(test_unhandled_and_faults, setup),
    };
    return cmocka_run_group_tests_name("emulate", tests, NULL, NULL);
}

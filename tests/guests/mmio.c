/* MMIO: each instruction form the emulator knows, against a memory-like test device. */
#include "guest.h"

#define DEV ((volatile uint8_t *)0xfe000000)
#define DEV32(off) (*(volatile uint32_t *)(DEV + (off)))
#define COUNTER (*(volatile uint32_t *)(DEV + 0xff8))

static uint8_t ram[16];

int main(void)
{
    uint32_t v, n0, flags;
    int32_t s;

    DEV32(0) = 0x12345678;                                         /* mov %reg, mem */
    check(DEV32(0) == 0x12345678, "mov r32 <-> mmio");
    n0 = COUNTER;
    check(n0 == 2, "the device saw one write and one read");
    __asm__ volatile("movl $0xcafef00d, %0" : "=m"(DEV32(4)));     /* C7 /0 */
    check(DEV32(4) == 0xcafef00d, "mov imm32 -> mmio");
    __asm__ volatile("movb $0x81, %0" : "=m"(DEV[8]));             /* C6 /0 */
    __asm__ volatile("movzbl %1, %0" : "=r"(v) : "m"(DEV[8]));
    check(v == 0x81, "movzbl from mmio");
    __asm__ volatile("movsbl %1, %0" : "=r"(s) : "m"(DEV[8]));
    check(s == -127, "movsbl from mmio");
    *(volatile uint16_t *)(DEV + 10) = 0x8001;
    __asm__ volatile("movswl %1, %0" : "=r"(s) : "m"(*(volatile uint16_t *)(DEV + 10)));
    check(s == -32767, "movswl from mmio");
    __asm__ volatile("movw %1, %%ax; movb %%ah, %0" : "=m"(DEV[12]) : "m"(*(volatile uint16_t *)(DEV + 10)) : "eax");
    check(DEV[12] == 0x80, "mov %ah -> mmio (byte register without REX)");
    __asm__ volatile("movl %0, %%eax; movl %%eax, 0xfe000010" :: "r"(0x55aa) : "eax", "memory");
    check(DEV32(0x10) == 0x55aa, "mov %eax -> moffs (A3)");
    __asm__ volatile("movl 0xfe000010, %%eax; movl %%eax, %0" : "=r"(v) :: "eax", "memory");
    check(v == 0x55aa, "mov moffs -> %eax (A1)");

    DEV32(0x20) = 0xff00ff00;
    __asm__ volatile("andl $0x0ff00ff0, %0" : "+m"(DEV32(0x20)));
    check(DEV32(0x20) == 0x0f000f00, "and imm -> mmio");
    __asm__ volatile("orl %1, %0" : "+m"(DEV32(0x20)) : "r"(0x000000ff));
    check(DEV32(0x20) == 0x0f000fff, "or reg -> mmio");
    __asm__ volatile("xorl %1, %0" : "+m"(DEV32(0x20)) : "r"(0x0f000fff));
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    check(DEV32(0x20) == 0 && (flags & 0x40), "xor to zero sets ZF");
    DEV32(0x24) = 5;
    __asm__ volatile("cmpl $7, %1; pushf; pop %0" : "=r"(flags) : "m"(DEV32(0x24)));
    check((flags & 1) && (flags & 0x80) && !(flags & 0x40), "cmp 5, 7: CF and SF set, ZF clear");
    __asm__ volatile("cmpl $5, %1; pushf; pop %0" : "=r"(flags) : "m"(DEV32(0x24)));
    check((flags & 0x40) && !(flags & 1), "cmp 5, 5: ZF");
    __asm__ volatile("testl $4, %1; pushf; pop %0" : "=r"(flags) : "m"(DEV32(0x24)));
    check(!(flags & 0x40), "test: bit 2 of 5 is set");
    __asm__ volatile("addl $0x7fffffff, %0; pushf; pop %1" : "+m"(DEV32(0x24)), "=r"(flags));
    check(DEV32(0x24) == 0x80000004 && (flags & 0x800), "add overflows: OF");
    v = 3;
    __asm__ volatile("subl %1, %0" : "+r"(v) : "m"(DEV32(0x24)));
    check(v == 3 - 0x80000004u, "sub mmio from a register");

    /* rep stos into the device: four elements, four exits, RCX counts down. */
    {
        uint32_t *dst = (uint32_t *)(DEV + 0x40), cnt = 4;
        __asm__ volatile("cld; rep stosl" : "+D"(dst), "+c"(cnt) : "a"(0xabcd1234) : "memory");
        check(cnt == 0 && dst == (uint32_t *)(DEV + 0x50) && DEV32(0x4c) == 0xabcd1234 &&
              DEV32(0x40) == 0xabcd1234, "rep stosl -> mmio");
    }
    /* movs both ways between RAM and the device. */
    for (int i = 0; i < 16; i++)
        ram[i] = (uint8_t)(i * 3);
    {
        const uint8_t *src = ram;
        uint8_t *dst = (uint8_t *)(DEV + 0x80);
        uint32_t cnt = 16;
        __asm__ volatile("cld; rep movsb" : "+S"(src), "+D"(dst), "+c"(cnt) :: "memory");
        check(cnt == 0 && DEV[0x8f] == 45 && DEV[0x80] == 0, "rep movsb RAM -> mmio");
    }
    for (int i = 0; i < 16; i++)
        ram[i] = 0;
    {
        const uint8_t *src = (const uint8_t *)(DEV + 0x80);
        uint8_t *dst = ram;
        uint32_t cnt = 16;
        __asm__ volatile("cld; rep movsb" : "+S"(src), "+D"(dst), "+c"(cnt) :: "memory");
        check(cnt == 0 && ram[15] == 45 && ram[1] == 3, "rep movsb mmio -> RAM");
    }
    check(COUNTER > 60, "every access went through the device");
    return report("mmio");
}

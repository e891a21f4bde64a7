/* Port I/O: exits for every size, the debug console, unclaimed ports, string I/O. */
#include "guest.h"

static char buf[64];

int main(void)
{
    static const char msg[] = "rep outsb reached the console\n";
    uint32_t n;

    check(inb(0x3f8 + 5) == 0x60, "COM1 LSR: transmitter empty");
    outb(0x3f8 + 7, 0x5a);
    check(inb(0x3f8 + 7) == 0x5a, "COM1 scratch register keeps a byte");
    check(inb(0x80) == 0xff && inw(0x1234) == 0xffff && inl(0xcfc) == 0xffffffff,
          "unclaimed ports read all ones (8, 16, 32 bits)");
    /* INS into memory, in both directions, then OUTS. */
    for (int i = 0; i < 8; i++)
        buf[i] = 0;
    {
        char *p = buf;
        n = 4;
        __asm__ volatile("cld; rep insb" : "+D"(p), "+c"(n) : "d"(0x3f8 + 5) : "memory");
        check(p == buf + 4 && n == 0 && buf[0] == 0x60 && buf[3] == 0x60 && buf[4] == 0,
              "rep insb: 4 bytes of LSR");
    }
    {
        const char *p = msg;
        n = sizeof(msg) - 1;
        __asm__ volatile("cld; rep outsb" : "+S"(p), "+c"(n) : "d"(0x3f8) : "memory");
        check(n == 0 && p == msg + sizeof(msg) - 1, "rep outsb: RSI and RCX advanced");
    }
    {
        char *p = buf + 7;
        n = 2;
        __asm__ volatile("std; rep insb; cld" : "+D"(p), "+c"(n) : "d"(0x3f8 + 7) : "memory");
        check(p == buf + 5 && buf[7] == 0x5a && buf[6] == 0x5a, "rep insb with DF=1 goes down");
    }
    return report("io");
}

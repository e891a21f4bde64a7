/* Triple fault: no usable IDT, then an exception. Keel must crash only this guest. */
#include "guest.h"

int main(void)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none = { 0, 0 };

    puts("tf: loading an empty IDT and faulting\n");
    __asm__ volatile("lidt %0; int3" :: "m"(none));
    puts("FAIL tf: still running\n");
    return 1;
}

/* Exceptions and event injection: the guest's own faults, and ones Keel injects. */
#include "guest.h"

int main(void)
{
    volatile uint32_t zero = 0, r;

    fixup_len = 2;                           /* div %ecx is 2 bytes */
    last_vector = -1;
    __asm__ volatile("xor %%edx, %%edx; div %1" : "=a"(r) : "c"(zero), "a"(1) : "edx");
    fixup_len = 0;
    check(last_vector == 0, "#DE delivered through the guest's IDT");
    last_vector = -1;
    __asm__ volatile("int3");
    check(last_vector == 3, "#BP (a trap) delivered");
    fixup_len = 4;                           /* vmxon (%eax) = f3 0f c7 30 */
    last_vector = -1;
    __asm__ volatile("vmxon (%%eax)" :: "a"(0x1000) : "memory");
    fixup_len = 0;
    check(last_vector == 6, "VMXON in the guest: #UD injected");
    check(wrmsr_safe(0x99999, 0) == 13 && last_error == 0, "#GP injected with error code 0");
    fixup_len = 3;                           /* mov %eax, %cr4 = 0f 22 e0 */
    last_vector = -1;
    __asm__ volatile("mov %%eax, %%cr4" :: "a"(1u << 13));     /* CR4.VMXE */
    fixup_len = 0;
    check(last_vector == 13, "setting CR4.VMXE: #GP");
    {
        uint32_t cr0;
        __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
        check((cr0 & 0x21) == 0x01, "CR0 reads the guest's view: NE clear, as set at entry");
        __asm__ volatile("mov %0, %%cr0" :: "r"(cr0 | (1u << 3)));   /* set TS */
        __asm__ volatile("clts");
        __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
        check(!(cr0 & 8), "CLTS clears CR0.TS");
    }
    if (cpuid(1, 0).c & (1u << 26)) {                   /* XSAVE */
        uint32_t cr4, lo, hi;
        __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
        __asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | (1u << 18)));   /* OSXSAVE */
        __asm__ volatile("xsetbv" :: "c"(0), "a"(3), "d"(0));
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        check(lo == 3 && hi == 0, "XSETBV x87|SSE, read back");
        fixup_len = 3;                                   /* xsetbv = 0f 01 d1 */
        last_vector = -1;
        __asm__ volatile("xsetbv" :: "c"(0), "a"(2), "d"(0));         /* no x87: #GP */
        check(last_vector == 13, "XSETBV without x87: #GP");
        last_vector = -1;
        __asm__ volatile("xsetbv" :: "c"(1), "a"(3), "d"(0));         /* XCR1: #GP */
        fixup_len = 0;
        check(last_vector == 13, "XSETBV to XCR1: #GP");
    }
    return report("exc");
}

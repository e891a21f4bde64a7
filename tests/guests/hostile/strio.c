/*
 * Hostile: string I/O whose element straddles a page boundary. With paging
 * on, linear 0x500000 is physical 0x500000 but linear 0x501000 is
 * physical 0x600000: an INSW at 0x500fff must put its second byte at
 * 0x600000, not into the physically next page (0x501000), which this
 * guest keeps as a sentinel. And an MMIO instruction at the end of a page
 * whose next page is not present: the emulator's fetch of that page is
 * speculative, so it must not change the guest's CR2.
 */
#include "../guest.h"

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
#define PHYS(a) (*(volatile uint8_t *)(a))

int main(void)
{
    uint32_t cr0, cr4, cr2;

    for (uint32_t i = 0; i < 1024; i++) {
        pd[i] = (i << 22) | 0x83;                       /* 4 MiB, present, writable */
        pt[i] = (0x400000 + (i << 12)) | 3;
    }
    pt[0x101] = 0x600000 | 3;                           /* linear 0x501000 -> physical 0x600000 */
    pd[1] = (uint32_t)pt | 3;
    PHYS(0x501000) = 0x5a;                              /* the sentinel */
    PHYS(0x600000) = 0x00;
    __asm__ volatile("mov %%cr4, %0; or $0x10, %0; mov %0, %%cr4" : "=r"(cr4));        /* PSE */
    __asm__ volatile("mov %0, %%cr3" :: "r"(pd));
    __asm__ volatile("mov %%cr0, %0; or $0x80000000, %0; mov %0, %%cr0" : "=r"(cr0));
    /* An unclaimed port reads 0xffff: both bytes of the element. */
    __asm__ volatile("cld; insw" :: "D"(0x500fff), "d"(0x510) : "memory");
    /* "movl %eax, (%edx); ret" in the last 3 bytes of 0x502000's page; 0x503000 not present. */
    PHYS(0x502ffd) = 0x89;
    PHYS(0x502ffe) = 0x02;
    PHYS(0x502fff) = 0xc3;
    pt[0x103] = 0;
    __asm__ volatile("invlpg (%0)" :: "r"(0x503000) : "memory");
    __asm__ volatile("mov %0, %%cr2" :: "r"(0x1234u));
    __asm__ volatile("call *%0" :: "r"(0x502ffd), "a"(0x77u), "d"(0xfe000010u) : "memory");
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    __asm__ volatile("mov %%cr0, %0; and $0x7fffffff, %0; mov %0, %%cr0" : "=r"(cr0));
    check(PHYS(0x500fff) == 0xff, "INSW across a page: first byte in the first page");
    check(PHYS(0x600000) == 0xff, "second byte where the page tables say (0x600000)");
    check(PHYS(0x501000) == 0x5a, "not in the physically next page (sentinel intact)");
    check(*(volatile uint32_t *)0xfe000010u == 0x77, "MMIO write at a page's end emulated");
    check(cr2 == 0x1234, "CR2 untouched by the fetch of the missing next page");
    return report("strio");
}

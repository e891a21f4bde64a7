/* EPT: large mappings of guest RAM, write-protect faults resolved as dirty logging. */
#include "guest.h"

#define HC_EPT_PROTECT  (0x4b00 + 1)
#define HC_EPT_QUERY    (0x4b00 + 2)
#define HC_WP_FAULTS    (0x4b00 + 3)

static volatile uint32_t page[2048] __attribute__((aligned(4096)));

int main(void)
{
    int32_t q = vmcall(HC_EPT_QUERY, 0x800000, 0, 0), faults0;
    uint32_t pa = (uint32_t)page;

    check(q > 0 && (q & 0xff) == 2 && ((q >> 8) & 7) == 7 && ((q >> 12) & 7) == 6,
          "guest RAM is mapped with 2 MiB RWX write-back pages");
    check(vmcall(HC_EPT_QUERY, 64u << 20, 0, 0) == -2, "beyond guest RAM: not mapped");
    check(vmcall(HC_EPT_PROTECT, pa + 1, 4096, 0) == -22, "unaligned protect refused");
    check(vmcall(HC_EPT_PROTECT, pa, 4096, 0) == 0, "write-protect one 4 KiB page");
    q = vmcall(HC_EPT_QUERY, pa, 0, 0);
    check((q & 0xff) == 1 && ((q >> 8) & 7) == 5, "split to 4 KiB, read+execute");
    q = vmcall(HC_EPT_QUERY, pa + 4096, 0, 0);
    check((q & 0xff) == 1 && ((q >> 8) & 7) == 7, "its neighbour stays writable");
    faults0 = vmcall(HC_WP_FAULTS, 0, 0, 0);
    check(page[5] == 0, "reads do not fault");
    check(vmcall(HC_WP_FAULTS, 0, 0, 0) == faults0, "no fault counted for a read");
    page[5] = 0x1234;
    check(page[5] == 0x1234, "the write landed");
    check(vmcall(HC_WP_FAULTS, 0, 0, 0) == faults0 + 1, "one write fault counted");
    page[6] = 1;
    page[1000] = 2;
    check(vmcall(HC_WP_FAULTS, 0, 0, 0) == faults0 + 1, "the page is writable again: no more faults");
    q = vmcall(HC_EPT_QUERY, pa, 0, 0);
    check(((q >> 8) & 7) == 7, "permissions restored to RWX");

    /*
     * A fault during event delivery (SDM 28.2.4): write-protect the stack
     * page, then INT3. Pushing the exception frame hits the protection; Keel
     * resolves it and must deliver the #BP again from the IDT-vectoring info.
     */
    {
        uint32_t esp, page;
        int32_t f0 = vmcall(HC_WP_FAULTS, 0, 0, 0), rc;

        __asm__ volatile("mov %%esp, %0" : "=r"(esp));
        page = (esp - 64) & ~0xfffu;
        last_vector = -1;
        if (hc_vmmcall)
            __asm__ volatile("vmmcall; int3" : "=a"(rc)
                             : "a"(HC_EPT_PROTECT), "D"(page), "S"(4096), "d"(0) : "memory");
        else
            __asm__ volatile("vmcall; int3" : "=a"(rc)
                             : "a"(HC_EPT_PROTECT), "D"(page), "S"(4096), "d"(0) : "memory");
        check(rc == 0, "stack page write-protected");
        check(last_vector == 3, "#BP delivered after its delivery faulted on EPT");
        check(vmcall(HC_WP_FAULTS, 0, 0, 0) == f0 + 1, "one write fault, during delivery");
    }
    return report("ept");
}

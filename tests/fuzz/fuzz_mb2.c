/* libFuzzer: the multiboot2 information parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <boot/mb2.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    /* An 8-aligned copy of exactly @size bytes, so ASan sees any overread. */
    void *p = aligned_alloc(8, size ? (size + 7) & ~7ul : 8);

    memcpy(p, data, size);
    (void)mb2_parse(p, size, &bi);
    if (bi.nr_mem > BOOT_MEM_MAX || bi.nr_modules > BOOT_MODULES_MAX || bi.rsdp_len > BOOT_RSDP_MAX)
        __builtin_trap();
    free(p);
    return 0;
}

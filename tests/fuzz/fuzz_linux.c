/* libFuzzer: the Linux boot-protocol loader on arbitrary bzImage/vmlinux images. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <asm/linux_boot.h>

#define RAM (96u << 20)
static uint8_t ram[RAM];

static int copy_to(void *opaque, uint64_t gpa, const void *src, uint64_t len)
{
    (void)opaque;
    if (gpa > RAM || len > RAM - gpa)
        __builtin_trap();               /* the loader checks is_ram() before copying */
    memcpy(ram + gpa, src, len);
    return 0;
}

static const struct linux_e820 e820[] = {
    { 0, 0x9fc00, LINUX_E820_RAM }, { 0x100000, RAM - 0x100000, LINUX_E820_RAM },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct linux_target t = { RAM, e820, 2, 0, copy_to, NULL, size & 1 };
    struct linux_entry e;
    uint8_t *copy = malloc(size ? size : 1);

    memcpy(copy, data, size);
    if (!linux_load(copy, size, "console=ttyS0", data, size / 4, &t, &e) &&
        (e.rip < e.kernel_start || e.rip >= e.kernel_end || (e.pvh ? e.rbx != LINUX_PVH_START : e.rsi != LINUX_ZERO_PAGE)))
        __builtin_trap();
    free(copy);
    return 0;
}

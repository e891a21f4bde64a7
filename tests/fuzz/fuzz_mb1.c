/* libFuzzer: the multiboot (v1) kernel loader on arbitrary images. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/mb1.h>

#define RAM (4u << 20)
static uint8_t ram[RAM];

static int copy_to(void *opaque, uint64_t gpa, const void *src, uint64_t len)
{
    (void)opaque;
    if (gpa > RAM || len > RAM - gpa)
        __builtin_trap();                   /* the loader checks fits() before copying */
    memcpy(ram + gpa, src, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mb1_target t = { RAM, copy_to, NULL };
    struct mb1_entry e;
    uint8_t *copy = malloc(size ? size : 1);

    memcpy(copy, data, size);
    const struct mb1_module mod = { data, size / 2, "module" };   /* the input doubles as a module */

    if (!mb1_load(copy, size, "fuzz", &mod, 1, &t, &e) && (e.eip >= e.image_end || e.mbi >= RAM))
        __builtin_trap();
    free(copy);
    return 0;
}

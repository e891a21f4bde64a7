/* libFuzzer: the ACPI parser on a fuzzed physical memory image holding RSDP and tables. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <drivers/acpi.h>

struct mem { const uint8_t *p; size_t n; };

static const void *map(void *opaque, uint64_t pa, uint64_t len)
{
    struct mem *m = opaque;
    return pa <= m->n && len <= m->n - pa ? m->p + pa : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct acpi_info ai;
    uint8_t *copy = malloc(size ? size : 1);
    struct mem m = { copy, size };
    struct acpi_ops ops = { map, &m };
    uint8_t a, b;

    memcpy(copy, data, size);
    /* Memory is the input; the RSDP is at 0 (parsed from memory, not a copy). */
    (void)acpi_parse(NULL, 0, 0, &ops, &ai);
    if (ai.nr_cpus > ACPI_MAX_CPUS || ai.nr_tables > ACPI_MAX_TABLES || ai.nr_ioapics > ACPI_MAX_IOAPICS)
        __builtin_trap();
    (void)acpi_aml_find_s5(copy, size, &a, &b);
    free(copy);
    return 0;
}

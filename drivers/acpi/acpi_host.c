/*
 * ACPI on the machine: find the RSDP (boot info copy, else the BIOS areas),
 * parse through the identity map, and dump tables for test fixtures
 * (keel.dump=acpi).
 */
#include <stdio.h>
#include <string.h>
#include <drivers/acpi.h>
#include <keel/arch.h>
#include <keel/console.h>
#include <keel/log.h>

struct acpi_info acpi_info;

static const void *host_map(void *opaque, uint64_t pa, uint64_t len)
{
    (void)opaque;
    return len && arch_is_mapped(pa, len) ? phys_to_virt(pa) : NULL;
}

static const struct acpi_ops host_ops = { host_map, NULL };

/* "@@TAG <address> <hex>" lines, 32 bytes each: tests/unit/fixtures format. */
void dump_hex(const char *tag, uint64_t addr, const uint8_t *p, size_t len)
{
    char line[128];

    for (size_t off = 0; off < len; off += 32) {
        int n = snprintf(line, sizeof(line), "@@%s %lx", tag, (unsigned long)(addr + off));
        n += snprintf(line + n, sizeof(line) - (size_t)n, " ");
        for (size_t i = off; i < len && i < off + 32; i++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", p[i]);
        line[n++] = '\n';
        console_write(line, (size_t)n);
    }
}

static void dump_tables(const struct boot_info *bi, const struct acpi_info *ai)
{
    if (bi->rsdp_len)
        dump_hex("RSDP", ai->rsdp_pa, bi->rsdp, bi->rsdp_len);
    else
        dump_hex("ACPI", ai->rsdp_pa, phys_to_virt(ai->rsdp_pa), 36);
    for (uint32_t i = 0; i < ai->nr_tables; i++)
        dump_hex("ACPI", ai->tables[i].pa, phys_to_virt(ai->tables[i].pa), ai->tables[i].length);
    /* The root table and the DSDT are not in the list: dump them too. */
    {
        const uint8_t *r = bi->rsdp_len ? bi->rsdp : phys_to_virt(ai->rsdp_pa);
        uint64_t root = r[15] >= 2 ? *(const uint64_t *)(r + 24) : *(const uint32_t *)(r + 16);
        if (!root)
            root = *(const uint32_t *)(r + 16);
        dump_hex("ACPI", root, phys_to_virt(root), *(const uint32_t *)phys_to_virt(root + 4));
    }
    if (ai->dsdt)
        dump_hex("ACPI", ai->dsdt, phys_to_virt(ai->dsdt), *(const uint32_t *)phys_to_virt(ai->dsdt + 4));
    console_write("@@END\n", 6);
}

int acpi_init(const struct boot_info *bi, int dump)
{
    uint64_t pa = 0;
    int rc;

    if (bi->rsdp_len) {
        rc = acpi_parse(bi->rsdp, bi->rsdp_len, 0, &host_ops, &acpi_info);
    } else if (!acpi_find_rsdp(&host_ops, &pa)) {
        rc = acpi_parse(NULL, 0, pa, &host_ops, &acpi_info);
    } else {
        pr_err("ACPI: no RSDP found: one CPU, no power control\n");
        return -1;
    }
    if (rc)
        return rc;
    acpi_print(&acpi_info);
    if (dump)
        dump_tables(bi, &acpi_info);
    return 0;
}

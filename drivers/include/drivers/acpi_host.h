/* The machine's ACPI facts (drivers/acpi/acpi_host.c). */
#ifndef DRIVERS_ACPI_HOST_H
#define DRIVERS_ACPI_HOST_H
#include <boot/boot_info.h>
#include <drivers/acpi.h>

extern struct acpi_info acpi_info;

/* Find and parse the tables; with @dump, print them for test fixtures. */
int acpi_init(const struct boot_info *bi, int dump);
void dump_hex(const char *tag, uint64_t addr, const uint8_t *p, size_t len);
#endif

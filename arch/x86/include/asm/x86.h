/* Functions shared between files of arch/x86 only. */
#ifndef ASM_X86_H
#define ASM_X86_H
#include <stdint.h>

struct acpi_info;
struct percpu;

void cpu_tables_load(struct percpu *pc, const uint64_t ist_top[3]);
void tsc_init(const struct acpi_info *ai);
/* Map one page with new attributes in the live tables (and flush it). */
int paging_remap_page(uint64_t pa, uint64_t attr);
#endif

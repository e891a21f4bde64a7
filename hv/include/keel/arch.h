/*
 * The hooks generic code (hv/) calls into the architecture. hv/ includes
 * this header, never arch-private (VMX, page-table) headers.
 */
#ifndef KEEL_ARCH_H
#define KEEL_ARCH_H
#include <stdint.h>
#include <boot/boot_info.h>
#include <keel/lib.h>

struct acpi_info;
struct mem_range;

/* GDT, TSS, IDT and GS base for the boot CPU. */
void arch_cpu_init_bsp(void);

/* Build and switch to the final page tables (identity map, W^X image). */
int arch_paging_init(const struct boot_info *bi);
/* Writable+executable leaf mappings in the live page tables (should be 0). */
uint64_t arch_paging_count_wx(void);

/* LAPIC and TSC on the boot CPU; ACPI facts for reset and power-off. */
void arch_platform_init(const struct acpi_info *ai);
/* Is [pa, pa + len) mapped in the hypervisor's page tables? */
int arch_is_mapped(uint64_t pa, uint64_t len);
uint64_t arch_tsc_khz(void);
void udelay(uint64_t us);

/* Start the application processors; returns how many CPUs are online. */
uint32_t arch_smp_boot(const struct boot_info *bi, const struct acpi_info *ai, uint32_t max_cpus);

/* Stop this CPU for good (interrupts off). */
__noreturn void arch_halt(void);

/* Where the machine goes at the end. */
__noreturn void arch_power_off(void);
__noreturn void arch_restart(void);
/* Test mode: end the emulator run (QEMU isa-debug-exit, Bochs 0x8900). */
__noreturn void arch_emulator_exit(int pass);

/* Fatal-exception symbolization. */
const char *arch_symbolize(uint64_t addr, uint64_t *offset);
#endif

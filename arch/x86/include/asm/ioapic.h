/*
 * The machine's I/O APICs (82093AA register interface) and the host's
 * interrupt vectors for their pins: GSI g arrives as vector IRQ_VECTOR_BASE + g
 * on the boot CPU. Owners (the console, dom0) claim GSIs.
 */
#ifndef ASM_IOAPIC_H
#define ASM_IOAPIC_H
#include <stdint.h>

struct acpi_info;

#define IRQ_VECTOR_BASE     0x30
#define IRQ_MAX_GSI         0x80            /* vectors 0x30-0xaf */

/* Find the I/O APICs in the MADT and mask every pin. */
void ioapic_init(const struct acpi_info *ai);
/* Pins of the first I/O APIC (the one dom0 gets in virtual form), 0 if none. */
unsigned ioapic_nr_pins(void);
/* Program @gsi: vector IRQ_VECTOR_BASE + gsi to the boot CPU. 0, or -EINVAL for no such pin. */
int ioapic_route(uint32_t gsi, int level, int active_low, int masked);
void ioapic_mask(uint32_t gsi, int masked);
/* The GSI, trigger and polarity of ISA IRQ @irq after the MADT's overrides. */
uint32_t isa_irq_gsi(const struct acpi_info *ai, unsigned irq, int *level, int *active_low);

/* Who handles a GSI's interrupts: called on the boot CPU with the vector acknowledged. */
typedef void (*irq_handler_fn)(uint32_t gsi, void *opaque);
/* Claim @gsi for @fn. 0, or -EBUSY if taken, -EINVAL if out of range. */
int irq_claim(uint32_t gsi, irq_handler_fn fn, void *opaque);
int irq_claimed(uint32_t gsi);
/* A host interrupt vector arrived (from an exit or the IDT); handles it and EOIs the LAPIC. */
void irq_dispatch(unsigned vector);
#endif

/*
 * What every platform Keel builds for a guest shares (virt/platform.c):
 * a virtual I/O APIC at a base address, a virtual 16550A on a pin of it,
 * the event-channel pin, and one lock over them. dom0's platform
 * (guest/dom0.c) adds the machine's pins behind its I/O APIC; a domU's
 * (guest/domu.c) adds ACPI power, a GED and an i8254.
 */
#ifndef ASM_VPLATFORM_H
#define ASM_VPLATFORM_H
#include <stdint.h>
#include <asm/vioapic.h>
#include <asm/vpit.h>
#include <keel/spinlock.h>
#include <keel/vuart.h>

struct domain;

struct vplatform {
    spinlock_t lock;                /* everything below; inside: the log only (LOCK_PLATFORM) */
    struct domain *d;
    struct vioapic vioapic;
    struct vioapic_ops vioapic_ops;
    uint64_t ioapic_base;
    struct vuart uart;
    uint16_t uart_base;             /* 0: no 16550 */
    unsigned uart_pin;              /* its line's I/O APIC pin; ~0u: none */
    unsigned evtchn_pin;            /* the event-channel interrupt's (edge); ~0u: none */
    struct vpit pit;                /* a domU's i8254 (vplatform_add_pit) */
    /* A level pin that is not the 16550's was EOId: is its line still up? (NULL: no) */
    int (*pin_eoi)(struct vplatform *p, unsigned pin);
    /* The guest changed @pin's entry (NULL: nothing behind it to reprogram). */
    void (*pin_changed)(struct vplatform *p, unsigned pin, uint64_t rte);
};

/*
 * @d's platform is @p (d->platform): an I/O APIC with @nr_pins pins at
 * @ioapic_base, the event channels' interrupt on @evtchn_pin (~0u: none;
 * the guest sees it as GSI @evtchn_gsi), level EOIs from the vLAPIC.
 * Set pin_eoi and pin_changed before. 0 or -errno.
 */
int vplatform_init(struct vplatform *p, struct domain *d, uint32_t ioapic_id, uint64_t ioapic_base,
                   unsigned nr_pins, unsigned evtchn_pin, uint32_t evtchn_gsi);
/* A 16550 at ports @base..+7 on @pin (~0u: no interrupt); what the guest sends goes to @tx. */
int vplatform_add_uart(struct vplatform *p, uint16_t base, unsigned pin, void (*tx)(void *, uint8_t),
                       void *opaque);
/* A byte typed at the 16550: 0, or -1 when its FIFO is full. */
int vplatform_uart_input(struct vplatform *p, uint8_t c);
/* Raise or drop @pin's line (level) / an edge on @pin; the caller does not hold the lock. */
void vplatform_set_line(struct vplatform *p, unsigned pin, int level);
void vplatform_pulse(struct vplatform *p, unsigned pin);
/* An i8254 at ports 0x40-0x43 and 0x61 (asm/vpit.h): a domU's, to calibrate its TSC with. */
int vplatform_add_pit(struct vplatform *p);
#endif

/*
 * Virtual I/O APIC (82093AA data sheet; the redirection table as Linux and
 * the SDM's 10.x interrupt messages use it): IOREGSEL/IOWIN, ID, version,
 * redirection entries with remote IRR for level-triggered pins, edge
 * detection, masking. Pure: deliveries, EOIs and entry changes go out
 * through callbacks, so it is host-tested. The caller serializes calls.
 */
#ifndef ASM_VIOAPIC_H
#define ASM_VIOAPIC_H
#include <stdint.h>

#define VIOAPIC_MAX_PINS    64
#define VIOAPIC_SIZE        0x1000          /* one page of MMIO */
#define IOAPIC_REGSEL       0x00
#define IOAPIC_WINDOW       0x10

/* Registers behind IOREGSEL. */
#define IOAPIC_REG_ID       0x00
#define IOAPIC_REG_VERSION  0x01
#define IOAPIC_REG_ARB      0x02
#define IOAPIC_REG_RTE(pin) (0x10 + 2 * (pin))

/* Redirection entry fields. */
#define RTE_VECTOR(r)       ((unsigned)((r) & 0xff))
#define RTE_DELIVERY(r)     ((unsigned)(((r) >> 8) & 7))
#define RTE_DEST_LOGICAL    (1ull << 11)
#define RTE_DELIVERY_STATUS (1ull << 12)
#define RTE_ACTIVE_LOW      (1ull << 13)
#define RTE_REMOTE_IRR      (1ull << 14)
#define RTE_LEVEL           (1ull << 15)
#define RTE_MASKED          (1ull << 16)
#define RTE_DEST(r)         ((unsigned)((r) >> 56))
#define RTE_WRITABLE        (0xffull | (7ull << 8) | RTE_DEST_LOGICAL | RTE_ACTIVE_LOW | RTE_LEVEL | \
                             RTE_MASKED | (0xffull << 56))

struct vioapic_ops {
    /* An interrupt message: vector, delivery mode, destination as the entry says. */
    void (*deliver)(void *opaque, uint64_t rte);
    /* The guest changed @pin's entry (mask, trigger, polarity): reprogram its source. */
    void (*changed)(void *opaque, unsigned pin, uint64_t rte);
    /* A level-triggered @pin was EOId: is its line still asserted? */
    int (*eoi)(void *opaque, unsigned pin);
    void *opaque;
};

struct vioapic {
    uint32_t id;                    /* bits 27:24 of register 0 */
    uint32_t regsel;
    unsigned nr_pins;
    uint64_t rte[VIOAPIC_MAX_PINS];
    uint64_t line;                  /* input level per pin (1 = asserted) */
    const struct vioapic_ops *ops;
};

/* All pins masked, edge, active high (power-on state). */
void vioapic_reset(struct vioapic *io, uint32_t id, unsigned nr_pins, const struct vioapic_ops *ops);
/* 32-bit MMIO at @offset within the page; other sizes and offsets read 0 / are ignored. */
uint32_t vioapic_mmio_read(struct vioapic *io, unsigned offset);
void vioapic_mmio_write(struct vioapic *io, unsigned offset, uint32_t val);
/* Set @pin's input line. Edge pins fire on 0 -> 1; level pins while asserted and not in service. */
void vioapic_set_line(struct vioapic *io, unsigned pin, int level);
/* An edge on @pin (a message-like event: raised and dropped at once). */
void vioapic_pulse(struct vioapic *io, unsigned pin);
/* A local APIC EOId @vector (level-triggered): clear remote IRR, fire again if still asserted. */
void vioapic_eoi(struct vioapic *io, unsigned vector);
#endif

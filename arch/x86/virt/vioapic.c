/*
 * Virtual I/O APIC (see asm/vioapic.h). Version 0x11 like the 82093AA: no
 * EOI register, so a guest ends a level interrupt through its LAPIC's EOI
 * broadcast, or (Linux on old I/O APICs) by flipping the entry to edge,
 * which clears remote IRR here as it does on that part.
 */
#include <string.h>
#include <asm/vioapic.h>

#define VERSION     0x11

void vioapic_reset(struct vioapic *io, uint32_t id, unsigned nr_pins, const struct vioapic_ops *ops)
{
    memset(io, 0, sizeof(*io));
    io->id = id & 0xf;
    io->nr_pins = nr_pins > VIOAPIC_MAX_PINS ? VIOAPIC_MAX_PINS : nr_pins ? nr_pins : 1;
    io->ops = ops;
    for (unsigned i = 0; i < io->nr_pins; i++)
        io->rte[i] = RTE_MASKED;
}

static int asserted(const struct vioapic *io, unsigned pin)
{
    return (io->line >> pin) & 1;
}

/* Send @pin's message if it can go: unmasked and, when level-triggered, not in service. */
static void fire(struct vioapic *io, unsigned pin)
{
    uint64_t *r = &io->rte[pin];

    if (*r & RTE_MASKED)
        return;
    if (*r & RTE_LEVEL) {
        if (*r & RTE_REMOTE_IRR)
            return;
        *r |= RTE_REMOTE_IRR;       /* cleared by the EOI for its vector */
    }
    io->ops->deliver(io->ops->opaque, *r);
}

uint32_t vioapic_mmio_read(struct vioapic *io, unsigned offset)
{
    unsigned reg = io->regsel;

    if (offset == IOAPIC_REGSEL)
        return io->regsel;
    if (offset != IOAPIC_WINDOW)
        return 0;
    switch (reg) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return io->id << 24;
    case IOAPIC_REG_VERSION:
        return VERSION | ((io->nr_pins - 1) << 16);
    }
    if (reg >= IOAPIC_REG_RTE(0) && reg < IOAPIC_REG_RTE(io->nr_pins)) {
        uint64_t r = io->rte[(reg - IOAPIC_REG_RTE(0)) / 2];
        return reg & 1 ? (uint32_t)(r >> 32) : (uint32_t)r;
    }
    return 0xffffffff;              /* no such register */
}

void vioapic_mmio_write(struct vioapic *io, unsigned offset, uint32_t val)
{
    unsigned reg = io->regsel, pin;
    uint64_t old, r;

    if (offset == IOAPIC_REGSEL) {
        io->regsel = val & 0xff;
        return;
    }
    if (offset != IOAPIC_WINDOW)
        return;
    if (reg == IOAPIC_REG_ID) {
        io->id = (val >> 24) & 0xf;
        return;
    }
    if (reg < IOAPIC_REG_RTE(0) || reg >= IOAPIC_REG_RTE(io->nr_pins))
        return;                     /* read-only or absent */
    pin = (reg - IOAPIC_REG_RTE(0)) / 2;
    old = io->rte[pin];
    if (reg & 1)
        r = (old & 0xffffffffull) | ((uint64_t)val << 32);
    else
        r = (old & ~0xffffffffull) | val;
    r = (r & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
    if (!(r & RTE_LEVEL))
        r &= ~RTE_REMOTE_IRR;       /* edge: nothing can be in service as level */
    io->rte[pin] = r;
    if ((old ^ r) & (RTE_MASKED | RTE_LEVEL | RTE_ACTIVE_LOW | RTE_VECTOR(~0ull)) && io->ops->changed)
        io->ops->changed(io->ops->opaque, pin, r);
    /* A level line held while masked or in service fires once it may. */
    if ((r & RTE_LEVEL) && asserted(io, pin))
        fire(io, pin);
}

void vioapic_set_line(struct vioapic *io, unsigned pin, int level)
{
    int was;

    if (pin >= io->nr_pins)
        return;
    was = asserted(io, pin);
    if (level)
        io->line |= 1ull << pin;
    else
        io->line &= ~(1ull << pin);
    if (!level)
        return;
    if (io->rte[pin] & RTE_LEVEL)
        fire(io, pin);
    else if (!was)
        fire(io, pin);
}

void vioapic_pulse(struct vioapic *io, unsigned pin)
{
    vioapic_set_line(io, pin, 1);
    vioapic_set_line(io, pin, 0);
}

void vioapic_eoi(struct vioapic *io, unsigned vector)
{
    for (unsigned pin = 0; pin < io->nr_pins; pin++) {
        uint64_t *r = &io->rte[pin];

        if (!(*r & RTE_REMOTE_IRR) || RTE_VECTOR(*r) != vector)
            continue;
        *r &= ~RTE_REMOTE_IRR;
        if (io->ops->eoi && !io->ops->eoi(io->ops->opaque, pin))
            io->line &= ~(1ull << pin);
        if (asserted(io, pin))
            fire(io, pin);
    }
}

/*
 * I/O APIC driver and host interrupt dispatch. Register interface: 82093AA
 * data sheet 3.1 (IOREGSEL at +0, IOWIN at +0x10; ID, version, redirection
 * table at 0x10 + 2n). Every pin starts masked; owners claim GSIs and
 * program them. Interrupts go to the boot CPU, which runs dom0's vCPU 0 and
 * takes them with its VM exits.
 */
#include <errno.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include <asm/vioapic.h>
#include <drivers/acpi.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/spinlock.h>

struct hw_ioapic {
    volatile uint32_t *mmio;
    uint32_t gsi_base, nr_pins;
};

static struct hw_ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nr_ioapics;
/* The physical I/O APICs' index/data window and pin ownership; only the log inside. */
static spinlock_t ioapic_lock = SPINLOCK_INIT_LEVEL(LOCK_IOAPIC);
static struct { irq_handler_fn fn; void *opaque; } handlers[IRQ_MAX_GSI];

static uint32_t reg_read(struct hw_ioapic *io, unsigned reg)
{
    io->mmio[IOAPIC_REGSEL / 4] = reg;
    return io->mmio[IOAPIC_WINDOW / 4];
}

static void reg_write(struct hw_ioapic *io, unsigned reg, uint32_t v)
{
    io->mmio[IOAPIC_REGSEL / 4] = reg;
    io->mmio[IOAPIC_WINDOW / 4] = v;
}

static struct hw_ioapic *of_gsi(uint32_t gsi, unsigned *pin)
{
    for (unsigned i = 0; i < nr_ioapics; i++)
        if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].nr_pins) {
            *pin = gsi - ioapics[i].gsi_base;
            return &ioapics[i];
        }
    return NULL;
}

void ioapic_init(const struct acpi_info *ai)
{
    for (uint32_t i = 0; i < ai->nr_ioapics && i < ACPI_MAX_IOAPICS; i++) {
        struct hw_ioapic *io = &ioapics[nr_ioapics];

        io->mmio = phys_to_virt(ai->ioapics[i].addr);
        io->gsi_base = ai->ioapics[i].gsi_base;
        io->nr_pins = ((reg_read(io, IOAPIC_REG_VERSION) >> 16) & 0xff) + 1;
        for (unsigned p = 0; p < io->nr_pins; p++) {
            reg_write(io, IOAPIC_REG_RTE(p) + 1, 0);
            reg_write(io, IOAPIC_REG_RTE(p), (uint32_t)RTE_MASKED);
        }
        pr_info("IOAPIC %u: id %u at %#x, GSIs %u-%u, all masked\n", i, ai->ioapics[i].id,
                ai->ioapics[i].addr, io->gsi_base, io->gsi_base + io->nr_pins - 1);
        nr_ioapics++;
    }
}

unsigned ioapic_nr_pins(void)
{
    return nr_ioapics ? ioapics[0].nr_pins : 0;
}

int ioapic_route(uint32_t gsi, int level, int active_low, int masked)
{
    unsigned pin;
    struct hw_ioapic *io = of_gsi(gsi, &pin);
    uint32_t lo;

    if (!io || gsi >= IRQ_MAX_GSI)
        return -EINVAL;
    lo = (IRQ_VECTOR_BASE + gsi) | (level ? (uint32_t)RTE_LEVEL : 0) |
         (active_low ? (uint32_t)RTE_ACTIVE_LOW : 0) | (masked ? (uint32_t)RTE_MASKED : 0);
    spin_lock(&ioapic_lock);
    /* Fixed delivery, physical destination: the boot CPU. Mask first, then the rest. */
    reg_write(io, IOAPIC_REG_RTE(pin), (uint32_t)RTE_MASKED);
    reg_write(io, IOAPIC_REG_RTE(pin) + 1, percpu[0].apic_id << 24);
    reg_write(io, IOAPIC_REG_RTE(pin), lo);
    spin_unlock(&ioapic_lock);
    return 0;
}

void ioapic_mask(uint32_t gsi, int masked)
{
    unsigned pin;
    struct hw_ioapic *io = of_gsi(gsi, &pin);
    uint32_t lo;

    if (!io)
        return;
    spin_lock(&ioapic_lock);
    lo = reg_read(io, IOAPIC_REG_RTE(pin));
    lo = masked ? lo | (uint32_t)RTE_MASKED : lo & ~(uint32_t)RTE_MASKED;
    reg_write(io, IOAPIC_REG_RTE(pin), lo);
    spin_unlock(&ioapic_lock);
}

uint32_t isa_irq_gsi(const struct acpi_info *ai, unsigned irq, int *level, int *active_low)
{
    /* ISA defaults: edge, active high, GSI = IRQ (ACPI 5.2.12.5). */
    *level = 0;
    *active_low = 0;
    for (uint32_t i = 0; i < ai->nr_isos; i++) {
        const struct acpi_iso *o = &ai->isos[i];
        if (o->bus != 0 || o->source != irq)
            continue;
        /* MPS INTI flags: polarity bits 1:0 (3 = low), trigger bits 3:2 (3 = level). */
        *active_low = (o->flags & 3) == 3;
        *level = ((o->flags >> 2) & 3) == 3;
        return o->gsi;
    }
    return irq;
}

int irq_claim(uint32_t gsi, irq_handler_fn fn, void *opaque)
{
    if (gsi >= IRQ_MAX_GSI)
        return -EINVAL;
    if (handlers[gsi].fn)
        return -EBUSY;
    handlers[gsi].opaque = opaque;
    __atomic_store_n(&handlers[gsi].fn, fn, __ATOMIC_RELEASE);
    return 0;
}

int irq_claimed(uint32_t gsi)
{
    return gsi < IRQ_MAX_GSI && handlers[gsi].fn;
}

void irq_dispatch(unsigned vector)
{
    uint32_t gsi = vector - IRQ_VECTOR_BASE;
    irq_handler_fn fn;

    if (vector < IRQ_VECTOR_BASE || gsi >= IRQ_MAX_GSI) {
        lapic_eoi();                /* a kick or a stray: nothing more to do */
        return;
    }
    fn = __atomic_load_n(&handlers[gsi].fn, __ATOMIC_ACQUIRE);
    /* The handler masks a level source it leaves asserted, before the EOI lets the pin resend. */
    if (fn) {
        fn(gsi, handlers[gsi].opaque);
    } else {
        ioapic_mask(gsi, 1);
        pr_warn("CPU%u: interrupt on unclaimed GSI %u: masked\n", this_cpu()->cpu_id, gsi);
    }
    lapic_eoi();
}

/*
 * The devices every guest platform shares (asm/vplatform.h): the virtual
 * I/O APIC's MMIO page and its messages to the vLAPICs, level EOIs, the
 * virtual 16550A's ports and line, the event-channel pin, and a domU's
 * i8254. dom0's and a domU's builders differ only in what is behind the
 * pins and which other ports they claim.
 */
#include <errno.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/vlapic.h>
#include <asm/vplatform.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/sched.h>

static struct vplatform *plat(struct domain *d)
{
    return d->platform;
}

/*
 * An interrupt message (an I/O APIC entry's or an MSI) to the vCPUs its
 * destination names; @lowest (lowest-priority delivery): the first will
 * do. The caller holds the platform's lock.
 */
static void deliver_message(struct domain *d, uint32_t dest, int logical, unsigned vec, int level, int lowest)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!vlapic_match_dest(&v->arch.lapic, dest, logical))
            continue;
        vlapic_set_irr_trig(&v->arch.lapic, vec, level);
        vcpu_kick(v);
        if (lowest)
            break;
    }
}

/* An I/O APIC message (fixed or lowest priority). */
static void ioapic_deliver(void *opaque, uint64_t rte)
{
    struct domain *d = ((struct vplatform *)opaque)->d;
    unsigned mode = RTE_DELIVERY(rte);

    if (mode != 0 && mode != 1) {
        gprintk(d, LOG_WARN, "d%u: I/O APIC delivery mode %u not emulated\n", d->id, mode);
        return;
    }
    deliver_message(d, RTE_DEST(rte), (rte & RTE_DEST_LOGICAL) != 0, RTE_VECTOR(rte), (rte & RTE_LEVEL) != 0,
                    mode == 1);
}

static void ioapic_changed(void *opaque, unsigned pin, uint64_t rte)
{
    struct vplatform *p = opaque;

    if (p->pin_changed)
        p->pin_changed(p, pin, rte);
}

static int ioapic_eoi_pin(void *opaque, unsigned pin)
{
    struct vplatform *p = opaque;

    if (pin == p->uart_pin)
        return p->uart.irq_level;
    return p->pin_eoi ? p->pin_eoi(p, pin) : 0;
}

/* The vLAPIC's EOI of a level-triggered vector (virt/lapic.c). */
static void level_eoi(struct domain *d, unsigned vector)
{
    struct vplatform *p = plat(d);

    spin_lock(&p->lock);
    vioapic_eoi(&p->vioapic, vector);
    spin_unlock(&p->lock);
}

static int ioapic_mmio(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val)
{
    struct vplatform *p = plat(v->domain);
    unsigned off = (unsigned)(gpa - p->ioapic_base);

    if (size != 4 || (off & 3)) {
        if (!write)
            *val = 0;
        return 0;                       /* the 82093AA decodes dword accesses only */
    }
    spin_lock(&p->lock);
    if (write)
        vioapic_mmio_write(&p->vioapic, off, (uint32_t)*val);
    else
        *val = vioapic_mmio_read(&p->vioapic, off);
    spin_unlock(&p->lock);
    return 0;
}

/* An event channel fired for the domain (hv/evtchn.c): an edge on its pin. */
static void evtchn_upcall(struct domain *d)
{
    vplatform_pulse(plat(d), plat(d)->evtchn_pin);
}

int vplatform_init(struct vplatform *p, struct domain *d, uint32_t ioapic_id, uint64_t ioapic_base,
                   unsigned nr_pins, unsigned evtchn_pin, uint32_t evtchn_gsi)
{
    if (!nr_pins || nr_pins > VIOAPIC_MAX_PINS || (evtchn_pin != ~0u && evtchn_pin >= nr_pins))
        return -EINVAL;
    p->lock = (spinlock_t)SPINLOCK_INIT_LEVEL(LOCK_PLATFORM);
    p->d = d;
    p->ioapic_base = ioapic_base;
    p->uart_pin = ~0u;
    p->evtchn_pin = evtchn_pin;
    p->vioapic_ops = (struct vioapic_ops){ ioapic_deliver, ioapic_changed, ioapic_eoi_pin, p };
    vioapic_reset(&p->vioapic, ioapic_id, nr_pins, &p->vioapic_ops);
    d->platform = p;
    d->arch.level_eoi = level_eoi;
    if (evtchn_pin != ~0u) {
        d->evtchn_gsi = evtchn_gsi;
        d->evtchn_upcall = evtchn_upcall;
    }
    return domain_register_mmio(d, ioapic_base, VIOAPIC_SIZE, ioapic_mmio);
}

void vplatform_set_line(struct vplatform *p, unsigned pin, int level)
{
    spin_lock(&p->lock);
    vioapic_set_line(&p->vioapic, pin, level);
    spin_unlock(&p->lock);
}

void vplatform_pulse(struct vplatform *p, unsigned pin)
{
    spin_lock(&p->lock);
    vioapic_pulse(&p->vioapic, pin);
    spin_unlock(&p->lock);
}

/* ---- the 16550A ---- */

static void uart_irq(void *opaque, int level)
{
    struct vplatform *p = opaque;

    if (p->uart_pin != ~0u)
        vioapic_set_line(&p->vioapic, p->uart_pin, level);     /* under the platform lock */
}

static int uart_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct vplatform *p = plat(v->domain);

    spin_lock(&p->lock);
    if (in)
        *val = vuart_read(&p->uart, port - p->uart_base);
    else
        vuart_write(&p->uart, port - p->uart_base, (uint8_t)*val);
    spin_unlock(&p->lock);
    domain_console_event(v->domain);    /* outside the platform lock: LOCK_EVTCHN is outer */
    return 0;
}

int vplatform_add_uart(struct vplatform *p, uint16_t base, unsigned pin, void (*tx)(void *, uint8_t),
                       void *opaque)
{
    if (pin != ~0u && pin >= p->vioapic.nr_pins)
        return -EINVAL;
    p->uart_base = base;
    p->uart_pin = pin;
    vuart_reset(&p->uart, tx, opaque, uart_irq, p);
    arch_domain_io_passthrough(p->d, base, 8, 0);
    return domain_register_portio(p->d, base, 8, uart_port);
}

int vplatform_uart_input(struct vplatform *p, uint8_t c)
{
    int rc;

    spin_lock(&p->lock);
    rc = vuart_receive(&p->uart, c);
    spin_unlock(&p->lock);
    return rc;
}

/* ---- the i8254 ---- */

/* Byte ports: a wider access is its bytes in order, within the range. */
static int pit_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct vplatform *p = plat(v->domain);
    uint64_t now = rdtsc(), khz = arch_tsc_khz();
    uint32_t out = 0;

    spin_lock(&p->lock);
    for (unsigned i = 0; i < size; i++) {
        uint16_t port_i = (uint16_t)(port + i);
        int ours = (port_i >= VPIT_PORT_BASE && port_i <= VPIT_PORT_BASE + 3) || port_i == VPIT_PORT_61;
        if (in)
            out |= (uint32_t)(ours ? vpit_read(&p->pit, port_i, now, khz) : 0xff) << (8 * i);
        else if (ours)
            vpit_write(&p->pit, port_i, (uint8_t)(*val >> (8 * i)), now, khz);
    }
    spin_unlock(&p->lock);
    if (in)
        *val = out;
    return 0;
}

int vplatform_add_pit(struct vplatform *p)
{
    int rc;

    vpit_reset(&p->pit);
    rc = domain_register_portio(p->d, VPIT_PORT_BASE, 4, pit_port);
    return rc ? rc : domain_register_portio(p->d, VPIT_PORT_61, 1, pit_port);
}

/* ---- MSIs from a device model (Intel SDM 11.11: the message's address and data) ---- */

#define MSI_ADDR_BASE       0xfee00000ull
#define MSI_ADDR_DEST(a)    (((a) >> 12) & 0xff)
#define MSI_ADDR_LOGICAL    (1ull << 2)
#define MSI_DATA_MODE(d)    (((d) >> 8) & 7)
#define MSI_DATA_LEVEL      (1ull << 15)

int arch_domain_msi(struct domain *d, uint64_t addr, uint64_t data)
{
    struct vplatform *p = plat(d);
    unsigned vec = data & 0xff, mode = MSI_DATA_MODE(data);
    int logical = (addr & MSI_ADDR_LOGICAL) != 0;

    /* Edge, fixed or lowest priority, a vector that is not an exception's; bits the message does not have clear. */
    if ((addr & ~0xff00cull) != MSI_ADDR_BASE || (data >> 16) ||
        (data & MSI_DATA_LEVEL) || vec < 16 || (mode != 0 && mode != 1) || !p)
        return -EINVAL;
    spin_lock(&p->lock);
    deliver_message(d, (uint32_t)MSI_ADDR_DEST(addr), logical, vec, 0, mode == 1);
    spin_unlock(&p->lock);
    return 0;                           /* a message no vLAPIC matched is dropped, as on hardware */
}

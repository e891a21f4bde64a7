/*
 * A domU's virtual platform (the contract is in public/keel.h): a virtual
 * I/O APIC, a 16550A on COM1 whose output goes to the domain's console ring
 * and whose input comes from dom0 (KEEL_HC_DOMAIN_CONSOLE), ACPI tables in
 * the legacy hole (hardware-reduced FADT, MADT, a DSDT naming COM1 and
 * \_S5), the FADT's sleep-control and reset registers, a Generic Event
 * Device whose one event is the power button, and an absent 8259
 * (its mask register reads 0, not back what was written: Linux's probe
 * then uses no PIC and needs no PIT).
 */
#include <errno.h>
#include <string.h>
#include <asm/vplatform.h>
#include <asm/acpi_guest.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/vdev.h>
#include <public/keel.h>

#define DOMU_IOAPIC_BASE    0xfec00000u
#define DOMU_IOAPIC_PINS    24
#define DOMU_COM1_PIN       4
#define DOMU_SLEEP_CONTROL  0x600       /* FADT SLEEP_CONTROL_REG (ACPI 6.5 4.8.3.7) */
#define DOMU_SLEEP_STATUS   0x601
#define DOMU_RESET          0x602       /* FADT RESET_REG; KEEL_RESET_VALUE resets */
#define DOMU_RESET_VALUE    0x01
#define DOMU_GED_STATUS     0x604       /* pending GED events; written ones clear (dsdt_domu.asl) */
#define DOMU_GED_PIN        9           /* its interrupt: level, active high */
#define GED_POWER_BUTTON    (1u << 0)
#define DOMU_EVTCHN_PIN     10          /* the event-channel interrupt: edge */
#define SLP_EN              (1u << 5)
#define SLP_TYP(v)          (((v) >> 2) & 7)
#define S5_TYP              5           /* \_S5 in dsdt_domu.asl */
#define PLATFORM_ORDER      0

/* Its devices: the shared ones (vplatform, first: d->platform points at it) and the GED. */
struct domu_platform {
    struct vplatform vp;
    uint8_t ged_pending;                /* GED_* events the guest has not cleared (vp.lock) */
};

_Static_assert(sizeof(struct domu_platform) <= (PAGE_SIZE << PLATFORM_ORDER), "domU platform in a page");

static struct domu_platform *plat(struct domain *d)
{
    return d->platform;
}

static int ged_eoi(struct vplatform *vp, unsigned pin)
{
    return pin == DOMU_GED_PIN && ((struct domu_platform *)vp)->ged_pending != 0;
}

/* COM1's output: the domain's console ring. */
static void uart_tx(void *opaque, uint8_t c)
{
    domain_console_putc(opaque, (char)c);
}

static int console_input(struct domain *d, uint8_t c)
{
    return vplatform_uart_input(&plat(d)->vp, c);
}

/* ---- legacy ports, power ---- */

/* The 8259s' ports: nothing there, and a mask register that does not keep what is written. */
static int no_pic(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    if (in)
        *val = 0;
    return 0;
}

/*
 * The Generic Event Device (ACPI 6.5 5.6.9): its _EVT reads the pending
 * events and writes back the ones it handled; the line stays up while any
 * is pending.
 */
static int ged_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domu_platform *p = plat(v->domain);

    spin_lock(&p->vp.lock);
    if (in) {
        *val = p->ged_pending;
    } else {
        p->ged_pending &= (uint8_t)~*val;
        vioapic_set_line(&p->vp.vioapic, DOMU_GED_PIN, p->ged_pending != 0);
    }
    spin_unlock(&p->vp.lock);
    return 0;
}

int arch_domu_power_button(struct domain *d)
{
    struct domu_platform *p = plat(d);

    if (!p || d->privileged)
        return -EINVAL;
    spin_lock(&p->vp.lock);
    p->ged_pending |= GED_POWER_BUTTON;
    vioapic_set_line(&p->vp.vioapic, DOMU_GED_PIN, 1);
    spin_unlock(&p->vp.lock);
    return 0;
}

static int power_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domain *d = v->domain;

    if (in) {
        *val = 0;                       /* sleep status: not woken (it never sleeps) */
        return 0;
    }
    if (port == DOMU_RESET && (uint8_t)*val == DOMU_RESET_VALUE) {
        domain_shutdown(d, SHUTDOWN_REBOOT, 0);
    } else if (port == DOMU_SLEEP_CONTROL && (*val & SLP_EN)) {
        if (SLP_TYP(*val) == S5_TYP)
            domain_shutdown(d, SHUTDOWN_POWEROFF, 0);
        else
            gprintk(d, LOG_WARN, "d%u: sleep type %u refused (only S5 is supported)\n", d->id, SLP_TYP(*val));
    }
    return 0;
}

static void platform_free(struct domain *d)
{
    free_pages(virt_to_phys(d->platform), PLATFORM_ORDER);
    d->platform = NULL;
    d->console_input = NULL;
    d->evtchn_upcall = NULL;
}

static int write_acpi(struct domain *d)
{
    const struct acpi_domu_config c = {
        d->max_vcpus, DOMU_IOAPIC_BASE, (uint8_t)d->max_vcpus, DOMU_SLEEP_CONTROL, DOMU_SLEEP_STATUS,
        DOMU_RESET, DOMU_RESET_VALUE, dsdt_domu_aml, dsdt_domu_aml_len,
    };
    uint64_t room = KEEL_DOMU_HOLE_END - KEEL_DOMU_RSDP, rsdp;
    uint8_t *buf = domain_gpa_to_hva(d, KEEL_DOMU_RSDP, room);
    long n;

    if (!buf)
        return -EINVAL;                 /* the domain has no RAM there */
    n = acpi_build_domu(&c, buf, (size_t)room, KEEL_DOMU_RSDP, &rsdp);
    return n < 0 ? (int)n : 0;
}

int arch_domu_init(struct domain *d)
{
    uint64_t pa = alloc_pages(PLATFORM_ORDER);
    struct domu_platform *p;
    int rc;

    if (!pa)
        return -ENOMEM;
    p = phys_to_virt(pa);
    memset(p, 0, sizeof(*p));
    p->vp.pin_eoi = ged_eoi;
    rc = vplatform_init(&p->vp, d, d->max_vcpus, DOMU_IOAPIC_BASE, DOMU_IOAPIC_PINS, DOMU_EVTCHN_PIN,
                        DOMU_EVTCHN_PIN);
    d->platform = p;                    /* freed with the domain, whatever failed */
    d->platform_free = platform_free;
    d->console_input = console_input;
    if (!rc)
        rc = domain_console_ring_init(d);
    if (!rc)
        rc = vplatform_add_uart(&p->vp, VDEV_COM1_BASE, DOMU_COM1_PIN, uart_tx, d);
    if (!rc)
        rc = vplatform_add_pit(&p->vp);
    if (!rc)
        rc = domain_register_portio(d, 0x20, 2, no_pic);
    if (!rc)
        rc = domain_register_portio(d, 0xa0, 2, no_pic);
    if (!rc)
        rc = domain_register_portio(d, DOMU_SLEEP_CONTROL, 3, power_port);
    if (!rc)
        rc = domain_register_portio(d, DOMU_GED_STATUS, 1, ged_port);
    if (!rc)
        rc = write_acpi(d);
    return rc;
}

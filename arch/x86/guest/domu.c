/*
 * A domU's virtual platform (the contract is in public/keel.h): a virtual
 * I/O APIC, a 16550A on COM1 whose output goes to the domain's console ring
 * and whose input comes from dom0 (KEEL_HC_DOMAIN_CONSOLE), ACPI tables in
 * the legacy hole (hardware-reduced FADT, MADT, a DSDT naming COM1 and
 * \_S5), the FADT's sleep-control and reset registers, a Generic Event
 * Device whose one event is the power button, a CMOS RTC (MC146818)
 * carrying the time dom0 gave it, the PCI configuration ports that go to
 * the domain's device model (hv/dm.c), and an absent 8259 (its mask
 * register reads 0, not back what was written: Linux's probe then uses no
 * PIC and needs no PIT).
 */
#include <errno.h>
#include <string.h>
#include <asm/vplatform.h>
#include <asm/acpi_guest.h>
#include <asm/cpu_ops.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/dm.h>
#include <keel/domain.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/vdev.h>
#include <public/keel.h>

#define DOMU_IOAPIC_BASE    0xfec00000u
#define DOMU_IOAPIC_PINS    24
_Static_assert(KEEL_DOMU_PCI_GSI + KEEL_DOMU_PCI_GSIS <= DOMU_IOAPIC_PINS, "PCI INTx lines on the I/O APIC");
#define DOMU_COM1_PIN       4
#define DOMU_SLEEP_CONTROL  0x600       /* FADT SLEEP_CONTROL_REG (ACPI 6.5 4.8.3.7) */
#define DOMU_SLEEP_STATUS   0x601
#define DOMU_RESET          0x602       /* FADT RESET_REG; KEEL_RESET_VALUE resets */
#define DOMU_RESET_VALUE    0x01
#define DOMU_GED_STATUS     0x604       /* pending GED events; written ones clear (dsdt_domu.asl) */
#define DOMU_GED_PIN        9           /* its interrupt: level, active high */
#define DOMU_EVTCHN_PIN     10          /* the event-channel interrupt: edge */
#define SLP_EN              (1u << 5)
#define SLP_TYP(v)          (((v) >> 2) & 7)
#define S5_TYP              5           /* \_S5 in dsdt_domu.asl */
#define PLATFORM_ORDER      0

#define RTC_PORT            0x70
#define RTC_SECONDS         0x00
#define RTC_REG_A           0x0a
#define RTC_REG_B           0x0b
#define RTC_REG_C           0x0c
#define RTC_REG_D           0x0d
#define RTC_CENTURY         0x32        /* the FADT's CENTURY field names it */
#define RTC_B_SET           0x80
#define RTC_B_BINARY        0x04
#define RTC_B_24H           0x02
#define RTC_D_VRT           0x80        /* valid RAM and time */

/* Its devices: the shared ones (vplatform, first: d->platform points at it), the GED, the RTC. */
struct domu_platform {
    struct vplatform vp;
    uint8_t ged_pending;                /* GED_* events the guest has not cleared (vp.lock) */
    uint8_t intx;                       /* PCI INTx lines held, bit n: GSI KEEL_DOMU_PCI_GSI + n (vp.lock) */
    uint8_t rtc_index;                  /* the register port 0x70 selected (vp.lock, as below) */
    uint8_t cmos[128];                  /* NVRAM, registers A-D, and the time the guest is writing (SET) */
    int64_t rtc_base;                   /* Unix seconds at rtc_tsc */
    uint64_t rtc_tsc;
};

_Static_assert(sizeof(struct domu_platform) <= (PAGE_SIZE << PLATFORM_ORDER), "domU platform in a page");

static struct domu_platform *plat(struct domain *d)
{
    return d->platform;
}

/* Is @pin's level line still held at the guest's EOI (then it interrupts again)? */
static int level_held(struct vplatform *vp, unsigned pin)
{
    struct domu_platform *p = (struct domu_platform *)vp;

    if (pin == DOMU_GED_PIN)
        return p->ged_pending != 0;
    if (pin >= KEEL_DOMU_PCI_GSI && pin < KEEL_DOMU_PCI_GSI + KEEL_DOMU_PCI_GSIS)
        return (p->intx >> (pin - KEEL_DOMU_PCI_GSI)) & 1;
    return 0;
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

/* ---- the CMOS RTC (MC146818A): time registers 0-9 and the century, BCD unless register B says binary ---- */

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms, proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + (int64_t)(yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static uint8_t to_bcd(unsigned v) { return (uint8_t)(((v / 10) << 4) | (v % 10)); }
static unsigned from_bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

static int64_t rtc_now(const struct domu_platform *p)
{
    return p->rtc_base + (int64_t)((rdtsc() - p->rtc_tsc) / (arch_tsc_khz() * 1000));
}

/* The time registers, from the clock (not while the guest is setting them). */
static void rtc_latch(struct domu_platform *p)
{
    int64_t t = rtc_now(p), days = t >= 0 ? t / 86400 : (t - 86399) / 86400, y;
    unsigned secs = (unsigned)(t - days * 86400), m, d, i;
    int bin = p->cmos[RTC_REG_B] & RTC_B_BINARY;
    unsigned v[7];

    civil_from_days(days, &y, &m, &d);
    v[0] = secs % 60; v[1] = secs / 60 % 60; v[2] = secs / 3600;
    v[3] = (unsigned)((days + 4) % 7 + 7) % 7 + 1;      /* 1970-01-01 was a Thursday; Sunday is 1 */
    v[4] = d; v[5] = m; v[6] = (unsigned)(y % 100);
    static const uint8_t reg[7] = { 0, 2, 4, 6, 7, 8, 9 };
    for (i = 0; i < 7; i++)
        p->cmos[reg[i]] = bin ? (uint8_t)v[i] : to_bcd(v[i]);
    p->cmos[RTC_CENTURY] = bin ? (uint8_t)(y / 100) : to_bcd((unsigned)(y / 100) % 100);
}

/* SET cleared: the time the guest wrote becomes the clock's. */
static void rtc_set_from_regs(struct domu_platform *p)
{
    int bin = p->cmos[RTC_REG_B] & RTC_B_BINARY;
#define REG(r) (bin ? p->cmos[r] % 100u : from_bcd(p->cmos[r]))
    int64_t y = (int64_t)REG(RTC_CENTURY) * 100 + REG(9);
    unsigned m = REG(8), d = REG(7), h = REG(4), min = REG(2), s = REG(0);
#undef REG

    if (m < 1 || m > 12 || d < 1 || d > 31 || h > 23 || min > 59 || s > 59)
        return;                                  /* not a time: the clock keeps its own */
    p->rtc_base = days_from_civil(y, m, d) * 86400 + h * 3600 + min * 60 + s;
    p->rtc_tsc = rdtsc();
}

static int rtc_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domu_platform *p = plat(v->domain);
    uint8_t r;

    spin_lock(&p->vp.lock);
    if (port == RTC_PORT) {
        if (in)
            *val = 0xff;
        else
            p->rtc_index = (uint8_t)(*val & 0x7f);     /* bit 7 masks NMIs: nothing here to mask */
        spin_unlock(&p->vp.lock);
        return 0;
    }
    r = p->rtc_index;
    if (in) {
        if ((r <= 9 || r == RTC_CENTURY) && !(p->cmos[RTC_REG_B] & RTC_B_SET))
            rtc_latch(p);
        *val = r == RTC_REG_A ? p->cmos[r] & 0x7f : r == RTC_REG_C ? 0 : p->cmos[r];   /* never updating */
    } else if (r == RTC_REG_B) {
        uint8_t was = p->cmos[r];
        if (!(was & RTC_B_SET) && (*val & RTC_B_SET))
            rtc_latch(p);                        /* the guest edits the current time */
        p->cmos[r] = (uint8_t)((*val & (RTC_B_SET | RTC_B_BINARY)) | RTC_B_24H);   /* no alarms or periodic interrupts */
        if ((was & RTC_B_SET) && !(*val & RTC_B_SET))
            rtc_set_from_regs(p);
    } else if (r != RTC_REG_C && r != RTC_REG_D) {
        p->cmos[r] = (uint8_t)*val;
        if ((r <= 9 || r == RTC_CENTURY) && !(p->cmos[RTC_REG_B] & RTC_B_SET))
            rtc_set_from_regs(p);                /* one register at a time, as some guests do */
    }
    spin_unlock(&p->vp.lock);
    return 0;
}

int arch_domu_set_wallclock(struct domain *d, uint64_t unix_seconds)
{
    struct domu_platform *p = plat(d);

    if (!p || d->privileged || unix_seconds > (1ull << 40))
        return -EINVAL;
    spin_lock(&p->vp.lock);
    p->rtc_base = (int64_t)unix_seconds;
    p->rtc_tsc = rdtsc();
    spin_unlock(&p->vp.lock);
    return 0;
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

int arch_domu_ged_event(struct domain *d, unsigned ev)
{
    struct domu_platform *p = plat(d);

    if (!p || d->privileged || !ev || (ev & ~(KEEL_GED_POWER_BUTTON | KEEL_GED_PCI_HOTPLUG)))
        return -EINVAL;
    spin_lock(&p->vp.lock);
    p->ged_pending |= (uint8_t)ev;
    vioapic_set_line(&p->vp.vioapic, DOMU_GED_PIN, 1);
    spin_unlock(&p->vp.lock);
    return 0;
}

int arch_domu_intx(struct domain *d, uint64_t gsi, uint64_t level)
{
    struct domu_platform *p = plat(d);
    unsigned bit;

    if (!p || d->privileged || gsi < KEEL_DOMU_PCI_GSI || gsi >= KEEL_DOMU_PCI_GSI + KEEL_DOMU_PCI_GSIS || level > 1)
        return -EINVAL;
    bit = 1u << (gsi - KEEL_DOMU_PCI_GSI);
    spin_lock(&p->vp.lock);
    p->intx = (uint8_t)(level ? p->intx | bit : p->intx & ~bit);
    vioapic_set_line(&p->vp.vioapic, (unsigned)gsi, (int)level);
    spin_unlock(&p->vp.lock);
    return 0;
}

int arch_domu_power_button(struct domain *d)
{
    return arch_domu_ged_event(d, KEEL_GED_POWER_BUTTON);
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
    p->vp.pin_eoi = level_held;
    p->cmos[RTC_REG_A] = 0x26;          /* 32.768 kHz base, 1024 Hz rate */
    p->cmos[RTC_REG_B] = RTC_B_24H;
    p->cmos[RTC_REG_D] = RTC_D_VRT;
    p->rtc_tsc = rdtsc();               /* 1970 until dom0 says otherwise */
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
        rc = domain_register_portio(d, RTC_PORT, 2, rtc_port);
    if (!rc)
        rc = domain_register_portio(d, 0xcf8, 8, dm_pci_port);
    if (!rc)
        rc = domain_register_portio(d, DOMU_SLEEP_CONTROL, 3, power_port);
    if (!rc)
        rc = domain_register_portio(d, DOMU_GED_STATUS, 1, ged_port);
    if (!rc)
        rc = write_acpi(d);
    return rc;
}

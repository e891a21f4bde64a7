/*
 * dom0: the privileged Linux guest built at boot from the first two boot
 * modules (kernel, initramfs). Its RAM is identity-mapped (GPA = HPA) host
 * RAM; every other physical range is passed through except what the core
 * keeps: the LAPIC (virtual), the first I/O APIC (virtual: dom0's entries
 * program the physical pins, whose interrupts are forwarded), the IOMMU
 * (unmapped, and its DMAR table hidden) and the console UART (a virtual
 * 16550A multiplexed onto it). I/O ports pass through except the UART's and
 * PM1 control, whose S5 writes end dom0 instead of the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/e820.h>
#include <asm/ioapic.h>
#include <asm/linux_boot.h>
#include <asm/vplatform.h>
#include <asm/vlapic.h>
#include <asm/acpi_guest.h>
#include <drivers/acpi_host.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include <keel/percpu.h>

#define BLOCK           MiB(2)          /* dom0 RAM is claimed in 2 MiB allocator blocks */
#define ACPI_PAGES_ORDER 1              /* 8 KiB for RSDP, XSDT, RSDT and the MADT */
#define PM1_SLP_EN      (1u << 13)
#define PM1_SLP_TYP(v)  (((v) >> 10) & 7)

static struct {
    struct vplatform vp;                /* first: d->platform points at it */
    struct domain *d;
    uint32_t gsi_base;
    uint16_t pm1_cnt[2];
    uint64_t passthrough;               /* pins whose physical GSI dom0 owns */
    struct e820_map e820;
    uint64_t acpi_pa;
} dom0;

/* ---- Interrupts: the virtual I/O APIC and the physical pins behind it ---- */

static int pin_passed(unsigned pin)
{
    return pin < 64 && ((dom0.passthrough >> pin) & 1);
}

/* dom0 changed a pin: its physical twin gets the same mask, trigger and polarity. */
static void pin_changed(struct vplatform *p, unsigned pin, uint64_t rte)
{
    if (pin_passed(pin))
        ioapic_route(dom0.gsi_base + pin, (rte & RTE_LEVEL) != 0, (rte & RTE_ACTIVE_LOW) != 0,
                     (rte & RTE_MASKED) != 0);
}

/* dom0 ended a level interrupt: unmask the physical pin; it fires again if still asserted. */
static int pin_eoi(struct vplatform *p, unsigned pin)
{
    if (pin_passed(pin) && !(p->vioapic.rte[pin] & RTE_MASKED))
        ioapic_mask(dom0.gsi_base + pin, 0);
    return 0;
}

/* A physical interrupt on a pin dom0 owns (boot CPU, before the LAPIC EOI). */
static void gsi_irq(uint32_t gsi, void *opaque)
{
    unsigned pin = gsi - dom0.gsi_base;

    spin_lock(&dom0.vp.lock);
    if (dom0.vp.vioapic.rte[pin] & RTE_LEVEL) {
        ioapic_mask(gsi, 1);            /* until dom0's EOI */
        vioapic_set_line(&dom0.vp.vioapic, pin, 1);
    } else {
        vioapic_pulse(&dom0.vp.vioapic, pin);
    }
    spin_unlock(&dom0.vp.lock);
}

/* ---- The console: a virtual 16550A on Keel's UART ---- */

static void uart_tx(void *opaque, uint8_t c)
{
    char ch = (char)c;

    console_guest_write(&ch, 1);
}

static void uart_input(void *opaque, char c)
{
    vplatform_uart_input(&dom0.vp, (uint8_t)c);
}

static void console_irq(uint32_t gsi, void *opaque)
{
    console_poll_input();
}

/* ---- Power: dom0's S5 ends dom0; Keel then turns the machine off ---- */

static int pm1_cnt(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domain *d = v->domain;

    if (in) {
        *val = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
        return 0;
    }
    if ((*val & PM1_SLP_EN) && size >= 2) {
        unsigned typ = PM1_SLP_TYP(*val);
        if (acpi_info.have_s5 && typ == (port == dom0.pm1_cnt[0] ? acpi_info.s5_typ_a : acpi_info.s5_typ_b)) {
            pr_info("d%u: dom0 entered S5 (power off)\n", d->id);
            domain_shutdown(d, SHUTDOWN_POWEROFF, 0);
        } else {
            gprintk(d, LOG_WARN, "d%u: sleep state with SLP_TYP %u refused (only S5 is supported)\n", d->id, typ);
        }
        return 0;
    }
    if (size == 1)
        outb(port, (uint8_t)*val);
    else if (size == 2)
        outw(port, (uint16_t)*val);
    else
        outl(port, *val);
    return 0;
}

/* ---- Memory: claim, map, describe ---- */

/* Claim host RAM in 2 MiB blocks from the bottom up until @bytes, skipping what Keel holds. */
static int claim_ram(struct domain *d, const struct boot_info *bi, uint64_t bytes)
{
    struct mem_range r[MEMMAP_MAX_RANGES];
    size_t n = memmap_free_ranges(bi, NULL, 0, r, MEMMAP_MAX_RANGES);
    uint64_t got = 0;

    for (size_t i = 0; i < n && got < bytes; i++)
        for (uint64_t pa = ALIGN_UP(MAX(r[i].base, MiB(1)), BLOCK); pa + BLOCK <= r[i].end && got < bytes;
             pa += BLOCK) {
            if (!alloc_pages_at(pa, 9))
                continue;
            memset(phys_to_virt(pa), 0, BLOCK);     /* no hypervisor data leaks to dom0 */
            if (domain_add_ram(d, pa, pa, BLOCK, 9)) {
                free_pages(pa, 9);
                return -ENOMEM;
            }
            got += BLOCK;
        }
    if (got < bytes)
        pr_warn("dom0: %lu MiB of RAM asked, %lu MiB free to give\n", (unsigned long)(bytes >> 20),
                (unsigned long)(got >> 20));
    return got >= MiB(64) ? 0 : -ENOMEM;
}

/*
 * dom0's map: the host's non-RAM ranges as they are, host RAM that is not
 * dom0's as reserved (never a "hole" a PCI BAR could be put in), dom0's RAM,
 * and its ACPI tables.
 */
static int build_e820(struct domain *d, const struct boot_info *bi)
{
    struct e820_map *m = &dom0.e820;
    int rc = 0;

    memset(m, 0, sizeof(*m));
    for (uint32_t i = 0; i < bi->nr_mem && !rc; i++) {
        const struct boot_mem_range *e = &bi->mem[i];
        uint32_t type = e->type == BOOT_MEM_ACPI ? LINUX_E820_ACPI :
                        e->type == BOOT_MEM_NVS ? 4 : e->type == BOOT_MEM_UNUSABLE ? 5 : LINUX_E820_RESERVED;
        if (e->type != BOOT_MEM_RAM)
            rc = e820_set(m, e->base, e->base + e->len, type);
    }
    for (uint32_t i = 0; i < bi->nr_mem && !rc; i++)
        if (bi->mem[i].type == BOOT_MEM_RAM)
            rc = e820_set(m, bi->mem[i].base, bi->mem[i].base + bi->mem[i].len, LINUX_E820_RESERVED);
    for (uint32_t i = 0; i < d->nr_chunks && !rc; i++)
        rc = e820_set(m, d->chunks[i].gpa, d->chunks[i].gpa + d->chunks[i].size, LINUX_E820_RAM);
    if (!rc)
        rc = e820_set(m, dom0.acpi_pa, dom0.acpi_pa + (PAGE_SIZE << ACPI_PAGES_ORDER), LINUX_E820_ACPI);
    return rc;
}

/* Pass through everything that is not RAM, minus the pages the core emulates or keeps. */
static int map_devices(struct domain *d, const struct boot_info *bi)
{
    static struct mem_range r[MEMMAP_MAX_RANGES];
    struct mem_range ram[MEMMAP_MAX_RANGES];
    uint32_t phys_bits = MIN(cpuid(0x80000008).eax & 0xff, 39u);
    size_t n = 1, nram = memmap_free_ranges(bi, NULL, 0, ram, MEMMAP_MAX_RANGES);
    int rc = 0;

    r[0] = (struct mem_range){ 0, 1ull << phys_bits };
    for (size_t i = 0; i < nram; i++)
        n = memmap_subtract(r, n, MEMMAP_MAX_RANGES, ram[i].base, ram[i].end);
    n = memmap_subtract(r, n, MEMMAP_MAX_RANGES, VLAPIC_BASE, VLAPIC_BASE + PAGE_SIZE);
    n = memmap_subtract(r, n, MEMMAP_MAX_RANGES, dom0.vp.ioapic_base, dom0.vp.ioapic_base + PAGE_SIZE);
    for (uint32_t i = 1; i < acpi_info.nr_ioapics; i++)
        n = memmap_subtract(r, n, MEMMAP_MAX_RANGES, acpi_info.ioapics[i].addr,
                            acpi_info.ioapics[i].addr + PAGE_SIZE);
    for (uint32_t i = 0; i < acpi_info.nr_dmar_units; i++)
        n = memmap_subtract(r, n, MEMMAP_MAX_RANGES, acpi_info.dmar_units[i].base,
                            acpi_info.dmar_units[i].base + PAGE_SIZE);
    for (size_t i = 0; i < n && !rc; i++) {
        /* Firmware tables and NVS are memory (write-back); the rest is device space. */
        int cached = 0;
        for (uint32_t j = 0; j < bi->nr_mem; j++)
            if ((bi->mem[j].type == BOOT_MEM_ACPI || bi->mem[j].type == BOOT_MEM_NVS) &&
                r[i].base >= bi->mem[j].base && r[i].end <= bi->mem[j].base + bi->mem[j].len)
                cached = 1;
        rc = arch_domain_map_host(d, r[i].base, r[i].end - r[i].base, cached);
    }
    return rc;
}

/* The end of the host RAM that starts at 0 (conventional memory), page-aligned; 0 if none. */
static uint64_t low_ram_end(const struct boot_info *bi)
{
    struct mem_range r[MEMMAP_MAX_RANGES];
    size_t n = memmap_free_ranges(bi, NULL, 0, r, MEMMAP_MAX_RANGES);

    return n && r[0].base == 0 ? r[0].end : 0;
}

/* ---- Building ---- */

static int setup_interrupts(struct domain *d)
{
    const struct acpi_ioapic *io = &acpi_info.ioapics[0];
    unsigned pins = ioapic_nr_pins(), evtchn_pin;
    uint16_t uart_base = console_uart_base();
    int level, low, rc;
    uint32_t con_gsi = ~0u;

    if (!acpi_info.nr_ioapics || !pins) {
        pr_err("dom0: no I/O APIC in the MADT: dom0 needs one\n");
        return -ENODEV;
    }
    if (acpi_info.nr_ioapics > 1)
        pr_warn("dom0: %u I/O APICs; only the first is given to dom0\n", acpi_info.nr_ioapics);
    dom0.gsi_base = io->gsi_base;
    /* One pin more than the hardware's, wired to nothing physical: the event-channel interrupt. */
    evtchn_pin = pins < VIOAPIC_MAX_PINS ? pins : ~0u;
    dom0.vp.pin_eoi = pin_eoi;
    dom0.vp.pin_changed = pin_changed;
    rc = vplatform_init(&dom0.vp, d, io->id, io->addr, pins + (evtchn_pin != ~0u), evtchn_pin,
                        dom0.gsi_base + evtchn_pin);
    if (rc)
        return rc;

    /* The console UART's line stays Keel's; dom0's UART uses the same ISA IRQ, virtually. */
    if (uart_base) {
        con_gsi = isa_irq_gsi(&acpi_info, uart_base == 0x2f8 ? 3 : 4, &level, &low);
        rc = vplatform_add_uart(&dom0.vp, uart_base, con_gsi - dom0.gsi_base < pins ? con_gsi - dom0.gsi_base : ~0u,
                                uart_tx, NULL);
        if (rc)
            return rc;
        if (!irq_claim(con_gsi, console_irq, NULL) && !ioapic_route(con_gsi, level, low, 0))
            console_enable_rx_interrupt();
        else
            pr_warn("dom0: console input has no interrupt (GSI %u)\n", con_gsi);
    }
    for (unsigned pin = 0; pin < pins && pin < 64; pin++) {
        uint32_t gsi = dom0.gsi_base + pin;
        if (gsi == con_gsi || gsi >= IRQ_MAX_GSI || irq_claim(gsi, gsi_irq, NULL))
            continue;
        dom0.passthrough |= 1ull << pin;
    }
    return 0;
}

static int setup_ports(struct domain *d)
{
    for (int i = 0; i < 2; i++) {
        const struct acpi_gas *g = i ? &acpi_info.pm1b_cnt : &acpi_info.pm1a_cnt;
        if (g->space_id != ACPI_GAS_IO || !g->address || g->address > 0xfffe)
            continue;
        dom0.pm1_cnt[i] = (uint16_t)g->address;
        arch_domain_io_passthrough(d, dom0.pm1_cnt[i], 2, 0);
        if (domain_register_portio(d, dom0.pm1_cnt[i], 2, pm1_cnt))
            return -EINVAL;
    }
    return 0;
}

static const void *host_map(void *opaque, uint64_t pa, uint64_t len)
{
    return arch_is_mapped(pa, len) ? phys_to_virt(pa) : NULL;
}

static int setup_acpi(struct domain *d, uint32_t vcpus, uint64_t *rsdp)
{
    struct acpi_ops ops = { host_map, NULL };
    long n;

    dom0.acpi_pa = alloc_pages(ACPI_PAGES_ORDER);
    if (!dom0.acpi_pa)
        return -ENOMEM;
    n = acpi_build_dom0(&acpi_info, &ops, vcpus, phys_to_virt(dom0.acpi_pa), PAGE_SIZE << ACPI_PAGES_ORDER,
                        dom0.acpi_pa, rsdp);
    if (n < 0) {
        pr_err("dom0: cannot build its ACPI tables (%ld)\n", n);
        return (int)n;
    }
    return arch_domain_map_host(d, dom0.acpi_pa, PAGE_SIZE << ACPI_PAGES_ORDER, 1);
}

struct domain *dom0_build(const struct boot_info *bi, uint64_t mem, uint32_t vcpus)
{
    const struct boot_module *k = &bi->modules[0], *rd = bi->nr_modules > 1 ? &bi->modules[1] : NULL;
    static char cmdline[2048];
    struct domain *d;
    uint64_t rsdp = 0, low;
    int rc;

    if (!bi->nr_modules) {
        pr_err("dom0: no kernel: give GRUB a module2 line (kernel), and one for its initramfs\n");
        return NULL;
    }
    if (!mem)       /* Xen's default is everything; keep an eighth (>= 64 MiB) for Keel and domUs */
        mem = mm_free_bytes() - MAX(mm_free_bytes() / 8, MiB(64));
    mem = ALIGN_DOWN(mem, BLOCK);
    d = domain_create_dom0("Domain-0", vcpus);
    if (!d)
        return NULL;
    d->privileged = 1;
    dom0.d = d;
    /* The kernel's command line, and what dom0 needs that the core does not offer yet. */
    snprintf(cmdline, sizeof(cmdline), "%s pci=nomsi", k->cmdline);
    rc = claim_ram(d, bi, mem);
    low = MIN(low_ram_end(bi), 0xa0000ull);
    if (!rc && low)                 /* the BIOS data area, EBDA pointer, real-mode trampolines */
        rc = domain_add_ram(d, 0, 0, low, DOMAIN_RAM_BORROWED);
    arch_domain_io_passthrough(d, 0, 0x10000, 1);     /* then what the platform keeps */
    if (!rc)
        rc = setup_interrupts(d);
    if (!rc)
        rc = setup_ports(d);
    if (!rc)
        rc = setup_acpi(d, vcpus, &rsdp);
    if (!rc)
        rc = map_devices(d, bi);
    if (!rc)
        rc = build_e820(d, bi);
    for (uint32_t i = 0; !rc && i < vcpus; i++)
        if (!vcpu_create(d))
            rc = -ENOMEM;
    if (!rc)
        rc = arch_load_linux(d->vcpus[0], phys_to_virt(k->start), k->end - k->start, cmdline,
                             rd ? phys_to_virt(rd->start) : NULL, rd ? rd->end - rd->start : 0,
                             dom0.e820.e, dom0.e820.n, rsdp);
    if (rc) {
        pr_err("dom0: cannot be built (%d)\n", rc);
        return NULL;            /* dom0's IRQ claims and memory stay: nothing else would run anyway */
    }
    pr_info("dom0: %lu MiB RAM (identity-mapped), %u vCPUs, %u interrupt pins, console %s\n",
            (unsigned long)((e820_total(&dom0.e820, LINUX_E820_RAM)) >> 20), vcpus, dom0.vp.vioapic.nr_pins,
            dom0.vp.uart_base ? "virtual 16550A" : "none");
    if (dom0.vp.uart_base)
        console_set_guest_input(uart_input, NULL, "DOM0");
    return d;
}

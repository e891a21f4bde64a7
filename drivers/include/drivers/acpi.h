/*
 * ACPI table discovery and parsing (ACPI 6.5 ch. 5; DMAR: Intel VT-d spec
 * ch. 8). acpi_parse() is pure: it reaches physical memory only through
 * ops->map, so it runs on the host against tables dumped from QEMU and Bochs.
 * Every table is checksummed and bounds-checked; a bad one is logged and
 * ignored as a whole, never half-used.
 */
#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_TABLES     48
#define ACPI_MAX_CPUS       256
#define ACPI_MAX_IOAPICS    16
#define ACPI_MAX_ISOS       32
#define ACPI_MAX_NMIS       32
#define ACPI_MAX_MCFG       8
#define ACPI_MAX_DMAR_UNITS 8
#define ACPI_TABLE_MAX_LEN  (16u << 20)

/* Generic Address Structure (ACPI 5.2.3.2). */
#define ACPI_GAS_MEMORY     0
#define ACPI_GAS_IO         1
#define ACPI_GAS_PCI_CONFIG 2
struct acpi_gas {
    uint8_t space_id;
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
} __attribute__((packed));

struct acpi_table_ref {
    char sig[5];
    uint8_t revision;
    uint32_t length;
    uint64_t pa;
};

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t uid;
    uint8_t x2apic;             /* described by an x2APIC entry */
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t addr;
    uint32_t gsi_base;
};

struct acpi_iso {               /* interrupt source override */
    uint8_t bus, source;
    uint16_t flags;
    uint32_t gsi;
};

struct acpi_lapic_nmi {
    uint32_t uid;               /* 0xff / 0xffffffff: all processors */
    uint16_t flags;
    uint8_t lint;
};

struct acpi_mcfg {
    uint64_t base;
    uint16_t segment;
    uint8_t start_bus, end_bus;
};

struct acpi_dmar_unit {         /* DRHD */
    uint64_t base;
    uint16_t segment;
    uint8_t flags;              /* bit 0: INCLUDE_PCI_ALL */
    uint8_t nr_scopes;
};

struct acpi_info {
    uint64_t rsdp_pa;           /* 0 when only a copy was given */
    uint8_t revision;
    char oem_id[7];
    uint32_t nr_tables;
    struct acpi_table_ref tables[ACPI_MAX_TABLES];

    int have_madt;
    uint64_t lapic_addr;
    uint32_t madt_flags;        /* bit 0: PCAT_COMPAT (8259s present) */
    uint32_t nr_cpus, nr_cpus_disabled;
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    uint32_t nr_ioapics;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    uint32_t nr_isos;
    struct acpi_iso isos[ACPI_MAX_ISOS];
    uint32_t nr_lapic_nmis, nr_nmi_sources;
    struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_NMIS];

    int have_fadt;
    uint64_t dsdt;
    uint32_t fadt_flags;
    uint16_t sci_irq;
    uint16_t boot_arch;         /* IAPC_BOOT_ARCH */
    struct acpi_gas pm_tmr;
    int pm_tmr_32bit;           /* TMR_VAL_EXT */
    struct acpi_gas pm1a_cnt, pm1b_cnt;
    int reset_supported;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    int have_s5;
    uint8_t s5_typ_a, s5_typ_b;

    uint32_t nr_mcfg;
    struct acpi_mcfg mcfg[ACPI_MAX_MCFG];

    int have_hpet;
    uint64_t hpet_addr;
    uint32_t hpet_id;
    uint8_t hpet_number;

    int have_dmar;
    uint8_t dmar_haw;           /* host address width - 1, as in the table */
    uint8_t dmar_flags;
    uint32_t nr_dmar_units, nr_dmar_rmrr, nr_dmar_other;
    struct acpi_dmar_unit dmar_units[ACPI_MAX_DMAR_UNITS];
};

struct acpi_ops {
    /* A pointer to [pa, pa + len) or NULL when that memory cannot be read. */
    const void *(*map)(void *opaque, uint64_t pa, uint64_t len);
    void *opaque;
};

/*
 * Parse the tables reachable from the RSDP given as a copy (@rsdp, @len bytes,
 * e.g. from a multiboot2 tag) or, with @rsdp NULL, found at @rsdp_pa.
 * Returns 0, or -EINVAL when the RSDP or the root table is unusable (logged).
 */
int acpi_parse(const uint8_t *rsdp, size_t len, uint64_t rsdp_pa,
               const struct acpi_ops *ops, struct acpi_info *out);

/* Scan the EBDA and 0xE0000-0xFFFFF for the RSDP (ACPI 5.2.5.1). 0 if found. */
int acpi_find_rsdp(const struct acpi_ops *ops, uint64_t *pa);

/* Find \_S5_ in an AML block: 0 and the two SLP_TYP values, or -ENOENT. */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a, uint8_t *typ_b);

/* One block of log lines describing what was found. */
void acpi_print(const struct acpi_info *ai);
#endif

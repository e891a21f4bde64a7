/*
 * ACPI parser (see drivers/acpi.h). Table layouts: ACPI 6.5 sections 5.2.5
 * (RSDP), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.9 (FADT), 5.2.12 (MADT); PCI Firmware
 * spec 3.3 4.1.2 (MCFG); IA-PC HPET spec 3.2.4; VT-d spec 8.1-8.4 (DMAR).
 * Fields are read by offset with bounds checks, not through packed structs,
 * so a short table can never be read past its end.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <drivers/acpi.h>
#include <keel/log.h>

#define HDR_LEN          36
#define RSDP_V1_LEN      20
#define RSDP_V2_LEN      36

/* FADT field offsets (ACPI 6.5 table 5.9). */
#define FADT_DSDT            40
#define FADT_SCI_INT         46
#define FADT_PM1A_CNT_BLK    64
#define FADT_PM1B_CNT_BLK    68
#define FADT_PM_TMR_BLK      76
#define FADT_PM1_CNT_LEN     89
#define FADT_PM_TMR_LEN      91
#define FADT_IAPC_BOOT_ARCH  109
#define FADT_FLAGS           112
#define FADT_RESET_REG       116
#define FADT_RESET_VALUE     128
#define FADT_X_DSDT          140
#define FADT_X_PM1A_CNT_BLK  172
#define FADT_X_PM1B_CNT_BLK  184
#define FADT_X_PM_TMR_BLK    208
#define FADT_FLAG_TMR_VAL_EXT   (1u << 8)
#define FADT_FLAG_RESET_REG_SUP (1u << 10)

/* MADT (5.2.12) */
#define MADT_LAPIC_ADDR      36
#define MADT_FLAGS           40
#define MADT_ENTRIES         44
enum {
    MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_NMI_SOURCE = 3,
    MADT_LAPIC_NMI = 4, MADT_LAPIC_OVERRIDE = 5, MADT_X2APIC = 9, MADT_X2APIC_NMI = 10,
};
#define MADT_CPU_ENABLED     1u

/* DMAR (VT-d 8.1) */
#define DMAR_HAW             36
#define DMAR_FLAGS           37
#define DMAR_STRUCTS         48
enum { DMAR_DRHD = 0, DMAR_RMRR = 1 };

static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum = (uint8_t)(sum + *p++);
    return sum;
}

static void get_gas(struct acpi_gas *g, const uint8_t *p)
{
    g->space_id = p[0];
    g->bit_width = p[1];
    g->bit_offset = p[2];
    g->access_size = p[3];
    g->address = get64(p + 4);
}

/* Map and validate one table: its whole length, checksum and signature. */
static const uint8_t *map_table(const struct acpi_ops *ops, uint64_t pa, const char *want,
                                uint32_t *len_out)
{
    const uint8_t *h = ops->map(ops->opaque, pa, HDR_LEN);
    uint32_t len;

    if (!h) {
        pr_err("acpi: table at %#lx is not in readable memory\n", (unsigned long)pa);
        return NULL;
    }
    len = get32(h + 4);
    if (want && memcmp(h, want, 4)) {
        pr_err("acpi: expected %.4s at %#lx, found another signature\n", want,
               (unsigned long)pa);
        return NULL;
    }
    if (len < HDR_LEN || len > ACPI_TABLE_MAX_LEN) {
        pr_err("acpi: %.4s at %#lx has bad length %u, ignored\n", (const char *)h,
               (unsigned long)pa, len);
        return NULL;
    }
    h = ops->map(ops->opaque, pa, len);
    if (!h) {
        pr_err("acpi: table at %#lx (%u bytes) runs out of readable memory\n",
               (unsigned long)pa, len);
        return NULL;
    }
    if (checksum(h, len)) {
        pr_err("acpi: %.4s at %#lx has a bad checksum, ignored\n", (const char *)h,
               (unsigned long)pa);
        return NULL;
    }
    *len_out = len;
    return h;
}

static int parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    if (len < MADT_ENTRIES)
        return -EINVAL;
    ai->lapic_addr = get32(t + MADT_LAPIC_ADDR);
    ai->madt_flags = get32(t + MADT_FLAGS);
    for (uint32_t off = MADT_ENTRIES; off < len;) {
        const uint8_t *e = t + off;
        uint8_t type, elen;

        if (len - off < 2)
            return -EINVAL;
        type = e[0];
        elen = e[1];
        if (elen < 2 || elen > len - off)
            return -EINVAL;
        switch (type) {
        case MADT_LAPIC:
        case MADT_X2APIC: {
            int x2 = type == MADT_X2APIC;
            uint32_t flags;

            if (elen < (x2 ? 16 : 8))
                return -EINVAL;
            flags = get32(e + (x2 ? 8 : 4));
            if (!(flags & MADT_CPU_ENABLED)) {
                ai->nr_cpus_disabled++;
                break;
            }
            if (ai->nr_cpus >= ACPI_MAX_CPUS) {
                pr_warn("acpi: more than %u CPUs, rest ignored\n", ACPI_MAX_CPUS);
                break;
            }
            ai->cpus[ai->nr_cpus].apic_id = x2 ? get32(e + 4) : e[3];
            ai->cpus[ai->nr_cpus].uid = x2 ? get32(e + 12) : e[2];
            ai->cpus[ai->nr_cpus].x2apic = (uint8_t)x2;
            ai->nr_cpus++;
            break;
        }
        case MADT_IOAPIC:
            if (elen < 12)
                return -EINVAL;
            if (ai->nr_ioapics >= ACPI_MAX_IOAPICS)
                break;
            ai->ioapics[ai->nr_ioapics].id = e[2];
            ai->ioapics[ai->nr_ioapics].addr = get32(e + 4);
            ai->ioapics[ai->nr_ioapics].gsi_base = get32(e + 8);
            ai->nr_ioapics++;
            break;
        case MADT_ISO:
            if (elen < 10)
                return -EINVAL;
            if (ai->nr_isos >= ACPI_MAX_ISOS)
                break;
            ai->isos[ai->nr_isos].bus = e[2];
            ai->isos[ai->nr_isos].source = e[3];
            ai->isos[ai->nr_isos].gsi = get32(e + 4);
            ai->isos[ai->nr_isos].flags = get16(e + 8);
            ai->nr_isos++;
            break;
        case MADT_NMI_SOURCE:
            if (elen < 8)
                return -EINVAL;
            ai->nr_nmi_sources++;
            break;
        case MADT_LAPIC_NMI:
        case MADT_X2APIC_NMI: {
            int x2 = type == MADT_X2APIC_NMI;

            if (elen < (x2 ? 12 : 6))
                return -EINVAL;
            if (ai->nr_lapic_nmis >= ACPI_MAX_NMIS)
                break;
            ai->lapic_nmis[ai->nr_lapic_nmis].uid = x2 ? get32(e + 4) : e[2];
            ai->lapic_nmis[ai->nr_lapic_nmis].flags = get16(e + (x2 ? 2 : 3));
            ai->lapic_nmis[ai->nr_lapic_nmis].lint = e[x2 ? 8 : 5];
            ai->nr_lapic_nmis++;
            break;
        }
        case MADT_LAPIC_OVERRIDE:
            if (elen < 12)
                return -EINVAL;
            ai->lapic_addr = get64(e + 4);
            break;
        default:
            break;
        }
        off += elen;
    }
    return 0;
}

static void reset_madt(struct acpi_info *ai)
{
    ai->have_madt = 0;
    ai->lapic_addr = 0;
    ai->madt_flags = 0;
    ai->nr_cpus = ai->nr_cpus_disabled = ai->nr_ioapics = ai->nr_isos = 0;
    ai->nr_lapic_nmis = ai->nr_nmi_sources = 0;
}

/* A 32-bit block address from FADT, unless its 64-bit GAS form is present. */
static void fadt_reg(struct acpi_gas *g, const uint8_t *t, uint32_t len, uint32_t x_off,
                     uint32_t legacy_off, uint8_t width)
{
    memset(g, 0, sizeof(*g));
    if (len >= x_off + 12) {
        get_gas(g, t + x_off);
        if (g->address)
            return;
    }
    if (len >= legacy_off + 4 && get32(t + legacy_off)) {
        g->space_id = ACPI_GAS_IO;
        g->bit_width = width;
        g->address = get32(t + legacy_off);
    }
}

static int parse_fadt(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    if (len < FADT_FLAGS + 4)      /* ACPI 1.0 FADTs are 116 bytes */
        return -EINVAL;
    ai->dsdt = get32(t + FADT_DSDT);
    if (len >= FADT_X_DSDT + 8 && get64(t + FADT_X_DSDT))
        ai->dsdt = get64(t + FADT_X_DSDT);
    ai->sci_irq = get16(t + FADT_SCI_INT);
    ai->boot_arch = get16(t + FADT_IAPC_BOOT_ARCH);
    ai->fadt_flags = get32(t + FADT_FLAGS);
    ai->pm_tmr_32bit = (ai->fadt_flags & FADT_FLAG_TMR_VAL_EXT) != 0;
    fadt_reg(&ai->pm_tmr, t, len, FADT_X_PM_TMR_BLK, FADT_PM_TMR_BLK, 32);
    fadt_reg(&ai->pm1a_cnt, t, len, FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK, 16);
    fadt_reg(&ai->pm1b_cnt, t, len, FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK, 16);
    if (len >= FADT_RESET_VALUE + 1 && (ai->fadt_flags & FADT_FLAG_RESET_REG_SUP)) {
        get_gas(&ai->reset_reg, t + FADT_RESET_REG);
        ai->reset_value = t[FADT_RESET_VALUE];
        ai->reset_supported = ai->reset_reg.address != 0;
    }
    return 0;
}

static int parse_mcfg(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    if (len < 44 || (len - 44) % 16)
        return -EINVAL;
    for (uint32_t off = 44; off < len && ai->nr_mcfg < ACPI_MAX_MCFG; off += 16) {
        struct acpi_mcfg *m = &ai->mcfg[ai->nr_mcfg++];
        m->base = get64(t + off);
        m->segment = get16(t + off + 8);
        m->start_bus = t[off + 10];
        m->end_bus = t[off + 11];
        if (m->end_bus < m->start_bus)
            return -EINVAL;
    }
    return 0;
}

static int parse_hpet(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    struct acpi_gas g;

    if (len < 56)
        return -EINVAL;
    get_gas(&g, t + 40);
    if (g.space_id != ACPI_GAS_MEMORY || !g.address)
        return -EINVAL;
    ai->hpet_id = get32(t + 36);
    ai->hpet_addr = g.address;
    ai->hpet_number = t[52];
    ai->have_hpet = 1;
    return 0;
}

static int parse_dmar(const uint8_t *t, uint32_t len, struct acpi_info *ai)
{
    if (len < DMAR_STRUCTS)
        return -EINVAL;
    ai->dmar_haw = t[DMAR_HAW];
    ai->dmar_flags = t[DMAR_FLAGS];
    for (uint32_t off = DMAR_STRUCTS; off < len;) {
        const uint8_t *s = t + off;
        uint16_t type, slen;

        if (len - off < 4)
            return -EINVAL;
        type = get16(s);
        slen = get16(s + 2);
        if (slen < 4 || slen > len - off)
            return -EINVAL;
        if (type == DMAR_DRHD) {
            struct acpi_dmar_unit *u;
            if (slen < 16)
                return -EINVAL;
            if (ai->nr_dmar_units < ACPI_MAX_DMAR_UNITS) {
                u = &ai->dmar_units[ai->nr_dmar_units++];
                u->flags = s[4];
                u->segment = get16(s + 6);
                u->base = get64(s + 8);
                u->nr_scopes = 0;
                /* Device scopes (VT-d 8.3.1): type, length >= 6, ... */
                for (uint32_t so = 16; so < slen;) {
                    if (slen - so < 2 || s[so + 1] < 6 || s[so + 1] > slen - so)
                        return -EINVAL;
                    u->nr_scopes++;
                    so += s[so + 1];
                }
            }
        } else if (type == DMAR_RMRR) {
            if (slen < 24)
                return -EINVAL;
            ai->nr_dmar_rmrr++;
        } else {
            ai->nr_dmar_other++;
        }
        off += slen;
    }
    ai->have_dmar = 1;
    return 0;
}

/* AML encodings used in \_S5_ (ACPI 6.5, 20.2). */
#define AML_NAME_OP     0x08
#define AML_PACKAGE_OP  0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP     0x00
#define AML_ONE_OP      0x01

static int aml_small_int(const uint8_t *p, const uint8_t *end, uint8_t *v, size_t *used)
{
    if (p >= end)
        return -1;
    if (*p == AML_ZERO_OP || *p == AML_ONE_OP) {
        *v = *p;
        *used = 1;
        return 0;
    }
    if (*p == AML_BYTE_PREFIX && p + 1 < end) {
        *v = p[1];
        *used = 2;
        return 0;
    }
    return -1;
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a, uint8_t *typ_b)
{
    const uint8_t *end = aml + len;

    for (size_t i = 1; i + 4 < len; i++) {
        const uint8_t *p = aml + i;
        size_t pkglen_bytes, used;

        if (memcmp(p, "_S5_", 4))
            continue;
        /* Name(_S5_, Package...) or Name(\_S5_, ...) */
        if (!(p[-1] == AML_NAME_OP || (i >= 2 && p[-1] == '\\' && p[-2] == AML_NAME_OP)))
            continue;
        p += 4;
        if (p >= end || *p++ != AML_PACKAGE_OP || p >= end)
            continue;
        pkglen_bytes = (size_t)(*p >> 6) + 1;      /* PkgLength lead byte */
        p += pkglen_bytes;
        if (p >= end)
            continue;
        p++;                                        /* NumElements */
        if (aml_small_int(p, end, typ_a, &used))
            continue;
        p += used;
        if (aml_small_int(p, end, typ_b, &used))
            continue;
        return 0;
    }
    return -ENOENT;
}

static void find_s5(const struct acpi_ops *ops, struct acpi_info *ai)
{
    uint32_t len;
    const uint8_t *t;

    if (!ai->dsdt)
        return;
    t = map_table(ops, ai->dsdt, "DSDT", &len);
    if (t && !acpi_aml_find_s5(t + HDR_LEN, len - HDR_LEN, &ai->s5_typ_a, &ai->s5_typ_b)) {
        ai->have_s5 = 1;
        return;
    }
    for (uint32_t i = 0; i < ai->nr_tables; i++) {
        if (memcmp(ai->tables[i].sig, "SSDT", 4))
            continue;
        t = map_table(ops, ai->tables[i].pa, "SSDT", &len);
        if (t && !acpi_aml_find_s5(t + HDR_LEN, len - HDR_LEN, &ai->s5_typ_a, &ai->s5_typ_b)) {
            ai->have_s5 = 1;
            return;
        }
    }
}

static void parse_table(const struct acpi_ops *ops, uint64_t pa, struct acpi_info *ai)
{
    uint32_t len;
    const uint8_t *t = map_table(ops, pa, NULL, &len);
    struct acpi_table_ref *ref;
    int rc = 0;

    if (!t)
        return;
    if (ai->nr_tables >= ACPI_MAX_TABLES) {
        pr_warn("acpi: more than %u tables, %.4s ignored\n", ACPI_MAX_TABLES, (const char *)t);
        return;
    }
    ref = &ai->tables[ai->nr_tables++];
    memcpy(ref->sig, t, 4);
    ref->sig[4] = '\0';
    ref->revision = t[8];
    ref->length = len;
    ref->pa = pa;

    if (!memcmp(t, "APIC", 4)) {
        if (ai->have_madt)
            return;             /* the first MADT is the one OSes use */
        rc = parse_madt(t, len, ai);
        if (rc)
            reset_madt(ai);
        else
            ai->have_madt = 1;
    } else if (!memcmp(t, "FACP", 4)) {
        if (ai->have_fadt)
            return;
        rc = parse_fadt(t, len, ai);
        ai->have_fadt = !rc;
    } else if (!memcmp(t, "MCFG", 4)) {
        rc = parse_mcfg(t, len, ai);
        if (rc)
            ai->nr_mcfg = 0;
    } else if (!memcmp(t, "HPET", 4)) {
        rc = parse_hpet(t, len, ai);
    } else if (!memcmp(t, "DMAR", 4)) {
        rc = parse_dmar(t, len, ai);
        if (rc) {
            ai->have_dmar = 0;
            ai->nr_dmar_units = ai->nr_dmar_rmrr = ai->nr_dmar_other = 0;
        }
    }
    if (rc)
        pr_err("acpi: %.4s at %#lx is malformed, ignored\n", (const char *)t,
               (unsigned long)pa);
}

int acpi_parse(const uint8_t *rsdp, size_t len, uint64_t rsdp_pa,
               const struct acpi_ops *ops, struct acpi_info *ai)
{
    const uint8_t *root;
    uint64_t root_pa;
    uint32_t root_len, entry_size;
    int xsdt;

    memset(ai, 0, sizeof(*ai));
    if (!rsdp) {
        rsdp = ops->map(ops->opaque, rsdp_pa, RSDP_V1_LEN);
        len = RSDP_V1_LEN;
        if (rsdp && rsdp[15] >= 2 && ops->map(ops->opaque, rsdp_pa, RSDP_V2_LEN))
            len = RSDP_V2_LEN;
        ai->rsdp_pa = rsdp_pa;
    }
    if (!rsdp || len < RSDP_V1_LEN || memcmp(rsdp, "RSD PTR ", 8) || checksum(rsdp, RSDP_V1_LEN)) {
        pr_err("acpi: no valid RSDP\n");
        return -EINVAL;
    }
    ai->revision = rsdp[15];
    memcpy(ai->oem_id, rsdp + 9, 6);
    ai->oem_id[6] = '\0';
    xsdt = 0;
    if (ai->revision >= 2 && len >= RSDP_V2_LEN && get32(rsdp + 20) >= RSDP_V2_LEN) {
        if (checksum(rsdp, RSDP_V2_LEN)) {
            pr_err("acpi: RSDP extended checksum is bad\n");
            return -EINVAL;
        }
        xsdt = get64(rsdp + 24) != 0;
    }
    root_pa = xsdt ? get64(rsdp + 24) : get32(rsdp + 16);
    root = map_table(ops, root_pa, xsdt ? "XSDT" : "RSDT", &root_len);
    if (!root)
        return -EINVAL;
    entry_size = xsdt ? 8 : 4;
    for (uint32_t off = HDR_LEN; off + entry_size <= root_len; off += entry_size) {
        uint64_t pa = xsdt ? get64(root + off) : get32(root + off);
        if (pa)
            parse_table(ops, pa, ai);
    }
    find_s5(ops, ai);
    return 0;
}

int acpi_find_rsdp(const struct acpi_ops *ops, uint64_t *pa)
{
    const uint8_t *bda = ops->map(ops->opaque, 0x40e, 2);
    uint64_t areas[2][2] = { { 0, 0 }, { 0xe0000, 0x20000 } };

    if (bda)
        areas[0][0] = (uint64_t)get16(bda) << 4, areas[0][1] = 1024;
    for (int a = 0; a < 2; a++) {
        const uint8_t *p;

        if (!areas[a][1] || !(p = ops->map(ops->opaque, areas[a][0], areas[a][1])))
            continue;
        for (uint64_t off = 0; off + RSDP_V1_LEN <= areas[a][1]; off += 16) {
            if (!memcmp(p + off, "RSD PTR ", 8) && !checksum(p + off, RSDP_V1_LEN)) {
                *pa = areas[a][0] + off;
                return 0;
            }
        }
    }
    return -ENOENT;
}

void acpi_print(const struct acpi_info *ai)
{
    char line[160];
    size_t n = 0;

    for (uint32_t i = 0; i < ai->nr_tables && n < sizeof(line) - 6; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", ai->tables[i].sig);
    pr_info("ACPI: rev %u, OEM '%s', tables:%s\n", ai->revision, ai->oem_id, n ? line : " none");
    if (ai->have_madt)
        pr_info("ACPI: MADT: %u CPUs (%u disabled), %u IOAPICs, %u overrides, %u LAPIC NMIs, LAPIC at %#lx\n",
                ai->nr_cpus, ai->nr_cpus_disabled, ai->nr_ioapics, ai->nr_isos,
                ai->nr_lapic_nmis, (unsigned long)ai->lapic_addr);
    for (uint32_t i = 0; i < ai->nr_ioapics; i++)
        pr_info("ACPI: IOAPIC %u at %#x, GSI base %u\n", ai->ioapics[i].id,
                ai->ioapics[i].addr, ai->ioapics[i].gsi_base);
    for (uint32_t i = 0; i < ai->nr_isos; i++)
        pr_debug("ACPI: override IRQ %u -> GSI %u flags %#x\n", ai->isos[i].source,
                 ai->isos[i].gsi, ai->isos[i].flags);
    if (ai->have_fadt) {
        pr_info("ACPI: FADT: PM timer %s %#lx (%u-bit), SCI %u, S5 %s\n",
                ai->pm_tmr.space_id == ACPI_GAS_IO ? "io" : "mem",
                (unsigned long)ai->pm_tmr.address, ai->pm_tmr_32bit ? 32 : 24, ai->sci_irq,
                ai->have_s5 ? "found" : "not found");
        if (ai->reset_supported)
            pr_info("ACPI: FADT: reset register %s %#lx, value %#x\n",
                    ai->reset_reg.space_id == ACPI_GAS_IO ? "io" : "mem",
                    (unsigned long)ai->reset_reg.address, ai->reset_value);
    }
    for (uint32_t i = 0; i < ai->nr_mcfg; i++)
        pr_info("ACPI: MCFG: segment %u buses %u-%u at %#lx\n", ai->mcfg[i].segment,
                ai->mcfg[i].start_bus, ai->mcfg[i].end_bus, (unsigned long)ai->mcfg[i].base);
    if (ai->have_hpet)
        pr_info("ACPI: HPET %u at %#lx, id %#x\n", ai->hpet_number,
                (unsigned long)ai->hpet_addr, ai->hpet_id);
    if (ai->have_dmar) {
        pr_info("ACPI: DMAR: host address width %u, flags %#x, %u units, %u RMRRs\n",
                ai->dmar_haw + 1u, ai->dmar_flags, ai->nr_dmar_units, ai->nr_dmar_rmrr);
        for (uint32_t i = 0; i < ai->nr_dmar_units; i++)
            pr_info("ACPI: DMAR: DRHD segment %u at %#lx%s, %u device scopes\n",
                    ai->dmar_units[i].segment, (unsigned long)ai->dmar_units[i].base,
                    ai->dmar_units[i].flags & 1 ? " (all devices)" : "", ai->dmar_units[i].nr_scopes);
    }
}

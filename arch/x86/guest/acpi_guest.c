/*
 * Guests' ACPI tables (see asm/acpi_guest.h): dom0's, rewritten from the
 * host's, and a domU's, made from nothing. Layouts: ACPI 6.5 5.2.5.3
 * (RSDP), 5.2.6 (header), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.9 (FADT), 5.2.12
 * (MADT and its entry types 0-4), 5.2.3.2 (Generic Address Structure).
 */
#include <errno.h>
#include <string.h>
#include <asm/acpi_guest.h>

#define HDR_LEN         36
#define RSDP_LEN        36
#define MADT_HDR_LEN    44
#define CREATOR_ID      0x4c45454b          /* "KEEL" */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static const char *table_id = "KEELDOM0";     /* OEM table ID of what is being built */

/* A table header; the length and checksum are filled by finish(). */
static void header(uint8_t *t, const char *sig, uint8_t rev, const char *oem_id)
{
    memset(t, 0, HDR_LEN);
    memcpy(t, sig, 4);
    t[8] = rev;
    memcpy(t + 10, oem_id, strnlen(oem_id, 6));
    memcpy(t + 16, table_id, 8);
    put32(t + 24, 1);
    put32(t + 28, CREATOR_ID);
    put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
    put32(t + 4, len);
    t[9] = 0;
    t[9] = (uint8_t)-sum(t, len);
}

/* An ACPI 2.0+ RSDP at @buf: the RSDT (0: none) and the XSDT. */
static void rsdp(uint8_t *buf, const char *oem_id, uint64_t rsdt_pa, uint64_t xsdt_pa)
{
    memcpy(buf, "RSD PTR ", 8);
    memcpy(buf + 9, oem_id, strnlen(oem_id, 6));
    buf[15] = 2;
    put32(buf + 16, rsdt_pa < (1ull << 32) ? (uint32_t)rsdt_pa : 0);
    put32(buf + 20, RSDP_LEN);
    put64(buf + 24, xsdt_pa);
    buf[8] = (uint8_t)-sum(buf, 20);
    buf[32] = (uint8_t)-sum(buf, RSDP_LEN);
}

static const struct acpi_table_ref *find(const struct acpi_info *ai, const char *sig)
{
    for (uint32_t i = 0; i < ai->nr_tables; i++)
        if (!memcmp(ai->tables[i].sig, sig, 4))
            return &ai->tables[i];
    return NULL;
}

/* The MADT: returns its length, or -E2BIG / -EINVAL. */
static long build_madt(const struct acpi_info *ai, const struct acpi_ops *ops, uint32_t nr_vcpus,
                       uint8_t *t, size_t room)
{
    const struct acpi_table_ref *ref = find(ai, "APIC");
    const uint8_t *host;
    const struct acpi_ioapic *io = &ai->ioapics[0];
    uint32_t len = MADT_HDR_LEN, io_pins_end;
    int nmi_done = 0;

    if (!ref || !ai->have_madt || !ai->nr_ioapics || ref->length < MADT_HDR_LEN)
        return -EINVAL;
    host = ops->map(ops->opaque, ref->pa, ref->length);
    if (!host)
        return -EINVAL;
    if (room < MADT_HDR_LEN)
        return -E2BIG;
    header(t, "APIC", 3, ai->oem_id);
    put32(t + 36, (uint32_t)0xfee00000u);
    put32(t + 40, ai->madt_flags & 1);              /* PCAT_COMPAT as the host says */
#define ROOM(n) do { if (len + (n) > room) return -E2BIG; } while (0)
    for (uint32_t i = 0; i < nr_vcpus; i++) {
        uint32_t uid = i < ai->nr_cpus && ai->cpus[i].uid < 0xff ? ai->cpus[i].uid : i;
        ROOM(8);
        t[len] = 0;                                 /* Processor Local APIC */
        t[len + 1] = 8;
        t[len + 2] = (uint8_t)uid;
        t[len + 3] = (uint8_t)i;                    /* APIC ID = vCPU number */
        put32(t + len + 4, 1);                      /* enabled */
        len += 8;
    }
    ROOM(12);
    t[len] = 1;                                     /* I/O APIC */
    t[len + 1] = 12;
    t[len + 2] = io->id;
    t[len + 3] = 0;
    put32(t + len + 4, io->addr);
    put32(t + len + 8, io->gsi_base);
    len += 12;
    /* The I/O APIC's pin count is not in the table: overrides within 256 GSIs of it are kept. */
    io_pins_end = io->gsi_base + 256;
    for (uint32_t off = MADT_HDR_LEN; off + 2 <= ref->length;) {
        const uint8_t *e = host + off;
        uint8_t type = e[0], elen = e[1];

        if (elen < 2 || off + elen > ref->length)
            break;                                  /* the parser refused this MADT already */
        if (type == 2 && elen >= 10 && get32(e + 4) >= io->gsi_base && get32(e + 4) < io_pins_end) {
            ROOM(10);
            memcpy(t + len, e, 10);                 /* Interrupt Source Override */
            len += 10;
        } else if (type == 3 && elen >= 8) {
            ROOM(8);
            memcpy(t + len, e, 8);                  /* NMI Source */
            len += 8;
        } else if ((type == 4 || type == 10) && !nmi_done) {
            /* One Local APIC NMI entry for all vCPUs, on the host's LINT. */
            uint16_t flags;
            uint8_t lint;
            if (type == 4 && elen >= 6) {
                memcpy(&flags, e + 3, 2);
                lint = e[5];
            } else if (type == 10 && elen >= 12) {
                memcpy(&flags, e + 2, 2);
                lint = e[8];
            } else {
                off += elen;
                continue;
            }
            ROOM(6);
            t[len] = 4;
            t[len + 1] = 6;
            t[len + 2] = 0xff;
            put16(t + len + 3, flags);
            t[len + 5] = lint;
            len += 6;
            nmi_done = 1;
        }
        off += elen;
    }
#undef ROOM
    finish(t, len);
    return len;
}

long acpi_build_dom0(const struct acpi_info *ai, const struct acpi_ops *ops, uint32_t nr_vcpus,
                     uint8_t *buf, size_t size, uint64_t buf_pa, uint64_t *rsdp_pa)
{
    uint32_t n = 0, xsdt_len, rsdt_len;
    size_t xsdt_off = 64, rsdt_off, madt_off;
    uint64_t madt_pa;
    int madt_listed = 0;
    long madt_len;

    if (!nr_vcpus || nr_vcpus > 255 || size < 512)
        return nr_vcpus ? -E2BIG : -EINVAL;
    memset(buf, 0, size);
    /* Root tables list every host table but the MADT (replaced) and the DMAR (hidden). */
    for (uint32_t i = 0; i < ai->nr_tables; i++)
        if (memcmp(ai->tables[i].sig, "APIC", 4) && memcmp(ai->tables[i].sig, "DMAR", 4))
            n++;
    n++;                                            /* our MADT */
    xsdt_len = HDR_LEN + 8 * n;
    rsdt_len = HDR_LEN + 4 * n;
    rsdt_off = (xsdt_off + xsdt_len + 15) & ~(size_t)15;
    madt_off = (rsdt_off + rsdt_len + 15) & ~(size_t)15;
    if (madt_off >= size)
        return -E2BIG;
    madt_len = build_madt(ai, ops, nr_vcpus, buf + madt_off, size - madt_off);
    if (madt_len < 0)
        return madt_len;
    madt_pa = buf_pa + madt_off;

    header(buf + xsdt_off, "XSDT", 1, ai->oem_id);
    header(buf + rsdt_off, "RSDT", 1, ai->oem_id);
    n = 0;
    for (uint32_t i = 0; i <= ai->nr_tables; i++) {
        /* The host's tables in order, the new MADT where the (first) host MADT was. */
        uint64_t pa;
        if (i == ai->nr_tables)
            pa = madt_listed ? 0 : madt_pa;     /* a host MADT outside the root table */
        else if (!memcmp(ai->tables[i].sig, "DMAR", 4) || (!memcmp(ai->tables[i].sig, "APIC", 4) && madt_listed))
            pa = 0;
        else if (!memcmp(ai->tables[i].sig, "APIC", 4))
            pa = madt_pa, madt_listed = 1;
        else
            pa = ai->tables[i].pa;
        if (!pa)
            continue;
        put64(buf + xsdt_off + HDR_LEN + 8 * n, pa);
        put32(buf + rsdt_off + HDR_LEN + 4 * n, (uint32_t)pa);
        n++;
    }
    finish(buf + xsdt_off, HDR_LEN + 8 * n);
    finish(buf + rsdt_off, HDR_LEN + 4 * n);

    rsdp(buf, ai->oem_id, buf_pa + rsdt_off, buf_pa + xsdt_off);
    *rsdp_pa = buf_pa;
    return (long)(madt_off + (size_t)madt_len);
}

/* ---- a domU's tables ---------------------------------------------------- */

#define FADT_LEN                276     /* revision 6 */
#define FADT_FLAG_WBINVD        (1u << 0)
#define FADT_FLAG_PWR_BUTTON    (1u << 4)   /* no fixed-feature power button */
#define FADT_FLAG_SLP_BUTTON    (1u << 5)
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define FADT_FLAG_HW_REDUCED    (1u << 20)
/* IAPC_BOOT_ARCH: no VGA; no 8042 and no legacy devices (0 bits); MSI and the CMOS RTC are there. */
#define BOOT_ARCH_NO_VGA        (1u << 2)

/* An I/O-port Generic Address Structure of one byte. */
static void gas_io8(uint8_t *p, uint16_t port)
{
    p[0] = 1;                                       /* system I/O */
    p[1] = 8;
    p[2] = 0;
    p[3] = 1;                                       /* byte access */
    put64(p + 4, port);
}

long acpi_build_domu(const struct acpi_domu_config *c, uint8_t *buf, size_t size, uint64_t buf_pa,
                     uint64_t *rsdp_pa)
{
    const size_t xsdt = 64, fadt = 128, madt = fadt + FADT_LEN + 12;    /* 16-byte aligned */
    size_t madt_len = MADT_HDR_LEN + 8 * (size_t)c->nr_vcpus + 12, dsdt = (madt + madt_len + 15) & ~(size_t)15;
    uint8_t *t;

    if (!c->nr_vcpus || c->nr_vcpus > 255 || !c->dsdt_len || c->dsdt_len < HDR_LEN)
        return -EINVAL;
    if (dsdt + c->dsdt_len > size || buf_pa + size > (1ull << 32))
        return -E2BIG;
    memset(buf, 0, size);
    table_id = "KEELDOMU";

    t = buf + xsdt;                                 /* XSDT: the FADT and the MADT */
    header(t, "XSDT", 1, "KEEL");
    put64(t + HDR_LEN, buf_pa + fadt);
    put64(t + HDR_LEN + 8, buf_pa + madt);
    finish(t, HDR_LEN + 16);

    t = buf + fadt;                                 /* FADT: hardware-reduced, sleep and reset by port */
    header(t, "FACP", 6, "KEEL");
    put32(t + 40, (uint32_t)(buf_pa + dsdt));
    put16(t + 109, BOOT_ARCH_NO_VGA);
    put32(t + 112, FADT_FLAG_WBINVD | FADT_FLAG_PWR_BUTTON | FADT_FLAG_SLP_BUTTON | FADT_FLAG_RESET_REG_SUP |
                   FADT_FLAG_HW_REDUCED);
    gas_io8(t + 116, c->reset_port);
    t[128] = c->reset_value;
    t[131] = 5;                                     /* minor version: ACPI 6.5 */
    put64(t + 140, buf_pa + dsdt);
    gas_io8(t + 244, c->sleep_control_port);
    gas_io8(t + 256, c->sleep_status_port);
    memcpy(t + 268, "KeelKeel", 8);                 /* hypervisor vendor identity */
    finish(t, FADT_LEN);

    t = buf + madt;                                 /* MADT: vCPUs, one I/O APIC, no 8259 */
    header(t, "APIC", 5, "KEEL");
    put32(t + 36, (uint32_t)0xfee00000u);
    put32(t + 40, 0);                               /* no PCAT_COMPAT */
    for (uint32_t i = 0; i < c->nr_vcpus; i++) {
        uint8_t *e = t + MADT_HDR_LEN + 8 * i;
        e[0] = 0;
        e[1] = 8;
        e[2] = (uint8_t)i;                          /* processor UID */
        e[3] = (uint8_t)i;                          /* APIC ID */
        put32(e + 4, 1);                            /* enabled */
    }
    t += MADT_HDR_LEN + 8 * c->nr_vcpus;
    t[0] = 1;
    t[1] = 12;
    t[2] = c->ioapic_id;
    put32(t + 4, c->ioapic_base);
    put32(t + 8, 0);                                /* GSI base */
    finish(buf + madt, (uint32_t)madt_len);

    memcpy(buf + dsdt, c->dsdt, c->dsdt_len);       /* compiled with its own checksum */
    rsdp(buf, "KEEL", 0, buf_pa + xsdt);
    table_id = "KEELDOM0";
    *rsdp_pa = buf_pa;
    return (long)(dsdt + c->dsdt_len);
}

/* ACPI parser: tables dumped from QEMU q35 (BIOS, OVMF) and Bochs, then damaged ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <drivers/acpi.h>
#include "unit.h"

static struct acpi_info ai;
static struct fixture fx;

static const void *fx_map(void *opaque, uint64_t pa, uint64_t len)
{
    return fixture_at(opaque, pa, len);
}

static struct acpi_ops ops = { fx_map, &fx };

static int parse(void)
{
    unit_log_clear();
    return acpi_parse(fx.rsdp, fx.rsdp_len, 0, &ops, &ai);
}

static const struct acpi_table_ref *table(const char *sig)
{
    for (uint32_t i = 0; i < ai.nr_tables; i++)
        if (!strcmp(ai.tables[i].sig, sig))
            return &ai.tables[i];
    return NULL;
}

/* Recompute a table's checksum after a deliberate edit (so only the edit is wrong). */
static void fix_checksum(uint8_t *t)
{
    uint32_t len;
    uint8_t sum = 0;

    memcpy(&len, t + 4, 4);
    t[9] = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + t[i]);
    t[9] = (uint8_t)-sum;
}

static void test_q35_bios(void **state)
{
    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-bios.txt");
    assert_int_equal(parse(), 0);
    assert_string_equal(ai.oem_id, "BOCHS ");
    assert_non_null(table("FACP"));
    assert_non_null(table("APIC"));
    assert_non_null(table("HPET"));
    assert_non_null(table("MCFG"));
    assert_int_equal(ai.nr_cpus, 4);
    assert_int_equal(ai.cpus[3].apic_id, 3);
    assert_int_equal(ai.nr_ioapics, 1);
    assert_int_equal(ai.ioapics[0].addr, 0xfec00000);
    assert_int_equal(ai.lapic_addr, 0xfee00000);
    assert_int_equal(ai.nr_isos, 5);
    assert_int_equal(ai.isos[0].source, 0);
    assert_int_equal(ai.isos[0].gsi, 2);
    assert_true(ai.have_fadt);
    assert_int_equal(ai.pm_tmr.space_id, ACPI_GAS_IO);
    assert_int_equal(ai.pm_tmr.address, 0x608);
    assert_true(ai.reset_supported);
    assert_int_equal(ai.reset_reg.address, 0xcf9);
    assert_int_equal(ai.reset_value, 0xf);
    assert_true(ai.have_s5);
    assert_int_equal(ai.nr_mcfg, 1);
    assert_int_equal(ai.mcfg[0].base, 0xb0000000);
    assert_int_equal(ai.mcfg[0].end_bus, 255);
    assert_true(ai.have_hpet);
    assert_int_equal(ai.hpet_addr, 0xfed00000);
    assert_false(ai.have_dmar);
    fixture_free(&fx);
}

static void test_q35_efi(void **state)
{
    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-efi.txt");
    assert_int_equal(parse(), 0);
    assert_int_equal(ai.revision, 2);                 /* XSDT path */
    assert_int_equal(ai.nr_cpus, 2);
    assert_non_null(table("BGRT"));
    assert_true(ai.have_s5);
    assert_int_equal(ai.pm1a_cnt.address, 0x604);
    fixture_free(&fx);
}

static void test_bochs(void **state)
{
    (void)state;
    fixture_load(&fx, "acpi-bochs.txt");
    assert_int_equal(parse(), 0);
    assert_non_null(table("SSDT"));
    assert_int_equal(ai.nr_cpus, 2);
    assert_int_equal(ai.ioapics[0].id, 2);
    assert_int_equal(ai.pm_tmr.address, 0xb008);
    assert_false(ai.reset_supported);
    assert_int_equal(ai.nr_mcfg, 0);
    assert_true(ai.have_s5);
    fixture_free(&fx);
}

static void test_q35_dmar(void **state)
{
    uint8_t *dmar;

    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-iommu.txt");
    assert_int_equal(parse(), 0);
    assert_true(ai.have_dmar);
    assert_int_equal(ai.dmar_haw + 1, 39);
    assert_int_equal(ai.dmar_flags & 1, 1);           /* INTR_REMAP, from intremap=on */
    assert_int_equal(ai.nr_dmar_units, 1);
    assert_int_equal(ai.dmar_units[0].base, 0xfed90000);
    assert_int_equal(ai.dmar_units[0].segment, 0);
    assert_true(ai.dmar_units[0].nr_scopes > 0);
    /* A device scope of length 2 (less than its 6-byte header): the table is refused. */
    dmar = fixture_at(&fx, table("DMAR")->pa, 36);
    assert_int_equal(dmar[48 + 16 + 1] >= 6, 1);
    dmar[48 + 16 + 1] = 2;
    fix_checksum(dmar);
    assert_int_equal(parse(), 0);
    assert_true(unit_log_has("DMAR at"));
    assert_false(ai.have_dmar);
    assert_int_equal(ai.nr_dmar_units, 0);
    fixture_free(&fx);
}

static void test_bad_rsdp(void **state)
{
    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-efi.txt");
    fx.rsdp[8] ^= 0xff;                               /* v1 checksum */
    assert_int_equal(parse(), -22);
    assert_true(unit_log_has("no valid RSDP"));
    fx.rsdp[8] ^= 0xff;
    fx.rsdp[32] ^= 0xff;                              /* extended checksum */
    assert_int_equal(parse(), -22);
    assert_true(unit_log_has("extended checksum"));
    fx.rsdp[32] ^= 0xff;
    assert_int_equal(parse(), 0);
    memcpy(fx.rsdp, "RSD PTX ", 8);
    assert_int_equal(parse(), -22);
    fixture_free(&fx);
}

static void test_bad_madt_checksum(void **state)
{
    uint8_t *madt;

    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-bios.txt");
    assert_int_equal(parse(), 0);
    madt = fixture_at(&fx, table("APIC")->pa, 36);
    madt[40] ^= 1;                                    /* flags byte, checksum now wrong */
    assert_int_equal(parse(), 0);
    assert_true(unit_log_has("APIC at"));
    assert_true(unit_log_has("bad checksum"));
    assert_false(ai.have_madt);
    assert_int_equal(ai.nr_cpus, 0);
    assert_true(ai.have_fadt);                        /* the rest is still used */
    fixture_free(&fx);
}

static void test_malformed_madt_entry(void **state)
{
    uint8_t *madt;

    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-bios.txt");
    assert_int_equal(parse(), 0);
    madt = fixture_at(&fx, table("APIC")->pa, 36);
    madt[44 + 1] = 0;                                 /* first entry: length 0 */
    fix_checksum(madt);
    assert_int_equal(parse(), 0);
    assert_true(unit_log_has("malformed"));
    assert_false(ai.have_madt);
    assert_int_equal(ai.nr_cpus, 0);
    assert_int_equal(ai.nr_ioapics, 0);

    fixture_free(&fx);
    fixture_load(&fx, "acpi-qemu-q35-bios.txt");
    assert_int_equal(parse(), 0);
    madt = fixture_at(&fx, table("APIC")->pa, 36);
    madt[44 + 1] = 200;                               /* entry runs past the table */
    fix_checksum(madt);
    assert_int_equal(parse(), 0);
    assert_false(ai.have_madt);
    fixture_free(&fx);
}

static void test_truncated_table(void **state)
{
    uint8_t *hpet;
    uint32_t len = 0x10000;

    (void)state;
    fixture_load(&fx, "acpi-qemu-q35-bios.txt");
    assert_int_equal(parse(), 0);
    hpet = fixture_at(&fx, table("HPET")->pa, 36);
    memcpy(hpet + 4, &len, 4);                        /* claims 64 KiB: beyond the dump */
    assert_int_equal(parse(), 0);
    assert_true(unit_log_has("runs out of readable memory"));
    assert_false(ai.have_hpet);
    len = 20;                                         /* shorter than a header */
    memcpy(hpet + 4, &len, 4);
    assert_int_equal(parse(), 0);
    assert_true(unit_log_has("bad length"));
    len = 40;                                         /* valid header, table too short for HPET */
    memcpy(hpet + 4, &len, 4);
    fix_checksum(hpet);
    assert_int_equal(parse(), 0);
    assert_true(unit_log_has("HPET at"));
    assert_false(ai.have_hpet);
    fixture_free(&fx);
}

static void test_s5_aml(void **state)
{
    static const uint8_t byte_form[] = { 0x10, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
                                         0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00 };
    static const uint8_t zero_form[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x04,
                                         0x00, 0x00, 0x00, 0x00 };
    static const uint8_t not_name[] = { 0x70, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a, 0x05 };
    static const uint8_t cut[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a };
    uint8_t a = 0xee, b = 0xee;

    (void)state;
    assert_int_equal(acpi_aml_find_s5(byte_form, sizeof(byte_form), &a, &b), 0);
    assert_int_equal(a, 5);
    assert_int_equal(b, 7);
    assert_int_equal(acpi_aml_find_s5(zero_form, sizeof(zero_form), &a, &b), 0);
    assert_int_equal(a, 0);
    assert_int_equal(b, 0);
    assert_int_equal(acpi_aml_find_s5(not_name, sizeof(not_name), &a, &b), -2);
    assert_int_equal(acpi_aml_find_s5(cut, sizeof(cut), &a, &b), -2);
    assert_int_equal(acpi_aml_find_s5(cut, 0, &a, &b), -2);
}

static void test_find_rsdp(void **state)
{
    static uint8_t bios[0x20000];
    struct fixture f = { 0 };
    uint8_t bda[2] = { 0, 0 };
    struct acpi_ops o = { fx_map, &f };
    uint64_t pa = 0;

    (void)state;
    f.nr = 2;
    f.r[0] = (struct fx_region){ 0x40e, 2, bda };
    f.r[1] = (struct fx_region){ 0xe0000, sizeof(bios), bios };
    assert_int_equal(acpi_find_rsdp(&o, &pa), -2);
    fixture_load(&fx, "acpi-qemu-q35-bios.txt");
    memcpy(bios + 0x15a70, fx.rsdp, 20);              /* 16-byte aligned */
    assert_int_equal(acpi_find_rsdp(&o, &pa), 0);
    assert_int_equal(pa, 0xe0000 + 0x15a70);
    bios[0x15a70 + 8] ^= 1;                           /* bad checksum: not taken */
    assert_int_equal(acpi_find_rsdp(&o, &pa), -2);
    fixture_free(&fx);
}

static void test_random_damage(void **state)
{
    static const char *const names[] = { "acpi-qemu-q35-bios.txt", "acpi-qemu-q35-efi.txt",
                                          "acpi-qemu-q35-iommu.txt", "acpi-bochs.txt" };
    uint32_t seed = 777;

    (void)state;
    for (size_t n = 0; n < 4; n++) {
        for (int iter = 0; iter < 400; iter++) {
            struct fx_region *r;
            fixture_load(&fx, names[n]);
            for (int k = 0; k < 3; k++) {
                r = &fx.r[unit_rand(&seed) % fx.nr];
                uint8_t *tab = r->data;
                r->data[unit_rand(&seed) % r->len] = (uint8_t)unit_rand(&seed);
                uint32_t tlen;
                memcpy(&tlen, tab + 4, 4);
                if (unit_rand(&seed) & 1 && r->len >= 36 && tlen <= r->len)
                    fix_checksum(tab);                /* get past the checksum too */
            }
            (void)parse();
            fixture_free(&fx);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q35_bios),
        cmocka_unit_test(test_q35_efi),
        cmocka_unit_test(test_bochs),
        cmocka_unit_test(test_q35_dmar),
        cmocka_unit_test(test_bad_rsdp),
        cmocka_unit_test(test_bad_madt_checksum),
        cmocka_unit_test(test_malformed_madt_entry),
        cmocka_unit_test(test_truncated_table),
        cmocka_unit_test(test_s5_aml),
        cmocka_unit_test(test_find_rsdp),
        cmocka_unit_test(test_random_damage),
    };
    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}

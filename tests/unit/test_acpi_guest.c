/* dom0's ACPI tables built from captured host tables, read back by the ACPI parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <drivers/acpi.h>
#include <asm/acpi_guest.h>
#include "unit.h"

#define BUF_PA  0x7f000000ull

static struct fixture fx;
static uint8_t buf[4096];
static struct acpi_info host, dom0;

static const void *fx_map(void *opaque, uint64_t pa, uint64_t len)
{
    return fixture_at(opaque, pa, len);
}

/* dom0's view: the new tables where they were put, the host's everywhere else. */
static const void *dom0_map(void *opaque, uint64_t pa, uint64_t len)
{
    if (pa >= BUF_PA && pa - BUF_PA <= sizeof(buf) && len <= sizeof(buf) - (pa - BUF_PA))
        return buf + (pa - BUF_PA);
    return fixture_at(opaque, pa, len);
}

static int has_table(const struct acpi_info *ai, const char *sig)
{
    for (uint32_t i = 0; i < ai->nr_tables; i++)
        if (!strcmp(ai->tables[i].sig, sig))
            return 1;
    return 0;
}

static void build_and_check(const char *fixture, uint32_t vcpus)
{
    struct acpi_ops hops = { fx_map, &fx }, dops = { dom0_map, &fx };
    uint64_t rsdp = 0;
    long n;

    fixture_load(&fx, fixture);
    assert_int_equal(acpi_parse(fx.rsdp, fx.rsdp_len, 0, &hops, &host), 0);
    n = acpi_build_dom0(&host, &hops, vcpus, buf, sizeof(buf), BUF_PA, &rsdp);
    assert_true(n > 0 && n <= (long)sizeof(buf));
    assert_int_equal(rsdp, BUF_PA);
    unit_log_clear();
    assert_int_equal(acpi_parse(NULL, 0, rsdp, &dops, &dom0), 0);
    assert_false(unit_log_has("checksum"));
    assert_false(unit_log_has("malformed"));
    assert_int_equal(dom0.revision, 2);
    assert_true(dom0.have_madt);
    assert_int_equal(dom0.nr_cpus, vcpus);
    for (uint32_t i = 0; i < vcpus; i++)
        assert_int_equal(dom0.cpus[i].apic_id, i);
    assert_int_equal(dom0.cpus[0].uid, host.cpus[0].uid);
    assert_int_equal(dom0.nr_ioapics, 1);
    assert_int_equal(dom0.ioapics[0].addr, host.ioapics[0].addr);
    assert_int_equal(dom0.nr_isos, host.nr_isos);
    assert_memory_equal(dom0.isos, host.isos, host.nr_isos * sizeof(host.isos[0]));
    assert_false(dom0.have_dmar);
    assert_false(has_table(&dom0, "DMAR"));
    assert_true(dom0.have_fadt);                      /* the host's, by its address */
    assert_int_equal(dom0.dsdt, host.dsdt);
    assert_int_equal(dom0.have_hpet, host.have_hpet);
    assert_int_equal(dom0.nr_tables, host.nr_tables - host.have_dmar);
    fixture_free(&fx);
}

static void test_bochs(void **state)
{
    (void)state;
    build_and_check("acpi-bochs.txt", 1);
    build_and_check("acpi-bochs.txt", 2);
}

static void test_q35_iommu(void **state)
{
    (void)state;
    build_and_check("acpi-qemu-q35-iommu.txt", 4);
    assert_true(host.have_dmar);                      /* it was there, and it is gone */
}

static void test_limits(void **state)
{
    struct acpi_ops hops = { fx_map, &fx };
    uint64_t rsdp;
    static uint8_t small[600];

    (void)state;
    fixture_load(&fx, "acpi-bochs.txt");
    assert_int_equal(acpi_parse(fx.rsdp, fx.rsdp_len, 0, &hops, &host), 0);
    assert_int_equal(acpi_build_dom0(&host, &hops, 0, buf, sizeof(buf), BUF_PA, &rsdp), -EINVAL);
    assert_int_equal(acpi_build_dom0(&host, &hops, 256, buf, sizeof(buf), BUF_PA, &rsdp), -E2BIG);
    assert_int_equal(acpi_build_dom0(&host, &hops, 64, small, sizeof(small), BUF_PA, &rsdp), -E2BIG);
    host.have_madt = 0;
    assert_int_equal(acpi_build_dom0(&host, &hops, 1, buf, sizeof(buf), BUF_PA, &rsdp), -EINVAL);
    fixture_free(&fx);
}

/* A domU's tables, from nothing, read back by the same parser a host's go through. */
static void test_domu(void **state)
{
    struct acpi_ops dops = { dom0_map, &fx };
    struct acpi_domu_config c = { 2, 0xfec00000u, 2, 0x600, 0x601, 0x602, 1, dsdt_domu_aml, dsdt_domu_aml_len };
    struct acpi_info g;
    uint64_t rsdp = 0;
    long n;

    (void)state;
    memset(&fx, 0, sizeof(fx));
    n = acpi_build_domu(&c, buf, sizeof(buf), BUF_PA, &rsdp);
    assert_true(n > 0 && n <= (long)sizeof(buf));
    unit_log_clear();
    assert_int_equal(acpi_parse(NULL, 0, rsdp, &dops, &g), 0);
    assert_false(unit_log_has("checksum"));
    assert_false(unit_log_has("malformed"));
    assert_int_equal(g.revision, 2);
    assert_true(g.have_madt);
    assert_int_equal(g.madt_flags & 1, 0);            /* no 8259s */
    assert_int_equal(g.nr_cpus, 2);
    assert_int_equal(g.cpus[1].apic_id, 1);
    assert_int_equal(g.nr_ioapics, 1);
    assert_int_equal(g.ioapics[0].addr, 0xfec00000u);
    assert_int_equal(g.ioapics[0].id, 2);
    assert_int_equal(g.ioapics[0].gsi_base, 0);
    assert_true(g.have_fadt);
    assert_true(g.fadt_flags & (1u << 20));           /* hardware-reduced */
    assert_true(g.reset_supported);
    assert_int_equal(g.reset_reg.address, 0x602);
    assert_int_equal(g.reset_value, 1);
    assert_int_equal(g.boot_arch & 2, 0);             /* no 8042 */
    assert_int_equal(g.boot_arch & (1u << 3), 0);     /* MSI works: the device model's devices use it */
    assert_int_equal(g.boot_arch & (1u << 5), 0);     /* a CMOS RTC is there */
    assert_true(g.have_s5);                           /* found in the compiled DSDT */
    assert_int_equal(g.s5_typ_a, 5);
    assert_int_equal(g.dsdt, BUF_PA + (uint64_t)n - dsdt_domu_aml_len);

    assert_int_equal(acpi_build_domu(&c, buf, 300, BUF_PA, &rsdp), -E2BIG);
    c.nr_vcpus = 0;
    assert_int_equal(acpi_build_domu(&c, buf, sizeof(buf), BUF_PA, &rsdp), -EINVAL);
    c.nr_vcpus = 256;
    assert_int_equal(acpi_build_domu(&c, buf, sizeof(buf), BUF_PA, &rsdp), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bochs),
        cmocka_unit_test(test_q35_iommu),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_domu),
    };
    return cmocka_run_group_tests_name("acpi_guest", tests, NULL, NULL);
}

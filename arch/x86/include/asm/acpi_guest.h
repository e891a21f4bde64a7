/*
 * Guests' ACPI tables (guest/acpi_guest.c). dom0's: the host's, except a new RSDP, XSDT and RSDT that
 * list them without the DMAR (the IOMMU is the hypervisor's) and with a
 * rewritten MADT: dom0's vCPUs as local APICs 0..n-1 (the host's processor
 * UIDs, so the DSDT's processor objects still match), the first I/O APIC
 * (the one dom0 gets in virtual form) with its overrides, and the LAPIC
 * NMI lines. Pure: host tables are read through ops->map; host-tested.
 */
#ifndef ASM_ACPI_GUEST_H
#define ASM_ACPI_GUEST_H
#include <stddef.h>
#include <stdint.h>
#include <drivers/acpi.h>

/*
 * Build into @buf (which dom0 will see at guest-physical @buf_pa). Returns
 * the bytes used with *rsdp_pa set, or -E2BIG (buffer too small), -EINVAL
 * (no usable host MADT).
 */
long acpi_build_dom0(const struct acpi_info *ai, const struct acpi_ops *ops, uint32_t nr_vcpus,
                     uint8_t *buf, size_t size, uint64_t buf_pa, uint64_t *rsdp_pa);

/*
 * A domU's tables, from nothing: RSDP, XSDT, a hardware-reduced FADT (sleep
 * control/status and reset registers in I/O space, no 8042, VGA or CMOS
 * RTC), a MADT (vCPU i = APIC ID i, one I/O APIC at GSI 0, no 8259) and
 * the given DSDT. The RSDP is at @buf_pa. Returns the bytes used, -EINVAL
 * or -E2BIG.
 */
struct acpi_domu_config {
    uint32_t nr_vcpus;
    uint32_t ioapic_base;
    uint8_t ioapic_id;
    uint16_t sleep_control_port, sleep_status_port, reset_port;
    uint8_t reset_value;
    const uint8_t *dsdt;
    size_t dsdt_len;
};
/* arch/x86/guest/dsdt_domu.asl, compiled (the build's gen/dsdt_domu.c). */
extern const uint8_t dsdt_domu_aml[];
extern const size_t dsdt_domu_aml_len;
long acpi_build_domu(const struct acpi_domu_config *c, uint8_t *buf, size_t size, uint64_t buf_pa,
                     uint64_t *rsdp_pa);
#endif

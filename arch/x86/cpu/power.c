/*
 * Power-off and reset through the FADT (ACPI 6.5, 4.8.3.2 PM1 control:
 * SLP_TYPx from \_S5, SLP_EN; 4.8.3.6 reset register), and the test-mode
 * exit to the emulator.
 */
#include <asm/cpu_ops.h>
#include <drivers/acpi.h>
#include <keel/arch.h>
#include <keel/log.h>

#define PM1_SLP_TYP_SHIFT  10
#define PM1_SLP_EN         (1u << 13)
#define QEMU_DEBUG_EXIT    0xf4     /* -device isa-debug-exit,iobase=0xf4,iosize=4 */
#define BOCHS_SHUTDOWN     0x8900   /* write "Shutdown" byte by byte */

static const struct acpi_info *acpi;

void arch_acpi_ready(const struct acpi_info *ai) { acpi = ai; }

static void gas_write(const struct acpi_gas *g, uint32_t v)
{
    if (!g->address)
        return;
    if (g->space_id == ACPI_GAS_IO) {
        uint16_t port = (uint16_t)g->address;
        if (g->bit_width == 8)
            outb(port, (uint8_t)v);
        else if (g->bit_width == 32)
            outl(port, v);
        else
            outw(port, (uint16_t)v);
    } else if (g->space_id == ACPI_GAS_MEMORY) {
        volatile void *p = (volatile void *)(uintptr_t)g->address;
        if (g->bit_width == 8)
            *(volatile uint8_t *)p = (uint8_t)v;
        else if (g->bit_width == 32)
            *(volatile uint32_t *)p = v;
        else
            *(volatile uint16_t *)p = (uint16_t)v;
    }
}

__noreturn void arch_power_off(void)
{
    local_irq_disable();
    if (acpi && acpi->have_fadt && acpi->have_s5) {
        pr_info("Powering off (ACPI S5)\n");
        gas_write(&acpi->pm1a_cnt, ((uint32_t)acpi->s5_typ_a << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
        gas_write(&acpi->pm1b_cnt, ((uint32_t)acpi->s5_typ_b << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
        udelay(100000);
    }
    pr_err("Power-off failed: halting\n");
    cpu_halt_forever();
}

__noreturn void arch_restart(void)
{
    static const struct desc_ptr no_idt = { 0, 0 };

    local_irq_disable();
    pr_info("Restarting\n");
    if (acpi && acpi->reset_supported) {
        struct acpi_gas g = acpi->reset_reg;
        g.bit_width = 8;
        gas_write(&g, acpi->reset_value);
        udelay(100000);
    }
    outb(0xcf9, 0x06);              /* PCI reset control: hard reset */
    udelay(100000);
    outb(0x64, 0xfe);               /* keyboard controller pulse */
    udelay(100000);
    lidt(&no_idt);                  /* last resort: triple fault */
    __asm__ volatile("int3");
    cpu_halt_forever();
}

__noreturn void arch_emulator_exit(int pass)
{
    static const char bochs[] = "Shutdown";

    outl(QEMU_DEBUG_EXIT, pass ? 0x10 : 0x11);   /* QEMU exits with (v << 1) | 1 */
    for (const char *c = bochs; *c; c++)
        outb(BOCHS_SHUTDOWN, (uint8_t)*c);
    arch_power_off();
}

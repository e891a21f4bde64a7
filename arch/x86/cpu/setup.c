/* Boot-CPU platform bring-up: ACPI facts for power control, TSC, LAPIC, I/O APICs. */
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include <asm/x86.h>
#include <drivers/acpi.h>
#include <keel/arch.h>
#include <keel/console.h>

void arch_acpi_ready(const struct acpi_info *ai);

/* 8259A ports and initialization words (8259A data sheet; the PC's master/slave pair). */
#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xa0
#define PIC2_DATA       0xa1
#define PIC_ICW1_INIT   0x11            /* edge, cascade, ICW4 follows */
#define PIC_ICW3_MASTER 0x04            /* the slave on IRQ2 */
#define PIC_ICW3_SLAVE  0x02            /* its cascade identity */
#define PIC_ICW4_8086   0x01
#define PIC_VECTORS     0x20            /* master 0x20-0x27, slave 0x28-0x2f: no vector of Keel's */

/*
 * The 8259s, moved off the exception vectors and fully masked. Keel takes
 * no interrupt from them (LINT0 is masked: lapic_init()), but firmware
 * leaves IRQ0 at vector 8, and an emulator that wires the PIC's INTR pin
 * straight to the CPU (Bochs) delivers it despite LINT0: under SVM, where
 * the host takes its interrupts through the IDT, that was a #DF (seen on
 * Bochs's AMD model). Now a stray one is a stray interrupt (irq_dispatch()).
 * dom0 may program them again: the ports are its.
 */
static void pic_mask_all(void)
{
    outb(PIC1_CMD, PIC_ICW1_INIT);
    outb(PIC2_CMD, PIC_ICW1_INIT);
    outb(PIC1_DATA, PIC_VECTORS);
    outb(PIC2_DATA, PIC_VECTORS + 8);
    outb(PIC1_DATA, PIC_ICW3_MASTER);
    outb(PIC2_DATA, PIC_ICW3_SLAVE);
    outb(PIC1_DATA, PIC_ICW4_8086);
    outb(PIC2_DATA, PIC_ICW4_8086);
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

void arch_platform_init(const struct acpi_info *ai)
{
    arch_acpi_ready(ai);
    if (!ai->have_madt || (ai->madt_flags & 1))
        pic_mask_all();                 /* MADT PCAT_COMPAT: the 8259s are there */
    tsc_init(ai);
    lapic_init(1, ai->have_madt ? ai->lapic_addr : 0xfee00000);
    lapic_timer_calibrate();
    ioapic_init(ai);
}

int arch_cpuid_param(const char *value)
{
    return cpuid_param(value);
}

static void policy_line(const char *line)
{
    console_write(line, strlen(line));
}

void arch_dump_policy(void)
{
    pol_dump(policy_line);
}

/*
 * A domU's DSDT: what its hardware-reduced ACPI platform has beyond the
 * static tables (drivers/acpi/acpi_dom0.c builds those). Compiled by iasl at
 * build time and embedded in Keel.
 *  - \_S5: the sleep type a poweroff writes to the FADT's sleep control
 *    register ((5 << 2) | SLP_EN), which ends the domain.
 *  - COM1 (PNP0501) with its interrupt: with no 8259 (the MADT says no
 *    PC-AT compatibility) Linux maps ISA IRQs only for devices it is told of.
 */
DefinitionBlock ("", "DSDT", 2, "KEEL", "KEELDOMU", 1)
{
    Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })

    Scope (\_SB)
    {
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x08, 0x08)
                IRQNoFlags () {4}
            })
        }
    }
}

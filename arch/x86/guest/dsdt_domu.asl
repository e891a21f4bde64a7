/*
 * A domU's DSDT: what its hardware-reduced ACPI platform has beyond the
 * static tables (arch/x86/guest/acpi_guest.c builds those). Compiled by iasl at
 * build time and embedded in Keel.
 *  - \_S5: the sleep type a poweroff writes to the FADT's sleep control
 *    register ((5 << 2) | SLP_EN), which ends the domain.
 *  - COM1 (PNP0501) with its interrupt: with no 8259 (the MADT says no
 *    PC-AT compatibility) Linux maps ISA IRQs only for devices it is told of.
 *  - A power button (PNP0C0C) and the Generic Event Device (ACPI0013, ACPI
 *    6.5 5.6.9) that signals it: GSI 9, level, while port 0x604 has an
 *    event pending; _EVT clears what it handles (arch/x86/guest/domu.c).
 *  - A CMOS RTC (PNP0B00) at 0x70 without an interrupt (no alarms).
 *  - A PCI host bridge (PNP0A03): bus 0, configuration mechanism #1 at
 *    0xcf8, and the memory window KEEL_DOMU_PCI_MMIO (public/keel.h) for
 *    the BARs the device model places there. Its devices use MSI-X.
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

        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
            })
        }

        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_SEG, Zero)
            Name (_BBN, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x0000, 0x0000, 0x0001)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFBFFFFFF, 0x00000000, 0x3C000000)
            })
        }

        Device (PWRB)
        {
            Name (_HID, EisaId ("PNP0C0C"))
            Name (_UID, Zero)
        }

        Device (GED0)
        {
            Name (_HID, "ACPI0013")
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {9}
            })
            OperationRegion (EVTS, SystemIO, 0x0604, One)
            Field (EVTS, ByteAcc, NoLock, Preserve)
            {
                PEND, 8
            }
            Method (_EVT, 1, Serialized)
            {
                Local0 = PEND
                If (Local0 & One)
                {
                    PEND = One
                    Notify (\_SB.PWRB, 0x80)
                }
            }
        }
    }
}

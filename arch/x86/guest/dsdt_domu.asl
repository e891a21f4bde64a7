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
 *    event pending (bit 0 the button, bit 1 PCI hotplug, KEEL_DM_HOTPLUG);
 *    _EVT clears what it handles (arch/x86/guest/domu.c).
 *  - A CMOS RTC (PNP0B00) at 0x70 without an interrupt (no alarms).
 *  - A PCI host bridge (PNP0A03): bus 0, configuration mechanism #1 at
 *    0xcf8, and the memory window KEEL_DOMU_PCI_MMIO (public/keel.h) for
 *    the BARs the device model places there. Its devices use MSI-X, or
 *    INTA through _PRT (GSI 16 + slot % 4, KEEL_DM_INTX) for a driver
 *    without it.
 *    Slots 1-31 are hot-pluggable as QEMU's PIIX4 ones are (Linux's
 *    acpiphp): the GED's event 1 runs PCNT, which reads the device
 *    model's registers in the window's last page and notifies the slots;
 *    a slot's _EJ0 writes its bit back there.
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
                    0x00000000, 0xC0000000, 0xFBFFEFFF, 0x00000000, 0x3BFFF000)
            })
            // INTx: each slot's INTA on GSI 16 + slot % 4 (KEEL_DOMU_PCI_GSI), four lines shared as
            // PIIX's links are. With no link device an entry names a GSI, level-triggered and
            // active low (ACPI 6.5 6.2.13). Only INTA: every device's interrupt pin is A.
            Name (_PRT, Package ()
            {
                Package () { 0x0001FFFF, Zero, Zero, 17 },
                Package () { 0x0002FFFF, Zero, Zero, 18 },
                Package () { 0x0003FFFF, Zero, Zero, 19 },
                Package () { 0x0004FFFF, Zero, Zero, 16 },
                Package () { 0x0005FFFF, Zero, Zero, 17 },
                Package () { 0x0006FFFF, Zero, Zero, 18 },
                Package () { 0x0007FFFF, Zero, Zero, 19 },
                Package () { 0x0008FFFF, Zero, Zero, 16 },
                Package () { 0x0009FFFF, Zero, Zero, 17 },
                Package () { 0x000AFFFF, Zero, Zero, 18 },
                Package () { 0x000BFFFF, Zero, Zero, 19 },
                Package () { 0x000CFFFF, Zero, Zero, 16 },
                Package () { 0x000DFFFF, Zero, Zero, 17 },
                Package () { 0x000EFFFF, Zero, Zero, 18 },
                Package () { 0x000FFFFF, Zero, Zero, 19 },
                Package () { 0x0010FFFF, Zero, Zero, 16 },
                Package () { 0x0011FFFF, Zero, Zero, 17 },
                Package () { 0x0012FFFF, Zero, Zero, 18 },
                Package () { 0x0013FFFF, Zero, Zero, 19 },
                Package () { 0x0014FFFF, Zero, Zero, 16 },
                Package () { 0x0015FFFF, Zero, Zero, 17 },
                Package () { 0x0016FFFF, Zero, Zero, 18 },
                Package () { 0x0017FFFF, Zero, Zero, 19 },
                Package () { 0x0018FFFF, Zero, Zero, 16 },
                Package () { 0x0019FFFF, Zero, Zero, 17 },
                Package () { 0x001AFFFF, Zero, Zero, 18 },
                Package () { 0x001BFFFF, Zero, Zero, 19 },
                Package () { 0x001CFFFF, Zero, Zero, 16 },
                Package () { 0x001DFFFF, Zero, Zero, 17 },
                Package () { 0x001EFFFF, Zero, Zero, 18 },
                Package () { 0x001FFFFF, Zero, Zero, 19 }
            })
            // The device model's hotplug registers (KEEL_DOMU_PCI_HOTPLUG, the window's last page).
            OperationRegion (PCHP, SystemMemory, 0xFBFFF000, 0x0C)
            Field (PCHP, DWordAcc, NoLock, Preserve)
            {
                PCIU, 32,
                PCID, 32,
                PCEJ, 32
            }
            // The GED's PCI hotplug event: a device check for each slot that gained a
            // device, an eject request for each the device model wants back.
            Method (PCNT, 0, Serialized)
            {
                Local0 = PCIU
                Local1 = PCID
                PCIU = Local0
                PCID = Local1
                If (Local0 & 0x00000002) { Notify (S01, One) }
                If (Local1 & 0x00000002) { Notify (S01, 0x03) }
                If (Local0 & 0x00000004) { Notify (S02, One) }
                If (Local1 & 0x00000004) { Notify (S02, 0x03) }
                If (Local0 & 0x00000008) { Notify (S03, One) }
                If (Local1 & 0x00000008) { Notify (S03, 0x03) }
                If (Local0 & 0x00000010) { Notify (S04, One) }
                If (Local1 & 0x00000010) { Notify (S04, 0x03) }
                If (Local0 & 0x00000020) { Notify (S05, One) }
                If (Local1 & 0x00000020) { Notify (S05, 0x03) }
                If (Local0 & 0x00000040) { Notify (S06, One) }
                If (Local1 & 0x00000040) { Notify (S06, 0x03) }
                If (Local0 & 0x00000080) { Notify (S07, One) }
                If (Local1 & 0x00000080) { Notify (S07, 0x03) }
                If (Local0 & 0x00000100) { Notify (S08, One) }
                If (Local1 & 0x00000100) { Notify (S08, 0x03) }
                If (Local0 & 0x00000200) { Notify (S09, One) }
                If (Local1 & 0x00000200) { Notify (S09, 0x03) }
                If (Local0 & 0x00000400) { Notify (S0A, One) }
                If (Local1 & 0x00000400) { Notify (S0A, 0x03) }
                If (Local0 & 0x00000800) { Notify (S0B, One) }
                If (Local1 & 0x00000800) { Notify (S0B, 0x03) }
                If (Local0 & 0x00001000) { Notify (S0C, One) }
                If (Local1 & 0x00001000) { Notify (S0C, 0x03) }
                If (Local0 & 0x00002000) { Notify (S0D, One) }
                If (Local1 & 0x00002000) { Notify (S0D, 0x03) }
                If (Local0 & 0x00004000) { Notify (S0E, One) }
                If (Local1 & 0x00004000) { Notify (S0E, 0x03) }
                If (Local0 & 0x00008000) { Notify (S0F, One) }
                If (Local1 & 0x00008000) { Notify (S0F, 0x03) }
                If (Local0 & 0x00010000) { Notify (S10, One) }
                If (Local1 & 0x00010000) { Notify (S10, 0x03) }
                If (Local0 & 0x00020000) { Notify (S11, One) }
                If (Local1 & 0x00020000) { Notify (S11, 0x03) }
                If (Local0 & 0x00040000) { Notify (S12, One) }
                If (Local1 & 0x00040000) { Notify (S12, 0x03) }
                If (Local0 & 0x00080000) { Notify (S13, One) }
                If (Local1 & 0x00080000) { Notify (S13, 0x03) }
                If (Local0 & 0x00100000) { Notify (S14, One) }
                If (Local1 & 0x00100000) { Notify (S14, 0x03) }
                If (Local0 & 0x00200000) { Notify (S15, One) }
                If (Local1 & 0x00200000) { Notify (S15, 0x03) }
                If (Local0 & 0x00400000) { Notify (S16, One) }
                If (Local1 & 0x00400000) { Notify (S16, 0x03) }
                If (Local0 & 0x00800000) { Notify (S17, One) }
                If (Local1 & 0x00800000) { Notify (S17, 0x03) }
                If (Local0 & 0x01000000) { Notify (S18, One) }
                If (Local1 & 0x01000000) { Notify (S18, 0x03) }
                If (Local0 & 0x02000000) { Notify (S19, One) }
                If (Local1 & 0x02000000) { Notify (S19, 0x03) }
                If (Local0 & 0x04000000) { Notify (S1A, One) }
                If (Local1 & 0x04000000) { Notify (S1A, 0x03) }
                If (Local0 & 0x08000000) { Notify (S1B, One) }
                If (Local1 & 0x08000000) { Notify (S1B, 0x03) }
                If (Local0 & 0x10000000) { Notify (S1C, One) }
                If (Local1 & 0x10000000) { Notify (S1C, 0x03) }
                If (Local0 & 0x20000000) { Notify (S1D, One) }
                If (Local1 & 0x20000000) { Notify (S1D, 0x03) }
                If (Local0 & 0x40000000) { Notify (S1E, One) }
                If (Local1 & 0x40000000) { Notify (S1E, 0x03) }
                If (Local0 & 0x80000000) { Notify (S1F, One) }
                If (Local1 & 0x80000000) { Notify (S1F, 0x03) }
            }
            // Slots 1-31, ejectable: _EJ0 tells the device model the guest let go.
            Device (S01) { Name (_ADR, 0x00010000)  Name (_SUN, 1)  Method (_EJ0, 1) { PCEJ = 0x00000002 } }
            Device (S02) { Name (_ADR, 0x00020000)  Name (_SUN, 2)  Method (_EJ0, 1) { PCEJ = 0x00000004 } }
            Device (S03) { Name (_ADR, 0x00030000)  Name (_SUN, 3)  Method (_EJ0, 1) { PCEJ = 0x00000008 } }
            Device (S04) { Name (_ADR, 0x00040000)  Name (_SUN, 4)  Method (_EJ0, 1) { PCEJ = 0x00000010 } }
            Device (S05) { Name (_ADR, 0x00050000)  Name (_SUN, 5)  Method (_EJ0, 1) { PCEJ = 0x00000020 } }
            Device (S06) { Name (_ADR, 0x00060000)  Name (_SUN, 6)  Method (_EJ0, 1) { PCEJ = 0x00000040 } }
            Device (S07) { Name (_ADR, 0x00070000)  Name (_SUN, 7)  Method (_EJ0, 1) { PCEJ = 0x00000080 } }
            Device (S08) { Name (_ADR, 0x00080000)  Name (_SUN, 8)  Method (_EJ0, 1) { PCEJ = 0x00000100 } }
            Device (S09) { Name (_ADR, 0x00090000)  Name (_SUN, 9)  Method (_EJ0, 1) { PCEJ = 0x00000200 } }
            Device (S0A) { Name (_ADR, 0x000A0000)  Name (_SUN, 10)  Method (_EJ0, 1) { PCEJ = 0x00000400 } }
            Device (S0B) { Name (_ADR, 0x000B0000)  Name (_SUN, 11)  Method (_EJ0, 1) { PCEJ = 0x00000800 } }
            Device (S0C) { Name (_ADR, 0x000C0000)  Name (_SUN, 12)  Method (_EJ0, 1) { PCEJ = 0x00001000 } }
            Device (S0D) { Name (_ADR, 0x000D0000)  Name (_SUN, 13)  Method (_EJ0, 1) { PCEJ = 0x00002000 } }
            Device (S0E) { Name (_ADR, 0x000E0000)  Name (_SUN, 14)  Method (_EJ0, 1) { PCEJ = 0x00004000 } }
            Device (S0F) { Name (_ADR, 0x000F0000)  Name (_SUN, 15)  Method (_EJ0, 1) { PCEJ = 0x00008000 } }
            Device (S10) { Name (_ADR, 0x00100000)  Name (_SUN, 16)  Method (_EJ0, 1) { PCEJ = 0x00010000 } }
            Device (S11) { Name (_ADR, 0x00110000)  Name (_SUN, 17)  Method (_EJ0, 1) { PCEJ = 0x00020000 } }
            Device (S12) { Name (_ADR, 0x00120000)  Name (_SUN, 18)  Method (_EJ0, 1) { PCEJ = 0x00040000 } }
            Device (S13) { Name (_ADR, 0x00130000)  Name (_SUN, 19)  Method (_EJ0, 1) { PCEJ = 0x00080000 } }
            Device (S14) { Name (_ADR, 0x00140000)  Name (_SUN, 20)  Method (_EJ0, 1) { PCEJ = 0x00100000 } }
            Device (S15) { Name (_ADR, 0x00150000)  Name (_SUN, 21)  Method (_EJ0, 1) { PCEJ = 0x00200000 } }
            Device (S16) { Name (_ADR, 0x00160000)  Name (_SUN, 22)  Method (_EJ0, 1) { PCEJ = 0x00400000 } }
            Device (S17) { Name (_ADR, 0x00170000)  Name (_SUN, 23)  Method (_EJ0, 1) { PCEJ = 0x00800000 } }
            Device (S18) { Name (_ADR, 0x00180000)  Name (_SUN, 24)  Method (_EJ0, 1) { PCEJ = 0x01000000 } }
            Device (S19) { Name (_ADR, 0x00190000)  Name (_SUN, 25)  Method (_EJ0, 1) { PCEJ = 0x02000000 } }
            Device (S1A) { Name (_ADR, 0x001A0000)  Name (_SUN, 26)  Method (_EJ0, 1) { PCEJ = 0x04000000 } }
            Device (S1B) { Name (_ADR, 0x001B0000)  Name (_SUN, 27)  Method (_EJ0, 1) { PCEJ = 0x08000000 } }
            Device (S1C) { Name (_ADR, 0x001C0000)  Name (_SUN, 28)  Method (_EJ0, 1) { PCEJ = 0x10000000 } }
            Device (S1D) { Name (_ADR, 0x001D0000)  Name (_SUN, 29)  Method (_EJ0, 1) { PCEJ = 0x20000000 } }
            Device (S1E) { Name (_ADR, 0x001E0000)  Name (_SUN, 30)  Method (_EJ0, 1) { PCEJ = 0x40000000 } }
            Device (S1F) { Name (_ADR, 0x001F0000)  Name (_SUN, 31)  Method (_EJ0, 1) { PCEJ = 0x80000000 } }
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
                If (Local0 & 0x02)
                {
                    PEND = 0x02
                    \_SB.PCI0.PCNT ()
                }
            }
        }
    }
}

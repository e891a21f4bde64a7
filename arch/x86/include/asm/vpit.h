/*
 * A guest's i8254 PIT (Intel 82C54 data sheet) as far as an OS calibrates
 * its TSC with it: channel 2 behind port 61h's gate, counting at 1.193182
 * MHz of the TSC, with OUT2 in port 61h bit 5. Linux on AMD has no CPUID
 * leaf that gives the TSC frequency (leaf 15H is Intel's): its
 * quick_pit_calibrate() and pit_calibrate_tsc() use exactly this. Channels 0
 * and 1 are accepted and count too, but raise no interrupt (the guest has
 * no legacy PIC). Pure: time is the caller's TSC; host-tested.
 */
#ifndef ASM_VPIT_H
#define ASM_VPIT_H
#include <stdint.h>

#define VPIT_HZ         1193182u
#define VPIT_PORT_BASE  0x40            /* counters 0-2, control word at 0x43 */
#define VPIT_PORT_61    0x61            /* NMI status and control (port B) */

struct vpit_channel {
    uint16_t reload;                    /* the count written (0 means 65536) */
    uint8_t mode;                       /* 0-5 */
    uint8_t rw;                         /* 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t write_msb, read_msb;        /* next byte of a 16-bit access is the MSB */
    uint8_t latched, armed;
    uint16_t latch;
    uint8_t pending_lsb;
    uint64_t start;                     /* TSC when counting began (after the count was written) */
};

struct vpit {
    struct vpit_channel ch[3];
    uint8_t port61;                     /* bits 0 (gate 2) and 1 (speaker) as written */
    uint8_t refresh;                    /* bit 4 toggles on every read, as on a PC */
};

void vpit_reset(struct vpit *p);
/* One byte at @port (0x40-0x43, 0x61) at TSC @now, @tsc_khz ticks per ms. */
uint8_t vpit_read(struct vpit *p, uint16_t port, uint64_t now, uint64_t tsc_khz);
void vpit_write(struct vpit *p, uint16_t port, uint8_t val, uint64_t now, uint64_t tsc_khz);
#endif

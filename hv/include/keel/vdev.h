/* Emulated platform devices of a domain (hv/vdev.c). */
#ifndef KEEL_VDEV_H
#define KEEL_VDEV_H

struct domain;

#define VDEV_COM1_BASE      0x3f8
#define VDEV_DEBUG_EXIT     0xf4    /* 32-bit write: the guest's exit code (kvm-unit-tests' port) */
/* Test device: 4 KiB that behaves like memory, behind MMIO exits; the last
 * 8 bytes count the accesses made to it (reads and writes). */
#define VDEV_TESTDEV_BASE   0xfe000000ull
#define VDEV_TESTDEV_SIZE   0x1000

/* COM1 as the domain's console, and the debug-exit port. 0 or -errno. */
int vdev_test_platform(struct domain *d);
#endif

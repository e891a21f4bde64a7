/*
 * Keel's public ABI: shared by the hypervisor, keel.ko and libkeel.
 * Fixed-width types only, no pointers; buffers are guest-physical addresses.
 *
 * Hypercalls: VMCALL with the number in RAX and arguments in RDI, RSI, RDX,
 * R10, R8; the result comes back in RAX, 0 or more on success, a negative
 * errno on failure (-ENOSYS: no such call, -EPERM: not for this domain).
 */
#ifndef KEEL_PUBLIC_KEEL_H
#define KEEL_PUBLIC_KEEL_H

#define KEEL_ABI_VERSION            0x00000001u

/* Error numbers in hypercall results: Linux's values, whatever the hypervisor's libc uses. */
#define KEEL_EPERM                  1
#define KEEL_ENOENT                 2
#define KEEL_EIO                    5
#define KEEL_ENOMEM                 12
#define KEEL_EFAULT                 14
#define KEEL_EBUSY                  16
#define KEEL_EINVAL                 22
#define KEEL_ENOSPC                 28
#define KEEL_ERANGE                 34
#define KEEL_ENOSYS                 38

/* CPUID leaves (hypervisor range). */
#define KEEL_CPUID_SIGNATURE        0x40000000u  /* EAX max leaf, EBX ECX EDX "KeelKeelKeel" */
#define KEEL_CPUID_VERSION          0x40000001u  /* EAX (major << 16) | minor */
#define KEEL_CPUID_TIMING           0x40000010u  /* EAX TSC kHz, EBX APIC timer kHz */
#define KEEL_CPUID_MAX              KEEL_CPUID_TIMING

/* Hypercall numbers. */
#define KEEL_HC_ABI_VERSION         0   /* any domain: returns KEEL_ABI_VERSION */

/* Test-mode hypercalls (keel.test=...): -ENOSYS outside test mode. */
#define KEEL_HC_TEST_BASE           0x4b00
#define KEEL_HC_TEST_EPT_PROTECT    (KEEL_HC_TEST_BASE + 1)  /* (gpa, bytes): write-protect, log writes */
#define KEEL_HC_TEST_EPT_QUERY      (KEEL_HC_TEST_BASE + 2)  /* (gpa): level | perm << 8 | memtype << 12, or -ENOENT */
#define KEEL_HC_TEST_WP_FAULTS      (KEEL_HC_TEST_BASE + 3)  /* (): write faults resolved so far */
#define KEEL_HC_TEST_EXITS          (KEEL_HC_TEST_BASE + 4)  /* (): VM exits of this vCPU so far */
#define KEEL_HC_MAX                 (KEEL_HC_TEST_BASE + 5)
#endif

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
#if defined(__KERNEL__)             /* keel.ko */
#include <linux/types.h>
#include <linux/ioctl.h>
#elif __STDC_HOSTED__               /* libkeel, kl, host tests */
#include <stdint.h>
#include <sys/ioctl.h>
#else                               /* the hypervisor */
#include <stdint.h>
#endif

#define KEEL_ABI_VERSION            0x00000002u

#ifndef _IOWR                       /* the hypervisor's build: the value Linux's _IOWR gives */
#define _IOWR(type, nr, t)          ((3u << 30) | ((uint32_t)sizeof(t) << 16) | ((uint32_t)(type) << 8) | (nr))
#endif

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
/*
 * dom0 only: (gpa, len, flags) copy the hypervisor's log ring, up to @len
 * bytes (at most KEEL_CONSOLE_READ_MAX), to guest-physical @gpa; returns the
 * bytes copied. Each line starts with its level, one digit ('0' error, '1'
 * warning, '2' info, '3' debug). KEEL_CONSOLE_CLEAR: later reads start after what this one
 * returned (`kl dmesg -c`).
 */
#define KEEL_HC_CONSOLE_READ        1
#define KEEL_CONSOLE_CLEAR          1u
#define KEEL_CONSOLE_READ_MAX       65536u

/* dom0 only: (gpa) fill a struct keel_physinfo there (`kl info`). */
#define KEEL_HC_PHYSINFO            2
struct keel_physinfo {
    uint32_t nr_cpus;               /* online CPUs */
    uint32_t abi_version;
    uint64_t free_bytes;            /* free hypervisor memory (for domUs) */
    uint64_t tsc_khz;
    char version[32];               /* Keel's version string, NUL-terminated */
};
_Static_assert(sizeof(struct keel_physinfo) == 56, "keel_physinfo layout");

/*
 * keel.ko's /dev/keel. KEEL_IOCTL_HYPERCALL (root only) makes hypercall @nr
 * with @args; when @buf_len is non-zero, keel.ko bounces @buf_len bytes at
 * user address @buf through kernel memory (copied in, and out again after
 * the call) and puts that memory's guest-physical address in args[@buf_arg].
 * The hypercall's result lands in @result.
 */
struct keel_ioctl_hypercall {
    uint64_t nr;
    uint64_t args[5];
    uint64_t buf;                   /* user address */
    uint32_t buf_len;               /* at most KEEL_IOCTL_BUF_MAX */
    uint32_t buf_arg;               /* 0..4 */
    int64_t result;
};
_Static_assert(sizeof(struct keel_ioctl_hypercall) == 72, "keel_ioctl_hypercall layout");
#define KEEL_IOCTL_BUF_MAX          65536u
#define KEEL_IOCTL_HYPERCALL        _IOWR('K', 0x01, struct keel_ioctl_hypercall)

/* Test-mode hypercalls (keel.test=...): -ENOSYS outside test mode. */
#define KEEL_HC_TEST_BASE           0x4b00
#define KEEL_HC_TEST_EPT_PROTECT    (KEEL_HC_TEST_BASE + 1)  /* (gpa, bytes): write-protect, log writes */
#define KEEL_HC_TEST_EPT_QUERY      (KEEL_HC_TEST_BASE + 2)  /* (gpa): level | perm << 8 | memtype << 12, or -ENOENT */
#define KEEL_HC_TEST_WP_FAULTS      (KEEL_HC_TEST_BASE + 3)  /* (): write faults resolved so far */
#define KEEL_HC_TEST_EXITS          (KEEL_HC_TEST_BASE + 4)  /* (): VM exits of this vCPU so far */
#define KEEL_HC_MAX                 (KEEL_HC_TEST_BASE + 5)
#endif

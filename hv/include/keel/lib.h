/* Small helpers shared by the whole hypervisor. */
#ifndef KEEL_LIB_H
#define KEEL_LIB_H
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)      (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)    ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b)           ((a) < (b) ? (a) : (b))
#define MAX(a, b)           ((a) > (b) ? (a) : (b))
#define MiB(x)              ((uint64_t)(x) << 20)
#define GiB(x)              ((uint64_t)(x) << 30)
#define __must_check        __attribute__((warn_unused_result))
#define __noreturn          __attribute__((noreturn))

#define KEEL_VERSION        "0.1"

/* Identity-mapped hypervisor: physical and virtual addresses are equal. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }
static inline uint64_t virt_to_phys(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Stop the hypervisor: a broken invariant of its own, never a guest's doing. */
__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif

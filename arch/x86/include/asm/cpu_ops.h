/*
 * Privileged-instruction helpers: the one header (with vmx_ops.h later) that
 * holds inline assembly. Host unit tests put tests/unit/fakes/ first on the
 * include path to replace it.
 */
#ifndef ASM_CPU_OPS_H
#define ASM_CPU_OPS_H
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf) { return cpuid_count(leaf, 0); }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                              \
    static inline uint64_t read_cr##n(void)                                       \
    { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; }  \
    static inline void write_cr##n(uint64_t v)                                    \
    { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

static inline void lgdt(const struct desc_ptr *d) { __asm__ volatile("lgdt %0" :: "m"(*d)); }
static inline void lidt(const struct desc_ptr *d) { __asm__ volatile("lidt %0" :: "m"(*d)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" :: "r"(sel)); }

/* Reload CS and the data segments after a new GDT is loaded. */
static inline void load_segments(uint16_t cs, uint16_t ds)
{
    __asm__ volatile("pushq %q0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %w1, %%ds\n\t"
                     "mov %w1, %%es\n\t"
                     "mov %w1, %%ss\n\t"
                     :: "r"((uint64_t)cs), "r"(ds) : "rax", "memory");
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void local_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* Sleep until an interrupt (a kick IPI): STI's shadow keeps the wakeup from slipping in before HLT. */
static inline void cpu_wait_for_interrupt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }

static inline uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

static inline uint64_t read_rbp(void)
{
    uint64_t v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

/*
 * Overwrite the return stack buffer with 32 harmless entries (as Linux's
 * FILL_RETURN_BUFFER), so that no return predicted from one guest's
 * calls steers Keel's or the next guest's returns.
 */
static inline void rsb_fill(void)
{
    unsigned long n = 32;

    __asm__ volatile("1: call 2f\n"
                     "   pause; lfence; jmp 1b\n"      /* speculation trap, never run */
                     "2: dec %0\n"
                     "   jnz 1b\n"
                     "   add $(32 * 8), %%rsp\n"
                     : "+r"(n) :: "memory", "cc");
}

/* Debug registers 0-3 and 6 (DR4/5 alias them): a vCPU's, switched with its state. */
static inline uint64_t read_dr(unsigned n)
{
    uint64_t v = 0;

    switch (n) {
    case 0: __asm__ volatile("mov %%db0, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%db1, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%db2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%db3, %0" : "=r"(v)); break;
    case 6: __asm__ volatile("mov %%db6, %0" : "=r"(v)); break;
    }
    return v;
}

static inline void write_dr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%db0" :: "r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%db1" :: "r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%db2" :: "r"(v)); break;
    case 3: __asm__ volatile("mov %0, %%db3" :: "r"(v)); break;
    case 6: __asm__ volatile("mov %0, %%db6" :: "r"(v)); break;
    }
}

static inline uint64_t xgetbv(uint32_t xcr)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint32_t xcr, uint64_t v)
{
    __asm__ volatile("xsetbv" :: "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* Extended state save/restore (SDM Vol. 1 ch. 13): @area is 64-byte aligned, @mask the RFBM. */
static inline void xsave(void *area, uint64_t mask)
{
    __asm__ volatile("xsave64 (%0)" :: "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

static inline void xrstor(const void *area, uint64_t mask)
{
    __asm__ volatile("xrstor64 (%0)" :: "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

static inline void xsaves(void *area, uint64_t mask)
{
    __asm__ volatile("xsaves64 (%0)" :: "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

static inline void xrstors(const void *area, uint64_t mask)
{
    __asm__ volatile("xrstors64 (%0)" :: "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

static inline void wbinvd(void) { __asm__ volatile("wbinvd" ::: "memory"); }

/* Stop this CPU for good: interrupts off, halt forever (NMIs return here). */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}
#endif

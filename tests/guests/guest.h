/* The test guests' little runtime (tests/guests/lib.c). */
#ifndef GUEST_H
#define GUEST_H
#include <stdint.h>

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

struct regs4 { uint32_t a, b, c, d; };
static inline struct regs4 cpuid(uint32_t leaf, uint32_t sub)
{
    struct regs4 r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* The hypercall instruction Keel's leaf 0x40000001 names: 1 VMMCALL (AMD), 0 VMCALL (lib.c). */
extern int hc_vmmcall;

/* A hypercall: number in EAX, arguments in EDI, ESI, EDX; result in EAX. */
static inline int32_t vmcall(uint32_t nr, uint32_t a0, uint32_t a1, uint32_t a2)
{
    uint32_t r;
    if (hc_vmmcall)
        __asm__ volatile("vmmcall" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
    else
        __asm__ volatile("vmcall" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
    return (int32_t)r;
}

/* The last exception taken: vector (or -1) and error code. */
extern volatile int last_vector;
extern volatile uint32_t last_error;
/* Bytes to skip past a faulting instruction (0: return to it, as for traps). */
extern volatile uint32_t fixup_len;
/* Set by the fuzzer: any exception is survived (fixup_len still applies), never an exit. */
extern volatile int exc_tolerant;
/* #DBs taken (a trap returns to the next instruction), and where the first one returned to. */
extern volatile uint32_t db_count, db_first_eip;
/* Run 64-bit code (interrupts off, no faults) and come back (lm.S): its EAX. */
uint32_t lm_call(uint32_t (*fn64)(void));
/* Called for vectors >= 32 (set by the test). */
extern void (*irq_handler)(void);

/* An MSR access that may #GP: 0, or the vector it raised. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);

void puts(const char *s);
void put_hex(uint32_t v);
void put_dec(uint32_t v);
void check(int ok, const char *what);
/* Prints "PASS name" or "FAIL name" and returns the exit code. */
int report(const char *name);
void guest_exit(uint32_t code) __attribute__((noreturn));
const char *cmdline(void);
/* Does the command line hold @w? */
int cmdline_has(const char *w);
void set_idt_entry(int vec, uint32_t handler);
void load_idt(void);

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

/* The TSC frequency Keel reports (CPUID 0x40000010). */
static inline uint32_t tsc_khz(void) { return cpuid(0x40000010, 0).a; }
#endif

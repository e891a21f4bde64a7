/*
 * The guest-side fuzzer: from a fixed seed ("seed=N" on its command line,
 * "ops=N" operations, 0 for no end), random MSR reads and writes, CR and
 * DR moves, CPUID leaves, port I/O (string forms too, straddling pages),
 * MMIO to every emulated device (the LAPIC, the test device), hypercalls
 * with random numbers and arguments, exceptions, and single steps over
 * instructions that exit. Keel must survive it, and the victim beside it
 * (keel.test=guest) must go on; a crash of Keel is a bug whose reproducer
 * is the seed and the last "FUZZ op" line. What the guest does to itself
 * stays survivable for it: paging stays off, no exec breakpoints, no HLT
 * with interrupts off, string I/O within its RAM.
 */
#include "../guest.h"

#define LAPIC_BASE   0xfee00000u
#define TESTDEV_BASE 0xfe000000u
#define BUF_BASE     0x400000u          /* 64 KiB of scratch RAM for string I/O */

static uint32_t rng;
static int tracing;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint32_t arg_u32(const char *key, uint32_t dflt)
{
    const char *s = cmdline();

    for (; *s; s++) {
        const char *k = key, *p = s;
        while (*k && *p == *k)
            k++, p++;
        if (!*k) {
            uint32_t v = 0;
            while (*p >= '0' && *p <= '9')
                v = v * 10 + (uint32_t)(*p++ - '0');
            return v;
        }
    }
    return dflt;
}

/* MSRs worth hitting: Keel's emulated and passed-through ones, and neighbours. */
static const uint32_t msrs[] = {
    0x10, 0x17, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x1a0, 0x1d9, 0x277, 0x2ff, 0x345,
    0x570, 0x6e0, 0x802, 0x803, 0x808, 0x80b, 0x80f, 0x830, 0x832, 0x838, 0x839, 0x83e, 0x8ff, 0xda0,
    0xc0000080u, 0xc0000081u, 0xc0000082u, 0xc0000084u, 0xc0000100u, 0xc0000101u, 0xc0000102u, 0xc0000103u,
};

static uint32_t pick_msr(void)
{
    uint32_t r = rnd();

    switch (r & 3) {
    case 0:
    case 1: return msrs[(r >> 2) % (sizeof(msrs) / sizeof(msrs[0]))] + ((r >> 16) & 1);
    case 2: return (r >> 2) & 0x1fff;
    default: return rnd();
    }
}

static uint64_t rnd64(void) { return ((uint64_t)rnd() << 32) | rnd(); }

static void op_msr(void)
{
    uint32_t msr = pick_msr();
    uint64_t v;

    if (msr == 0x10 || msr == 0x6e0)        /* IA32_TSC / TSC_DEADLINE: keep time going forwards */
        v = rdtsc() + (rnd() & 0xffff);
    else if ((msr & ~0x1u) == 0xc0000100u)  /* FS/GS base: anything (unused here) */
        v = rnd64();
    else
        v = rnd() & 1 ? rnd64() : rnd();
    if (tracing) {
        puts("FUZZ msr ");
        put_hex(msr);
        puts(" ");
        put_hex((uint32_t)(v >> 32));
        put_hex((uint32_t)v);
        puts("\n");
    }
    if (rnd() & 1) {
        rdmsr_safe(msr, &v);
    } else if (msr != 0x277) {              /* PAT: an uncached guest would crawl */
        wrmsr_safe(msr, v);
    }
}

static void op_cr(void)
{
    uint32_t v = rnd(), cr0;

    fixup_len = 3;                          /* mov %eax, %crN: 0f 22 /r */
    last_vector = -1;
    switch (rnd() % 3) {
    case 0:     /* CR0: PE and ET stay, PG stays off; the rest random (NW without CD: #GP) */
        cr0 = (v & 0x6005000eu) | 0x11u;
        __asm__ volatile("mov %0, %%cr0" :: "a"(cr0) : "memory");
        break;
    case 1:     /* CR4: anything, PAE/PGE/PCIDE included; what the policy refuses #GPs */
        __asm__ volatile("mov %0, %%cr4" :: "a"(v & ~(1u << 17)) : "memory");
        break;
    default:    /* CR3: paging is off, so any value */
        __asm__ volatile("mov %0, %%cr3" :: "a"(v) : "memory");
        break;
    }
    fixup_len = 0;
    /* Back to a known CR0/CR4, so later operations run as expected. */
    __asm__ volatile("mov %0, %%cr0; mov %1, %%cr4" :: "r"(0x11u), "r"(0u) : "memory");
}

static void op_dr(void)
{
    uint32_t v = rnd(), n = rnd() % 6;

    fixup_len = 3;                          /* mov %eax, %drN: 0f 23 /r */
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%db0" :: "a"(v)); break;
    case 1: __asm__ volatile("mov %0, %%db1" :: "a"(v)); break;
    case 2: __asm__ volatile("mov %0, %%db2" :: "a"(v)); break;
    case 3: __asm__ volatile("mov %0, %%db3" :: "a"(v)); break;
    case 4: __asm__ volatile("mov %0, %%db6" :: "a"(v)); break;
    default:
        /* DR7: breakpoints on data only (an exec breakpoint would fault for ever), no GD. */
        for (unsigned i = 0; i < 4; i++)
            if (((v >> (16 + 4 * i)) & 3) == 0)
                v |= 1u << (16 + 4 * i);
        v &= ~(1u << 13);
        __asm__ volatile("mov %0, %%db7" :: "a"(v));
        break;
    }
    fixup_len = 0;
    if (rnd() & 1)
        __asm__ volatile("mov %0, %%db7" :: "r"(0x400u));
}

static void op_cpuid(void)
{
    uint32_t leaf = rnd(), sub = rnd();

    switch (leaf & 3) {
    case 0: leaf = (leaf >> 2) & 0x1f; break;
    case 1: leaf = 0x80000000u | ((leaf >> 2) & 0x1f); break;
    case 2: leaf = 0x40000000u | ((leaf >> 2) & 0xff); break;
    }
    (void)cpuid(leaf, sub & 7 ? sub & 7 : sub);
}

static uint16_t pick_port(void)
{
    uint16_t p = (uint16_t)rnd();

    if (rnd() & 1)
        p = (uint16_t)(0x3f8 + (p & 7) + ((p & 8) ? 0x200 : 0));   /* COM1/COM3 neighbourhood */
    if (p == 0xf4 || p == 0xf5 || p == 0xf6 || p == 0xf7 || p == 0x3f8)
        p = 0x80;                       /* not the exit port, and no console noise */
    return p;
}

static void op_io(void)
{
    uint16_t port = pick_port();
    uint32_t v = rnd(), n = rnd() % 64 + 1;
    /* Within the scratch buffer, often right before a page boundary. */
    uint32_t addr = BUF_BASE + (rnd() & 0xbfff) + (rnd() & 1 ? 4096 - (rnd() & 3) : 0);

    switch (rnd() % 8) {
    case 0: outb(port, (uint8_t)v); break;
    case 1: outw(port, (uint16_t)v); break;
    case 2: outl(port, v); break;
    case 3: (void)inb(port); break;
    case 4: (void)inw(port); break;
    case 5: (void)inl(port); break;
    case 6: __asm__ volatile("cld; rep insw" : "+D"(addr), "+c"(n) : "d"(port) : "memory"); break;
    default: __asm__ volatile("std; rep outsl; cld" : "+S"(addr), "+c"(n) : "d"(port) : "memory"); break;
    }
}

static void op_mmio(void)
{
    uint32_t base = rnd() & 1 ? LAPIC_BASE : TESTDEV_BASE, off = rnd() & 0xfff, v = rnd();
    volatile uint8_t *p = (volatile uint8_t *)(base + off);

    if (base == LAPIC_BASE && (off & 0xff0) == 0x300)
        v &= ~(7u << 8 | 3u << 18) | (1u << 18);    /* ICR: fixed/NMI, to self: no INIT storms */
    /* Plain MOVs (89/8b/88/8a /r, 2 bytes with (%edx)): what the emulator decodes. */
    fixup_len = 2;
    switch (rnd() % 4) {
    case 0: __asm__ volatile("movl %0, (%1)" :: "a"(v), "d"((uintptr_t)p & ~3u) : "memory"); break;
    case 1: __asm__ volatile("movl (%1), %0" : "=a"(v) : "d"(p) : "memory"); break;
    case 2: __asm__ volatile("movb %b0, (%1)" :: "a"(v), "d"(p) : "memory"); break;
    default: __asm__ volatile("movb (%1), %b0" : "+a"(v) : "d"(p) : "memory"); break;
    }
    fixup_len = 0;
}

static void op_hypercall(void)
{
    uint32_t nr = rnd();

    switch (nr & 3) {
    case 0: nr = (nr >> 2) % 20; break;
    case 1: nr = 0x4b00 + (nr >> 2) % 6; break;
    }
    if (nr == 0x4b01)
        return;         /* the test EPT write-protect of a random range: slow (every write faults) */
    (void)vmcall(nr, rnd(), rnd(), rnd());
}

static void op_exception(void)
{
    uint32_t zero = 0, r;

    fixup_len = 2;
    switch (rnd() % 5) {
    case 0: __asm__ volatile("ud2"); break;
    case 1: __asm__ volatile("divl %1" : "=a"(r) : "c"(zero), "a"(1), "d"(0)); break;
    case 2: fixup_len = 0; __asm__ volatile("int3"); break;
    case 3:     /* a single step over an instruction that exits */
        fixup_len = 0;
        __asm__ volatile("pushf; orl $0x100, (%%esp); popf; cpuid; pushf; andl $~0x100, (%%esp); popf"
                         ::: "eax", "ebx", "ecx", "edx", "memory");
        break;
    default:    /* an MSR access that #GPs in the shadow of MOV SS */
        fixup_len = 2;
        __asm__ volatile("mov %%ss, %%ax; mov %%ax, %%ss; rdmsr" :: "c"(0x12345678u) : "eax", "edx");
        break;
    }
    fixup_len = 0;
}

int main(void)
{
    uint32_t seed = arg_u32("seed=", 1), ops = arg_u32("ops=", 20000), trace = arg_u32("trace=", ~0u);

    rng = seed ? seed : 1;
    exc_tolerant = 1;
    puts("FUZZ seed=");
    put_dec(seed);
    puts(" ops=");
    put_dec(ops);
    puts("\n");
    for (uint32_t i = 0; !ops || i < ops; i++) {
        if (i % 2000 == 0) {
            puts("FUZZ op ");
            put_dec(i);
            puts("\n");
        }
        uint32_t kind = rnd() % 8;
        tracing = i >= trace;
        if (tracing) {              /* trace=N: name every operation from the N-th on */
            puts("FUZZ op ");
            put_dec(i);
            puts(" kind ");
            put_dec(kind);
            puts("\n");
        }
        switch (kind) {
        case 0: op_msr(); break;
        case 1: op_cr(); break;
        case 2: op_dr(); break;
        case 3: op_cpuid(); break;
        case 4: op_io(); break;
        case 5: op_mmio(); break;
        case 6: op_hypercall(); break;
        default: op_exception(); break;
        }
    }
    __asm__ volatile("mov %0, %%db7" :: "r"(0x400u));
    puts("FUZZ done: ");
    put_dec(ops);
    puts(" operations\n");
    return report("fuzz");
}

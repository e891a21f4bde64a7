/*
 * keel-bench-mark: dom0's user space marks the end of its boot for `make
 * bench`. It prints the TSC ("KEEL-BENCH-TSC: n"): under QEMU with -icount
 * shift=0 the TSC counts virtual nanoseconds, one per emulated instruction,
 * from power-on. Then a Bochs "magic breakpoint" (xchg %bx,%bx): with
 * magic_break enabled, Bochs stops there and prints its tick count, the
 * emulated instructions from power-on. Either is the same measure for a
 * bare boot and a boot under Keel. Freestanding: no libc in dom0's rootfs.
 */
void _start(void) __attribute__((noreturn, force_align_arg_pointer));

static long sys_write(int fd, const char *buf, unsigned long len)
{
    long rc;
    __asm__ volatile("syscall" : "=a"(rc) : "a"(1), "D"(fd), "S"(buf), "d"(len) : "rcx", "r11", "memory");
    return rc;
}

void _start(void)
{
    static const char tag[] = "KEEL-BENCH-TSC: ";
    char line[48], digits[24];
    unsigned lo, hi, n = 0, len = 0;
    unsigned long long tsc;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    tsc = ((unsigned long long)hi << 32) | lo;
    do {
        digits[n++] = (char)('0' + tsc % 10);
        tsc /= 10;
    } while (tsc);
    for (unsigned i = 0; i < sizeof(tag) - 1; i++)
        line[len++] = tag[i];
    while (n)
        line[len++] = digits[--n];
    line[len++] = '\n';
    sys_write(1, line, len);
    __asm__ volatile("xchg %%bx, %%bx" ::: "memory");
    __asm__ volatile("syscall" :: "a"(60), "D"(0) : "rcx", "r11", "memory");   /* exit(0) */
    for (;;)
        ;
}

/*
 * keel-bench-mark: a Bochs "magic breakpoint" (xchg %bx,%bx) from dom0's user
 * space. With magic_break enabled, Bochs stops there and prints its tick
 * count: the emulated instructions from power-on to this point, the same
 * measure for a bare boot and a boot under Keel. A no-op elsewhere.
 */
void _start(void) __attribute__((noreturn));

void _start(void)
{
    __asm__ volatile("xchg %%bx, %%bx" ::: "memory");
    __asm__ volatile("syscall" :: "a"(60), "D"(0) : "rcx", "r11", "memory");   /* exit(0) */
    for (;;)
        ;
}

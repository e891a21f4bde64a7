/* panic(): a broken hypervisor invariant. Logs, fails a test run, halts. */
#include <stdarg.h>
#include <stdio.h>
#include <keel/arch.h>
#include <keel/console.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/test.h>

void panic(const char *fmt, ...)
{
    char msg[192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    console_force_unlock();
    pr_err("*** PANIC: %s\n", msg);
    test_fail_if_testing("panic");
    arch_halt();
}

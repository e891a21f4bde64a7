/* Host stand-ins for the hypervisor's logging and panic: tests read the log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"

char unit_log[UNIT_LOG_SIZE];
static size_t log_len;
int console_loglvl = 3;             /* debug: tests see every line */

static void vlog(const char *fmt, va_list ap)
{
    int n = vsnprintf(unit_log + log_len, sizeof(unit_log) - log_len, fmt, ap);

    if (n > 0)
        log_len += (size_t)n < sizeof(unit_log) - log_len ? (size_t)n : sizeof(unit_log) - log_len - 1;
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

/* Not rate-limited here: keel/ratelimit.h has its own test (test_sched). */
struct domain;
void gprintk(struct domain *d, int level, const char *fmt, ...)
{
    va_list ap;

    (void)d;
    (void)level;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void unit_log_clear(void)
{
    log_len = 0;
    unit_log[0] = '\0';
}

int unit_log_has(const char *s)
{
    return strstr(unit_log, s) != NULL;
}

void panic(const char *fmt, ...)
{
    (void)fmt;
    fprintf(stderr, "panic() reached in a unit test\n");
    abort();
}

/*
 * Console and log: printk() formats a line, stores it in the log ring with
 * its level, and writes it to the console UART when the level is within
 * loglvl=. Before console_init() lines only go to the ring; console_init()
 * replays them, so nothing printed early (command-line warnings) is lost.
 * newlib's nano printf knows no %ll and no %z: uint64_t and size_t are
 * "unsigned long" on x86-64, so use %lx / %lu with (unsigned long) casts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <drivers/uart.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/conswitch.h>
#include <keel/lib.h>
#include <keel/arch.h>
#include <asm/cpu_ops.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/spinlock.h>

#define LINE_MAX   256
#define PREFIX     "(KEEL) "

int console_loglvl = LOG_INFO;

static struct {
    int enabled;                /* console=none turns it off */
    int port;                   /* 1 = com1, 2 = com2 */
    uint32_t baud[2];
    uint16_t base[2];
    struct uart uart;
    int ready;
} con = { 1, 1, { 115200, 115200 }, { UART_COM1_BASE, UART_COM2_BASE }, { 0, 0, 0 }, 0 };

/* The ring holds records "<level byte><text>\n" back to back. */
static char ring[LOG_RING_SIZE];
static uint64_t ring_pos;        /* total bytes ever written */
static spinlock_t log_lock = SPINLOCK_INIT_LEVEL(LOCK_LOG);   /* ring, ring_pos, the UART */

int console_param(const char *value)
{
    if (!strcmp(value, "com1"))
        con.port = 1;
    else if (!strcmp(value, "com2"))
        con.port = 2;
    else if (!strcmp(value, "none"))
        con.enabled = 0;
    else
        return -EINVAL;
    return 0;
}

/* comN=<baud>[,8n1[,<io-base>]] (Xen's syntax, without the clock and IRQ parts). */
static int com_param(int idx, const char *value)
{
    char buf[64], *f1, *f2;
    uint64_t baud, base = con.base[idx];

    if (strlen(value) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, value);
    f1 = strchr(buf, ',');
    if (f1)
        *f1++ = '\0';
    f2 = f1 ? strchr(f1, ',') : NULL;
    if (f2)
        *f2++ = '\0';
    if (parse_size(buf, &baud, 0) || baud < 50 || baud > 115200)
        return -EINVAL;
    if (f1 && *f1 && strcmp(f1, "8n1"))
        return -EINVAL;
    if (f2 && (parse_size(f2, &base, 0) || base > 0xfff8))
        return -EINVAL;
    con.baud[idx] = (uint32_t)baud;
    con.base[idx] = (uint16_t)base;
    return 0;
}

int console_com1_param(const char *value) { return com_param(0, value); }
int console_com2_param(const char *value) { return com_param(1, value); }

int loglvl_param(const char *value)
{
    static const char *const names[] = { "err", "warning", "info", "debug" };
    uint64_t n;

    for (int i = 0; i < (int)ARRAY_SIZE(names); i++) {
        if (!strcmp(value, names[i])) {
            console_loglvl = i;
            return 0;
        }
    }
    if (!strcmp(value, "all")) {
        console_loglvl = LOG_DEBUG;
        return 0;
    }
    if (parse_size(value, &n, 0) || n > LOG_DEBUG)
        return -EINVAL;
    console_loglvl = (int)n;
    return 0;
}

static void uart_write(const char *s, size_t len)
{
    if (!con.ready)
        return;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            uart_putc(&con.uart, '\r');
        uart_putc(&con.uart, s[i]);
    }
}

void console_write(const char *s, size_t len)
{
    spin_lock(&log_lock);
    uart_write(s, len);
    spin_unlock(&log_lock);
}

/* Warnings and errors say so on the console, so a log can be searched for them. */
static void uart_prefix(int level)
{
    uart_write(PREFIX, sizeof(PREFIX) - 1);
    if (level <= LOG_ERR)
        uart_write("ERROR: ", 7);
    else if (level == LOG_WARN)
        uart_write("WARN: ", 6);
}

static void ring_put(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        ring[(ring_pos + i) % LOG_RING_SIZE] = s[i];
    ring_pos += len;
}

static void vprintk(int level, const char *fmt, va_list ap)
{
    char line[LINE_MAX];
    int n;

    line[0] = (char)('0' + (level < 0 ? 0 : level > 9 ? 9 : level));
    n = vsnprintf(line + 1, sizeof(line) - 1, fmt, ap);
    if (n < 0)
        return;
    n = MIN(n + 1, (int)sizeof(line) - 1);
    if (line[n - 1] != '\n')
        line[n++] = '\n';   /* truncated, or the caller forgot it */
    spin_lock(&log_lock);
    ring_put(line, (size_t)n);
    if (level <= console_loglvl) {
        uart_prefix(level);
        uart_write(line + 1, (size_t)n - 1);
    }
    spin_unlock(&log_lock);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void gprintk(struct domain *d, int level, const char *fmt, ...)
{
    static struct ratelimit all;
    uint64_t now = rdtsc(), window = arch_tsc_khz() * (uint64_t)GPRINTK_WINDOW_MS;
    uint32_t missed = 0, missed_all = 0;
    va_list ap;
    int ok;

    if (level >= LOG_DEBUG && level > console_loglvl)
        return;                         /* a debug line nobody asked for: not even formatted */
    spin_lock(&log_lock);
    ok = ratelimit_ok(&all, now, window, GPRINTK_BURST_ALL, &missed_all);
    if (ok && !ratelimit_ok(&d->log_rl, now, window, GPRINTK_BURST, &missed)) {
        ok = 0;
        all.count--;                    /* not used after all: the domain's own budget said no */
    }
    spin_unlock(&log_lock);
    if (!ok)
        return;
    if (missed_all)
        printk(LOG_WARN, "%u guest-caused log lines suppressed\n", missed_all);
    if (missed)
        printk(level, "d%u: %u log lines suppressed\n", d->id, missed);
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void console_force_unlock(void)
{
    log_lock.owner = log_lock.next;
}

void console_init(void)
{
    int idx = con.port - 1;
    uint64_t start, pos;

    if (!con.enabled)
        return;
    if (uart_init(&con.uart, con.base[idx], con.baud[idx]))
        return;     /* no UART there: the ring still records everything */
    spin_lock(&log_lock);
    con.ready = 1;
    /* Replay what was logged before the console existed. */
    start = ring_pos > LOG_RING_SIZE ? ring_pos - LOG_RING_SIZE : 0;
    for (pos = start; pos < ring_pos;) {
        char lvl = ring[pos % LOG_RING_SIZE];
        uint64_t end = pos + 1;

        while (end < ring_pos && ring[(end - 1) % LOG_RING_SIZE] != '\n')
            end++;
        if (lvl - '0' <= console_loglvl) {
            uart_prefix(lvl - '0');
            for (uint64_t i = pos + 1; i < end; i++)
                uart_write(&ring[i % LOG_RING_SIZE], 1);
        }
        pos = end;
    }
    spin_unlock(&log_lock);
}

uint16_t console_uart_base(void)
{
    return con.ready ? con.uart.base : 0;
}

void console_guest_write(const char *s, size_t len)
{
    /* A guest's own bytes, its own line endings: only the lock is shared with printk. */
    spin_lock(&log_lock);
    for (size_t i = 0; con.ready && i < len; i++)
        uart_putc(&con.uart, s[i]);
    spin_unlock(&log_lock);
}

void console_enable_rx_interrupt(void)
{
    if (con.ready)
        uart_enable_rx_interrupt(&con.uart);
}

/* ---- Input: Ctrl-A three times switches it between Keel and a guest, as in Xen ---- */

static struct {
    void (*fn)(void *opaque, char c);
    void *opaque;
    char name[16];
    struct conswitch sw;
} in;

void console_set_guest_input(void (*fn)(void *opaque, char c), void *opaque, const char *name)
{
    in.opaque = opaque;
    snprintf(in.name, sizeof(in.name), "%s", name);
    in.fn = fn;
    in.sw.to_keel = 0;
    pr_info("*** Serial input to %s (type 'CTRL-a' three times to switch input)\n", in.name);
}

static void debug_key(char c)
{
    switch (c) {
    case 'h':
        pr_info("'h' this help, 'l' the log level, 'm' free memory, 'd' domains, 'q' vCPUs\n");
        break;
    case 'm':
        pr_info("%lu KiB free\n", (unsigned long)(mm_free_bytes() >> 10));
        break;
    case 'l':
        pr_info("loglvl=%d\n", console_loglvl);
        break;
    case 'd':
        domain_print_all();
        break;
    case 'q':
        domain_dump_vcpus();
        break;
    default:
        pr_info("key '%c' (%#x) has no meaning here; 'h' for help\n",
                c >= 0x20 && c < 0x7f ? c : '.', (unsigned)(unsigned char)c);
    }
}

void console_input(char c)
{
    char out[3];
    int switched, n = conswitch_feed(&in.sw, c, out, &switched);

    if (switched && !in.fn)
        in.sw.to_keel = 1;              /* no guest to switch to */
    else if (switched)
        pr_info("*** Serial input to %s (type 'CTRL-a' three times to switch input)\n",
                in.sw.to_keel ? "Keel" : in.name);
    for (int i = 0; i < n; i++) {
        if (in.sw.to_keel || !in.fn)
            debug_key(out[i]);
        else
            in.fn(in.opaque, out[i]);
    }
}

void console_poll_input(void)
{
    int c;

    for (unsigned n = 0; con.ready && n < 64 && (c = uart_getc(&con.uart)) >= 0; n++)
        console_input((char)c);
}

size_t log_ring_read(char *buf, size_t len)
{
    uint64_t avail, start;
    size_t n = 0;

    spin_lock(&log_lock);
    avail = MIN(ring_pos, (uint64_t)LOG_RING_SIZE);
    start = ring_pos - avail;
    if (avail > len)
        start = ring_pos - len;
    for (uint64_t i = start; i < ring_pos; i++)
        buf[n++] = ring[i % LOG_RING_SIZE];
    spin_unlock(&log_lock);
    return n;
}

size_t log_ring_read_from(uint64_t *pos, char *buf, size_t len)
{
    size_t n = 0;

    spin_lock(&log_lock);
    if (*pos + LOG_RING_SIZE < ring_pos)
        *pos = ring_pos - LOG_RING_SIZE;    /* overwritten since: start at the oldest kept */
    while (n < len && *pos < ring_pos)
        buf[n++] = ring[(*pos)++ % LOG_RING_SIZE];
    spin_unlock(&log_lock);
    return n;
}

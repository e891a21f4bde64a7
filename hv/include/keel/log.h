/*
 * Logging: printk() formats into the console (UART) and the in-memory log
 * ring that `kl dmesg` reads later. Levels follow Xen's loglvl= names.
 */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#define LOG_ERR     0
#define LOG_WARN    1
#define LOG_INFO    2
#define LOG_DEBUG   3

extern int console_loglvl;

struct domain;

void printk(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A line a guest can cause (a port nobody claims, an MSR that #GPs, a
 * refused sleep state): at most GPRINTK_BURST per domain and
 * GPRINTK_BURST_ALL for all guests together in each GPRINTK_WINDOW_MS,
 * then "N suppressed", so no guest can keep a CPU on the UART; debug
 * lines cost nothing unless loglvl=debug.
 */
void gprintk(struct domain *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define GPRINTK_WINDOW_MS   5000
#define GPRINTK_BURST       10
#define GPRINTK_BURST_ALL   50

#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
/* Debug lines are neither formatted nor kept unless loglvl=debug: they cost a compare. */
#define pr_debug(...) do { if (__builtin_expect(console_loglvl >= LOG_DEBUG, 0)) printk(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif

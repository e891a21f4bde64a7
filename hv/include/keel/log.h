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

void printk(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

#endif

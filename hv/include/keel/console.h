/* Hypervisor console: UART output and the log ring (hv/console.c). */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H
#include <stddef.h>
#include <stdint.h>

#define LOG_RING_SIZE  (64 * 1024)

extern int console_loglvl;

/* Parse console=, com1=, com2= values (command-line handlers). */
int console_param(const char *value);
int console_com1_param(const char *value);
int console_com2_param(const char *value);
int loglvl_param(const char *value);

/* Bring up the UART chosen on the command line and replay the log ring. */
void console_init(void);

/* Raw output, bypassing levels and the ring (dumps, test verdicts). */
void console_write(const char *s, size_t len);

/* Fatal paths: drop the console lock a crashed CPU may hold, so the dump prints. */
void console_force_unlock(void);

/* Copy the newest log text into @buf (for `kl dmesg` later). Returns bytes. */
size_t log_ring_read(char *buf, size_t len);
#endif

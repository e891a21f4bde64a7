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

/* The console UART's I/O base, or 0 when there is none. */
uint16_t console_uart_base(void);
/* A guest's console bytes, raw, to the same UART (dom0's virtual COM1). */
void console_guest_write(const char *s, size_t len);
/* Let the UART interrupt on received data (its IRQ routed by the caller). */
void console_enable_rx_interrupt(void);
/* Received bytes go to @fn until three Ctrl-As switch them to Keel's debug keys (and back). */
void console_set_guest_input(void (*fn)(void *opaque, char c), void *opaque, const char *name);
/* One received byte through the switch; console_poll_input() drains the UART into it. */
void console_input(char c);
void console_poll_input(void);

/* Copy the newest log text into @buf (for `kl dmesg` later). Returns bytes. */
size_t log_ring_read(char *buf, size_t len);
/* Up to @len bytes of the log from byte *@pos on (moved up to the oldest kept), advancing it. */
size_t log_ring_read_from(uint64_t *pos, char *buf, size_t len);
#endif

/* kl dmesg [-c]: the hypervisor's log, as `xl dmesg` shows Xen's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kl.h"

int cmd_dmesg(int argc, char **argv)
{
    static const char *const level[] = { "ERROR: ", "WARN: ", "", "" };
    int clear = 0, opt, at_line_start = 1;
    struct keel k;
    char *buf;
    int64_t n;

    while ((opt = kl_getopt(argc, argv, "c", NULL, "dmesg", 0)) != -1)
        clear = 1;                      /* the only option kl_getopt lets through */
    if (optind != argc)
        return kl_usage("dmesg");
    if (kl_open(&k))
        return 1;
    buf = malloc(KEEL_CONSOLE_READ_MAX);
    if (!buf)
        return kl_error("dmesg", "out of memory");
    n = keel_console_read(&k, buf, KEEL_CONSOLE_READ_MAX, clear);
    keel_close(&k);
    if (n < 0) {
        free(buf);
        return kl_error("dmesg", "reading the hypervisor's log failed: %s", strerror((int)-n));
    }
    /* Each line starts with its level digit: shown as Keel's console shows it. */
    for (int64_t i = 0; i < n; i++) {
        char ch = buf[i];
        if (at_line_start) {
            fputs("(KEEL) ", stdout);
            at_line_start = 0;
            if (ch >= '0' && ch <= '3') {
                fputs(level[ch - '0'], stdout);
                continue;
            }
        }
        putchar(ch);
        at_line_start = ch == '\n';
    }
    free(buf);
    return 0;
}

/* kl uptime [-s] [DOMAIN...]: how long each domain has existed, as `xl uptime` prints it. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "kl.h"

static int short_mode;
static char now_hms[16];

static int row(struct keel *k, const struct keel_domain_info *d)
{
    char name[KEEL_NAME_MAX + 1];

    (void)k;
    snprintf(name, sizeof(name), "%.*s", KEEL_NAME_MAX, d->name);
    kl_fmt_uptime_row(stdout, name, d->domid, (unsigned long)(d->uptime_ns / 1000000000u), short_mode, now_hms);
    return 0;
}

int cmd_uptime(int argc, char **argv)
{
    time_t now = time(NULL);
    struct tm tm;
    struct keel k;
    int rc, opt;

    while ((opt = kl_getopt(argc, argv, "s", NULL, "uptime", 0)) != -1)
        short_mode = 1;
    if (!localtime_r(&now, &tm) || !strftime(now_hms, sizeof(now_hms), "%H:%M:%S", &tm))
        now_hms[0] = '\0';
    if (kl_open(&k))
        return 1;
    if (!short_mode)
        kl_fmt_uptime_header(stdout);
    rc = kl_each_domain(&k, "uptime", argc - optind, argv + optind, row);
    keel_close(&k);
    return rc;
}

/* kl uptime [DOMAIN...]: how long each domain has existed, as `xl uptime` prints it. */
#include <stdio.h>
#include "kl.h"

static int row(struct keel *k, const struct keel_domain_info *d)
{
    uint64_t s = d->uptime_ns / 1000000000u;

    printf("%-32.*s %5u ", KEEL_NAME_MAX, d->name, d->domid);
    if (s >= 86400)
        printf("%llu days, ", (unsigned long long)(s / 86400));
    printf("%2llu:%02llu:%02llu\n", (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60),
           (unsigned long long)(s % 60));
    return 0;
}

int cmd_uptime(int argc, char **argv)
{
    struct keel k;
    int rc;

    if (argc > 1 && argv[1][0] == '-')
        return kl_usage("uptime");
    if (kl_open(&k))
        return 1;
    printf("%-32s %5s %s\n", "Name", "ID", "Uptime");
    rc = kl_each_domain(&k, "uptime", argc - 1, argv + 1, row);
    keel_close(&k);
    return rc;
}

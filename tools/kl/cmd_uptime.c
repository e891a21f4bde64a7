/* kl uptime [DOMAIN...]: how long each domain has existed, as `xl uptime` prints it. */
#include <stdio.h>
#include <string.h>
#include "kl.h"

static void row(const struct keel_domain_info *d)
{
    uint64_t s = d->uptime_ns / 1000000000u;

    printf("%-32.*s %5u ", KEEL_NAME_MAX, d->name, d->domid);
    if (s >= 86400)
        printf("%llu days, ", (unsigned long long)(s / 86400));
    printf("%2llu:%02llu:%02llu\n", (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60),
           (unsigned long long)(s % 60));
}

int cmd_uptime(int argc, char **argv)
{
    struct keel_domain_info info[KEEL_DOMAIN_LIST_MAX];
    uint32_t first = 0;
    struct keel k;
    int64_t n;
    int rc = 0;

    if (kl_open(&k))
        return 1;
    printf("%-32s %5s %s\n", "Name", "ID", "Uptime");
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            int64_t id = kl_domain_arg(&k, "uptime", argv[i]);
            if (id < 0 || keel_domain_info(&k, (uint32_t)id, info))
                rc = 1;
            else
                row(info);
        }
        keel_close(&k);
        return rc;
    }
    while ((n = keel_domain_list(&k, first, info, KEEL_DOMAIN_LIST_MAX)) > 0) {
        for (int64_t i = 0; i < n; i++)
            row(&info[i]);
        first = info[n - 1].domid + 1;
    }
    keel_close(&k);
    return n < 0 ? kl_error("uptime", "asking the hypervisor failed: %s", strerror((int)-n)) : 0;
}

/* kl list [-l] [DOMAIN...]: domains in `xl list`'s columns; -l: every field, one per line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kl.h"

static const char *const shutdown_names[] = { "poweroff", "reboot", "suspend", "crash" };

static int print_long(struct keel *k, const struct keel_domain_info *d)
{
    char st[7];

    printf("name            : %.*s\n", KEEL_NAME_MAX, d->name);
    printf("domid           : %u\n", d->domid);
    printf("uuid            : ");
    for (int i = 0; i < 16; i++)
        printf("%02x%s", d->uuid[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
    printf("\nstate           : %s\n", kl_state_string(d, st));
    printf("memory          : %llu MiB\n", (unsigned long long)(d->mem_bytes >> 20));
    if (d->max_mem_bytes == ~0ull)
        printf("maxmem          : unlimited\n");
    else
        printf("maxmem          : %llu MiB\n", (unsigned long long)(d->max_mem_bytes >> 20));
    printf("vcpus           : %u (%u blocked)\n", d->nr_vcpus, d->nr_blocked_vcpus);
    printf("cpu_time        : %.1f s\n", (double)d->cpu_time_ns / 1e9);
    printf("uptime          : %.1f s\n", (double)d->uptime_ns / 1e9);
    if (d->state == KEEL_DOMSTATE_SHUTDOWN)
        printf("shutdown_reason : %s\n", shutdown_names[d->shutdown_reason & 3]);
    if (d->state == KEEL_DOMSTATE_CRASHED)
        printf("crash_reason    : %.*s\n", (int)sizeof(d->crash_reason), d->crash_reason);
    printf("\n");
    return 0;
}

static int print_row(struct keel *k, const struct keel_domain_info *d)
{
    char st[7];

    printf("%-40.*s %5u %5llu %5u     %s %8.1f\n", KEEL_NAME_MAX, d->name, d->domid,
           (unsigned long long)(d->mem_bytes >> 20), d->nr_vcpus, kl_state_string(d, st),
           (double)d->cpu_time_ns / 1e9);
    return 0;
}

int cmd_list(int argc, char **argv)
{
    int opt, lng = 0, rc;
    struct keel k;

    while ((opt = getopt(argc, argv, "l")) != -1) {
        if (opt != 'l')
            return kl_usage("list");
        lng = 1;
    }
    if (kl_open(&k))
        return 1;
    if (!lng)
        printf("%-40s %5s %5s %5s %10s %8s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)");
    rc = kl_each_domain(&k, "list", argc - optind, argv + optind, lng ? print_long : print_row);
    keel_close(&k);
    return rc;
}

/* kl vcpu-list [DOMAIN...]: every vCPU, in `xl vcpu-list`'s columns. */
#include <stdio.h>
#include <string.h>
#include "kl.h"

static int print_domain(struct keel *k, const struct keel_domain_info *d)
{
    struct keel_vcpu_info v[KEEL_MAX_VCPUS];
    int64_t n = keel_vcpu_list(k, d->domid, v, KEEL_MAX_VCPUS);

    if (n == -KEEL_ENOENT)
        return 0;                               /* gone meanwhile */
    if (n < 0)
        return kl_error("vcpu-list", "domain %u: %s", d->domid, strerror((int)-n));
    for (int64_t i = 0; i < n; i++) {
        char state[4] = "---";
        if (v[i].flags & KEEL_VCPUINFO_RUNNING)
            state[0] = 'r';
        if (v[i].flags & KEEL_VCPUINFO_BLOCKED)
            state[1] = 'b';
        if (d->flags & KEEL_DOMINFO_PAUSED)
            state[2] = 'p';
        printf("%-32.*s %5u %5u %5u   %-3s %9.1f  %u / all\n", KEEL_NAME_MAX, d->name, d->domid, v[i].vcpu,
               v[i].cpu, state, (double)v[i].cpu_time_ns / 1e9, v[i].cpu);
    }
    return 0;
}

int cmd_vcpu_list(int argc, char **argv)
{
    struct keel k;
    int rc;

    if (argc > 1 && argv[1][0] == '-')
        return kl_usage("vcpu-list");
    if (kl_open(&k))
        return 1;
    printf("%-32s %5s %5s %5s %5s %9s  %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
           "Affinity (Hard / Soft)");
    rc = kl_each_domain(&k, "vcpu-list", argc - 1, argv + 1, print_domain);
    keel_close(&k);
    return rc;
}

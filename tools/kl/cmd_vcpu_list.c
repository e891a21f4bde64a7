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
    struct keel_domain_info info[KEEL_DOMAIN_LIST_MAX];
    uint32_t first = 0;
    struct keel k;
    int64_t n;
    int rc = 0;

    if (argc > 1 && argv[1][0] == '-')
        return kl_usage("vcpu-list");
    if (kl_open(&k))
        return 1;
    printf("%-32s %5s %5s %5s %5s %9s  %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
           "Affinity (Hard / Soft)");
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            int64_t id = kl_domain_arg(&k, "vcpu-list", argv[i]);
            if (id < 0 || keel_domain_info(&k, (uint32_t)id, info) || print_domain(&k, info))
                rc = 1;
        }
        keel_close(&k);
        return rc;
    }
    while ((n = keel_domain_list(&k, first, info, KEEL_DOMAIN_LIST_MAX)) > 0) {
        for (int64_t i = 0; i < n; i++)
            rc |= print_domain(&k, &info[i]);
        first = info[n - 1].domid + 1;
    }
    keel_close(&k);
    if (n < 0)
        return kl_error("vcpu-list", "asking the hypervisor failed: %s", strerror((int)-n));
    return rc;
}

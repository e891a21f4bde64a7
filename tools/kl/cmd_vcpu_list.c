/* kl vcpu-list [DOMAIN...]: every vCPU, in `xl vcpu-list`'s columns. */
#include <stdio.h>
#include <string.h>
#include "kl.h"

static unsigned host_cpus;

static int print_domain(struct keel *k, const struct keel_domain_info *d)
{
    struct keel_vcpu_info v[KEEL_MAX_VCPUS];
    int64_t n = keel_vcpu_list(k, d->domid, v, KEEL_MAX_VCPUS);

    if (n == -KEEL_ENOENT)
        return 0;                               /* gone meanwhile */
    if (n < 0)
        return kl_error("vcpu-list", "domain %u: %s", d->domid, strerror((int)-n));
    for (int64_t i = 0; i < n; i++)
        kl_fmt_vcpu_row(stdout, d, &v[i], host_cpus);
    return 0;
}

int cmd_vcpu_list(int argc, char **argv)
{
    struct keel_physinfo pi;
    struct keel k;
    int rc = kl_operands(&argc, &argv, "vcpu-list", 0, 1 << 20);

    if (rc)
        return rc;
    if (kl_open(&k))
        return 1;
    if (keel_physinfo(&k, &pi) < 0) {
        keel_close(&k);
        return kl_error("vcpu-list", "asking the hypervisor for its CPUs failed");
    }
    host_cpus = pi.max_cpu_id + 1;
    kl_fmt_vcpu_header(stdout);
    rc = kl_each_domain(&k, "vcpu-list", argc - 1, argv + 1, print_domain);
    keel_close(&k);
    return rc;
}

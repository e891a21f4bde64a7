/* kl info: the host as Keel sees it, in `xl info`'s "key : value" form. */
#include <stdio.h>
#include <string.h>
#include "kl.h"

int cmd_info(int argc, char **argv)
{
    struct keel_physinfo pi;
    struct keel k;
    int64_t rc;

    if (argc != 1)
        return kl_usage("info");
    if (kl_open(&k))
        return 1;
    rc = keel_physinfo(&k, &pi);
    keel_close(&k);
    if (rc < 0)
        return kl_error("info", "asking the hypervisor failed: %s", strerror((int)-rc));
    pi.version[sizeof(pi.version) - 1] = '\0';
    printf("%-20s: %u\n", "nr_cpus", pi.nr_cpus);
    printf("%-20s: %llu\n", "cpu_mhz", (unsigned long long)(pi.tsc_khz / 1000));
    printf("%-20s: %llu\n", "free_memory", (unsigned long long)(pi.free_bytes >> 20));
    printf("%-20s: %s\n", "keel_version", pi.version);
    printf("%-20s: %#x\n", "keel_abi_version", pi.abi_version);
    return 0;
}

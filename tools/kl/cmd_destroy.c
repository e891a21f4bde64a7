/*
 * kl destroy [-f] DOMAIN: stop it now, free its memory (nothing of it is
 * kept). Domain 0 is refused as xl refuses it; with -f the hypervisor
 * refuses it (Keel has no disaggregated toolstack to take over).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "kl.h"

int cmd_destroy(int argc, char **argv)
{
    int opt, force = 0;
    struct keel k;
    int64_t id, rc;

    while ((opt = kl_getopt(argc, argv, "f", NULL, "destroy", 1)) != -1)
        force = 1;
    if (argc - optind != 1)
        return kl_usage("destroy");
    id = kl_open_domain(&k, "destroy", argv[optind]);
    if (id < 0)
        return 1;
    if (id == 0 && !force) {
        keel_close(&k);
        fprintf(stderr, "Not destroying domain 0; use -f to force.\n"
                        "This can only be done when using a disaggregated hardware domain and toolstack.\n\n");
        return 1;
    }
    rc = keel_domain_destroy(&k, (uint32_t)id);
    keel_close(&k);
    if (rc == -KEEL_EPERM)
        return kl_error("destroy", "domain %lld is the hardware domain: Keel does not destroy it", (long long)id);
    if (rc < 0)
        return kl_error("destroy", "domain %lld: %s", (long long)id, strerror((int)-rc));
    return 0;
}

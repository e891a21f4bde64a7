/* kl destroy DOMAIN: stop it now, free its memory (nothing of it is kept). */
#include <stdio.h>
#include <string.h>
#include "kl.h"

int cmd_destroy(int argc, char **argv)
{
    struct keel k;
    int64_t id, rc;

    if (argc != 2)
        return kl_usage("destroy");
    if (kl_open(&k))
        return 1;
    id = kl_domain_arg(&k, "destroy", argv[1]);
    rc = id < 0 ? 0 : keel_domain_destroy(&k, (uint32_t)id);
    keel_close(&k);
    if (id < 0)
        return 1;
    if (rc == -KEEL_EPERM)
        return kl_error("destroy", "domain %lld is dom0: it cannot be destroyed", (long long)id);
    if (rc < 0)
        return kl_error("destroy", "domain %lld: %s", (long long)id, strerror((int)-rc));
    return 0;
}

/* kl pause DOMAIN: its vCPUs stop until `kl unpause` (counted, as in Xen). */
#include <stdio.h>
#include <string.h>
#include "kl.h"

int kl_domain_op(int argc, char **argv, int64_t (*op)(struct keel *, uint32_t))
{
    struct keel k;
    int64_t id, rc;
    int bad = kl_operands(&argc, &argv, argv[0], 1, 1);

    if (bad)
        return bad;
    id = kl_open_domain(&k, argv[0], argv[1]);
    if (id < 0)
        return 1;
    rc = op(&k, (uint32_t)id);
    keel_close(&k);
    if (rc == -KEEL_EPERM)
        return kl_error(argv[0], "domain %lld is dom0: not allowed", (long long)id);
    if (rc == -KEEL_EINVAL && op == keel_domain_unpause)
        return kl_error(argv[0], "domain %lld is not paused", (long long)id);
    if (rc < 0)
        return kl_error(argv[0], "domain %lld: %s", (long long)id, strerror((int)-rc));
    return 0;
}

int cmd_pause(int argc, char **argv)
{
    return kl_domain_op(argc, argv, keel_domain_pause);
}

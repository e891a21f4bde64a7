/* kl dump-core DOMAIN FILE: the domain's memory as an ELF core file (as xl dump-core). */
#include <stdio.h>
#include <string.h>
#include "kl.h"

int cmd_dump_core(int argc, char **argv)
{
    struct keel k;
    int64_t id;
    int rc;

    int bad = kl_operands(&argc, &argv, "dump-core", 2, 2);

    if (bad)
        return bad;
    id = kl_open_domain(&k, "dump-core", argv[1]);
    if (id < 0)
        return 1;
    rc = kl_dump_core(&k, (uint32_t)id, argv[2]);
    keel_close(&k);
    if (rc == -KEEL_EPERM)
        return kl_error("dump-core", "domain %lld is dom0: not this way", (long long)id);
    if (rc)
        return kl_error("dump-core", "domain %lld to %s: %s", (long long)id, argv[2], strerror(-rc));
    return 0;
}

/* kl domid NAME / kl domname ID: one from the other, as xl prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kl.h"

int cmd_domid(int argc, char **argv)
{
    struct keel k;
    int64_t id;

    int bad = kl_operands(&argc, &argv, "domid", 1, 1);

    if (bad)
        return bad;
    id = kl_open_domain(&k, "domid", argv[1]);
    if (id < 0)
        return 1;
    keel_close(&k);
    printf("%lld\n", (long long)id);
    return 0;
}

int cmd_domname(int argc, char **argv)
{
    struct keel_domain_info d;
    struct keel k;
    char *end;
    unsigned long id;
    int64_t rc;

    int bad = kl_operands(&argc, &argv, "domname", 1, 1);

    if (bad)
        return bad;
    id = strtoul(argv[1], &end, 10);
    if (!*argv[1] || *end || id > 0xffffffffu)
        return kl_error("domname", "'%s' is not a domain id", argv[1]);
    if (kl_open(&k))
        return 1;
    rc = keel_domain_info(&k, (uint32_t)id, &d);
    keel_close(&k);
    if (rc == -KEEL_ENOENT)
        return kl_error("domname", "there is no domain %lu", id);
    if (rc < 0)
        return kl_error("domname", "asking the hypervisor failed: %s", strerror((int)-rc));
    printf("%.*s\n", KEEL_NAME_MAX, d.name);
    return 0;
}

/* kl mem-max DOMAIN MEM: the most memory a domain may have, as `xl mem-max` sets it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kl.h"

#define MEM_UNIT    (2ull << 20)        /* KEEL_DOMAIN_MEM_ALIGN */

/* xl's sizes: a number and t, g, m (the default), k or b. Bytes, or 0 if malformed. */
static uint64_t parse_size(const char *s)
{
    unsigned long long n;
    unsigned shift;
    char *end;

    if (!isdigit((unsigned char)*s))
        return 0;
    errno = 0;
    n = strtoull(s, &end, 10);
    if (errno || (end[0] && end[1]))
        return 0;
    switch (tolower((unsigned char)*end)) {
    case 't': shift = 40; break;
    case 'g': shift = 30; break;
    case '\0':
    case 'm': shift = 20; break;
    case 'k': shift = 10; break;
    case 'b': shift = 0; break;
    default: return 0;
    }
    if (n > (KEEL_DOMAIN_MAXMEM_LIMIT >> shift))
        return 0;
    return (uint64_t)n << shift;
}

int cmd_mem_max(int argc, char **argv)
{
    uint64_t bytes;
    struct keel k;
    int64_t id, rc;

    int bad = kl_operands(&argc, &argv, "mem-max", 2, 2);

    if (bad)
        return bad;
    bytes = parse_size(argv[2]);
    if (!bytes)
        return kl_error("mem-max", "'%s' is not a size up to 1t (a number, then t, g, m, k or b; m if none)",
                        argv[2]);
    bytes = (bytes + MEM_UNIT - 1) & ~(MEM_UNIT - 1);   /* RAM comes in 2 MiB units */
    id = kl_open_domain(&k, "mem-max", argv[1]);
    if (id < 0)
        return 1;
    rc = keel_domain_set_maxmem(&k, (uint32_t)id, bytes);
    keel_close(&k);
    if (rc == -KEEL_EPERM)
        return kl_error("mem-max", "domain %lld is dom0: its memory is fixed at boot", (long long)id);
    if (rc == -KEEL_EINVAL)
        return kl_error("mem-max", "%llu MiB: a domain's maximum is 16 MiB to 1 TiB",
                        (unsigned long long)(bytes >> 20));
    if (rc < 0)
        return kl_error("mem-max", "domain %lld: %s", (long long)id, strerror((int)-rc));
    return 0;
}

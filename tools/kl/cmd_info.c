/* kl info [FIELD]: the host as Keel sees it, in `xl info`'s lines; FIELD: that value alone. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "kl.h"

int cmd_info(int argc, char **argv)
{
    struct kl_host h;
    struct utsname u;
    struct keel k;
    int64_t rc;
    int bad = kl_operands(&argc, &argv, "info", 0, 1);

    if (bad)
        return bad;
    if (kl_open(&k))
        return 1;
    memset(&h, 0, sizeof(h));
    rc = keel_physinfo(&k, &h.pi);
    keel_close(&k);
    if (rc < 0)
        return kl_error("info", "asking the hypervisor failed: %s", strerror((int)-rc));
    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
    h.host = u.nodename;
    h.release = u.release;
    h.version = u.version;
    h.machine = u.machine;
    kl_fmt_info(stdout, &h, argc > 1 ? argv[1] : NULL);
    return 0;
}

/*
 * Hotplug, as xl's commands of the same names: disks and vifs added to and
 * removed from a running domU. kl asks the domain's keel-dm on its control
 * socket (keel-dm/control.c); the guest sees a PCI slot change (ACPI PCI
 * hotplug). A detach returns once the guest has let go of the device.
 *   kl block-attach DOMAIN DISKSPEC       (xl-disk-configuration(5))
 *   kl block-detach DOMAIN VDEV
 *   kl block-list DOMAIN...
 *   kl network-attach DOMAIN [VIFSPEC]    (xl-network-configuration(5); none: the default network)
 *   kl network-detach DOMAIN DEVID|MAC
 *   kl network-list DOMAIN...
 * Only a domain created with a device model (disk= or vif=) has one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "kl.h"
#include "kl_devspec.h"
#include "conf.h"

#define CONTROL_FMT "/run/keel/d%u-dm.sock"         /* keel-dm/dm.h's KEEL_DM_CONTROL_FMT */
#define DETACH_WAIT_S 30                            /* keel-dm gives the guest 20 s */

/* Send @req to @domid's keel-dm; its answer lines into @out (NUL-terminated): 0, or 1 after saying why. */
static int ask(const char *cmd, uint32_t domid, const char *req, char *out, size_t outlen)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    struct timeval tv = { DETACH_WAIT_S, 0 };
    char line[640];
    size_t got = 0;
    ssize_t n;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(a.sun_path, sizeof(a.sun_path), CONTROL_FMT, domid);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
        int e = errno;
        if (s >= 0)
            close(s);
        return kl_error(cmd, "domain %u has no device model to ask (%s: %s): create it with a disk= or vif= entry",
                        domid, a.sun_path, strerror(e));
    }
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    snprintf(line, sizeof(line), "%s\n", req);
    if (send(s, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
        close(s);
        return kl_error(cmd, "the device model did not take the request");
    }
    while (got < outlen - 1 && (n = recv(s, out + got, outlen - 1 - got, 0)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(s);
    if (!got)
        return kl_error(cmd, "no answer from the device model (see /var/log/keel/)");
    return 0;
}

/* The last line: "ok ..." is success; "error: ..." is said. */
static int done(const char *cmd, const char *ans, int quiet_ok)
{
    const char *last = ans, *p;

    for (p = ans; *p; p++)
        if (*p == '\n' && p[1])
            last = p + 1;
    if (!strncmp(last, "ok", 2)) {
        if (!quiet_ok)
            fputs(last + (last[2] == ' ' ? 3 : 2), stdout);
        return 0;
    }
    fprintf(stderr, "kl: %s: %s", cmd, !strncmp(last, "error: ", 7) ? last + 7 : last);
    return 1;
}

/* @cmd's request "@cmd @arg" to the keel-dm of domain @dom: 0, or 1 after saying why. */
static int simple(const char *cmd, const char *dom, const char *arg)
{
    struct keel k;
    char req[600], ans[4096];
    int64_t id;
    int rc;

    id = kl_open_domain(&k, cmd, dom);
    if (id < 0)
        return 1;
    keel_close(&k);
    snprintf(req, sizeof(req), "%s %s", cmd, arg);
    rc = ask(cmd, (uint32_t)id, req, ans, sizeof(ans));
    return rc ? rc : done(cmd, ans, 1);
}

int cmd_block_attach(int argc, char **argv)
{
    struct kl_disk d;
    char err[200];
    size_t where;

    int bad = kl_operands(&argc, &argv, "block-attach", 2, 2);

    if (bad)
        return bad;
    if (kl_disk_parse(argv[2], &d, err, sizeof(err), &where)) {
        fprintf(stderr, "kl: block-attach: '%s': %s (at column %zu)\n", argv[2], err, where + 1);
        return 1;
    }
    return simple("block-attach", argv[1], argv[2]);
}

int cmd_block_detach(int argc, char **argv)
{
    int bad = kl_operands(&argc, &argv, "block-detach", 2, 2);

    if (bad)
        return bad;
    return simple("block-detach", argv[1], argv[2]);
}

int cmd_network_attach(int argc, char **argv)
{
    struct kl_vif v;
    struct keel k;
    char err[200], ans[4096], name[KEEL_NAME_MAX + 1] = "", spec[256];
    struct kl_conf conf;
    size_t where;
    int64_t id;
    unsigned devid = 0;
    int bad = kl_operands(&argc, &argv, "network-attach", 1, 2);

    if (bad)
        return bad;
    if (snprintf(spec, sizeof(spec), "%s", argc > 2 ? argv[2] : "") >= (int)sizeof(spec))
        return kl_error("network-attach", "the vif specification is longer than %zu characters", sizeof(spec) - 1);
    if (kl_vif_parse(spec, &v, err, sizeof(err), &where)) {
        fprintf(stderr, "kl: network-attach: '%s': %s (at column %zu)\n", spec, err, where + 1);
        return 1;
    }
    if (kl_conf_load(&conf))
        return 1;
    if (kl_conf_vif_bridge(&conf, spec, sizeof(spec), &v))
        return kl_error("network-attach", "no room to add bridge=%s", conf.default_bridge);
    id = kl_open_domain(&k, "network-attach", argv[1]);
    if (id < 0)
        return 1;
    {
        struct keel_domain_info info;
        if (!keel_domain_info(&k, (uint32_t)id, &info))
            snprintf(name, sizeof(name), "%.*s", (int)sizeof(info.name), info.name);
    }
    keel_close(&k);
    /* The devid keel-dm will give it: one past the highest it has (for ip='s lease and the default MAC). */
    if (ask("network-attach", (uint32_t)id, "list", ans, sizeof(ans)))
        return 1;
    for (char *l = ans; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        unsigned slot;
        int idx;
        char kind[16];
        if (sscanf(l, "%u %15s %d", &slot, kind, &idx) == 3 && !strcmp(kind, "vif") && idx >= (int)devid)
            devid = (unsigned)idx + 1;
    }
    if (kl_net_setup("network-attach", name, &v, 1, devid))
        return 1;
    return simple("network-attach", argv[1], spec);
}

int cmd_network_detach(int argc, char **argv)
{
    int bad = kl_operands(&argc, &argv, "network-detach", 2, 2);

    if (bad)
        return bad;
    return simple("network-detach", argv[1], argv[2]);
}

/* xl's block-list / network-list: one line per device, under a header. */
static int list(const char *cmd, int argc, char **argv, const char *kind)
{
    int rc = kl_operands(&argc, &argv, cmd, 1, 1 << 20);

    if (rc)
        return rc;
    printf("%-6s %-5s %s\n", !strcmp(kind, "disk") ? "Vdev" : "Idx", "Slot", "Spec");
    for (int i = 1; i < argc; i++) {
        struct keel k;
        char ans[8192];
        int64_t id = kl_open_domain(&k, cmd, argv[i]);
        if (id < 0) {
            rc = 1;
            continue;
        }
        keel_close(&k);
        if (ask(cmd, (uint32_t)id, "list", ans, sizeof(ans))) {
            rc = 1;
            continue;
        }
        for (char *l = strtok(ans, "\n"); l; l = strtok(NULL, "\n")) {
            unsigned slot;
            int idx, off = 0;
            char k2[16];
            if (sscanf(l, "%u %15s %d %n", &slot, k2, &idx, &off) != 3 || strcmp(k2, kind))
                continue;
            if (!strcmp(kind, "disk")) {
                char vdev[8];
                if (idx < 0 || kl_vdev_name((unsigned)idx, vdev, sizeof(vdev)))
                    snprintf(vdev, sizeof(vdev), "?");
                printf("%-6s %-5u %s\n", vdev, slot, l + off);
            } else {
                printf("%-6d %-5u %s\n", idx, slot, l + off);
            }
        }
    }
    return rc;
}

int cmd_block_list(int argc, char **argv)
{
    return list("block-list", argc, argv, "disk");
}

int cmd_network_list(int argc, char **argv)
{
    return list("network-list", argc, argv, "vif");
}

/*
 * kl shutdown [-a] [-w] [-F] DOMAIN: press a domain's ACPI power button
 * (the guest powers itself off, if it handles the button; -F says so as
 * xl's fallback does); -w waits until it has stopped, -a does it to every
 * domU. kl reboot -F DOMAIN: reset it now, as its reset button would (the
 * toolstack then applies on_reboot). Without -F, reboot says what xl says
 * of an HVM guest without PV drivers: Keel's guests have no PV control
 * channel, so there is no graceful reboot from outside.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kl.h"

#define WAIT_POLL_MS 200

/* Until every domain in @ids has stopped or gone. */
static void wait_for(struct keel *k, int64_t *ids, int n)
{
    static const char *const reasons[] = { "poweroff", "reboot", "suspend", "crash" };
    int left = n;

    printf("Waiting for %d domains\n", n);
    fflush(stdout);
    while (left) {
        nanosleep(&(struct timespec){ 0, WAIT_POLL_MS * 1000000L }, NULL);
        for (int i = 0; i < n; i++) {
            struct keel_domain_info d;
            if (ids[i] < 0)
                continue;
            if (keel_domain_info(k, (uint32_t)ids[i], &d))
                printf("Domain %lld has been shut down and is gone\n", (long long)ids[i]);
            else if (d.state == KEEL_DOMSTATE_SHUTDOWN)
                printf("Domain %lld has been shut down, reason code %u (%s)\n", (long long)ids[i],
                       d.shutdown_reason, reasons[d.shutdown_reason & 3]);
            else if (d.state == KEEL_DOMSTATE_CRASHED)
                printf("Domain %lld crashed\n", (long long)ids[i]);
            else
                continue;
            ids[i] = -1;
            left--;
        }
    }
}

static int request(struct keel *k, const char *cmd, int64_t id, uint32_t reason)
{
    int64_t rc = keel_domain_shutdown(k, (uint32_t)id, reason);

    if (rc == -KEEL_EPERM)
        return kl_error(cmd, "domain %lld is dom0: shut it down from inside", (long long)id);
    if (rc == -KEEL_EBUSY)
        return kl_error(cmd, "domain %lld has stopped already", (long long)id);
    if (rc < 0)
        return kl_error(cmd, "domain %lld: %s", (long long)id, strerror((int)-rc));
    return 0;
}

/* xl's main_shutdown_or_reboot(): -a, -w (wait until each domain is gone; given twice, the same), -F. */
static int shutdown_or_reboot(int reboot, int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", 0, 0, 'a' }, { "wait", 0, 0, 'w' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *cmd = reboot ? "reboot" : "shutdown";
    struct keel_domain_info info[KEEL_DOMAIN_LIST_MAX];
    int64_t ids[KEEL_DOMAIN_LIST_MAX];
    int opt, all = 0, wait = 0, fallback = 0, n = 0, rc = 0;
    struct keel k;

    while ((opt = kl_getopt(argc, argv, "awF", opts, cmd, 0)) != -1) {
        if (opt == 'a')
            all = 1;
        else if (opt == 'w')
            wait = 1;
        else
            fallback = 1;
    }
    if (optind >= argc && !all) {
        fprintf(stderr, "You must specify -a or a domain id.\n\n");
        return 1;
    }
    if (kl_open(&k))
        return 1;
    if (all) {
        int64_t got = keel_domain_list(&k, 0, info, KEEL_DOMAIN_LIST_MAX);
        for (int64_t i = 0; i < got; i++)
            if (!(info[i].flags & KEEL_DOMINFO_PRIVILEGED) && info[i].state == KEEL_DOMSTATE_RUNNING)
                ids[n++] = info[i].domid;
    } else if ((ids[0] = kl_domain_arg(&k, cmd, argv[optind])) >= 0) {
        n = 1;
    } else {
        rc = 1;
    }
    for (int i = 0; i < n; i++) {
        fprintf(stderr, "%s domain %lld\n", reboot ? "Rebooting" : "Shutting down", (long long)ids[i]);
        if (reboot && !fallback) {
            /* Keel's domUs have no PV control channel: xl's words for such an HVM guest. */
            fprintf(stderr, "PV control interface not available: external graceful reboot not possible.\n"
                            "Use \"-F\" to fallback to ACPI reset event.\n");
            fprintf(stderr, "reboot failed (rc=%d)\n", -1);
            ids[i] = -1;
            rc = 1;
            continue;
        }
        if (fallback)
            fprintf(stderr, "PV control interface not available: sending ACPI %s event.\n",
                    reboot ? "reset" : "power button");
        if (request(&k, cmd, ids[i], reboot ? KEEL_SHUTDOWN_REBOOT : KEEL_SHUTDOWN_POWEROFF)) {
            ids[i] = -1;
            rc = 1;
        }
    }
    if (wait && !rc && n)
        wait_for(&k, ids, n);
    keel_close(&k);
    return rc;
}

int cmd_shutdown(int argc, char **argv)
{
    return shutdown_or_reboot(0, argc, argv);
}

int cmd_reboot(int argc, char **argv)
{
    return shutdown_or_reboot(1, argc, argv);
}

/* kl: Keel's xl-like toolstack. `kl help` lists the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kl.h"

const struct kl_command kl_commands[] = {
    { "help", cmd_help, "[COMMAND]", "show the commands, or how to use one" },
    { "info", cmd_info, "", "the host as Keel sees it: CPUs, free memory (MiB), versions" },
    { "create", cmd_create, "[-c] [-p] [-e] CONFIG [KEY=VALUE...]",
      "create a domain from an xl.cfg-style file (-c: attach its console, -p: leave it paused, "
      "-e: unknown keys are warnings)" },
    { "list", cmd_list, "[-l] [DOMAIN...]", "list domains (-l: every detail)" },
    { "console", cmd_console, "[-t pv|serial] DOMAIN",
      "attach to a domain's console: COM1, or with -t pv its virtio console (hvc0); Ctrl-] detaches" },
    { "destroy", cmd_destroy, "DOMAIN", "stop a domain at once and free everything it had" },
    { "shutdown", cmd_shutdown, "[-w] [-a] [DOMAIN]",
      "press a domain's ACPI power button (-w: wait until it stops, -a: every domU)" },
    { "reboot", cmd_reboot, "-F DOMAIN", "reset a domain now (it has no way to be asked to reboot)" },
    { "pause", cmd_pause, "DOMAIN", "stop running a domain's vCPUs until it is unpaused" },
    { "unpause", cmd_unpause, "DOMAIN", "run a paused domain again" },
    { "domid", cmd_domid, "NAME", "the id of the domain with that name" },
    { "domname", cmd_domname, "ID", "the name of the domain with that id" },
    { "vcpu-list", cmd_vcpu_list, "[DOMAIN...]", "every vCPU: its CPU, state and CPU time" },
    { "dump-core", cmd_dump_core, "DOMAIN FILE", "write the domain's memory to FILE as an ELF core" },
    { "vcpu-context", cmd_vcpu_context, "DOMAIN [VCPU]", "a vCPU's registers (as xenctx shows them)" },
    { "mem-max", cmd_mem_max, "DOMAIN MEM", "the most memory a domain may have (MEM: number and t, g, m, k, b)" },
    { "block-attach", cmd_block_attach, "DOMAIN DISKSPEC", "add a disk to a running domain (xl's disk syntax)" },
    { "block-detach", cmd_block_detach, "DOMAIN VDEV", "take a disk away, once the guest lets go of it" },
    { "block-list", cmd_block_list, "DOMAIN...", "a domain's disks" },
    { "network-attach", cmd_network_attach, "DOMAIN [VIFSPEC]", "add a NIC to a running domain (xl's vif syntax)" },
    { "network-detach", cmd_network_detach, "DOMAIN DEVID|MAC", "take a NIC away, once the guest lets go of it" },
    { "network-list", cmd_network_list, "DOMAIN...", "a domain's NICs" },
    { "uptime", cmd_uptime, "[DOMAIN...]", "how long domains have existed" },
    { "dmesg", cmd_dmesg, "[-c]", "read the hypervisor's log (-c: clear it after reading)" },
    { NULL, NULL, NULL, NULL },
};

int kl_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "kl: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int kl_usage(const char *cmd)
{
    for (const struct kl_command *c = kl_commands; c->name; c++)
        if (!strcmp(c->name, cmd)) {
            fprintf(stderr, "Usage: kl %s %s\n\n%s.\n", c->name, c->usage, c->summary);
            return 2;
        }
    return 2;
}

int64_t kl_domain_arg(struct keel *k, const char *cmd, const char *arg)
{
    int64_t id = keel_domain_lookup(k, arg);

    if (id == -ENOENT)
        kl_error(cmd, "there is no domain '%s' (`kl list` shows them)", arg);
    else if (id < 0)
        kl_error(cmd, "looking up '%s' failed: %s", arg, strerror((int)-id));
    return id < 0 ? -1 : id;
}

int64_t kl_open_domain(struct keel *k, const char *cmd, const char *arg)
{
    int64_t id;

    if (kl_open(k))
        return -1;
    id = kl_domain_arg(k, cmd, arg);
    if (id < 0)
        keel_close(k);
    return id;
}

int kl_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int kl_each_domain(struct keel *k, const char *cmd, int n, char **names,
                   int (*fn)(struct keel *k, const struct keel_domain_info *d))
{
    struct keel_domain_info info[KEEL_DOMAIN_LIST_MAX];
    uint32_t first = 0;
    int64_t got;
    int rc = 0;

    for (int i = 0; i < n; i++) {
        int64_t id = kl_domain_arg(k, cmd, names[i]);
        if (id < 0 || keel_domain_info(k, (uint32_t)id, info) || fn(k, info))
            rc = 1;
    }
    if (n)
        return rc;
    while ((got = keel_domain_list(k, first, info, KEEL_DOMAIN_LIST_MAX)) > 0) {
        for (int64_t i = 0; i < got; i++)
            rc |= fn(k, &info[i]);
        first = info[got - 1].domid + 1;
    }
    if (got < 0)
        return kl_error(cmd, "asking the hypervisor failed: %s", strerror((int)-got));
    return rc;
}

const char *kl_state_string(const struct keel_domain_info *d, char buf[7])
{
    int running = d->state == KEEL_DOMSTATE_RUNNING;

    snprintf(buf, 7, "%c%c%c%c%c-",
             running && !(d->flags & KEEL_DOMINFO_PAUSED) && d->nr_blocked_vcpus < d->nr_vcpus ? 'r' : '-',
             running && d->nr_blocked_vcpus == d->nr_vcpus ? 'b' : '-',
             d->flags & KEEL_DOMINFO_PAUSED ? 'p' : '-',
             d->state == KEEL_DOMSTATE_SHUTDOWN ? 's' : '-',
             d->state == KEEL_DOMSTATE_CRASHED ? 'c' : '-');
    return buf;
}

int kl_open(struct keel *k)
{
    int rc = keel_open(k);

    if (!rc)
        return 0;
    if (rc == -ENOENT)
        fprintf(stderr, "kl: /dev/keel does not exist: is this dom0 under Keel, with keel.ko loaded (modprobe keel)?\n");
    else if (rc == -EACCES || rc == -EPERM)
        fprintf(stderr, "kl: /dev/keel: permission denied: kl must run as root\n");
    else if (rc == -EPROTO)
        fprintf(stderr, "kl: the hypervisor speaks another ABI version than this kl (%#x): update one of them\n",
                KEEL_ABI_VERSION);
    else
        fprintf(stderr, "kl: cannot open /dev/keel: %s\n", strerror(-rc));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(1, (char *[]){ "help", NULL });
        return 2;
    }
    for (const struct kl_command *c = kl_commands; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "kl: '%s' is not a command; `kl help` lists them\n", argv[1]);
    return 2;
}

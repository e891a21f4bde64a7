/* kl: Keel's xl-like toolstack. `kl help` lists the commands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kl.h"

const struct kl_command kl_commands[] = {
    { "help", cmd_help, "[COMMAND]", "Show the commands, or how to use one", NULL },
    { "info", cmd_info, "[FIELD]", "Get information about the Keel host (FIELD: that field's value only)", NULL },
    { "create", cmd_create, "<ConfigFile> [options] [vars]", "Create a domain from config file <filename>",
      "-c                      Connect to the console after the domain is created.\n"
      "-e                      Do not wait in the background for the death of the domain.\n"
      "-F                      Run in foreground until death of the domain.\n"
      "-f FILE, --defconfig=FILE\n"
      "                        Use the given configuration file.\n"
      "-h                      Print this help.\n"
      "-n, --dryrun            Dry run - prints the resulting configuration.\n"
      "-p                      Leave the domain paused after it is created.\n"
      "-q, --quiet             Quiet.\n"
      "-V, --vncviewer         Connect to the VNC display (Keel has none: a warning).\n"
      "-L, --lenient           Unknown settings are warnings, not errors." },
    { "list", cmd_list, "[options] [Domain]", "List information about all/some domains",
      "-l, --long              Output all VM details (JSON)\n"
      "-v, --verbose           Prints out UUIDs and security context" },
    { "console", cmd_console, "[options] <Domain>",
      "Attach to domain's console (Ctrl-] detaches)",
      "-t <type>       console type, serial (COM1, the default) or pv (virtio console, hvc0)\n"
      "-n <number>     console number (0 only)" },
    { "destroy", cmd_destroy, "[options] <Domain>", "Terminate a domain immediately",
      "-f                      Permit destroying domain 0 (Keel refuses it all the same)." },
    { "shutdown", cmd_shutdown, "[options] <-a|Domain>", "Issue a shutdown signal to a domain (its ACPI power button)",
      "-a, --all               Shutdown all guest domains.\n"
      "-h                      Print this help.\n"
      "-F                      Fallback to ACPI power event (what Keel always sends).\n"
      "-w, --wait              Wait for guest(s) to shutdown." },
    { "reboot", cmd_reboot, "[options] <-a|Domain>", "Issue a reboot signal to a domain",
      "-a, --all               Reboot all guest domains.\n"
      "-h                      Print this help.\n"
      "-F                      Fallback to ACPI reset event (a reset now: Keel's guests\n"
      "                        have no PV control interface, so -F is needed).\n"
      "-w, --wait              Wait for guest(s) to reboot." },
    { "pause", cmd_pause, "<Domain>", "Pause execution of a domain", NULL },
    { "unpause", cmd_unpause, "<Domain>", "Unpause a paused domain", NULL },
    { "domid", cmd_domid, "<DomainName>", "Convert a domain name to domain id", NULL },
    { "domname", cmd_domname, "<DomainId>", "Convert a domain id to domain name", NULL },
    { "vcpu-list", cmd_vcpu_list, "[Domain, ...]", "List the VCPUs for all/some domains", NULL },
    { "dump-core", cmd_dump_core, "<Domain> <filename>", "Core dump a domain (an ELF core of its memory)", NULL },
    { "vcpu-context", cmd_vcpu_context, "<Domain> [VCPU]", "Print a vCPU's registers (as xenctx shows them)", NULL },
    { "mem-max", cmd_mem_max, "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>",
      "Set the maximum amount reservation for a domain", NULL },
    { "block-attach", cmd_block_attach, "<Domain> <disk-spec-component(s)>...",
      "Create a new virtual block device (xl's disk syntax)", NULL },
    { "block-detach", cmd_block_detach, "<Domain> <DevId>",
      "Destroy a domain's virtual block device, once the guest lets go of it", NULL },
    { "block-list", cmd_block_list, "<Domain(s)>", "List virtual block devices for a domain", NULL },
    { "network-attach", cmd_network_attach, "<Domain> [vif-spec]",
      "Create a new virtual network device (xl's vif syntax)", NULL },
    { "network-detach", cmd_network_detach, "<Domain> <DevId|mac>",
      "Destroy a domain's virtual network device, once the guest lets go of it", NULL },
    { "network-list", cmd_network_list, "<Domain(s)>", "List virtual network interfaces for a domain", NULL },
    { "uptime", cmd_uptime, "[-s] [Domain]", "Print uptime for all/some domains",
      "-s                      Short form: the time of day, uptime and domain on one line." },
    { "dmesg", cmd_dmesg, "[-c]", "Read and/or clear the hypervisor's dmesg buffer",
      "  -c                        Clear dmesg buffer as well as printing it" },
    { NULL, NULL, NULL, NULL, NULL },
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

static const struct kl_command *lookup(const char *name)
{
    for (const struct kl_command *c = kl_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

void kl_help(const char *cmd)
{
    const struct kl_command *c = cmd && strcmp(cmd, "help") ? lookup(cmd) : NULL;

    if (!cmd || !strcmp(cmd, "help")) {
        printf("Usage kl <subcommand> [args]\n\nkl full list of subcommands:\n\n");
        for (c = kl_commands; c->name; c++) {
            printf(" %-19s ", c->name);
            if (strlen(c->name) > 19)
                printf("\n %-19s ", "");
            printf("%s\n", c->summary);
        }
    } else if (c) {
        printf("Usage: kl %s %s\n\n%s.\n\n", c->name, c->usage, c->summary);
        if (c->options)
            printf("Options:\n\n%s\n", c->options);
    } else {
        printf("command \"%s\" not implemented\n", cmd);
    }
}

int kl_usage(const char *cmd)
{
    kl_help(cmd);
    return 1;
}

int kl_getopt(int argc, char **argv, const char *optstring, const struct option *longopts, const char *cmd,
              int reqargs)
{
    static const struct option help_only[] = { { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, optstring, longopts ? longopts : help_only, NULL)) == '?') {
        if (optopt == 'h') {
            kl_help(cmd);
            exit(0);
        }
        if (optopt)
            fprintf(stderr, "option `%c' not supported.\n", optopt);
        else
            fprintf(stderr, "option `%s' not supported.\n", argv[optind - 1]);
        exit(2);
    }
    if (opt == 'h') {
        kl_help(cmd);
        exit(0);
    }
    if (opt != -1)
        return opt;
    if (argc - optind < reqargs) {
        fprintf(stderr, "'kl %s' requires at least %d argument%s.\n\n", cmd, reqargs, reqargs > 1 ? "s" : "");
        kl_help(cmd);
        exit(2);
    }
    return -1;
}

int kl_operands(int *argc, char ***argv, const char *cmd, int min, int max)
{
    while (kl_getopt(*argc, *argv, "", NULL, cmd, min) != -1)
        ;
    *argv += optind - 1;
    *argc -= optind - 1;
    (*argv)[0] = (char *)cmd;
    optind = 1;
    return *argc - 1 > max ? kl_usage(cmd) : 0;
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
    const struct kl_command *c;

    if (argc < 2) {
        kl_help(NULL);
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        kl_help(NULL);
        return 0;
    }
    c = lookup(argv[1]);
    if (!c) {
        fprintf(stderr, "command not implemented\n");
        return 1;
    }
    return c->run(argc - 1, argv + 1);
}

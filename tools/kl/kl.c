/* kl: Keel's xl-like toolstack. `kl help` lists the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kl.h"

const struct kl_command kl_commands[] = {
    { "help", cmd_help, "[COMMAND]", "show the commands, or how to use one" },
    { "info", cmd_info, "", "the host as Keel sees it: CPUs, free memory (MiB), versions" },
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

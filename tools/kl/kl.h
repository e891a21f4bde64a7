/* kl: the command table and what subcommands share. */
#ifndef KL_H
#define KL_H
#include "libkeel.h"

struct kl_command {
    const char *name;
    int (*run)(int argc, char **argv);      /* argv[0] is the subcommand */
    const char *usage;                      /* after "kl NAME " */
    const char *summary;
};

extern const struct kl_command kl_commands[];
/* Open /dev/keel or say why not (exit status 1 for the caller). */
int kl_open(struct keel *k);
/* "kl: NAME: message" on stderr; returns 1 (the exit status of a failed command). */
int kl_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kl_usage(const char *cmd);

int cmd_help(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_info(int argc, char **argv);
#endif

/* kl: the command table and what subcommands share. */
#ifndef KL_H
#define KL_H
#include "libkeel.h"
#include "format.h"

#ifndef KL_LIBEXEC
#define KL_LIBEXEC "/usr/lib/keel"  /* keel-dm and keel-network (make install's LIBEXECDIR) */
#endif

struct kl_command {
    const char *name;
    int (*run)(int argc, char **argv);      /* argv[0] is the subcommand */
    const char *usage;                      /* after "kl NAME " */
    const char *summary;
    const char *options;                    /* its "Options:" section (xl's cmd_option), or NULL */
};

extern const struct kl_command kl_commands[];
struct option;
/*
 * getopt_long() for subcommand @cmd, as xl's def_getopt(): -h or --help
 * prints the command's help and exits 0; an option it does not take
 * prints "option `x' not supported." and exits 2; at the end, fewer than
 * @reqargs operands print "'kl CMD' requires at least N argument(s)."
 * with the help and exit 2. Returns the option, or -1 after the last.
 */
int kl_getopt(int argc, char **argv, const char *optstring, const struct option *longopts, const char *cmd,
              int reqargs);
/*
 * A command without options: kl_getopt(), then *@argv shifted so that
 * (*argv)[1] is the first operand. 0, or the exit status (kl_usage) when
 * there are more than @max operands.
 */
int kl_operands(int *argc, char ***argv, const char *cmd, int min, int max);
/* "Usage: kl CMD ..." with its summary and options, on stdout (xl's help()). */
void kl_help(const char *cmd);
/* Open /dev/keel or say why not (exit status 1 for the caller). */
int kl_open(struct keel *k);
/* "kl: NAME: message" on stderr; returns 1 (the exit status of a failed command). */
int kl_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wrong operands: the command's help, and 1 (as xl's commands return after help()). */
int kl_usage(const char *cmd);
/* The domain a command-line argument names (name or id): its id, or -1 after saying why. */
int64_t kl_domain_arg(struct keel *k, const char *cmd, const char *arg);
/* kl_open() then kl_domain_arg(): the id with @k open, or -1 after saying why and with nothing open. */
int64_t kl_open_domain(struct keel *k, const char *cmd, const char *arg);
/* All of @len bytes to @fd (retrying short writes and EINTR): 0, or -errno. */
int kl_write_all(int fd, const void *buf, size_t len);
/*
 * @fn for each domain @names (@n of them: names or ids) lists, or for every
 * domain in id order when @n is 0. The exit status: 1 if a name was not
 * found, the list failed or @fn returned non-zero for one.
 */
int kl_each_domain(struct keel *k, const char *cmd, int n, char **names,
                   int (*fn)(struct keel *k, const struct keel_domain_info *d));
/* A whole file in memory (malloc'd): 0, or -errno. */
int kl_read_file(const char *path, uint8_t **data, size_t *len);
/*
 * The same for a kernel, gunzipped if it is gzip'd: 0, -errno, -EINVAL
 * (corrupt), -EFBIG (more than @max bytes, file or inflated).
 */
int kl_read_kernel(const char *path, size_t max, uint8_t **data, size_t *len);
/* Look the domain in argv[1] up and apply @op to it (pause, unpause): the exit status. */
int kl_domain_op(int argc, char **argv, int64_t (*op)(struct keel *, uint32_t));
/* Attach the terminal to a domU's console until Ctrl-] or the domain goes: the exit status. */
int kl_console_attach(struct keel *k, uint32_t domid);
/* The domain's memory as an ELF core at @path (paused meanwhile): 0 or -errno. */
int kl_dump_core(struct keel *k, uint32_t domid, const char *path);
/*
 * Where kl create keeps each domain's configuration text (file, then
 * overrides) for `kl list -l`: KL_CONFIG_DIR/dDOMID.cfg, gone with the domain.
 */
#define KL_CONFIG_DIR "/run/keel"

int cmd_help(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_domid(int argc, char **argv);
int cmd_domname(int argc, char **argv);
int cmd_uptime(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_vcpu_list(int argc, char **argv);
int cmd_vcpu_context(int argc, char **argv);
int cmd_dump_core(int argc, char **argv);
int cmd_mem_max(int argc, char **argv);
int cmd_block_attach(int argc, char **argv);
int cmd_block_detach(int argc, char **argv);
int cmd_block_list(int argc, char **argv);
int cmd_network_attach(int argc, char **argv);
int cmd_network_detach(int argc, char **argv);
int cmd_network_list(int argc, char **argv);
struct kl_vif;
/*
 * What vifs @vifs (devids from @first_devid) of domain @name need before
 * keel-dm plugs them: the default network made if one asks for it, ip= as
 * a fixed lease; errors name command @cmd. 0, or -1 after saying why (net.c).
 */
int kl_net_setup(const char *cmd, const char *name, const struct kl_vif *vifs, unsigned nr, unsigned first_devid);
#endif

/*
 * Domain configuration files in xl.cfg syntax (xl.cfg(5)): KEY = VALUE
 * settings, one per line or separated by ';', '#' comments; a VALUE is a
 * "string" or 'string', a number, or a [ list, of, strings ] that may span
 * lines. Parsing is pure (no files, no allocation) and host-tested: every
 * byte of a config file is hostile input.
 */
#ifndef KL_CONFIG_H
#define KL_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include <public/keel.h>
#include "kl_devspec.h"

#define KL_NAME_MAX     32          /* with the NUL, as the hypervisor keeps it */
#define KL_PATH_MAX     256
#define KL_CMDLINE_MAX  1024
#define KL_LIST_MAX     8
#define KL_MAX_VCPUS    KEEL_MAX_VCPUS     /* the hypervisor's limit, said by the parser */
#define KL_MAX_MEMORY_MB (KEEL_DOMU_MEM_MAX >> 20)   /* the domU platform's RAM, below its device hole */

enum kl_action {                    /* on_poweroff / on_reboot / on_crash */
    KL_ACTION_UNSET, KL_ACTION_DESTROY, KL_ACTION_RESTART, KL_ACTION_PRESERVE,
    KL_ACTION_COREDUMP_DESTROY, KL_ACTION_COREDUMP_RESTART,
};

struct kl_config {
    char name[KL_NAME_MAX];
    char type[8];                   /* "pvh" (PVH entry if the kernel has one) or "hvm" (64-bit entry) */
    uint64_t memory_mb, maxmem_mb;
    unsigned vcpus, maxvcpus;
    char kernel[KL_PATH_MAX], ramdisk[KL_PATH_MAX];
    char cmdline[KL_CMDLINE_MAX], root[KL_CMDLINE_MAX], extra[KL_CMDLINE_MAX];
    enum kl_action on_poweroff, on_reboot, on_crash;
    unsigned nr_disks, nr_vifs;
    char disks[KL_LIST_MAX][KL_PATH_MAX];
    char vifs[KL_LIST_MAX][KL_PATH_MAX];
    struct kl_disk disk[KL_LIST_MAX];   /* disks[], parsed (kl_devspec.h) */
    struct kl_vif vif[KL_LIST_MAX];
    unsigned warnings;              /* settings ignored: xl's that Keel lacks, or unknown ones under lax mode */
};

void kl_config_init(struct kl_config *c);
/*
 * Parse @len bytes of @text (named @file in messages) into @c; later
 * settings replace earlier ones, so `kl create cfg key=value` parses the
 * overrides after the file. As xl: a number may be given as a string
 * ("512"), 0x... is hexadecimal and a leading 0 octal, and KEY += VALUE
 * appends to a list or string. A setting xl knows but Keel does not
 * support yet is a warning; any other unknown key is an error, or with
 * @lax a warning. Warnings are counted, and appended to @err as
 * "file:line:column: warning: ..." lines. Returns 0, or -1 with
 * "file:line:column: message" appended to @err.
 */
int kl_config_parse(struct kl_config *c, const char *text, size_t len, const char *file, int lax,
                    char *err, size_t errlen);
/* Defaults and cross-checks after all sources: 0, or -1 with a message in @err. */
int kl_config_finish(struct kl_config *c, char *err, size_t errlen);
/* The kernel command line the guest gets (cmdline, else "root=ROOT EXTRA"). */
const char *kl_config_cmdline(const struct kl_config *c, char *buf, size_t len);
const char *kl_action_name(enum kl_action a);
#endif

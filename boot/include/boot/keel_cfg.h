/*
 * keel.cfg, read by the UEFI loader from its own directory on the ESP:
 *
 *     # comment
 *     hypervisor=keel.elf console=com1 loglvl=info
 *     module=vmlinuz console=ttyS0
 *     module=initrd.img
 *
 * One "key=value" per line; the first word of a value is a path relative
 * to the loader's directory, the rest its command line (as GRUB's
 * multiboot2/module2 lines). Written without libc: it runs in the loader.
 */
#ifndef BOOT_KEEL_CFG_H
#define BOOT_KEEL_CFG_H
#include <stddef.h>
#include <boot/boot_info.h>

#define KEEL_CFG_PATH_MAX  128

struct keel_cfg_item {
    char path[KEEL_CFG_PATH_MAX];
    char args[BOOT_MOD_CMDLINE_MAX];
};

struct keel_cfg {
    struct keel_cfg_item hypervisor;
    char hv_args[BOOT_CMDLINE_MAX];
    unsigned nr_modules;
    struct keel_cfg_item modules[BOOT_MODULES_MAX];
};

/*
 * Parse @len bytes of @text. Returns 0, or the 1-based line number of the
 * first error with a message in @err (the config is then unusable).
 */
int keel_cfg_parse(const char *text, size_t len, struct keel_cfg *cfg, char *err, size_t errlen);
#endif

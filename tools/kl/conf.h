/*
 * /etc/keel/keel.conf: the toolstack's defaults, as xl.conf(5) is xl's.
 * KEY = VALUE lines ('#' comments; VALUE a "string", 'string' or a bare
 * word): vif.default.bridge, dump_dir, autoballoon, output_format.
 * Parsing is pure and host-tested.
 */
#ifndef KL_CONF_H
#define KL_CONF_H
#include <stddef.h>

#define KL_CONF_FILE "/etc/keel/keel.conf"

struct kl_conf {
    char default_bridge[16];        /* vifs without bridge=: this bridge ("": Keel's default network) */
    char dump_dir[256];             /* coredump-* actions write NAME.core here */
};

void kl_conf_defaults(struct kl_conf *c);
/*
 * Parse @len bytes of @text (@file in messages) over @c. A bad line is an
 * error ("file:line: message" in @err, -1); a key kl does not know is a
 * warning appended to @err (the file may be shared with newer tools).
 */
int kl_conf_parse(struct kl_conf *c, const char *text, size_t len, const char *file, char *err, size_t errlen);
struct kl_vif;
/*
 * A vif without bridge= joins vif.default.bridge when keel.conf names one
 * (instead of the default network): the spec @spec (@size bytes) and the
 * parsed @v both say so. 0, or -1 if the spec would not fit.
 */
int kl_conf_vif_bridge(const struct kl_conf *c, char *spec, size_t size, struct kl_vif *v);
/* Defaults, then KL_CONF_FILE (KEEL_CONF overrides) if it exists: 0, or -1 after saying why on stderr. */
int kl_conf_load(struct kl_conf *c);
#endif

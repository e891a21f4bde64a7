/*
 * kl's output in xl's formats, column for column (tools/xl/xl_info.c,
 * xl_vcpu.c, xl_utils.c of Xen): pure functions onto a FILE, held against
 * fixtures in tests/unit/test_kl_format.c. Scripts written for xl parse
 * these.
 */
#ifndef KL_FORMAT_H
#define KL_FORMAT_H
#include <stdint.h>
#include <stdio.h>
#include <public/keel.h>

#define KL_MAX_HOST_CPUS 256        /* the largest host kl prints affinity maps for */

struct kl_config;

/* `xl list`: the header, then a row per domain; @verbose (-v) adds UUID, reason code and security label. */
void kl_fmt_list_header(FILE *f, int verbose);
void kl_fmt_list_row(FILE *f, const struct keel_domain_info *d, int verbose);
/*
 * xl's six state letters: r running, b blocked, p paused, s shut down,
 * then the shutdown reason ('-' poweroff, r reboot, s suspend, c crash,
 * w watchdog) and d dying. A domain Keel stopped (crashed) is shut down
 * with reason crash, as libxl reports it.
 */
const char *kl_state_string(const struct keel_domain_info *d, char buf[7]);

/* `xl vcpu-list`; @nr_cpus: the host's CPUs (max_cpu_id + 1), for the affinity maps. */
void kl_fmt_vcpu_header(FILE *f);
void kl_fmt_vcpu_row(FILE *f, const struct keel_domain_info *d, const struct keel_vcpu_info *v, unsigned nr_cpus);
/* xl's print_bitmap(): "all", "none", or ranges "0-3,6". */
void kl_fmt_bitmap(FILE *f, const uint8_t *map, unsigned bits);

/* What `kl info` prints: uname's fields and the hypervisor's. */
struct kl_host {
    const char *host, *release, *version, *machine;
    struct keel_physinfo pi;
};
/*
 * `xl info`: "name<padding to 23> : value" lines in xl's order, then
 * Keel's own fields. With @field, only the value of each line whose name
 * starts with it (xl's maybe_printf). Returns how many lines were printed.
 */
int kl_fmt_info(FILE *f, const struct kl_host *h, const char *field);

/* xl's uptime_to_string(): "H:MM:SS", "1 day,  H:MM:SS", "N days, ..."; @short_mode drops the seconds. */
const char *kl_fmt_uptime(char *buf, size_t len, unsigned long secs, int short_mode);
void kl_fmt_uptime_header(FILE *f);
/* A row; with @short_mode, @now_hms is the time of day ("HH:MM:SS") xl's -s starts with. */
void kl_fmt_uptime_row(FILE *f, const char *name, uint32_t domid, unsigned long secs, int short_mode,
                       const char *now_hms);

/*
 * `xl list -l`: [{"domid": N, "config": {...}}, ...] as libxl's JSON
 * (yajl, beautified, four spaces). @cfg may be NULL (a domain whose
 * configuration kl did not keep, dom0): then what the hypervisor knows.
 */
void kl_fmt_json_begin(FILE *f);
/* The "config" object alone (`kl create -n`). */
void kl_fmt_config_json(FILE *f, const struct keel_domain_info *d, const struct kl_config *cfg);
void kl_fmt_json_domain(FILE *f, const struct keel_domain_info *d, const struct kl_config *cfg, int first);
void kl_fmt_json_end(FILE *f, int any);
#endif

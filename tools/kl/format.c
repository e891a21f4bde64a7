/* kl's output in xl's formats (format.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "kl_config.h"

static const char reason_letters[] = "-rscwS";         /* libxl_shutdown_reason, as xl_info.c */

const char *kl_state_string(const struct keel_domain_info *d, char buf[7])
{
    int running = d->state == KEEL_DOMSTATE_RUNNING, paused = !!(d->flags & KEEL_DOMINFO_PAUSED);
    int shut = !running;
    unsigned reason = d->state == KEEL_DOMSTATE_CRASHED ? KEEL_SHUTDOWN_CRASH : d->shutdown_reason;

    snprintf(buf, 7, "%c%c%c%c%c%c",
             running && !paused && d->nr_blocked_vcpus < d->nr_vcpus ? 'r' : '-',
             running && d->nr_blocked_vcpus == d->nr_vcpus ? 'b' : '-',
             paused ? 'p' : '-',
             shut ? 's' : '-',
             !shut ? '-' : reason < sizeof(reason_letters) - 1 ? reason_letters[reason] : '?',
             '-');
    return buf;
}

static void uuid_string(const uint8_t u[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;

    for (int i = 0; i < 16; i++) {
        *p++ = hex[u[i] >> 4];
        *p++ = hex[u[i] & 15];
        if (i == 3 || i == 5 || i == 7 || i == 9)
            *p++ = '-';
    }
    *p = '\0';
}

void kl_fmt_list_header(FILE *f, int verbose)
{
    fprintf(f, "Name                                        ID   Mem VCPUs\tState\tTime(s)");
    if (verbose)
        fprintf(f, "   UUID                            Reason-Code\tSecurity Label");
    fprintf(f, "\n");
}

void kl_fmt_list_row(FILE *f, const struct keel_domain_info *d, int verbose)
{
    char st[7], uuid[37];

    fprintf(f, "%-40.*s %5u %5lu %5u     %s  %8.1f", KEEL_NAME_MAX, d->name, d->domid,
            (unsigned long)(d->mem_bytes >> 20), d->nr_vcpus, kl_state_string(d, st),
            (float)d->cpu_time_ns / 1e9);
    if (verbose) {
        uuid_string(d->uuid, uuid);
        fprintf(f, " %s", uuid);
        if (d->state != KEEL_DOMSTATE_RUNNING)
            fprintf(f, " %8x", d->state == KEEL_DOMSTATE_CRASHED ? KEEL_SHUTDOWN_CRASH : d->shutdown_reason);
        else
            fprintf(f, " %8s", "-");
        fprintf(f, " %16s", "-");
    }
    fputc('\n', f);
}

void kl_fmt_bitmap(FILE *f, const uint8_t *map, unsigned bits)
{
    int state = 0;
    unsigned firstset = 0, i;

    for (i = 0; i < bits; i++) {
        int set = map[i / 8] >> (i % 8) & 1;
        if ((state == 0 || state == 2) && set) {
            firstset = i;
            state++;
        } else if ((state == 1 || state == 3) && !set) {
            fprintf(f, "%s%u", state > 1 ? "," : "", firstset);
            if (i - 1 > firstset)
                fprintf(f, "-%u", i - 1);
            state = 2;
        }
    }
    if (state == 0)
        fprintf(f, "none");
    else if (state == 1 && firstset == 0)
        fprintf(f, "all");
    else if (state == 1 || state == 3) {
        fprintf(f, "%s%u", state > 1 ? "," : "", firstset);
        if (i - 1 > firstset)
            fprintf(f, "-%u", i - 1);
    }
}

void kl_fmt_vcpu_header(FILE *f)
{
    fprintf(f, "%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
            "Affinity (Hard / Soft)");
}

void kl_fmt_vcpu_row(FILE *f, const struct keel_domain_info *d, const struct keel_vcpu_info *v, unsigned nr_cpus)
{
    uint8_t hard[KL_MAX_HOST_CPUS / 8 + 1] = { 0 }, soft[sizeof(hard)];

    if (nr_cpus > KL_MAX_HOST_CPUS)
        nr_cpus = KL_MAX_HOST_CPUS;
    fprintf(f, "%-32.*s %5u %5u", KEEL_NAME_MAX, d->name, d->domid, v->vcpu);
    if (v->flags & KEEL_VCPUINFO_OFFLINE)
        fprintf(f, "%5c %3c%cp ", '-', '-', '-');
    else
        fprintf(f, "%5u %3c%c- ", v->cpu, v->flags & KEEL_VCPUINFO_RUNNING ? 'r' : '-',
                v->flags & KEEL_VCPUINFO_BLOCKED ? 'b' : '-');
    fprintf(f, "%9.1f  ", (float)v->cpu_time_ns / 1e9);
    /* Hard affinity: the CPU Keel placed the vCPU on (it does not migrate); soft: any. */
    if (v->cpu < nr_cpus)
        hard[v->cpu / 8] |= (uint8_t)(1u << (v->cpu % 8));
    memset(soft, 0xff, sizeof(soft));
    kl_fmt_bitmap(f, hard, nr_cpus);
    fprintf(f, " / ");
    kl_fmt_bitmap(f, soft, nr_cpus);
    fputc('\n', f);
}

/* xl's maybe_printf(): the whole line, or with @field the value of a line whose name starts with it. */
static int line(FILE *f, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int line(FILE *f, const char *field, const char *fmt, ...)
{
    char buf[512];
    const char *s;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!field) {
        fputs(buf, f);
        return 1;
    }
    if (!strncmp(buf, field, strlen(field)) && (s = strchr(buf, ':')) && s[1] == ' ') {
        fputs(s + 2, f);
        return 1;
    }
    return 0;
}

int kl_fmt_info(FILE *f, const struct kl_host *h, const char *field)
{
    const struct keel_physinfo *pi = &h->pi;
    const uint32_t *c = pi->hw_caps;
    char version[sizeof(pi->version) + 1];
    int n = 0;

    snprintf(version, sizeof(version), "%.*s", (int)sizeof(pi->version), pi->version);
    n += line(f, field, "host                   : %s\n", h->host);
    n += line(f, field, "release                : %s\n", h->release);
    n += line(f, field, "version                : %s\n", h->version);
    n += line(f, field, "machine                : %s\n", h->machine);
    n += line(f, field, "nr_cpus                : %u\n", pi->nr_cpus);
    n += line(f, field, "max_cpu_id             : %u\n", pi->max_cpu_id);
    n += line(f, field, "nr_nodes               : %u\n", 1u);
    n += line(f, field, "cores_per_socket       : %u\n", pi->cores_per_socket);
    n += line(f, field, "threads_per_core       : %u\n", pi->threads_per_core);
    n += line(f, field, "cpu_mhz                : %u.%03u\n", (unsigned)(pi->tsc_khz / 1000),
              (unsigned)(pi->tsc_khz % 1000));
    n += line(f, field, "hw_caps                : %08x:%08x:%08x:%08x:%08x:%08x:%08x:%08x\n",
              c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
    n += line(f, field, "virt_caps              :%s%s%s\n", pi->virt_caps & KEEL_VIRT_CAP_HVM ? " hvm" : "",
              pi->virt_caps & KEEL_VIRT_CAP_HVM && pi->virt_caps & KEEL_VIRT_CAP_IOMMU ? " hvm_directio" : "",
              pi->virt_caps & KEEL_VIRT_CAP_HAP ? " hap" : "");
    n += line(f, field, "total_memory           : %llu\n", (unsigned long long)(pi->total_bytes >> 20));
    n += line(f, field, "free_memory            : %llu\n", (unsigned long long)(pi->free_bytes >> 20));
    n += line(f, field, "sharing_freed_memory   : %u\n", 0u);
    n += line(f, field, "sharing_used_memory    : %u\n", 0u);
    n += line(f, field, "outstanding_claims     : %u\n", 0u);
    n += line(f, field, "free_cpus              : %u\n", 0u);      /* every CPU is in Keel's one pool */
    n += line(f, field, "keel_version           : %s\n", version);
    n += line(f, field, "keel_abi_version       : %#x\n", pi->abi_version);
    n += line(f, field, "keel_backend           : %s\n", pi->virt_caps & KEEL_VIRT_CAP_SVM ? "svm" : "vmx");
    return n;
}

const char *kl_fmt_uptime(char *buf, size_t len, unsigned long secs, int short_mode)
{
    unsigned long day = secs / 86400, hour = secs / 3600 % 24, min = secs / 60 % 60, sec = secs % 60;
    const char *days = day > 1 ? " days," : day == 1 ? " day," : NULL;
    char d[32] = "";

    if (days)
        snprintf(d, sizeof(d), "%lu%s ", day, days);
    if (short_mode)
        snprintf(buf, len, "%s%2lu:%02lu", d, hour, min);
    else
        snprintf(buf, len, "%s%2lu:%02lu:%02lu", d, hour, min, sec);
    return buf;
}

void kl_fmt_uptime_header(FILE *f)
{
    fprintf(f, "%-33s %4s %s\n", "Name", "ID", "Uptime");
}

void kl_fmt_uptime_row(FILE *f, const char *name, uint32_t domid, unsigned long secs, int short_mode,
                       const char *now_hms)
{
    char up[64];

    kl_fmt_uptime(up, sizeof(up), secs, short_mode);
    if (short_mode)
        fprintf(f, " %s up %s, %s (%u)\n", now_hms, up, name, domid);
    else
        fprintf(f, "%-33s %4u %s\n", name, domid, up);
}

/* ---- JSON as libxl's yajl generator beautifies it ---- */

struct json {
    FILE *f;
    int depth;
    int first[16];                  /* nothing written at that depth yet */
};

static void indent(struct json *j)
{
    for (int i = 0; i < j->depth; i++)
        fputs("    ", j->f);
}

/* Before a value or key at the current depth: the comma and the line. */
static void item(struct json *j)
{
    fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
    j->first[j->depth] = 0;
    indent(j);
}

static void quoted(struct json *j, const char *s)
{
    fputc('"', j->f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(j->f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(j->f, "\\u%04x", ch);
        else
            fputc(ch, j->f);
    }
    fputc('"', j->f);
}

static void key(struct json *j, const char *k)
{
    item(j);
    quoted(j, k);
    fputs(": ", j->f);
}

static void open_(struct json *j, const char *k, char bracket)
{
    if (k)
        key(j, k);
    else if (j->depth > 0)           /* inside an array: a new line; at the top: none */
        item(j);
    fputc(bracket, j->f);
    j->depth++;
    j->first[j->depth] = 1;
}

static void close_(struct json *j, char bracket)
{
    int empty = j->first[j->depth];

    j->depth--;
    if (!empty) {
        fputc('\n', j->f);
        indent(j);
    }
    fputc(bracket, j->f);
}

static void str(struct json *j, const char *k, const char *v)
{
    key(j, k);
    quoted(j, v);
}

static void num(struct json *j, const char *k, unsigned long long v)
{
    key(j, k);
    fprintf(j->f, "%llu", v);
}

static void config_json(struct json *j, const char *name, const struct keel_domain_info *d,
                        const struct kl_config *c)
{
    char uuid[37], buf[KL_CMDLINE_MAX];

    uuid_string(d->uuid, uuid);
    open_(j, name, '{');
    open_(j, "c_info", '{');
    str(j, "type", c ? c->type : "pvh");
    str(j, "name", c ? c->name : d->name);
    str(j, "uuid", uuid);
    close_(j, '}');
    open_(j, "b_info", '{');
    num(j, "max_vcpus", c ? c->maxvcpus : d->nr_vcpus);
    open_(j, "avail_vcpus", '[');
    for (unsigned i = 0; i < (c ? c->vcpus : d->nr_vcpus); i++) {
        item(j);
        fprintf(j->f, "%u", i);
    }
    close_(j, ']');
    if (d->max_mem_bytes != ~0ull)
        num(j, "max_memkb", d->max_mem_bytes >> 10);
    num(j, "target_memkb", c ? c->memory_mb << 10 : d->mem_bytes >> 10);
    if (c) {
        str(j, "kernel", c->kernel);
        str(j, "cmdline", kl_config_cmdline(c, buf, sizeof(buf)));
        if (c->ramdisk[0])
            str(j, "ramdisk", c->ramdisk);
    }
    close_(j, '}');
    if (c && c->nr_disks) {
        open_(j, "disks", '[');
        for (unsigned i = 0; i < c->nr_disks; i++) {
            open_(j, NULL, '{');
            str(j, "pdev_path", c->disk[i].target);
            str(j, "vdev", c->disk[i].vdev);
            str(j, "backend", c->disk[i].backendtype[0] ? c->disk[i].backendtype : "phy");
            str(j, "format", c->disk[i].format);
            num(j, "removable", (unsigned)c->disk[i].cdrom);
            num(j, "readwrite", (unsigned)!c->disk[i].readonly);
            num(j, "is_cdrom", (unsigned)c->disk[i].cdrom);
            close_(j, '}');
        }
        close_(j, ']');
    }
    if (c && c->nr_vifs) {
        open_(j, "nics", '[');
        for (unsigned i = 0; i < c->nr_vifs; i++) {
            const struct kl_vif *v = &c->vif[i];
            uint8_t mac[6];
            open_(j, NULL, '{');
            num(j, "devid", i);
            if (v->has_mac)
                memcpy(mac, v->mac, 6);
            else
                kl_vif_default_mac(c->name, i, mac);
            snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                     mac[5]);
            str(j, "mac", buf);
            str(j, "bridge", v->bridge[0] ? v->bridge : KL_DEFAULT_BRIDGE);
            if (v->ip[0])
                str(j, "ip", v->ip);
            if (v->vifname[0])
                str(j, "ifname", v->vifname);
            str(j, "model", v->model[0] ? v->model : "virtio-net");
            close_(j, '}');
        }
        close_(j, ']');
    }
    if (c) {
        str(j, "on_poweroff", kl_action_name(c->on_poweroff));
        str(j, "on_reboot", kl_action_name(c->on_reboot));
        str(j, "on_crash", kl_action_name(c->on_crash));
    }
    close_(j, '}');
}

void kl_fmt_json_begin(FILE *f)
{
    fputc('[', f);
}

void kl_fmt_json_domain(FILE *f, const struct keel_domain_info *d, const struct kl_config *cfg, int first)
{
    struct json j = { f, 1, { 0 } };

    j.first[1] = first;
    open_(&j, NULL, '{');
    num(&j, "domid", d->domid);
    config_json(&j, "config", d, cfg);
    close_(&j, '}');
}

void kl_fmt_config_json(FILE *f, const struct keel_domain_info *d, const struct kl_config *cfg)
{
    struct json j = { f, 0, { 0 } };

    config_json(&j, NULL, d, cfg);
    fputc('\n', f);
}

void kl_fmt_json_end(FILE *f, int any)
{
    fputs(any ? "\n]\n" : "]\n", f);
}

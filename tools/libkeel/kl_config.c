/* xl.cfg-syntax domain configuration (see kl_config.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kl_config.h"

enum kind { K_STR, K_NUM, K_LIST, K_ACTION };

struct key {
    const char *name;
    enum kind kind;
    size_t off, size;               /* K_STR: the buffer; K_NUM: a uint64_t or unsigned */
    uint64_t min, max;              /* K_NUM */
    int later;                      /* a list of device specifications (disk, vif) */
};

#define STR(n, f) { n, K_STR, offsetof(struct kl_config, f), sizeof(((struct kl_config *)0)->f), 0, 0, 0 }
#define NUM(n, f, lo, hi) { n, K_NUM, offsetof(struct kl_config, f), sizeof(((struct kl_config *)0)->f), lo, hi, 0 }
#define ACT(n, f) { n, K_ACTION, offsetof(struct kl_config, f), 0, 0, 0, 0 }

static const struct key keys[] = {
    STR("name", name), STR("type", type),
    NUM("memory", memory_mb, 1, KL_MAX_MEMORY_MB), NUM("maxmem", maxmem_mb, 1, KL_MAX_MEMORY_MB),
    NUM("vcpus", vcpus, 1, KL_MAX_VCPUS), NUM("maxvcpus", maxvcpus, 1, KL_MAX_VCPUS),
    STR("kernel", kernel), STR("ramdisk", ramdisk), STR("cmdline", cmdline),
    STR("root", root), STR("extra", extra),
    ACT("on_poweroff", on_poweroff), ACT("on_reboot", on_reboot), ACT("on_crash", on_crash),
    { "disk", K_LIST, offsetof(struct kl_config, disks), 0, 0, 0, 1 },
    { "vif", K_LIST, offsetof(struct kl_config, vifs), 0, 0, 0, 1 },
};

/*
 * Settings xl reads (xl_parse.c) that Keel does not act on yet: a file
 * written for xl still creates its domain, and each of these is named in a
 * warning. A name in neither table is a typo, and an error.
 */
static const char *const xl_only[] = {
    "acpi", "acpi_firmware", "acpi_laptop_slate", "acpi_s3", "acpi_s4", "altp2m", "altp2m_count", "altp2mhvm",
    "apic", "arm_sci", "bios", "bios_path_override", "boot", "bootloader", "bootloader_args",
    "bootloader_restrict", "bootloader_user", "builder", "cap", "channel", "cpu_weight", "cpuid", "cpus",
    "cpus_soft", "device_model", "device_model_args", "device_model_args_hvm", "device_model_args_pv",
    "device_model_override", "device_model_stubdomain_override", "device_model_stubdomain_seclabel",
    "device_model_user", "device_model_version", "device_tree", "display", "dm_restrict", "driver_domain",
    "dtdev", "e820_host", "extratime", "ffa", "firmware", "firmware_override", "gfx_passthru", "gic_version",
    "hap", "hdtype", "hpet", "hvm_pirq", "init_seclabel", "iomem", "ioports", "irqs", "keymap", "latency",
    "llc_colors", "localtime", "max_event_channels", "max_grant_frames", "max_grant_version",
    "max_maptrack_frames", "mca_caps", "mmio_hole", "ms_vm_genid", "msr_relaxed", "nestedhvm", "nographic",
    "nomigrate", "nr_spis", "nx", "on_soft_reset", "on_watchdog", "oos", "opengl", "p9", "pae", "passthrough",
    "pci", "pci_msitranslate", "pci_permissive", "pci_power_mgmt", "pci_seize", "period", "pool", "pvcalls",
    "pvshim", "pvshim_cmdline", "pvshim_extra", "pvshim_path", "rdm", "rdm_mem_boundary", "rtc_timeoffset",
    "sdl", "seclabel", "serial", "shadow_memory", "slice", "smbios", "smbios_firmware", "soundhw", "spice",
    "spice_clipboard_sharing", "spice_image_compression", "spice_streaming_video", "spiceagent_mouse",
    "spicedisable_ticketing", "spicehost", "spicepasswd", "spiceport", "spicetls_port", "spiceusbredirection",
    "spicevdagent", "stdvga", "stubdomain_cmdline", "stubdomain_kernel", "stubdomain_memory",
    "stubdomain_ramdisk", "sve", "tee", "timer_mode", "trap_unmapped_accesses", "tsc_mode", "usb", "usbctrl",
    "usbdev", "usbdevice", "usbversion", "uuid", "vcpu_hard_affinity", "vcpu_soft_affinity", "vdispl",
    "vendor_device", "vfb", "vga", "videoram", "vif2", "viridian", "virtio", "vkb", "vkb_device",
    "vmtrace_buf_kb", "vnc", "vncdisplay", "vnclisten", "vncpasswd", "vncunused", "vncviewer", "vnuma", "vpmu",
    "vpt_align", "vsnd", "vtpm", "vuart", "xauthority", "xen_platform_pci", "xen_platform_pci_bar_uc",
    "xend_suspend_evtchn_compat", "xenstore_feature_mask", "xenstore_quota",
};

static const char *const actions[] = {
    [KL_ACTION_DESTROY] = "destroy", [KL_ACTION_RESTART] = "restart",
    [KL_ACTION_PRESERVE] = "preserve", [KL_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [KL_ACTION_COREDUMP_RESTART] = "coredump-restart",
};

const char *kl_action_name(enum kl_action a)
{
    return a > KL_ACTION_UNSET && a <= KL_ACTION_COREDUMP_RESTART ? actions[a] : "unset";
}

void kl_config_init(struct kl_config *c)
{
    memset(c, 0, sizeof(*c));
}

struct lexer {
    const char *p, *end, *file;
    unsigned line, col;
    char *err;
    size_t errlen;
};

static int fail(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct lexer *lx, const char *fmt, ...)
{
    va_list ap;
    size_t at = lx->errlen ? strnlen(lx->err, lx->errlen - 1) : 0;         /* after the warnings */
    int n = snprintf(lx->err + at, lx->errlen - at, "%s:%u:%u: ", lx->file, lx->line, lx->col);

    n += (int)at;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < lx->errlen)
        vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* One "file:line:column: warning: ..." line more in @err (as many as fit). */
static void warn(struct lexer *lx, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warn(struct lexer *lx, unsigned line, unsigned col, const char *fmt, ...)
{
    size_t at = lx->errlen ? strnlen(lx->err, lx->errlen - 1) : 0;
    va_list ap;
    int n;

    if (!lx->errlen)
        return;
    n = snprintf(lx->err + at, lx->errlen - at, "%s:%u:%u: warning: ", lx->file, line, col);
    if (n < 0 || (size_t)n >= lx->errlen - at)
        return;
    at += (size_t)n;
    va_start(ap, fmt);
    n = vsnprintf(lx->err + at, lx->errlen - at, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < lx->errlen - at - 1)
        strcat(lx->err + at, "\n");
}

static int peek(const struct lexer *lx) { return lx->p < lx->end ? (unsigned char)*lx->p : -1; }

static void next(struct lexer *lx)
{
    if (*lx->p == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->p++;
}

/* Blanks and comments; with @newlines, line ends too (inside a list). */
static void skip(struct lexer *lx, int newlines)
{
    for (int ch; (ch = peek(lx)) >= 0;) {
        if (ch == '#') {
            while (peek(lx) >= 0 && peek(lx) != '\n')
                next(lx);
        } else if (ch == ' ' || ch == '\t' || ch == '\r' || (newlines && ch == '\n')) {
            next(lx);
        } else {
            return;
        }
    }
}

static int is_ident(int ch, int first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (!first && ch >= '0' && ch <= '9');
}

/* A quoted string into @buf (@size with the NUL). */
static int lex_string(struct lexer *lx, char *buf, size_t size)
{
    int quote = peek(lx);
    unsigned line = lx->line, col = lx->col;
    size_t n = 0;

    next(lx);
    for (;;) {
        int ch = peek(lx);
        if (ch < 0 || ch == '\n') {
            lx->line = line;            /* point at where it began */
            lx->col = col;
            return fail(lx, "unterminated string");
        }
        next(lx);
        if (ch == quote)
            break;
        if (ch == '\\') {
            ch = peek(lx);
            if (ch < 0 || ch == '\n')
                return fail(lx, "unterminated string");
            next(lx);
            switch (ch) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case '\\': case '"': case '\'': break;
            default: return fail(lx, "unknown escape '\\%c' in a string", ch);
            }
        }
        if (ch == 0)
            return fail(lx, "NUL byte in a string");
        if (n + 1 >= size)
            return fail(lx, "string longer than %zu characters", size - 1);
        buf[n++] = (char)ch;
    }
    buf[n] = '\0';
    return 0;
}

/*
 * A number as xl reads one (strtol with base 0): 0x... hexadecimal, a
 * leading 0 octal, else decimal.
 */
static int lex_number(struct lexer *lx, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10, digits = 0;

    if (peek(lx) == '0' && lx->p + 1 < lx->end && (lx->p[1] == 'x' || lx->p[1] == 'X')) {
        base = 16;
        next(lx);
        next(lx);
    } else if (peek(lx) == '0') {
        base = 8;
        next(lx);
        digits = 1;                                 /* "0" alone is zero */
    }
    for (int ch; (ch = peek(lx)) >= 0; digits++) {
        unsigned d;
        if (ch >= '0' && ch <= '9' && (base != 8 || ch <= '7'))
            d = (unsigned)(ch - '0');
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (base == 16 && ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else if (is_ident(ch, 0))
            return fail(lx, "malformed number");
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return fail(lx, "number too large");
        v = v * base + d;
        next(lx);
    }
    if (!digits)
        return fail(lx, "malformed number");
    *out = v;
    return 0;
}

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

static int xl_knows(const char *name)
{
    for (size_t i = 0; i < sizeof(xl_only) / sizeof(xl_only[0]); i++)
        if (!strcmp(xl_only[i], name))
            return 1;
    return 0;
}

/* A number for @k (from a number or a string, as xl takes either), range-checked. */
static int set_number(struct lexer *lx, const struct key *k, struct kl_config *c, const char *name, uint64_t v)
{
    char *base = (char *)c;

    if (v < k->min || v > k->max)
        return fail(lx, "%s=%llu: out of range (%llu to %llu)", name, (unsigned long long)v,
                    (unsigned long long)k->min, (unsigned long long)k->max);
    if (k->size == sizeof(uint64_t))
        *(uint64_t *)(base + k->off) = v;
    else
        *(unsigned *)(base + k->off) = (unsigned)v;
    return 0;
}

/* VALUE for @k (NULL: an unknown key, parsed and dropped); @add: "+=" (append to a list or string). */
static int parse_value(struct lexer *lx, const struct key *k, struct kl_config *c, const char *name, int add)
{
    char *base = (char *)c;
    char tmp[KL_CMDLINE_MAX];
    int ch = peek(lx);

    if (add && k && (k->kind == K_NUM || k->kind == K_ACTION))
        return fail(lx, "can't use += with %s '%s'", k->kind == K_NUM ? "the number" : "the action", name);
    if (ch == '"' || ch == '\'') {
        struct lexer at = *lx;
        if (k && k->kind == K_LIST)
            return fail(lx, "'%s' takes a list, not a string", name);
        if (lex_string(lx, tmp, k && k->kind == K_STR ? k->size : sizeof(tmp)))
            return -1;
        if (k && k->kind == K_NUM) {              /* memory = "512", as xl takes it */
            struct lexer num = { tmp, tmp + strlen(tmp), lx->file, at.line, at.col + 1, lx->err, lx->errlen };
            size_t mark = lx->errlen ? strnlen(lx->err, lx->errlen - 1) : 0;
            uint64_t v = 0;
            if (!tmp[0] || lex_number(&num, &v) || num.p != num.end) {
                if (lx->errlen)
                    lx->err[mark] = '\0';          /* lex_number's own message: this one says more */
                return fail(&at, "'%s' takes a number: \"%s\" is not one", name, tmp);
            }
            return set_number(lx, k, c, name, v);
        }
        if (k && k->kind == K_STR) {
            char *dst = base + k->off;
            size_t have = add ? strlen(dst) : 0;
            if (have + strlen(tmp) >= k->size)
                return fail(&at, "'%s' longer than %zu characters", name, k->size - 1);
            memcpy(dst + have, tmp, strlen(tmp) + 1);
            return 0;
        }
        if (k && k->kind == K_ACTION) {
            for (int a = KL_ACTION_DESTROY; a <= KL_ACTION_COREDUMP_RESTART; a++)
                if (!strcmp(tmp, actions[a])) {
                    *(enum kl_action *)(base + k->off) = (enum kl_action)a;
                    return 0;
                }
            return fail(lx, "%s=\"%s\": not one of destroy, restart, preserve, coredump-destroy, coredump-restart",
                        name, tmp);
        }
        return 0;
    }
    if (ch >= '0' && ch <= '9') {
        uint64_t v = 0;
        if (k && k->kind != K_NUM)
            return fail(lx, "'%s' takes a %s, not a number", name, k->kind == K_LIST ? "list" : "string");
        if (lex_number(lx, &v))
            return -1;
        return k ? set_number(lx, k, c, name, v) : 0;
    }
    if (ch == '[') {
        unsigned *count = k && k->kind == K_LIST ?
                          (k->off == offsetof(struct kl_config, disks) ? &c->nr_disks : &c->nr_vifs) : NULL;
        unsigned n = add && count ? *count : 0;
        char (*list)[KL_PATH_MAX] = k ? (char (*)[KL_PATH_MAX])(base + k->off) : NULL;
        if (k && k->kind != K_LIST)
            return fail(lx, "'%s' takes a %s, not a list", name, k->kind == K_NUM ? "number" : "string");
        next(lx);
        for (;;) {
            skip(lx, 1);
            if (peek(lx) == ']')
                break;
            if (peek(lx) != '"' && peek(lx) != '\'')
                return fail(lx, peek(lx) < 0 ? "unterminated list" : "expected a string or ']' in the list");
            if (n == KL_LIST_MAX)
                return fail(lx, "more than %d entries in '%s'", KL_LIST_MAX, name);
            struct lexer at = *lx;
            if (lex_string(lx, list ? list[n] : tmp, list ? KL_PATH_MAX : sizeof(tmp)))
                return -1;
            if (k && k->later) {
                /* Each entry checked where it stands: the column is the offending parameter's. */
                char msg[200];
                size_t where = 0;
                int rc = k->off == offsetof(struct kl_config, disks) ?
                         kl_disk_parse(list[n], &c->disk[n], msg, sizeof(msg), &where) :
                         kl_vif_parse(list[n], &c->vif[n], msg, sizeof(msg), &where);
                if (rc) {
                    at.col += 1 + (unsigned)where;      /* past the quote (escapes aside) */
                    return fail(&at, "%s", msg);
                }
            }
            n++;
            skip(lx, 1);
            if (peek(lx) == ',') {
                next(lx);
                continue;
            }
            if (peek(lx) != ']')
                return fail(lx, peek(lx) < 0 ? "unterminated list" : "expected ',' or ']' in the list");
        }
        next(lx);
        if (count)
            *count = n;
        return 0;
    }
    return fail(lx, ch < 0 || ch == '\n' ? "missing value for '%s'" : "a value for '%s' must be a string, number or list",
                name);
}

int kl_config_parse(struct kl_config *c, const char *text, size_t len, const char *file, int lax,
                    char *err, size_t errlen)
{
    struct lexer lx = { text, text + len, file, 1, 1, err, errlen };

    if (errlen)
        err[0] = '\0';
    for (;;) {
        char name[32];
        size_t n = 0;
        const struct key *k;
        unsigned line, col;
        int add;

        skip(&lx, 1);
        if (peek(&lx) < 0)
            return 0;
        if (peek(&lx) == ';') {
            next(&lx);
            continue;
        }
        if (!is_ident(peek(&lx), 1))
            return fail(&lx, peek(&lx) == 0 ? "NUL byte" : "expected a setting name");
        line = lx.line;
        col = lx.col;
        while (is_ident(peek(&lx), 0)) {
            if (n + 1 >= sizeof(name))
                return fail(&lx, "setting name too long");
            name[n++] = *lx.p;
            next(&lx);
        }
        name[n] = '\0';
        skip(&lx, 0);
        add = peek(&lx) == '+';
        if (add)
            next(&lx);
        if (peek(&lx) != '=')
            return fail(&lx, "expected '=' after '%s'", name);
        next(&lx);
        skip(&lx, 0);
        k = find_key(name);
        if (!k && xl_knows(name)) {
            c->warnings++;
            warn(&lx, line, col, "'%s' is an xl setting Keel does not support yet: ignored", name);
        } else if (!k && !lax) {
            lx.line = line;
            lx.col = col;
            return fail(&lx, "unknown setting '%s'", name);
        } else if (!k) {
            c->warnings++;
            warn(&lx, line, col, "unknown setting '%s' ignored", name);
        }
        if (parse_value(&lx, k, c, name, add))
            return -1;
        skip(&lx, 0);
        if (peek(&lx) >= 0 && peek(&lx) != '\n' && peek(&lx) != ';')
            return fail(&lx, "unexpected text after the value of '%s'", name);
    }
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_ident((unsigned char)*s, 0) && *s != '-' && *s != '.')
            return 0;
    return 1;
}

int kl_config_finish(struct kl_config *c, char *err, size_t errlen)
{
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)
    if (!c->name[0])
        BAD("no name: every domain needs name=\"...\"");
    if (!valid_name(c->name) || strlen(c->name) >= KL_NAME_MAX)
        BAD("name=\"%s\": use letters, digits, '_', '-' and '.', at most %d characters", c->name, KL_NAME_MAX - 1);
    if (!c->type[0])
        strcpy(c->type, "pvh");
    if (strcmp(c->type, "pvh") && strcmp(c->type, "hvm"))
        BAD("type=\"%s\": Keel runs \"pvh\" or \"hvm\" guests (both boot the kernel directly)", c->type);
    if (!c->kernel[0])
        BAD("no kernel: set kernel=\"/path/to/vmlinuz\" (guests boot their kernel directly)");
    if (!c->memory_mb)
        c->memory_mb = 128;
    if (!c->maxmem_mb)
        c->maxmem_mb = c->memory_mb;
    if (c->maxmem_mb < c->memory_mb)
        BAD("maxmem=%llu is below memory=%llu", (unsigned long long)c->maxmem_mb, (unsigned long long)c->memory_mb);
    if (c->memory_mb < 16)
        BAD("memory=%llu: a guest needs at least 16 MiB", (unsigned long long)c->memory_mb);
    if (c->memory_mb % 2)
        BAD("memory=%llu: Keel gives RAM in 2 MiB units (use an even number)", (unsigned long long)c->memory_mb);
    c->maxmem_mb += c->maxmem_mb % 2;   /* a maximum rounds up */
    if (!c->vcpus)
        c->vcpus = 1;
    if (!c->maxvcpus)
        c->maxvcpus = c->vcpus;
    if (c->maxvcpus < c->vcpus)
        BAD("maxvcpus=%u is below vcpus=%u", c->maxvcpus, c->vcpus);
    if (!c->on_poweroff)
        c->on_poweroff = KL_ACTION_DESTROY;
    if (!c->on_reboot)
        c->on_reboot = KL_ACTION_RESTART;
    if (!c->on_crash)
        c->on_crash = KL_ACTION_DESTROY;
    return 0;
#undef BAD
}

const char *kl_config_cmdline(const struct kl_config *c, char *buf, size_t len)
{
    if (c->cmdline[0])
        snprintf(buf, len, "%s", c->cmdline);
    else if (c->root[0])
        snprintf(buf, len, "root=%s%s%s", c->root, c->extra[0] ? " " : "", c->extra);
    else
        snprintf(buf, len, "%s", c->extra);
    return buf;
}

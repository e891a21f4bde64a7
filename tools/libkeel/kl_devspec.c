/*
 * disk= and vif= entries, as xl reads them. A disk entry is a
 * comma-separated list of key=value pairs, flags and positional
 * parameters (target, format, vdev, access, in that order, for values
 * without '='); "target=" comes last and takes the rest of the string,
 * commas included. The deprecated form "raw:/path,hda,w" (also phy:,
 * file:, qcow2:, tap:aio:, tap:qcow2:, aio:) names the format in the
 * target, so its positionals are vdev and access.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "kl_devspec.h"

static int bad(char *err, size_t errlen, size_t *where, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int bad(char *err, size_t errlen, size_t *where, size_t at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    *where = at;
    return -1;
}

/* Copy [s, s + n) into @buf (@size with the NUL), blanks trimmed: 0, or -1 if too long. */
static int take(char *buf, size_t size, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= size)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 0;
}

/* xvdX, hdX, sdX, vdX (X: a-z, or two letters aa-zz as Linux names them): the disk number, or -1. */
static int vdev_index(const char *v)
{
    const char *p;

    if (!strncmp(v, "xvd", 3))
        p = v + 3;
    else if (!strncmp(v, "hd", 2) || !strncmp(v, "sd", 2) || !strncmp(v, "vd", 2))
        p = v + 2;
    else
        return -1;
    if (p[0] >= 'a' && p[0] <= 'z' && !p[1])
        return p[0] - 'a';
    if (p[0] >= 'a' && p[0] <= 'z' && p[1] >= 'a' && p[1] <= 'z' && !p[2])
        return 26 * (p[0] - 'a' + 1) + (p[1] - 'a');
    return -1;
}

int kl_vdev_name(unsigned index, char *buf, size_t len)
{
    if (index < 26)
        return snprintf(buf, len, "vd%c", 'a' + index) < (int)len ? 0 : -1;
    if (index < 26 * 27)
        return snprintf(buf, len, "vd%c%c", 'a' + index / 26 - 1, 'a' + index % 26) < (int)len ? 0 : -1;
    return -1;
}

static const struct { const char *prefix, *format; } prefixes[] = {
    { "tap:qcow2:", "qcow2" }, { "tap:aio:", "raw" }, { "qcow2:", "qcow2" }, { "raw:", "raw" },
    { "phy:", "raw" }, { "file:", "raw" }, { "aio:", "raw" },
};

static int set_format(struct kl_disk *d, const char *f, char *err, size_t errlen, size_t *where, size_t at)
{
    if (!*f)
        return 0;                       /* empty positional: the default */
    if (strcmp(f, "raw") && strcmp(f, "qcow2"))
        return bad(err, errlen, where, at, "disk format '%s' is not supported (raw, qcow2)", f);
    strcpy(d->format, f);
    return 0;
}

static int set_access(struct kl_disk *d, const char *a, char *err, size_t errlen, size_t *where, size_t at)
{
    if (!*a)
        return 0;
    if (!strcmp(a, "r") || !strcmp(a, "ro"))
        d->readonly = 1;
    else if (!strcmp(a, "w") || !strcmp(a, "rw"))
        d->readonly = 0;
    else
        return bad(err, errlen, where, at, "disk access '%s': use r, ro, w or rw", a);
    return 0;
}

static int set_vdev(struct kl_disk *d, char *v, char *err, size_t errlen, size_t *where, size_t at)
{
    size_t len = strlen(v);
    int i;

    if (!len)
        return 0;
    if (len > 6 && !strcmp(v + len - 6, ":cdrom")) {
        d->cdrom = d->readonly = 1;     /* deprecated "hdc:cdrom" */
        v[len - 6] = '\0';
    }
    i = vdev_index(v);
    if (i < 0)
        return bad(err, errlen, where, at, "disk vdev '%s': use xvdX, hdX, sdX or vdX", v);
    strcpy(d->vdev, v);
    d->index = (unsigned)i;
    return 0;
}

int kl_disk_parse(const char *spec, struct kl_disk *d, char *err, size_t errlen, size_t *where)
{
    enum { P_TARGET, P_FORMAT, P_VDEV, P_ACCESS, P_NONE } pos = P_TARGET;
    int seen[P_NONE] = { 0 };
    const char *s = spec;
    char val[KL_DEV_PATH_MAX];

    memset(d, 0, sizeof(*d));
    strcpy(d->format, "raw");
    for (;;) {
        const char *comma, *eq;
        size_t at = (size_t)(s - spec), n;

        while (isspace((unsigned char)*s))
            s++, at++;
        if (!strncmp(s, "target=", 7)) {
            /* The rest of the string, commas and all. */
            if (seen[P_TARGET])
                return bad(err, errlen, where, at, "the disk's target is given twice");
            if (take(d->target, sizeof(d->target), s + 7, strlen(s + 7)))
                return bad(err, errlen, where, at, "disk target longer than %d characters", KL_DEV_PATH_MAX - 1);
            seen[P_TARGET] = 1;
            break;
        }
        comma = strchr(s, ',');
        n = comma ? (size_t)(comma - s) : strlen(s);
        if (take(val, sizeof(val), s, n))
            return bad(err, errlen, where, at, "disk parameter longer than %d characters", KL_DEV_PATH_MAX - 1);
        eq = memchr(s, '=', n);
        if (eq) {
            size_t kn = (size_t)(eq - s);
            char *v = val + (strchr(val, '=') - val) + 1;
            int k = !strncmp(s, "format", kn) && kn == 6 ? P_FORMAT : !strncmp(s, "vdev", kn) && kn == 4 ? P_VDEV :
                    !strncmp(s, "access", kn) && kn == 6 ? P_ACCESS : P_NONE;
            if (k != P_NONE && seen[k])
                return bad(err, errlen, where, at, "disk parameter '%.*s' is given twice", (int)kn, s);
            if (k == P_FORMAT && set_format(d, v, err, errlen, where, at))
                return -1;
            if (k == P_VDEV && set_vdev(d, v, err, errlen, where, at))
                return -1;
            if (k == P_ACCESS && set_access(d, v, err, errlen, where, at))
                return -1;
            if (k == P_NONE) {
                if (kn == 7 && !strncmp(s, "devtype", 7)) {
                    if (strcmp(v, "cdrom") && strcmp(v, "disk"))
                        return bad(err, errlen, where, at, "disk devtype '%s': use disk or cdrom", v);
                    if (!strcmp(v, "cdrom"))
                        d->cdrom = d->readonly = 1;
                } else if (kn == 11 && !strncmp(s, "backendtype", 11)) {
                    if (strcmp(v, "phy") && strcmp(v, "qdisk"))
                        return bad(err, errlen, where, at, "disk backendtype '%s': Keel has phy and qdisk", v);
                    strcpy(d->backendtype, v);
                } else if (!(kn == 6 && !strncmp(s, "script", 6)) && !(kn == 7 && !strncmp(s, "backend", 7))) {
                    return bad(err, errlen, where, at, "unknown disk parameter '%.*s'", (int)kn, s);
                }
            }
            if (k != P_NONE)
                seen[k] = 1;
        } else if (!strcmp(val, "cdrom")) {
            d->cdrom = d->readonly = 1;
        } else if (!strcmp(val, "direct-io-safe") || !strcmp(val, "discard") || !strcmp(val, "no-discard")) {
            /* accepted: Keel's backends need no hint */
        } else {
            while (pos < P_NONE && seen[pos])
                pos++;
            if (pos == P_NONE)
                return bad(err, errlen, where, at, "too many positional disk parameters at '%s'", val);
            if (pos == P_TARGET) {
                for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                    size_t pl = strlen(prefixes[i].prefix);
                    if (!strncmp(val, prefixes[i].prefix, pl)) {
                        memmove(val, val + pl, strlen(val + pl) + 1);
                        strcpy(d->format, prefixes[i].format);
                        seen[P_FORMAT] = 1;     /* then: vdev, access */
                        break;
                    }
                }
                strcpy(d->target, val);
            } else if (pos == P_FORMAT && set_format(d, val, err, errlen, where, at)) {
                return -1;
            } else if (pos == P_VDEV && set_vdev(d, val, err, errlen, where, at)) {
                return -1;
            } else if (pos == P_ACCESS && set_access(d, val, err, errlen, where, at)) {
                return -1;
            }
            seen[pos] = 1;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    if (!d->target[0])
        return bad(err, errlen, where, 0, "the disk has no target (a file or block device)");
    if (!d->vdev[0])
        return bad(err, errlen, where, 0, "the disk has no vdev (e.g. xvda)");
    if (d->cdrom)
        d->readonly = 1;
    /* Where the image is served: raw in keel-dm itself unless asked; other formats by QEMU's block layer. */
    if (!d->backendtype[0])
        strcpy(d->backendtype, strcmp(d->format, "raw") ? "qdisk" : "phy");
    if (!strcmp(d->backendtype, "phy") && strcmp(d->format, "raw"))
        return bad(err, errlen, where, 0, "backendtype=phy serves raw images only (format %s needs qdisk)", d->format);
    return 0;
}

/* ---- vif= ---- */

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char end;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
            return -1;
        mac[i] = (uint8_t)b[i];
    }
    if (strlen(s) != 17 || (mac[0] & 1))
        return -1;                      /* multicast bit: not a station's address */
    return 0;
}

static int ifname_ok(const char *s)
{
    if (!*s || strlen(s) > 15)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

int kl_vif_parse(const char *spec, struct kl_vif *v, char *err, size_t errlen, size_t *where)
{
    const char *s = spec;
    char val[128];

    memset(v, 0, sizeof(*v));
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s), at = (size_t)(s - spec);
        char *eq, *k;

        if (take(val, sizeof(val), s, n))
            return bad(err, errlen, where, at, "vif parameter longer than %zu characters", sizeof(val) - 1);
        if (val[0]) {
            eq = strchr(val, '=');
            if (!eq)
                return bad(err, errlen, where, at, "vif parameter '%s' is not key=value", val);
            *eq = '\0';
            k = val;
            eq++;
            if (!strcmp(k, "mac")) {
                if (parse_mac(eq, v->mac))
                    return bad(err, errlen, where, at, "vif mac '%s': use six hex bytes, unicast (aa:bb:cc:dd:ee:ff)", eq);
                v->has_mac = 1;
            } else if (!strcmp(k, "bridge") || !strcmp(k, "vifname")) {
                if (!ifname_ok(eq))
                    return bad(err, errlen, where, at, "vif %s '%s': an interface name of 1-15 letters, digits, '-', '_', '.'", k, eq);
                strcpy(!strcmp(k, "bridge") ? v->bridge : v->vifname, eq);
            } else if (!strcmp(k, "ip")) {
                struct in_addr a;
                if (strlen(eq) >= sizeof(v->ip) || inet_pton(AF_INET, eq, &a) != 1)
                    return bad(err, errlen, where, at, "vif ip '%s': an IPv4 address (192.168.123.10)", eq);
                strcpy(v->ip, eq);
            } else if (!strcmp(k, "model")) {
                if (strcmp(eq, "virtio") && strcmp(eq, "virtio-net") && strcmp(eq, "e1000") && strcmp(eq, "rtl8139"))
                    return bad(err, errlen, where, at, "vif model '%s' is not known", eq);
                strcpy(v->model, eq);
            } else if (strcmp(k, "type") && strcmp(k, "script") && strcmp(k, "rate") && strcmp(k, "backend") &&
                       strcmp(k, "gatewaydev") && strcmp(k, "mtu")) {
                return bad(err, errlen, where, at, "unknown vif parameter '%s'", k);
            }
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    return 0;
}

void kl_vif_default_mac(const char *name, unsigned index, uint8_t mac[6])
{
    uint32_t h = 2166136261u;           /* FNV-1a */

    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    mac[0] = KL_MAC_PREFIX0;
    mac[1] = KL_MAC_PREFIX1;
    mac[2] = KL_MAC_PREFIX2;
    mac[3] = (uint8_t)(h >> 24 ^ h >> 8);
    mac[4] = (uint8_t)(h >> 16 ^ h);
    mac[5] = (uint8_t)index;
}

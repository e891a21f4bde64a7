/* /etc/keel/keel.conf (conf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "kl.h"
#include "kl_devspec.h"

static int isalnum_ascii(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

void kl_conf_defaults(struct kl_conf *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->dump_dir, sizeof(c->dump_dir), "/var/lib/keel/dump");
}

static void append(char *err, size_t errlen, const char *file, unsigned line, const char *msg, const char *arg)
{
    size_t at = errlen ? strnlen(err, errlen - 1) : 0;

    if (errlen)
        snprintf(err + at, errlen - at, "%s:%u: %s%s%s\n", file, line, msg, arg ? arg : "", arg ? "'" : "");
}

static int valid_ifname(const char *s)
{
    if (!*s || strlen(s) >= 16)
        return 0;
    for (; *s; s++)
        if (*s == '/' || *s == ' ' || *s == ':' || (unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

int kl_conf_parse(struct kl_conf *c, const char *text, size_t len, const char *file, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;

    if (errlen)
        err[0] = '\0';
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        char key[64], val[256];
        size_t kn = 0, vn = 0;

        eol = eol ? eol : end;
        line++;
        while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p == eol || *p == '#') {
            p = eol + 1;
            continue;
        }
        while (p < eol && (isalnum_ascii(*p) || *p == '_' || *p == '.') && kn + 1 < sizeof(key))
            key[kn++] = *p++;
        key[kn] = '\0';
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (!kn || p == eol || *p != '=') {
            append(err, errlen, file, line, "expected KEY = VALUE", NULL);
            return -1;
        }
        p++;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (p < eol && (*p == '"' || *p == '\'')) {
            char q = *p++;
            while (p < eol && *p != q && vn + 1 < sizeof(val))
                val[vn++] = *p++;
            if (p == eol || *p != q) {
                append(err, errlen, file, line, "unterminated or too long string", NULL);
                return -1;
            }
            p++;
        } else {
            while (p < eol && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#' && vn + 1 < sizeof(val))
                val[vn++] = *p++;
        }
        val[vn] = '\0';
        while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p < eol && *p != '#') {
            append(err, errlen, file, line, "unexpected text after the value of '", key);
            return -1;
        }
        if (!strcmp(key, "vif.default.bridge")) {
            if (!valid_ifname(val)) {
                append(err, errlen, file, line, "vif.default.bridge: not an interface name: '", val);
                return -1;
            }
            memcpy(c->default_bridge, val, strlen(val) + 1);    /* valid_ifname(): under 16 */
        } else if (!strcmp(key, "dump_dir")) {
            if (val[0] != '/') {
                append(err, errlen, file, line, "dump_dir: not an absolute path: '", val);
                return -1;
            }
            snprintf(c->dump_dir, sizeof(c->dump_dir), "%s", val);
        } else if (!strcmp(key, "autoballoon")) {
            if (strcmp(val, "off") && strcmp(val, "auto") && strcmp(val, "0") && strcmp(val, "on") && strcmp(val, "1")) {
                append(err, errlen, file, line, "autoballoon: off, auto or on, not '", val);
                return -1;
            }
            if (!strcmp(val, "on") || !strcmp(val, "1"))
                append(err, errlen, file, line, "warning: autoballoon=on: Keel has no ballooning yet; dom0 keeps "
                       "the memory dom0_mem gave it", NULL);
        } else if (!strcmp(key, "output_format")) {
            if (strcmp(val, "json")) {
                append(err, errlen, file, line, "warning: output_format: kl list -l writes JSON only, not '", val);
            }
        } else {
            append(err, errlen, file, line, "warning: unknown key ignored: '", key);
        }
        p = eol + 1;
    }
    return 0;
}

int kl_conf_vif_bridge(const struct kl_conf *c, char *spec, size_t size, struct kl_vif *v)
{
    size_t n = strlen(spec);

    if (v->bridge[0] || !c->default_bridge[0])
        return 0;
    if (snprintf(spec + n, size - n, "%sbridge=%s", n ? "," : "", c->default_bridge) >= (int)(size - n)) {
        spec[n] = '\0';
        return -1;
    }
    snprintf(v->bridge, sizeof(v->bridge), "%s", c->default_bridge);
    return 0;
}

int kl_conf_load(struct kl_conf *c)
{
    const char *path = getenv("KEEL_CONF") ? getenv("KEEL_CONF") : KL_CONF_FILE;
    char err[1024];
    uint8_t *text;
    size_t len;
    int rc;

    kl_conf_defaults(c);
    rc = kl_read_file(path, &text, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc) {
        fprintf(stderr, "kl: %s: %s\n", path, strerror(-rc));
        return -1;
    }
    rc = kl_conf_parse(c, (const char *)text, len, path, err, sizeof(err));
    free(text);
    fputs(err, stderr);
    return rc;
}

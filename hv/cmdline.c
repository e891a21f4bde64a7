/*
 * Hypervisor command-line parser (see keel/cmdline.h). Host-tested.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <keel/cmdline.h>
#include <keel/log.h>

int parse_size(const char *s, uint64_t *out, int allow_suffix)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (!*s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno)
        return -EINVAL;
    if (*end && allow_suffix) {
        switch (toupper((unsigned char)*end)) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: return -EINVAL;
        }
        end++;
        if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))   /* 512MB, 512MiB */
            end += strlen(end);
        if (shift && v > (UINT64_MAX >> shift))
            return -EINVAL;
    }
    if (*end)
        return -EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "1", "on", "yes", "true", "enable" };
    static const char *const no[] = { "0", "off", "no", "false", "disable" };

    if (!*v) {
        *out = 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcmp(v, yes[i])) { *out = 1; return 0; }
        if (!strcmp(v, no[i])) { *out = 0; return 0; }
    }
    return -EINVAL;
}

static const struct param *lookup(const struct param *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(table[i].name, name))
            return &table[i];
    return NULL;
}

static int apply(const struct param *p, const char *value, int negated, int has_value)
{
    uint64_t v;

    if (negated && p->type != PARAM_BOOL)
        return -EINVAL;
    switch (p->type) {
    case PARAM_BOOL: {
        int b;
        if (parse_bool(value, &b))
            return -EINVAL;
        *(int *)p->var = negated ? !b : b;
        return 0;
    }
    case PARAM_UINT:
    case PARAM_SIZE:
        if (!has_value || parse_size(value, &v, p->type == PARAM_SIZE))
            return -EINVAL;
        *(uint64_t *)p->var = v;
        return 0;
    case PARAM_STR:
        if (strlen(value) >= p->len)
            return -EINVAL;
        strcpy(p->var, value);
        return 0;
    case PARAM_CUSTOM:
        return p->fn(value);
    }
    return -EINVAL;
}

int cmdline_parse(const char *cmdline, const struct param *table, size_t n)
{
    char tok[CMDLINE_TOKEN_MAX];
    int warnings = 0;
    const char *s = cmdline;

    while (*s) {
        const struct param *p;
        const char *start;
        char *eq, *name, *value;
        size_t len;
        int negated = 0;

        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        start = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        len = (size_t)(s - start);
        if (len >= sizeof(tok)) {
            pr_warn("cmdline: option '%.32s...' is too long, ignored\n", start);
            warnings++;
            continue;
        }
        memcpy(tok, start, len);
        tok[len] = '\0';
        name = tok;
        eq = strchr(tok, '=');
        value = eq ? eq + 1 : tok + len;
        if (eq)
            *eq = '\0';
        p = lookup(table, n, name);
        if (!p && !eq && !strncmp(name, "no-", 3)) {
            p = lookup(table, n, name + 3);
            negated = p != NULL;
        }
        if (!p) {
            pr_warn("cmdline: unknown option '%s', ignored\n", name);
            warnings++;
            continue;
        }
        if (apply(p, value, negated, eq != NULL)) {
            pr_warn("cmdline: bad value '%s' for '%s', ignored\n", value, p->name);
            warnings++;
        }
    }
    return warnings;
}

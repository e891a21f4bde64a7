/* keel.cfg parser (see boot/keel_cfg.h). Host-tested; no libc. */
#include <boot/keel_cfg.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
    size_t i = 0;

    if (!errlen)
        return;
    for (; msg[i] && i + 1 < errlen; i++)
        err[i] = msg[i];
    err[i] = '\0';
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int starts_with(const char *s, const char *end, const char *word)
{
    for (; *word; s++, word++)
        if (s >= end || *s != *word)
            return 0;
    return 1;
}

/* Copy [s, e) into dst[size]; -1 if it does not fit. */
static int copy(char *dst, size_t size, const char *s, const char *e)
{
    size_t n = (size_t)(e - s);

    if (n >= size)
        return -1;
    for (size_t i = 0; i < n; i++)
        dst[i] = s[i];
    dst[n] = '\0';
    return 0;
}

/* "path args...": split at the first blank. */
static int split_item(const char *s, const char *e, char *path, size_t path_size,
                      char *args, size_t args_size)
{
    const char *p = s;

    while (p < e && !is_space(*p))
        p++;
    if (p == s || copy(path, path_size, s, p))
        return -1;
    while (p < e && is_space(*p))
        p++;
    while (e > p && is_space(e[-1]))
        e--;
    return copy(args, args_size, p, e);
}

int keel_cfg_parse(const char *text, size_t len, struct keel_cfg *cfg, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    int line = 0, have_hv = 0;
    char *c = (char *)cfg;

    for (size_t i = 0; i < sizeof(*cfg); i++)
        c[i] = 0;
    while (p < end) {
        const char *eol = p, *s, *e;

        while (eol < end && *eol != '\n')
            eol++;
        line++;
        s = p;
        e = eol;
        p = eol < end ? eol + 1 : eol;
        while (s < e && is_space(*s))
            s++;
        while (e > s && is_space(e[-1]))
            e--;
        if (s == e || *s == '#')
            continue;
        for (const char *q = s; q < e; q++) {
            if (*q == '\0') {
                set_err(err, errlen, "NUL byte in the file");
                return line;
            }
        }
        if (starts_with(s, e, "hypervisor=")) {
            if (have_hv) {
                set_err(err, errlen, "hypervisor= given twice");
                return line;
            }
            if (split_item(s + 11, e, cfg->hypervisor.path, sizeof(cfg->hypervisor.path),
                           cfg->hv_args, sizeof(cfg->hv_args))) {
                set_err(err, errlen, "hypervisor= needs a path; path or command line too long");
                return line;
            }
            have_hv = 1;
        } else if (starts_with(s, e, "module=")) {
            struct keel_cfg_item *m;

            if (cfg->nr_modules >= BOOT_MODULES_MAX) {
                set_err(err, errlen, "too many modules");
                return line;
            }
            m = &cfg->modules[cfg->nr_modules];
            if (split_item(s + 7, e, m->path, sizeof(m->path), m->args, sizeof(m->args))) {
                set_err(err, errlen, "module= needs a path; path or command line too long");
                return line;
            }
            cfg->nr_modules++;
        } else {
            set_err(err, errlen, "unknown key (expected hypervisor= or module=)");
            return line;
        }
    }
    if (!have_hv) {
        set_err(err, errlen, "no hypervisor= line");
        return line ? line : 1;
    }
    return 0;
}

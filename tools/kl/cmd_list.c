/*
 * kl list [-l] [-v] [DOMAIN...]: domains in `xl list`'s columns; -v adds
 * the UUID and shutdown reason; -l prints each domain's configuration as
 * libxl's JSON ([{"domid": N, "config": {...}}]).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kl.h"
#include "kl_config.h"
#include "conf.h"

static int verbose, any;
static struct kl_conf conf;             /* keel.conf, read once for -l; unreadable: no default bridge */

/* The configuration kl create kept for @domid, parsed: 0, or -1 (none kept, or it no longer parses). */
static int saved_config(uint32_t domid, struct kl_config *c)
{
    char path[64], err[1024];
    uint8_t *text;
    size_t len;
    int rc;

    snprintf(path, sizeof(path), KL_CONFIG_DIR "/d%u.cfg", domid);
    if (kl_read_file(path, &text, &len))
        return -1;
    kl_config_init(c);
    rc = kl_config_parse(c, (const char *)text, len, path, 1, err, sizeof(err));
    free(text);
    if (rc || kl_config_finish(c, err, sizeof(err)))
        return -1;
    /* The bridge kl create gave vifs without one (keel.conf), as it did. */
    for (unsigned i = 0; i < c->nr_vifs; i++)
        kl_conf_vif_bridge(&conf, c->vifs[i], sizeof(c->vifs[i]), &c->vif[i]);
    return 0;
}

static int print_json(struct keel *k, const struct keel_domain_info *d)
{
    static struct kl_config c;

    (void)k;
    kl_fmt_json_domain(stdout, d, saved_config(d->domid, &c) ? NULL : &c, !any);
    any = 1;
    return 0;
}

static int print_row(struct keel *k, const struct keel_domain_info *d)
{
    (void)k;
    kl_fmt_list_row(stdout, d, verbose);
    return 0;
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "long", 0, 0, 'l' }, { "verbose", 0, 0, 'v' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int opt, lng = 0, rc;
    struct keel k;

    while ((opt = kl_getopt(argc, argv, "lv", opts, "list", 0)) != -1) {
        if (opt == 'l')
            lng = 1;
        else
            verbose = 1;
    }
    if (kl_open(&k))
        return 1;
    if (lng && kl_conf_load(&conf))
        kl_conf_defaults(&conf);
    if (lng)
        kl_fmt_json_begin(stdout);
    else
        kl_fmt_list_header(stdout, verbose);
    rc = kl_each_domain(&k, "list", argc - optind, argv + optind, lng ? print_json : print_row);
    if (lng)
        kl_fmt_json_end(stdout, any);
    keel_close(&k);
    return rc;
}

/* keel.conf: the toolstack defaults file, its keys, and hostile or mistaken lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "conf.h"
#include "kl_devspec.h"

static char err[1024];

static int parse(struct kl_conf *c, const char *text)
{
    kl_conf_defaults(c);
    return kl_conf_parse(c, text, strlen(text), "keel.conf", err, sizeof(err));
}

static void test_keys(void **state)
{
    struct kl_conf c;
    struct kl_vif v;
    char spec[64], msg[100];
    size_t where;

    (void)state;
    assert_int_equal(parse(&c, ""), 0);
    assert_string_equal(c.default_bridge, "");
    assert_string_equal(c.dump_dir, "/var/lib/keel/dump");
    assert_int_equal(parse(&c, "# defaults\n\nvif.default.bridge = \"br0\"   # the LAN\r\ndump_dir='/srv/dumps'\n"
                               "autoballoon=\"off\"\noutput_format=json\n"), 0);
    assert_string_equal(err, "");
    assert_string_equal(c.default_bridge, "br0");
    assert_string_equal(c.dump_dir, "/srv/dumps");
    /* Warnings: a key kl does not know, what Keel cannot do yet; the rest applies. */
    assert_int_equal(parse(&c, "lockfile=\"/var/lock/kl\"\nautoballoon=on\nvif.default.bridge=br1"), 0);
    assert_non_null(strstr(err, "keel.conf:1: warning: unknown key ignored: 'lockfile'"));
    assert_non_null(strstr(err, "keel.conf:2: warning: autoballoon=on: Keel has no ballooning yet"));
    assert_string_equal(c.default_bridge, "br1");
    /* A vif without bridge= joins it; one with its own keeps it; none configured: the default network. */
    assert_int_equal(kl_vif_parse("mac=00:16:3e:00:00:01", &v, msg, sizeof(msg), &where), 0);
    snprintf(spec, sizeof(spec), "mac=00:16:3e:00:00:01");
    assert_int_equal(kl_conf_vif_bridge(&c, spec, sizeof(spec), &v), 0);
    assert_string_equal(spec, "mac=00:16:3e:00:00:01,bridge=br1");
    assert_string_equal(v.bridge, "br1");
    assert_int_equal(kl_vif_parse("", &v, msg, sizeof(msg), &where), 0);
    spec[0] = '\0';
    assert_int_equal(kl_conf_vif_bridge(&c, spec, sizeof(spec), &v), 0);
    assert_string_equal(spec, "bridge=br1");
    assert_int_equal(kl_vif_parse("bridge=xenbr0", &v, msg, sizeof(msg), &where), 0);
    snprintf(spec, sizeof(spec), "bridge=xenbr0");
    assert_int_equal(kl_conf_vif_bridge(&c, spec, sizeof(spec), &v), 0);
    assert_string_equal(spec, "bridge=xenbr0");
    kl_conf_defaults(&c);
    assert_int_equal(kl_vif_parse("", &v, msg, sizeof(msg), &where), 0);
    spec[0] = '\0';
    assert_int_equal(kl_conf_vif_bridge(&c, spec, sizeof(spec), &v), 0);
    assert_string_equal(spec, "");
    /* No room: refused, the spec unchanged. */
    assert_int_equal(parse(&c, "vif.default.bridge=br1"), 0);
    memset(spec, 'a', sizeof(spec));
    spec[60] = '\0';
    assert_int_equal(kl_vif_parse("", &v, msg, sizeof(msg), &where), 0);
    assert_int_equal(kl_conf_vif_bridge(&c, spec, sizeof(spec), &v), -1);
    assert_int_equal(strlen(spec), 60);
}

static void test_errors(void **state)
{
    static const struct { const char *text, *want; } bad[] = {
        { "vif.default.bridge", "keel.conf:1: expected KEY = VALUE" },
        { "\n= 3", "keel.conf:2: expected KEY = VALUE" },
        { "dump_dir = \"/srv", "unterminated" },
        { "dump_dir = relative/dir", "dump_dir: not an absolute path" },
        { "vif.default.bridge = \"br 0\"", "not an interface name" },
        { "vif.default.bridge = \"a-name-too-long-for-linux\"", "not an interface name" },
        { "vif.default.bridge = \"../x\"", "not an interface name" },
        { "autoballoon = maybe", "autoballoon: off, auto or on" },
        { "dump_dir = /a /b", "unexpected text after the value of 'dump_dir'" },
    };
    struct kl_conf c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&c, bad[i].text), -1);
        if (!strstr(err, bad[i].want))
            fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

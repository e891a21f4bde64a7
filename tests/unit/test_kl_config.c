/* xl.cfg parsing for `kl create`: valid files, overrides, and hostile ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kl_config.h"
#include "unit.h"

static char err[1024];

static int parse(struct kl_config *c, const char *text, int lax)
{
    kl_config_init(c);
    return kl_config_parse(c, text, strlen(text), "web.cfg", lax, err, sizeof(err));
}

static void test_full_file(void **state)
{
    static const char cfg[] =
        "# a web server\n"
        "name = \"web\"\n"
        "type='pvh'\n"
        "memory = 256; vcpus = 2\n"
        "maxvcpus=0x4\n"
        "kernel = \"/boot/vmlinuz\"   # the guest's own kernel\n"
        "ramdisk = \"/boot/initrd.img\"\n"
        "root = \"/dev/vda1\"\n"
        "extra = \"console=ttyS0 quiet\"\n"
        "on_crash = \"restart\"\n"
        "disk = [ 'file:/srv/web.img,xvda,w',\n"
        "         \"phy:/dev/vg/web-data,xvdb,w\", # data\n"
        "       ]\n"
        "vif = []\n";
    struct kl_config c;
    char line[256];

    (void)state;
    assert_int_equal(parse(&c, cfg, 0), 0);
    assert_int_equal(kl_config_finish(&c, err, sizeof(err)), 0);
    assert_string_equal(c.name, "web");
    assert_string_equal(c.type, "pvh");
    assert_int_equal(c.memory_mb, 256);
    assert_int_equal(c.maxmem_mb, 256);
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.maxvcpus, 4);
    assert_string_equal(c.kernel, "/boot/vmlinuz");
    assert_string_equal(c.ramdisk, "/boot/initrd.img");
    assert_int_equal(c.nr_disks, 2);
    assert_string_equal(c.disks[1], "phy:/dev/vg/web-data,xvdb,w");
    assert_string_equal(c.disk[0].target, "/srv/web.img");      /* parsed as each entry came */
    assert_string_equal(c.disk[1].target, "/dev/vg/web-data");
    assert_int_equal(c.disk[1].index, 1);
    assert_int_equal(c.nr_vifs, 0);
    assert_int_equal(c.on_crash, KL_ACTION_RESTART);
    assert_int_equal(c.on_poweroff, KL_ACTION_DESTROY);
    assert_int_equal(c.on_reboot, KL_ACTION_RESTART);
    assert_string_equal(kl_config_cmdline(&c, line, sizeof(line)), "root=/dev/vda1 console=ttyS0 quiet");
}

static void test_overrides_and_defaults(void **state)
{
    struct kl_config c;
    static const char over[] = "memory=64\ncmdline=\"console=ttyS0 init=/bin/sh\"\n";
    char line[256];

    (void)state;
    assert_int_equal(parse(&c, "name=\"a\"\nkernel=\"k\"\nmemory=512\nextra=\"x\"\n", 0), 0);
    assert_int_equal(kl_config_parse(&c, over, strlen(over), "<command line>", 0, err, sizeof(err)), 0);
    assert_int_equal(kl_config_finish(&c, err, sizeof(err)), 0);
    assert_int_equal(c.memory_mb, 64);
    assert_int_equal(c.vcpus, 1);
    assert_string_equal(c.type, "pvh");
    assert_string_equal(kl_config_cmdline(&c, line, sizeof(line)), "console=ttyS0 init=/bin/sh");
    /* Escapes in strings. */
    assert_int_equal(parse(&c, "extra = \"a\\\"b\\\\c\"", 0), 0);
    assert_string_equal(c.extra, "a\"b\\c");
}

/* Each hostile or wrong file: an error naming file:line:column, nothing accepted silently. */
static void test_errors(void **state)
{
    static const struct { const char *text, *want; } bad[] = {
        { "name=\"a\"\nmemroy=128\n", "web.cfg:2:1: unknown setting 'memroy'" },
        { "name = \"a\n", "web.cfg:1:8: unterminated string" },
        { "memory = \"12x\"", "web.cfg:1:10: 'memory' takes a number: \"12x\" is not one" },
        { "memory = \"\"", "'memory' takes a number" },
        { "memory = 08", "malformed number" },                /* octal, as strtol(.., 0) */
        { "memory += 2", "can't use += with the number 'memory'" },
        { "on_crash += \"restart\"", "can't use += with the action 'on_crash'" },
        { "name = \"0123456789012345678901234\"\nname += \"0123456789\"", "web.cfg:2:9: 'name' longer than 31" },
        { "vnc = 1\nvcpus = 9", "web.cfg:2:10: vcpus=9: out of range (1 to 8)" },
        { "memory = 99999999999999999999999", "number too large" },
        { "vcpus = 0", "web.cfg:1:10: vcpus=0: out of range (1 to 8)" },
        { "maxvcpus = \"65\"", "maxvcpus=65: out of range (1 to 8)" },
        /* RAM up to the I/O APIC would overlap it: the platform's limit, said by the parser. */
        { "memory = 4078", "memory=4078: out of range (1 to 3072)" },
        { "maxmem = 1048576", "out of range (1 to 3072)" },
        { "memory = 12abc", "malformed number" },
        { "name \"a\"", "web.cfg:1:6: expected '=' after 'name'" },
        { "name =", "missing value for 'name'" },
        { "name = \"a\" \"b\"", "unexpected text after the value of 'name'" },
        { "disk = [ 'a,,xvda', ", "web.cfg:1:21: unterminated list" },
        { "disk = [ 'a,,xvda' 'b' ]", "expected ',' or ']' in the list" },
        { "disk = [ 1 ]", "expected a string or ']' in the list" },
        { "vif = ['','','','','','','','','']", "more than 8 entries in 'vif'" },
        /* A bad entry: the column of the parameter at fault, inside the string. */
        { "disk = [ '/srv/a.img,raw,xvda,rw', '/srv/b.img,vmdk,xvdb' ]", "web.cfg:1:48: disk format 'vmdk' is not supported" },
        { "disk = [ 'target=/srv/a.img' ]", "web.cfg:1:11: the disk has no vdev" },
        { "vif = [ 'bridge=br0,mac=01:00:5e:00:00:01' ]", "web.cfg:1:21: vif mac '01:00:5e:00:00:01'" },
        { "vif = [ 'brige=br0' ]", "unknown vif parameter 'brige'" },
        { "on_crash = \"explode\"", "not one of destroy" },
        { "= 5", "web.cfg:1:1: expected a setting name" },
        { "extra = \"\\q\"", "unknown escape" },
        { "kernel = 5", "'kernel' takes a string, not a number" },
        { "vif = \"bridge=xenbr0\"", "'vif' takes a list, not a string" },
    };
    struct kl_config c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&c, bad[i].text, 0), -1);
        if (!strstr(err, bad[i].want))
            fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].want);
    }
    /* A NUL byte inside the file (the length says there is more). */
    kl_config_init(&c);
    assert_int_equal(kl_config_parse(&c, "name=\"a\0b\"", 10, "web.cfg", 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL byte"));
    /* A string longer than its field. */
    {
        char big[400];
        memset(big, 'x', sizeof(big));
        memcpy(big, "name=\"", 6);
        big[sizeof(big) - 2] = '"';
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(parse(&c, big, 0), -1);
        assert_non_null(strstr(err, "string longer than 31 characters"));
    }
}

static void test_lax_unknown_key(void **state)
{
    struct kl_config c;

    (void)state;
    assert_int_equal(parse(&c, "name=\"a\"\nfrobnicate = \"pygrub\"\nkernel=\"k\"\n", 1), 0);
    assert_int_equal(c.warnings, 1);
    assert_non_null(strstr(err, "web.cfg:2:1: warning: unknown setting 'frobnicate' ignored"));
    assert_string_equal(c.kernel, "k");
}

/* What a file written for xl may hold: numbers as strings, octal, +=, xl's own settings. */
static void test_xl_syntax(void **state)
{
    struct kl_config c;

    (void)state;
    assert_int_equal(parse(&c, "name='a'\nmemory=\"512\"\nmaxmem=01000\nvcpus=\"0x2\"\nkernel='k'\n"
                               "disk=['/a.img,raw,xvda,rw']\ndisk+=['/b.img,raw,xvdb,ro']\n"
                               "extra='console=hvc0'\nextra+=' quiet'\n", 0), 0);
    assert_int_equal(c.memory_mb, 512);
    assert_int_equal(c.maxmem_mb, 512);
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.nr_disks, 2);
    assert_string_equal(c.disk[1].vdev, "xvdb");
    assert_string_equal(c.extra, "console=hvc0 quiet");
    assert_int_equal(c.warnings, 0);
    assert_string_equal(err, "");
    /* xl's settings Keel lacks: one warning each, never fatal; a typo stays an error. */
    assert_int_equal(parse(&c, "name='a'\nvnc=1\nserial='pty'\nbuilder = \"hvm\"\nkernel='k'\n"
                               "device_model_version='qemu-xen'\n", 0), 0);
    assert_int_equal(c.warnings, 4);
    assert_non_null(strstr(err, "web.cfg:2:1: warning: 'vnc' is an xl setting Keel does not support yet: ignored\n"));
    assert_non_null(strstr(err, "web.cfg:3:1: warning: 'serial'"));
    assert_non_null(strstr(err, "web.cfg:4:1: warning: 'builder'"));
    assert_non_null(strstr(err, "web.cfg:6:1: warning: 'device_model_version'"));
    assert_string_equal(c.kernel, "k");
    assert_int_equal(parse(&c, "vnc=1\nvncunsued=1\n", 0), -1);
    assert_non_null(strstr(err, "web.cfg:2:1: unknown setting 'vncunsued'"));
    /* Zero and hexadecimal. */
    assert_int_equal(parse(&c, "memory=0x80", 0), 0);
    assert_int_equal(c.memory_mb, 128);
    assert_int_equal(parse(&c, "memory=0", 0), -1);
}

static void test_finish_checks(void **state)
{
    static const struct { const char *text, *want; } bad[] = {
        { "kernel=\"k\"", "no name" },
        { "name=\"a b\"\nkernel=\"k\"", "name=\"a b\": use letters" },
        { "name=\"a\"", "no kernel" },
        { "name=\"a\"\nkernel=\"k\"\ntype=\"pv\"", "type=\"pv\"" },
        { "name=\"a\"\nkernel=\"k\"\nmemory=256\nmaxmem=128", "maxmem=128 is below memory=256" },
        { "name=\"a\"\nkernel=\"k\"\nmemory=8", "at least 16 MiB" },
        { "name=\"a\"\nkernel=\"k\"\nmemory=129", "memory=129: Keel gives RAM in 2 MiB units" },
        { "name=\"a\"\nkernel=\"k\"\nvcpus=4\nmaxvcpus=2", "maxvcpus=2 is below vcpus=4" },
    };
    struct kl_config c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&c, bad[i].text, 0), 0);
        assert_int_equal(kl_config_finish(&c, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].want))
            fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].want);
    }
    /* A maximum rounds up to Keel's 2 MiB unit. */
    assert_int_equal(parse(&c, "name=\"a\"\nkernel=\"k\"\nmemory=128\nmaxmem=257", 0), 0);
    assert_int_equal(kl_config_finish(&c, err, sizeof(err)), 0);
    assert_int_equal(c.maxmem_mb, 258);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_overrides_and_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_lax_unknown_key),
        cmocka_unit_test(test_xl_syntax),
        cmocka_unit_test(test_finish_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* disk= and vif= entries as xl reads them (tools/libkeel/kl_devspec.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kl_devspec.h"

static char err[200];
static size_t where;

static void test_disk_forms(void **state)
{
    /* xl-disk-configuration(5)'s equivalent spellings. */
    static const char *const same[] = {
        "/dev/vg/guest-volume,,hda",
        "/dev/vg/guest-volume,raw,hda,rw",
        "format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
        "raw:/dev/vg/guest-volume,hda,w",
        "phy:/dev/vg/guest-volume,hda,w",
    };
    struct kl_disk d;

    (void)state;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        if (kl_disk_parse(same[i], &d, err, sizeof(err), &where))
            fail_msg("'%s': %s", same[i], err);
        assert_string_equal(d.target, "/dev/vg/guest-volume");
        assert_string_equal(d.format, "raw");
        assert_string_equal(d.vdev, "hda");
        assert_int_equal(d.index, 0);
        assert_false(d.readonly);
    }
    /* target= takes the rest, commas included; flags; read-only. */
    assert_int_equal(kl_disk_parse("vdev=xvdc, access=ro, target=/srv/a,b.img", &d, err, sizeof(err), &where), 0);
    assert_string_equal(d.target, "/srv/a,b.img");
    assert_int_equal(d.index, 2);
    assert_true(d.readonly);
    assert_int_equal(kl_disk_parse("/root/image.iso,,hdc,cdrom", &d, err, sizeof(err), &where), 0);
    assert_true(d.cdrom && d.readonly);
    assert_int_equal(kl_disk_parse("raw:/root/image.iso,hdc:cdrom,ro", &d, err, sizeof(err), &where), 0);
    assert_string_equal(d.vdev, "hdc");
    assert_true(d.cdrom);
    assert_int_equal(kl_disk_parse("tap:qcow2:/srv/web.qcow2,xvda,w", &d, err, sizeof(err), &where), 0);
    assert_string_equal(d.format, "qcow2");
    assert_string_equal(d.target, "/srv/web.qcow2");
    assert_string_equal(d.backendtype, "qdisk");                    /* qcow2: QEMU's block layer */
    assert_int_equal(kl_disk_parse("/srv/x.img,raw,xvdaa,w,direct-io-safe", &d, err, sizeof(err), &where), 0);
    assert_int_equal(d.index, 26);
    assert_string_equal(d.backendtype, "phy");                      /* raw: keel-dm itself */
    assert_int_equal(kl_disk_parse("backendtype=qdisk,/srv/x.img,raw,xvda", &d, err, sizeof(err), &where), 0);
    assert_string_equal(d.backendtype, "qdisk");
    assert_int_equal(kl_disk_parse("backendtype=phy,/srv/x.qcow2,qcow2,xvda", &d, err, sizeof(err), &where), -1);
    assert_int_equal(kl_disk_parse("backendtype=tap,/srv/x.img,raw,xvda", &d, err, sizeof(err), &where), -1);
}

static void test_disk_errors(void **state)
{
    static const struct { const char *spec, *want; size_t at; } bad[] = {
        { "", "no target", 0 },
        { "/srv/a.img", "no vdev", 0 },
        { "/srv/a.img,raw,xvda,rw,extra", "too many positional", 23 },
        { "/srv/a.img,vhdx,xvda", "format 'vhdx'", 11 },
        { "/srv/a.img,raw,nvme0,rw", "vdev 'nvme0'", 15 },
        { "/srv/a.img,raw,xvda,rx", "access 'rx'", 20 },
        { "/srv/a.img,raw,xvda,w, colour=blue", "unknown disk parameter 'colour'", 23 },
        { "vdev=xvda,vdev=xvdb,target=/a", "'vdev' is given twice", 10 },
        { "devtype=floppy,/a,,xvda", "devtype 'floppy'", 0 },
    };
    struct kl_disk d;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!kl_disk_parse(bad[i].spec, &d, err, sizeof(err), &where))
            fail_msg("'%s' accepted", bad[i].spec);
        if (!strstr(err, bad[i].want) || where != bad[i].at)
            fail_msg("'%s': got '%s' at %zu, want '%s' at %zu", bad[i].spec, err, where, bad[i].want, bad[i].at);
    }
}

static void test_vif(void **state)
{
    struct kl_vif v;

    (void)state;
    assert_int_equal(kl_vif_parse("mac=00:16:3e:0a:0b:0c, bridge=xenbr0, vifname=web0, ip=10.0.0.5, model=virtio",
                                  &v, err, sizeof(err), &where), 0);
    assert_true(v.has_mac);
    assert_int_equal(v.mac[0], 0x00);
    assert_int_equal(v.mac[5], 0x0c);
    assert_string_equal(v.bridge, "xenbr0");
    assert_string_equal(v.vifname, "web0");
    assert_string_equal(v.ip, "10.0.0.5");
    assert_int_equal(kl_vif_parse("", &v, err, sizeof(err), &where), 0);     /* all defaults: the default network */
    assert_false(v.has_mac);
    assert_int_equal(kl_vif_parse("bridge=br0,mac=00:16:3e:0a:0b", &v, err, sizeof(err), &where), -1);
    assert_int_equal(where, 11);
    assert_int_equal(kl_vif_parse("bridge=br0;rm -rf", &v, err, sizeof(err), &where), -1);   /* not a name */
    assert_int_equal(kl_vif_parse("bridge=abcdefghijklmnop", &v, err, sizeof(err), &where), -1);
    assert_int_equal(kl_vif_parse("mac=03:16:3e:0a:0b:0c", &v, err, sizeof(err), &where), -1);  /* multicast */
    assert_int_equal(kl_vif_parse("mac=0x:16:3e:0a:0b:0c", &v, err, sizeof(err), &where), -1);
    assert_int_equal(kl_vif_parse("model=ne2k", &v, err, sizeof(err), &where), -1);
    assert_int_equal(kl_vif_parse("script=vif-bridge,rate=10Mb/s", &v, err, sizeof(err), &where), 0);
    /* ip= goes to dnsmasq's hosts files: an IPv4 address and nothing else (no newline, no option). */
    assert_int_equal(kl_vif_parse("bridge=br0,ip=10.0.0.256", &v, err, sizeof(err), &where), -1);
    assert_int_equal(where, 11);
    assert_int_equal(kl_vif_parse("ip=10.0.0.5\ndhcp-script=/bin/sh", &v, err, sizeof(err), &where), -1);
    assert_int_equal(kl_vif_parse("ip=fe80::1", &v, err, sizeof(err), &where), -1);
}

/* Default MACs: locally administered unicast, the same for a name and index every time, apart across them. */
/* The guest's names for disk numbers, back and forth through the parser. */
static void test_vdev_names(void **state)
{
    static const struct { unsigned index; const char *name; } names[] = {
        { 0, "vda" }, { 1, "vdb" }, { 25, "vdz" }, { 26, "vdaa" }, { 27, "vdab" }, { 51, "vdaz" }, { 52, "vdba" },
        { 701, "vdzz" },
    };
    char buf[8], spec[40], err[100];
    struct kl_disk d;
    size_t where;

    (void)state;
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(kl_vdev_name(names[i].index, buf, sizeof(buf)), 0);
        assert_string_equal(buf, names[i].name);
        snprintf(spec, sizeof(spec), "/x.img,raw,%s,r", buf);
        assert_int_equal(kl_disk_parse(spec, &d, err, sizeof(err), &where), 0);
        assert_int_equal(d.index, names[i].index);
    }
    assert_int_equal(kl_vdev_name(702, buf, sizeof(buf)), -1);
    assert_int_equal(kl_vdev_name(26, buf, 4), -1);                 /* "vdaa" does not fit */
}

static void test_default_mac(void **state)
{
    uint8_t a[6], b[6], c[6], d[6];

    (void)state;
    kl_vif_default_mac("web", 0, a);
    kl_vif_default_mac("web", 0, b);
    kl_vif_default_mac("web", 1, c);
    kl_vif_default_mac("db", 0, d);
    assert_memory_equal(a, b, 6);
    assert_int_equal(a[0], 0x02);                                    /* local, unicast */
    assert_int_equal(a[1], 0x6b);
    assert_int_equal(a[2], 0x6c);
    assert_memory_equal(a, c, 5);
    assert_int_equal(c[5], 1);
    assert_memory_not_equal(a, d, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_forms),
        cmocka_unit_test(test_disk_errors),
        cmocka_unit_test(test_vif),
        cmocka_unit_test(test_default_mac),
        cmocka_unit_test(test_vdev_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

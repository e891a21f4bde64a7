/*
 * kl's output against xl's formats: the fixtures in fixtures/xl were
 * written from the printf formats of Xen's tools/xl (make-fixtures.py
 * there says which), so a column, tab or letter that drifts from xl's
 * fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "unit.h"
#include "format.h"
#include "kl_config.h"

static char *out;
static size_t out_len;

static FILE *capture(void)
{
    free(out);
    out = NULL;
    return open_memstream(&out, &out_len);
}

static char *slurp(const char *name)
{
    char path[256], *buf;

    snprintf(path, sizeof(path), FIXTURE_DIR "/xl/%s", name);
    buf = unit_read_text(path);
    assert_non_null(buf);
    return buf;
}

static void same(FILE *f, const char *fixture)
{
    char *want = slurp(fixture);

    fclose(f);
    if (strcmp(out, want))
        fail_msg("%s differs:\n--- want\n%s--- got\n%s", fixture, want, out);
    free(want);
}

static void uuid_parse(const char *s, uint8_t u[16])
{
    for (int i = 0; i < 16; i++, s += 2) {
        if (*s == '-')
            s++;
        sscanf(s, "%2hhx", &u[i]);
    }
}

/* The domains make-fixtures.py describes. */
static struct keel_domain_info doms[4];

static void set_dom(int i, const char *name, uint32_t id, uint64_t mib, uint32_t vcpus, uint32_t blocked,
                    uint32_t state, uint32_t flags, uint32_t reason, uint64_t cpu_ns, uint64_t up_s, const char *uuid)
{
    struct keel_domain_info *d = &doms[i];

    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->domid = id;
    d->mem_bytes = mib << 20;
    d->max_mem_bytes = flags & KEEL_DOMINFO_PRIVILEGED ? ~0ull : 2 * (mib << 20);
    d->nr_vcpus = vcpus;
    d->nr_blocked_vcpus = blocked;
    d->state = state;
    d->flags = flags;
    d->shutdown_reason = reason;
    d->cpu_time_ns = cpu_ns;
    d->uptime_ns = up_s * 1000000000ull;
    uuid_parse(uuid, d->uuid);
}

static int setup(void **state)
{
    (void)state;
    set_dom(0, "Domain-0", 0, 1024, 2, 0, KEEL_DOMSTATE_RUNNING, KEEL_DOMINFO_PRIVILEGED, 0, 12340000000ull, 93784,
            "00000000-0000-0000-0000-000000000000");
    set_dom(1, "web", 1, 256, 1, 1, KEEL_DOMSTATE_RUNNING, KEEL_DOMINFO_PAUSED, 0, 70000000ull, 59,
            "00112233-4455-6677-8899-aabbccddeeff");
    set_dom(2, "crashy", 7, 32, 1, 0, KEEL_DOMSTATE_CRASHED, 0, 0, 1000000000ull, 3 * 86400 + 5,
            "0f000000-0000-4000-8000-00000000000a");
    set_dom(3, "a-very-long-domain-name-of-31ch", 12, 16, 8, 8, KEEL_DOMSTATE_SHUTDOWN, 0, KEEL_SHUTDOWN_REBOOT,
            123456780000000ull, 86400 * 2 - 1, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    return 0;
}

static void test_list(void **state)
{
    FILE *f;
    char st[7];

    (void)state;
    for (int verbose = 0; verbose < 2; verbose++) {
        f = capture();
        kl_fmt_list_header(f, verbose);
        for (int i = 0; i < 4; i++)
            kl_fmt_list_row(f, &doms[i], verbose);
        same(f, verbose ? "list-v.txt" : "list.txt");
    }
    /* Each state letter where xl puts it. */
    assert_string_equal(kl_state_string(&doms[0], st), "r-----");
    doms[0].nr_blocked_vcpus = 2;
    assert_string_equal(kl_state_string(&doms[0], st), "-b----");
    doms[0].nr_blocked_vcpus = 1;                       /* one of two running: running */
    assert_string_equal(kl_state_string(&doms[0], st), "r-----");
    doms[2].state = KEEL_DOMSTATE_SHUTDOWN;
    doms[2].shutdown_reason = KEEL_SHUTDOWN_POWEROFF;
    assert_string_equal(kl_state_string(&doms[2], st), "---s--");
    doms[2].shutdown_reason = 2;                        /* suspend */
    assert_string_equal(kl_state_string(&doms[2], st), "---ss-");
    doms[2].shutdown_reason = 77;                       /* nothing xl knows */
    assert_string_equal(kl_state_string(&doms[2], st), "---s?-");
}

static void test_vcpu_list(void **state)
{
    static const struct { int dom; struct keel_vcpu_info v; } rows[] = {
        { 0, { 0, 0, KEEL_VCPUINFO_RUNNING, 0, 5500000000ull } },
        { 0, { 1, 3, KEEL_VCPUINFO_BLOCKED, 0, 6840000000ull } },
        { 1, { 0, 2, KEEL_VCPUINFO_BLOCKED, 0, 70000000ull } },
        { 3, { 7, 1, KEEL_VCPUINFO_BLOCKED | KEEL_VCPUINFO_OFFLINE, 0, 0 } },
    };
    FILE *f = capture();

    (void)state;
    kl_fmt_vcpu_header(f);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        kl_fmt_vcpu_row(f, &doms[rows[i].dom], &rows[i].v, 4);
    same(f, "vcpu-list.txt");
}

/* xl's print_bitmap(), case by case. */
static void test_bitmap(void **state)
{
    static const struct { uint8_t map[2]; unsigned bits; const char *want; } c[] = {
        { { 0x0f }, 4, "all" }, { { 0x00 }, 4, "none" }, { { 0x01 }, 4, "0" }, { { 0x08 }, 4, "3" },
        { { 0x0e }, 4, "1-3" }, { { 0x4b }, 8, "0-1,3,6" }, { { 0xff, 0x01 }, 12, "0-8" },
        { { 0xf0, 0x0f }, 16, "4-11" }, { { 0x01 }, 1, "all" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        FILE *f = capture();
        kl_fmt_bitmap(f, c[i].map, c[i].bits);
        fclose(f);
        if (strcmp(out, c[i].want))
            fail_msg("bitmap %02x%02x/%u: got '%s', want '%s'", c[i].map[1], c[i].map[0], c[i].bits, out, c[i].want);
    }
}

static void test_info(void **state)
{
    static const uint32_t caps[8] = { 0x178bfbff, 0x7ed8320b, 0x2fd3fbff, 0x75c237ff, 0xf, 0x219c01ab, 0x0040069c,
                                      0x6799 };
    struct kl_host h;
    FILE *f;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.host = "srv1";
    h.release = "6.1.0-27-amd64";
    h.version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)";
    h.machine = "x86_64";
    h.pi.nr_cpus = 4;
    h.pi.max_cpu_id = 3;
    h.pi.cores_per_socket = 2;
    h.pi.threads_per_core = 2;
    h.pi.tsc_khz = 2992968;
    memcpy(h.pi.hw_caps, caps, sizeof(caps));
    h.pi.virt_caps = KEEL_VIRT_CAP_HVM | KEEL_VIRT_CAP_HAP | KEEL_VIRT_CAP_SVM;
    h.pi.total_bytes = 16383ull << 20;
    h.pi.free_bytes = (2047ull << 20) + 4095;
    h.pi.abi_version = 6;
    memcpy(h.pi.version, "0.6-test", 9);
    f = capture();
    assert_int_equal(kl_fmt_info(f, &h, NULL), 21);
    same(f, "info.txt");
    /* `kl info FIELD`: the value alone; a prefix matches as in xl (free_memory and free_cpus). */
    f = capture();
    assert_int_equal(kl_fmt_info(f, &h, "free_memory"), 1);
    fclose(f);
    assert_string_equal(out, "2047\n");
    f = capture();
    assert_int_equal(kl_fmt_info(f, &h, "free"), 2);
    fclose(f);
    assert_string_equal(out, "2047\n0\n");
    f = capture();
    assert_int_equal(kl_fmt_info(f, &h, "nosuch"), 0);
    fclose(f);
    assert_string_equal(out, "");
    /* No capabilities: xl's "virt_caps              :" with nothing, and no value for the field. */
    h.pi.virt_caps = 0;
    f = capture();
    assert_int_equal(kl_fmt_info(f, &h, "virt_caps"), 0);
    fclose(f);
}

static void test_uptime(void **state)
{
    char buf[64];
    FILE *f;

    (void)state;
    for (int s = 0; s < 2; s++) {
        f = capture();
        if (!s)
            kl_fmt_uptime_header(f);
        for (int i = 0; i < 4; i++)
            kl_fmt_uptime_row(f, doms[i].name, doms[i].domid, (unsigned long)(doms[i].uptime_ns / 1000000000u), s,
                              "12:34:56");
        same(f, s ? "uptime-s.txt" : "uptime.txt");
    }
    assert_string_equal(kl_fmt_uptime(buf, sizeof(buf), 0, 0), " 0:00:00");
    assert_string_equal(kl_fmt_uptime(buf, sizeof(buf), 86400, 0), "1 day,  0:00:00");
    assert_string_equal(kl_fmt_uptime(buf, sizeof(buf), 172800 + 36000, 1), "2 days, 10:00");
}

#define WEB_CFG "name = 'web'\nmemory = 256\nmaxmem = 512\nvcpus = 1\nmaxvcpus = 2\nkernel = '/srv/vmlinuz'\n" \
                "ramdisk = '/srv/initrd'\nroot = '/dev/vda ro'\nextra = 'console=hvc0'\non_crash = 'preserve'\n" \
                "disk = [ 'format=qcow2,vdev=xvda,access=rw,backendtype=qdisk,target=/srv/web.qcow2' ]\n" \
                "vif = [ 'mac=00:16:3e:01:02:03,bridge=xenbr0,ip=10.0.0.5' ]\n"

static void test_list_long(void **state)
{
    struct kl_config c;
    char err[512];
    FILE *f;

    (void)state;
    kl_config_init(&c);
    assert_int_equal(kl_config_parse(&c, WEB_CFG, strlen(WEB_CFG), "web.cfg", 0, err, sizeof(err)), 0);
    assert_int_equal(kl_config_finish(&c, err, sizeof(err)), 0);
    f = capture();
    kl_fmt_json_begin(f);
    kl_fmt_json_domain(f, &doms[0], NULL, 1);
    kl_fmt_json_domain(f, &doms[1], &c, 0);
    kl_fmt_json_end(f, 1);
    same(f, "list-l.json");
    f = capture();
    kl_fmt_json_begin(f);
    kl_fmt_json_end(f, 0);
    same(f, "list-l-empty.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_list, setup),
        cmocka_unit_test_setup(test_vcpu_list, setup),
        cmocka_unit_test(test_bitmap),
        cmocka_unit_test(test_info),
        cmocka_unit_test_setup(test_uptime, setup),
        cmocka_unit_test_setup(test_list_long, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    free(out);
    return rc;
}

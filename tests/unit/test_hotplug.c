/*
 * keel-dm's hotplug (tools/keel-dm/control.c): requests on the control
 * socket as kl sends them, the registers the guest's AML reads and writes,
 * and a guest that ejects what nobody asked for. The poll loop is played by
 * the test (accept() runs when it calls the recorded watch).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>
#include "../../tools/keel-dm/dm.h"

#define RAM (4u << 20)

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct dm dm;
static unsigned events;
static void (*accept_cb)(void *);
static void *accept_arg;
static char img[64];

void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg)
{
    if (!accept_cb) {
        accept_cb = in;
        accept_arg = arg;
    }
}
int dm_hotplug_event(struct dm *d) { events++; return 0; }
void dm_plug(struct dm *d, unsigned slot, struct virtio_dev *v, enum dm_kind kind, const char *spec)
{
    d->bus.dev[slot] = &v->pci;
    d->vdev[slot] = v;
    d->kind[slot] = kind;
    snprintf(d->spec[slot], sizeof(d->spec[slot]), "%s", spec ? spec : "");
}

/* Send @req as kl does; the control socket's watch runs; the answer (if it came at once) into @out. */
static int request(const char *req, char *out, size_t len)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    ssize_t n;

    snprintf(a.sun_path, sizeof(a.sun_path), KEEL_DM_CONTROL_FMT, dm.domid);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(send(s, req, strlen(req), 0), (ssize_t)strlen(req));
    accept_cb(accept_arg);
    n = recv(s, out, len - 1, MSG_DONTWAIT);
    out[n > 0 ? n : 0] = '\0';
    return s;
}

static int setup(void **state)
{
    (void)state;
    memset(&dm, 0, sizeof(dm));
    dm.mem.base = ram;
    dm.mem.size = RAM;
    dm.domid = 60000 + (uint32_t)getpid() % 5000;
    snprintf(dm.name, sizeof(dm.name), "hp");
    events = 0;
    mkdir("/run", 0755);
    mkdir("/run/keel", 0755);
    snprintf(img, sizeof(img), "/tmp/keel-hp-XXXXXX");
    close(mkstemp(img));
    assert_int_equal(truncate(img, 1 << 20), 0);
    assert_int_equal(control_init(&dm), 0);
    return 0;
}

static int teardown(void **state)
{
    char path[64];

    (void)state;
    for (unsigned i = 0; i < PCI_MAX_DEVS; i++)
        if (dm.kind[i] == DM_BLK) {
            blk_destroy(dm.vdev[i]);
            free(dm.vdev[i]);
        }
    unlink(img);
    snprintf(path, sizeof(path), KEEL_DM_CONTROL_FMT, dm.domid);
    unlink(path);
    return 0;
}

static void test_attach_detach(void **state)
{
    char out[256], req[128];
    int s;

    (void)state;
    /* A disk: a free slot, its bit to check, the event. */
    snprintf(req, sizeof(req), "block-attach %s,raw,xvdb,rw\n", img);
    close(request(req, out, sizeof(out)));
    assert_string_equal(out, "ok 1\n");
    assert_int_equal(dm.kind[1], DM_BLK);
    assert_int_equal(events, 1);
    assert_int_equal(hotplug_read(&dm, 0, 4), 1u << 1);
    hotplug_write(&dm, 0, 4, 1u << 1);                                              /* the AML clears it */
    assert_int_equal(hotplug_read(&dm, 0, 4), 0);
    /* The same vdev again: refused. */
    close(request(req, out, sizeof(out)));
    assert_non_null(strstr(out, "error: the domain has a disk at xvdb already"));
    /* The list. */
    close(request("list\n", out, sizeof(out)));
    assert_non_null(strstr(out, "1 disk 1 "));
    /* A detach waits for the guest's eject. */
    s = request("block-detach vdb\n", out, sizeof(out));
    assert_string_equal(out, "");
    assert_int_equal(hotplug_read(&dm, 4, 4), 1u << 1);
    /* An eject of a slot nobody asked for (slot 2) does nothing; slot 1's ends the detach. */
    hotplug_write(&dm, 8, 4, 1u << 2);
    hotplug_write(&dm, 8, 4, 1u << 1);
    assert_null(dm.bus.dev[1]);
    assert_int_equal(dm.kind[1], DM_NONE);
    assert_int_equal(recv(s, out, sizeof(out) - 1, 0), 3);
    close(s);
    /* The slot is free again. */
    close(request(req, out, sizeof(out)));
    assert_string_equal(out, "ok 1\n");
}

static void test_bad_requests(void **state)
{
    char out[256];

    (void)state;
    close(request("block-attach /x,vmdk,xvda\n", out, sizeof(out)));
    assert_non_null(strstr(out, "error: disk '/x,vmdk,xvda'"));
    close(request("block-detach xvdq\n", out, sizeof(out)));
    assert_string_equal(out, "error: the domain has no disk xvdq\n");
    close(request("block-detach nonsense\n", out, sizeof(out)));
    assert_non_null(strstr(out, "is not a disk name"));
    close(request("network-detach 7\n", out, sizeof(out)));
    assert_string_equal(out, "error: the domain has no vif 7\n");
    close(request("network-detach 7x\n", out, sizeof(out)));
    assert_non_null(strstr(out, "neither a devid nor a MAC"));
    close(request("frobnicate now\n", out, sizeof(out)));
    assert_string_equal(out, "error: unknown request 'frobnicate'\n");
    close(request("block-attach\n", out, sizeof(out)));
    assert_non_null(strstr(out, "wants an argument"));
    close(request("network-attach mac=zz\n", out, sizeof(out)));
    assert_non_null(strstr(out, "error: vif 'mac=zz'"));
    /* The guest's registers: odd sizes read all ones and write nothing. */
    assert_int_equal(hotplug_read(&dm, 0, 2), 0xffffffffu);
    hotplug_write(&dm, 8, 1, 0xff);
    assert_int_equal(events, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attach_detach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

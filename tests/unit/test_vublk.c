/*
 * keel-dm's vhost-user front end against the real back end:
 * qemu-storage-daemon exports a qcow2 image (over a raw backing file, made
 * with qemu-img) as vhost-user-blk; the domain's RAM is a memfd here. A
 * driver brings the device up, reads a sector that lives in the backing
 * file, writes one and reads it back; the image then checks clean.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "ring.h"
#include "../../tools/keel-dm/dm.h"
#include "kl_devspec.h"

#define RAM     (4u << 20)
#define BAR     0xc0100000u
#define DESC    0x1000u
#define AVAIL   0x2000u
#define USED    0x3000u
#define QSIZE   16

static struct dm dm;
static uint8_t *ram;
static struct virtio_dev v;
static char dir[64], img[128], base[128];
static int call_fd = -1;
static void (*call_fn)(void *);
static void *call_arg;
static unsigned nr_msi;

int dm_msi(struct dm *d, uint64_t addr, uint32_t data) { nr_msi++; return 0; }
void dm_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}
void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg)
{
    if (in) {
        call_fd = fd;
        call_fn = in;
        call_arg = arg;
    }
}

static void wr(uint64_t gpa, unsigned size, uint64_t val) { pci_mmio_write(&dm.bus, gpa, size, val); }
static uint64_t rd(uint64_t gpa, unsigned size) { return pci_mmio_read(&dm.bus, gpa, size); }

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    ring_put_desc(ram, DESC, i, addr, len, flags, next);
}

/* One request through the back end; its status (or -1 if no completion came within 10 s). */
static int request(uint32_t type, uint64_t sector)
{
    uint16_t idx, used;
    uint8_t hdr[16] = { 0 };
    struct pollfd p = { call_fd, POLLIN, 0 };

    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    memcpy(ram + 0x90000, hdr, 16);
    ram[0x90100] = 0xee;
    put_desc(0, 0x90000, 16, 1, 1);
    put_desc(1, 0x100000, 512, 1 | (type == 0 ? 2 : 0), 2);
    put_desc(2, 0x90100, 1, 2, 0);
    memcpy(&idx, ram + AVAIL + 2, 2);
    memcpy(&used, ram + USED + 2, 2);
    memset(ram + AVAIL + 4 + 2 * (idx % QSIZE), 0, 2);
    idx++;
    __atomic_store_n((uint16_t *)(ram + AVAIL + 2), idx, __ATOMIC_RELEASE);
    wr(BAR + 0x3000, 2, 0);
    /* Calls until the used index moves (a back end may also call when its ring starts). */
    for (int t = 0; t < 100 && __atomic_load_n((uint16_t *)(ram + USED + 2), __ATOMIC_ACQUIRE) == used; t++)
        if (poll(&p, 1, 100) == 1)
            call_fn(call_arg);
    if (__atomic_load_n((uint16_t *)(ram + USED + 2), __ATOMIC_ACQUIRE) == used)
        return -1;
    return ram[0x90100];
}

static int setup(void **state)
{
    char cmd[512];
    FILE *f;

    (void)state;
    strcpy(dir, "/tmp/keel-vublk-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(base, sizeof(base), "%s/base.raw", dir);
    snprintf(img, sizeof(img), "%s/top.qcow2", dir);
    f = fopen(base, "w");
    for (int i = 0; i < 2048; i++)
        fputc(i < 512 ? 'B' : 0, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 -F raw -b %s %s", base, img);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown(void **state)
{
    char cmd[256];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void test_qcow2_through_daemon(void **state)
{
    struct kl_disk d;
    char err[100], spec[200], cmd[300];
    size_t where;

    (void)state;
    memset(&dm, 0, sizeof(dm));
    dm.domid = 4242;
    dm.ram_fd = memfd_create("ram", MFD_CLOEXEC);
    assert_true(dm.ram_fd >= 0);
    assert_int_equal(ftruncate(dm.ram_fd, RAM), 0);
    ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, dm.ram_fd, 0);
    assert_true(ram != MAP_FAILED);
    dm.mem.base = ram;
    dm.mem.size = RAM;
    snprintf(spec, sizeof(spec), "%s,qcow2,xvda,rw", img);
    assert_int_equal(kl_disk_parse(spec, &d, err, sizeof(err), &where), 0);
    if (vublk_create(&v, &dm, &d))
        fail_msg("qemu-storage-daemon did not come up");
    dm.bus.dev[1] = &v.pci;
    assert_int_equal(rd(BAR + 0x2000, 4), 0xffffffffu);                 /* decoding off */
    pci_cfg_write(&dm.bus, 1u << 11 | 0x10, 4, BAR);
    pci_cfg_write(&dm.bus, 1u << 11 | 0x04, 2, 6);
    assert_int_equal(rd(BAR + 0x2000, 4), 4);                           /* 2048 bytes: 4 sectors */
    wr(BAR + 0x14, 1, 0);
    wr(BAR + 0x14, 1, 3);
    wr(BAR + 0x00, 4, 1);
    assert_true(rd(BAR + 0x04, 4) & 1);
    wr(BAR + 0x08, 4, 1);
    wr(BAR + 0x0c, 4, 1);
    wr(BAR + 0x08, 4, 0);
    wr(BAR + 0x0c, 4, 1u << 9);
    wr(BAR + 0x14, 1, 0xb);
    assert_true(rd(BAR + 0x14, 1) & 8);
    pci_cfg_write(&dm.bus, 1u << 11 | 0x84, 4, 0x80000000u);           /* MSI-X on */
    wr(BAR + 0x4000 + 16, 4, 0xfee00000);
    wr(BAR + 0x4000 + 24, 4, 0x41);
    wr(BAR + 0x4000 + 28, 4, 0);
    wr(BAR + 0x16, 2, 0);
    wr(BAR + 0x18, 2, QSIZE);
    wr(BAR + 0x1a, 2, 1);
    wr(BAR + 0x20, 4, DESC);
    wr(BAR + 0x28, 4, AVAIL);
    wr(BAR + 0x30, 4, USED);
    wr(BAR + 0x1c, 2, 1);
    wr(BAR + 0x14, 1, 0xf);
    assert_false(rd(BAR + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    /* Sector 0 comes from the backing file; sector 2 is written into the qcow2 and read back. */
    assert_int_equal(request(0, 0), 0);
    assert_int_equal(ram[0x100000], 'B');
    memset(ram + 0x100000, 'Q', 512);
    assert_int_equal(request(1, 2), 0);
    memset(ram + 0x100000, 0, 512);
    assert_int_equal(request(4, 0), 0);                                 /* flush */
    assert_int_equal(request(0, 2), 0);
    assert_int_equal(ram[0x100000 + 100], 'Q');
    assert_int_equal(request(0, 100), 1);                               /* past the end */
    assert_true(nr_msi >= 4);
    wr(BAR + 0x14, 1, 0);                                               /* reset: the ring stops */
    vublk_stop(&v);
    snprintf(cmd, sizeof(cmd), "qemu-img check -q %s", img);
    assert_int_equal(system(cmd), 0);                                   /* closed cleanly */
    munmap(ram, RAM);
    close(dm.ram_fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qcow2_through_daemon, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * keel-dm's PCI bus and virtio transport (tools/keel-dm/pci.c,
 * virtio_pci.c) with virtio-blk over a temporary file: configuration
 * space as a guest's PCI code reads it, a driver's bring-up as Linux's
 * virtio_pci does it, requests, and hostile rings that must stop only
 * their own device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include "ring.h"
#include "../../tools/keel-dm/dm.h"
#include "kl_devspec.h"

#define RAM     (4u << 20)
#define BAR_A   0xc0100000u
#define BAR_B   0xc0200000u
#define DESC    0x1000u
#define AVAIL   0x2000u
#define USED    0x3000u
#define QSIZE   16
static unsigned qsize = QSIZE;          /* the rings bring_up() sets up */

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct dm dm;
static struct pci_dev bridge;
static struct virtio_dev va, vb;
static char path_a[64], path_b[64];
static unsigned nr_msi, nr_ioevents;
static uint64_t last_msi_addr;
static uint32_t last_msi_data;

int dm_msi(struct dm *d, uint64_t addr, uint32_t data)
{
    nr_msi++;
    last_msi_addr = addr;
    last_msi_data = data;
    return 0;
}
uint32_t dm_ioevent_add(struct dm *d, uint64_t gpa) { nr_ioevents++; return 40 + nr_ioevents; }

static int intx_level = -1;
static unsigned intx_slot;
int dm_intx(struct dm *d, unsigned slot, int level)
{
    intx_slot = slot;
    intx_level = level;
    return 0;
}

/* The kernel's eventfd bindings as keel-dm asks for them (virtio_queue_backend). */
static int irqfd_works, irqfd_fd = -1, kick_fd = -1, watch_fd = -1;
static uint32_t kick_port;
static uint64_t irqfd_addr;
static uint32_t irqfd_data;
static void (*watch_in)(void *);
static void *watch_arg;

int dm_ioeventfd(struct dm *d, uint32_t port, int fd)
{
    kick_port = port;
    kick_fd = fd;
    return 0;
}
int dm_irqfd(struct dm *d, int fd, int assign, uint64_t addr, uint32_t data)
{
    if (!irqfd_works)
        return -ENOTTY;
    assert_int_equal(irqfd_fd, assign ? -1 : fd);      /* one at a time, removed before it is replaced */
    irqfd_fd = assign ? fd : -1;
    irqfd_addr = addr;
    irqfd_data = data;
    return 0;
}
void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg)
{
    assert_int_equal(watch_fd, -1);
    watch_fd = fd;
    watch_in = in;
    watch_arg = arg;
}
void dm_unwatch(int fd)
{
    assert_int_equal(watch_fd, fd);
    watch_fd = -1;
}

static uint32_t cfg_rd(unsigned dev, unsigned reg, unsigned size)
{
    return pci_cfg_read(&dm.bus, (uint64_t)dev << 11 | reg, size);
}
static void cfg_wr(unsigned dev, unsigned reg, unsigned size, uint32_t v)
{
    pci_cfg_write(&dm.bus, (uint64_t)dev << 11 | reg, size, v);
}
static uint64_t rd(uint64_t gpa, unsigned size) { return pci_mmio_read(&dm.bus, gpa, size); }
static void wr(uint64_t gpa, unsigned size, uint64_t v) { pci_mmio_write(&dm.bus, gpa, size, v); }

static void make_file(char *path, const char *tag)
{
    char block[512];
    FILE *f;

    snprintf(path, 64, "/tmp/keel-virtio-%s-XXXXXX", tag);
    close(mkstemp(path));
    f = fopen(path, "w");
    for (int i = 0; i < 64; i++) {
        memset(block, 'a' + i % 26, sizeof(block));
        fwrite(block, 1, sizeof(block), f);
    }
    fclose(f);
}

static int setup(void **state)
{
    struct kl_disk d;
    char err[100];
    size_t where;

    (void)state;
    memset(&dm, 0, sizeof(dm));
    memset(ram, 0, sizeof(ram));
    dm.mem.base = ram;
    dm.mem.size = RAM;
    pci_init_host_bridge(&bridge);
    dm.bus.dev[0] = &bridge;
    make_file(path_a, "a");
    make_file(path_b, "b");
    char spec[128];
    snprintf(spec, sizeof(spec), "%s,raw,xvda,rw", path_a);
    assert_int_equal(kl_disk_parse(spec, &d, err, sizeof(err), &where), 0);
    assert_int_equal(blk_create(&va, &dm, &d), 0);
    snprintf(spec, sizeof(spec), "%s,raw,xvdb,ro", path_b);
    assert_int_equal(kl_disk_parse(spec, &d, err, sizeof(err), &where), 0);
    assert_int_equal(blk_create(&vb, &dm, &d), 0);
    dm.bus.dev[1] = &va.pci;
    dm.bus.dev[2] = &vb.pci;
    dm.vdev[1] = &va;
    dm.vdev[2] = &vb;
    nr_msi = nr_ioevents = 0;
    qsize = QSIZE;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    blk_destroy(&va);
    blk_destroy(&vb);
    unlink(path_a);
    unlink(path_b);
    return 0;
}

static void test_config_space(void **state)
{
    unsigned caps = 0, msix = 0;

    (void)state;
    /* The host bridge: ID, class, nothing writable. */
    assert_int_equal(cfg_rd(0, 0, 4), 0x00081b36);
    assert_int_equal(cfg_rd(0, 0x08, 4) >> 8, 0x060000);
    cfg_wr(0, 0x04, 2, 0xffff);
    assert_int_equal(cfg_rd(0, 0x04, 2), 0);
    /* Absent devices, functions and buses float high, at every size. */
    assert_int_equal(cfg_rd(5, 0, 4), 0xffffffffu);
    assert_int_equal(cfg_rd(5, 0, 2), 0xffff);
    assert_int_equal(pci_cfg_read(&dm.bus, 1u << 11 | 1u << 8, 4), 0xffffffffu);      /* 00:01.1 */
    assert_int_equal(pci_cfg_read(&dm.bus, 1u << 16 | 1u << 11, 4), 0xffffffffu);     /* 01:01.0 */
    assert_int_equal(cfg_rd(1, 0xfe, 4), 0xffffffffu);                               /* past the end */
    /* A virtio-blk function (virtio 1.2 4.1.2): 1af4:1042, revision 1, subsystem >= 0x40. */
    assert_int_equal(cfg_rd(1, 0, 4), 0x10421af4);
    assert_int_equal(cfg_rd(1, 0x08, 1), 1);
    assert_true(cfg_rd(1, 0x2e, 2) >= 0x40);
    assert_true(cfg_rd(1, 0x06, 2) & 0x10);                                          /* a capability list */
    /* BAR sizing (PCI 3.0 6.2.5.1): all ones in, the size out; then an address. */
    cfg_wr(1, 0x10, 4, 0xffffffff);
    assert_int_equal(cfg_rd(1, 0x10, 4), 0xffff8000u);
    cfg_wr(1, 0x10, 4, BAR_A);
    assert_int_equal(cfg_rd(1, 0x10, 4), BAR_A);
    assert_int_equal(cfg_rd(1, 0x14, 4), 0);                                         /* no other BARs */
    /* Read-only fields stay. */
    cfg_wr(1, 0, 4, 0);
    assert_int_equal(cfg_rd(1, 0, 4), 0x10421af4);
    /* The capability chain ends, and has the four virtio structures and MSI-X. */
    for (unsigned p = cfg_rd(1, 0x34, 1), n = 0; p; p = cfg_rd(1, p + 1, 1)) {
        assert_true(++n < 16 && p >= 0x40 && p < 0xff);
        if (cfg_rd(1, p, 1) == 0x09)
            caps |= 1u << cfg_rd(1, p + 3, 1);
        if (cfg_rd(1, p, 1) == 0x11)
            msix = p;
    }
    assert_int_equal(caps, 0x3e);                                                    /* types 1-5 */
    assert_int_not_equal(msix, 0);
    assert_int_equal(cfg_rd(1, msix + 2, 2) & 0x7ff, 1);                             /* 2 vectors */
    /* Memory decoding off: the BAR answers nothing. */
    assert_int_equal(rd(BAR_A + 0x12, 2), 0xffff);
}

/* The driver's feature bits 0-31: block's FLUSH and INDIRECT_DESC, unless a test says otherwise. */
static uint32_t drv_features = 1u << 9 | 1u << 28;

/* Bring a device up as Linux's virtio_pci_modern does. */
static void bring_up(unsigned dev, uint32_t bar, uint64_t ring_base)
{
    cfg_wr(dev, 0x10, 4, bar);
    cfg_wr(dev, 0x04, 2, 0x6);                                                       /* memory, bus master */
    wr(bar + 0x14, 1, 0);                                                            /* reset */
    wr(bar + 0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    wr(bar + 0x00, 4, 1);
    assert_true(rd(bar + 0x04, 4) & 1);                                              /* VERSION_1 */
    wr(bar + 0x08, 4, 0);
    wr(bar + 0x0c, 4, drv_features);                                                 /* FLUSH, INDIRECT */
    wr(bar + 0x08, 4, 1);
    wr(bar + 0x0c, 4, 1);
    wr(bar + 0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(rd(bar + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
    /* MSI-X on: vector 0 config, vector 1 the queue. */
    cfg_wr(dev, 0x84 + 2, 2, 0x8000);
    wr(bar + 0x4000 + 16, 4, 0xfee00000);
    wr(bar + 0x4000 + 16 + 8, 4, 0x41);
    wr(bar + 0x4000 + 16 + 12, 4, 0);
    wr(bar + 0x4000, 4, 0xfee00000);
    wr(bar + 0x4000 + 8, 4, 0x40);
    wr(bar + 0x4000 + 12, 4, 0);
    wr(bar + 0x10, 2, 0);
    wr(bar + 0x16, 2, 0);
    assert_int_equal(rd(bar + 0x18, 2), 256);
    wr(bar + 0x18, 2, qsize);
    wr(bar + 0x1a, 2, 1);
    wr(bar + 0x20, 4, (uint32_t)(ring_base + DESC));
    wr(bar + 0x24, 4, 0);
    wr(bar + 0x28, 4, (uint32_t)(ring_base + AVAIL));
    wr(bar + 0x2c, 4, 0);
    wr(bar + 0x30, 4, (uint32_t)(ring_base + USED));
    wr(bar + 0x34, 4, 0);
    wr(bar + 0x1c, 2, 1);
    wr(bar + 0x14, 1, 0xf);
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    ring_put_desc(ram, table, i, addr, len, flags, next);
}

static void offer(uint64_t base, uint16_t head)
{
    uint16_t idx;

    memcpy(&idx, ram + base + AVAIL + 2, 2);
    memcpy(ram + base + AVAIL + 4 + 2 * (idx % qsize), &head, 2);
    idx++;
    memcpy(ram + base + AVAIL + 2, &idx, 2);
}

/* A request of @type for @sector with a data buffer of @len at 0x100000: its status. */
static uint8_t request(uint64_t base, uint32_t bar, uint32_t type, uint64_t sector, uint32_t len)
{
    uint8_t hdr[16] = { 0 };

    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    memcpy(ram + 0x90000, hdr, 16);
    ram[0x90100] = 0xee;
    put_desc(base + DESC, 0, 0x90000, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(base + DESC, 1, 0x100000, len, VIRTQ_DESC_F_NEXT | (type == 0 ? VIRTQ_DESC_F_WRITE : 0), 2);
    put_desc(base + DESC, 2, 0x90100, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(base, 0);
    wr(bar + 0x3000, 2, 0);                                                          /* notify queue 0 */
    return ram[0x90100];
}

static void test_driver_and_requests(void **state)
{
    uint16_t used;

    (void)state;
    bring_up(1, BAR_A, 0);
    assert_int_equal(rd(BAR_A + 0x14, 1), 0xf);
    assert_int_equal(nr_ioevents, 1);                                                /* the queue's notify address */
    /* Capacity: 64 sectors. */
    assert_int_equal(rd(BAR_A + 0x2000, 4), 64);
    /* Read sector 3 ('d's). */
    assert_int_equal(request(0, BAR_A, 0, 3, 512), 0);
    assert_int_equal(ram[0x100000], 'd');
    assert_int_equal(ram[0x100000 + 511], 'd');
    memcpy(&used, ram + USED + 2, 2);
    assert_int_equal(used, 1);
    assert_int_equal(nr_msi, 1);
    assert_int_equal(last_msi_data, 0x41);
    /* Write sector 5, read it back. */
    memset(ram + 0x100000, 'Z', 1024);
    assert_int_equal(request(0, BAR_A, 1, 5, 1024), 0);
    memset(ram + 0x100000, 0, 1024);
    assert_int_equal(request(0, BAR_A, 0, 6, 512), 0);
    assert_int_equal(ram[0x100000], 'Z');
    assert_int_equal(request(0, BAR_A, 4, 0, 0) , 0);                                /* flush */
    /* Past the end, and not whole sectors: errors, the device goes on. */
    assert_int_equal(request(0, BAR_A, 0, 64, 512), 1);
    assert_int_equal(request(0, BAR_A, 0, 63, 1024), 1);
    assert_int_equal(request(0, BAR_A, 0, ~0ull / 256, 512), 1);
    assert_int_equal(request(0, BAR_A, 0, 0, 100), 1);

    assert_int_equal(request(0, BAR_A, 77, 0, 512), 2);                             /* unsupported */
    assert_int_equal(request(0, BAR_A, 0, 1, 512), 0);
    assert_false(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    /* A masked vector: the interrupt waits in the PBA until unmasked. */
    unsigned before = nr_msi;
    wr(BAR_A + 0x4000 + 16 + 12, 4, 1);
    assert_int_equal(request(0, BAR_A, 0, 1, 512), 0);
    assert_int_equal(nr_msi, before);
    assert_int_equal(rd(BAR_A + 0x5000, 4) & 2, 2);
    wr(BAR_A + 0x4000 + 16 + 12, 4, 0);
    assert_int_equal(nr_msi, before + 1);
    assert_int_equal(rd(BAR_A + 0x5000, 4) & 2, 0);
}

/* A request naming more than keel-dm moves at once (overlapping buffers: 34 MiB from 2 MiB of RAM). */
static void test_request_cap(void **state)
{
    uint32_t type = 0;
    uint64_t sector = 0;

    (void)state;
    assert_int_equal(truncate(path_a, 64 << 20), 0);                                  /* room for it */
    blk_destroy(&va);
    struct kl_disk d;
    char err[100], spec[128];
    size_t where;
    snprintf(spec, sizeof(spec), "%s,raw,xvda,rw", path_a);
    assert_int_equal(kl_disk_parse(spec, &d, err, sizeof(err), &where), 0);
    assert_int_equal(blk_create(&va, &dm, &d), 0);
    bring_up(1, BAR_A, 0);
    memcpy(ram + 0x90000, &type, 4);
    memcpy(ram + 0x90008, &sector, 8);
    put_desc(0x80000, 0, 0x90000, 16, VIRTQ_DESC_F_NEXT, 1);
    for (unsigned i = 1; i <= 17; i++)
        put_desc(0x80000, i, 0x100000, 2u << 20, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(i + 1));
    put_desc(0x80000, 18, 0x90100, 1, VIRTQ_DESC_F_WRITE, 0);
    put_desc(DESC, 0, 0x80000, 19 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    ram[0x90100] = 0xee;
    offer(0, 0);
    wr(BAR_A + 0x3000, 2, 0);
    assert_int_equal(ram[0x90100], 1);                                                 /* I/O error */
    assert_false(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);                    /* the device goes on */
}

/* virtio-rng: no device configuration capability; writable buffers come back filled. */
static void test_rng(void **state)
{
    static struct virtio_dev vr;
    unsigned caps = 0, nonzero = 0;
    uint16_t used;
    uint32_t len;

    (void)state;
    rng_create(&vr, &dm);
    dm.bus.dev[3] = &vr.pci;
    assert_int_equal(cfg_rd(3, 0, 4), 0x10441af4);
    for (unsigned p = cfg_rd(3, 0x34, 1); p; p = cfg_rd(3, p + 1, 1))
        if (cfg_rd(3, p, 1) == 0x09)
            caps |= 1u << cfg_rd(3, p + 3, 1);
    assert_int_equal(caps, 0x2e);                                                    /* common, notify, ISR, PCI */
    drv_features = 1u << 28;
    bring_up(3, 0xc0300000u, 0x200000);
    drv_features = 1u << 9 | 1u << 28;
    memset(ram + 0x100000, 0, 64);
    put_desc(0x200000 + DESC, 0, 0x100000, 64, VIRTQ_DESC_F_WRITE, 0);
    offer(0x200000, 0);
    wr(0xc0300000u + 0x3000, 2, 0);
    memcpy(&used, ram + 0x200000 + USED + 2, 2);
    memcpy(&len, ram + 0x200000 + USED + 8, 4);
    assert_int_equal(used, 1);
    assert_int_equal(len, 64);
    for (unsigned i = 0; i < 64; i++)
        nonzero += ram[0x100000 + i] != 0;
    assert_true(nonzero > 32);
    /* A readable buffer: not the driver's to give; the device needs a reset. */
    put_desc(0x200000 + DESC, 1, 0x100000, 64, 0, 0);
    offer(0x200000, 1);
    wr(0xc0300000u + 0x3000, 2, 0);
    assert_true(rd(0xc0300000u + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * The PCI configuration access capability (virtio 1.2 4.1.4.9): BAR 0
 * through configuration space, with memory decoding off; a window the
 * driver set up wrongly makes no access at all.
 */
static void test_pci_cfg_window(void **state)
{
    unsigned cap = 0;

    (void)state;
    for (unsigned p = cfg_rd(1, 0x34, 1); p; p = cfg_rd(1, p + 1, 1))
        if (cfg_rd(1, p, 1) == 0x09 && cfg_rd(1, p + 3, 1) == 5)
            cap = p;
    assert_int_not_equal(cap, 0);
    assert_int_equal(cfg_rd(1, cap + 2, 1), 20);                                     /* cap_len */
    cfg_wr(1, 0x04, 2, 0);                                                           /* no decoding */
    /* device_status, one byte: read, then a write through the window. */
    cfg_wr(1, cap + 4, 1, 0);
    cfg_wr(1, cap + 8, 4, 0x14);
    cfg_wr(1, cap + 12, 4, 1);
    cfg_wr(1, cap + 16, 1, VIRTIO_STATUS_ACK);
    assert_int_equal(cfg_rd(1, cap + 16, 1), VIRTIO_STATUS_ACK);
    assert_int_equal(va.status, VIRTIO_STATUS_ACK);
    /* The device configuration's capacity (64 sectors), four bytes. */
    cfg_wr(1, cap + 8, 4, 0x2000);
    cfg_wr(1, cap + 12, 4, 4);
    assert_int_equal(cfg_rd(1, cap + 16, 4), 64);
    /* An MSI-X table entry's data, written and read back through the window. */
    cfg_wr(1, cap + 8, 4, 0x4000 + 8);
    cfg_wr(1, cap + 16, 4, 0x4321);
    assert_int_equal(va.msix[0].data, 0x4321);
    /* Wrong set-ups: no access (the status stays; the data reads as last stored). */
    static const uint32_t bad[][3] = {
        { 1, 0x14, 1 },                 /* another BAR */
        { 0, 0x14, 3 },                 /* not 1, 2 or 4 bytes */
        { 0, 0x15, 2 },                 /* unaligned */
        { 0, 0x8000, 1 },               /* past the BAR */
        { 0, 0xfffffffc, 4 },           /* wraps */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg_wr(1, cap + 4, 1, bad[i][0]);
        cfg_wr(1, cap + 8, 4, bad[i][1]);
        cfg_wr(1, cap + 12, 4, bad[i][2]);
        cfg_wr(1, cap + 16, 4, 0);
        assert_int_equal(va.status, VIRTIO_STATUS_ACK);
        assert_int_equal(cfg_rd(1, cap + 16, 4), 0);
    }
}

/*
 * A driver without MSI-X: INTA follows the ISR, reading the ISR drops it,
 * the command register's INTx disable holds it down, the status register
 * shows the interrupt either way, and MSI-X on or a reset takes it away.
 */
static void test_intx(void **state)
{
    (void)state;
    va.pci.slot = 1;
    assert_int_equal(cfg_rd(1, 0x3d, 1), 1);                                         /* INTA */
    bring_up(1, BAR_A, 0);
    cfg_wr(1, 0x84 + 2, 2, 0);                                                       /* MSI-X off */
    assert_int_equal(request(0, BAR_A, 0, 3, 512), 0);
    assert_int_equal(nr_msi, 0);
    assert_int_equal(intx_slot, 1);
    assert_int_equal(intx_level, 1);
    assert_true(cfg_rd(1, 0x06, 2) & 0x08);                                          /* interrupt status */
    assert_int_equal(rd(BAR_A + 0x1000, 1), 1);                                      /* the ISR: a queue */
    assert_int_equal(intx_level, 0);
    assert_false(cfg_rd(1, 0x06, 2) & 0x08);
    assert_int_equal(rd(BAR_A + 0x1000, 1), 0);
    /* INTx disabled: the status shows it, the line stays down; enabled again, it goes up. */
    cfg_wr(1, 0x04, 2, 0x406);
    assert_int_equal(request(0, BAR_A, 0, 3, 512), 0);
    assert_int_equal(intx_level, 0);
    assert_true(cfg_rd(1, 0x06, 2) & 0x08);
    cfg_wr(1, 0x04, 2, 0x006);
    assert_int_equal(intx_level, 1);
    /* MSI-X on: no INTx; a reset with an interrupt pending drops the line too. */
    cfg_wr(1, 0x84 + 2, 2, 0x8000);
    assert_int_equal(intx_level, 0);
    cfg_wr(1, 0x84 + 2, 2, 0);
    assert_int_equal(intx_level, 1);
    wr(BAR_A + 0x14, 1, 0);
    assert_int_equal(intx_level, 0);
}

/*
 * A guest that keeps its ring full gets BLK_QUOTA requests a turn, with
 * its notifications off; the poll loop's next turn (virtio_queue_later)
 * serves the rest and turns them on again once the ring is empty.
 */
static void test_blk_quota(void **state)
{
    uint8_t hdr[16] = { 0 };
    uint16_t used;

    (void)state;
    qsize = 128;
    bring_up(1, BAR_A, 0);
    memcpy(ram + 0x90000, hdr, 16);                                                  /* read sector 0 */
    put_desc(DESC, 0, 0x90000, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(DESC, 1, 0x100000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    put_desc(DESC, 2, 0x90100, 1, VIRTQ_DESC_F_WRITE, 0);
    for (unsigned i = 0; i < 100; i++)
        offer(0, 0);                                                                 /* the same chain, 100 times */
    wr(BAR_A + 0x3000, 2, 0);
    memcpy(&used, ram + USED + 2, 2);
    assert_int_equal(used, 64);
    assert_int_equal(ram[USED], 1);                                                  /* VIRTQ_USED_F_NO_NOTIFY */
    assert_int_equal(va.later, 1);
    va.later = 0;
    virtio_queue_kick(&va, 0);                                                       /* the loop's next turn */
    memcpy(&used, ram + USED + 2, 2);
    assert_int_equal(used, 100);
    assert_int_equal(ram[USED], 0);                                                  /* drained: on again */
    assert_int_equal(va.later, 0);
    /* Exactly a quota: the turn after finds the ring empty and still turns notifications on. */
    for (unsigned i = 0; i < 64; i++)
        offer(0, 0);
    wr(BAR_A + 0x3000, 2, 0);
    assert_int_equal(ram[USED], 1);
    assert_int_equal(va.later, 1);
    va.later = 0;
    virtio_queue_kick(&va, 0);
    memcpy(&used, ram + USED + 2, 2);
    assert_int_equal(used, 164);
    assert_int_equal(ram[USED], 0);
    assert_false(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* Signal @fd once, as a back end does when it used buffers. */
static void signal_fd(int fd)
{
    uint64_t one = 1;

    assert_int_equal(write(fd, &one, 8), 8);
}

/*
 * A queue served by a back end through eventfds: the notify port is bound
 * to its kick, and its call is an irqfd with the vector's message while the
 * vector can take it; masked, keel-dm relays the call into the PBA.
 */
static void test_backend_fds(void **state)
{
    int kick = eventfd(0, EFD_NONBLOCK), call = eventfd(0, EFD_NONBLOCK);
    uint64_t n;

    (void)state;
    irqfd_works = 1;
    virtio_queue_backend(&va, 0, kick, call);
    assert_int_equal(watch_fd, call);                  /* no vector yet: keel-dm holds it */
    assert_int_equal(irqfd_fd, -1);
    bring_up(1, BAR_A, 0);
    assert_int_equal(kick_port, 41);
    assert_int_equal(kick_fd, kick);
    assert_int_equal(irqfd_fd, call);
    assert_int_equal(irqfd_addr, 0xfee00000);
    assert_int_equal(irqfd_data, 0x41);
    assert_int_equal(watch_fd, -1);
    /* A notify that reaches keel-dm (no ioevent) still kicks the back end, not the device. */
    wr(BAR_A + 0x3000, 2, 0);
    assert_int_equal(read(kick, &n, 8), 8);
    assert_int_equal(n, 1);
    /* Masked: keel-dm relays, the interrupt waits in the PBA, then goes when unmasked. */
    wr(BAR_A + 0x4000 + 16 + 12, 4, 1);
    assert_int_equal(irqfd_fd, -1);
    assert_int_equal(watch_fd, call);
    signal_fd(call);
    watch_in(watch_arg);
    assert_int_equal(nr_msi, 0);
    assert_int_equal(rd(BAR_A + 0x5000, 4) & 2, 2);
    wr(BAR_A + 0x4000 + 16 + 12, 4, 0);
    assert_int_equal(nr_msi, 1);
    assert_int_equal(irqfd_fd, call);
    /* A new message while unmasked (a guest need not mask first): the irqfd follows it. */
    wr(BAR_A + 0x4000 + 16 + 8, 4, 0x52);
    assert_int_equal(irqfd_fd, call);
    assert_int_equal(irqfd_data, 0x52);
    /* The function's mask, MSI-X off, another vector: each takes the irqfd away or moves it. */
    cfg_wr(1, 0x84 + 2, 2, 0xc000);
    assert_int_equal(irqfd_fd, -1);
    cfg_wr(1, 0x84 + 2, 2, 0x8000);
    assert_int_equal(irqfd_fd, call);
    wr(BAR_A + 0x16, 2, 0);
    wr(BAR_A + 0x1a, 2, 0);
    assert_int_equal(irqfd_data, 0x40);                /* vector 0's message */
    wr(BAR_A + 0x1a, 2, 0xffff);
    assert_int_equal(irqfd_fd, -1);
    assert_int_equal(watch_fd, call);
    /* Reset, then the back end leaves: nothing stays bound. */
    wr(BAR_A + 0x1a, 2, 1);
    wr(BAR_A + 0x14, 1, 0);
    assert_int_equal(irqfd_fd, -1);
    virtio_queue_backend(&va, 0, -1, -1);
    assert_int_equal(watch_fd, -1);
    /* With no irqfd in the kernel, keel-dm relays every call. */
    irqfd_works = 0;
    virtio_queue_backend(&va, 0, kick, call);
    bring_up(1, BAR_A, 0);
    assert_int_equal(watch_fd, call);
    signal_fd(call);
    watch_in(watch_arg);
    assert_int_equal(nr_msi, 2);
    virtio_queue_backend(&va, 0, -1, -1);
    close(kick);
    close(call);
}

static void test_read_only(void **state)
{
    (void)state;
    bring_up(2, BAR_B, 0x200000);
    wr(BAR_B + 0x00, 4, 0);
    assert_true(rd(BAR_B + 0x04, 4) & (1u << 5));                                    /* VIRTIO_BLK_F_RO */
    memset(ram + 0x100000, 'W', 512);
    assert_int_equal(request(0x200000, BAR_B, 1, 0, 512), 1);                        /* write refused */
    assert_int_equal(request(0x200000, BAR_B, 0, 0, 512), 0);
    assert_int_equal(ram[0x100000], 'a');                                            /* unchanged */
}

static void test_hostile_ring(void **state)
{
    (void)state;
    bring_up(1, BAR_A, 0);
    bring_up(2, BAR_B, 0x200000);
    /* Device A's driver offers a looping chain: A needs a reset and says so (config vector 0). */
    put_desc(DESC, 0, 0x90000, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(DESC, 1, 0x90000, 16, VIRTQ_DESC_F_NEXT, 0);
    offer(0, 0);
    unsigned before = nr_msi;
    wr(BAR_A + 0x3000, 2, 0);
    assert_true(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(nr_msi, before + 1);
    assert_int_equal(last_msi_data, 0x40);
    /* A is not served any more; B is. */
    assert_int_equal(request(0, BAR_A, 0, 0, 512), 0xee);
    assert_int_equal(request(0x200000, BAR_B, 0, 2, 512), 0);
    assert_int_equal(ram[0x100000], 'c');
    /* Reset, bring up again: A works. */
    memset(ram, 0, 0x10000);
    bring_up(1, BAR_A, 0);
    assert_false(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(request(0, BAR_A, 0, 4, 512), 0);
    assert_int_equal(ram[0x100000], 'e');
    /* Rings outside RAM, or a size not a power of 2: the queue is not enabled; the device needs a reset. */
    wr(BAR_A + 0x14, 1, 0);
    wr(BAR_A + 0x14, 1, 0xb);
    wr(BAR_A + 0x16, 2, 0);
    wr(BAR_A + 0x18, 2, 12);
    wr(BAR_A + 0x1c, 2, 1);
    assert_int_equal(rd(BAR_A + 0x1c, 2), 0);
    assert_true(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    wr(BAR_A + 0x14, 1, 0);
    wr(BAR_A + 0x14, 1, 0xb);
    wr(BAR_A + 0x18, 2, 16);
    wr(BAR_A + 0x20, 4, RAM - 64);
    wr(BAR_A + 0x1c, 2, 1);
    assert_int_equal(rd(BAR_A + 0x1c, 2), 0);
    /* Feature bits it was not offered: FEATURES_OK does not stick. */
    wr(BAR_A + 0x14, 1, 0);
    wr(BAR_A + 0x14, 1, 3);
    wr(BAR_A + 0x08, 4, 0);
    wr(BAR_A + 0x0c, 4, 1u << 6);
    wr(BAR_A + 0x08, 4, 1);
    wr(BAR_A + 0x0c, 4, 1);
    wr(BAR_A + 0x14, 1, 0xb);
    assert_false(rd(BAR_A + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
    /* Odd sizes and offsets anywhere in the BAR: answered, nothing breaks. */
    for (uint32_t off = 0; off < 0x8000; off += 7)
        for (unsigned s = 1; s <= 8; s *= 2) {
            (void)rd(BAR_A + off, s);
            wr(BAR_A + off, s, 0xffffffffffffffffull);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_and_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rng, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_fds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blk_quota, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

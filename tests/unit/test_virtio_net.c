/*
 * keel-dm's virtio-net (tools/keel-dm/net.c) over a datagram socket pair in
 * place of the tap (both keep frame boundaries; the device reads and writes
 * the 12-byte virtio-net header in front of each frame, as IFF_VNET_HDR
 * does): its configuration, frames each way, and hostile rings that must
 * stop only this device, or drop only the frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "ring.h"
#include "../../tools/keel-dm/dm.h"

#define RAM     (4u << 20)
#define BAR     0xc0100000u
static unsigned qsize = 16;
#define QSIZE   qsize
#define RXRING  0x10000u        /* queue 0: desc, avail, used at +0, +0x1000, +0x2000 */
#define TXRING  0x20000u        /* queue 1 */
#define BUF     0x100000u
#define HDR     12

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct dm dm;
static struct pci_dev bridge;
static struct virtio_dev vn;
static int peer;                /* dom0's side of the "tap" */
static unsigned nr_msi;
static const uint8_t mac[6] = { 0x02, 0x6b, 0x6c, 0x12, 0x34, 0x00 };

int dm_msi(struct dm *d, uint64_t addr, uint32_t data) { nr_msi++; return 0; }

static uint32_t cfg_rd(unsigned reg, unsigned size) { return pci_cfg_read(&dm.bus, 1u << 11 | reg, size); }
static void cfg_wr(unsigned reg, unsigned size, uint32_t v) { pci_cfg_write(&dm.bus, 1u << 11 | reg, size, v); }
static uint64_t rd(uint64_t off, unsigned size) { return pci_mmio_read(&dm.bus, BAR + off, size); }
static void wr(uint64_t off, unsigned size, uint64_t v) { pci_mmio_write(&dm.bus, BAR + off, size, v); }
static int needs_reset(void) { return (rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET) != 0; }

static int setup(void **state)
{
    int sv[2];

    (void)state;
    memset(&dm, 0, sizeof(dm));
    memset(ram, 0, sizeof(ram));
    dm.mem.base = ram;
    dm.mem.size = RAM;
    pci_init_host_bridge(&bridge);
    dm.bus.dev[0] = &bridge;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    peer = sv[1];
    assert_int_equal(net_attach(&vn, &dm, sv[0], mac, 0), 0);
    dm.bus.dev[1] = &vn.pci;
    dm.vdev[1] = &vn;
    nr_msi = 0;
    qsize = 16;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    net_detach(&vn);
    close(peer);
    return 0;
}

static void queue(unsigned q, uint64_t ring)
{
    wr(0x16, 2, q);
    wr(0x18, 2, QSIZE);
    wr(0x1a, 2, q + 1);                                                             /* its MSI-X vector */
    wr(0x20, 4, (uint32_t)ring);
    wr(0x24, 4, 0);
    wr(0x28, 4, (uint32_t)(ring + 0x1000));
    wr(0x2c, 4, 0);
    wr(0x30, 4, (uint32_t)(ring + 0x2000));
    wr(0x34, 4, 0);
    wr(0x1c, 2, 1);
}

static uint32_t drv_features = 1u << 5;          /* MAC, unless a test says otherwise */

/* Linux's virtio_net bring-up: VERSION_1 and MAC, both queues, MSI-X. */
static void bring_up(void)
{
    cfg_wr(0x10, 4, BAR);
    cfg_wr(0x04, 2, 0x6);
    wr(0x14, 1, 0);
    wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    wr(0x08, 4, 0);
    wr(0x0c, 4, drv_features);
    wr(0x08, 4, 1);
    wr(0x0c, 4, 1);
    wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(rd(0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
    cfg_wr(0x84 + 2, 2, 0x8000);
    for (unsigned i = 0; i < 3; i++) {
        wr(0x4000 + 16 * i, 4, 0xfee00000);
        wr(0x4000 + 16 * i + 8, 4, 0x40 + i);
        wr(0x4000 + 16 * i + 12, 4, 0);
    }
    wr(0x10, 2, 0);
    queue(0, RXRING);
    queue(1, TXRING);
    wr(0x14, 1, 0xf);
}

static void put_desc(uint64_t ring, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    ring_put_desc(ram, ring, i, addr, len, flags, next);
}

/* The rings of a queue: desc, avail, used at +0, +0x1000, +0x2000. */
static void offer(uint64_t ring, uint16_t head) { ring_offer(ram, ring + 0x1000, QSIZE, head); }

static uint16_t used_idx(uint64_t ring) { return ring_used_idx(ram, ring + 0x2000); }

static uint32_t used_len(uint64_t ring, unsigned n)
{
    uint32_t l;

    memcpy(&l, ram + ring + 0x2000 + 4 + 8 * (n % QSIZE) + 4, 4);
    return l;
}

static void notify(unsigned q) { wr(0x3000 + 4 * q, 2, q); }

static void test_config(void **state)
{
    (void)state;
    assert_int_equal(cfg_rd(0, 4), 0x10411af4);                                     /* 1af4:1041, network */
    assert_int_equal(cfg_rd(0x08, 4) >> 8, 0x020000);                               /* Ethernet controller */
    assert_int_equal(cfg_rd(0x84 + 2, 2) & 0x7ff, 2);                               /* 3 MSI-X vectors */
    bring_up();
    assert_int_equal(rd(0x12, 2), 2);                                               /* two queues */
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(rd(0x2000 + i, 1), mac[i]);
    assert_int_equal(rd(0x2006, 2), 1);                                             /* link up */
    wr(0x00, 4, 0);
    assert_true(rd(0x04, 4) & (1u << 5 | 1u << 16));                                /* MAC, STATUS */
    wr(0x00, 4, 1);
    assert_int_equal(rd(0x04, 4), 1);                                               /* VERSION_1 only above bit 31 */
}

/* A frame the guest sends: dom0 gets its header (what was negotiated only) and the frame. */
static void test_transmit(void **state)
{
    uint8_t got[2048];

    (void)state;
    bring_up();
    /* A header with junk in it (a segmentation request without the feature): dropped, the device goes on. */
    memset(ram + BUF, 0x77, HDR);
    for (unsigned i = 0; i < 100; i++)
        ram[BUF + 0x100 + i] = (uint8_t)i;
    put_desc(TXRING, 0, BUF, HDR, VIRTQ_DESC_F_NEXT, 1);
    put_desc(TXRING, 1, BUF + 0x100, 40, VIRTQ_DESC_F_NEXT, 2);
    put_desc(TXRING, 2, BUF + 0x100 + 40, 60, 0, 0);
    offer(TXRING, 0);
    notify(1);
    assert_int_equal(used_idx(TXRING), 1);
    assert_int_equal(recv(peer, got, sizeof(got), 0), -1);
    /* A partial checksum without VIRTIO_NET_F_CSUM: dropped too. */
    memset(ram + BUF, 0, HDR);
    ram[BUF] = 1;
    offer(TXRING, 0);
    notify(1);
    assert_int_equal(recv(peer, got, sizeof(got), 0), -1);
    /* A plain header (the frame split over two buffers): it goes. */
    ram[BUF] = 0;
    ram[BUF + 10] = 0x33;                                                           /* num_buffers: not passed on */
    offer(TXRING, 0);
    notify(1);
    assert_int_equal(used_idx(TXRING), 3);
    assert_int_equal(recv(peer, got, sizeof(got), 0), HDR + 100);
    for (unsigned i = 0; i < HDR; i++)
        assert_int_equal(got[i], 0);
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(got[HDR + i], i);
    assert_int_equal(nr_msi, 3);
    /* The header and frame in one buffer. */
    memset(ram + BUF + 0x100 - HDR, 0, HDR);
    put_desc(TXRING, 3, BUF + 0x100 - HDR, HDR + 100, 0, 0);
    offer(TXRING, 3);
    notify(1);
    assert_int_equal(recv(peer, got, sizeof(got), 0), HDR + 100);
    assert_int_equal(got[HDR + 99], 99);
    assert_false(needs_reset());
}

/* With CSUM and HOST_TSO4 negotiated, a TCP segment's header goes to dom0 as the guest wrote it. */
static void test_offload(void **state)
{
    uint8_t got[256], hdr[HDR] = { 1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0, 0, 0 };

    (void)state;
    drv_features = 1u << 5 | 1u << 0 | 1u << 11;
    bring_up();
    drv_features = 1u << 5;
    memcpy(ram + BUF, hdr, HDR);
    put_desc(TXRING, 0, BUF, HDR + 100, 0, 0);
    offer(TXRING, 0);
    notify(1);
    assert_int_equal(recv(peer, got, sizeof(got), 0), HDR + 100);
    assert_memory_equal(got, hdr, HDR);
    /* TCPv6 segmentation was not negotiated: dropped. */
    ram[BUF + 1] = 4;
    offer(TXRING, 0);
    notify(1);
    assert_int_equal(recv(peer, got, sizeof(got), 0), -1);
    /* Segmentation without a checksum to finish: dropped. */
    ram[BUF] = 0;
    ram[BUF + 1] = 1;
    offer(TXRING, 0);
    notify(1);
    assert_int_equal(recv(peer, got, sizeof(got), 0), -1);
    assert_int_equal(used_idx(TXRING), 3);
    assert_false(needs_reset());
}

/* Frames from dom0: into the guest's buffers with num_buffers set; none lost while there is no buffer. */
static void test_receive(void **state)
{
    uint8_t frame[HDR + 200];

    (void)state;
    bring_up();
    memset(frame, 0, HDR);
    for (unsigned i = 0; i < 200; i++)
        frame[HDR + i] = (uint8_t)(i ^ 0x5a);
    /* No buffer yet: the frame waits in the "tap". */
    assert_int_equal(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    notify(0);
    assert_int_equal(used_idx(RXRING), 0);
    /* A buffer in two parts (the header alone, then room for the frame). */
    memset(ram + BUF, 0xee, 0x1000);
    put_desc(RXRING, 0, BUF, HDR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    put_desc(RXRING, 1, BUF + 0x100, 1514, VIRTQ_DESC_F_WRITE, 0);
    offer(RXRING, 0);
    notify(0);
    assert_int_equal(used_idx(RXRING), 1);
    assert_int_equal(used_len(RXRING, 0), HDR + 200);
    assert_int_equal(ram[BUF + 10], 1);                                             /* num_buffers */
    assert_int_equal(ram[BUF + 11], 0);
    assert_int_equal(ram[BUF + 0x100 + 199], 199 ^ 0x5a);
    assert_int_equal(ram[BUF + 0x100 + 200], 0xee);
    /* The next frame waits for the next buffer, and then arrives. */
    assert_int_equal(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    notify(0);
    assert_int_equal(used_idx(RXRING), 1);
    put_desc(RXRING, 2, BUF + 0x800, 1526, VIRTQ_DESC_F_WRITE, 0);
    offer(RXRING, 2);
    notify(0);
    assert_int_equal(used_idx(RXRING), 2);
    assert_int_equal(ram[BUF + 0x800 + HDR], 0x5a);
    assert_false(needs_reset());
}

/* MRG_RXBUF: a frame larger than a buffer spans several, published together, num_buffers in the first. */
static void test_mergeable(void **state)
{
    static uint8_t frame[HDR + 3000];

    (void)state;
    drv_features = 1u << 5 | 1u << 15;
    bring_up();
    drv_features = 1u << 5;
    memset(frame, 0, HDR);
    for (unsigned i = 0; i < 3000; i++)
        frame[HDR + i] = (uint8_t)(i * 7);
    assert_int_equal(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    /* One buffer is not enough: none is taken, the frame waits. */
    put_desc(RXRING, 0, BUF, 1526, VIRTQ_DESC_F_WRITE, 0);
    offer(RXRING, 0);
    notify(0);
    assert_int_equal(used_idx(RXRING), 0);
    /* A second: the frame goes, over both. */
    put_desc(RXRING, 1, BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
    offer(RXRING, 1);
    notify(0);
    assert_int_equal(used_idx(RXRING), 2);
    assert_int_equal(used_len(RXRING, 0), 1526);
    assert_int_equal(used_len(RXRING, 1), HDR + 3000 - 1526);
    assert_int_equal(ram[BUF + 10], 2);                                             /* num_buffers */
    assert_int_equal(ram[BUF + HDR + 5], (uint8_t)(5 * 7));
    assert_int_equal(ram[BUF + 0x1000], (uint8_t)((1526 - HDR) * 7));
    assert_false(needs_reset());
}

/* Broken rules stop this device; a frame that no Ethernet carries is dropped and the device goes on. */
static void test_hostile(void **state)
{
    uint8_t got[128], frame[HDR + 60] = { 0 };

    (void)state;
    bring_up();
    /* Too big (a 200 KiB "frame" over overlapping buffers) and too small: dropped, nothing reaches dom0. */
    for (unsigned i = 0; i < 4; i++)
        put_desc(TXRING, i, BUF, 0xc000, i < 3 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    offer(TXRING, 0);
    put_desc(TXRING, 5, BUF, HDR + 3, 0, 0);
    offer(TXRING, 5);
    notify(1);
    assert_int_equal(used_idx(TXRING), 2);
    assert_int_equal(recv(peer, got, sizeof(got), 0), -1);
    assert_false(needs_reset());
    /* A receive buffer shorter than the header. */
    assert_int_equal(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    put_desc(RXRING, 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
    offer(RXRING, 0);
    notify(0);
    assert_true(needs_reset());
    /* After a reset the driver starts again; a transmit buffer the device would write breaks the rules. */
    bring_up();
    assert_false(needs_reset());
    put_desc(TXRING, 0, BUF, HDR + 60, VIRTQ_DESC_F_WRITE, 0);
    offer(TXRING, 0);
    notify(1);
    assert_true(needs_reset());
    /* And a receive buffer the device may not write. */
    bring_up();
    put_desc(RXRING, 0, BUF, 1526, 0, 0);
    offer(RXRING, 0);
    notify(0);
    assert_true(needs_reset());
    /* A ring outside RAM: refused at enable. */
    wr(0x14, 1, 0);
    assert_false(needs_reset());
    wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    wr(0x16, 2, 1);
    wr(0x20, 4, RAM - 8);
    wr(0x1c, 2, 1);
    assert_true(needs_reset());
}

/*
 * A guest that keeps its transmit ring full gets a quota per turn, then the
 * poll loop serves the others (the kick eventfd brings this one back).
 */
static void test_quota(void **state)
{
    uint8_t got[256];
    unsigned n = 0;

    (void)state;
    qsize = 128;
    bring_up();
    for (unsigned i = 0; i < qsize; i++) {
        put_desc(TXRING, i, BUF, HDR + 60, 0, 0);
        offer(TXRING, (uint16_t)i);
    }
    notify(1);
    while (recv(peer, got, sizeof(got), 0) > 0)
        n++;
    assert_int_equal(n, 64);
    assert_int_equal(used_idx(TXRING), 64);
    assert_int_equal(ram[TXRING + 0x2000], 1);                                       /* notifications off meanwhile */
    assert_int_equal(vn.later, 1u << 1);                                            /* the poll loop's next turn */
    notify(1);
    while (recv(peer, got, sizeof(got), 0) > 0)
        n++;
    assert_int_equal(n, 128);
    notify(1);                                                                      /* the kick's turn: empty */
    assert_int_equal(ram[TXRING + 0x2000], 0);                                       /* drained: on again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mergeable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * An attacking virtio driver (a domU with two virtio-blk disks from
 * keel-dm): it breaks the virtqueue rules on the first disk (00:01.0),
 * scribbles over its configuration space, BAR and MSI-X table, and
 * checks after each attack that the device stopped itself (its status
 * says DEVICE_NEEDS_RESET), that a reset brings it back, and that the
 * second disk (00:02.0, the victim) kept serving correct data all along.
 * Given a NIC instead (virtio-net, no disks), it attacks that: transmit
 * and receive chains that break the rules, an oversized frame, a flood,
 * scribbles; dom0 checks that the network beside it still works.
 * Polls the used ring: no interrupts. Paging is off: the BARs are at
 * their physical addresses.
 */
#include "../guest.h"

#define QSIZE       8
#define RING_A      0x800000u
#define RING_B      0x810000u
#define BUF         0x900000u
#define HDR         0x980000u
#define STATUS_NR   0x40u       /* DEVICE_NEEDS_RESET */

static volatile uint8_t *m8(uint32_t a) { return (volatile uint8_t *)a; }
static volatile uint16_t *m16(uint32_t a) { return (volatile uint16_t *)a; }
static volatile uint32_t *m32(uint32_t a) { return (volatile uint32_t *)a; }

static uint32_t cfg_addr(unsigned dev, unsigned reg) { return 0x80000000u | dev << 11 | (reg & 0xfc); }
static uint32_t cfg_rd(unsigned dev, unsigned reg)
{
    outl(0xcf8, cfg_addr(dev, reg));
    return inl(0xcfc);
}
static void cfg_wr(unsigned dev, unsigned reg, uint32_t v)
{
    outl(0xcf8, cfg_addr(dev, reg));
    outl(0xcfc, v);
}

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

static void bring_up(uint32_t bar, uint32_t ring)
{
    for (uint32_t i = 0; i < 0x3000; i += 4)
        *m32(ring + i) = 0;
    *m8(bar + 0x14) = 0;
    *m8(bar + 0x14) = 3;
    *m32(bar + 0x08) = 1;
    *m32(bar + 0x0c) = 1;                      /* VERSION_1 */
    *m32(bar + 0x08) = 0;
    *m32(bar + 0x0c) = 0;
    *m8(bar + 0x14) = 0xb;
    *m16(bar + 0x16) = 0;
    *m16(bar + 0x18) = QSIZE;
    *m32(bar + 0x20) = ring;
    *m32(bar + 0x24) = 0;
    *m32(bar + 0x28) = ring + 0x1000;
    *m32(bar + 0x2c) = 0;
    *m32(bar + 0x30) = ring + 0x2000;
    *m32(bar + 0x34) = 0;
    *m16(bar + 0x1c) = 1;
    *m8(bar + 0x14) = 0xf;
}

static struct desc *desc(uint32_t ring, unsigned i) { return (struct desc *)(ring + 16 * i); }

/* Offer head @h and notify; wait for the used index to move or the device to give up. */
static int offer_wait(uint32_t bar, uint32_t ring, uint16_t h, uint16_t bump)
{
    uint16_t idx = *m16(ring + 0x1002), used = *m16(ring + 0x2002);
    uint64_t end;

    *m16(ring + 0x1004 + 2 * (idx % QSIZE)) = h;
    *m16(ring + 0x1002) = (uint16_t)(idx + bump);
    *m16(bar + 0x3000) = 0;
    end = rdtsc() + (uint64_t)tsc_khz() * 2000;
    while (*m16(ring + 0x2002) == used && !(*m8(bar + 0x14) & STATUS_NR) && rdtsc() < end)
        __asm__ volatile("pause");
    return *m16(ring + 0x2002) != used;
}

/* Read @sector into BUF through a well-formed chain: the request's status, or -1 if none came. */
static int read_sector(uint32_t bar, uint32_t ring, uint32_t sector_lo, uint32_t sector_hi)
{
    *m32(HDR) = 0;
    *m32(HDR + 4) = 0;
    *m32(HDR + 8) = sector_lo;
    *m32(HDR + 12) = sector_hi;
    *m8(HDR + 16) = 0xee;
    *desc(ring, 0) = (struct desc){ HDR, 16, 1, 1 };
    *desc(ring, 1) = (struct desc){ BUF, 512, 1 | 2, 2 };
    *desc(ring, 2) = (struct desc){ HDR + 16, 1, 2, 0 };
    if (!offer_wait(bar, ring, 0, 1))
        return -1;
    return *m8(HDR + 16);
}

static int victim_ok(uint32_t bar_b)
{
    const char *want = "KEEL-VICTIM-DISK";

    if (read_sector(bar_b, RING_B, 0, 0) != 0)
        return 0;
    for (int i = 0; want[i]; i++)
        if (*m8(BUF + (uint32_t)i) != (uint8_t)want[i])
            return 0;
    return 1;
}

static int needs_reset(uint32_t bar) { return (*m8(bar + 0x14) & STATUS_NR) != 0; }

/* ---- virtio-net: queue 0 receives, queue 1 transmits ---- */
#define RING_RX     0xa00000u
#define RING_TX     0xa10000u
#define FRAME       0xa80000u

static void net_queue(uint32_t bar, unsigned q, uint32_t ring)
{
    for (uint32_t i = 0; i < 0x3000; i += 4)
        *m32(ring + i) = 0;
    *m16(bar + 0x16) = (uint16_t)q;
    *m16(bar + 0x18) = QSIZE;
    *m32(bar + 0x20) = ring;
    *m32(bar + 0x24) = 0;
    *m32(bar + 0x28) = ring + 0x1000;
    *m32(bar + 0x2c) = 0;
    *m32(bar + 0x30) = ring + 0x2000;
    *m32(bar + 0x34) = 0;
    *m16(bar + 0x1c) = 1;
}

static void net_up(uint32_t bar)
{
    *m8(bar + 0x14) = 0;
    *m8(bar + 0x14) = 3;
    *m32(bar + 0x08) = 1;
    *m32(bar + 0x0c) = 1;                      /* VERSION_1 */
    *m32(bar + 0x08) = 0;
    *m32(bar + 0x0c) = 0;
    *m8(bar + 0x14) = 0xb;
    net_queue(bar, 0, RING_RX);
    net_queue(bar, 1, RING_TX);
    *m8(bar + 0x14) = 0xf;
}

/* Offer head @h on queue @q and notify: did the used index move (or the device give up) within 2 s? */
static int net_offer(uint32_t bar, unsigned q, uint16_t h)
{
    uint32_t ring = q ? RING_TX : RING_RX;
    uint16_t idx = *m16(ring + 0x1002), used = *m16(ring + 0x2002);
    uint64_t end;

    *m16(ring + 0x1004 + 2 * (idx % QSIZE)) = h;
    *m16(ring + 0x1002) = (uint16_t)(idx + 1);
    *m16(bar + 0x3000 + 4 * q) = (uint16_t)q;
    end = rdtsc() + (uint64_t)tsc_khz() * 2000;
    while (*m16(ring + 0x2002) == used && !needs_reset(bar) && rdtsc() < end)
        __asm__ volatile("pause");
    return *m16(ring + 0x2002) != used;
}

/* A broadcast frame of a local experimental EtherType (0x88b5), header first. */
static void net_frame(void)
{
    for (uint32_t i = 0; i < 12 + 60; i++)
        *m8(FRAME + i) = 0;
    for (uint32_t i = 0; i < 6; i++)
        *m8(FRAME + 12 + i) = 0xff;
    *m8(FRAME + 12 + 6) = 0x02;
    *m8(FRAME + 12 + 12) = 0x88;
    *m8(FRAME + 12 + 13) = 0xb5;
}

/* The attacks on a NIC at @dev; what is beside it (another domain's network) is checked from dom0. */
static void attack_net(unsigned dev)
{
    uint32_t n = cfg_rd(dev, 0x10) & ~0xfu;
    unsigned sent = 0;

    cfg_wr(dev, 0x04, 6);
    net_up(n);
    net_frame();
    *desc(RING_TX, 0) = (struct desc){ FRAME, 12 + 60, 0, 0 };
    check(net_offer(n, 1, 0) && !needs_reset(n), "net: a well-formed frame goes out");

    /* A transmit buffer the device would have to write. */
    *desc(RING_TX, 1) = (struct desc){ FRAME, 12 + 60, 2, 0 };
    net_offer(n, 1, 1);
    check(needs_reset(n), "net: a writable transmit buffer: the device needs a reset");

    /* A 192 KiB "frame" over overlapping buffers: dropped, the device goes on. */
    net_up(n);
    check(!needs_reset(n), "net: a reset clears it");
    for (unsigned i = 0; i < 4; i++)
        *desc(RING_TX, i) = (struct desc){ FRAME, 0xc000, i < 3 ? 1 : 0, (uint16_t)(i + 1) };
    check(net_offer(n, 1, 0) && !needs_reset(n), "net: an oversized frame is dropped, the device goes on");

    /* A receive buffer the device may not write. */
    *desc(RING_RX, 0) = (struct desc){ BUF, 1526, 0, 0 };
    net_offer(n, 0, 0);
    check(needs_reset(n), "net: a readable receive buffer: the device needs a reset");

    /* A flood: 4096 frames as fast as the ring turns; the device keeps up and stays well. */
    net_up(n);
    net_frame();
    for (unsigned i = 0; i < QSIZE; i++)
        *desc(RING_TX, i) = (struct desc){ FRAME, 12 + 60, 0, 0 };
    for (unsigned i = 0; i < 4096; i++)
        sent += (unsigned)net_offer(n, 1, (uint16_t)(i % QSIZE));
    check(sent == 4096 && !needs_reset(n), "net: 4096 frames flooded, each taken");

    /* Scribbles over the NIC's BAR, then a reset: it works again. */
    for (uint32_t off = 0; off < 0x8000; off += 0x1f3)
        *m16(n + (off & ~1u)) = 0xffff;
    cfg_wr(dev, 0x10, n);
    cfg_wr(dev, 0x04, 6);
    net_up(n);
    net_frame();
    *desc(RING_TX, 0) = (struct desc){ FRAME, 12 + 60, 0, 0 };
    check(net_offer(n, 1, 0) && !needs_reset(n), "net: after scribbles and a reset a frame goes out");
}

int main(void)
{
    uint32_t a, b;

    /* With a NIC and no disks (the network scenarios): the NIC's attacks alone. */
    for (unsigned dev = 1; dev < 8; dev++)
        if (cfg_rd(dev, 0) == 0x10411af4 && cfg_rd(1, 0) != 0x10421af4) {
            attack_net(dev);
            return report("virtio");
        }
    check(cfg_rd(1, 0) == 0x10421af4 && cfg_rd(2, 0) == 0x10421af4, "two virtio-blk functions at 00:01.0 and 00:02.0");
    a = cfg_rd(1, 0x10) & ~0xfu;
    b = cfg_rd(2, 0x10) & ~0xfu;
    cfg_wr(1, 0x04, 6);
    cfg_wr(2, 0x04, 6);
    bring_up(b, RING_B);
    check(victim_ok(b), "the victim disk reads its first sector");

    /* 1. A descriptor chain that loops. */
    bring_up(a, RING_A);
    *desc(RING_A, 0) = (struct desc){ HDR, 16, 1, 1 };
    *desc(RING_A, 1) = (struct desc){ BUF, 16, 1, 0 };
    offer_wait(a, RING_A, 0, 1);
    check(needs_reset(a), "a looping chain: the device needs a reset");
    check(victim_ok(b), "the victim still serves");

    /* 2. A buffer outside the domain's RAM. */
    bring_up(a, RING_A);
    check(!needs_reset(a), "a reset clears it");
    check(read_sector(a, RING_A, 2, 0) == 0, "the reset device serves again");
    *desc(RING_A, 0) = (struct desc){ HDR, 16, 1, 1 };
    *desc(RING_A, 1) = (struct desc){ 0xf0000000ull, 4096, 1 | 2, 2 };
    *desc(RING_A, 2) = (struct desc){ HDR + 16, 1, 2, 0 };
    offer_wait(a, RING_A, 0, 1);
    check(needs_reset(a), "a buffer outside RAM: the device needs a reset");

    /* 3. The available index runs ahead of the queue. */
    bring_up(a, RING_A);
    offer_wait(a, RING_A, 0, 100);
    check(needs_reset(a), "an available index a queue ahead: the device needs a reset");

    /* 4. Rings outside RAM: the queue is not enabled. */
    *m8(a + 0x14) = 0;
    *m8(a + 0x14) = 0xb;
    *m16(a + 0x18) = QSIZE;
    *m32(a + 0x20) = 0xe0000000u;
    *m16(a + 0x1c) = 1;
    check(*m16(a + 0x1c) == 0 && needs_reset(a), "rings outside RAM: not enabled");

    /* 5. Requests past the end and of a bad kind: errors, the device goes on. */
    bring_up(a, RING_A);
    check(read_sector(a, RING_A, 0xffffffffu, 0x7fffffffu) == 1, "a sector past the end: I/O error");
    check(!needs_reset(a) && read_sector(a, RING_A, 0, 0) == 0, "then a good request");

    /* 6. An MSI-X table entry with an address no vLAPIC has, MSI-X on: the completion still comes. */
    *m32(a + 0x4000 + 16) = 0xdead0000u;
    *m32(a + 0x4000 + 16 + 8) = 2;             /* vector 2: an exception's */
    *m32(a + 0x4000 + 16 + 12) = 0;
    *m16(a + 0x16) = 0;
    *m16(a + 0x1a) = 1;
    cfg_wr(1, 0x84, cfg_rd(1, 0x84) | 0x80000000u);
    check(read_sector(a, RING_A, 1, 0) == 0, "a bogus MSI is dropped, the request completes");

    /* 7. Scribbles: configuration space and the whole BAR, odd sizes and offsets. */
    for (unsigned r = 0x40; r < 0x100; r += 4)
        cfg_wr(1, r, 0xffffffffu);
    for (uint32_t off = 0; off < 0x8000; off += 0x1f3) {
        *m8(a + off) = 0xff;
        *m16(a + (off & ~1u)) = 0xffff;
        (void)*m32(a + (off & ~3u));
    }
    check(cfg_rd(1, 0) == 0x10421af4, "configuration scribbles: the ID stays");
    cfg_wr(1, 0x10, a);
    cfg_wr(1, 0x04, 6);
    bring_up(a, RING_A);
    check(read_sector(a, RING_A, 3, 0) == 0, "after the scribbles and a reset the device serves");
    check(victim_ok(b), "the victim served through everything");
    return report("virtio");
}

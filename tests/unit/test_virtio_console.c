/*
 * keel-dm's virtio-console (tools/keel-dm/console.c): output to the
 * attached client and into the history a new client sees first, input
 * from the client into the guest's buffers, and rings that break the rules.
 * The poll loop is played by the test: turn() calls the watches whose
 * descriptors are readable, as keel-dm's main loop does.
 */
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>
#include "ring.h"
#include "../../tools/keel-dm/dm.h"

#define RAM     (4u << 20)
#define BAR     0xc0100000u
#define QSIZE   16
#define RXRING  0x10000u
#define TXRING  0x20000u
#define BUF     0x100000u

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct dm dm;
static struct pci_dev bridge;
static struct virtio_dev vc;
static char path[64];

static struct { int fd; void (*in)(void *), (*hup)(void *); void *arg; } watches[8];
static unsigned nr_watches;

void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg)
{
    watches[nr_watches].fd = fd;
    watches[nr_watches].in = in;
    watches[nr_watches].hup = hup;
    watches[nr_watches++].arg = arg;
}
void dm_unwatch(int fd)
{
    for (unsigned i = 0; i < nr_watches; i++)
        if (watches[i].fd == fd)
            watches[i--] = watches[--nr_watches];
}

/* One turn of the poll loop. */
static void turn(void)
{
    for (unsigned i = 0; i < nr_watches; i++) {
        struct pollfd p = { watches[i].fd, POLLIN, 0 };
        if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && watches[i].in) {
            watches[i].in(watches[i].arg);
            return;                     /* the table may have changed */
        }
    }
}

static uint64_t rd(uint64_t off, unsigned size) { return pci_mmio_read(&dm.bus, BAR + off, size); }
static void wr(uint64_t off, unsigned size, uint64_t v) { pci_mmio_write(&dm.bus, BAR + off, size, v); }
static int needs_reset(void) { return (rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET) != 0; }

static void queue(unsigned q, uint64_t ring)
{
    wr(0x16, 2, q);
    wr(0x18, 2, QSIZE);
    wr(0x20, 4, (uint32_t)ring);
    wr(0x28, 4, (uint32_t)(ring + 0x1000));
    wr(0x30, 4, (uint32_t)(ring + 0x2000));
    wr(0x1c, 2, 1);
}

static void bring_up(void)
{
    pci_cfg_write(&dm.bus, 1u << 11 | 0x10, 4, BAR);
    pci_cfg_write(&dm.bus, 1u << 11 | 0x04, 2, 6);
    wr(0x14, 1, 0);
    wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    wr(0x08, 4, 1);
    wr(0x0c, 4, 1);
    wr(0x14, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    memset(ram + RXRING, 0, 0x3000);
    memset(ram + TXRING, 0, 0x3000);
    queue(0, RXRING);
    queue(1, TXRING);
    wr(0x14, 1, 0xf);
}

/* The rings of a queue: desc, avail, used at +0, +0x1000, +0x2000. */
static void offer(uint64_t ring, uint16_t head) { ring_offer(ram, ring + 0x1000, QSIZE, head); }

static uint16_t used_idx(uint64_t ring) { return ring_used_idx(ram, ring + 0x2000); }

static int attach(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    turn();                             /* keel-dm accepts it */
    return s;
}

static void guest_says(const char *text, unsigned head)
{
    memcpy(ram + BUF + 0x1000 * head, text, strlen(text));
    ring_put_desc(ram, TXRING, head, BUF + 0x1000 * head, (uint32_t)strlen(text), 0, 0);
    offer(TXRING, (uint16_t)head);
    wr(0x3000 + 4, 2, 1);
}

static int setup(void **state)
{
    (void)state;
    memset(&dm, 0, sizeof(dm));
    memset(ram, 0, sizeof(ram));
    nr_watches = 0;
    dm.mem.base = ram;
    dm.mem.size = RAM;
    pci_init_host_bridge(&bridge);
    dm.bus.dev[0] = &bridge;
    snprintf(path, sizeof(path), "/tmp/keel-con-test-%d.sock", getpid());
    assert_int_equal(console_create(&vc, &dm, path), 0);
    dm.bus.dev[1] = &vc.pci;
    dm.vdev[1] = &vc;
    bring_up();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    console_destroy(&vc);
    assert_int_not_equal(access(path, F_OK), 0);      /* the socket went with it */
    return 0;
}

/* Output before anyone attached is kept; the client sees it first, then the rest as it comes. */
static void test_output_and_history(void **state)
{
    char got[64] = { 0 };
    int s;

    (void)state;
    assert_int_equal(pci_cfg_read(&dm.bus, 1u << 11, 4), 0x10431af4);              /* 1af4:1043, console */
    guest_says("early ", 0);
    assert_int_equal(used_idx(TXRING), 1);
    s = attach();
    guest_says("late", 1);
    usleep(10000);
    assert_int_equal(recv(s, got, sizeof(got) - 1, MSG_DONTWAIT), 10);
    assert_string_equal(got, "early late");
    close(s);
}

/* Typed bytes reach the guest's receive buffer; a new client replaces the old one. */
static void test_input(void **state)
{
    int s1, s2;

    (void)state;
    ring_put_desc(ram, RXRING, 0, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
    offer(RXRING, 0);
    wr(0x3000, 2, 0);
    s1 = attach();
    s2 = attach();
    assert_int_equal(send(s2, "ls\r", 3, 0), 3);
    turn();
    assert_int_equal(used_idx(RXRING), 1);
    assert_memory_equal(ram + BUF, "ls\r", 3);
    char c;
    assert_int_equal(recv(s1, &c, 1, 0), 0);                                         /* the old client: closed */
    close(s1);
    close(s2);
}

static void test_hostile(void **state)
{
    int s;

    (void)state;
    /* A transmit buffer the device would write. */
    ring_put_desc(ram, TXRING, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(TXRING, 0);
    wr(0x3000 + 4, 2, 1);
    assert_true(needs_reset());
    /* A receive buffer the device may not write, with input waiting. */
    bring_up();
    assert_false(needs_reset());
    s = attach();
    ring_put_desc(ram, RXRING, 0, BUF, 64, 0, 0);
    offer(RXRING, 0);
    assert_int_equal(send(s, "x", 1, 0), 1);
    wr(0x3000, 2, 0);
    turn();
    assert_true(needs_reset());
    /* A buffer larger than the history: its end is kept, nothing past RAM is read. */
    bring_up();
    ring_put_desc(ram, TXRING, 0, BUF, 3u << 20, 0, 0);
    offer(TXRING, 0);
    wr(0x3000 + 4, 2, 1);
    assert_false(needs_reset());
    assert_int_equal(used_idx(TXRING), 1);
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

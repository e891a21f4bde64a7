/* keel-dm's split-virtqueue walker against hostile rings (tools/keel-dm/virtq.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "ring.h"
#include "../../tools/keel-dm/virtq.h"

#define RAM     (1u << 20)
#define DESC    0x1000u
#define AVAIL   0x2000u
#define USED    0x3000u
#define QSIZE   8

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct gmem mem = { ram, RAM };
static struct virtq q;
static struct virtq_chain c;
static const char *why;

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    ring_put_desc(ram, table, i, addr, len, flags, next);
}

/* Offer head @h as the next available entry. */
static void offer(uint16_t h)
{
    uint16_t idx;

    memcpy(&idx, ram + AVAIL + 2, 2);
    memcpy(ram + AVAIL + 4 + 2 * (idx % QSIZE), &h, 2);
    idx++;
    memcpy(ram + AVAIL + 2, &idx, 2);
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    assert_int_equal(virtq_setup(&q, &mem, QSIZE, DESC, AVAIL, USED, 1, &why), 0);
    return 0;
}

static void test_setup_rules(void **state)
{
    struct virtq t;

    (void)state;
    assert_int_equal(virtq_setup(&t, &mem, 6, DESC, AVAIL, USED, 0, &why), -1);        /* not a power of 2 */
    assert_int_equal(virtq_setup(&t, &mem, 512, DESC, AVAIL, USED, 0, &why), -1);      /* larger than offered */
    assert_int_equal(virtq_setup(&t, &mem, 0, DESC, AVAIL, USED, 0, &why), -1);
    assert_int_equal(virtq_setup(&t, &mem, 8, DESC + 8, AVAIL, USED, 0, &why), -1);    /* misaligned */
    assert_int_equal(virtq_setup(&t, &mem, 8, DESC, AVAIL + 1, USED, 0, &why), -1);
    assert_int_equal(virtq_setup(&t, &mem, 8, DESC, AVAIL, USED + 2, 0, &why), -1);
    assert_int_equal(virtq_setup(&t, &mem, 8, RAM - 64, AVAIL, USED, 0, &why), -1);    /* past RAM */
    assert_int_equal(virtq_setup(&t, &mem, 8, DESC, AVAIL, ~0ull - 15, 0, &why), -1);  /* wraps */
    assert_int_equal(virtq_setup(&t, &mem, 256, DESC, AVAIL, USED, 0, &why), 0);
}

static void test_chain(void **state)
{
    (void)state;
    assert_int_equal(virtq_pop(&q, &c, &why), 0);                  /* empty */
    put_desc(DESC, 3, 0x10000, 16, VIRTQ_DESC_F_NEXT, 5);
    put_desc(DESC, 5, 0x20000, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    put_desc(DESC, 1, 0x30000, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(3);
    assert_int_equal(virtq_pop(&q, &c, &why), 1);
    assert_int_equal(c.head, 3);
    assert_int_equal(c.nr_in, 1);
    assert_int_equal(c.nr_out, 2);
    assert_ptr_equal(c.iov[0].iov_base, ram + 0x10000);
    assert_int_equal(c.iov[1].iov_len, 4096);
    assert_int_equal(c.out_bytes, 4097);
    memcpy(ram + 0x10000, "0123456789abcdef", 16);
    char buf[8];
    assert_int_equal(virtq_read(&c, 4, buf, 8), 8);
    assert_memory_equal(buf, "456789ab", 8);
    assert_int_equal(virtq_pop(&q, &c, &why), 0);
    virtq_push(&q, 3, 4097);
    uint16_t used_idx;
    uint32_t id, len;
    memcpy(&used_idx, ram + USED + 2, 2);
    memcpy(&id, ram + USED + 4, 4);
    memcpy(&len, ram + USED + 8, 4);
    assert_int_equal(used_idx, 1);
    assert_int_equal(id, 3);
    assert_int_equal(len, 4097);
    assert_true(virtq_should_notify(&q));
    uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    memcpy(ram + AVAIL, &flags, 2);
    assert_false(virtq_should_notify(&q));
}

/* Each hostile ring: refused with a reason, and nothing taken from it. */
static void refused(const char *want)
{
    uint16_t before = q.last_avail;

    why = NULL;
    assert_int_equal(virtq_pop(&q, &c, &why), -1);
    assert_non_null(why);
    if (!strstr(why, want))
        fail_msg("got '%s', want '%s'", why, want);
    assert_int_equal(q.last_avail, before);
}

static void test_loop(void **state)
{
    (void)state;
    put_desc(DESC, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(DESC, 1, 0x10000, 16, VIRTQ_DESC_F_NEXT, 0);
    offer(0);
    refused("loops");
}

static void test_bad_indices(void **state)
{
    (void)state;
    put_desc(DESC, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, QSIZE);     /* next past the table */
    offer(0);
    refused("leaves the table");
    setup(NULL);
    offer(QSIZE);                                                   /* head past the table */
    refused("past the descriptor table");
    setup(NULL);
    uint16_t idx = QSIZE + 1;                                       /* more offered than the queue holds */
    memcpy(ram + AVAIL + 2, &idx, 2);
    refused("more than a queue ahead");
}

static void test_bad_buffers(void **state)
{
    (void)state;
    put_desc(DESC, 0, RAM - 8, 16, 0, 0);                           /* runs past RAM */
    offer(0);
    refused("outside the domain's RAM");
    setup(NULL);
    put_desc(DESC, 0, ~0ull - 4, 16, 0, 0);                        /* wraps */
    offer(0);
    refused("outside the domain's RAM");
    setup(NULL);
    put_desc(DESC, 0, 0x10000, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(DESC, 1, 0x10000, 16, 0, 0);                          /* readable after writable */
    offer(0);
    refused("readable buffer after a writable");
}

static void test_indirect(void **state)
{
    (void)state;
    /* A good indirect table of three. */
    put_desc(0x40000, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(0x40000, 1, 0x20000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    put_desc(0x40000, 2, 0x30000, 1, VIRTQ_DESC_F_WRITE, 0);
    put_desc(DESC, 0, 0x40000, 48, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    assert_int_equal(virtq_pop(&q, &c, &why), 1);
    assert_int_equal(c.nr_in + c.nr_out, 3);
    /* With NEXT as well: refused. */
    put_desc(DESC, 1, 0x40000, 48, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 0);
    offer(1);
    refused("indirect descriptor with NEXT");
    setup(NULL);
    /* A table inside a table. */
    put_desc(0x40000, 0, 0x50000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    put_desc(DESC, 0, 0x40000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("inside an indirect table");
    setup(NULL);
    /* A length that is not whole descriptors; an empty one; one past RAM. */
    put_desc(DESC, 0, 0x40000, 40, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("bad indirect table");
    setup(NULL);
    put_desc(DESC, 0, 0x40000, 0, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("bad indirect table");
    setup(NULL);
    put_desc(DESC, 0, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("bad indirect table");
    setup(NULL);
    /* A loop inside the table; a chain that leaves it. */
    put_desc(0x40000, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(0x40000, 1, 0x10000, 16, VIRTQ_DESC_F_NEXT, 0);
    put_desc(DESC, 0, 0x40000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("loops");
    setup(NULL);
    put_desc(0x40000, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 2);
    put_desc(DESC, 0, 0x40000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("leaves its table");
    /* Not negotiated. */
    struct virtq plain;
    memset(ram, 0, 0x10000);
    assert_int_equal(virtq_setup(&plain, &mem, QSIZE, DESC, AVAIL, USED, 0, &why), 0);
    put_desc(DESC, 0, 0x40000, 48, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    assert_int_equal(virtq_pop(&plain, &c, &why), -1);
}

static void test_too_many_segments(void **state)
{
    (void)state;
    /* An indirect table of 1024 descriptors: more buffers than one chain may have here. */
    for (unsigned i = 0; i < VIRTQ_INDIRECT_MAX; i++)
        put_desc(0x40000, i, 0x10000, 1, i + 1 < VIRTQ_INDIRECT_MAX ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    put_desc(DESC, 0, 0x40000, 16 * VIRTQ_INDIRECT_MAX, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    refused("more buffers in one chain");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_rules),
        cmocka_unit_test_setup(test_chain, setup),
        cmocka_unit_test_setup(test_loop, setup),
        cmocka_unit_test_setup(test_bad_indices, setup),
        cmocka_unit_test_setup(test_bad_buffers, setup),
        cmocka_unit_test_setup(test_indirect, setup),
        cmocka_unit_test_setup(test_too_many_segments, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

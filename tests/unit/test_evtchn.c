/*
 * hv/evtchn.c: connecting, sending, masking, closing, VIRQs and a domain's
 * teardown, with fake domains whose event pages are host buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/evtchn.h>
#include "unit.h"

#define NDOM 3

static struct domain *doms[NDOM];       /* id 1 (dom0), 2, 3 */
static struct vcpu vcpus[NDOM];
static uint8_t *ram[NDOM];              /* each domain's first two pages */
static unsigned upcalls[NDOM];

struct domain *domain_find(uint64_t id)
{
    for (unsigned i = 0; i < NDOM; i++)
        if (doms[i] && doms[i]->id == id)
            return doms[i];
    return NULL;
}

struct domain *domain_next(uint32_t id)
{
    for (unsigned i = 0; i < NDOM; i++)     /* ids ascend with the index */
        if (doms[i] && doms[i]->id >= id)
            return doms[i];
    return NULL;
}

void *domain_gpa_to_hva(struct domain *d, uint64_t gpa, uint64_t len)
{
    unsigned i = d->id - 1;

    return gpa <= 2 * PAGE_SIZE && len <= 2 * PAGE_SIZE - gpa ? ram[i] + gpa : NULL;
}

static void upcall(struct domain *d)
{
    upcalls[d->id - 1]++;
}

static int64_t op(unsigned dom, uint64_t which, uint64_t a1, uint64_t a2)
{
    const uint64_t a[5] = { which, a1, a2, 0, 0 };

    return evtchn_op(&vcpus[dom - 1], a);
}

static struct keel_evtchn_page *page(unsigned dom)
{
    return (struct keel_evtchn_page *)ram[dom - 1];
}

static int pending(unsigned dom, unsigned port)
{
    return (page(dom)->pending[port / 64] >> (port % 64)) & 1;
}

static int setup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NDOM; i++) {
        doms[i] = calloc(1, sizeof(struct domain));
        doms[i]->id = i + 1;
        doms[i]->evtchn_gsi = 24 + i;
        doms[i]->evtchn_upcall = upcall;
        vcpus[i].domain = doms[i];
        ram[i] = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
        memset(ram[i], 0, 2 * PAGE_SIZE);
        upcalls[i] = 0;
    }
    doms[0]->privileged = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NDOM; i++) {
        free(doms[i]);
        free(ram[i]);
        doms[i] = NULL;
    }
    return 0;
}

static void test_init(void **state)
{
    (void)state;
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, 8, 0), -EINVAL);               /* not page-aligned */
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, 2 * PAGE_SIZE, 0), -EFAULT);   /* not RAM */
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, ~0ull & ~(PAGE_SIZE - 1), 0), -EFAULT);
    doms[1]->evtchn_gsi = 0;
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, 0, 0), -EINVAL);               /* no interrupt to raise */
    doms[1]->evtchn_gsi = 25;
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, 0, 0), 25);
    assert_ptr_equal(doms[1]->evtchn_page, ram[1]);
    assert_int_equal(op(2, 99, 0, 0), -EINVAL);                              /* no such op */
}

static void test_interdomain(void **state)
{
    int64_t p1, p2;

    (void)state;
    assert_int_equal(op(1, KEEL_EVTCHN_INIT, 0, 0), 24);
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, 0, 0), 25);
    assert_int_equal(op(1, KEEL_EVTCHN_ALLOC_UNBOUND, 99, 0), -ENOENT);
    assert_int_equal(op(1, KEEL_EVTCHN_ALLOC_UNBOUND, 1ull << 32 | 2, 0), -ENOENT);
    p1 = op(1, KEEL_EVTCHN_ALLOC_UNBOUND, 2, 0);            /* dom0 offers a port to d2 */
    assert_true(p1 > 0);
    assert_int_equal(op(1, KEEL_EVTCHN_SEND, (uint64_t)p1, 0), 0);  /* nobody there yet: dropped */
    assert_int_equal(upcalls[1], 0);
    /* Only the domain it was offered to may bind it, and only while it is unbound. */
    assert_int_equal(op(3, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)p1), -EINVAL);
    assert_int_equal(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)p1 + 1), -EINVAL);
    assert_int_equal(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, 0), -EINVAL);
    assert_int_equal(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, KEEL_EVTCHN_PORTS), -EINVAL);
    assert_int_equal(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 7, (uint64_t)p1), -ENOENT);
    p2 = op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)p1);
    assert_true(p2 > 0);
    assert_int_equal(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)p1), -EINVAL);

    /* d2 -> dom0: pending bit and one interrupt; again while pending: no new interrupt. */
    assert_int_equal(op(2, KEEL_EVTCHN_SEND, (uint64_t)p2, 0), 0);
    assert_true(pending(1, (unsigned)p1));
    assert_int_equal(upcalls[0], 1);
    assert_int_equal(op(2, KEEL_EVTCHN_SEND, (uint64_t)p2, 0), 0);
    assert_int_equal(upcalls[0], 1);
    page(1)->pending[0] = 0;                                /* the guest takes it */
    assert_int_equal(op(2, KEEL_EVTCHN_SEND, (uint64_t)p2, 0), 0);
    assert_int_equal(upcalls[0], 2);
    /* dom0 -> d2, masked: marked pending, no interrupt. */
    page(2)->mask[(unsigned)p2 / 64] = 1ull << ((unsigned)p2 % 64);
    assert_int_equal(op(1, KEEL_EVTCHN_SEND, (uint64_t)p1, 0), 0);
    assert_true(pending(2, (unsigned)p2));
    assert_int_equal(upcalls[1], 0);
    assert_int_equal(op(2, KEEL_EVTCHN_SEND, 0, 0), -EINVAL);
    assert_int_equal(op(2, KEEL_EVTCHN_SEND, 200, 0), -EINVAL);         /* a free port */

    /* d2 closes its end: dom0's goes back to unbound (for d2), and may be bound again. */
    assert_int_equal(op(2, KEEL_EVTCHN_CLOSE, (uint64_t)p2, 0), 0);
    assert_int_equal(op(2, KEEL_EVTCHN_CLOSE, (uint64_t)p2, 0), -EINVAL);
    assert_int_equal(doms[0]->evtchn[p1].state, EVTCHN_UNBOUND);
    assert_int_equal(doms[0]->evtchn[p1].remote_dom, 2);
    upcalls[1] = 0;
    assert_int_equal(op(1, KEEL_EVTCHN_SEND, (uint64_t)p1, 0), 0);
    assert_int_equal(upcalls[1], 0);
    assert_true(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)p1) > 0);
}

static void test_no_page_no_event(void **state)
{
    int64_t p1, p2;

    (void)state;
    p1 = op(1, KEEL_EVTCHN_ALLOC_UNBOUND, 2, 0);
    p2 = op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)p1);
    assert_int_equal(op(2, KEEL_EVTCHN_SEND, (uint64_t)p2, 0), 0);  /* dom0 never gave a page */
    assert_int_equal(upcalls[0], 0);
    assert_int_equal(page(1)->pending[0], 0);
}

static void test_virq(void **state)
{
    int64_t a, b;

    (void)state;
    assert_int_equal(op(2, KEEL_EVTCHN_BIND_VIRQ, KEEL_VIRQ_DOM_EXC, 0), -EPERM);
    assert_int_equal(op(1, KEEL_EVTCHN_BIND_VIRQ, KEEL_VIRQ_MAX, 0), -EINVAL);
    assert_int_equal(op(1, KEEL_EVTCHN_INIT, PAGE_SIZE, 0), 24);
    a = op(1, KEEL_EVTCHN_BIND_VIRQ, KEEL_VIRQ_DOM_EXC, 0);
    b = op(1, KEEL_EVTCHN_BIND_VIRQ, KEEL_VIRQ_DOM_EXC, 0);     /* two listeners, two ports */
    assert_true(a > 0 && b > 0 && a != b);
    evtchn_send_virq(KEEL_VIRQ_DOM_EXC);
    assert_int_equal((ram[0][PAGE_SIZE + a / 8] >> (a % 8)) & 1, 1);
    assert_int_equal((ram[0][PAGE_SIZE + b / 8] >> (b % 8)) & 1, 1);
    assert_int_equal(upcalls[0], 2);
    assert_int_equal(op(1, KEEL_EVTCHN_SEND, (uint64_t)a, 0), -EINVAL);     /* Keel's to send */
}

static void test_exhaustion_and_teardown(void **state)
{
    int64_t p = 0, last = 0, mine;

    (void)state;
    mine = op(1, KEEL_EVTCHN_ALLOC_UNBOUND, 2, 0);
    assert_true(op(2, KEEL_EVTCHN_BIND_INTERDOMAIN, 1, (uint64_t)mine) > 0);
    for (unsigned i = 2; i < KEEL_EVTCHN_PORTS; i++) {
        p = op(2, KEEL_EVTCHN_ALLOC_UNBOUND, 3, 0);
        assert_true(p > 0);
        last = p;
    }
    assert_int_equal(last, KEEL_EVTCHN_PORTS - 1);
    assert_int_equal(op(2, KEEL_EVTCHN_ALLOC_UNBOUND, 3, 0), -ENOSPC);
    /* d2 goes away: dom0's end is unbound again, d2's ports are all free. */
    assert_int_equal(op(2, KEEL_EVTCHN_INIT, 0, 0), 25);
    evtchn_domain_destroy(doms[1]);
    assert_null(doms[1]->evtchn_page);
    assert_int_equal(doms[0]->evtchn[mine].state, EVTCHN_UNBOUND);
    for (unsigned i = 1; i < KEEL_EVTCHN_PORTS; i++)
        assert_int_equal(doms[1]->evtchn[i].state, EVTCHN_FREE);
    /* RESET: the same for the caller itself. */
    assert_int_equal(op(1, KEEL_EVTCHN_RESET, 0, 0), 0);
    assert_int_equal(doms[0]->evtchn[mine].state, EVTCHN_FREE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interdomain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_page_no_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion_and_teardown, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

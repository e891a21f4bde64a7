/*
 * hv/sched.c: the window between pick() (which sees a domain runnable,
 * under the run-list lock) and the vCPU being marked running. A pause
 * that comes in it (its sched_quiesce() sees neither running nor a loaded
 * VMCS, and returns) must keep the vCPU from being run: destroy frees its
 * VMCS next. The fake arch_tsc_khz(), which sched_run() calls in exactly
 * that window when two vCPUs are runnable, plays the other CPU's pause.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/spinlock.h>
#include "unit.h"

struct percpu percpu[MAX_CPUS];
uint32_t nr_cpus_online = 1;
unsigned fake_cpu;

static struct domain a, b;
static struct vcpu va, vb;
static unsigned runs_a, runs_b, ran_paused, pause_in_window;
static void (*a_sends)(struct vcpu *v);     /* what a's vCPU does to b's while it runs */
static int a_sent;
static uint64_t b_slice;                    /* TSC ticks b's vCPU got */
static uint64_t b_wakes_at;                 /* b's vCPU halted with its timer at this TSC */
static uint64_t a_leaves_at;                /* sched_leave_at() while a's vCPU ran */

int arch_vcpu_ready(struct vcpu *v, uint64_t now, uint64_t *wake)
{
    if (v == &vb && b_wakes_at && now < b_wakes_at) {
        *wake = b_wakes_at;
        return 0;
    }
    return 1;
}
int arch_vcpu_loaded(const struct vcpu *v) { return 0; }
void arch_vcpu_unload(struct vcpu *v) {}
void arch_cpu_kick(unsigned cpu) {}
static int stop_b_in_sleep, sleeps;

/* This CPU idles in sched_run(&b): b stops elsewhere (domain_shutdown() kicks it), it must hear. */
void arch_cpu_sleep(uint64_t deadline, volatile int *wake)
{
    sleeps++;
    if (stop_b_in_sleep && b.state == DOMAIN_RUNNING) {
        assert_int_equal(deadline, ~0ull);      /* nothing here to wait for: only a kick ends it */
        b.state = DOMAIN_SHUTDOWN;
        domain_kick(&b);
        assert_int_equal(*wake, 1);
    }
}

uint64_t arch_tsc_khz(void)
{
    if (pause_in_window && !a.pause_count) {
        /* Another CPU's domain_pause(a): the count, then sched_quiesce()'s look. */
        __atomic_add_fetch(&a.pause_count, 1, __ATOMIC_SEQ_CST);
        assert_false(__atomic_load_n(&va.running, __ATOMIC_SEQ_CST));   /* so quiesce returns */
    }
    return 1000000;
}

void arch_vcpu_run(struct vcpu *v)
{
    if (v->domain->pause_count)
        ran_paused++;
    if (v == &va) {
        runs_a++;
        a_leaves_at = sched_leave_at();
        if (b_wakes_at)
            b.state = DOMAIN_SHUTDOWN;
        if (a_sends) {
            a_sends(&vb);
            a_sent = 1;
        }
    }
    if (v == &vb) {
        runs_b++;
        b_slice = sched_leave_at() - rdtsc();
        if (!a_sends || a_sent)
            b.state = DOMAIN_SHUTDOWN;  /* sched_run(&b) returns after this */
    }
}

static int setup(void **state)
{
    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&va, 0, sizeof(va));
    memset(&vb, 0, sizeof(vb));
    a.state = b.state = DOMAIN_RUNNING;
    a.nr_vcpus = b.nr_vcpus = 1;
    a.vcpus[0] = &va;
    b.vcpus[0] = &vb;
    va.domain = &a;
    vb.domain = &b;
    percpu[0].virt_ok = 1;
    sched_init();
    runs_a = runs_b = ran_paused = pause_in_window = 0;
    a_sends = NULL;
    a_sent = 0;
    b_wakes_at = a_leaves_at = 0;
    stop_b_in_sleep = sleeps = 0;
    assert_int_equal(sched_add_vcpu(&va, 0), 0);
    assert_int_equal(sched_add_vcpu(&vb, 0), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sched_remove_vcpu(&va);
    sched_remove_vcpu(&vb);
    return 0;
}

static void test_pause_in_pick_window(void **state)
{
    (void)state;
    pause_in_window = 1;
    sched_run(&b);
    assert_int_equal(ran_paused, 0);    /* the old code ran a's vCPU once, paused */
    assert_int_equal(runs_a, 0);
    assert_int_equal(runs_b, 1);
}

static void test_both_run(void **state)
{
    (void)state;
    sched_run(&b);                      /* round robin from the start of the list: a, then b */
    assert_int_equal(runs_a, 1);
    assert_int_equal(runs_b, 1);
    assert_int_equal(ran_paused, 0);
}

/*
 * A vCPU that an IPI from this CPU's running vCPU switched to gets a short
 * slice (the sender waits for it); one woken otherwise (its timer, an
 * event from elsewhere) keeps a whole one. Fake TSC rate: 1 GHz.
 */
static void test_ipi_slice(void **state)
{
    (void)state;
    a_sends = vcpu_kick_ipi;
    sched_run(&b);                      /* b's run after a's IPI ends it */
    assert_true(b_slice <= (uint64_t)SCHED_YIELD_SLICE_US * 1000);
    assert_true(b_slice > (uint64_t)SCHED_YIELD_SLICE_US * 500);
    teardown(state);
    setup(state);
    a_sends = vcpu_kick;
    sched_run(&b);
    assert_true(b_slice > (uint64_t)SCHED_YIELD_SLICE_US * 1000);
    assert_true(b_slice <= (uint64_t)SCHED_SLICE_US * 1000);
}

/*
 * A vCPU halted with its timer armed, beside one that runs and never
 * halts: the running one must leave the CPU at that timer. Before, with
 * one runnable vCPU there was no slice end, and a busy domU on dom0's CPU
 * held back dom0's timer interrupts until its slice or its HLT.
 */
static void test_blocked_timer_ends_the_run(void **state)
{
    (void)state;
    sched_run(&b);                      /* a and b run; the last pass picks a: the cursor is past a */
    assert_int_equal(runs_b, 1);
    sched_remove_vcpu(&va);             /* the list becomes b, a: the next pass starts at a */
    assert_int_equal(sched_add_vcpu(&va, 0), 0);
    b.state = DOMAIN_RUNNING;
    runs_a = runs_b = 0;
    vb.blocked = 1;
    b_wakes_at = rdtsc() + 1000000000ull;
    /*
     * a is picked first in the pass, which moved the run list's cursor: the
     * pass went on from the new cursor, saw a twice (two runnable: a whole
     * slice) and never asked b for its timer.
     */
    sched_run(&b);
    assert_int_equal(runs_a, 1);
    assert_int_equal(runs_b, 0);
    assert_int_equal(a_leaves_at, b_wakes_at);
}

/*
 * The test harness runs a guest whose vCPUs are all on another CPU: the
 * CPU in sched_run(until) has nothing to run and sleeps with no deadline.
 * When the guest stops there, domain_kick() must wake this CPU too.
 */
static void test_until_domain_elsewhere(void **state)
{
    (void)state;
    sched_remove_vcpu(&vb);             /* b has no vCPU here */
    b.nr_vcpus = 0;
    a.pause_count = 1;                  /* nor anything else to run */
    stop_b_in_sleep = 1;
    sched_run(&b);
    assert_int_equal(sleeps, 1);
    assert_int_equal(runs_a, 0);
}

/* keel/spinlock.h's order: the upcall nests a platform inside evtchn_lock, never the reverse. */
static void test_lock_order(void **state)
{
    (void)state;
    assert_true(lock_order_ok(0, LOCK_DOMCTL));
    assert_true(lock_order_ok(1u << LOCK_EVTCHN, LOCK_PLATFORM));
    assert_false(lock_order_ok(1u << LOCK_PLATFORM, LOCK_EVTCHN));     /* the ABBA of COM1 vs a send */
    assert_false(lock_order_ok(1u << LOCK_PLATFORM, LOCK_PLATFORM));   /* two domains' platforms */
    assert_true(lock_order_ok((1u << LOCK_DOMCTL) | (1u << LOCK_SCHED), LOCK_LOG));
    assert_false(lock_order_ok(1u << LOCK_LOG, LOCK_MM));              /* nothing inside printk */
    assert_true(lock_order_ok(~0u, LOCK_UNCHECKED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pause_in_pick_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipi_slice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_timer_ends_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_until_domain_elsewhere, setup, teardown),
        cmocka_unit_test(test_lock_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * vCPU scheduler: per-CPU run lists, round robin with a time slice, vCPUs
 * that halt block until their event arrives. A vCPU stays on the physical
 * CPU it was placed on (hard affinity); its VMCS and FPU state stay loaded
 * there between slices.
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H
#include <stdint.h>
#include <asm/cpu_ops.h>
#include <keel/domain.h>

struct vcpu;
struct domain;

#define SCHED_SLICE_US      10000       /* 10 ms while others wait for the CPU */
/*
 * The slice of the vCPU a spinner yielded to: long enough for a lock holder
 * to finish its critical section, short enough that a PAUSE loop which is
 * no lock wait (udelay()) does not stall its vCPU: with a whole slice, a
 * dom0 sharing one CPU between two vCPUs spent 20 s in boot-time udelays.
 * Also the slice of a vCPU an IPI from this CPU switched to: the sender
 * of a synchronous IPI (a TLB shootdown, text_poke's sync) spins until the
 * target answers, and with a whole slice each one cost it 10 ms.
 */
#define SCHED_YIELD_SLICE_US 1000
#define SCHED_MAX_PER_CPU   64

/* Place @v on CPU @cpu (-1: the least loaded CPU with VMX or SVM on). 0, -ENODEV, -ENOSPC. */
int sched_add_vcpu(struct vcpu *v, int cpu);
/* Once, on the boot CPU before any other CPU or vCPU exists: the run lists' locks. */
void sched_init(void);
/* Take @v off its CPU's list; its domain is paused or stopped (sched_quiesce done). */
void sched_remove_vcpu(struct vcpu *v);
/*
 * Run vCPUs on this CPU. With @until, return once that domain has stopped
 * and none of its vCPUs is on a CPU any more; without, never.
 */
void sched_run(struct domain *until);
/* What the exit path reads of a CPU's scheduler (hv/sched.c owns it). */
struct sched_cpu {
    volatile int resched;           /* leave the guest: the run list has news */
    uint64_t slice_end;             /* TSC; ~0 when nobody waits for this CPU */
    uint64_t leave_at;              /* TSC: the slice's end, or sooner a blocked vCPU's wake-up here */
    int yielded;                    /* the last vCPU gave up its slice: the next one's is short */
    const struct vcpu *ipi_target;  /* the running vCPU sent it an IPI: if picked next, its slice is short */
} __attribute__((aligned(64)));
extern struct sched_cpu sched_cpu[];

/*
 * Must @d's vCPUs stay off their CPUs (stopped or paused)? A macro, not a
 * function: as a condition spelled out in sched_should_leave()'s branch
 * chain it costs two instructions less per exit (a function's value is
 * materialized first; tests/exit-cost-limits caught it).
 */
#define DOMAIN_HELD(d) ((d)->state != DOMAIN_RUNNING || __atomic_load_n(&(d)->pause_count, __ATOMIC_ACQUIRE))

/*
 * Called after each VM exit (inline: it is on every one): leave the guest
 * for the scheduler now? Its domain stopped or paused, it blocked, the
 * run list has news, or its slice is over.
 */
static inline int sched_should_leave(struct vcpu *v)
{
    const struct sched_cpu *sc = &sched_cpu[v->processor];

    if (DOMAIN_HELD(v->domain) || v->blocked || __atomic_load_n(&sc->resched, __ATOMIC_ACQUIRE))
        return 1;
    return sc->leave_at != ~0ull && rdtsc() >= sc->leave_at;
}
/*
 * TSC when the running vCPU must leave this CPU (~0: never), for the arch's
 * timer: its slice's end, or a blocked vCPU's timer here (which must not
 * wait for the running one to halt).
 */
uint64_t sched_leave_at(void);
/*
 * @v waits for an event (HLT, INIT): it leaves its CPU at its next exit and
 * runs again when arch_vcpu_ready() says its event came. Any CPU may call
 * it; for another CPU's vCPU, kick it after.
 */
void sched_block(struct vcpu *v);
/*
 * @v spins (a PAUSE loop the CPU saw: a lock whose holder is not running):
 * it gives up the rest of its slice when another vCPU here can run.
 */
void vcpu_yield(struct vcpu *v);
/* @v has a new event: get it onto its CPU soon (wake it if blocked). */
void vcpu_kick(struct vcpu *v);
/* The same for an IPI from a vCPU of @v's domain, which may wait for @v's answer. */
void vcpu_kick_ipi(struct vcpu *v);
void domain_kick(struct domain *d);
/*
 * Wait until no vCPU of @d (paused or stopped) is on a CPU or holds state
 * there. Not for the caller's own domain.
 */
void sched_quiesce(struct domain *d);
#endif

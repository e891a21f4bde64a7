/*
 * The vCPU scheduler (see keel/sched.h). Each CPU owns a list of the vCPUs
 * placed on it and runs them round robin: a vCPU keeps the CPU until it
 * blocks (HLT with nothing to deliver), its domain stops or is paused, its
 * slice ends while another is runnable, or a blocked vCPU here wakes (it
 * preempts: a woken vCPU has an interrupt to take). With nothing runnable
 * the CPU sleeps until the earliest virtual timer or an IPI.
 *
 * Locking: a CPU's list changes under its lock; the owner CPU is the only
 * one that runs, loads or unloads its vCPUs. Other CPUs ask it through
 * its run list's resched flag and an IPI.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/spinlock.h>

struct runlist {
    spinlock_t lock;                        /* nr, next, v[]; inside: the log only */
    unsigned nr, next;                      /* next: where the round-robin search starts */
    struct vcpu *v[SCHED_MAX_PER_CPU];
};

static struct runlist runlists[MAX_CPUS];     /* in .bss: sched_init() gives the locks their level */
static struct domain *waits_for[MAX_CPUS];    /* sched_run(until)'s domain on each CPU, for domain_kick() */
struct sched_cpu sched_cpu[MAX_CPUS];

void sched_init(void)
{
    for (unsigned c = 0; c < MAX_CPUS; c++)
        runlists[c].lock = (spinlock_t)SPINLOCK_INIT_LEVEL(LOCK_SCHED);
}

static int domain_can_run(const struct domain *d)
{
    return !DOMAIN_HELD(d);
}

/* The same, ordered after everything before it (the store of running). */
static int domain_can_run_now(const struct domain *d)
{
    return __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) == DOMAIN_RUNNING &&
           !__atomic_load_n(&d->pause_count, __ATOMIC_SEQ_CST);
}

int sched_add_vcpu(struct vcpu *v, int cpu)
{
    struct runlist *rl;

    if (cpu < 0) {
        unsigned best = ~0u;
        for (unsigned c = 0; c < nr_cpus_online; c++)
            if (percpu[c].virt_ok && runlists[c].nr < best) {
                best = runlists[c].nr;
                cpu = (int)c;
            }
    }
    if (cpu < 0 || (unsigned)cpu >= nr_cpus_online || !percpu[cpu].virt_ok)
        return -ENODEV;
    rl = &runlists[cpu];
    spin_lock(&rl->lock);
    if (rl->nr == SCHED_MAX_PER_CPU) {
        spin_unlock(&rl->lock);
        return -ENOSPC;
    }
    v->processor = (unsigned)cpu;
    rl->v[rl->nr++] = v;
    spin_unlock(&rl->lock);
    vcpu_kick(v);
    return 0;
}

void sched_remove_vcpu(struct vcpu *v)
{
    struct runlist *rl = &runlists[v->processor];

    spin_lock(&rl->lock);
    for (unsigned i = 0; i < rl->nr; i++)
        if (rl->v[i] == v) {
            rl->v[i] = rl->v[--rl->nr];
            break;
        }
    spin_unlock(&rl->lock);
}

static void cpu_resched(unsigned cpu)
{
    __atomic_store_n(&sched_cpu[cpu].resched, 1, __ATOMIC_RELEASE);
    if (cpu != this_cpu()->cpu_id)
        arch_cpu_kick(cpu);
}

void vcpu_yield(struct vcpu *v)
{
    struct sched_cpu *sc = &sched_cpu[v->processor];

    /* A slice end is set only while another vCPU here is runnable (sched_run()). */
    if (sc->slice_end != ~0ull) {
        sc->slice_end = 0;
        sc->leave_at = 0;
        sc->yielded = 1;
    }
    v->yields++;
}

void sched_block(struct vcpu *v)
{
    __atomic_store_n(&v->blocked, 1, __ATOMIC_RELEASE);
}

void vcpu_kick(struct vcpu *v)
{
    if (__atomic_load_n(&v->running, __ATOMIC_ACQUIRE)) {
        if (v->processor != this_cpu()->cpu_id)
            arch_cpu_kick(v->processor);    /* out of the guest, to see the event */
        return;
    }
    cpu_resched(v->processor);              /* a blocked vCPU to wake, or state to drop */
}

void vcpu_kick_ipi(struct vcpu *v)
{
    /*
     * Only a target on this CPU, not running, and only for IPIs: a vCPU
     * woken by its own timer keeps whole slices, so a CPU-bound guest
     * beside another keeps its share.
     */
    if (v->processor == this_cpu()->cpu_id && !__atomic_load_n(&v->running, __ATOMIC_ACQUIRE))
        sched_cpu[v->processor].ipi_target = v;
    vcpu_kick(v);
}

void domain_kick(struct domain *d)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        vcpu_kick(d->vcpus[i]);
    /* A CPU in sched_run(d) with none of d's vCPUs sleeps until told d stopped. */
    for (unsigned c = 0; c < nr_cpus_online; c++)
        if (__atomic_load_n(&waits_for[c], __ATOMIC_ACQUIRE) == d)
            cpu_resched(c);
}

uint64_t sched_leave_at(void)
{
    return sched_cpu[this_cpu()->cpu_id].leave_at;
}

/* Can @v run now? A blocked vCPU is asked whether its event came (else *wake: when it may). */
static int runnable(struct vcpu *v, uint64_t now, uint64_t *wake)
{
    if (!domain_can_run(v->domain))
        return 0;
    if (v->blocked) {
        uint64_t when = ~0ull;
        if (!arch_vcpu_ready(v, now, &when)) {
            if (when < *wake)
                *wake = when;
            return 0;
        }
        v->blocked = 0;
    }
    return 1;
}

/*
 * One pass over this CPU's list: unload vCPUs whose domain cannot run (so
 * that it can be destroyed or its state read), pick the next runnable one
 * after the last pick.
 */
static struct vcpu *pick(struct runlist *rl, uint64_t now, uint64_t *wake, unsigned *nr_runnable)
{
    struct vcpu *chosen = NULL;
    unsigned start;

    *nr_runnable = 0;
    spin_lock(&rl->lock);
    /* Not rl->next itself: the pick moves it, and the pass must still see every vCPU once. */
    start = rl->next;
    for (unsigned k = 0; k < rl->nr; k++) {
        unsigned i = (start + k) % rl->nr;
        struct vcpu *v = rl->v[i];

        if (!domain_can_run(v->domain)) {
            if (arch_vcpu_loaded(v))
                arch_vcpu_unload(v);
            continue;
        }
        if (!runnable(v, now, wake))
            continue;
        if (!chosen) {
            chosen = v;
            rl->next = (i + 1) % rl->nr;
        }
        (*nr_runnable)++;
    }
    spin_unlock(&rl->lock);
    return chosen;
}

static int domain_on_cpu(const struct domain *d)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (__atomic_load_n(&d->vcpus[i]->running, __ATOMIC_ACQUIRE) || arch_vcpu_loaded(d->vcpus[i]))
            return 1;
    return 0;
}

void sched_run(struct domain *until)
{
    unsigned cpu = this_cpu()->cpu_id;
    struct runlist *rl = &runlists[cpu];
    struct sched_cpu *sc = &sched_cpu[cpu];

    __atomic_store_n(&waits_for[cpu], until, __ATOMIC_RELEASE);
    for (;;) {
        uint64_t now = rdtsc(), wake = ~0ull, t0;
        unsigned nr;
        int short_slice;
        struct vcpu *v;

        __atomic_store_n(&sc->resched, 0, __ATOMIC_RELEASE);
        v = pick(rl, now, &wake, &nr);
        if (until && until->state != DOMAIN_RUNNING && !domain_on_cpu(until)) {
            __atomic_store_n(&waits_for[cpu], NULL, __ATOMIC_RELEASE);
            return;
        }
        if (!v) {
            /*
             * Sleep until a timer or an IPI; the kick that follows any change
             * wakes us. Waiting for @until to leave the other CPUs, poll: the
             * CPU that unloads its last vCPU does not know who waits.
             */
            if (until && until->state != DOMAIN_RUNNING && wake > now + arch_tsc_khz())
                wake = now + arch_tsc_khz();
            if (!__atomic_load_n(&sc->resched, __ATOMIC_ACQUIRE))
                arch_cpu_sleep(wake, &sc->resched);
            continue;
        }
        short_slice = sc->yielded || v == sc->ipi_target;
        sc->slice_end = nr > 1 ? now + arch_tsc_khz() * (short_slice ? SCHED_YIELD_SLICE_US : SCHED_SLICE_US) / 1000
                               : ~0ull;
        /*
         * pick() left in wake the first timer of a vCPU here that is blocked:
         * the running one leaves for it then, however long it runs.
         */
        sc->leave_at = wake < sc->slice_end ? wake : sc->slice_end;
        sc->yielded = 0;
        sc->ipi_target = NULL;
        /*
         * pick() saw the domain runnable, but a pause may have come since,
         * and its sched_quiesce() returned seeing neither running nor a
         * loaded VMCS. Announce running, then look again: the pause side
         * raises the count and then reads running (all seq_cst), so one
         * of the two sees the other.
         */
        __atomic_store_n(&v->running, 1, __ATOMIC_SEQ_CST);
        if (!domain_can_run_now(v->domain)) {
            __atomic_store_n(&v->running, 0, __ATOMIC_RELEASE);
            continue;
        }
        t0 = rdtsc();
        arch_vcpu_run(v);
        v->cpu_tsc += rdtsc() - t0;
        __atomic_store_n(&v->running, 0, __ATOMIC_RELEASE);
        if (!domain_can_run(v->domain))
            arch_vcpu_unload(v);
    }
}

void sched_quiesce(struct domain *d)
{
    unsigned me = this_cpu()->cpu_id;

    for (;;) {
        int busy = 0;
        for (uint32_t i = 0; i < d->nr_vcpus; i++) {
            struct vcpu *v = d->vcpus[i];
            if (__atomic_load_n(&v->running, __ATOMIC_SEQ_CST)) {
                busy = 1;
                arch_cpu_kick(v->processor);
            } else if (arch_vcpu_loaded(v)) {
                if (v->processor == me) {
                    arch_vcpu_unload(v);        /* ours to drop: we are not running it */
                } else {
                    busy = 1;
                    cpu_resched(v->processor);
                }
            }
        }
        if (!busy)
            return;
        for (unsigned spin = 0; spin < 1000; spin++)
            cpu_relax();
    }
}

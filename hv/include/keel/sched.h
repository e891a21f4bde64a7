/*
 * vCPU scheduler: per-CPU run lists, round robin with a time slice, vCPUs
 * that halt block until their event arrives. A vCPU stays on the physical
 * CPU it was placed on (hard affinity); its VMCS and FPU state stay loaded
 * there between slices.
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H
#include <stdint.h>

struct vcpu;
struct domain;

#define SCHED_SLICE_US      10000       /* 10 ms while others wait for the CPU */
#define SCHED_MAX_PER_CPU   64

/* Place @v on CPU @cpu (-1: the least loaded CPU with VMX). 0, -ENODEV, -ENOSPC. */
int sched_add_vcpu(struct vcpu *v, int cpu);
/* Take @v off its CPU's list; its domain is paused or stopped (sched_quiesce done). */
void sched_remove_vcpu(struct vcpu *v);
/*
 * Run vCPUs on this CPU. With @until, return once that domain has stopped
 * and none of its vCPUs is on a CPU any more; without, never.
 */
void sched_run(struct domain *until);
/* Called after each VM exit: leave the guest for the scheduler now? */
int sched_should_leave(struct vcpu *v);
/* TSC when this CPU's current slice ends (~0: none), for the arch's timer. */
uint64_t sched_slice_end(void);
/* @v has a new event: get it onto its CPU soon (wake it if blocked). */
void vcpu_kick(struct vcpu *v);
void domain_kick(struct domain *d);
/*
 * Wait until no vCPU of @d (paused or stopped) is on a CPU or holds state
 * there. Not for the caller's own domain.
 */
void sched_quiesce(struct domain *d);
#endif

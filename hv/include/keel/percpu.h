/* Per-CPU data; GS.base points at this CPU's struct percpu. */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H
#include <stdint.h>
#include <asm/cpu_arch.h>

struct vcpu;

#define MAX_CPUS 256

struct percpu {
    struct percpu *self;            /* at GS:0, read by this_cpu() */
    uint32_t cpu_id;                /* dense index, 0 = BSP */
    uint32_t apic_id;
    volatile int online;
    int in_fatal;                   /* inside the fatal-exception dump */
    uint32_t locks_held;            /* levels of the locks this CPU holds (LOCK_CHECK) */
    uint64_t stack_top;
    volatile int virt_ok;            /* VMX or SVM is on here */
    struct cpu_arch arch;
};

extern struct percpu percpu[MAX_CPUS];
extern uint32_t nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}
#endif

/* Host stand-in for keel/percpu.h: CPUs are array slots, "this CPU" is fake_cpu. */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H
#include <stdint.h>

#define MAX_CPUS 4

struct percpu {
    uint32_t cpu_id;
    volatile int virt_ok;
    uint32_t locks_held;
    int in_fatal;
};

extern struct percpu percpu[MAX_CPUS];
extern uint32_t nr_cpus_online;
extern unsigned fake_cpu;

static inline struct percpu *this_cpu(void) { return &percpu[fake_cpu]; }
#endif

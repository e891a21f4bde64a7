/* Ticket spinlock (fair; FIFO among waiting CPUs). */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H
#include <stdint.h>
#include <asm/cpu_ops.h>

typedef struct {
    volatile uint16_t next, owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}
#endif

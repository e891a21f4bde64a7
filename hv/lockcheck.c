/*
 * The lock order, checked at run time (LOCK_CHECK; see keel/spinlock.h):
 * each CPU keeps a mask of the levels it holds, and taking a lock whose
 * level is not above all of them panics with what was held, before the
 * out-of-order acquisition could meet its mirror image on another CPU.
 */
#include <keel/lib.h>
#include <keel/percpu.h>
#include <keel/spinlock.h>

int lock_check_on;      /* set once the boot CPU's per-CPU data is reachable (GS) */

#ifdef LOCK_CHECK
void lock_check_acquire(unsigned level)
{
    struct percpu *pc;
    uint32_t held;

    if (!lock_check_on || level == LOCK_UNCHECKED)
        return;
    pc = this_cpu();
    held = pc->locks_held;
    if (__builtin_expect(!lock_order_ok(held, level), 0) && !pc->in_fatal) {
        pc->locks_held = 0;                 /* so that panic's own printk passes */
        panic("lock order: CPU%u takes a level-%u lock while holding levels %#x (keel/spinlock.h)",
              pc->cpu_id, level, held);
    }
    pc->locks_held = held | (1u << level);
}

void lock_check_release(unsigned level)
{
    if (lock_check_on && level != LOCK_UNCHECKED)
        this_cpu()->locks_held &= ~(1u << level);
}
#endif

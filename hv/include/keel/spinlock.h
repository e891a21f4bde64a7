/*
 * Ticket spinlock (fair; FIFO among waiting CPUs), with a place in the one
 * lock order. A CPU takes locks only in increasing level: it may take a
 * lock only while every lock it holds has a lower level (so two locks of
 * one level are never held together). With LOCK_CHECK (on unless the
 * build says LOCKCHECK=0), each acquisition checks that on this CPU and a
 * violation panics with both levels named, before it could deadlock.
 *
 * The order, outermost first; each lock's comment says what it protects:
 *   LOCK_DOMCTL    domctl_lock: domain control, one call at a time (hv/domctl.c)
 *   LOCK_FOREIGN   foreign mappings in dom0 (hv/foreign.c)
 *   LOCK_DM        device models: each domU's forwarded ranges, ioevents, request slots (hv/dm.c)
 *   LOCK_EVTCHN    every domain's event-channel ports (hv/evtchn.c)
 *   LOCK_PLATFORM  one domain's virtual devices: vIOAPIC, vUART, GED (dom0.c, domu.c);
 *                  taken inside LOCK_EVTCHN by an event's upcall, so never hold it
 *                  while sending an event (domain_console_putc defers its VIRQ)
 *   LOCK_SCHED     a CPU's run list (hv/sched.c)
 *   LOCK_TABLE     the domain table (hv/domain.c)
 *   LOCK_IOAPIC    the physical I/O APICs (ioapic.c)
 *   LOCK_VPID      VPID allocation (vmx.c)
 *   LOCK_MM        the page allocator (hv/mm/mm.c)
 *   LOCK_LOG       the console and the log ring: printk from anywhere (hv/console.c)
 */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H
#include <stdint.h>
#include <asm/cpu_ops.h>

enum lock_level {
    LOCK_UNCHECKED, LOCK_DOMCTL, LOCK_FOREIGN, LOCK_DM, LOCK_EVTCHN, LOCK_PLATFORM, LOCK_SCHED, LOCK_TABLE,
    LOCK_IOAPIC, LOCK_VPID, LOCK_MM, LOCK_LOG, LOCK_LEVELS
};
_Static_assert(LOCK_LEVELS <= 32, "lock levels fit a 32-bit mask");

typedef struct {
    volatile uint16_t next, owner;
    uint8_t level;                  /* enum lock_level */
} spinlock_t;

#define SPINLOCK_INIT_LEVEL(l) { 0, 0, (l) }
#define SPINLOCK_INIT SPINLOCK_INIT_LEVEL(LOCK_UNCHECKED)

/* May a CPU holding the levels in @held take one of @level? */
static inline int lock_order_ok(uint32_t held, unsigned level)
{
    return level == LOCK_UNCHECKED || !(held >> level);
}

extern int lock_check_on;         /* hv/lockcheck.c: set once per-CPU data is reachable */
#ifdef LOCK_CHECK
void lock_check_acquire(unsigned level);
void lock_check_release(unsigned level);
#else
static inline void lock_check_acquire(unsigned level) { (void)level; }
static inline void lock_check_release(unsigned level) { (void)level; }
#endif

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me;

    lock_check_acquire(l->level);
    me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
    lock_check_release(l->level);
}
#endif

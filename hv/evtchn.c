/*
 * Event channels, as Xen has them (an interdomain connection is made of two
 * ports: one side allocates an unbound port naming who may bind it, the
 * other binds to it), minus what Keel does not need yet (per-vCPU binding,
 * FIFO ABI). One lock covers every domain's ports: a send reaches the other
 * end's domain through the port, and a domain being destroyed first unlinks
 * its ports under that lock, so a domain reached that way is alive.
 *
 * Lock order (keel/spinlock.h): evtchn_lock -> the receiving platform's
 * lock (its upcall). Nothing sends an event while holding a platform lock:
 * a domU's console byte is sent after its COM1 handler drops it, else a
 * domU writing COM1 and a sender to it would each hold what the other waits for.
 */
#include <errno.h>
#include <string.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/evtchn.h>
#include <keel/lib.h>
#include <keel/spinlock.h>

/* Every domain's ports and event pages; inside: a receiver's platform lock, the table, the log. */
static spinlock_t evtchn_lock = SPINLOCK_INIT_LEVEL(LOCK_EVTCHN);

static int port_ok(uint64_t port)
{
    return port > 0 && port < KEEL_EVTCHN_PORTS;
}

static int64_t alloc_port(struct domain *d)
{
    for (unsigned p = 1; p < KEEL_EVTCHN_PORTS; p++)
        if (d->evtchn[p].state == EVTCHN_FREE)
            return p;
    return -ENOSPC;
}

/* Mark @port pending in @d's page; interrupt it if that is news and the port is not masked. */
static void deliver(struct domain *d, unsigned port)
{
    struct keel_evtchn_page *pg = d->evtchn_page;
    uint64_t bit = 1ull << (port % 64), old;

    if (!pg)
        return;                         /* no page yet: the event is lost, as on Xen */
    old = __atomic_fetch_or(&pg->pending[port / 64], bit, __ATOMIC_SEQ_CST);
    if (!(old & bit) && !(__atomic_load_n(&pg->mask[port / 64], __ATOMIC_RELAXED) & bit) && d->evtchn_upcall)
        d->evtchn_upcall(d);
}

/* Close @d's @port; an interdomain peer's end goes back to unbound (it may be bound again). */
static void close_port(struct domain *d, unsigned port)
{
    struct evtchn *e = &d->evtchn[port];

    if (e->state == EVTCHN_INTERDOMAIN) {
        struct domain *r = domain_find(e->remote_dom);
        if (r) {
            struct evtchn *re = &r->evtchn[e->remote_port];
            re->state = EVTCHN_UNBOUND;
            re->remote_dom = d->id;
            re->remote_port = 0;
        }
    }
    memset(e, 0, sizeof(*e));
}

/* Every port closed, the page forgotten (under evtchn_lock). */
static void reset(struct domain *d)
{
    for (unsigned p = 1; p < KEEL_EVTCHN_PORTS; p++)
        close_port(d, p);
    d->evtchn_page = NULL;
}

static int64_t init_page(struct domain *d, uint64_t gpa)
{
    struct keel_evtchn_page *pg;

    if (gpa & (PAGE_SIZE - 1))
        return -EINVAL;
    pg = domain_gpa_to_hva(d, gpa, PAGE_SIZE);
    if (!pg)
        return -EFAULT;
    if (!d->evtchn_gsi)
        return -EINVAL;                 /* this platform has no event interrupt */
    d->evtchn_page = pg;
    return d->evtchn_gsi;
}

static int64_t bind_interdomain(struct domain *d, uint64_t remote, uint64_t rport)
{
    struct domain *r = domain_find(remote);
    struct evtchn *re;
    int64_t port;

    if (!r)
        return -ENOENT;
    if (!port_ok(rport) || r == d)
        return -EINVAL;
    re = &r->evtchn[rport];
    if (re->state != EVTCHN_UNBOUND || re->remote_dom != d->id)
        return -EINVAL;                 /* not offered to us */
    port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port] = (struct evtchn){ EVTCHN_INTERDOMAIN, 0, (uint16_t)rport, r->id };
    *re = (struct evtchn){ EVTCHN_INTERDOMAIN, 0, (uint16_t)port, d->id };
    return port;
}

static int64_t send(struct domain *d, uint64_t port)
{
    struct evtchn *e;

    if (!port_ok(port))
        return -EINVAL;
    e = &d->evtchn[port];
    if (e->state == EVTCHN_INTERDOMAIN) {
        struct domain *r = domain_find(e->remote_dom);
        if (r)
            deliver(r, e->remote_port);
        return 0;
    }
    return e->state == EVTCHN_UNBOUND ? 0 : -EINVAL;    /* unbound: nobody listens yet */
}

int64_t evtchn_op(struct vcpu *v, const uint64_t a[5])
{
    struct domain *d = v->domain;
    int64_t rc;

    spin_lock(&evtchn_lock);
    switch (a[0]) {
    case KEEL_EVTCHN_INIT:
        rc = init_page(d, a[1]);
        break;
    case KEEL_EVTCHN_ALLOC_UNBOUND:
        rc = domain_find(a[1]) ? alloc_port(d) : -ENOENT;
        if (rc > 0)
            d->evtchn[rc] = (struct evtchn){ EVTCHN_UNBOUND, 0, 0, (uint32_t)a[1] };
        break;
    case KEEL_EVTCHN_BIND_INTERDOMAIN:
        rc = bind_interdomain(d, a[1], a[2]);
        break;
    case KEEL_EVTCHN_BIND_VIRQ:
        rc = !d->privileged ? -EPERM : a[1] >= KEEL_VIRQ_MAX ? -EINVAL : alloc_port(d);
        if (rc > 0)
            d->evtchn[rc] = (struct evtchn){ EVTCHN_VIRQ, (uint8_t)a[1], 0, 0 };
        break;
    case KEEL_EVTCHN_SEND:
        rc = send(d, a[1]);
        break;
    case KEEL_EVTCHN_CLOSE:
        rc = port_ok(a[1]) && d->evtchn[a[1]].state != EVTCHN_FREE ? 0 : -EINVAL;
        if (!rc)
            close_port(d, (unsigned)a[1]);
        break;
    case KEEL_EVTCHN_RESET:
        reset(d);
        rc = 0;
        break;
    default:
        rc = -EINVAL;
    }
    spin_unlock(&evtchn_lock);
    return rc;
}

int64_t evtchn_alloc_keel(struct domain *d, uint32_t remote)
{
    int64_t port;

    spin_lock(&evtchn_lock);
    port = alloc_port(d);
    if (port > 0)
        d->evtchn[port] = (struct evtchn){ EVTCHN_KEEL, 0, 0, remote };
    spin_unlock(&evtchn_lock);
    return port;
}

void evtchn_notify(struct domain *d, unsigned port)
{
    spin_lock(&evtchn_lock);
    if (port_ok(port) && d->evtchn[port].state == EVTCHN_KEEL)
        deliver(d, port);
    spin_unlock(&evtchn_lock);
}

void evtchn_send_virq(unsigned virq)
{
    spin_lock(&evtchn_lock);
    for (struct domain *d = domain_next(0); d; d = domain_next(d->id + 1)) {
        if (!d->privileged)
            continue;
        for (unsigned p = 1; p < KEEL_EVTCHN_PORTS; p++)
            if (d->evtchn[p].state == EVTCHN_VIRQ && d->evtchn[p].virq == virq)
                deliver(d, p);
    }
    spin_unlock(&evtchn_lock);
}

void evtchn_domain_destroy(struct domain *d)
{
    spin_lock(&evtchn_lock);
    reset(d);
    spin_unlock(&evtchn_lock);
}

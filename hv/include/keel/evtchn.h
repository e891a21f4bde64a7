/*
 * Event channels (hv/evtchn.c; the ABI is KEEL_HC_EVTCHN_OP in public/keel.h):
 * ports that connect two domains, or a domain and a Keel event (a VIRQ).
 * Sending sets the port's bit in the receiver's pending page and raises its
 * event interrupt through d->evtchn_upcall (the platform's GSI edge).
 */
#ifndef KEEL_EVTCHN_H
#define KEEL_EVTCHN_H
#include <stdint.h>
#include <public/keel.h>

struct domain;
struct vcpu;

/* EVTCHN_KEEL: a dom0 port Keel signals for a domU's device model (remote_dom: that domU). */
enum evtchn_state { EVTCHN_FREE, EVTCHN_UNBOUND, EVTCHN_INTERDOMAIN, EVTCHN_VIRQ, EVTCHN_KEEL };

struct evtchn {
    uint8_t state;                  /* enum evtchn_state */
    uint8_t virq;                   /* EVTCHN_VIRQ: which */
    uint16_t remote_port;           /* EVTCHN_INTERDOMAIN: the other end */
    uint32_t remote_dom;            /* UNBOUND: who may bind; INTERDOMAIN: the other end's domain */
};

/* The hypercall: @v's domain does op a[0] with a[1], a[2]. */
int64_t evtchn_op(struct vcpu *v, const uint64_t a[5]);
/* Signal @virq to every dom0 port bound to it. */
void evtchn_send_virq(unsigned virq);
/* A new EVTCHN_KEEL port of @d (for domU @remote's device model): the port or -ENOSPC. */
int64_t evtchn_alloc_keel(struct domain *d, uint32_t remote);
/* Signal @d's @port if it is still an EVTCHN_KEEL port. */
void evtchn_notify(struct domain *d, unsigned port);
/* A domain going away: close its ports (their other ends become unbound) and forget its page. */
void evtchn_domain_destroy(struct domain *d);
#endif

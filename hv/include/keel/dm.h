/*
 * Device models (hv/dm.c; the ABI is KEEL_HC_DM_OP in public/keel.h): a
 * domU's PCI configuration space and the MMIO ranges its device model
 * registered are served by a process in dom0. An access there stops the
 * vCPU until the answer: the instruction is not completed (dm_pending()),
 * the vCPU blocks, and when the answer came it runs the instruction again;
 * this time the access finds its answer in the vCPU's log. Nothing is
 * injected into the vCPU before that rerun (hvm_deliver_events()), so the
 * instruction that runs again is the same one.
 */
#ifndef KEEL_DM_H
#define KEEL_DM_H
#include <stdint.h>
#include <public/keel.h>

struct domain;
struct vcpu;

#define DM_LOG_MAX  2               /* answered accesses one instruction may make (a read-modify-write) */

struct dm_access {
    uint64_t addr, data;
    uint8_t type, size, write;
};

/* One vCPU's side (struct vcpu). */
struct vcpu_io {
    union {
        struct {
            uint8_t pending;        /* a request is out: the current instruction does not complete */
            uint8_t nr_done;        /* log[0..nr_done) answered */
        };
        uint16_t busy;              /* either: one test on the exit path */
    };
    uint8_t waiting;                /* blocked until its slot is answered */
    uint8_t next;                   /* the rerun has used log[0, next) */
    uint8_t rerun;                  /* just answered: the next entry injects nothing */
    uint32_t seq;                   /* of the request out */
    struct keel_ioreq *slot;        /* where it is (dom0's page) */
    struct dm_access out;
    struct dm_access log[DM_LOG_MAX];
};

/* The hypercall (through domctl: the domU cannot go meanwhile). */
int64_t dm_op(struct vcpu *caller, const uint64_t a[5]);
/* A domain going away: its device model's state. */
void dm_domain_destroy(struct domain *d);

/*
 * One access to a forwarded device: 0 and, for a read, *@data; or 1 when
 * it went to the device model (v->io.pending: the caller must not complete
 * the instruction). With no device model: reads float high, writes drop.
 */
int dm_access(struct vcpu *v, unsigned type, uint64_t addr, unsigned size, int write, uint64_t *data);
/* The instruction completed or was abandoned: forget the answers it used. */
static inline void dm_insn_end(struct vcpu_io *io)
{
    if (!io->pending)
        io->nr_done = io->next = 0;
}
/* The vCPU was just answered: inject nothing before its rerun (once; then the log is only a cache). */
static inline int dm_rerun_due(struct vcpu_io *io)
{
    int due = io->rerun;

    io->rerun = 0;
    return due;
}
/* The scheduler asks about a vCPU blocked on a request: answered yet? */
int dm_io_ready(struct vcpu *v);

/* 0xcf8-0xcff (configuration mechanism #1) and the forwarded MMIO ranges: a domU's handlers. */
int dm_pci_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val);
int dm_mmio(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val);
#endif

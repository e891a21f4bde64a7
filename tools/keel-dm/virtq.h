/*
 * Split virtqueues (virtio 1.2, 2.7) as a device walks them, over guest RAM
 * that the guest may change at any moment: every index, descriptor, length
 * and address is read once and checked before use (the ranges against the
 * domain's RAM, chain length, loops, indirect tables). A ring that breaks
 * the rules is reported, never followed: the device then needs a reset.
 * Pure: no I/O, host-tested and fuzzed.
 */
#ifndef KEEL_DM_VIRTQ_H
#define KEEL_DM_VIRTQ_H
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTQ_MAX_SIZE      256         /* the largest queue a device offers */
#define VIRTQ_MAX_SEGS      (VIRTQ_MAX_SIZE + 4)
#define VIRTQ_INDIRECT_MAX  1024        /* descriptors in one indirect table */

#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_DESC_F_INDIRECT   4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY  1
#define VIRTIO_F_INDIRECT_DESC  28

/* A domain's RAM as the device model maps it: guest-physical 0 is @base. */
struct gmem {
    uint8_t *base;
    uint64_t size;
};

/* Host pointer to [gpa, gpa + len) if it is all RAM, else NULL (overflow-safe). */
static inline void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
    if (gpa > m->size || len > m->size - gpa)
        return NULL;
    return m->base + gpa;
}

struct virtq {
    uint16_t size;                      /* a power of 2, <= VIRTQ_MAX_SIZE */
    uint16_t last_avail;                /* the next avail entry to take */
    uint16_t used_idx;                  /* the next used entry to write */
    int indirect;                       /* VIRTIO_F_INDIRECT_DESC was negotiated */
    uint64_t desc, avail, used;         /* guest-physical */
    const struct gmem *mem;
};

/* One request: its buffers in order, the device-readable ones first. */
struct virtq_chain {
    uint16_t head;
    unsigned nr_in, nr_out;             /* readable (driver -> device), then writable */
    struct iovec iov[VIRTQ_MAX_SEGS];   /* [0, nr_in) readable, [nr_in, nr_in + nr_out) writable */
    uint64_t out_bytes;                 /* the writable ones' total */
};

/*
 * The rings fit in RAM at their addresses for @size (a power of 2 up to
 * VIRTQ_MAX_SIZE, or the queue may not be enabled): 0 or -1.
 */
int virtq_setup(struct virtq *q, const struct gmem *mem, uint16_t size, uint64_t desc, uint64_t avail,
                uint64_t used, int indirect, const char **why);
/*
 * The next request: 1 and @c, 0 when the ring is empty, or -1 (*@why says
 * what) when the ring breaks the rules.
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c, const char **why);
/* Hand back @head with @len bytes written into its buffers. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Hand back @n chains at once: the driver sees all of them or none. */
void virtq_push_n(struct virtq *q, const uint16_t *heads, const uint32_t *lens, unsigned n);
/*
 * Ask the driver not to notify (@on), or to notify again: while the device
 * drains a queue, its notifications would only cost exits. After turning
 * them back on, look at the ring once more (2.7.10).
 */
void virtq_quiet(struct virtq *q, int on);
/*
 * virtq_pop() for a device that drains the queue in one turn: the driver's
 * notifications go off at the first chain and on again when the ring looks
 * empty, which it then gets one more look. *@quiet carries the state from
 * one call to the next; start each turn with 0 (a turn that spent its
 * quota may have left them off).
 */
int virtq_pop_draining(struct virtq *q, struct virtq_chain *c, int *quiet, const char **why);
/* After pushes: does the driver want an interrupt (it did not set NO_INTERRUPT)? */
int virtq_should_notify(const struct virtq *q);
/* Copy up to @len bytes of the chain's readable part, from byte @off: how many. */
size_t virtq_read(const struct virtq_chain *c, uint64_t off, void *buf, size_t len);
#endif

/*
 * Split virtqueue walking (virtio 1.2 2.7); see virtq.h. The rules checked
 * are the driver's "MUST"s a device can see broken: 2.7.5 (a chain's
 * writable descriptors come after its readable ones), 2.7.5.3.1 (no
 * INDIRECT with NEXT, no indirect table inside one, its length a multiple
 * of 16), and that a chain ends within the queue's size (a loop otherwise).
 */
#include <string.h>
#include "virtq.h"

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static uint16_t load16(const void *p)
{
    uint16_t v;

    __atomic_load((const uint16_t *)p, &v, __ATOMIC_ACQUIRE);
    return v;
}

int virtq_setup(struct virtq *q, const struct gmem *mem, uint16_t size, uint64_t desc, uint64_t avail,
                uint64_t used, int indirect, const char **why)
{
    if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1))) {
        *why = "queue size is not a power of 2 up to 256";
        return -1;
    }
    /* 2.7: the rings' alignment (16, 2, 4) and extent, with the event fields. */
    if ((desc & 15) || (avail & 1) || (used & 3) || !gmem_ptr(mem, desc, 16ull * size) ||
        !gmem_ptr(mem, avail, 6 + 2ull * size) || !gmem_ptr(mem, used, 6 + 8ull * size)) {
        *why = "queue rings misaligned or outside the domain's RAM";
        return -1;
    }
    q->size = size;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->mem = mem;
    q->indirect = indirect;
    q->last_avail = 0;
    q->used_idx = 0;
    return 0;
}

static int add_seg(struct virtq_chain *c, const struct gmem *m, const struct desc *d, const char **why)
{
    unsigned n = c->nr_in + c->nr_out;
    void *p;

    if (n == VIRTQ_MAX_SEGS) {
        *why = "more buffers in one chain than the device takes";
        return -1;
    }
    if (!(d->flags & VIRTQ_DESC_F_WRITE) && c->nr_out) {
        *why = "a readable buffer after a writable one";
        return -1;
    }
    p = gmem_ptr(m, d->addr, d->len);
    if (!p) {
        *why = "a buffer outside the domain's RAM";
        return -1;
    }
    c->iov[n].iov_base = p;
    c->iov[n].iov_len = d->len;
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        c->nr_out++;
        c->out_bytes += d->len;
    } else {
        c->nr_in++;
    }
    return 0;
}

/* Descriptor @i of a table of @n at @table, copied. */
static int read_desc(const struct gmem *m, uint64_t table, unsigned n, unsigned i, struct desc *d)
{
    const uint8_t *p = gmem_ptr(m, table + 16ull * i, 16);

    if (i >= n || !p)
        return -1;
    memcpy(d, p, sizeof(*d));
    return 0;
}

static int walk_indirect(struct virtq_chain *c, const struct gmem *m, const struct desc *id, const char **why)
{
    unsigned n = id->len / 16, i = 0, steps = 0;
    struct desc d;

    if ((id->len & 15) || !n || n > VIRTQ_INDIRECT_MAX || !gmem_ptr(m, id->addr, id->len)) {
        *why = "a bad indirect table (length, or outside RAM)";
        return -1;
    }
    for (;;) {
        if (read_desc(m, id->addr, n, i, &d) || ++steps > n) {
            *why = steps > n ? "an indirect chain that loops" : "an indirect chain that leaves its table";
            return -1;
        }
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            *why = "an indirect table inside an indirect table";
            return -1;
        }
        if (add_seg(c, m, &d, why))
            return -1;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        i = d.next;
    }
}

int virtq_pop(struct virtq *q, struct virtq_chain *c, const char **why)
{
    const struct gmem *m = q->mem;
    uint16_t avail_idx = load16(m->base + q->avail + 2), head;
    unsigned i, steps = 0;
    struct desc d;

    if (avail_idx == q->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - q->last_avail) > q->size) {
        *why = "the available index ran more than a queue ahead";
        return -1;
    }
    head = load16(m->base + q->avail + 4 + 2u * (q->last_avail & (q->size - 1)));
    if (head >= q->size) {
        *why = "an available entry past the descriptor table";
        return -1;
    }
    c->head = head;
    c->nr_in = c->nr_out = 0;
    c->out_bytes = 0;
    i = head;
    for (;;) {
        if (read_desc(m, q->desc, q->size, i, &d) || ++steps > q->size) {
            *why = steps > q->size ? "a descriptor chain that loops" : "a descriptor chain that leaves the table";
            return -1;
        }
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!q->indirect || (d.flags & VIRTQ_DESC_F_NEXT)) {
                *why = q->indirect ? "an indirect descriptor with NEXT" : "an indirect descriptor not negotiated";
                return -1;
            }
            if (walk_indirect(c, m, &d, why))
                return -1;
            break;
        }
        if (add_seg(c, m, &d, why))
            return -1;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        i = d.next;
    }
    q->last_avail++;
    return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    virtq_push_n(q, &head, &len, 1);
}

void virtq_push_n(struct virtq *q, const uint16_t *heads, const uint32_t *lens, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = q->mem->base + q->used + 4 + 8u * ((uint16_t)(q->used_idx + i) & (q->size - 1));
        uint32_t id = heads[i];
        memcpy(e, &id, 4);
        memcpy(e + 4, &lens[i], 4);
    }
    q->used_idx = (uint16_t)(q->used_idx + n);
    /* The entries before the index (2.7.8): the driver reads them in that order. */
    __atomic_store_n((uint16_t *)(q->mem->base + q->used + 2), q->used_idx, __ATOMIC_RELEASE);
}

void virtq_quiet(struct virtq *q, int on)
{
    __atomic_store_n((uint16_t *)(q->mem->base + q->used), (uint16_t)(on ? VIRTQ_USED_F_NO_NOTIFY : 0),
                     __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int virtq_pop_draining(struct virtq *q, struct virtq_chain *c, int *quiet, const char **why)
{
    for (;;) {
        int rc = virtq_pop(q, c, why);

        if (rc < 0)
            return rc;
        if (rc) {
            if (*quiet != 1) {
                virtq_quiet(q, 1);
                *quiet = 1;
            }
            return 1;
        }
        if (*quiet < 0)
            return 0;                   /* on, and empty at the look after */
        virtq_quiet(q, 0);
        *quiet = -1;
    }
}

int virtq_should_notify(const struct virtq *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(load16(q->mem->base + q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

size_t virtq_read(const struct virtq_chain *c, uint64_t off, void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < c->nr_in && done < len; i++) {
        size_t l = c->iov[i].iov_len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t n = l - off < len - done ? l - off : len - done;
        memcpy((uint8_t *)buf + done, (uint8_t *)c->iov[i].iov_base + off, n);
        done += n;
        off = 0;
    }
    return done;
}

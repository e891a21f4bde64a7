/* A split virtqueue descriptor written into test RAM (virtio 1.2 2.7.5), for the keel-dm tests. */
#ifndef UNIT_RING_H
#define UNIT_RING_H
#include <stdint.h>
#include <string.h>

static inline void ring_put_desc(uint8_t *ram, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                                 uint16_t flags, uint16_t next)
{
    uint8_t *d = ram + table + 16 * i;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}
/* Make @head available in the ring whose avail ring is at @avail (@qsize entries). */
static inline void ring_offer(uint8_t *ram, uint64_t avail, unsigned qsize, uint16_t head)
{
    uint16_t idx;

    memcpy(&idx, ram + avail + 2, 2);
    memcpy(ram + avail + 4 + 2 * (idx % qsize), &head, 2);
    idx++;
    memcpy(ram + avail + 2, &idx, 2);
}

/* The used ring's index at @used. */
static inline uint16_t ring_used_idx(const uint8_t *ram, uint64_t used)
{
    uint16_t u;

    memcpy(&u, ram + used + 2, 2);
    return u;
}
#endif

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
#endif

/*
 * libFuzzer: keel-dm's virtqueue walker over guest RAM the fuzzer writes:
 * the input's first bytes pick the queue's size and ring addresses, the
 * rest is RAM (rings, descriptors, indirect tables). Every chain it hands
 * out must lie inside RAM and keep readable buffers before writable ones.
 */
#include <stdint.h>
#include <string.h>
#include "../../tools/keel-dm/virtq.h"

#define RAM 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ram[RAM] __attribute__((aligned(16)));
    static struct virtq_chain c;
    struct gmem mem = { ram, RAM };
    struct virtq q;
    const char *why;
    uint16_t p[4];

    if (size < 8)
        return 0;
    memcpy(p, data, 8);
    memset(ram, 0, RAM);
    memcpy(ram, data + 8, size - 8 < RAM ? size - 8 : RAM);
    if (virtq_setup(&q, &mem, (uint16_t)(1u << (p[0] % 9)), p[1] & ~15u, p[2] & ~1u, p[3] & ~3u, p[0] >> 15, &why))
        return 0;
    for (int n = 0; n < 4 * VIRTQ_MAX_SIZE; n++) {
        int rc = virtq_pop(&q, &c, &why);
        if (rc <= 0)
            break;
        for (unsigned i = 0; i < c.nr_in + c.nr_out; i++) {
            const uint8_t *b = c.iov[i].iov_base;
            if (b < ram || b + c.iov[i].iov_len > ram + RAM)
                __builtin_trap();
        }
        if (c.nr_in + c.nr_out > VIRTQ_MAX_SEGS || c.head >= q.size)
            __builtin_trap();
        virtq_push(&q, c.head, 0);
    }
    return 0;
}

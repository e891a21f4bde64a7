/*
 * A message budget: at most @burst in each window of @window ticks; what
 * is dropped is counted, and the first message let through afterwards
 * learns how many (to say "N suppressed"). Pure: the caller serializes.
 */
#ifndef KEEL_RATELIMIT_H
#define KEEL_RATELIMIT_H
#include <stdint.h>

struct ratelimit {
    uint64_t start;                 /* when the current window began */
    uint32_t count;                 /* let through in it */
    uint32_t missed;                /* dropped since the last one let through */
};

static inline int ratelimit_ok(struct ratelimit *rl, uint64_t now, uint64_t window, uint32_t burst,
                               uint32_t *missed)
{
    if (!rl->start || now - rl->start >= window) {
        rl->start = now ? now : 1;
        rl->count = 0;
    }
    if (rl->count >= burst) {
        rl->missed++;
        return 0;
    }
    rl->count++;
    *missed = rl->missed;
    rl->missed = 0;
    return 1;
}
#endif

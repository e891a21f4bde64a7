/*
 * RIP -> function name, from the table that the second link pass embeds
 * (scripts/gen-syms.sh writes it from the first pass's `nm -n`).
 */
#include <stdint.h>
#include <keel/arch.h>

struct keel_sym {
    uint64_t addr;
    const char *name;
};

extern const uint64_t keel_nr_syms;
extern const struct keel_sym keel_syms[];

const char *arch_symbolize(uint64_t addr, uint64_t *offset)
{
    uint64_t lo = 0, hi = keel_nr_syms;

    if (!hi || addr < keel_syms[0].addr)
        return NULL;
    while (hi - lo > 1) {               /* last symbol at or below addr */
        uint64_t mid = lo + (hi - lo) / 2;
        if (keel_syms[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - keel_syms[lo].addr;
    return keel_syms[lo].name;
}

/* Shared helpers of the host unit tests. */
#ifndef UNIT_H
#define UNIT_H
#include <stddef.h>
#include <stdint.h>

#define UNIT_LOG_SIZE 65536
extern char unit_log[UNIT_LOG_SIZE];
void unit_log_clear(void);
int unit_log_has(const char *s);

/* A fixture: "@@TAG address hex" lines, merged into contiguous regions. */
struct fx_region {
    uint64_t addr;
    size_t len;
    uint8_t *data;
};

struct fixture {
    size_t nr;
    struct fx_region r[128];
    uint8_t *rsdp;               /* @@RSDP: the copy a boot loader passed */
    size_t rsdp_len;
};

/* Load tests/unit/fixtures/NAME; tags other than @@MBI/@@ACPI/@@RSDP are skipped. */
void fixture_load(struct fixture *f, const char *name);
void fixture_free(struct fixture *f);
/* A pointer into a region holding [addr, addr + len), or NULL. */
uint8_t *fixture_at(const struct fixture *f, uint64_t addr, uint64_t len);
/* A whole file (a path from the repository's top), NUL-terminated, malloc'd; NULL if unreadable. */
char *unit_read_text(const char *path);

/* Deterministic PRNG for corruption loops. */
static inline uint32_t unit_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}
#endif

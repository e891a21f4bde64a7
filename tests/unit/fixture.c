/* Loader for the text fixtures captured by tests/unit/fixtures/capture.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/unit/fixtures"
#endif

static void append(uint8_t **data, size_t *len, const char *hex)
{
    size_t n = strlen(hex) / 2;

    *data = realloc(*data, *len + n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        (*data)[*len + i] = (uint8_t)v;
    }
    *len += n;
}

void fixture_load(struct fixture *f, const char *name)
{
    char path[512], line[256], tag[16], hex[160];
    unsigned long long addr;
    FILE *fp;

    memset(f, 0, sizeof(*f));
    snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
    fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "fixture %s: cannot open\n", path);
        abort();
    }
    while (fgets(line, sizeof(line), fp)) {
        if (sscanf(line, "@@%15s %llx %159s", tag, &addr, hex) != 3)
            continue;
        if (!strcmp(tag, "RSDP")) {
            append(&f->rsdp, &f->rsdp_len, hex);
            continue;
        }
        if (f->nr && f->r[f->nr - 1].addr + f->r[f->nr - 1].len == addr) {
            append(&f->r[f->nr - 1].data, &f->r[f->nr - 1].len, hex);
        } else if (f->nr < sizeof(f->r) / sizeof(f->r[0])) {
            f->r[f->nr].addr = addr;
            append(&f->r[f->nr].data, &f->r[f->nr].len, hex);
            f->nr++;
        }
    }
    fclose(fp);
}

void fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < f->nr; i++)
        free(f->r[i].data);
    free(f->rsdp);
    memset(f, 0, sizeof(*f));
}

uint8_t *fixture_at(const struct fixture *f, uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < f->nr; i++) {
        const struct fx_region *r = &f->r[i];
        if (addr >= r->addr && addr - r->addr <= r->len && len <= r->len - (addr - r->addr))
            return r->data + (addr - r->addr);
    }
    return NULL;
}

char *unit_read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
        (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

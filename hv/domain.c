/*
 * Domains: memory in chunks (2 MiB allocator blocks, or dom0's identity-mapped
 * host ranges), vCPUs,
 * emulated I/O ports, console lines, and the two ways a domain stops.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/sched.h>

#define CHUNK_ORDER 9       /* 2 MiB: one EPT large page each */

static struct domain domains[4];
static struct vcpu vcpus[4][DOMAIN_MAX_VCPUS];
static uint32_t next_domid = 1;

struct domain *domain_create(const char *name, uint64_t bytes, uint32_t max_vcpus)
{
    struct domain *d = NULL;
    uint64_t chunk = PAGE_SIZE << CHUNK_ORDER;

    for (size_t i = 0; i < ARRAY_SIZE(domains); i++)
        if (!domains[i].id) {
            d = &domains[i];
            break;
        }
    if (!d || bytes > chunk * DOMAIN_MAX_CHUNKS || !max_vcpus || max_vcpus > DOMAIN_MAX_VCPUS) {
        pr_err("domain: cannot create '%s' (%lu bytes)\n", name, (unsigned long)bytes);
        return NULL;
    }
    memset(d, 0, sizeof(*d));
    d->id = next_domid++;
    d->max_vcpus = max_vcpus;
    snprintf(d->name, sizeof(d->name), "%s", name);
    if (arch_domain_init(d))
        goto fail;
    for (uint64_t gpa = 0; gpa < bytes; gpa += chunk) {
        uint64_t hpa = alloc_pages(CHUNK_ORDER);
        if (!hpa) {
            pr_err("d%u: out of memory at %lu MiB\n", d->id, (unsigned long)(gpa >> 20));
            goto fail;
        }
        memset(phys_to_virt(hpa), 0, chunk);
        if (domain_add_ram(d, gpa, hpa, chunk, 1)) {
            free_pages(hpa, CHUNK_ORDER);
            goto fail;
        }
    }
    d->state = DOMAIN_RUNNING;
    if (bytes)
        pr_info("d%u: domain '%s' created, %lu MiB\n", d->id, d->name, (unsigned long)(d->mem_bytes >> 20));
    return d;
fail:
    domain_destroy(d);
    return NULL;
}

int domain_add_ram(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size, int owned)
{
    uint64_t block = PAGE_SIZE << CHUNK_ORDER;
    struct mem_chunk *last = d->nr_chunks ? &d->chunks[d->nr_chunks - 1] : NULL;

    if (!size || ((gpa | hpa | size) & (PAGE_SIZE - 1)) || (owned && ((hpa | size) & (block - 1))))
        return -EINVAL;
    if (arch_domain_map(d, gpa, hpa, size))
        return -ENOMEM;
    if (last && last->owned == owned && last->gpa + last->size == gpa && last->hpa + last->size == hpa) {
        last->size += size;             /* contiguous on both sides: one chunk */
    } else {
        if (d->nr_chunks == DOMAIN_MAX_CHUNKS) {
            pr_err("d%u: RAM in more than %u pieces\n", d->id, DOMAIN_MAX_CHUNKS);
            return -E2BIG;
        }
        d->chunks[d->nr_chunks++] = (struct mem_chunk){ gpa, hpa, size, owned };
    }
    d->mem_bytes += size;
    return 0;
}

void domain_destroy(struct domain *d)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        arch_vcpu_destroy(d->vcpus[i]);
    arch_domain_destroy(d);
    for (uint32_t i = 0; i < d->nr_chunks; i++)
        for (uint64_t off = 0; d->chunks[i].owned && off < d->chunks[i].size; off += PAGE_SIZE << CHUNK_ORDER)
            free_pages(d->chunks[i].hpa + off, CHUNK_ORDER);
    memset(d, 0, sizeof(*d));
}

unsigned domain_slot(const struct domain *d)
{
    return (unsigned)(d - domains);
}

struct vcpu *vcpu_create(struct domain *d)
{
    struct vcpu *v;

    if (d->nr_vcpus >= d->max_vcpus)
        return NULL;
    v = &vcpus[domain_slot(d)][d->nr_vcpus];
    memset(v, 0, sizeof(*v));
    v->id = d->nr_vcpus;
    v->domain = d;
    if (arch_vcpu_init(v))
        return NULL;
    d->vcpus[d->nr_vcpus++] = v;
    return v;
}

static struct mem_chunk *chunk_of(struct domain *d, uint64_t gpa)
{
    for (uint32_t i = 0; i < d->nr_chunks; i++) {
        struct mem_chunk *c = &d->chunks[i];
        if (gpa >= c->gpa && gpa - c->gpa < c->size)
            return c;
    }
    return NULL;
}

void *domain_gpa_to_hva(struct domain *d, uint64_t gpa, uint64_t len)
{
    struct mem_chunk *c = chunk_of(d, gpa);

    if (!c || len > c->size - (gpa - c->gpa))
        return NULL;
    return phys_to_virt(c->hpa + (gpa - c->gpa));
}

static int copy(struct domain *d, uint64_t gpa, void *buf, uint64_t len, int to_guest)
{
    uint8_t *p = buf;

    while (len) {
        struct mem_chunk *c = chunk_of(d, gpa);
        uint64_t n;
        uint8_t *h;

        if (!c)
            return -EFAULT;
        n = MIN(len, c->size - (gpa - c->gpa));
        h = phys_to_virt(c->hpa + (gpa - c->gpa));
        if (to_guest)
            memcpy(h, p, n);
        else
            memcpy(p, h, n);
        gpa += n;
        p += n;
        len -= n;
    }
    return 0;
}

int domain_copy_to(struct domain *d, uint64_t gpa, const void *src, uint64_t len)
{
    return copy(d, gpa, (void *)(uintptr_t)src, len, 1);
}

int domain_copy_from(struct domain *d, void *dst, uint64_t gpa, uint64_t len)
{
    return copy(d, gpa, dst, len, 0);
}

int domain_register_portio(struct domain *d, uint16_t base, uint16_t count, portio_fn fn)
{
    if (d->nr_portio >= ARRAY_SIZE(d->portio) || !count || base + count > 0x10000)
        return -EINVAL;
    d->portio[d->nr_portio++] = (struct portio){ base, count, fn };
    return 0;
}

int domain_register_mmio(struct domain *d, uint64_t base, uint64_t size, mmio_fn fn)
{
    if (d->nr_mmio >= ARRAY_SIZE(d->mmio) || !size || base + size < base)
        return -EINVAL;
    for (uint32_t i = 0; i < d->nr_chunks; i++)
        if (base < d->chunks[i].gpa + d->chunks[i].size && d->chunks[i].gpa < base + size)
            return -EINVAL;             /* RAM is RAM: never emulated */
    d->mmio[d->nr_mmio++] = (struct mmio){ base, size, fn };
    return 0;
}

const struct mmio *domain_find_mmio(struct domain *d, uint64_t gpa)
{
    for (uint32_t i = 0; i < d->nr_mmio; i++)
        if (gpa >= d->mmio[i].base && gpa - d->mmio[i].base < d->mmio[i].size)
            return &d->mmio[i];
    return NULL;
}

void domain_portio(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domain *d = v->domain;

    for (uint32_t i = 0; i < d->nr_portio; i++) {
        const struct portio *p = &d->portio[i];
        if (port >= p->base && port - p->base < p->count && !p->fn(v, port, size, in, val))
            return;
    }
    /* Nothing there: an ISA bus floats high. */
    if (in)
        *val = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
    pr_debug("d%u: unclaimed %s port %#x size %u\n", d->id, in ? "in" : "out", port, size);
}

void domain_console_putc(struct domain *d, char c)
{
    if (c == '\r')
        return;
    if (c != '\n') {
        if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
            c = '.';            /* a guest does not get to drive our terminal */
        d->con_line[d->con_len++] = c;
    }
    if (c == '\n' || d->con_len == sizeof(d->con_line) - 1) {
        d->con_line[d->con_len] = '\0';
        pr_info("(d%u) %s\n", d->id, d->con_line);
        d->con_len = 0;
    }
}

void domain_shutdown(struct domain *d, uint32_t code)
{
    if (d->state != DOMAIN_RUNNING)
        return;
    if (d->con_len)
        domain_console_putc(d, '\n');
    d->state = DOMAIN_SHUTDOWN;
    d->exit_code = code;
    pr_info("d%u: shut down, exit code %u\n", d->id, code);
    domain_kick(d);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    va_list ap;

    if (d->state != DOMAIN_RUNNING)
        return;
    va_start(ap, fmt);
    vsnprintf(d->crash_reason, sizeof(d->crash_reason), fmt, ap);
    va_end(ap);
    if (d->con_len)
        domain_console_putc(d, '\n');
    d->state = DOMAIN_CRASHED;
    pr_err("d%u: crashed: %s\n", d->id, d->crash_reason);
    domain_kick(d);
}

void domain_print_all(void)
{
    static const char *const states[] = { "running", "shut down", "crashed" };

    for (size_t i = 0; i < ARRAY_SIZE(domains); i++) {
        const struct domain *d = &domains[i];
        if (!d->id)
            continue;
        pr_info("d%u '%s': %s, %lu MiB, %u vCPUs\n", d->id, d->name, states[d->state],
                (unsigned long)(d->mem_bytes >> 20), d->nr_vcpus);
    }
}

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
#include <asm/cpu_ops.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/evtchn.h>
#include <keel/foreign.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include <keel/spinlock.h>

#define CHUNK_ORDER 9       /* 2 MiB: the smallest block of a domU's RAM, one EPT large page */

static struct domain *domains[DOMAIN_MAX];
static spinlock_t table_lock = SPINLOCK_INIT_LEVEL(LOCK_TABLE);     /* domains[], next_domid; nothing inside */
static uint32_t next_domid = 1;     /* 0 is dom0's, as on Xen (domain_create_dom0) */

static unsigned order_of(size_t bytes)
{
    unsigned order = 0;

    while ((PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

/* Zeroed hypervisor memory for a structure (no heap: whole frames). */
static void *zalloc(size_t bytes)
{
    uint64_t pa = alloc_pages(order_of(bytes));

    if (!pa)
        return NULL;
    memset(phys_to_virt(pa), 0, PAGE_SIZE << order_of(bytes));
    return phys_to_virt(pa);
}

static void zfree(void *p, size_t bytes)
{
    if (p)
        free_pages(virt_to_phys(p), order_of(bytes));
}

/* RAM [0, bytes) in the largest aligned blocks the allocator can give. */
static int populate(struct domain *d, uint64_t bytes)
{
    for (uint64_t gpa = 0; gpa < bytes;) {
        unsigned order = BUDDY_MAX_ORDER;
        uint64_t hpa = 0;

        while (order > CHUNK_ORDER && ((gpa & ((PAGE_SIZE << order) - 1)) || bytes - gpa < (PAGE_SIZE << order)))
            order--;
        while (!(hpa = alloc_pages(order)) && order > CHUNK_ORDER)
            order--;
        if (!hpa) {
            pr_err("d%u: out of memory at %lu MiB\n", d->id, (unsigned long)(gpa >> 20));
            return -ENOMEM;
        }
        memset(phys_to_virt(hpa), 0, PAGE_SIZE << order);
        if (domain_add_ram(d, gpa, hpa, PAGE_SIZE << order, (int)order)) {
            free_pages(hpa, order);
            return -ENOMEM;
        }
        gpa += PAGE_SIZE << order;
    }
    return 0;
}

static struct domain *create(const char *name, uint64_t bytes, uint32_t max_vcpus, int dom0)
{
    struct domain *d;
    unsigned slot = DOMAIN_MAX;

    if ((bytes & ((PAGE_SIZE << CHUNK_ORDER) - 1)) || !max_vcpus || max_vcpus > DOMAIN_MAX_VCPUS) {
        pr_err("domain: cannot create '%s' (%lu bytes, %u vCPUs)\n", name, (unsigned long)bytes, max_vcpus);
        return NULL;
    }
    d = zalloc(sizeof(*d));
    if (!d)
        return NULL;
    spin_lock(&table_lock);
    for (unsigned i = 0; i < DOMAIN_MAX; i++) {
        if (dom0 && domains[i] && !domains[i]->id) {
            slot = DOMAIN_MAX;                          /* there is one already */
            break;
        }
        if (!domains[i] && slot == DOMAIN_MAX)
            slot = i;
    }
    if (slot < DOMAIN_MAX) {
        d->id = dom0 ? 0 : next_domid++;
        domains[slot] = d;
    }
    spin_unlock(&table_lock);
    if (slot == DOMAIN_MAX) {
        pr_err("domain: cannot create '%s': %s\n", name, dom0 ? "domain 0 exists already" : "too many domains");
        zfree(d, sizeof(*d));
        return NULL;
    }
    d->max_vcpus = max_vcpus;
    d->max_mem_bytes = bytes ? bytes : DOMAIN_MEM_UNLIMITED;
    d->created_tsc = rdtsc();
    snprintf(d->name, sizeof(d->name), "%s", name);
    if (arch_domain_init(d) || populate(d, bytes))
        goto fail;
    d->state = DOMAIN_RUNNING;
    if (bytes)
        pr_info("d%u: domain '%s' created, %lu MiB\n", d->id, d->name, (unsigned long)(d->mem_bytes >> 20));
    return d;
fail:
    domain_destroy(d);
    return NULL;
}

struct domain *domain_create(const char *name, uint64_t bytes, uint32_t max_vcpus)
{
    return create(name, bytes, max_vcpus, 0);
}

struct domain *domain_create_dom0(const char *name, uint32_t max_vcpus)
{
    return create(name, 0, max_vcpus, 1);
}

int domain_add_ram(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size, int order)
{
    struct mem_chunk *last = d->nr_chunks ? &d->chunks[d->nr_chunks - 1] : NULL;
    uint64_t block = order >= 0 ? PAGE_SIZE << order : PAGE_SIZE;
    int merge;

    if (!size || ((gpa | hpa | size) & (PAGE_SIZE - 1)) || ((hpa | size) & (block - 1)) ||
        order > BUDDY_MAX_ORDER)
        return -EINVAL;
    if (size > d->max_mem_bytes || d->mem_bytes > d->max_mem_bytes - size) {
        pr_err("d%u: %lu KiB more RAM would pass its maximum (%lu KiB)\n", d->id, (unsigned long)(size >> 10),
               (unsigned long)(d->max_mem_bytes >> 10));
        return -ENOSPC;
    }
    /* Contiguous on both sides and made of the same blocks: one chunk. */
    merge = last && last->order == order && last->gpa + last->size == gpa && last->hpa + last->size == hpa;
    if (!merge && d->nr_chunks == DOMAIN_MAX_CHUNKS) {
        pr_err("d%u: RAM in more than %u pieces\n", d->id, DOMAIN_MAX_CHUNKS);
        return -E2BIG;
    }
    if (arch_domain_map(d, gpa, hpa, size))
        return -ENOMEM;
    if (merge)
        last->size += size;
    else
        d->chunks[d->nr_chunks++] = (struct mem_chunk){ gpa, hpa, size, order };
    d->mem_bytes += size;
    return 0;
}

void domain_destroy(struct domain *d)
{
    /*
     * Out of the table first: whoever finds a domain under evtchn_lock
     * (a send, a bind, a VIRQ's walk) then either found it before this,
     * and holds evtchn_lock until done with it, or never finds it.
     */
    spin_lock(&table_lock);
    for (unsigned i = 0; i < DOMAIN_MAX; i++)
        if (domains[i] == d)
            domains[i] = NULL;
    spin_unlock(&table_lock);
    evtchn_domain_destroy(d);           /* waits for them; before anything its ports point into goes */
    if (d->log_rl.missed)
        pr_info("d%u: %u log lines suppressed\n", d->id, d->log_rl.missed);
    foreign_domain_gone(d);             /* dom0 no longer sees its frames */
    dm_domain_destroy(d);
    if (d->platform_free)
        d->platform_free(d);
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        arch_vcpu_destroy(d->vcpus[i]);
        zfree(d->vcpus[i], sizeof(struct vcpu));
    }
    arch_domain_destroy(d);
    for (uint32_t i = 0; i < d->nr_chunks; i++) {
        const struct mem_chunk *c = &d->chunks[i];
        for (uint64_t off = 0; c->order >= 0 && off < c->size; off += PAGE_SIZE << c->order)
            free_pages(c->hpa + off, (unsigned)c->order);
    }
    if (d->con_ring)
        free_pages(virt_to_phys(d->con_ring), CONSOLE_RING_ORDER);
    zfree(d, sizeof(*d));
}

void domain_kill(struct domain *d)
{
    domain_pause(d);
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        sched_remove_vcpu(d->vcpus[i]);
    pr_info("d%u: '%s' destroyed\n", d->id, d->name);
    domain_destroy(d);
    evtchn_send_virq(KEEL_VIRQ_DOM_EXC);
}

void domain_pause(struct domain *d)
{
    __atomic_add_fetch(&d->pause_count, 1, __ATOMIC_SEQ_CST);     /* before quiesce reads running */
    domain_kick(d);
    sched_quiesce(d);
}

int domain_unpause(struct domain *d)
{
    if (__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) <= 0)
        return -EINVAL;
    __atomic_sub_fetch(&d->pause_count, 1, __ATOMIC_ACQ_REL);
    domain_kick(d);
    return 0;
}

struct domain *domain_find(uint64_t id)
{
    struct domain *found = NULL;

    spin_lock(&table_lock);
    for (unsigned i = 0; i < DOMAIN_MAX; i++)
        if (domains[i] && domains[i]->id == id)
            found = domains[i];
    spin_unlock(&table_lock);
    return found;
}

struct domain *domain_find_name(const char *name)
{
    struct domain *found = NULL;

    spin_lock(&table_lock);
    for (unsigned i = 0; i < DOMAIN_MAX; i++)
        if (domains[i] && !strcmp(domains[i]->name, name))
            found = domains[i];
    spin_unlock(&table_lock);
    return found;
}

struct domain *domain_next(uint32_t id)
{
    struct domain *best = NULL;

    spin_lock(&table_lock);
    for (unsigned i = 0; i < DOMAIN_MAX; i++)
        if (domains[i] && domains[i]->id >= id && (!best || domains[i]->id < best->id))
            best = domains[i];
    spin_unlock(&table_lock);
    return best;
}

struct vcpu *vcpu_create(struct domain *d)
{
    struct vcpu *v;

    if (d->nr_vcpus >= d->max_vcpus || !(v = zalloc(sizeof(*v))))
        return NULL;
    v->id = d->nr_vcpus;
    v->domain = d;
    if (arch_vcpu_init(v)) {
        arch_vcpu_destroy(v);
        zfree(v, sizeof(*v));
        return NULL;
    }
    d->vcpus[d->nr_vcpus++] = v;
    return v;
}

int domain_console_ring_init(struct domain *d)
{
    uint64_t pa = alloc_pages(CONSOLE_RING_ORDER);

    if (!pa)
        return -ENOMEM;
    d->con_ring = phys_to_virt(pa);
    d->con_prod = 0;
    return 0;
}

size_t domain_console_read(struct domain *d, uint64_t *pos, void *buf, size_t len)
{
    const uint64_t size = PAGE_SIZE << CONSOLE_RING_ORDER;
    uint64_t prod, p = *pos;
    size_t n = 0;

    if (!d->con_ring)
        return 0;
    /*
     * Re-arm the writer's event before looking at what it wrote: it stores
     * con_prod then takes con_notify, we store con_notify then load
     * con_prod (all seq_cst), so a byte we miss here raises the event.
     */
    __atomic_store_n(&d->con_notify, 1, __ATOMIC_SEQ_CST);
    prod = __atomic_load_n(&d->con_prod, __ATOMIC_SEQ_CST);
    if (p > prod)
        p = prod;
    if (prod - p > size)
        p = prod - size;                /* overwritten: start with the oldest byte kept */
    *pos = p;
    for (; p < prod && n < len; p++, n++)
        ((uint8_t *)buf)[n] = d->con_ring[p % size];
    /* A writer may have lapped us while we copied: drop what it overwrote. */
    prod = __atomic_load_n(&d->con_prod, __ATOMIC_ACQUIRE);
    if (prod > *pos + size) {
        size_t lost = (size_t)(prod - size - *pos);
        if (lost >= n)
            return 0;
        memmove(buf, (uint8_t *)buf + lost, n - lost);
        *pos += lost;
        n -= lost;
    }
    return n;
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

int domain_ram_hpa(struct domain *d, uint64_t gpa, uint64_t *hpa, uint64_t *run)
{
    struct mem_chunk *c = chunk_of(d, gpa);

    if (!c)
        return -EINVAL;
    *hpa = c->hpa + (gpa - c->gpa);
    *run = c->size - (gpa - c->gpa);
    return 0;
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
    gprintk(d, LOG_DEBUG, "d%u: unclaimed %s port %#x size %u\n", d->id, in ? "in" : "out", port, size);
}

void domain_console_putc(struct domain *d, char c)
{
    if (d->con_ring) {
        /* Bytes as they come (a terminal reads them, `kl console`); the newest win. */
        d->con_ring[d->con_prod % (PAGE_SIZE << CONSOLE_RING_ORDER)] = (uint8_t)c;
        __atomic_store_n(&d->con_prod, d->con_prod + 1, __ATOMIC_SEQ_CST);
        /*
         * One event per read (domain_console_read() re-arms it), not one per
         * byte; sent by domain_console_event() once the caller has dropped
         * its platform lock (the lock order: LOCK_EVTCHN is outside it).
         */
        if (__atomic_exchange_n(&d->con_notify, 0, __ATOMIC_SEQ_CST))
            __atomic_store_n(&d->con_event, 1, __ATOMIC_RELEASE);
        return;
    }
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

void domain_console_event(struct domain *d)
{
    if (__atomic_load_n(&d->con_event, __ATOMIC_ACQUIRE) && __atomic_exchange_n(&d->con_event, 0, __ATOMIC_ACQ_REL))
        evtchn_send_virq(KEEL_VIRQ_CONSOLE);
}

void domain_shutdown(struct domain *d, enum shutdown_reason reason, uint32_t code)
{
    static const char *const why[] = { "power off", "reboot", "?", "crash" };

    if (d->state != DOMAIN_RUNNING)
        return;
    if (d->con_len)
        domain_console_putc(d, '\n');
    domain_console_event(d);
    d->shutdown_reason = reason;
    d->exit_code = code;
    d->state = DOMAIN_SHUTDOWN;
    pr_info("d%u: shut down (%s), exit code %u\n", d->id, why[reason & 3], code);
    domain_kick(d);
    if (!d->privileged)
        evtchn_send_virq(KEEL_VIRQ_DOM_EXC);
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
    if (!d->privileged)
        evtchn_send_virq(KEEL_VIRQ_DOM_EXC);
}

/* As Xen's 'q' key: every vCPU's scheduling and interrupt state. */
void domain_dump_vcpus(void)
{
    for (uint32_t id = 0;; id++) {
        struct domain *d = domain_next(id);
        if (!d)
            return;
        for (uint32_t i = 0; i < d->nr_vcpus; i++)
            arch_vcpu_dump(d->vcpus[i]);
        id = d->id;
    }
}

void domain_print_all(void)
{
    static const char *const states[] = { "running", "shut down", "crashed" };

    for (size_t i = 0; i < ARRAY_SIZE(domains); i++) {
        const struct domain *d = domains[i];
        if (!d)
            continue;
        pr_info("d%u '%s': %s, %lu MiB, %u vCPUs\n", d->id, d->name, states[d->state],
                (unsigned long)(d->mem_bytes >> 20), d->nr_vcpus);
    }
}

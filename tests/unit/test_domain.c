/*
 * hv/domain.c: a domain's RAM as it is populated, limited, copied into and
 * given back. Frames come from a host stand-in for the allocator that
 * remembers every block, so a leak, a double free or a free of the wrong
 * order fails the test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include "unit.h"

#define MAX_BLOCKS  256

static struct { uint64_t pa; unsigned order; } blocks[MAX_BLOCKS];
static unsigned max_order;              /* larger requests fail, as on a fragmented host */
static uint64_t budget;                 /* bytes left to hand out */
static uint64_t mapped;                 /* bytes arch_domain_map() was asked to map */
static unsigned virqs, last_virq;

static unsigned live_blocks(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < MAX_BLOCKS; i++)
        n += blocks[i].pa != 0;
    return n;
}

/* ---- what domain.c calls ---- */

uint64_t alloc_pages(unsigned order)
{
    uint64_t bytes = PAGE_SIZE << order;
    void *p;

    if (order > max_order || bytes > budget)
        return 0;
    for (unsigned i = 0; i < MAX_BLOCKS; i++) {
        if (blocks[i].pa)
            continue;
        p = aligned_alloc(bytes, bytes);
        assert_non_null(p);
        blocks[i].pa = (uint64_t)(uintptr_t)p;
        blocks[i].order = order;
        budget -= bytes;
        return blocks[i].pa;
    }
    return 0;
}

void free_pages(uint64_t pa, unsigned order)
{
    for (unsigned i = 0; i < MAX_BLOCKS; i++) {
        if (blocks[i].pa != pa)
            continue;
        assert_int_equal(blocks[i].order, order);
        free((void *)(uintptr_t)pa);
        budget += PAGE_SIZE << order;
        blocks[i].pa = 0;
        return;
    }
    fail_msg("free_pages(%#llx, %u): not allocated", (unsigned long long)pa, order);
}

int arch_domain_init(struct domain *d) { return 0; }
void arch_domain_destroy(struct domain *d) {}
int arch_vcpu_init(struct vcpu *v) { return 0; }
void arch_vcpu_destroy(struct vcpu *v) {}
void sched_remove_vcpu(struct vcpu *v) {}
void sched_quiesce(struct domain *d) {}
void domain_kick(struct domain *d) {}
/* Ports reset only once the domain cannot be found: a send or the VIRQ walk (under
 * evtchn_lock) either found it before and finishes first, or never finds it. */
void evtchn_domain_destroy(struct domain *d) { assert_null(domain_find(d->id)); }
void evtchn_send_virq(unsigned virq) { virqs++; last_virq = virq; }
void foreign_domain_gone(struct domain *d) {}
void dm_domain_destroy(struct domain *d) {}

static char dumped[64];                 /* "d0v0 d0v1 ...": arch_vcpu_dump()'s calls */
void arch_vcpu_dump(struct vcpu *v)
{
    size_t n = strlen(dumped);
    snprintf(dumped + n, sizeof(dumped) - n, "d%uv%u ", v->domain->id, v->id);
}

int arch_domain_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    assert_int_equal(gpa, d->mem_bytes);        /* RAM grows from 0 without gaps */
    mapped += size;
    return 0;
}

/* ---- the tests ---- */

static int setup(void **state)
{
    (void)state;
    memset(blocks, 0, sizeof(blocks));
    max_order = 14;                     /* 64 MiB blocks at most */
    budget = 512ull << 20;
    mapped = 0;
    virqs = 0;
    unit_log_clear();
    return 0;
}

static void test_populate_and_free(void **state)
{
    struct domain *d;

    (void)state;
    d = domain_create("web", 70ull << 20, 2);
    assert_non_null(d);
    assert_int_equal(d->mem_bytes, 70ull << 20);
    assert_int_equal(d->max_mem_bytes, 70ull << 20);
    assert_int_equal(mapped, 70ull << 20);
    /* The largest aligned blocks: 64 MiB, 4 MiB, 2 MiB. */
    assert_int_equal(d->nr_chunks, 3);
    assert_int_equal(d->chunks[0].size, 64ull << 20);
    assert_int_equal(d->chunks[1].gpa, 64ull << 20);
    assert_int_equal(d->chunks[1].size, 4ull << 20);
    assert_int_equal(d->chunks[2].size, 2ull << 20);
    assert_non_null(vcpu_create(d));
    assert_non_null(vcpu_create(d));
    assert_null(vcpu_create(d));        /* max_vcpus */
    assert_int_equal(domain_console_ring_init(d), 0);
    domain_kill(d);
    assert_int_equal(live_blocks(), 0);
    assert_int_equal(budget, 512ull << 20);
    assert_int_equal(virqs, 1);         /* dom0 hears of it */
}

static void test_out_of_memory_midway(void **state)
{
    (void)state;
    max_order = 9;                      /* only 2 MiB blocks */
    budget = 40ull << 20;
    assert_null(domain_create("big", 64ull << 20, 1));
    assert_int_equal(live_blocks(), 0); /* what it had got is back */
    assert_int_equal(budget, 40ull << 20);
    assert_true(unit_log_has("out of memory"));
}

static void test_max_mem(void **state)
{
    struct domain *d, *d0;
    uint64_t hpa;

    (void)state;
    d = domain_create("web", 32ull << 20, 1);
    assert_non_null(d);
    hpa = alloc_pages(9);
    /* Past its maximum: refused, nothing mapped. */
    mapped = 0;
    assert_int_equal(domain_add_ram(d, 32ull << 20, hpa, 2ull << 20, 9), -ENOSPC);
    assert_int_equal(mapped, 0);
    assert_int_equal(d->mem_bytes, 32ull << 20);
    assert_true(unit_log_has("would pass its maximum"));
    /* A higher maximum lets it grow, and the block is then the domain's to free. */
    d->max_mem_bytes = 34ull << 20;
    assert_int_equal(domain_add_ram(d, 32ull << 20, hpa, 2ull << 20, 9), 0);
    assert_int_equal(d->mem_bytes, 34ull << 20);
    /* A size under the maximum whose sum with what the domain has wraps: refused too, before
     * anything is mapped (mem_bytes + size would be 32 MiB, under any maximum). */
    mapped = 0;
    d->max_mem_bytes = DOMAIN_MEM_UNLIMITED;
    assert_true((~0ull << 21) <= d->max_mem_bytes);
    assert_int_equal(domain_add_ram(d, 34ull << 20, 1ull << 21, ~0ull << 21, 9), -ENOSPC);
    assert_int_equal(mapped, 0);
    domain_kill(d);
    assert_int_equal(live_blocks(), 0);
    /* dom0's builder adds RAM to a domain created without: no maximum. */
    d0 = domain_create_dom0("dom0", 1);
    assert_non_null(d0);
    assert_int_equal(d0->id, 0);                /* as Xen's: scripts and xentop expect it */
    assert_null(domain_create_dom0("again", 1));
    assert_ptr_equal(domain_find(0), d0);
    assert_int_equal(d0->max_mem_bytes, DOMAIN_MEM_UNLIMITED);
    assert_int_equal(domain_add_ram(d0, 0, 1ull << 30, 1ull << 30, DOMAIN_RAM_BORROWED), 0);
    domain_destroy(d0);
    assert_int_equal(live_blocks(), 0);
}

static void test_copy(void **state)
{
    uint8_t buf[8192], back[8192];
    struct domain *d;

    (void)state;
    max_order = 9;                      /* 2 MiB chunks: copies cross them */
    d = domain_create("web", 16ull << 20, 1);
    assert_non_null(d);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7);
    assert_int_equal(domain_copy_to(d, (2ull << 20) - 4096, buf, sizeof(buf)), 0);
    assert_int_equal(domain_copy_from(d, back, (2ull << 20) - 4096, sizeof(back)), 0);
    assert_memory_equal(buf, back, sizeof(buf));
    /* Past the end, or wrapping: refused. */
    assert_int_equal(domain_copy_to(d, (16ull << 20) - 4096, buf, sizeof(buf)), -EFAULT);
    assert_int_equal(domain_copy_from(d, back, ~0ull - 10, 20), -EFAULT);
    assert_null(domain_gpa_to_hva(d, (2ull << 20) - 4, 8));     /* straddles two chunks */
    assert_non_null(domain_gpa_to_hva(d, (2ull << 20) - 8, 8));
    domain_kill(d);
    assert_int_equal(live_blocks(), 0);
}

/* The console ring: bytes in order, the oldest dropped, one event per read. */
static void test_console(void **state)
{
    struct domain *d;
    char buf[64];
    uint64_t pos = 0;

    (void)state;
    d = domain_create("web", 16ull << 20, 1);
    assert_non_null(d);
    assert_int_equal(domain_console_ring_init(d), 0);
    domain_console_putc(d, 'a');
    assert_int_equal(virqs, 0);                 /* nobody has read yet */
    assert_int_equal(domain_console_read(d, &pos, buf, sizeof(buf)), 1);
    assert_int_equal(buf[0], 'a');
    pos++;
    domain_console_putc(d, 'b');
    domain_console_putc(d, 'c');
    assert_int_equal(virqs, 0);                 /* not under the caller's platform lock: */
    domain_console_event(d);                    /* once it has dropped it */
    domain_console_event(d);
    assert_int_equal(virqs, 1);                 /* once for both */
    assert_int_equal(last_virq, KEEL_VIRQ_CONSOLE);
    assert_int_equal(domain_console_read(d, &pos, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "bc", 2);
    pos += 2;
    assert_int_equal(domain_console_read(d, &pos, buf, sizeof(buf)), 0);
    domain_console_putc(d, 'd');
    domain_console_event(d);
    assert_int_equal(virqs, 2);
    /* Lapped: the reader starts at the oldest byte still there. */
    for (unsigned i = 0; i < (PAGE_SIZE << CONSOLE_RING_ORDER) + 10; i++)
        domain_console_putc(d, (char)('0' + i % 10));
    pos = 0;
    assert_int_equal(domain_console_read(d, &pos, buf, sizeof(buf)), sizeof(buf));
    assert_int_equal(pos, 4 + 10);
    assert_int_equal(buf[0], '0');              /* byte 14 of the stream: i = 10 */
    domain_kill(d);
    assert_int_equal(live_blocks(), 0);
}

/* The 'q' key: every vCPU of every domain, in domain-ID order. */
static void test_dump_vcpus(void **state)
{
    struct domain *a = domain_create("a", 2ull << 20, 2), *z = domain_create_dom0("z", 1);
    char want[32];

    (void)state;
    assert_non_null(a);
    assert_non_null(z);
    assert_non_null(vcpu_create(a));
    assert_non_null(vcpu_create(a));
    assert_non_null(vcpu_create(z));
    dumped[0] = 0;
    domain_dump_vcpus();
    snprintf(want, sizeof(want), "d0v0 d%uv0 d%uv1 ", a->id, a->id);
    assert_string_equal(dumped, want);
    domain_kill(a);
    domain_destroy(z);
    assert_int_equal(live_blocks(), 0);
    dumped[0] = 0;
    domain_dump_vcpus();
    assert_string_equal(dumped, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_populate_and_free, setup),
        cmocka_unit_test_setup(test_out_of_memory_midway, setup),
        cmocka_unit_test_setup(test_max_mem, setup),
        cmocka_unit_test_setup(test_copy, setup),
        cmocka_unit_test_setup(test_console, setup),
        cmocka_unit_test_setup(test_dump_vcpus, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

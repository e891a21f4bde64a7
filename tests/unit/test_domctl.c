/*
 * hv/domctl.c: every domain-control hypercall's argument checks, against
 * fake domains whose RAM is a host buffer. What a hostile or buggy dom0
 * passes must be refused with the right error and change nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <public/keel.h>
#include <keel/domain.h>
#include <keel/domctl.h>
#include <asm/guest_state.h>
#include "unit.h"

#define FAKE_RAM    (1u << 20)      /* what the fakes back: a domain's first MiB */
#define MAX_FAKES   8

static struct fake {
    struct domain *d;
    uint8_t *ram;
} fakes[MAX_FAKES];
static uint32_t next_id;
static uint64_t free_bytes;
static unsigned kills, entries64, entries32, buttons;
static struct domain *dom0;
static struct vcpu *caller;
static uint8_t con_input[64];
static unsigned con_input_len;

static struct fake *fake_of(struct domain *d)
{
    for (unsigned i = 0; i < MAX_FAKES; i++)
        if (fakes[i].d == d)
            return &fakes[i];
    return NULL;
}

/* ---- what domctl.c calls ---- */

struct domain *domain_create(const char *name, uint64_t bytes, uint32_t max_vcpus)
{
    for (unsigned i = 0; i < MAX_FAKES; i++) {
        if (fakes[i].d)
            continue;
        fakes[i].d = calloc(1, sizeof(struct domain));
        fakes[i].ram = calloc(1, FAKE_RAM);
        fakes[i].d->id = next_id++;
        fakes[i].d->mem_bytes = bytes;
        fakes[i].d->max_mem_bytes = bytes ? bytes : DOMAIN_MEM_UNLIMITED;
        fakes[i].d->max_vcpus = max_vcpus;
        strncpy(fakes[i].d->name, name, sizeof(fakes[i].d->name) - 1);
        return fakes[i].d;
    }
    return NULL;
}

static void fake_free(struct fake *f)
{
    for (uint32_t i = 0; i < f->d->nr_vcpus; i++)
        free(f->d->vcpus[i]);
    free(f->d);
    free(f->ram);
    memset(f, 0, sizeof(*f));
}

void domain_kill(struct domain *d)
{
    kills++;
    fake_free(fake_of(d));
}

struct domain *domain_find(uint64_t id)
{
    for (unsigned i = 0; i < MAX_FAKES; i++)
        if (fakes[i].d && fakes[i].d->id == id)
            return fakes[i].d;
    return NULL;
}

struct domain *domain_find_name(const char *name)
{
    for (unsigned i = 0; i < MAX_FAKES; i++)
        if (fakes[i].d && !strcmp(fakes[i].d->name, name))
            return fakes[i].d;
    return NULL;
}

struct domain *domain_next(uint32_t id)
{
    struct domain *best = NULL;

    for (unsigned i = 0; i < MAX_FAKES; i++)
        if (fakes[i].d && fakes[i].d->id >= id && (!best || fakes[i].d->id < best->id))
            best = fakes[i].d;
    return best;
}

void domain_pause(struct domain *d) { d->pause_count++; }

int domain_unpause(struct domain *d)
{
    if (d->pause_count <= 0)
        return -EINVAL;
    d->pause_count--;
    return 0;
}

static int fake_copy(struct domain *d, uint64_t gpa, void *buf, uint64_t len, int to)
{
    struct fake *f = fake_of(d);

    if (!f || gpa > FAKE_RAM || len > FAKE_RAM - gpa)
        return -EFAULT;
    if (to)
        memcpy(f->ram + gpa, buf, len);
    else
        memcpy(buf, f->ram + gpa, len);
    return 0;
}

int domain_copy_to(struct domain *d, uint64_t gpa, const void *src, uint64_t len)
{
    return fake_copy(d, gpa, (void *)(uintptr_t)src, len, 1);
}

int domain_copy_from(struct domain *d, void *dst, uint64_t gpa, uint64_t len)
{
    return fake_copy(d, gpa, dst, len, 0);
}

size_t domain_console_read(struct domain *d, uint64_t *pos, void *buf, size_t len)
{
    static const char out[] = "hello from the guest";
    size_t n = sizeof(out) - 1;

    if (*pos > n)
        *pos = n;
    n = n - *pos < len ? n - *pos : len;
    memcpy(buf, out + *pos, n);
    return n;
}

static int fake_console_input(struct domain *d, uint8_t c)
{
    if (con_input_len == sizeof(con_input))
        return -1;
    con_input[con_input_len++] = c;
    return 0;
}

int arch_domu_init(struct domain *d)
{
    static uint8_t ring[16];

    d->con_ring = ring;
    d->console_input = fake_console_input;
    return 0;
}

struct vcpu *vcpu_create(struct domain *d)
{
    struct vcpu *v = calloc(1, sizeof(*v));

    v->domain = d;
    v->id = d->nr_vcpus;
    d->vcpus[d->nr_vcpus++] = v;
    return v;
}

int arch_domu_power_button(struct domain *d)
{
    buttons++;
    return 0;
}

void domain_shutdown(struct domain *d, enum shutdown_reason reason, uint32_t code)
{
    d->state = DOMAIN_SHUTDOWN;
    d->shutdown_reason = reason;
}

static struct keel_vcpu_context ctx_set;

void arch_vcpu_get_context(struct vcpu *v, struct keel_vcpu_context *c)
{
    memset(c, 0, sizeof(*c));
    c->rip = 0xffffffff81000000ull + v->id;
    c->cs = 0x10;
}

/* The arch code's own rules (asm/guest_state.h), for a vCPU in 64-bit code. */
int arch_vcpu_set_context(struct vcpu *v, const struct keel_vcpu_context *c)
{
    if (!x86_rip_rflags_ok(c->rip, c->rflags, 1, 1, 0))
        return -EINVAL;
    ctx_set = *c;
    return 0;
}

/* hv/foreign.c has its own test: here, only that the table reaches it. */
int64_t foreign_map(struct vcpu *caller, const uint64_t a[5]) { return 1000 + (int64_t)a[2]; }
int64_t foreign_unmap(struct vcpu *caller, const uint64_t a[5]) { return 2000 + (int64_t)a[0]; }
/* hv/dm.c likewise (test_dm). */
int64_t dm_op(struct vcpu *caller, const uint64_t a[5]) { return 3000 + (int64_t)a[0]; }
int arch_domu_set_wallclock(struct domain *d, uint64_t unix_seconds) { return d->privileged ? -EINVAL : 0; }

int sched_add_vcpu(struct vcpu *v, int cpu) { return 0; }
uint64_t mm_free_bytes(void) { return free_bytes; }
uint64_t arch_tsc_khz(void) { return 1000000; }
void arch_vcpu_set_entry64(struct vcpu *v, uint64_t rip, uint64_t rsi, uint64_t cr3, uint64_t gdt) { entries64++; }
void arch_vcpu_set_entry32(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx) { entries32++; }
int arch_vcpu_offline(const struct vcpu *v) { return v->id == 1; }

/* ---- helpers ---- */

static uint8_t *dom0_ram(void) { return fake_of(dom0)->ram; }

static int64_t call(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    const uint64_t a[5] = { a0, a1, a2, a3, a4 };

    return domctl(nr, caller, a);
}

/* Put a create request at dom0's 0x1000 and make the call. */
static int64_t create(const char *name, uint64_t mem, uint32_t vcpus, uint32_t flags)
{
    struct keel_domain_create c;

    memset(&c, 0, sizeof(c));
    memcpy(c.name, name, strnlen(name, sizeof(c.name)));
    c.mem_bytes = mem;
    c.max_vcpus = vcpus;
    c.flags = flags;
    memcpy(dom0_ram() + 0x1000, &c, sizeof(c));
    return call(KEEL_HC_DOMAIN_CREATE, 0x1000, 0, 0, 0, 0);
}

static int setup(void **state)
{
    (void)state;
    memset(fakes, 0, sizeof(fakes));
    next_id = 0;                        /* dom0 is 0, domUs from 1 (hv/domain.c) */
    free_bytes = 1ull << 30;
    kills = entries64 = entries32 = buttons = con_input_len = 0;
    dom0 = domain_create("dom0", 0, 1);
    dom0->privileged = 1;
    caller = vcpu_create(dom0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MAX_FAKES; i++)
        if (fakes[i].d)
            fake_free(&fakes[i]);
    return 0;
}

static unsigned nr_domains(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < MAX_FAKES; i++)
        n += fakes[i].d != NULL;
    return n;
}

/* ---- tests ---- */

static void test_create_checks(void **state)
{
    char long_name[KEEL_NAME_MAX];
    int64_t id;

    (void)state;
    memset(long_name, 'a', sizeof(long_name));      /* no NUL in the field */
    assert_int_equal(create("", 64 << 20, 1, 0), -EINVAL);
    assert_int_equal(create("a/b", 64 << 20, 1, 0), -EINVAL);
    assert_int_equal(create("a b", 64 << 20, 1, 0), -EINVAL);
    assert_int_equal(create(long_name, 64 << 20, 1, 0), -EINVAL);
    assert_int_equal(create("web", 64 << 20, 0, 0), -EINVAL);
    assert_int_equal(create("web", 64 << 20, KEEL_MAX_VCPUS + 1, 0), -EINVAL);
    assert_int_equal(create("web", 8 << 20, 1, 0), -EINVAL);            /* under 16 MiB */
    assert_int_equal(create("web", (64 << 20) + 4096, 1, 0), -EINVAL);  /* not 2 MiB units */
    assert_int_equal(create("web", 64 << 20, 1, 1), -EINVAL);           /* unknown flag */
    free_bytes = 1ull << 40;
    assert_int_equal(create("web", 4078ull << 20, 1, 0), -EINVAL);     /* its RAM would cover the I/O APIC */
    assert_int_equal(create("web", KEEL_DOMU_MEM_MAX + (2 << 20), 1, 0), -EINVAL);
    free_bytes = 32 << 20;
    assert_int_equal(create("web", 64 << 20, 1, 0), -ENOMEM);
    free_bytes = 1ull << 30;
    assert_int_equal(call(KEEL_HC_DOMAIN_CREATE, FAKE_RAM - 8, 0, 0, 0, 0), -EFAULT);
    assert_int_equal(call(KEEL_HC_DOMAIN_CREATE, ~0ull, 0, 0, 0, 0), -EFAULT);
    assert_int_equal(nr_domains(), 1);

    id = create("web-1.test_x", 64 << 20, 2, 0);
    assert_true(id > 0);
    assert_non_null(domain_find((uint32_t)id));
    assert_int_equal(domain_find((uint32_t)id)->nr_vcpus, 2);
    assert_int_equal(domain_find((uint32_t)id)->pause_count, 1);      /* created paused */
    assert_int_equal(create("web-1.test_x", 64 << 20, 1, 0), -EEXIST);
    assert_int_equal(nr_domains(), 2);
}

static void test_domid_checks(void **state)
{
    int64_t id;

    (void)state;
    id = create("web", 64 << 20, 1, 0);
    assert_true(id > 0);
    /* dom0 is not a domU to control; ids past 32 bits or unknown are nobody. */
    assert_int_equal(call(KEEL_HC_DOMAIN_DESTROY, dom0->id, 0, 0, 0, 0), -EPERM);
    assert_int_equal(call(KEEL_HC_DOMAIN_PAUSE, dom0->id, 0, 0, 0, 0), -EPERM);
    assert_int_equal(call(KEEL_HC_DOMAIN_DESTROY, (uint64_t)id + (1ull << 32), 0, 0, 0, 0), -ENOENT);
    assert_int_equal(call(KEEL_HC_DOMAIN_DESTROY, 999, 0, 0, 0, 0), -ENOENT);
    assert_int_equal(dom0->id, 0);
    assert_int_equal(call(KEEL_HC_DOMAIN_DESTROY, 1ull << 32, 0, 0, 0, 0), -ENOENT);   /* not dom0's 0 */
    assert_int_equal(kills, 0);
    /* Unpause more than paused: refused. */
    assert_int_equal(call(KEEL_HC_DOMAIN_UNPAUSE, (uint64_t)id, 0, 0, 0, 0), 0);
    assert_int_equal(call(KEEL_HC_DOMAIN_UNPAUSE, (uint64_t)id, 0, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_PAUSE, (uint64_t)id, 0, 0, 0, 0), 0);
    assert_int_equal(call(KEEL_HC_DOMAIN_DESTROY, (uint64_t)id, 0, 0, 0, 0), 0);
    assert_int_equal(kills, 1);
    assert_null(domain_find((uint32_t)id));
    /* Numbers outside the table. */
    assert_int_equal(call(KEEL_HC_EVTCHN_OP, 0, 0, 0, 0, 0), -ENOSYS);     /* not a domctl */
    assert_int_equal(call(KEEL_HC_FOREIGN_MAP, 0, 0, 7, 0, 0), 1007);
    assert_int_equal(call(KEEL_HC_FOREIGN_UNMAP, 5, 0, 0, 0, 0), 2005);
    assert_int_equal(call(KEEL_HC_DM_OP, 4, 0, 0, 0, 0), 3004);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_WALLCLOCK, 999, 0, 0, 0, 0), -ENOENT);
    assert_int_equal(call(KEEL_HC_DM_OP + 1, 0, 0, 0, 0, 0), -ENOSYS);
    assert_int_equal(call(1000, 0, 0, 0, 0, 0), -ENOSYS);
}

static void test_set_maxmem(void **state)
{
    struct keel_domain_info info;
    struct domain *d;
    int64_t id;

    (void)state;
    id = create("web", 64 << 20, 1, 0);
    d = domain_find((uint64_t)id);
    assert_int_equal(d->max_mem_bytes, 64 << 20);       /* what it was created with */
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, 256 << 20, 0, 0, 0), 0);
    assert_int_equal(d->max_mem_bytes, 256 << 20);
    /* Below what it has is allowed: it only gets nothing more (Xen's rule). */
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, 16 << 20, 0, 0, 0), 0);
    assert_int_equal(d->max_mem_bytes, 16 << 20);
    assert_int_equal(d->mem_bytes, 64 << 20);
    /* Not 2 MiB units, too small, too large, nobody's, dom0's: nothing changes. */
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, (32 << 20) + 4096, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, 14 << 20, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, KEEL_DOMAIN_MAXMEM_LIMIT + (2 << 20), 0, 0, 0),
                     -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, ~0ull << 21, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id + (1ull << 32), 32 << 20, 0, 0, 0), -ENOENT);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, dom0->id, 32 << 20, 0, 0, 0), -EPERM);
    assert_int_equal(d->max_mem_bytes, 16 << 20);
    assert_int_equal(call(KEEL_HC_DOMAIN_SET_MAXMEM, (uint64_t)id, KEEL_DOMAIN_MAXMEM_LIMIT, 0, 0, 0), 0);
    /* The list reports it. */
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, 0x2000, 1, (uint64_t)id, 0, 0), 1);
    memcpy(&info, dom0_ram() + 0x2000, sizeof(info));
    assert_int_equal(info.mem_bytes, 64 << 20);
    assert_int_equal(info.max_mem_bytes, KEEL_DOMAIN_MAXMEM_LIMIT);
}

static void test_set_entry_checks(void **state)
{
    struct keel_vcpu_entry e;
    int64_t id;

    (void)state;
    id = create("web", 64 << 20, 2, 0);
    memset(&e, 0, sizeof(e));
    e.kind = KEEL_ENTRY_LINUX64;
    e.rip = 0x1000000;
    e.cr3 = 0x9000;
    e.gdt = 0x8000;
    e.rsi = 0x7000;
    memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 1, 0x3000, 0, 0), 0);
    assert_int_equal(entries64, 1);
    /* Entry state outside the domain's 64 MiB, or page tables not page-aligned: refused. */
    {
        const struct { uint64_t *field, bad; } cases[] = {
            { &e.rip, 64 << 20 }, { &e.rip, 0xffff800000000000ull }, { &e.cr3, 0x9008 },
            { &e.cr3, 64 << 20 }, { &e.gdt, (64 << 20) - 16 }, { &e.gdt, ~0ull }, { &e.rsi, 1ull << 40 },
        };
        for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            uint64_t keep = *cases[i].field;
            *cases[i].field = cases[i].bad;
            memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
            assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 1, 0x3000, 0, 0), -EINVAL);
            *cases[i].field = keep;
        }
        assert_int_equal(entries64, 1);
    }
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 2, 0x3000, 0, 0), -EINVAL);     /* no vCPU 2 */
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 1ull << 32, 0x3000, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, FAKE_RAM, 0, 0), -EFAULT);
    e.pad = 1;
    memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, 0x3000, 0, 0), -EINVAL);
    e.pad = 0;
    e.kind = 7;
    memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, 0x3000, 0, 0), -EINVAL);
    e.kind = KEEL_ENTRY_PM32;
    e.rip = 1ull << 32;                             /* a 32-bit entry above 4 GiB */
    memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, 0x3000, 0, 0), -EINVAL);
    e.rip = 64 << 20;                               /* past its RAM */
    memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, 0x3000, 0, 0), -EINVAL);
    e.rip = 0x100000;
    memcpy(dom0_ram() + 0x3000, &e, sizeof(e));
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, 0x3000, 0, 0), 0);
    assert_int_equal(entries32, 1);
    assert_int_equal(entries64, 1);
    assert_int_equal(call(KEEL_HC_DOMAIN_UNPAUSE, (uint64_t)id, 0, 0, 0, 0), 0);
    assert_int_equal(call(KEEL_HC_VCPU_SET_ENTRY, (uint64_t)id, 0, 0x3000, 0, 0), -EBUSY);
}

static void test_list(void **state)
{
    struct keel_domain_info info[2];
    int64_t a, b;

    (void)state;
    a = create("alpha", 64 << 20, 1, 0);
    b = create("beta", 32 << 20, 3, 0);
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, 0x4000, KEEL_DOMAIN_LIST_MAX + 1, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, 0x4000, 1, 1ull << 32, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, FAKE_RAM - 8, 1, 0, 0, 0), -EFAULT);
    /* From id a: alpha then beta, in id order; dom0 (id 1) comes first from 0. */
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, 0x4000, 2, (uint64_t)a, 0, 0), 2);
    memcpy(info, dom0_ram() + 0x4000, sizeof(info));
    assert_int_equal(info[0].domid, a);
    assert_string_equal(info[0].name, "alpha");
    assert_int_equal(info[0].mem_bytes, 64 << 20);
    assert_int_equal(info[0].flags, KEEL_DOMINFO_PAUSED);
    assert_int_equal(info[1].domid, b);
    assert_int_equal(info[1].nr_vcpus, 3);
    assert_int_equal(info[1].state, KEEL_DOMSTATE_RUNNING);
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, 0x4000, 2, 0, 0, 0), 2);
    memcpy(info, dom0_ram() + 0x4000, sizeof(info));
    assert_int_equal(info[0].flags, KEEL_DOMINFO_PRIVILEGED);
    assert_int_equal(call(KEEL_HC_DOMAIN_LIST, 0x4000, 64, (uint64_t)b + 1, 0, 0), 0);
}

static void test_console(void **state)
{
    struct keel_console_chunk h;
    char text[64];
    int64_t id, n;

    (void)state;
    id = create("web", 64 << 20, 1, 0);
    /* Read from position 6: the header says where the bytes start and end. */
    n = call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, KEEL_CONSOLE_OP_READ, 0x5000, sizeof(h) + 32, 6);
    assert_int_equal(n, 14);
    memcpy(&h, dom0_ram() + 0x5000, sizeof(h));
    assert_int_equal(h.start, 6);
    assert_int_equal(h.end, 20);
    memcpy(text, dom0_ram() + 0x5000 + sizeof(h), (size_t)n);
    assert_memory_equal(text, "from the guest", 14);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, KEEL_CONSOLE_OP_READ, 0x5000, sizeof(h) - 1, 0),
                     -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, KEEL_CONSOLE_OP_READ, FAKE_RAM - 8, 64, 0),
                     -EFAULT);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, 2, 0x5000, 64, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, KEEL_CONSOLE_OP_READ, 0x5000,
                          KEEL_IOCTL_BUF_MAX + 1, 0), -EINVAL);
    /* Input: as many bytes as the device takes. */
    memset(dom0_ram() + 0x6000, 'x', 100);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, KEEL_CONSOLE_OP_WRITE, 0x6000, 100, 0), 64);
    assert_int_equal(con_input_len, 64);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, (uint64_t)id, KEEL_CONSOLE_OP_WRITE, FAKE_RAM - 2, 4, 0),
                     -EFAULT);
    assert_int_equal(call(KEEL_HC_DOMAIN_CONSOLE, dom0->id, KEEL_CONSOLE_OP_READ, 0x5000, 64, 0), -EPERM);
}

static void test_shutdown(void **state)
{
    struct domain *d;
    int64_t id;

    (void)state;
    id = create("web", 64 << 20, 1, 0);
    d = domain_find((uint32_t)id);
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, (uint64_t)id, 2, 0, 0, 0), -EINVAL);    /* suspend */
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, (uint64_t)id, KEEL_SHUTDOWN_CRASH, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, (uint64_t)id, 1ull << 32, 0, 0, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, dom0->id, KEEL_SHUTDOWN_POWEROFF, 0, 0, 0), -EPERM);
    assert_int_equal(buttons, 0);
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, (uint64_t)id, KEEL_SHUTDOWN_POWEROFF, 0, 0, 0), 0);
    assert_int_equal(buttons, 1);
    assert_int_equal(d->state, DOMAIN_RUNNING);                 /* the guest decides */
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, (uint64_t)id, KEEL_SHUTDOWN_REBOOT, 0, 0, 0), 0);
    assert_int_equal(d->state, DOMAIN_SHUTDOWN);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_REBOOT);
    assert_int_equal(call(KEEL_HC_DOMAIN_SHUTDOWN, (uint64_t)id, KEEL_SHUTDOWN_POWEROFF, 0, 0, 0), -EBUSY);
    assert_int_equal(buttons, 1);
}

static void test_vcpu_list(void **state)
{
    struct keel_vcpu_info v[3];
    struct domain *d;
    int64_t id;

    (void)state;
    id = create("web", 64 << 20, 3, 0);
    d = domain_find((uint32_t)id);
    d->vcpus[1]->processor = 1;
    d->vcpus[1]->blocked = 1;
    d->vcpus[2]->running = 1;
    d->vcpus[2]->cpu_tsc = 2000000000ull;       /* 2 s at the fake 1 GHz */
    assert_int_equal(call(KEEL_HC_VCPU_LIST, (uint64_t)id, 0x7000, 8, 0, 0), 3);
    memcpy(v, dom0_ram() + 0x7000, sizeof(v));
    assert_int_equal(v[0].vcpu, 0);
    assert_int_equal(v[1].cpu, 1);
    assert_int_equal(v[1].flags, KEEL_VCPUINFO_BLOCKED | KEEL_VCPUINFO_OFFLINE);     /* the stub: vCPU 1 waits for a SIPI */
    assert_int_equal(v[2].flags, KEEL_VCPUINFO_RUNNING);
    assert_int_equal(v[2].cpu_time_ns, 2000000000ull);
    /* @max bounds what is written; dom0's own are listed; bad places and ids fail. */
    memset(dom0_ram() + 0x7000, 0xee, sizeof(v));
    assert_int_equal(call(KEEL_HC_VCPU_LIST, (uint64_t)id, 0x7000, 1, 0, 0), 1);
    assert_int_equal(dom0_ram()[0x7000 + sizeof(v[0])], 0xee);
    assert_int_equal(call(KEEL_HC_VCPU_LIST, dom0->id, 0x7000, 8, 0, 0), 1);
    assert_int_equal(call(KEEL_HC_VCPU_LIST, (uint64_t)id, FAKE_RAM - 30, 8, 0, 0), -EFAULT);
    assert_int_equal(call(KEEL_HC_VCPU_LIST, 999, 0x7000, 8, 0, 0), -ENOENT);
    assert_int_equal(call(KEEL_HC_VCPU_LIST, (uint64_t)id | (1ull << 32), 0x7000, 8, 0, 0), -ENOENT);
}

static void test_vcpu_context(void **state)
{
    struct keel_vcpu_context c;
    int64_t id;

    (void)state;
    id = create("web", 64 << 20, 2, 0);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 1, KEEL_VCPU_CONTEXT_GET, 0x8000, 0), 0);
    memcpy(&c, dom0_ram() + 0x8000, sizeof(c));
    assert_int_equal(c.rip, 0xffffffff81000001ull);
    assert_int_equal(c.cs, 0x10);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 2, KEEL_VCPU_CONTEXT_GET, 0x8000, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, 2, 0x8000, 0), -EINVAL);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, KEEL_VCPU_CONTEXT_GET, FAKE_RAM - 8, 0), -EFAULT);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, dom0->id, 0, KEEL_VCPU_CONTEXT_GET, 0x8000, 0), -EPERM);
    /* SET: what the arch code refuses is refused; what it takes arrives whole. */
    memset(&c, 0, sizeof(c));
    c.rflags = 0x202 | (1u << 15);                  /* a reserved bit */
    memcpy(dom0_ram() + 0x8000, &c, sizeof(c));
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, KEEL_VCPU_CONTEXT_SET, 0x8000, 0), -EINVAL);
    c.rflags = 0x202;                               /* IF set: valid */
    c.rip = 0x0000800000000000ull;                  /* not canonical */
    memcpy(dom0_ram() + 0x8000, &c, sizeof(c));
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, KEEL_VCPU_CONTEXT_SET, 0x8000, 0), -EINVAL);
    c.rip = 0xffffffff81000000ull;
    c.gpr[15] = 0x1234;
    memcpy(dom0_ram() + 0x8000, &c, sizeof(c));
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, KEEL_VCPU_CONTEXT_SET, 0x8000, 0), 0);
    assert_int_equal(ctx_set.gpr[15], 0x1234);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, KEEL_VCPU_CONTEXT_SET, FAKE_RAM, 0), -EFAULT);
    /* A running domain's registers are on a CPU: not readable from here. */
    assert_int_equal(call(KEEL_HC_DOMAIN_UNPAUSE, (uint64_t)id, 0, 0, 0, 0), 0);
    assert_int_equal(call(KEEL_HC_VCPU_CONTEXT, (uint64_t)id, 0, KEEL_VCPU_CONTEXT_GET, 0x8000, 0), -EBUSY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domid_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_maxmem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_entry_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_context, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

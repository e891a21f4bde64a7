/*
 * Device models: a domU's PCI bus served from dom0 (keel/dm.h has the
 * protocol, public/keel.h the ABI). Keel decodes the access (the 0xcf8
 * latch is kept here, as Xen does, so a configuration access is one round
 * trip, not two), writes it into the vCPU's slot of dom0's request page and
 * signals the device model's port. A write to a registered ioevent address
 * only signals its port and completes (KVM's ioeventfd): virtqueue
 * notifications do not wait for dom0.
 *
 * The request page is dom0's RAM, which keel.ko frees after RELEASE: slots
 * are written only under dm_lock with the device model registered, and
 * RELEASE takes it, so no write lands after RELEASE returns.
 */
#include <errno.h>
#include <string.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/dm.h>
#include <keel/domain.h>
#include <keel/evtchn.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include <keel/spinlock.h>

struct dm_ioevent {
    uint64_t gpa, match;
    uint32_t flags;                 /* length | KEEL_IOEVENT_DATAMATCH; 0: a free entry */
    uint32_t port;
};

struct dm {
    struct domain *dom0;
    struct keel_ioreq_page *page;   /* in dom0's RAM; NULL once released */
    uint32_t port;                  /* dom0's, signalled for each request */
    uint32_t nr_mmio;
    struct { uint64_t base, size; } mmio[KEEL_DM_MMIO_MAX];
    struct dm_ioevent ioev[KEEL_DM_IOEVENT_MAX];
};
_Static_assert(sizeof(struct dm) <= PAGE_SIZE, "a device model's state in a page");

static spinlock_t dm_lock = SPINLOCK_INIT_LEVEL(LOCK_DM);   /* every domain's struct dm; inside: evtchn */

static int size_ok(uint64_t s)
{
    return s == 1 || s == 2 || s == 4 || s == 8;
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static int same(const struct dm_access *a, unsigned type, uint64_t addr, unsigned size, int write, uint64_t data)
{
    return a->type == type && a->addr == addr && a->size == size && a->write == write &&
           (!write || a->data == (data & ones(size)));
}

int dm_access(struct vcpu *v, unsigned type, uint64_t addr, unsigned size, int write, uint64_t *data)
{
    struct vcpu_io *io = &v->io;
    struct domain *d = v->domain;
    struct keel_ioreq *slot;
    uint64_t val = write ? *data & ones(size) : 0;

    if (io->pending)
        return 1;                       /* an earlier access of this instruction is out: this one waits */
    if (io->next < io->nr_done) {
        const struct dm_access *a = &io->log[io->next];
        if (same(a, type, addr, size, write, val)) {
            io->next++;
            if (!write)
                *data = a->data;
            return 0;
        }
        io->nr_done = io->next = 0;     /* not the instruction that was stopped: start again */
    }
    if (io->nr_done == DM_LOG_MAX) {
        domain_crash(d, "one instruction made more than %u device-model accesses", DM_LOG_MAX);
        return 1;
    }
    spin_lock(&dm_lock);
    if (!d->dm || !d->dm->page) {
        spin_unlock(&dm_lock);
        if (!write)
            *data = ones(size);
        return 0;
    }
    slot = &d->dm->page->vcpu[v->id];
    io->seq++;
    io->slot = slot;
    io->out = (struct dm_access){ addr, val, (uint8_t)type, (uint8_t)size, (uint8_t)write };
    slot->addr = addr;
    slot->data = val;
    slot->seq = io->seq;
    slot->type = (uint8_t)type;
    slot->size = (uint8_t)size;
    slot->write = (uint8_t)write;
    __atomic_store_n(&slot->state, KEEL_IOREQ_READY, __ATOMIC_RELEASE);
    io->pending = 1;
    io->waiting = 1;
    sched_block(v);
    evtchn_notify(d->dm->dom0, d->dm->port);
    spin_unlock(&dm_lock);
    return 1;
}

/*
 * Under the run list's lock (below dm_lock): no lock here. The slot is
 * read once; a page released meanwhile is still dom0's RAM to read, and
 * its domain is crashed.
 */
int dm_io_ready(struct vcpu *v)
{
    struct vcpu_io *io = &v->io;
    struct keel_ioreq *slot = io->slot;

    if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != KEEL_IOREQ_DONE ||
        __atomic_load_n(&slot->seq, __ATOMIC_RELAXED) != io->seq)
        return 0;
    io->out.data = io->out.write ? io->out.data : __atomic_load_n(&slot->data, __ATOMIC_RELAXED) & ones(io->out.size);
    io->log[io->nr_done++] = io->out;
    io->next = 0;                       /* the rerun replays the instruction from its first access */
    io->pending = 0;
    io->waiting = 0;
    io->rerun = 1;
    return 1;
}

/* ---- the domU's side: configuration mechanism #1, forwarded MMIO ---- */

#define CF8_ENABLE  0x80000000u

int dm_pci_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domain *d = v->domain;
    uint32_t cf8 = __atomic_load_n(&d->pci_cf8, __ATOMIC_RELAXED);
    uint64_t data = *val;

    if (port < 0xcfc) {
        /* The latch is a dword at 0xcf8; other accesses there are not configuration ones (PCI 3.0 3.2.2.3.2). */
        if (port == 0xcf8 && size == 4) {
            if (in)
                *val = cf8;
            else
                __atomic_store_n(&d->pci_cf8, *val & 0x80fffffcu, __ATOMIC_RELAXED);
        } else if (in) {
            *val = (uint32_t)ones(size);
        }
        return 0;
    }
    if (!(cf8 & CF8_ENABLE) || (port & 3) + size > 4) {
        if (in)
            *val = (uint32_t)ones(size);
        return 0;
    }
    if (dm_access(v, KEEL_IOREQ_PCI, (cf8 & 0x00fffffcu) | (port & 3u), size, !in, &data) == 0 && in)
        *val = (uint32_t)data;
    return 0;
}

int dm_mmio(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val)
{
    struct domain *d = v->domain;

    if (write && !v->io.pending) {
        uint32_t port = 0;
        spin_lock(&dm_lock);
        for (unsigned i = 0; d->dm && i < KEEL_DM_IOEVENT_MAX; i++) {
            const struct dm_ioevent *e = &d->dm->ioev[i];
            if (e->flags && e->gpa == gpa && (e->flags & KEEL_IOEVENT_LEN_MASK) == size &&
                (!(e->flags & KEEL_IOEVENT_DATAMATCH) || e->match == (*val & ones(size)))) {
                port = e->port;
                break;
            }
        }
        if (port)
            evtchn_notify(d->dm->dom0, port);
        spin_unlock(&dm_lock);
        if (port)
            return 0;
    }
    dm_access(v, KEEL_IOREQ_MMIO, gpa, size, write, val);
    return 0;
}

/* ---- dom0's side ---- */

static int64_t dm_register(struct vcpu *caller, struct domain *d, uint64_t gpa)
{
    struct keel_ioreq_page *pg;
    struct dm *dm;
    uint64_t pa;
    int64_t port;

    if (d->dm)
        return -EEXIST;
    if (gpa & (PAGE_SIZE - 1))
        return -EINVAL;
    pg = domain_gpa_to_hva(caller->domain, gpa, PAGE_SIZE);
    if (!pg)
        return -EFAULT;
    pa = alloc_pages(0);
    if (!pa)
        return -ENOMEM;
    port = evtchn_alloc_keel(caller->domain, d->id);
    if (port < 0) {
        free_pages(pa, 0);
        return port;
    }
    dm = phys_to_virt(pa);
    memset(dm, 0, sizeof(*dm));
    dm->dom0 = caller->domain;
    dm->page = pg;
    dm->port = (uint32_t)port;
    spin_lock(&dm_lock);
    d->dm = dm;
    spin_unlock(&dm_lock);
    gprintk(d, LOG_INFO, "d%u: device model registered (dom0 port %ld)\n", d->id, (long)port);
    return port;
}

static int64_t map_mmio(struct domain *d, uint64_t gpa, uint64_t bytes)
{
    struct dm *dm = d->dm;
    int rc;

    if ((gpa | bytes) & (PAGE_SIZE - 1) || !bytes || gpa < KEEL_DOMU_PCI_MMIO ||
        bytes > KEEL_DOMU_PCI_MMIO_SIZE || gpa - KEEL_DOMU_PCI_MMIO > KEEL_DOMU_PCI_MMIO_SIZE - bytes)
        return -EINVAL;
    for (unsigned i = 0; i < dm->nr_mmio; i++)
        if (gpa < dm->mmio[i].base + dm->mmio[i].size && dm->mmio[i].base < gpa + bytes)
            return -EINVAL;
    if (dm->nr_mmio == KEEL_DM_MMIO_MAX)
        return -ENOSPC;
    /* The domain's MMIO table is read without a lock by its running vCPUs: change it with none running. */
    domain_pause(d);
    rc = domain_register_mmio(d, gpa, bytes, dm_mmio);
    domain_unpause(d);
    if (rc)
        return rc;
    dm->mmio[dm->nr_mmio].base = gpa;
    dm->mmio[dm->nr_mmio++].size = bytes;
    return 0;
}

static int64_t ioevent(struct vcpu *caller, struct domain *d, uint64_t gpa, uint64_t flags, uint64_t match)
{
    struct dm *dm = d->dm;
    uint32_t f = (uint32_t)(flags & ~(uint64_t)KEEL_IOEVENT_DEASSIGN);
    int inside = 0;
    int64_t port;

    if ((flags & ~(uint64_t)(KEEL_IOEVENT_LEN_MASK | KEEL_IOEVENT_DATAMATCH | KEEL_IOEVENT_DEASSIGN)) ||
        !size_ok(flags & KEEL_IOEVENT_LEN_MASK) || (gpa & ((flags & KEEL_IOEVENT_LEN_MASK) - 1)))
        return -EINVAL;
    if (!(f & KEEL_IOEVENT_DATAMATCH))
        match = 0;
    if (flags & KEEL_IOEVENT_DEASSIGN) {
        for (unsigned i = 0; i < KEEL_DM_IOEVENT_MAX; i++) {
            struct dm_ioevent *e = &dm->ioev[i];
            if (e->flags == f && e->gpa == gpa && e->match == match) {
                spin_lock(&dm_lock);
                e->flags = 0;
                spin_unlock(&dm_lock);
                return 0;
            }
        }
        return -ENOENT;
    }
    for (unsigned i = 0; i < dm->nr_mmio; i++)
        inside |= gpa >= dm->mmio[i].base && gpa - dm->mmio[i].base < dm->mmio[i].size;
    if (!inside)
        return -EINVAL;                 /* only a forwarded range's writes come here */
    for (unsigned i = 0; i < KEEL_DM_IOEVENT_MAX; i++) {
        struct dm_ioevent *e = &dm->ioev[i];
        if (e->flags)
            continue;
        port = evtchn_alloc_keel(caller->domain, d->id);
        if (port < 0)
            return port;
        spin_lock(&dm_lock);
        *e = (struct dm_ioevent){ gpa, match, f, (uint32_t)port };
        spin_unlock(&dm_lock);
        return port;
    }
    return -ENOSPC;
}

static int64_t release(struct domain *d)
{
    spin_lock(&dm_lock);
    d->dm->page = NULL;
    spin_unlock(&dm_lock);
    if (d->state == DOMAIN_RUNNING)
        domain_crash(d, "its device model exited");
    return 0;
}

int64_t dm_op(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[1], &d);

    if (rc)
        return rc;
    if (a[0] == KEEL_DM_REGISTER)
        return dm_register(caller, d, a[2]);
    if (!d->dm || d->dm->dom0 != caller->domain)
        return -EINVAL;                 /* no device model registered */
    switch (a[0]) {
    case KEEL_DM_MAP_MMIO:
        return map_mmio(d, a[2], a[3]);
    case KEEL_DM_IOEVENT:
        return ioevent(caller, d, a[2], a[3], a[4]);
    case KEEL_DM_IO_DONE:
        if (a[2] >= d->nr_vcpus)
            return -EINVAL;
        vcpu_kick(d->vcpus[a[2]]);
        return 0;
    case KEEL_DM_MSI:
        return arch_domain_msi(d, a[2], a[3]);
    case KEEL_DM_RELEASE:
        return release(d);
    case KEEL_DM_HOTPLUG:
        return arch_domu_ged_event(d, KEEL_GED_PCI_HOTPLUG);
    case KEEL_DM_INTX:
        return arch_domu_intx(d, a[2], a[3]);
    }
    return -EINVAL;
}

void dm_domain_destroy(struct domain *d)
{
    struct dm *dm = d->dm;

    if (!dm)
        return;
    spin_lock(&dm_lock);
    d->dm = NULL;
    spin_unlock(&dm_lock);
    free_pages(virt_to_phys(dm), 0);
}

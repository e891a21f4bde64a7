/*
 * The virtio 1.x PCI transport (virtio 1.2 4.1): vendor capabilities that
 * place the common configuration, ISR, device configuration and notify
 * regions in BAR 0, and MSI-X (PCI 3.0 6.8.2) with its table and pending
 * bits there too; the PCI configuration access capability (4.1.4.9) reaches
 * BAR 0 through configuration space; INTA (the DSDT's _PRT) for a driver
 * without MSI-X. Guest writes are taken at any value; what the spec forbids
 * the driver is refused (queue sizes, rings outside RAM) and a broken ring
 * sets DEVICE_NEEDS_RESET on that device only.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dm.h"

#define BAR_SIZE            0x8000u
#define COMMON_OFF          0x0000u
#define COMMON_LEN          0x38u
#define ISR_OFF             0x1000u
#define DEVCFG_OFF          0x2000u
#define NOTIFY_OFF          0x3000u
#define NOTIFY_MULT         4u
#define MSIX_TABLE_OFF      0x4000u
#define MSIX_PBA_OFF        0x5000u
#define CAP_MSIX            0x84u
#define CAP_PCI_CFG         0x90u       /* struct virtio_pci_cfg_cap: the window's bar, offset, length, data */
#define PCI_CFG_DATA        (CAP_PCI_CFG + 16)
#define MSIX_ENABLE         0x8000u
#define MSIX_MASKALL        0x4000u
#define NO_VECTOR           0xffffu
#define VIRTIO_PCI_VENDOR   0x1af4
#define PCI_COMMAND         0x04
#define PCI_COMMAND_INTX_OFF 0x400
#define PCI_STATUS          0x06
#define PCI_STATUS_INTX     0x08
#define PCI_INTERRUPT_PIN   0x3d

enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI = 5 };

static unsigned nr_vectors(const struct virtio_dev *v)
{
    return v->ops->nr_queues + 1;
}

static void add_cap(struct pci_dev *p, unsigned at, unsigned next, unsigned type, uint32_t off, uint32_t len,
                    unsigned caplen)
{
    p->cfg[at] = 0x09;                  /* vendor-specific */
    p->cfg[at + 1] = (uint8_t)next;
    p->cfg[at + 2] = (uint8_t)caplen;
    p->cfg[at + 3] = (uint8_t)type;
    p->cfg[at + 4] = 0;                 /* BAR 0 */
    cfg_put(p->cfg, at + 8, 4, off);
    cfg_put(p->cfg, at + 12, 4, len);
}

static uint16_t msix_ctrl(const struct virtio_dev *v)
{
    return (uint16_t)cfg_get(v->pci.cfg, CAP_MSIX + 2, 2);
}

static void msix_fire(struct virtio_dev *v, unsigned vec)
{
    struct msix_entry *e;

    if (vec >= nr_vectors(v))
        return;
    e = &v->msix[vec];
    if ((msix_ctrl(v) & MSIX_MASKALL) || (e->ctrl & 1)) {
        v->msix_pending |= 1ull << vec;
        return;
    }
    v->msix_pending &= ~(1ull << vec);
    if (dm_msi(v->dm, ((uint64_t)e->addr_hi << 32) | e->addr_lo, e->data))
        dm_log("%s: the MSI at %#x:%#x (vector %u) was refused\n", v->pci.name, e->addr_hi, e->addr_lo, vec);
}

/*
 * INTA follows the ISR (4.1.4.5) while MSI-X is off and the command
 * register does not disable INTx; the status register shows it either way
 * (PCI 3.0 6.2.3). Reading the ISR drops it.
 */
static void intx_update(struct virtio_dev *v)
{
    int want = v->isr && !(cfg_get(v->pci.cfg, PCI_COMMAND, 2) & PCI_COMMAND_INTX_OFF) &&
               !(msix_ctrl(v) & MSIX_ENABLE);

    cfg_put(v->pci.cfg, PCI_STATUS, 2,
            (cfg_get(v->pci.cfg, PCI_STATUS, 2) & ~PCI_STATUS_INTX) | (v->isr ? PCI_STATUS_INTX : 0));
    if (want != v->intx) {
        v->intx = want;
        dm_intx(v->dm, v->pci.slot, want);
    }
}

static void interrupt(struct virtio_dev *v, unsigned vector, uint8_t isr)
{
    if (msix_ctrl(v) & MSIX_ENABLE) {
        if (vector != NO_VECTOR)
            msix_fire(v, vector);
        return;
    }
    v->isr |= isr;
    intx_update(v);
}

void virtio_notify_queue(struct virtio_dev *v, unsigned q)
{
    if (virtq_should_notify(&v->q[q].vq))
        interrupt(v, v->q[q].msix_vector, 1);
}

void virtio_queue_interrupt(struct virtio_dev *v, unsigned q)
{
    if (q < v->ops->nr_queues)
        interrupt(v, v->q[q].msix_vector, 1);
}

void virtio_needs_reset(struct virtio_dev *v, const char *why)
{
    dm_log("%s: %s: the device needs a reset\n", v->pci.name, why);
    v->broken = 1;
    v->status |= VIRTIO_STATUS_NEEDS_RESET;
    v->config_generation++;
    interrupt(v, v->msix_config, 2);
}

int virtio_queue_ready(const struct virtio_dev *v, unsigned q)
{
    return q < v->ops->nr_queues && !v->broken && (v->status & VIRTIO_STATUS_DRIVER_OK) && v->q[q].enable;
}

void virtio_queue_later(struct virtio_dev *v, unsigned q)
{
    if (q < v->ops->nr_queues)
        v->later |= 1u << q;
}

void virtio_queue_kick(struct virtio_dev *v, unsigned q)
{
    const char *why = NULL;
    uint64_t one = 1;

    if (!virtio_queue_ready(v, q))
        return;
    if (v->fds[q].kick >= 0) {          /* Keel's ioevent did not reach the back end itself */
        if (write(v->fds[q].kick, &one, sizeof(one)) != sizeof(one))
            virtio_needs_reset(v, "its back end's kick failed");
        return;
    }
    if (v->ops->queue_notify(v, q, &why))
        virtio_needs_reset(v, why);
}

/* Once per queue, when both directions first run in the kernel. */
static void tell(struct virtio_dev *v, unsigned q)
{
    struct virtio_queue_fds *f = &v->fds[q];

    if (f->routed && f->kick_bound && !f->told) {
        f->told = 1;
        dm_log("%s: queue %u: kicks and interrupts go between guest and back end in dom0's kernel\n",
               v->pci.name, q);
    }
}

/* keel-dm relays a signal of a back end's call eventfd (no irqfd for it now). */
static void call_relay(void *arg)
{
    struct virtio_queue_fds *f = arg;
    uint64_t n;

    if (read(f->call, &n, sizeof(n)) == sizeof(n))
        virtio_queue_interrupt(f->v, f->q);
}

/*
 * Where queue @q's call goes: to an irqfd in dom0's kernel with the
 * message of its MSI-X vector while that vector can take it (MSI-X on, not
 * masked), else to keel-dm, whose interrupt() keeps a masked vector's
 * pending bit. A signal made during the switch stays in the eventfd's count
 * for the new owner: an irqfd fires it at assignment, keel-dm's poll sees it.
 */
static void route_call(struct virtio_dev *v, unsigned q)
{
    struct virtio_queue_fds *f = &v->fds[q];
    unsigned vec = v->q[q].msix_vector;
    uint16_t ctrl = msix_ctrl(v);
    int want = f->call >= 0 && (ctrl & MSIX_ENABLE) && !(ctrl & MSIX_MASKALL) && vec < nr_vectors(v) &&
               !(v->msix[vec].ctrl & 1);
    uint64_t addr = want ? (uint64_t)v->msix[vec].addr_hi << 32 | v->msix[vec].addr_lo : 0;
    uint32_t data = want ? v->msix[vec].data : 0;
    static int said;

    if (f->routed && (!want || addr != f->addr || data != f->data)) {
        dm_irqfd(v->dm, f->call, 0, 0, 0);
        f->routed = 0;
    }
    if (want && !f->routed) {
        if (f->watched)
            dm_unwatch(f->call);
        f->watched = 0;
        if (!dm_irqfd(v->dm, f->call, 1, addr, data)) {
            f->routed = 1;
            f->addr = addr;
            f->data = data;
            tell(v, q);
        } else if (!said) {
            said = 1;
            dm_log("%s: no irqfd in dom0's kernel: keel-dm relays its back end's interrupts\n", v->pci.name);
        }
    }
    if (f->call >= 0 && !f->routed && !f->watched) {
        dm_watch(f->call, call_relay, NULL, f);
        f->watched = 1;
    }
}

static void route_calls(struct virtio_dev *v)
{
    for (unsigned q = 0; q < v->ops->nr_queues; q++)
        if (v->fds[q].call >= 0)
            route_call(v, q);
}

void virtio_queue_backend(struct virtio_dev *v, unsigned q, int kick, int call)
{
    struct virtio_queue_fds *f;
    uint32_t port;

    if (q >= v->ops->nr_queues)
        return;
    f = &v->fds[q];
    port = v->q[q].ioevent_port;
    if (f->routed)
        dm_irqfd(v->dm, f->call, 0, 0, 0);
    if (f->watched)
        dm_unwatch(f->call);
    if (f->kick_bound)
        dm_ioeventfd(v->dm, port, -1);
    *f = (struct virtio_queue_fds){ .v = v, .q = q, .kick = kick, .call = call };
    if (kick >= 0 && port)
        f->kick_bound = !dm_ioeventfd(v->dm, port, kick);
    route_call(v, q);
}

static void ioevents(struct virtio_dev *v, int on)
{
    uint64_t bar = pci_bar_addr(&v->pci);

    for (unsigned i = 0; i < v->ops->nr_queues; i++) {
        struct virtio_queue *q = &v->q[i];
        if (q->ioevent_port) {
            dm_ioevent_del(v->dm, q->ioevent_gpa, q->ioevent_port);     /* the port's eventfd goes with it */
            q->ioevent_port = 0;
            v->fds[i].kick_bound = 0;
        }
        if (on && bar && q->enable) {
            q->ioevent_gpa = bar + NOTIFY_OFF + NOTIFY_MULT * i;
            q->ioevent_port = dm_ioevent_add(v->dm, q->ioevent_gpa);
            /* A back end's kick straight from the kernel; if not, the port comes to keel-dm. */
            if (q->ioevent_port && v->fds[i].kick >= 0) {
                v->fds[i].kick_bound = !dm_ioeventfd(v->dm, q->ioevent_port, v->fds[i].kick);
                tell(v, i);
            }
        }
    }
}

static void reset(struct virtio_dev *v)
{
    ioevents(v, 0);
    v->status = 0;
    v->driver_features = 0;
    v->dfselect = v->gfselect = 0;
    v->queue_select = 0;
    v->msix_config = NO_VECTOR;
    v->isr = 0;
    intx_update(v);
    v->broken = 0;
    v->later = 0;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        memset(&v->q[i], 0, sizeof(v->q[i]));
        v->q[i].size = VIRTQ_MAX_SIZE;
        v->q[i].msix_vector = NO_VECTOR;
    }
    route_calls(v);                     /* no vector now: keel-dm holds the calls */
    if (v->ops->reset)
        v->ops->reset(v);
}

static void set_status(struct virtio_dev *v, uint8_t s)
{
    uint64_t offered = v->ops->features(v);

    if (!s) {
        reset(v);
        return;
    }
    /* 3.1.1: FEATURES_OK only for a subset of what was offered, with VERSION_1 (no legacy interface here). */
    if ((s & VIRTIO_STATUS_FEATURES_OK) && !(v->status & VIRTIO_STATUS_FEATURES_OK) &&
        ((v->driver_features & ~offered) || !(v->driver_features & (1ull << VIRTIO_F_VERSION_1))))
        s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    if ((s & VIRTIO_STATUS_DRIVER_OK) && !(v->status & VIRTIO_STATUS_DRIVER_OK)) {
        v->status = (uint8_t)(s | (v->status & VIRTIO_STATUS_NEEDS_RESET));
        ioevents(v, 1);
        if (v->ops->start && v->ops->start(v))
            virtio_needs_reset(v, "its back end did not start");
        return;
    }
    v->status = (uint8_t)(s | (v->status & VIRTIO_STATUS_NEEDS_RESET));
}

static void queue_enable(struct virtio_dev *v, struct virtio_queue *q)
{
    const char *why;

    if (virtq_setup(&q->vq, &v->dm->mem, q->size, q->desc, q->driver, q->device,
                    (v->driver_features >> VIRTIO_F_INDIRECT_DESC) & 1, &why)) {
        virtio_needs_reset(v, why);
        return;
    }
    q->enable = 1;
    if (v->status & VIRTIO_STATUS_DRIVER_OK)
        ioevents(v, 1);
}

/* The common configuration as the driver reads it. */
static void common_image(struct virtio_dev *v, uint8_t img[COMMON_LEN])
{
    struct virtio_queue *q = v->queue_select < v->ops->nr_queues ? &v->q[v->queue_select] : NULL;
    uint64_t f = v->ops->features(v);

    memset(img, 0, COMMON_LEN);
    cfg_put(img, 0x00, 4, v->dfselect);
    cfg_put(img, 0x04, 4, v->dfselect < 2 ? (uint32_t)(f >> (32 * v->dfselect)) : 0);
    cfg_put(img, 0x08, 4, v->gfselect);
    cfg_put(img, 0x0c, 4, v->gfselect < 2 ? (uint32_t)(v->driver_features >> (32 * v->gfselect)) : 0);
    cfg_put(img, 0x10, 2, v->msix_config);
    cfg_put(img, 0x12, 2, v->ops->nr_queues);
    img[0x14] = v->status;
    img[0x15] = v->config_generation;
    cfg_put(img, 0x16, 2, v->queue_select);
    if (q) {
        cfg_put(img, 0x18, 2, q->size);
        cfg_put(img, 0x1a, 2, q->msix_vector);
        cfg_put(img, 0x1c, 2, q->enable);
        cfg_put(img, 0x1e, 2, v->queue_select);         /* notify offset: queue i at i * multiplier */
        cfg_put(img, 0x20, 4, (uint32_t)q->desc);
        cfg_put(img, 0x24, 4, (uint32_t)(q->desc >> 32));
        cfg_put(img, 0x28, 4, (uint32_t)q->driver);
        cfg_put(img, 0x2c, 4, (uint32_t)(q->driver >> 32));
        cfg_put(img, 0x30, 4, (uint32_t)q->device);
        cfg_put(img, 0x34, 4, (uint32_t)(q->device >> 32));
    }
}

static void set_half(uint64_t *field, unsigned hi, uint32_t val)
{
    *field = hi ? (*field & 0xffffffffull) | ((uint64_t)val << 32) : (*field & ~0xffffffffull) | val;
}

static void common_write(struct virtio_dev *v, unsigned off, unsigned size, uint32_t val)
{
    struct virtio_queue *q = v->queue_select < v->ops->nr_queues ? &v->q[v->queue_select] : NULL;
    /* The queue's fields are the driver's only until it enables the queue (4.1.4.3.2). */
    int q_open = q && !q->enable && !(v->status & VIRTIO_STATUS_DRIVER_OK);

    switch (off | size << 8) {
    case 0x00 | 4 << 8: v->dfselect = val; break;
    case 0x08 | 4 << 8: v->gfselect = val; break;
    case 0x0c | 4 << 8:
        if (v->gfselect < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK))
            set_half(&v->driver_features, v->gfselect, val);
        break;
    case 0x10 | 2 << 8: v->msix_config = (uint16_t)val; break;
    case 0x14 | 1 << 8: set_status(v, (uint8_t)val); break;
    case 0x16 | 2 << 8: v->queue_select = (uint16_t)val; break;
    case 0x18 | 2 << 8: if (q_open) q->size = (uint16_t)val; break;
    case 0x1a | 2 << 8:
        if (q) {
            q->msix_vector = (uint16_t)val;
            route_calls(v);
        }
        break;
    case 0x1c | 2 << 8: if (q_open && val == 1) queue_enable(v, q); break;
    case 0x20 | 4 << 8: case 0x24 | 4 << 8: if (q_open) set_half(&q->desc, off & 4, val); break;
    case 0x28 | 4 << 8: case 0x2c | 4 << 8: if (q_open) set_half(&q->driver, off & 4, val); break;
    case 0x30 | 4 << 8: case 0x34 | 4 << 8: if (q_open) set_half(&q->device, off & 4, val); break;
    default:
        dm_log("%s: common configuration write of %u bytes at %#x ignored\n", v->pci.name, size, off);
    }
}

static uint64_t bar_read(struct pci_dev *p, uint64_t off, unsigned size)
{
    struct virtio_dev *v = p->opaque;
    uint8_t buf[COMMON_LEN];
    uint64_t val = 0;

    if (off + size <= COMMON_LEN) {
        common_image(v, buf);
        memcpy(&val, buf + off, size);
    } else if (off == ISR_OFF) {
        val = v->isr;                   /* reading clears it (4.1.4.5) */
        v->isr = 0;
        intx_update(v);
    } else if (off >= DEVCFG_OFF && off - DEVCFG_OFF + size <= v->ops->cfg_size) {
        v->ops->cfg_read(v, (unsigned)(off - DEVCFG_OFF), &val, size);
    } else if (off >= MSIX_TABLE_OFF && off + size <= MSIX_TABLE_OFF + 16 * nr_vectors(v) && size == 4) {
        const uint32_t *e = (const uint32_t *)&v->msix[(off - MSIX_TABLE_OFF) / 16];
        val = e[(off & 15) / 4];
    } else if (off >= MSIX_PBA_OFF && off + size <= MSIX_PBA_OFF + 8) {
        val = v->msix_pending >> (8 * (off - MSIX_PBA_OFF));
    } else if (off < NOTIFY_OFF + 0x1000 && off >= NOTIFY_OFF) {
        val = 0;
    } else {
        val = ~0ull;
    }
    return size == 8 ? val : val & ((1ull << (8 * size)) - 1);
}

static void bar_write(struct pci_dev *p, uint64_t off, unsigned size, uint64_t val)
{
    struct virtio_dev *v = p->opaque;

    if (off + size <= COMMON_LEN) {
        common_write(v, (unsigned)off, size, (uint32_t)val);
    } else if (off >= NOTIFY_OFF && off < NOTIFY_OFF + NOTIFY_MULT * v->ops->nr_queues) {
        virtio_queue_kick(v, (unsigned)((off - NOTIFY_OFF) / NOTIFY_MULT));
    } else if (off >= MSIX_TABLE_OFF && off + size <= MSIX_TABLE_OFF + 16 * nr_vectors(v) && size == 4) {
        unsigned vec = (unsigned)((off - MSIX_TABLE_OFF) / 16);
        uint32_t *e = (uint32_t *)&v->msix[vec];
        e[(off & 15) / 4] = (uint32_t)val;
        if ((off & 15) == 12)
            v->msix[vec].ctrl &= 1;     /* only the mask bit is writable */
        if ((off & 15) == 12 && !(val & 1) && (v->msix_pending >> vec & 1))
            msix_fire(v, vec);
        route_calls(v);
    }
    /* the rest (ISR, device configuration: read-only for block) is ignored */
}

static const struct pci_bar_ops bar_ops = { bar_read, bar_write };

/*
 * The window's access (4.1.4.9): @len bytes at @off of BAR 0, if the driver
 * set it up as it must (BAR 0, a length of 1, 2 or 4, aligned, inside the
 * BAR); 0 if not, and the access is not made.
 */
static int window(const struct virtio_dev *v, uint32_t *off, unsigned *len)
{
    const uint8_t *c = v->pci.cfg;

    *off = cfg_get(c, CAP_PCI_CFG + 8, 4);
    *len = cfg_get(c, CAP_PCI_CFG + 12, 4);
    return c[CAP_PCI_CFG + 4] == 0 && (*len == 1 || *len == 2 || *len == 4) && !(*off & (*len - 1)) &&
           *off <= BAR_SIZE - *len;
}

static int touches_data(unsigned reg, unsigned size)
{
    return reg < PCI_CFG_DATA + 4 && reg + size > PCI_CFG_DATA;
}

static void cfg_reading(struct pci_dev *p, unsigned reg, unsigned size)
{
    struct virtio_dev *v = p->opaque;
    uint32_t off;
    unsigned len;

    if (touches_data(reg, size) && window(v, &off, &len))
        cfg_put(p->cfg, PCI_CFG_DATA, len, (uint32_t)bar_read(p, off, len));
}

static void cfg_written(struct pci_dev *p, unsigned reg, unsigned size)
{
    struct virtio_dev *v = p->opaque;
    uint32_t off;
    unsigned len;

    if (touches_data(reg, size) && window(v, &off, &len))
        bar_write(p, off, len, cfg_get(p->cfg, PCI_CFG_DATA, len));
    if (reg <= PCI_COMMAND + 1 && reg + size > PCI_COMMAND + 1)
        intx_update(v);                 /* INTx disabled or enabled again */
    /* MSI-X unmasked or enabled: what was pending goes now. */
    if (reg <= CAP_MSIX + 3 && reg + size > CAP_MSIX + 2) {
        for (unsigned i = 0; i < nr_vectors(v); i++)
            if (v->msix_pending >> i & 1)
                msix_fire(v, i);
        route_calls(v);
        intx_update(v);                 /* MSI-X on: INTx is not used */
    }
}

void virtio_pci_init(struct virtio_dev *v, struct dm *dm, const struct virtio_dev_ops *ops, void *priv,
                     const char *name)
{
    struct pci_dev *p = &v->pci;

    memset(v, 0, sizeof(*v));
    v->ops = ops;
    v->dm = dm;
    v->priv = priv;
    p->bar_size = BAR_SIZE;
    p->bar_ops = &bar_ops;
    p->cfg_written = cfg_written;
    p->cfg_reading = cfg_reading;
    p->opaque = v;
    snprintf(p->name, sizeof(p->name), "%s", name);
    /* 4.1.2: device ID 0x1040 + the virtio ID, revision 1; subsystem ID at least 0x40. */
    pci_init_header(p, VIRTIO_PCI_VENDOR, (uint16_t)(0x1040 + ops->device_id), ops->pci_class | 1,
                    VIRTIO_PCI_VENDOR, 0x40);
    p->cfg[0x34] = 0x40;
    p->cfg[PCI_INTERRUPT_PIN] = 1;                      /* INTA (the DSDT's _PRT routes it) */
    add_cap(p, 0x40, 0x50, CAP_COMMON, COMMON_OFF, COMMON_LEN, 16);
    /* A device without configuration (virtio-rng) has no device capability. */
    add_cap(p, 0x50, ops->cfg_size ? 0x60 : 0x70, CAP_ISR, ISR_OFF, 4, 16);
    if (ops->cfg_size)
        add_cap(p, 0x60, 0x70, CAP_DEVICE, DEVCFG_OFF, ops->cfg_size, 16);
    add_cap(p, 0x70, CAP_MSIX, CAP_NOTIFY, NOTIFY_OFF, 0x1000, 20);
    cfg_put(p->cfg, 0x80, 4, NOTIFY_MULT);
    p->cfg[CAP_MSIX] = 0x11;
    p->cfg[CAP_MSIX + 1] = CAP_PCI_CFG;
    add_cap(p, CAP_PCI_CFG, 0, CAP_PCI, 0, 0, 20);
    p->wmask[CAP_PCI_CFG + 4] = 0xff;                   /* bar */
    cfg_put(p->wmask, CAP_PCI_CFG + 8, 4, ~0u);         /* offset */
    cfg_put(p->wmask, CAP_PCI_CFG + 12, 4, ~0u);        /* length */
    cfg_put(p->wmask, PCI_CFG_DATA, 4, ~0u);
    cfg_put(p->cfg, CAP_MSIX + 2, 2, nr_vectors(v) - 1);
    cfg_put(p->cfg, CAP_MSIX + 4, 4, MSIX_TABLE_OFF);  /* BIR 0 */
    cfg_put(p->cfg, CAP_MSIX + 8, 4, MSIX_PBA_OFF);
    p->wmask[CAP_MSIX + 3] = (MSIX_ENABLE | MSIX_MASKALL) >> 8;
    for (unsigned i = 0; i < nr_vectors(v); i++)
        v->msix[i].ctrl = 1;            /* entries start masked (6.8.2.9) */
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        v->fds[i] = (struct virtio_queue_fds){ .v = v, .q = i, .kick = -1, .call = -1 };
    reset(v);
}

void virtio_pci_unplug(struct virtio_dev *v)
{
    ioevents(v, 0);
    v->isr = 0;
    intx_update(v);                     /* a line it held goes down with it */
}

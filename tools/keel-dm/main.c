/*
 * keel-dm: the device model of one domU (one process per domU that has
 * devices; `kl create` starts it before the domain runs and it ends with
 * the domain). It serves the domain's PCI bus from dom0: configuration
 * space and BAR accesses arrive as requests in Keel's request page
 * (KEEL_HC_DM_OP), virtqueue notifications as ioevent ports, and the
 * devices answer with MSIs. Guest RAM is one foreign mapping of all of it.
 *
 *   keel-dm -d DOMID [-r FD] [-l LOGFILE] [--disk SPEC ...] [--vif SPEC ...]
 *
 * -r FD: write "ready\n" there once the bus is served (kl waits for it
 * before it unpauses the domain). Exit: 0 when the domain is gone, 1 on a
 * setup error. A bad ring stops only the device it belongs to.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "dm.h"
#include "kl_devspec.h"
#include "libkeel.h"

static struct keel k;
static struct keel_ioreq_page *ioreq;
static uint32_t ioreq_port;
static uint32_t nr_vcpus;
static int trace;                       /* KEEL_DM_TRACE=1 in the environment: log every request */

void dm_log(const char *fmt, ...)
{
    va_list ap;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(stderr, "[%lld.%03ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int dm_msi(struct dm *dm, uint64_t addr, uint32_t data)
{
    (void)dm;
    return (int)keel_dm_op(&k, KEEL_DM_MSI, addr, data, 0);
}

uint32_t dm_ioevent_add(struct dm *dm, uint64_t gpa)
{
    int64_t port = keel_dm_op(&k, KEEL_DM_IOEVENT, gpa, 2, 0);

    (void)dm;
    if (port <= 0) {
        dm_log("no ioevent at %#llx (%lld): its notifications take the slow path\n", (unsigned long long)gpa,
               (long long)port);
        return 0;
    }
    return (uint32_t)port;
}

void dm_ioevent_del(struct dm *dm, uint64_t gpa, uint32_t port)
{
    (void)dm;
    keel_dm_op(&k, KEEL_DM_IOEVENT, gpa, 2 | KEEL_IOEVENT_DEASSIGN, 0);
    keel_evtchn_op(&k, KEEL_EVTCHN_CLOSE, port, 0);
}

int dm_ioeventfd(struct dm *dm, uint32_t port, int fd)
{
    (void)dm;
    return keel_ioeventfd(&k, port, fd);
}

int dm_irqfd(struct dm *dm, int fd, int assign, uint64_t addr, uint32_t data)
{
    (void)dm;
    return keel_irqfd(&k, fd, assign ? 0 : KEEL_IRQFD_DEASSIGN, addr, data);
}

/* One request from a vCPU's slot. */
static void serve(struct dm *dm, struct keel_ioreq *r)
{
    uint64_t addr = r->addr, data = r->data;
    unsigned size = r->size;

    if (size != 1 && size != 2 && size != 4 && size != 8)
        data = ~0ull;
    else if (r->type == KEEL_IOREQ_PCI && size <= 4)
        r->write ? pci_cfg_write(&dm->bus, addr, size, (uint32_t)data)
                 : (void)(data = pci_cfg_read(&dm->bus, addr, size));
    else if (r->type == KEEL_IOREQ_MMIO && addr - KEEL_DOMU_PCI_HOTPLUG < 0x1000)
        r->write ? hotplug_write(dm, addr - KEEL_DOMU_PCI_HOTPLUG, size, (uint32_t)data)
                 : (void)(data = hotplug_read(dm, addr - KEEL_DOMU_PCI_HOTPLUG, size));
    else if (r->type == KEEL_IOREQ_MMIO)
        r->write ? pci_mmio_write(&dm->bus, addr, size, data) : (void)(data = pci_mmio_read(&dm->bus, addr, size));
    else
        data = ~0ull;
    if (!r->write)
        r->data = data;
    if (trace)
        dm_log("%s %s %#llx/%u = %#llx\n", r->type == KEEL_IOREQ_PCI ? "cfg" : r->type == KEEL_IOREQ_MMIO ? "mmio" : "pio",
               r->write ? "write" : "read", (unsigned long long)addr, size, (unsigned long long)data);
}

static void serve_requests(struct dm *dm)
{
    for (uint32_t i = 0; i < nr_vcpus; i++) {
        struct keel_ioreq *r = &ioreq->vcpu[i];

        if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != KEEL_IOREQ_READY)
            continue;
        serve(dm, r);
        __atomic_store_n(&r->state, KEEL_IOREQ_DONE, __ATOMIC_RELEASE);
        keel_dm_op(&k, KEEL_DM_IO_DONE, i, 0, 0);
    }
}

#define MAX_WATCH 64
static struct watch {
    int fd;
    void (*in)(void *), (*hup)(void *);
    void *arg;
} watches[MAX_WATCH];
static unsigned nr_watches;

void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg)
{
    if (nr_watches < MAX_WATCH)
        watches[nr_watches++] = (struct watch){ fd, in, hup, arg };
}

static int watching(const struct watch *w)
{
    for (unsigned i = 0; i < nr_watches; i++)
        if (watches[i].fd == w->fd && watches[i].in == w->in && watches[i].hup == w->hup && watches[i].arg == w->arg)
            return 1;
    return 0;
}

void dm_unwatch(int fd)
{
    for (unsigned i = 0; i < nr_watches; i++)
        if (watches[i].fd == fd)
            watches[i] = watches[--nr_watches];
}

static int kick_port(struct dm *dm, uint32_t port)
{
    for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
        struct virtio_dev *v = dm->vdev[d];
        for (unsigned q = 0; v && q < v->ops->nr_queues; q++)
            if (v->q[q].ioevent_port == port) {
                virtio_queue_kick(v, q);
                return 1;
            }
    }
    return 0;
}

/* The queues that spent their quota (virtio_queue_later), per slot: does any wait? */
static int later_queues(const struct dm *dm, unsigned later[PCI_MAX_DEVS])
{
    int any = 0;

    for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
        later[d] = dm->vdev[d] ? dm->vdev[d]->later : 0;
        any |= later[d] != 0;
    }
    return any;
}

/* Those queues again, after this turn's other events (set during this turn: the next one). */
static void serve_later(struct dm *dm, const unsigned later[PCI_MAX_DEVS])
{
    for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
        struct virtio_dev *v = dm->vdev[d];
        unsigned bits = v ? later[d] & v->later : 0;

        if (!bits)
            continue;
        v->later &= ~bits;
        for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
            if (bits >> q & 1)
                virtio_queue_kick(v, q);
    }
}

/* A device on bus 0 at @slot, its BAR where firmware would put it: its own MiB of the window (the guest may move it). */
void dm_plug(struct dm *dm, unsigned slot, struct virtio_dev *v, enum dm_kind kind, const char *spec)
{
    cfg_put(v->pci.cfg, 0x10, 4, (uint32_t)(KEEL_DOMU_PCI_MMIO + ((uint64_t)slot << 20)));
    v->pci.slot = slot;
    dm->bus.dev[slot] = &v->pci;
    dm->vdev[slot] = v;
    dm->kind[slot] = kind;
    snprintf(dm->spec[slot], sizeof(dm->spec[slot]), "%s", spec ? spec : "");
}

int dm_intx(struct dm *dm, unsigned slot, int level)
{
    unsigned line = slot % KEEL_DOMU_PCI_GSIS;
    uint32_t sharers = 0;
    int held;

    if (slot >= PCI_MAX_DEVS)
        return -EINVAL;
    dm->intx_slots = level ? dm->intx_slots | 1u << slot : dm->intx_slots & ~(1u << slot);
    for (unsigned s = line; s < PCI_MAX_DEVS; s += KEEL_DOMU_PCI_GSIS)
        sharers |= 1u << s;
    held = (dm->intx_slots & sharers) != 0;
    if (held == (int)((dm->intx_lines >> line) & 1))
        return 0;                       /* another device holds the shared line, or nothing changed */
    dm->intx_lines ^= 1u << line;
    return (int)keel_dm_op(&k, KEEL_DM_INTX, KEEL_DOMU_PCI_GSI + line, (uint64_t)held, 0);
}

int dm_hotplug_event(struct dm *dm)
{
    (void)dm;
    return (int)keel_dm_op(&k, KEEL_DM_HOTPLUG, 0, 0, 0);
}

static void usage(void)
{
    fprintf(stderr, "usage: keel-dm -d DOMID [-r READY_FD] [-l LOGFILE] [--disk SPEC ...] [--vif SPEC ...]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "disk", required_argument, NULL, 'b' },
                                           { "vif", required_argument, NULL, 'n' },
                                           { NULL, 0, NULL, 0 } };
    static struct dm dm;
    static struct kl_disk disks[PCI_MAX_DEVS - 2];
    static struct kl_vif vifs[PCI_MAX_DEVS - 2];
    static const char *disk_specs[PCI_MAX_DEVS - 2], *vif_specs[PCI_MAX_DEVS - 2];
    static struct pci_dev bridge;
    struct virtio_dev *console = NULL;
    struct keel_domain_info info;
    unsigned nr_disks = 0, nr_vifs = 0;
    int opt, ready_fd = -1;
    int64_t rc, exc_port;
    long domid = -1;

    while ((opt = getopt_long(argc, argv, "d:r:l:", opts, NULL)) != -1) {
        char msg[200];
        size_t where;
        switch (opt) {
        case 'd': domid = strtol(optarg, NULL, 10); break;
        case 'r': ready_fd = atoi(optarg); break;
        case 'l':
            if (!freopen(optarg, "a", stderr))
                return 1;
            setvbuf(stderr, NULL, _IOLBF, 0);
            break;
        case 'b':
            if (nr_disks == PCI_MAX_DEVS - 2 || kl_disk_parse(optarg, &disks[nr_disks], msg, sizeof(msg), &where)) {
                fprintf(stderr, "keel-dm: disk '%s': %s\n", optarg, nr_disks == PCI_MAX_DEVS - 2 ? "too many" : msg);
                return 1;
            }
            disk_specs[nr_disks++] = optarg;
            break;
        case 'n':
            if (nr_vifs == PCI_MAX_DEVS - 2 || kl_vif_parse(optarg, &vifs[nr_vifs], msg, sizeof(msg), &where)) {
                fprintf(stderr, "keel-dm: vif '%s': %s\n", optarg, nr_vifs == PCI_MAX_DEVS - 2 ? "too many" : msg);
                return 1;
            }
            vif_specs[nr_vifs++] = optarg;
            break;
        default: usage();
        }
    }
    if (domid <= 0 || optind != argc)
        usage();
    if (nr_disks + nr_vifs > PCI_MAX_DEVS - 3) {
        fprintf(stderr, "keel-dm: %u disks and %u vifs: more than the bus's %u slots\n", nr_disks, nr_vifs,
                PCI_MAX_DEVS - 3);
        return 1;
    }
    dm.domid = (uint32_t)domid;
    trace = getenv("KEEL_DM_TRACE") && *getenv("KEEL_DM_TRACE") == '1';
    if (keel_open(&k))
        return 1;
    if ((rc = keel_domain_info(&k, dm.domid, &info))) {
        dm_log("domain %ld: %s\n", domid, strerror((int)-rc));
        return 1;
    }
    nr_vcpus = info.nr_vcpus;
    snprintf(dm.name, sizeof(dm.name), "%.*s", (int)sizeof(info.name), info.name);
    dm.mem.size = info.mem_bytes;
    /* Its RAM as a file: mapped here, and passed to vhost-user back ends as it is. */
    dm.ram_fd = keel_domain_ram_fd(&k, dm.domid, info.mem_bytes);
    if (dm.ram_fd < 0) {
        dm_log("domain %ld: cannot map its RAM: %s\n", domid, strerror(-dm.ram_fd));
        return 1;
    }
    dm.mem.base = mmap(NULL, info.mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, dm.ram_fd, 0);
    if (dm.mem.base == MAP_FAILED) {
        dm_log("domain %ld: cannot map its RAM: %s\n", domid, strerror(errno));
        return 1;
    }
    rc = keel_dm_register(&k, dm.domid, &ioreq);
    if (rc <= 0) {
        dm_log("domain %ld: cannot serve its devices: %s\n", domid, strerror((int)-rc));
        return 1;
    }
    ioreq_port = (uint32_t)rc;
    exc_port = keel_evtchn_op(&k, KEEL_EVTCHN_BIND_VIRQ, 0, KEEL_VIRQ_DOM_EXC);

    pci_init_host_bridge(&bridge);
    dm.bus.dev[0] = &bridge;
    /* Disks in vdev order (the guest names them vda, vdb, ... in PCI order), from device 1. */
    for (unsigned i = 0; i < nr_disks; i++)
        for (unsigned j = i + 1; j < nr_disks; j++)
            if (disks[j].index < disks[i].index) {
                struct kl_disk t = disks[i];
                const char *ts = disk_specs[i];
                disks[i] = disks[j];
                disks[j] = t;
                disk_specs[i] = disk_specs[j];
                disk_specs[j] = ts;
            }
    for (unsigned i = 0; i < nr_disks; i++) {
        struct virtio_dev *v = calloc(1, sizeof(*v));
        unsigned slot = i + 1;
        int qdisk = !strcmp(disks[i].backendtype, "qdisk");
        if (!v || (qdisk ? vublk_create(v, &dm, &disks[i]) : blk_create(v, &dm, &disks[i])))
            return 1;
        dm_plug(&dm, slot, v, qdisk ? DM_VUBLK : DM_BLK, disk_specs[i]);
        dm.disk_index[slot] = (int)disks[i].index;
    }
    /* Then its NICs, in vif order (eth0, eth1, ...). */
    for (unsigned i = 0; i < nr_vifs; i++) {
        struct virtio_dev *v = calloc(1, sizeof(*v));
        unsigned slot = nr_disks + 1 + i;
        if (!vifs[i].has_mac)
            kl_vif_default_mac(info.name, i, vifs[i].mac);
        if (!v || net_create(v, &dm, &vifs[i], i))
            return 1;
        dm_plug(&dm, slot, v, DM_NET, vif_specs[i]);
        dm.vif_index[slot] = (int)i;
    }
    /* Every domain with a device model gets entropy too (virtio-rng), after its disks and NICs, and a PV console. */
    {
        struct virtio_dev *v = calloc(1, sizeof(*v));
        unsigned slot = nr_disks + nr_vifs + 1;
        if (!v || rng_create(v, &dm))
            return 1;
        dm_plug(&dm, slot, v, DM_RNG, NULL);
    }
    {
        struct virtio_dev *v = calloc(1, sizeof(*v));
        char path[64];
        mkdir("/run", 0755);
        mkdir("/run/keel", 0755);
        snprintf(path, sizeof(path), KEEL_PV_CONSOLE_FMT, dm.domid);
        if (!v || console_create(v, &dm, path))
            return 1;
        dm_plug(&dm, nr_disks + nr_vifs + 2, v, DM_CONSOLE, NULL);
        console = v;
    }
    if (control_init(&dm))
        return 1;
    if ((rc = keel_dm_op(&k, KEEL_DM_MAP_MMIO, KEEL_DOMU_PCI_MMIO, KEEL_DOMU_PCI_MMIO_SIZE, 0))) {
        dm_log("domain %ld: cannot take its PCI window: %s\n", domid, strerror((int)-rc));
        return 1;
    }
    dm_log("domain %ld: serving %u disk(s), %u NIC(s), entropy and a console, request port %u\n", domid, nr_disks,
           nr_vifs, ioreq_port);
    if (ready_fd >= 0) {
        if (write(ready_fd, "ready\n", 6) != 6) { /* kl sees EOF instead */ }
        close(ready_fd);
    }

    for (;;) {
        struct pollfd pfd[1 + MAX_WATCH];
        struct watch snap[MAX_WATCH];
        unsigned later[PCI_MAX_DEVS];
        int any_later = later_queues(&dm, later);
        unsigned nw = nr_watches;
        uint32_t ports[32];
        ssize_t n;

        pfd[0] = (struct pollfd){ k.fd, POLLIN, 0 };
        for (unsigned i = 0; i < nw; i++)
            pfd[1 + i] = (struct pollfd){ watches[i].fd, watches[i].in ? POLLIN : 0, 0 };
        /* Queues waiting for their turn: only look. A detach waiting for the guest: look at its deadline now and then. */
        if (poll(pfd, 1 + nw, any_later ? 0 : control_tick(&dm) ? 500 : -1) < 0) {
            if (errno == EINTR)
                continue;
            dm_log("poll: %s\n", strerror(errno));
            return 1;
        }
        /* Callbacks may add and remove watches: each polled one is called only while it is still there. */
        memcpy(snap, watches, nw * sizeof(*snap));
        for (unsigned i = 0; i < nw; i++) {
            struct watch w = snap[i];
            if (!pfd[1 + i].revents || !watching(&w))
                continue;
            if ((pfd[1 + i].revents & POLLIN) && w.in)
                w.in(w.arg);
            else if ((pfd[1 + i].revents & (POLLHUP | POLLERR)) && w.hup)
                w.hup(w.arg);
        }
        serve_later(&dm, later);
        if (!(pfd[0].revents & POLLIN))
            continue;
        n = read(k.fd, ports, sizeof(ports));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            dm_log("reading events: %s\n", strerror(errno));
            return 1;
        }
        for (ssize_t i = 0; i < n / 4; i++) {
            if (ports[i] == ioreq_port) {
                serve_requests(&dm);
            } else if (exc_port > 0 && ports[i] == (uint32_t)exc_port) {
                if (keel_domain_info(&k, dm.domid, &info) || info.state != KEEL_DOMSTATE_RUNNING) {
                    dm_log("domain %ld is gone: exiting\n", domid);
                    console_destroy(console);
                    {
                        char path[64];
                        snprintf(path, sizeof(path), KEEL_DM_CONTROL_FMT, dm.domid);
                        unlink(path);
                    }
                    for (unsigned d = 0; d < PCI_MAX_DEVS; d++)
                        if (dm.kind[d] == DM_VUBLK)
                            vublk_stop(dm.vdev[d]);
                    return 0;
                }
            } else {
                kick_port(&dm, ports[i]);
            }
        }
        /* A request may have come in while the others were served: the port fires once per batch. */
        serve_requests(&dm);
    }
}

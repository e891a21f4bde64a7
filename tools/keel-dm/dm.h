/*
 * keel-dm: one domU's PCI bus, served from dom0 (public/keel.h,
 * KEEL_HC_DM_OP). pci.c is the bus and each function's configuration
 * space; virtio_pci.c the virtio 1.x PCI transport; devices (blk.c) sit
 * behind struct virtio_dev_ops, apart from the transport.
 */
#ifndef KEEL_DM_H
#define KEEL_DM_H
#include <stdint.h>
#include "virtq.h"

#define PCI_MAX_DEVS        32          /* bus 0's device numbers */
#define PCI_CFG_SIZE        256

struct pci_dev;

/* A function's BAR 0 (the only one Keel's devices use): 32-bit memory. */
struct pci_bar_ops {
    uint64_t (*read)(struct pci_dev *p, uint64_t off, unsigned size);
    void (*write)(struct pci_dev *p, uint64_t off, unsigned size, uint64_t val);
};

struct pci_dev {
    uint8_t cfg[PCI_CFG_SIZE];
    uint8_t wmask[PCI_CFG_SIZE];        /* bits the guest may write */
    uint32_t bar_size;                  /* BAR 0's size (a power of 2), 0: none */
    const struct pci_bar_ops *bar_ops;
    void (*cfg_written)(struct pci_dev *p, unsigned reg, unsigned size);
    void (*cfg_reading)(struct pci_dev *p, unsigned reg, unsigned size);    /* before a read: refresh those bytes */
    void *opaque;
    unsigned slot;                      /* its device number on bus 0 (dm_plug) */
    char name[24];
};

struct pci_bus {
    struct pci_dev *dev[PCI_MAX_DEVS];  /* by device number; function 0 only */
};

/* Configuration space at @addr (bus << 16 | dev << 11 | fn << 8 | reg, KEEL_IOREQ_PCI). */
uint32_t pci_cfg_read(struct pci_bus *b, uint64_t addr, unsigned size);
void pci_cfg_write(struct pci_bus *b, uint64_t addr, unsigned size, uint32_t val);
/* An MMIO access anywhere in the window: to the BAR that decodes it, else reads all ones. */
uint64_t pci_mmio_read(struct pci_bus *b, uint64_t gpa, unsigned size);
void pci_mmio_write(struct pci_bus *b, uint64_t gpa, unsigned size, uint64_t val);
/* BAR 0's address while memory decoding is on, else 0. */
uint64_t pci_bar_addr(const struct pci_dev *p);
/* Header fields; a type-0 header with a capability list. */
void pci_init_header(struct pci_dev *p, uint16_t vendor, uint16_t device, uint32_t class_rev, uint16_t subvendor,
                     uint16_t subsys);
/* The host bridge at 00.0. */
void pci_init_host_bridge(struct pci_dev *p);

static inline void cfg_put(uint8_t *cfg, unsigned off, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size; i++)
        cfg[off + i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t cfg_get(const uint8_t *cfg, unsigned off, unsigned size)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)cfg[off + i] << (8 * i);
    return v;
}

/* ---- the virtio PCI transport (virtio 1.2 4.1) ---- */

#define VIRTIO_MAX_QUEUES   4
#define VIRTIO_STATUS_ACK           1
#define VIRTIO_STATUS_DRIVER        2
#define VIRTIO_STATUS_DRIVER_OK     4
#define VIRTIO_STATUS_FEATURES_OK   8
#define VIRTIO_STATUS_NEEDS_RESET   0x40
#define VIRTIO_STATUS_FAILED        0x80
#define VIRTIO_F_VERSION_1          32

struct virtio_dev;

/* A device type behind the transport. */
struct virtio_dev_ops {
    uint16_t device_id;                 /* virtio device ID (2: block) */
    uint32_t pci_class;                 /* class << 8 */
    unsigned nr_queues;
    uint64_t (*features)(struct virtio_dev *v);
    /* Device configuration, little-endian, at @off (bounds checked by the transport). */
    uint32_t cfg_size;
    void (*cfg_read)(struct virtio_dev *v, unsigned off, void *buf, unsigned len);
    /* Queue @q has requests (a notify): 0, or -1 if its ring broke the rules (*why). */
    int (*queue_notify)(struct virtio_dev *v, unsigned q, const char **why);
    /* The driver set DRIVER_OK (NULL: nothing to do): 0, or -1 (the device then needs a reset). */
    int (*start)(struct virtio_dev *v);
    void (*reset)(struct virtio_dev *v);
};

struct virtio_queue {
    uint16_t size, msix_vector, enable;
    uint64_t desc, driver, device;
    struct virtq vq;
    uint32_t ioevent_port;              /* Keel's fast notify for it (0: none) */
    uint64_t ioevent_gpa;
};

/*
 * A queue whose back end runs elsewhere (qemu-storage-daemon, the kernel's
 * vhost) and talks through eventfds: @kick it waits on, @call it signals.
 */
struct virtio_queue_fds {
    struct virtio_dev *v;
    unsigned q;
    int kick, call;                     /* -1: keel-dm serves the queue itself */
    int routed;                         /* @call is an irqfd in dom0's kernel, for @addr/@data */
    int watched;                        /* keel-dm relays @call (the vector is masked, or no irqfd) */
    int kick_bound;                     /* Keel's ioevent signals @kick in dom0's kernel */
    int told;                           /* the log said both are in the kernel */
    uint64_t addr;
    uint32_t data;
};

struct msix_entry {
    uint32_t addr_lo, addr_hi, data, ctrl;
};

struct virtio_dev {
    struct pci_dev pci;
    const struct virtio_dev_ops *ops;
    struct dm *dm;
    void *priv;
    uint32_t dfselect, gfselect;
    uint64_t driver_features;
    uint8_t status, config_generation, isr;
    uint16_t queue_select, msix_config;
    struct virtio_queue q[VIRTIO_MAX_QUEUES];
    struct msix_entry msix[VIRTIO_MAX_QUEUES + 1];
    uint64_t msix_pending;
    int intx;                           /* its INTA is asserted (ISR set, MSI-X off, INTx not disabled) */
    struct virtio_queue_fds fds[VIRTIO_MAX_QUEUES];
    int broken;                         /* NEEDS_RESET set: its queues are not served until a reset */
    unsigned later;                     /* queues to serve again on the poll loop's next turn */
};

void virtio_pci_init(struct virtio_dev *v, struct dm *dm, const struct virtio_dev_ops *ops, void *priv,
                     const char *name);
/* Used buffers were added to queue @q: interrupt the driver as it asked. */
void virtio_notify_queue(struct virtio_dev *v, unsigned q);
/* Does the driver run queue @q (DRIVER_OK, the queue enabled, the device not broken)? */
int virtio_queue_ready(const struct virtio_dev *v, unsigned q);
/*
 * Queue @q spent its quota for this turn: serve it again on the poll loop's
 * next one, after the other devices (keel-dm's main loop kicks it).
 */
void virtio_queue_later(struct virtio_dev *v, unsigned q);
/* Serve queue @q now (a notify, through Keel's ioevent or a forwarded write). */
void virtio_queue_kick(struct virtio_dev *v, unsigned q);
/* Interrupt the driver for queue @q unconditionally (a back end that suppresses on its own said so). */
void virtio_queue_interrupt(struct virtio_dev *v, unsigned q);
/*
 * Queue @q's back end takes notifications at eventfd @kick and signals
 * used buffers at eventfd @call (-1, -1: no longer). Keel's ioevent for the
 * queue then signals @kick from dom0's kernel, and @call becomes the
 * queue's MSI-X message there (an irqfd) while its vector is enabled and
 * unmasked; otherwise keel-dm relays them (a masked vector's signal sets
 * its pending bit).
 */
void virtio_queue_backend(struct virtio_dev *v, unsigned q, int kick, int call);
/* The device leaves the bus (hot unplug): Keel's ioevents for it go. */
void virtio_pci_unplug(struct virtio_dev *v);
/* Stop serving the device until the driver resets it: DEVICE_NEEDS_RESET, a config interrupt, a log line. */
void virtio_needs_reset(struct virtio_dev *v, const char *why);

/* ---- the device model process (main.c): what devices call back ---- */

enum dm_kind { DM_NONE, DM_BLK, DM_VUBLK, DM_NET, DM_RNG, DM_CONSOLE };

struct dm {
    int ram_fd;                         /* the domain's RAM (mmap offset = guest-physical) */
    uint32_t domid;
    char name[64];                      /* the domain's */
    struct gmem mem;
    struct pci_bus bus;
    struct virtio_dev *vdev[PCI_MAX_DEVS];
    enum dm_kind kind[PCI_MAX_DEVS];
    char spec[PCI_MAX_DEVS][128];       /* the disk= or vif= entry it came from */
    int disk_index[PCI_MAX_DEVS];       /* a disk's vdev number */
    int vif_index[PCI_MAX_DEVS];        /* a vif's devid (xl's), its tap vifDOMID.N */
    uint32_t hp_up, hp_down;            /* hotplug registers (KEEL_DOMU_PCI_HOTPLUG): slots to check, to remove */
    uint32_t intx_slots;                /* slots whose INTA is asserted */
    uint32_t intx_lines;                /* the lines Keel holds, bit n: GSI KEEL_DOMU_PCI_GSI + n */
};

/* Put @v on the bus at @slot (0 < slot < PCI_MAX_DEVS) as @kind. */
void dm_plug(struct dm *dm, unsigned slot, struct virtio_dev *v, enum dm_kind kind, const char *spec);
/* Ask Keel to raise the domain's PCI hotplug event: 0 or -errno. */
int dm_hotplug_event(struct dm *dm);
/* ---- hotplug (control.c): kl's block-/network-attach, -detach, -list ---- */
/* Listen on /run/keel/dDOMID-dm.sock: 0 or -1 after logging why. */
int control_init(struct dm *dm);
uint32_t hotplug_read(struct dm *dm, uint64_t off, unsigned size);
void hotplug_write(struct dm *dm, uint64_t off, unsigned size, uint32_t val);
/* Detaches the guest did not answer in time: called every DM_TICK_MS while any wait. */
int control_tick(struct dm *dm);
#define KEEL_DM_CONTROL_FMT "/run/keel/d%u-dm.sock"

/* An MSI into the domain: 0 or -errno. */
int dm_msi(struct dm *dm, uint64_t addr, uint32_t data);
/* @slot's INTA is now @level (its line, shared by every fourth slot, follows): 0 or -errno. */
int dm_intx(struct dm *dm, unsigned slot, int level);
/* Keel's ioevent for a 2-byte write at @gpa: its port, or 0 if there is none (the slow path serves it). */
uint32_t dm_ioevent_add(struct dm *dm, uint64_t gpa);
void dm_ioevent_del(struct dm *dm, uint64_t gpa, uint32_t port);
/* Port @port signals eventfd @fd in dom0's kernel (-1: keel-dm reads it again): 0 or -errno. */
int dm_ioeventfd(struct dm *dm, uint32_t port, int fd);
/* Each signal of eventfd @fd becomes MSI(@addr, @data), in dom0's kernel (!@assign: no more): 0 or -errno. */
int dm_irqfd(struct dm *dm, int fd, int assign, uint64_t addr, uint32_t data);
void dm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Call @in(@arg) when @fd is readable, @hup(@arg) when it hangs up (either may be NULL). */
void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg);
void dm_unwatch(int fd);

/* ---- devices ---- */
struct kl_disk;
/* A virtio-blk device for @disk (raw file or block device): 0, or -1 after logging why. */
int blk_create(struct virtio_dev *v, struct dm *dm, const struct kl_disk *disk);
void blk_destroy(struct virtio_dev *v);
/* virtio-blk through qemu-storage-daemon's vhost-user-blk export (vublk.c): 0, or -1 after logging why. */
int vublk_create(struct virtio_dev *v, struct dm *dm, const struct kl_disk *disk);
/* The domain is gone: stop the daemon (it closes the image cleanly). */
void vublk_stop(struct virtio_dev *v);
/* The disk is unplugged: its ring stopped, the daemon stopped, everything freed. */
void vublk_destroy(struct virtio_dev *v);
struct kl_vif;
/* virtio-net on a tap in dom0 that joins @vif's bridge (net.c): 0, or -1 after logging why. */
int net_create(struct virtio_dev *v, struct dm *dm, const struct kl_vif *vif, unsigned index);
/* The same device over @fd, a tap or anything that keeps frame boundaries (the unit tests' sockets). */
int net_attach(struct virtio_dev *v, struct dm *dm, int fd, const uint8_t mac[6], unsigned index);
void net_detach(struct virtio_dev *v);
/*
 * A NIC's rings handed to dom0's vhost-net over @tap (vhost_net.c), at
 * DRIVER_OK: the running back end, or NULL after logging why (keel-dm then
 * runs them). vhost_net_stop() takes them back (a reset, an unplug).
 */
struct vhost_net *vhost_net_start(struct virtio_dev *v, int tap);
void vhost_net_stop(struct vhost_net *vn);
/* virtio-console, its dom0 end a Unix socket at @path (console.c): 0, or -1 after logging why. */
int console_create(struct virtio_dev *v, struct dm *dm, const char *path);
void console_destroy(struct virtio_dev *v);
/* The socket `kl console -t pv` connects to. */
#define KEEL_PV_CONSOLE_FMT "/run/keel/d%u-console.sock"
/* virtio-rng from dom0's kernel RNG (rng.c). */
int rng_create(struct virtio_dev *v, struct dm *dm);
#endif

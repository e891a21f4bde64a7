/*
 * Hotplug: kl's block-attach/-detach/-list and network-attach/-detach/-list
 * on a running domU, through keel-dm's control socket
 * (/run/keel/dDOMID-dm.sock, root only: one line in, the answer out).
 *
 * The guest learns of a change as a machine with ACPI PCI hotplug does
 * (Linux's acpiphp; QEMU's PIIX4 registers): a new device goes on a free
 * slot, its bit into "slots to check", and Keel raises the domain's GED
 * event (KEEL_DM_HOTPLUG), whose AML reads the registers and notifies the
 * slot. A detach sets the slot's bit in "slots to remove"; the guest's
 * driver lets go and its _EJ0 writes the bit back, and only then is the
 * device taken away and the detach answered (after DETACH_WAIT_MS without
 * the guest's answer: an error, the device stays).
 *
 *   block-attach SPEC       -> "ok SLOT" | "error: ..."
 *   block-detach VDEV       -> "ok" | "error: ..."
 *   network-attach SPEC     -> "ok SLOT DEVID MAC"
 *   network-detach DEVID|MAC
 *   list                    -> "SLOT KIND INDEX SPEC" lines, then "ok"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "dm.h"
#include "kl_devspec.h"

#define DETACH_WAIT_MS  20000

static int listen_fd = -1;
static struct {
    int client;                         /* -1: none waiting */
    unsigned slot;
    struct timespec deadline;
} detach[PCI_MAX_DEVS];

static void reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int fd, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (send(fd, line, (size_t)n, MSG_NOSIGNAL) < 0) { /* the client went */ }
}

static unsigned free_slot(struct dm *dm)
{
    for (unsigned s = 1; s < PCI_MAX_DEVS; s++)
        if (!dm->bus.dev[s] && !(dm->hp_down >> s & 1))
            return s;
    return 0;
}

static int announce(struct dm *dm, unsigned slot, int add)
{
    if (add)
        dm->hp_up |= 1u << slot;
    else
        dm->hp_down |= 1u << slot;
    return dm_hotplug_event(dm);
}

static void block_attach(struct dm *dm, int fd, const char *spec)
{
    struct kl_disk d;
    struct virtio_dev *v;
    char err[200];
    size_t where;
    unsigned slot;

    if (kl_disk_parse(spec, &d, err, sizeof(err), &where))
        return reply(fd, "error: disk '%s': %s (at column %zu)", spec, err, where + 1);
    for (unsigned s = 1; s < PCI_MAX_DEVS; s++)
        if (dm->kind[s] == DM_BLK || dm->kind[s] == DM_VUBLK)
            if (dm->disk_index[s] == (int)d.index)
                return reply(fd, "error: the domain has a disk at %s already", d.vdev);
    slot = free_slot(dm);
    if (!slot)
        return reply(fd, "error: no free PCI slot");
    v = calloc(1, sizeof(*v));
    if (!v)
        return reply(fd, "error: out of memory");
    int qdisk = !strcmp(d.backendtype, "qdisk");
    if (qdisk ? vublk_create(v, dm, &d) : blk_create(v, dm, &d)) {
        free(v);
        return reply(fd, "error: the disk could not be served (see /var/log/keel/%s.log)", dm->name);
    }
    dm_plug(dm, slot, v, qdisk ? DM_VUBLK : DM_BLK, spec);
    dm->disk_index[slot] = (int)d.index;
    if (announce(dm, slot, 1))
        dm_log("slot %u: the hotplug event was refused\n", slot);
    dm_log("slot %u: disk %s attached\n", slot, spec);
    reply(fd, "ok %u", slot);
}

static void network_attach(struct dm *dm, int fd, const char *spec)
{
    struct kl_vif vif;
    struct virtio_dev *v;
    char err[200];
    size_t where;
    unsigned slot;
    int devid = 0;

    if (kl_vif_parse(spec, &vif, err, sizeof(err), &where))
        return reply(fd, "error: vif '%s': %s (at column %zu)", spec, err, where + 1);
    for (unsigned s = 1; s < PCI_MAX_DEVS; s++)
        if (dm->kind[s] == DM_NET && dm->vif_index[s] >= devid)
            devid = dm->vif_index[s] + 1;
    slot = free_slot(dm);
    if (!slot)
        return reply(fd, "error: no free PCI slot");
    if (!vif.has_mac)
        kl_vif_default_mac(dm->name, (unsigned)devid, vif.mac);
    v = calloc(1, sizeof(*v));
    if (!v || net_create(v, dm, &vif, (unsigned)devid)) {
        free(v);
        return reply(fd, "error: the vif could not be made (see /var/log/keel/%s.log)", dm->name);
    }
    dm_plug(dm, slot, v, DM_NET, spec);
    dm->vif_index[slot] = devid;
    if (announce(dm, slot, 1))
        dm_log("slot %u: the hotplug event was refused\n", slot);
    reply(fd, "ok %u %d %02x:%02x:%02x:%02x:%02x:%02x", slot, devid, vif.mac[0], vif.mac[1], vif.mac[2],
          vif.mac[3], vif.mac[4], vif.mac[5]);
}

/* Ask the guest for the device at @slot; the answer to @fd waits for its _EJ0. */
static void request_detach(struct dm *dm, int fd, unsigned slot)
{
    if (detach[slot].client >= 0)
        return reply(fd, "error: a detach of that device is under way");
    detach[slot].client = dup(fd);
    detach[slot].slot = slot;
    clock_gettime(CLOCK_MONOTONIC, &detach[slot].deadline);
    detach[slot].deadline.tv_sec += DETACH_WAIT_MS / 1000;
    if (announce(dm, slot, 0)) {
        close(detach[slot].client);
        detach[slot].client = -1;
        dm->hp_down &= ~(1u << slot);
        return reply(fd, "error: the hotplug event was refused");
    }
}

static void block_detach(struct dm *dm, int fd, const char *vdev)
{
    struct kl_disk d;
    char spec[64], err[200];
    size_t where;

    snprintf(spec, sizeof(spec), "/dev/null,raw,%s,r", vdev);
    if (kl_disk_parse(spec, &d, err, sizeof(err), &where))
        return reply(fd, "error: '%s' is not a disk name (xvdb, vdb, hdb, sdb...)", vdev);
    for (unsigned s = 1; s < PCI_MAX_DEVS; s++)
        if ((dm->kind[s] == DM_BLK || dm->kind[s] == DM_VUBLK) && dm->disk_index[s] == (int)d.index)
            return request_detach(dm, fd, s);
    reply(fd, "error: the domain has no disk %s", vdev);
}

static void network_detach(struct dm *dm, int fd, const char *id)
{
    uint8_t mac[6];
    char *end;
    long devid = strtol(id, &end, 10);
    int by_mac = sscanf(id, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6;

    if (!by_mac && (*end || end == id))
        return reply(fd, "error: '%s' is neither a devid nor a MAC", id);
    for (unsigned s = 1; s < PCI_MAX_DEVS; s++) {
        if (dm->kind[s] != DM_NET)
            continue;
        if (by_mac) {
            uint8_t m[6];
            dm->vdev[s]->ops->cfg_read(dm->vdev[s], 0, m, 6);
            if (!memcmp(m, mac, 6))
                return request_detach(dm, fd, s);
        } else if (dm->vif_index[s] == devid) {
            return request_detach(dm, fd, s);
        }
    }
    reply(fd, "error: the domain has no vif %s", id);
}

static void list(struct dm *dm, int fd)
{
    static const char *const kinds[] = { "none", "disk", "disk", "vif", "rng", "console" };

    for (unsigned s = 1; s < PCI_MAX_DEVS; s++) {
        if (!dm->bus.dev[s])
            continue;
        int idx = dm->kind[s] == DM_NET ? dm->vif_index[s] :
                  dm->kind[s] == DM_BLK || dm->kind[s] == DM_VUBLK ? dm->disk_index[s] : -1;
        reply(fd, "%u %s %d %s%s", s, kinds[dm->kind[s]], idx, dm->spec[s][0] ? dm->spec[s] : "-",
              dm->hp_down >> s & 1 ? " (detaching)" : "");
    }
    reply(fd, "ok");
}

/* The device at @slot leaves the bus and dom0. */
static void unplug(struct dm *dm, unsigned slot)
{
    struct virtio_dev *v = dm->vdev[slot];

    virtio_pci_unplug(v);
    dm->bus.dev[slot] = NULL;
    dm->vdev[slot] = NULL;
    switch (dm->kind[slot]) {
    case DM_BLK: blk_destroy(v); break;
    case DM_VUBLK: vublk_destroy(v); break;
    case DM_NET: net_detach(v); break;
    default: break;                     /* entropy and the console are not detached */
    }
    dm_log("slot %u: %s detached\n", slot, dm->spec[slot]);
    dm->kind[slot] = DM_NONE;
    dm->spec[slot][0] = '\0';
    free(v);
}

static void client(void *arg)
{
    struct dm *dm = arg;
    char line[256], *arg1;
    struct timeval tv = { 2, 0 };
    ssize_t n;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* One line, however it arrives (a slow or silent client gives up after 2 s). */
    for (size_t got = 0;;) {
        n = recv(fd, line + got, sizeof(line) - 1 - got, 0);
        if (n <= 0) {
            close(fd);
            return;
        }
        got += (size_t)n;
        line[got] = '\0';
        if (strchr(line, '\n') || got == sizeof(line) - 1)
            break;
    }
    line[strcspn(line, "\r\n")] = '\0';
    arg1 = strchr(line, ' ');
    if (arg1)
        *arg1++ = '\0';
    if (!strcmp(line, "list"))
        list(dm, fd);
    else if (!strcmp(line, "network-attach"))
        network_attach(dm, fd, arg1 ? arg1 : "");      /* no entry: the default network */
    else if (!arg1 || !*arg1)
        reply(fd, "error: '%s' wants an argument", line);
    else if (!strcmp(line, "block-attach"))
        block_attach(dm, fd, arg1);
    else if (!strcmp(line, "block-detach"))
        block_detach(dm, fd, arg1);
    else if (!strcmp(line, "network-detach"))
        network_detach(dm, fd, arg1);
    else
        reply(fd, "error: unknown request '%s'", line);
    close(fd);
}

int control_init(struct dm *dm)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    for (unsigned s = 0; s < PCI_MAX_DEVS; s++)
        detach[s].client = -1;
    snprintf(a.sun_path, sizeof(a.sun_path), KEEL_DM_CONTROL_FMT, dm->domid);
    unlink(a.sun_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) || chmod(a.sun_path, 0600) ||
        listen(listen_fd, 4)) {
        dm_log("control socket %s: %s\n", a.sun_path, strerror(errno));
        return -1;
    }
    dm_watch(listen_fd, client, NULL, dm);
    return 0;
}

/* The guest's side of the registers (DSDT PCNT and _EJ0). */
uint32_t hotplug_read(struct dm *dm, uint64_t off, unsigned size)
{
    if (size != 4)
        return ~0u;
    return off == 0 ? dm->hp_up : off == 4 ? dm->hp_down : 0;
}

void hotplug_write(struct dm *dm, uint64_t off, unsigned size, uint32_t val)
{
    if (size != 4)
        return;
    if (off == 0)
        dm->hp_up &= ~val;
    else if (off == 4)
        dm->hp_down &= ~val;
    else if (off == 8)
        /* _EJ0: the guest let go of these slots. Only a detach asked for is done. */
        for (unsigned s = 1; s < PCI_MAX_DEVS; s++) {
            if (!(val >> s & 1) || detach[s].client < 0 || !dm->bus.dev[s])
                continue;
            unplug(dm, s);
            dm->hp_down &= ~(1u << s);
            reply(detach[s].client, "ok");
            close(detach[s].client);
            detach[s].client = -1;
        }
}

int control_tick(struct dm *dm)
{
    struct timespec now;
    int waiting = 0;

    clock_gettime(CLOCK_MONOTONIC, &now);
    for (unsigned s = 1; s < PCI_MAX_DEVS; s++) {
        if (detach[s].client < 0)
            continue;
        if (now.tv_sec > detach[s].deadline.tv_sec ||
            (now.tv_sec == detach[s].deadline.tv_sec && now.tv_nsec >= detach[s].deadline.tv_nsec)) {
            dm->hp_down &= ~(1u << s);
            reply(detach[s].client, "error: the guest did not release it in %u s (it keeps the device)",
                  DETACH_WAIT_MS / 1000);
            close(detach[s].client);
            detach[s].client = -1;
        } else {
            waiting = 1;
        }
    }
    return waiting;
}

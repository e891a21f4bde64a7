/*
 * Bus 0 of a domU: each function's 256-byte configuration space (PCI
 * Local Bus 3.0 6.1) with a mask of the bits the guest may write, BAR 0
 * sized by that mask (6.2.5.1: the guest writes all ones and reads back
 * the size), and MMIO decoded to the BAR that holds the address while the
 * function's memory decoding is on. Function 0 only; other buses and
 * functions are absent (reads all ones).
 */
#include <string.h>
#include "dm.h"

#define PCI_COMMAND         0x04
#define PCI_COMMAND_MEMORY  0x2
#define PCI_STATUS          0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_BAR0            0x10
#define PCI_CAP_PTR         0x34

static struct pci_dev *find(struct pci_bus *b, uint64_t addr)
{
    if ((addr >> 16) & 0xff || (addr >> 8) & 7)
        return NULL;                    /* bus 0, function 0 only */
    return b->dev[(addr >> 11) & 31];
}

uint32_t pci_cfg_read(struct pci_bus *b, uint64_t addr, unsigned size)
{
    struct pci_dev *p = find(b, addr);
    unsigned reg = addr & 0xff;

    if (!p || reg + size > PCI_CFG_SIZE)
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    if (p->cfg_reading)
        p->cfg_reading(p, reg, size);
    return cfg_get(p->cfg, reg, size);
}

void pci_cfg_write(struct pci_bus *b, uint64_t addr, unsigned size, uint32_t val)
{
    struct pci_dev *p = find(b, addr);
    unsigned reg = addr & 0xff;

    if (!p || reg + size > PCI_CFG_SIZE)
        return;
    for (unsigned i = 0; i < size; i++) {
        uint8_t m = p->wmask[reg + i];
        p->cfg[reg + i] = (uint8_t)((p->cfg[reg + i] & ~m) | ((val >> (8 * i)) & m));
    }
    if (p->cfg_written)
        p->cfg_written(p, reg, size);
}

uint64_t pci_bar_addr(const struct pci_dev *p)
{
    if (!p->bar_size || !(p->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY))
        return 0;
    return cfg_get(p->cfg, PCI_BAR0, 4) & ~0xfu;
}

static struct pci_dev *decode(struct pci_bus *b, uint64_t gpa, uint64_t *off)
{
    for (unsigned i = 0; i < PCI_MAX_DEVS; i++) {
        struct pci_dev *p = b->dev[i];
        uint64_t base = p ? pci_bar_addr(p) : 0;
        if (base && gpa >= base && gpa - base < p->bar_size) {
            *off = gpa - base;
            return p;
        }
    }
    return NULL;
}

uint64_t pci_mmio_read(struct pci_bus *b, uint64_t gpa, unsigned size)
{
    uint64_t off;
    struct pci_dev *p = decode(b, gpa, &off);

    if (!p || off + size > p->bar_size)
        return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;     /* nothing there: the bus floats high */
    return p->bar_ops->read(p, off, size);
}

void pci_mmio_write(struct pci_bus *b, uint64_t gpa, unsigned size, uint64_t val)
{
    uint64_t off;
    struct pci_dev *p = decode(b, gpa, &off);

    if (p && off + size <= p->bar_size)
        p->bar_ops->write(p, off, size, val);
}

void pci_init_header(struct pci_dev *p, uint16_t vendor, uint16_t device, uint32_t class_rev, uint16_t subvendor,
                     uint16_t subsys)
{
    memset(p->cfg, 0, sizeof(p->cfg));
    memset(p->wmask, 0, sizeof(p->wmask));
    cfg_put(p->cfg, 0x00, 2, vendor);
    cfg_put(p->cfg, 0x02, 2, device);
    cfg_put(p->cfg, 0x08, 4, class_rev);
    cfg_put(p->cfg, 0x2c, 2, subvendor);
    cfg_put(p->cfg, 0x2e, 2, subsys);
    cfg_put(p->wmask, PCI_COMMAND, 2, 0x0407);         /* I/O, memory, bus master, INTx disable */
    p->wmask[0x0c] = 0xff;                              /* cache line size */
    p->wmask[0x3c] = 0xff;                              /* interrupt line: the OS's note */
    if (p->bar_size) {
        /* 32-bit, non-prefetchable memory: address bits above the size are the guest's. */
        cfg_put(p->wmask, PCI_BAR0, 4, ~(p->bar_size - 1) & ~0xfu);
        cfg_put(p->cfg, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
    }
}

void pci_init_host_bridge(struct pci_dev *p)
{
    memset(p, 0, sizeof(*p));
    /* Red Hat's "QEMU PCIe host bridge" ID, which guests know needs no driver. */
    pci_init_header(p, 0x1b36, 0x0008, 0x06000000, 0x1af4, 0x1100);
    cfg_put(p->wmask, PCI_COMMAND, 2, 0);
    strcpy(p->name, "host bridge");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * keel.ko: dom0's door to the Keel hypervisor. /dev/keel offers root
 *  - the hypercall ioctl (public/keel.h: KEEL_IOCTL_HYPERCALL), bouncing
 *    one user buffer (in, out or both) through kernel memory whose
 *    guest-physical address the hypercall gets;
 *  - event channels (KEEL_IOCTL_EVTCHN): keel.ko gives Keel dom0's event
 *    page and takes the event interrupt (an edge on the GSI Keel names, one
 *    pin past the hardware's on dom0's virtual I/O APIC); the ports a file
 *    binds fire into that file, which read() and poll() report;
 *  - foreign mappings (KEEL_IOCTL_FOREIGN_MAP): a domU's frames put by Keel
 *    at physical addresses keel.ko takes from unclaimed space (as Xen's
 *    unpopulated-alloc does), then mmap()ed from the same file;
 *  - a domU's RAM as a file of its own (KEEL_IOCTL_DOMAIN_RAM): mmap() at
 *    offset = guest-physical address, for vhost-user back ends;
 *  - device models (KEEL_IOCTL_DM): a file that registers for a domU gets
 *    a request page (mmap()ed at KEEL_DM_PAGE_OFFSET) and ports Keel
 *    signals; closing it releases the device model;
 *  - eventfds for a device model's back ends, as KVM's: a port bound to an
 *    eventfd signals it from the event interrupt (KEEL_IOCTL_IOEVENTFD), and
 *    an irqfd turns each signal of an eventfd into an MSI into the domU
 *    from the signaller's own context (KEEL_IOCTL_IRQFD). A guest's notify
 *    reaches a vhost back end, and its answer reaches the guest, without
 *    waking keel-dm.
 * Loads only under Keel (CPUID leaf 0x40000000) with the ABI version it was
 * built for.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/capability.h>
#include <linux/io.h>
#include <linux/acpi.h>
#include <linux/interrupt.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <linux/bitmap.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/eventfd.h>
#include <asm/processor.h>
#include <public/keel.h>
#include <public/keel_hcbuf.h>

/* A foreign mapping: where Keel put the frames in dom0, and how many mmap()s use it. */
struct keel_map {
    struct list_head link;
    struct resource res;
    unsigned long npages;
    atomic_t users;
};

struct keel_file {
    DECLARE_BITMAP(fired, KEEL_EVTCHN_PORTS);   /* under owner_lock */
    struct mutex dm_lock;
    u32 dm_domid;                   /* the domU this file serves (dm_page set) */
    void *dm_page;                  /* its request page (struct keel_ioreq_page) */
    wait_queue_head_t wq;
    struct mutex maps_lock;
    struct list_head maps;
    struct list_head irqfds;            /* under dm_lock */
    unsigned int nr_irqfds;
};

/* An eventfd whose signals become an MSI into the file's domU. */
struct keel_irqfd {
    struct list_head link;
    struct eventfd_ctx *ctx;
    wait_queue_entry_t wait;
    wait_queue_head_t *wqh;             /* the eventfd's, where .wait sits */
    poll_table pt;
    u32 domid, data;
    u64 addr;
};

static DEFINE_SPINLOCK(owner_lock);
static struct keel_file *owner[KEEL_EVTCHN_PORTS];     /* who bound each port */
static struct eventfd_ctx *port_efd[KEEL_EVTCHN_PORTS]; /* a port's eventfd (KEEL_IOCTL_IOEVENTFD), under owner_lock */
static struct keel_evtchn_page *evt_page;
static int evt_gsi = -1, evt_irq = -1;

/* The hypercall instruction Keel's leaf names (KEEL_CPUID_F_VMMCALL: an AMD CPU), set at load. */
static bool use_vmmcall;

static long keel_vmcall(u64 nr, const u64 a[5])
{
    register u64 r10 asm("r10") = a[3];
    register u64 r8 asm("r8") = a[4];
    long ret;

    if (use_vmmcall)
        asm volatile("vmmcall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8)
                     : "memory");
    else
        asm volatile("vmcall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8)
                     : "memory");
    return ret;
}

/* A hypercall without a buffer: keel.ko's own (event channels, foreign mappings). */
static long hcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
    const u64 a[5] = { a0, a1, a2, a3 };

    return keel_vmcall(nr, a);
}

static long evtchn_call(u64 op, u64 a1, u64 a2)
{
    return hcall(KEEL_HC_EVTCHN_OP, op, a1, a2, 0);
}

/* ---- the hypercall ioctl ---- */

static long hypercall_ioctl(unsigned long arg)
{
    struct keel_ioctl_hypercall hc;
    void *buf = NULL;
    unsigned int barg;
    u64 need;
    long ret;

    if (copy_from_user(&hc, (void __user *)arg, sizeof(hc)))
        return -EFAULT;
    if (hc.buf_len > KEEL_IOCTL_BUF_MAX || hc.buf_arg > 4 || (hc.buf_dir & ~(KEEL_BUF_IN | KEEL_BUF_OUT)) ||
        (hc.buf_len && !hc.buf_dir))
        return -EINVAL;
    if (hc.nr == KEEL_HC_EVTCHN_OP || hc.nr == KEEL_HC_FOREIGN_MAP || hc.nr == KEEL_HC_FOREIGN_UNMAP ||
        hc.nr == KEEL_HC_DM_OP)
        return -EPERM;                  /* keel.ko's own: KEEL_IOCTL_EVTCHN, _FOREIGN_*, _DM */
    /*
     * A call that takes a buffer gets it only from here, as large as the
     * call says Keel will touch; a call that takes none gets none. No
     * argument of the caller's is ever an address in dom0's memory.
     */
    if (keel_hc_buffer(hc.nr, hc.args, &barg, &need)) {
        if (!hc.buf_len || hc.buf_arg != barg || need > hc.buf_len)
            return -EINVAL;
    } else if (hc.buf_len) {
        return -EINVAL;
    }
    if (hc.buf_len) {
        /* Physically contiguous: one guest-physical range for the hypervisor to check. */
        buf = kzalloc(hc.buf_len, GFP_KERNEL);
        if (!buf)
            return -ENOMEM;
        if ((hc.buf_dir & KEEL_BUF_IN) && copy_from_user(buf, u64_to_user_ptr(hc.buf), hc.buf_len)) {
            ret = -EFAULT;
            goto out;
        }
        hc.args[hc.buf_arg] = virt_to_phys(buf);
    }
    hc.result = keel_vmcall(hc.nr, hc.args);
    ret = 0;
    if ((hc.buf_dir & KEEL_BUF_OUT) && copy_to_user(u64_to_user_ptr(hc.buf), buf, hc.buf_len))
        ret = -EFAULT;
    else if (copy_to_user((void __user *)arg, &hc, sizeof(hc)))
        ret = -EFAULT;
out:
    kfree(buf);
    return ret;
}

/* ---- event channels ---- */

static irqreturn_t evtchn_irq(int irq, void *dev)
{
    unsigned long flags;

    spin_lock_irqsave(&owner_lock, flags);
    for (unsigned int w = 0; w < KEEL_EVTCHN_PORTS / 64; w++) {
        u64 pend = xchg(&evt_page->pending[w], 0);

        while (pend) {
            unsigned int port = w * 64 + __ffs64(pend);
            struct keel_file *kf = owner[port];

            pend &= pend - 1;
            if (kf && port_efd[port]) {
                eventfd_signal(port_efd[port], 1);
            } else if (kf) {
                __set_bit(port, kf->fired);
                wake_up_interruptible(&kf->wq);
            }
        }
    }
    spin_unlock_irqrestore(&owner_lock, flags);
    return IRQ_HANDLED;
}

/*
 * KEEL_EVTCHN_SEND or _CLOSE on @port if @kf owns it, else -EINVAL. The
 * check and the call are one step under owner_lock: two threads closing
 * one port close it once, and neither sends on nor closes a port that
 * another file has got since. A close returns 0 and releases the port.
 */
static long port_op(struct keel_file *kf, u32 port, u64 op)
{
    struct eventfd_ctx *efd = NULL;
    long rc = -EINVAL;

    if (port >= KEEL_EVTCHN_PORTS)
        return rc;
    spin_lock_irq(&owner_lock);
    if (owner[port] == kf) {
        rc = evtchn_call(op, port, 0);
        if (op == KEEL_EVTCHN_CLOSE) {
            owner[port] = NULL;
            efd = port_efd[port];
            port_efd[port] = NULL;
            rc = 0;
        }
    }
    spin_unlock_irq(&owner_lock);
    if (efd)
        eventfd_ctx_put(efd);
    return rc;
}

static long evtchn_ioctl(struct keel_file *kf, unsigned long arg)
{
    struct keel_ioctl_evtchn e;

    if (copy_from_user(&e, (void __user *)arg, sizeof(e)))
        return -EFAULT;
    if (!evt_page)
        return -ENODEV;                 /* Keel gave dom0 no event interrupt */
    switch (e.op) {
    case KEEL_EVTCHN_ALLOC_UNBOUND:
    case KEEL_EVTCHN_BIND_INTERDOMAIN:
    case KEEL_EVTCHN_BIND_VIRQ:
        e.result = evtchn_call(e.op, e.arg, e.port);
        if (e.result > 0 && e.result < KEEL_EVTCHN_PORTS) {
            spin_lock_irq(&owner_lock);
            owner[e.result] = kf;
            spin_unlock_irq(&owner_lock);
        }
        break;
    case KEEL_EVTCHN_SEND:
    case KEEL_EVTCHN_CLOSE:
        e.result = port_op(kf, e.port, e.op);
        break;
    default:
        return -EINVAL;
    }
    return copy_to_user((void __user *)arg, &e, sizeof(e)) ? -EFAULT : 0;
}

/* ---- device models ---- */

static long dm_ioctl(struct keel_file *kf, unsigned long arg)
{
    struct keel_ioctl_dm dm;
    long rc = 0;

    if (copy_from_user(&dm, (void __user *)arg, sizeof(dm)))
        return -EFAULT;
    if (!evt_page)
        return -ENODEV;
    mutex_lock(&kf->dm_lock);
    switch (dm.op) {
    case KEEL_DM_REGISTER:
        if (kf->dm_page) {
            rc = -EBUSY;
            break;
        }
        kf->dm_page = (void *)get_zeroed_page(GFP_KERNEL);
        if (!kf->dm_page) {
            rc = -ENOMEM;
            break;
        }
        /* Registered and owned in one step: its port may fire at once. */
        spin_lock_irq(&owner_lock);
        dm.result = hcall(KEEL_HC_DM_OP, KEEL_DM_REGISTER, dm.domid, virt_to_phys(kf->dm_page), 0);
        if (dm.result > 0 && dm.result < KEEL_EVTCHN_PORTS)
            owner[dm.result] = kf;
        spin_unlock_irq(&owner_lock);
        if (dm.result < 0) {
            free_page((unsigned long)kf->dm_page);
            kf->dm_page = NULL;
        } else {
            kf->dm_domid = dm.domid;
        }
        break;
    case KEEL_DM_MAP_MMIO:
    case KEEL_DM_IOEVENT:
    case KEEL_DM_IO_DONE:
    case KEEL_DM_MSI:
    case KEEL_DM_HOTPLUG:
    case KEEL_DM_INTX:
        if (!kf->dm_page) {
            rc = -EINVAL;
            break;
        }
        dm.domid = kf->dm_domid;
        {
            const u64 a[5] = { dm.op, dm.domid, dm.arg[0], dm.arg[1], dm.arg[2] };

            /* An ioevent's new port is the file's before it can fire (a deassign returns 0). */
            if (dm.op == KEEL_DM_IOEVENT)
                spin_lock_irq(&owner_lock);
            dm.result = keel_vmcall(KEEL_HC_DM_OP, a);
            if (dm.op == KEEL_DM_IOEVENT) {
                if (dm.result > 0 && dm.result < KEEL_EVTCHN_PORTS)
                    owner[dm.result] = kf;
                spin_unlock_irq(&owner_lock);
            }
        }
        break;
    default:
        rc = -EINVAL;
    }
    mutex_unlock(&kf->dm_lock);
    if (!rc && copy_to_user((void __user *)arg, &dm, sizeof(dm)))
        rc = -EFAULT;
    return rc;
}

/* The file is closing: Keel stops writing the page before it is freed. */
static void dm_release(struct keel_file *kf)
{
    if (!kf->dm_page)
        return;
    hcall(KEEL_HC_DM_OP, KEEL_DM_RELEASE, kf->dm_domid, 0, 0);
    free_page((unsigned long)kf->dm_page);
    kf->dm_page = NULL;
}

/* ---- eventfds: ioeventfd and irqfd ---- */

/* Port @port of the file's signals eventfd @fd (-1: read() reports it again). */
static long ioeventfd_ioctl(struct keel_file *kf, unsigned long arg)
{
    struct keel_ioctl_ioeventfd r;
    struct eventfd_ctx *ctx = NULL, *old;

    if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
        return -EFAULT;
    if (!r.port || r.port >= KEEL_EVTCHN_PORTS || r.fd < -1)
        return -EINVAL;
    if (r.fd >= 0) {
        ctx = eventfd_ctx_fdget(r.fd);
        if (IS_ERR(ctx))
            return PTR_ERR(ctx);
    }
    spin_lock_irq(&owner_lock);
    if (owner[r.port] == kf) {
        old = port_efd[r.port];
        port_efd[r.port] = ctx;
    } else {
        old = ctx;                      /* not the file's port: nothing changes */
        ctx = ERR_PTR(-EINVAL);
    }
    spin_unlock_irq(&owner_lock);
    if (old)
        eventfd_ctx_put(old);
    return IS_ERR(ctx) ? PTR_ERR(ctx) : 0;
}

static void irqfd_inject(struct keel_irqfd *irq)
{
    long rc = hcall(KEEL_HC_DM_OP, KEEL_DM_MSI, irq->domid, irq->addr, irq->data);

    if (rc)
        pr_warn_ratelimited("keel: irqfd MSI %#llx:%#x into domain %u: %ld\n", irq->addr, irq->data,
                            irq->domid, rc);
}

/*
 * The eventfd was signalled: called under its wait queue's lock, from the
 * signaller (a vhost worker, a back end's write()). Keel's MSI op only
 * queues the interrupt and kicks a vCPU, so it may run here, as KVM's
 * irqfd injects in atomic context when it can.
 */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
    struct keel_irqfd *irq = container_of(wait, struct keel_irqfd, wait);
    u64 cnt;

    if (key_to_poll(key) & EPOLLIN) {
        eventfd_ctx_do_read(irq->ctx, &cnt);
        irqfd_inject(irq);
    }
    return 0;
}

static void irqfd_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
    struct keel_irqfd *irq = container_of(pt, struct keel_irqfd, pt);

    irq->wqh = wqh;
    add_wait_queue(wqh, &irq->wait);
}

/* Off the eventfd's wait queue (no wakeup runs after this) and freed; dm_lock held. */
static void irqfd_free(struct keel_file *kf, struct keel_irqfd *irq)
{
    remove_wait_queue(irq->wqh, &irq->wait);
    eventfd_ctx_put(irq->ctx);
    list_del(&irq->link);
    kf->nr_irqfds--;
    kfree(irq);
}

/* @ctx is @file's eventfd; dm_lock held. */
static long irqfd_assign(struct keel_file *kf, const struct keel_ioctl_irqfd *r, struct file *file,
                         struct eventfd_ctx *ctx)
{
    struct keel_irqfd *irq;
    __poll_t events;
    u64 cnt = 0;

    if (kf->nr_irqfds >= KEEL_IRQFD_MAX)
        return -ENOSPC;
    irq = kzalloc(sizeof(*irq), GFP_KERNEL);
    if (!irq)
        return -ENOMEM;
    irq->ctx = ctx;
    irq->domid = kf->dm_domid;
    irq->addr = r->addr;
    irq->data = r->data;
    init_waitqueue_func_entry(&irq->wait, irqfd_wakeup);
    init_poll_funcptr(&irq->pt, irqfd_queue);
    events = vfs_poll(file, &irq->pt);
    list_add(&irq->link, &kf->irqfds);
    kf->nr_irqfds++;
    /* Signals made while no irqfd listened: once now, unless the wakeup took them already. */
    if (events & EPOLLIN) {
        spin_lock_irq(&irq->wqh->lock);
        eventfd_ctx_do_read(ctx, &cnt);
        spin_unlock_irq(&irq->wqh->lock);
        if (cnt)
            irqfd_inject(irq);
    }
    return 0;
}

static long irqfd_ioctl(struct keel_file *kf, unsigned long arg)
{
    struct keel_ioctl_irqfd r;
    struct eventfd_ctx *ctx;
    struct keel_irqfd *irq, *found = NULL;
    struct fd f;
    long rc;

    if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
        return -EFAULT;
    if (r.flags & ~KEEL_IRQFD_DEASSIGN)
        return -EINVAL;
    f = fdget(r.fd);
    if (!f.file)
        return -EBADF;
    ctx = eventfd_ctx_fileget(f.file);
    if (IS_ERR(ctx)) {
        fdput(f);
        return PTR_ERR(ctx);
    }
    mutex_lock(&kf->dm_lock);
    list_for_each_entry(irq, &kf->irqfds, link)
        if (irq->ctx == ctx)
            found = irq;
    if (!kf->dm_page)
        rc = -EINVAL;                   /* no device model: no domain to interrupt */
    else if (r.flags & KEEL_IRQFD_DEASSIGN)
        rc = found ? 0 : -ENOENT;
    else
        rc = found ? -EEXIST : irqfd_assign(kf, &r, f.file, ctx);
    if (!rc && (r.flags & KEEL_IRQFD_DEASSIGN))
        irqfd_free(kf, found);
    mutex_unlock(&kf->dm_lock);
    fdput(f);
    if (rc || (r.flags & KEEL_IRQFD_DEASSIGN))
        eventfd_ctx_put(ctx);           /* an assigned irqfd keeps this reference */
    return rc;
}

/* ---- foreign mappings ---- */

#define FOREIGN_MIN     (1ull << 32)    /* above the 32-bit PCI hole */
#define FOREIGN_MAX_NPAGES (1ul << 20)  /* 4 GiB at a time */

static void map_free(struct keel_map *m)
{
    hcall(KEEL_HC_FOREIGN_UNMAP, m->res.start, 0, 0, 0);
    release_resource(&m->res);
    kfree(m);
}

static long foreign_map_ioctl(struct keel_file *kf, unsigned long arg)
{
    /* Keel passes through (and so can map over) up to 2^39, or the CPU's width if less. */
    u64 max = (1ull << min_t(unsigned int, boot_cpu_data.x86_phys_bits, 39)) - 1;
    struct keel_ioctl_foreign fm;
    struct keel_map *m;
    long rc;

    if (copy_from_user(&fm, (void __user *)arg, sizeof(fm)))
        return -EFAULT;
    if (!fm.npages || fm.npages > FOREIGN_MAX_NPAGES)
        return -EINVAL;
    m = kzalloc(sizeof(*m), GFP_KERNEL);
    if (!m)
        return -ENOMEM;
    m->npages = fm.npages;
    m->res.name = "keel foreign";
    m->res.flags = IORESOURCE_MEM | IORESOURCE_BUSY;
    /* 2 MiB-aligned: with the domU's 2 MiB-aligned RAM, Keel maps it with 2 MiB EPT pages. */
    rc = allocate_resource(&iomem_resource, &m->res, (u64)fm.npages << PAGE_SHIFT, FOREIGN_MIN, max, SZ_2M,
                           NULL, NULL);
    if (rc) {
        kfree(m);
        return rc;
    }
    rc = hcall(KEEL_HC_FOREIGN_MAP, fm.domid, fm.gfn, fm.npages, m->res.start);
    if (rc) {
        release_resource(&m->res);
        kfree(m);
        return rc;
    }
    mutex_lock(&kf->maps_lock);
    list_add(&m->link, &kf->maps);
    mutex_unlock(&kf->maps_lock);
    fm.offset = m->res.start;
    return copy_to_user((void __user *)arg, &fm, sizeof(fm)) ? -EFAULT : 0;
}

static struct keel_map *map_at(struct keel_file *kf, u64 offset)
{
    struct keel_map *m;

    list_for_each_entry(m, &kf->maps, link)
        if (m->res.start == offset)
            return m;
    return NULL;
}

static long foreign_unmap_ioctl(struct keel_file *kf, unsigned long arg)
{
    struct keel_ioctl_foreign fm;
    struct keel_map *m;
    long rc = 0;

    if (copy_from_user(&fm, (void __user *)arg, sizeof(fm)))
        return -EFAULT;
    mutex_lock(&kf->maps_lock);
    m = map_at(kf, fm.offset);
    if (!m)
        rc = -EINVAL;
    else if (atomic_read(&m->users))
        rc = -EBUSY;
    else
        list_del(&m->link);
    mutex_unlock(&kf->maps_lock);
    if (!rc)
        map_free(m);
    return rc;
}

static void foreign_vm_open(struct vm_area_struct *vma)
{
    atomic_inc(&((struct keel_map *)vma->vm_private_data)->users);
}

static void foreign_vm_close(struct vm_area_struct *vma)
{
    atomic_dec(&((struct keel_map *)vma->vm_private_data)->users);
}

static const struct vm_operations_struct foreign_vm_ops = {
    .open = foreign_vm_open,
    .close = foreign_vm_close,
};

/* mmap(offset = what KEEL_IOCTL_FOREIGN_MAP returned): the whole mapping or a prefix of it. */
static int keel_mmap(struct file *f, struct vm_area_struct *vma)
{
    struct keel_file *kf = f->private_data;
    unsigned long len = vma->vm_end - vma->vm_start;
    struct keel_map *m;
    int rc = -EINVAL;

    if (vma->vm_pgoff == KEEL_DM_PAGE_OFFSET >> PAGE_SHIFT) {
        mutex_lock(&kf->dm_lock);
        if (kf->dm_page && len == PAGE_SIZE)
            rc = remap_pfn_range(vma, vma->vm_start, virt_to_phys(kf->dm_page) >> PAGE_SHIFT, len,
                                 vma->vm_page_prot);
        mutex_unlock(&kf->dm_lock);
        return rc;
    }
    mutex_lock(&kf->maps_lock);
    m = map_at(kf, (u64)vma->vm_pgoff << PAGE_SHIFT);
    if (m && len <= m->npages << PAGE_SHIFT) {
        vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;     /* Linux 6.1: no vm_flags_set() */
        rc = remap_pfn_range(vma, vma->vm_start, m->res.start >> PAGE_SHIFT, len, vma->vm_page_prot);
        if (!rc) {
            vma->vm_private_data = m;
            vma->vm_ops = &foreign_vm_ops;
            foreign_vm_open(vma);
        }
    }
    mutex_unlock(&kf->maps_lock);
    return rc;
}

/* ---- a domU's RAM as a file ---- */

static int ram_release(struct inode *inode, struct file *f)
{
    map_free(f->private_data);          /* no mmap() left: each held the file */
    return 0;
}

/* offset = guest-physical address; the mapping must lie inside the RAM the file covers. */
static int ram_mmap(struct file *f, struct vm_area_struct *vma)
{
    struct keel_map *m = f->private_data;
    unsigned long len = vma->vm_end - vma->vm_start;

    if (vma->vm_pgoff > m->npages || len >> PAGE_SHIFT > m->npages - vma->vm_pgoff)
        return -EINVAL;
    vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
    return remap_pfn_range(vma, vma->vm_start, (m->res.start >> PAGE_SHIFT) + vma->vm_pgoff, len,
                           vma->vm_page_prot);
}

static const struct file_operations ram_fops = {
    .owner = THIS_MODULE,
    .release = ram_release,
    .mmap = ram_mmap,
};

static long domain_ram_ioctl(unsigned long arg)
{
    u64 max = (1ull << min_t(unsigned int, boot_cpu_data.x86_phys_bits, 39)) - 1;
    struct keel_ioctl_ram r;
    struct keel_map *m;
    long rc;

    if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
        return -EFAULT;
    if (!r.bytes || (r.bytes & ~PAGE_MASK) || r.bytes >> PAGE_SHIFT > FOREIGN_MAX_NPAGES)
        return -EINVAL;
    m = kzalloc(sizeof(*m), GFP_KERNEL);
    if (!m)
        return -ENOMEM;
    m->npages = r.bytes >> PAGE_SHIFT;
    m->res.name = "keel domain RAM";
    m->res.flags = IORESOURCE_MEM | IORESOURCE_BUSY;
    rc = allocate_resource(&iomem_resource, &m->res, r.bytes, FOREIGN_MIN, max, SZ_2M, NULL, NULL);
    if (rc) {
        kfree(m);
        return rc;
    }
    rc = hcall(KEEL_HC_FOREIGN_MAP, r.domid, 0, m->npages, m->res.start);
    if (rc) {
        release_resource(&m->res);
        kfree(m);
        return rc;
    }
    rc = anon_inode_getfd("keel-ram", &ram_fops, m, O_RDWR | O_CLOEXEC);
    if (rc < 0)
        map_free(m);
    return rc;
}

static long keel_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    if (!capable(CAP_SYS_ADMIN))
        return -EPERM;
    if (cmd == KEEL_IOCTL_FOREIGN_MAP)
        return foreign_map_ioctl(f->private_data, arg);
    if (cmd == KEEL_IOCTL_FOREIGN_UNMAP)
        return foreign_unmap_ioctl(f->private_data, arg);
    if (cmd == KEEL_IOCTL_HYPERCALL)
        return hypercall_ioctl(arg);
    if (cmd == KEEL_IOCTL_EVTCHN)
        return evtchn_ioctl(f->private_data, arg);
    if (cmd == KEEL_IOCTL_DM)
        return dm_ioctl(f->private_data, arg);
    if (cmd == KEEL_IOCTL_DOMAIN_RAM)
        return domain_ram_ioctl(arg);
    if (cmd == KEEL_IOCTL_IOEVENTFD)
        return ioeventfd_ioctl(f->private_data, arg);
    if (cmd == KEEL_IOCTL_IRQFD)
        return irqfd_ioctl(f->private_data, arg);
    return -ENOTTY;
}

static int fired_any(struct keel_file *kf)
{
    int any;

    spin_lock_irq(&owner_lock);
    any = !bitmap_empty(kf->fired, KEEL_EVTCHN_PORTS);
    spin_unlock_irq(&owner_lock);
    return any;
}

/* The ports that fired, as u32s, each once. */
static ssize_t keel_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
    struct keel_file *kf = f->private_data;
    u32 ports[32];
    size_t n = 0;
    int rc;

    len = min(len / sizeof(u32), ARRAY_SIZE(ports));
    if (!len)
        return -EINVAL;
    for (;;) {
        unsigned int p;

        spin_lock_irq(&owner_lock);
        for_each_set_bit(p, kf->fired, KEEL_EVTCHN_PORTS) {
            if (n == len)
                break;
            __clear_bit(p, kf->fired);
            ports[n++] = p;
        }
        spin_unlock_irq(&owner_lock);
        if (n)
            break;
        if (f->f_flags & O_NONBLOCK)
            return -EAGAIN;
        rc = wait_event_interruptible(kf->wq, fired_any(kf));
        if (rc)
            return rc;
    }
    return copy_to_user(ubuf, ports, n * sizeof(u32)) ? -EFAULT : (ssize_t)(n * sizeof(u32));
}

static __poll_t keel_poll(struct file *f, poll_table *wait)
{
    struct keel_file *kf = f->private_data;

    poll_wait(f, &kf->wq, wait);
    return fired_any(kf) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int keel_open(struct inode *inode, struct file *f)
{
    struct keel_file *kf = kzalloc(sizeof(*kf), GFP_KERNEL);

    if (!kf)
        return -ENOMEM;
    init_waitqueue_head(&kf->wq);
    mutex_init(&kf->maps_lock);
    mutex_init(&kf->dm_lock);
    INIT_LIST_HEAD(&kf->maps);
    INIT_LIST_HEAD(&kf->irqfds);
    f->private_data = kf;
    return 0;
}

static int keel_release(struct inode *inode, struct file *f)
{
    struct keel_file *kf = f->private_data;
    struct keel_map *m, *next;
    struct keel_irqfd *irq, *inext;

    mutex_lock(&kf->dm_lock);
    list_for_each_entry_safe(irq, inext, &kf->irqfds, link)
        irqfd_free(kf, irq);            /* no MSI is made for the domain after this */
    mutex_unlock(&kf->dm_lock);
    dm_release(kf);                     /* then the domain stops waiting on this file */
    for (u32 p = 1; p < KEEL_EVTCHN_PORTS; p++)
        port_op(kf, p, KEEL_EVTCHN_CLOSE);
    list_for_each_entry_safe(m, next, &kf->maps, link)
        map_free(m);                    /* no mmap() left: each held the file */
    kfree(kf);
    return 0;
}

static const struct file_operations keel_fops = {
    .owner = THIS_MODULE,
    .open = keel_open,
    .release = keel_release,
    .read = keel_read,
    .poll = keel_poll,
    .mmap = keel_mmap,
    .unlocked_ioctl = keel_ioctl,
    .compat_ioctl = keel_ioctl,
    .llseek = noop_llseek,
};

static struct miscdevice keel_dev = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "keel",
    .fops = &keel_fops,
    .mode = 0600,
};

/* Hand Keel the event page and take its interrupt; without them, /dev/keel works but has no events. */
static void evtchn_setup(void)
{
    long gsi;
    int rc;

    evt_page = (void *)get_zeroed_page(GFP_KERNEL);
    if (!evt_page)
        return;
    gsi = evtchn_call(KEEL_EVTCHN_INIT, virt_to_phys(evt_page), 0);
    if (gsi <= 0) {
        pr_warn("keel: no event channels (%ld)\n", gsi);
        goto fail;
    }
    evt_gsi = (int)gsi;
    evt_irq = acpi_register_gsi(NULL, evt_gsi, ACPI_EDGE_SENSITIVE, ACPI_ACTIVE_HIGH);
    if (evt_irq < 0) {
        pr_warn("keel: GSI %d for events has no IRQ (%d)\n", evt_gsi, evt_irq);
        goto reset;
    }
    rc = request_irq(evt_irq, evtchn_irq, 0, "keel-evtchn", &keel_dev);
    if (rc) {
        pr_warn("keel: IRQ %d for events: %d\n", evt_irq, rc);
        acpi_unregister_gsi(evt_gsi);
        goto reset;
    }
    pr_info("keel: event channels on GSI %d (IRQ %d)\n", evt_gsi, evt_irq);
    return;
reset:
    evtchn_call(KEEL_EVTCHN_RESET, 0, 0);
fail:
    free_page((unsigned long)evt_page);
    evt_page = NULL;
    evt_irq = -1;
}

static void evtchn_teardown(void)
{
    if (!evt_page)
        return;
    evtchn_call(KEEL_EVTCHN_RESET, 0, 0);      /* Keel forgets the page before it is freed */
    free_irq(evt_irq, &keel_dev);
    acpi_unregister_gsi(evt_gsi);
    free_page((unsigned long)evt_page);
    evt_page = NULL;
}

static int __init keel_init(void)
{
    unsigned int eax, ebx, ecx, edx, sig[3];
    static const u64 none[5];
    long abi;
    int rc;

    if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
        return -ENODEV;
    cpuid(KEEL_CPUID_SIGNATURE, &eax, &sig[0], &sig[1], &sig[2]);
    if (memcmp(sig, "KeelKeelKeel", 12)) {
        pr_info("keel: not running under the Keel hypervisor\n");
        return -ENODEV;
    }
    cpuid(KEEL_CPUID_VERSION, &eax, &ebx, &ecx, &edx);
    use_vmmcall = ebx & KEEL_CPUID_F_VMMCALL;
    abi = keel_vmcall(KEEL_HC_ABI_VERSION, none);
    if (abi != KEEL_ABI_VERSION) {
        pr_err("keel: hypervisor ABI %#lx, this module speaks %#x\n", abi, KEEL_ABI_VERSION);
        return -EPROTO;
    }
    evtchn_setup();
    rc = misc_register(&keel_dev);
    if (rc) {
        evtchn_teardown();
        return rc;
    }
    pr_info("keel: Keel hypervisor ABI %#lx, /dev/keel ready\n", abi);
    return 0;
}

static void __exit keel_exit(void)
{
    misc_deregister(&keel_dev);
    evtchn_teardown();
}

module_init(keel_init);
module_exit(keel_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel hypervisor control device for dom0");

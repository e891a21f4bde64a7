/*
 * Domain control hypercalls (dom0 only; contracts in public/keel.h). One
 * lock serializes them, so a domain found by id stays until the handler
 * returns (only these handlers destroy domUs). Every argument is checked
 * before anything changes; buffers are copied through bounded bounces.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <public/keel.h>
#include <asm/cpu_ops.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/domain.h>
#include <keel/domctl.h>
#include <keel/foreign.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include <keel/spinlock.h>

#define DOMU_MIN_MEM    MiB(16)
#define BOUNCE          4096

/* One domain-control call at a time (creation, destruction, pause, foreign maps): every lock may be inside. */
static spinlock_t domctl_lock = SPINLOCK_INIT_LEVEL(LOCK_DOMCTL);
static uint8_t bounce[PAGE_SIZE << CONSOLE_RING_ORDER];     /* under domctl_lock */

static uint64_t tsc_to_ns(uint64_t tsc)
{
    uint64_t khz = arch_tsc_khz();

    return khz ? (uint64_t)((unsigned __int128)tsc * 1000000u / khz) : 0;
}

static int name_ok(const char *n)
{
    size_t len = strnlen(n, KEEL_NAME_MAX);

    if (!len || len == KEEL_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
              n[i] == '-' || n[i] == '_' || n[i] == '.'))
            return 0;
    return 1;
}

static int64_t create(struct vcpu *caller, const uint64_t a[5])
{
    struct keel_domain_create c;
    struct domain *d;
    int rc;

    if (domain_copy_from(caller->domain, &c, a[0], sizeof(c)))
        return -EFAULT;
    if (!name_ok(c.name) || c.flags || !c.max_vcpus || c.max_vcpus > KEEL_MAX_VCPUS ||
        c.mem_bytes < DOMU_MIN_MEM || c.mem_bytes > KEEL_DOMU_MEM_MAX || (c.mem_bytes & (KEEL_DOMAIN_MEM_ALIGN - 1)))
        return -EINVAL;         /* above KEEL_DOMU_MEM_MAX its RAM would cover the I/O APIC page */
    if (domain_find_name(c.name))
        return -EEXIST;
    if (c.mem_bytes > mm_free_bytes())
        return -ENOMEM;
    d = domain_create(c.name, c.mem_bytes, c.max_vcpus);
    if (!d)
        return -ENOMEM;
    memcpy(d->uuid, c.uuid, sizeof(d->uuid));
    d->pause_count = 1;                 /* until its loader unpauses it */
    rc = arch_domu_init(d);
    for (uint32_t i = 0; !rc && i < c.max_vcpus; i++)
        if (!vcpu_create(d))
            rc = -ENOMEM;
    for (uint32_t i = 0; !rc && i < c.max_vcpus; i++)
        rc = sched_add_vcpu(d->vcpus[i], -1);
    if (rc) {
        pr_err("d%u: '%s' not created (%d)\n", d->id, d->name, rc);
        domain_kill(d);
        return rc == -ENODEV ? -ENOMEM : rc;
    }
    return d->id;
}

static int64_t destroy(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    if (!rc)
        domain_kill(d);
    return rc;
}

static int64_t pause(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    if (!rc)
        domain_pause(d);
    return rc;
}

static int64_t unpause(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    return rc ? rc : domain_unpause(d);
}

static void fill_info(struct domain *d, struct keel_domain_info *info)
{
    uint64_t tsc = 0;

    memset(info, 0, sizeof(*info));
    info->domid = d->id;
    info->state = d->state == DOMAIN_RUNNING ? KEEL_DOMSTATE_RUNNING :
                  d->state == DOMAIN_SHUTDOWN ? KEEL_DOMSTATE_SHUTDOWN : KEEL_DOMSTATE_CRASHED;
    info->flags = (__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) > 0 ? KEEL_DOMINFO_PAUSED : 0) |
                  (d->privileged ? KEEL_DOMINFO_PRIVILEGED : 0);
    info->shutdown_reason = d->shutdown_reason;
    info->nr_vcpus = d->nr_vcpus;
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        info->nr_blocked_vcpus += d->vcpus[i]->blocked != 0;
        tsc += d->vcpus[i]->cpu_tsc;
    }
    info->mem_bytes = d->mem_bytes;
    info->max_mem_bytes = d->max_mem_bytes;
    info->cpu_time_ns = tsc_to_ns(tsc);
    info->uptime_ns = tsc_to_ns(rdtsc() - d->created_tsc);
    memcpy(info->name, d->name, sizeof(info->name));
    memcpy(info->uuid, d->uuid, sizeof(info->uuid));
    snprintf(info->crash_reason, sizeof(info->crash_reason), "%s", d->crash_reason);
}

static int64_t list(struct vcpu *caller, const uint64_t a[5])
{
    uint64_t gpa = a[0], max = a[1], next = a[2];
    struct keel_domain_info info;
    struct domain *d;
    int64_t n = 0;

    if (max > KEEL_DOMAIN_LIST_MAX || next > 0xffffffffu)
        return -EINVAL;
    while ((uint64_t)n < max && (d = domain_next((uint32_t)next))) {
        fill_info(d, &info);
        if (domain_copy_to(caller->domain, gpa + (uint64_t)n * sizeof(info), &info, sizeof(info)))
            return -EFAULT;
        n++;
        next = (uint64_t)d->id + 1;
    }
    return n;
}

/* How much RAM a domU may have; below what it has is allowed (Xen's XEN_DOMCTL_max_mem). */
static int64_t set_maxmem(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    if (rc)
        return rc;
    if (a[1] < DOMU_MIN_MEM || a[1] > KEEL_DOMAIN_MAXMEM_LIMIT || (a[1] & (KEEL_DOMAIN_MEM_ALIGN - 1)))
        return -EINVAL;
    d->max_mem_bytes = a[1];
    return 0;
}

static int64_t set_entry(struct vcpu *caller, const uint64_t a[5])
{
    struct keel_vcpu_entry e;
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    if (rc)
        return rc;
    if (a[1] >= d->nr_vcpus)
        return -EINVAL;
    if (__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) <= 0)
        return -EBUSY;
    if (domain_copy_from(caller->domain, &e, a[2], sizeof(e)))
        return -EFAULT;
    if (e.pad)
        return -EINVAL;
    /*
     * Where the vCPU starts must be in its RAM: the page tables and GDT it
     * enters with (CR3 page-aligned, the GDT's 4 descriptors), boot_params
     * (RSI) and the entry point, canonical for a 64-bit start; VM entry
     * would refuse the rest, crashing the domain with a less clear reason.
     */
    if (e.kind == KEEL_ENTRY_LINUX64) {
        if (e.rip >= d->mem_bytes || e.rsi >= d->mem_bytes || (e.cr3 & (PAGE_SIZE - 1)) ||
            e.cr3 >= d->mem_bytes || e.gdt > d->mem_bytes - 32)
            return -EINVAL;
        arch_vcpu_set_entry64(d->vcpus[a[1]], e.rip, e.rsi, e.cr3, e.gdt);
    } else if (e.kind == KEEL_ENTRY_PM32) {
        if ((e.rip | e.rax | e.rbx) >> 32 || e.rip >= d->mem_bytes)
            return -EINVAL;
        arch_vcpu_set_entry32(d->vcpus[a[1]], (uint32_t)e.rip, (uint32_t)e.rax, (uint32_t)e.rbx);
    } else {
        return -EINVAL;
    }
    return 0;
}

static int64_t console(struct vcpu *caller, const uint64_t a[5])
{
    uint64_t op = a[1], gpa = a[2], len = a[3];
    struct keel_console_chunk h = { a[4], 0, 0 };
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);
    size_t n;

    if (rc)
        return rc;
    if (!d->con_ring || !d->console_input)
        return -EINVAL;
    if (len > KEEL_IOCTL_BUF_MAX || gpa + len < gpa)
        return -EINVAL;
    if (op == KEEL_CONSOLE_OP_WRITE) {
        len = MIN(len, (uint64_t)BOUNCE);
        if (domain_copy_from(caller->domain, bounce, gpa, len))
            return -EFAULT;
        for (n = 0; n < len && !d->console_input(d, bounce[n]); n++)
            ;
        return (int64_t)n;
    }
    if (op != KEEL_CONSOLE_OP_READ || len < sizeof(h))
        return -EINVAL;
    n = domain_console_read(d, &h.start, bounce, MIN(len - sizeof(h), sizeof(bounce)));
    h.end = h.start + n;
    if (domain_copy_to(caller->domain, gpa, &h, sizeof(h)) ||
        domain_copy_to(caller->domain, gpa + sizeof(h), bounce, n))
        return -EFAULT;
    return (int64_t)n;
}

static int64_t shutdown(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    if (rc)
        return rc;
    if (a[1] != KEEL_SHUTDOWN_POWEROFF && a[1] != KEEL_SHUTDOWN_REBOOT)
        return -EINVAL;
    if (d->state != DOMAIN_RUNNING)
        return -EBUSY;
    if (a[1] == KEEL_SHUTDOWN_POWEROFF)
        return arch_domu_power_button(d);
    domain_shutdown(d, SHUTDOWN_REBOOT, 0);
    return 0;
}

static int64_t vcpu_list(struct vcpu *caller, const uint64_t a[5])
{
    uint64_t gpa = a[1], max = a[2];
    struct keel_vcpu_info info;
    struct domain *d = domain_find(a[0]);
    uint32_t i;

    if (!d)
        return -ENOENT;             /* dom0's vCPUs are listed too */
    for (i = 0; i < d->nr_vcpus && i < max; i++) {
        const struct vcpu *v = d->vcpus[i];
        memset(&info, 0, sizeof(info));
        info.vcpu = v->id;
        info.cpu = v->processor;
        info.flags = (v->running ? KEEL_VCPUINFO_RUNNING : 0) | (v->blocked ? KEEL_VCPUINFO_BLOCKED : 0) |
                     (arch_vcpu_offline(v) ? KEEL_VCPUINFO_OFFLINE : 0);
        info.cpu_time_ns = tsc_to_ns(v->cpu_tsc);
        if (domain_copy_to(caller->domain, gpa + (uint64_t)i * sizeof(info), &info, sizeof(info)))
            return -EFAULT;
    }
    return i;
}

static int64_t vcpu_context(struct vcpu *caller, const uint64_t a[5])
{
    struct keel_vcpu_context c;
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    if (rc)
        return rc;
    if (a[1] >= d->nr_vcpus || (a[2] != KEEL_VCPU_CONTEXT_GET && a[2] != KEEL_VCPU_CONTEXT_SET))
        return -EINVAL;
    if (__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) <= 0)
        return -EBUSY;                  /* its registers are on a CPU */
    if (a[2] == KEEL_VCPU_CONTEXT_GET) {
        arch_vcpu_get_context(d->vcpus[a[1]], &c);
        return domain_copy_to(caller->domain, a[3], &c, sizeof(c)) ? -EFAULT : 0;
    }
    if (domain_copy_from(caller->domain, &c, a[3], sizeof(c)))
        return -EFAULT;
    return arch_vcpu_set_context(d->vcpus[a[1]], &c);
}

static int64_t set_wallclock(struct vcpu *caller, const uint64_t a[5])
{
    struct domain *d;
    int rc = domain_find_domu(a[0], &d);

    return rc ? rc : arch_domu_set_wallclock(d, a[1]);
}

int64_t domctl(unsigned nr, struct vcpu *caller, const uint64_t a[5])
{
    static int64_t (*const fn[])(struct vcpu *, const uint64_t[5]) = {
        [KEEL_HC_DOMAIN_CREATE] = create, [KEEL_HC_DOMAIN_DESTROY] = destroy,
        [KEEL_HC_DOMAIN_PAUSE] = pause, [KEEL_HC_DOMAIN_UNPAUSE] = unpause,
        [KEEL_HC_DOMAIN_LIST] = list, [KEEL_HC_DOMAIN_SET_MAXMEM] = set_maxmem,
        [KEEL_HC_VCPU_SET_ENTRY] = set_entry, [KEEL_HC_DOMAIN_CONSOLE] = console,
        [KEEL_HC_DOMAIN_SHUTDOWN] = shutdown, [KEEL_HC_VCPU_LIST] = vcpu_list,
        [KEEL_HC_VCPU_CONTEXT] = vcpu_context, [KEEL_HC_FOREIGN_MAP] = foreign_map,
        [KEEL_HC_FOREIGN_UNMAP] = foreign_unmap, [KEEL_HC_DOMAIN_SET_WALLCLOCK] = set_wallclock,
        [KEEL_HC_DM_OP] = dm_op,
    };
    int64_t rc;

    if (nr >= ARRAY_SIZE(fn) || !fn[nr])
        return -ENOSYS;
    spin_lock(&domctl_lock);
    rc = fn[nr](caller, a);
    spin_unlock(&domctl_lock);
    return rc;
}

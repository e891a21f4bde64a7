/*
 * The virtual LAPIC wired into a vCPU: IA32_APIC_BASE and x2APIC MSRs, the
 * xAPIC page (MMIO, through the emulator), IPIs between vCPUs (fixed, INIT,
 * STARTUP), interrupt injection with interrupt windows (SDM 26.6.5, 27.2.3;
 * APM 15.20-15.21), and HLT, which blocks the vCPU in the scheduler until
 * its interrupt (or, with IF=0, an NMI) comes. Neither vendor has a
 * wait-for-SIPI state Keel uses: an AP after INIT is held here and in the
 * scheduler until its STARTUP IPI.
 */
#include <asm/cpu_ops.h>
#include <asm/lapic.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <stdio.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/log.h>
#include <keel/sched.h>
#include <asm/hvm.h>

void hvm_lapic_init(struct vcpu *v)
{
    vlapic_reset(&v->arch.lapic, v->id, (uint32_t)arch_tsc_khz());
    v->arch.apic_base = VLAPIC_BASE | APIC_BASE_ENABLE | (v->id == 0 ? APIC_BASE_BSP : 0);
    v->arch.sipi_vector = -1;
    v->arch.wait_sipi = v->id != 0;             /* APs wait for INIT-SIPI-SIPI */
    if (v->arch.wait_sipi)
        sched_block(v);
}

static void deliver_ipi(struct vcpu *src)
{
    struct domain *d = src->domain;
    struct vlapic *l = &src->arch.lapic;
    uint32_t lo = l->icr_lo, dest = l->x2apic ? l->icr_hi : l->icr_hi >> 24;

    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *t = d->vcpus[i];
        int hit;

        switch (ICR_SHORTHAND(lo)) {
        case ICR_DEST_SELF: hit = t == src; break;
        case ICR_DEST_ALL: hit = 1; break;
        case ICR_DEST_OTHERS: hit = t != src; break;
        default: hit = vlapic_match_dest(&t->arch.lapic, dest, (lo & ICR_DEST_LOGICAL) != 0); break;
        }
        if (!hit)
            continue;
        switch (ICR_MODE(lo)) {
        case ICR_MODE_FIXED:
            vlapic_set_irr(&t->arch.lapic, ICR_VECTOR(lo));
            vcpu_kick_ipi(t);
            break;
        case ICR_MODE_NMI:
            __atomic_store_n(&t->arch.nmi_pending, 1, __ATOMIC_RELEASE);
            vcpu_kick_ipi(t);
            break;
        case ICR_MODE_INIT:
            if ((lo & ICR_LEVEL_ASSERT) && t != src) {
                t->arch.sipi_vector = -1;
                t->arch.wait_sipi = 1;
                sched_block(t);
                vcpu_kick(t);
            }
            break;
        case ICR_MODE_STARTUP:
            if (t->arch.wait_sipi && t->arch.sipi_vector < 0) {
                t->arch.sipi_vector = ICR_VECTOR(lo);
                __atomic_store_n(&t->arch.wait_sipi, 0, __ATOMIC_RELEASE);
                vcpu_kick(t);           /* blocked until now: the scheduler wakes it */
            }
            break;
        default:
            gprintk(d, LOG_DEBUG, "d%u: IPI delivery mode %u not emulated\n", d->id, ICR_MODE(lo));
        }
    }
}

/* A register write with its effect carried out: 0, or -1 for #GP. */
static int lapic_write(struct vcpu *v, unsigned reg, uint64_t val)
{
    switch (vlapic_write(&v->arch.lapic, reg, val, rdtsc())) {
    case VLAPIC_FAULT:
        return -1;
    case VLAPIC_SEND_IPI:
        deliver_ipi(v);
        return 0;
    case VLAPIC_EOI_LEVEL:
        if (v->domain->arch.level_eoi)
            v->domain->arch.level_eoi(v->domain, v->arch.lapic.eoi_vector);
        return 0;
    case VLAPIC_DONE:
        break;
    }
    return 0;
}

/*
 * IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range: 0 done, 1 for
 * #GP, -1 not a LAPIC MSR. The caller advances RIP or injects, as for any MSR.
 */
int hvm_lapic_msr(struct vcpu *v, uint32_t msr, int write, uint64_t *val)
{
    struct vlapic *l = &v->arch.lapic;
    unsigned reg = (msr - X2APIC_MSR_FIRST) << 4;

    if (msr == MSR_IA32_APIC_BASE) {
        uint64_t cur = v->arch.apic_base, want = (*val & ~(uint64_t)APIC_BASE_BSP) | (cur & APIC_BASE_BSP);
        int en = (want & APIC_BASE_ENABLE) != 0, extd = (want & APIC_BASE_EXTD) != 0;

        if (!write) {
            *val = cur;
            return 0;
        }
        /* No relocation (the page stays at 0xfee00000); BSP is the CPU's, a write keeps it. */
        if ((want & ~(uint64_t)(APIC_BASE_ENABLE | APIC_BASE_EXTD | APIC_BASE_BSP)) != VLAPIC_BASE)
            return 1;
        /*
         * 11.12.5, figure 11-27: EXTD without EN is invalid, and so are
         * x2APIC -> xAPIC and disabled -> x2APIC; every mode may be
         * disabled (11.4.3), and the LAPIC comes back from that as after
         * RESET (the kernel disables it to reset it).
         */
        if ((extd && !en) || (l->x2apic && en && !extd) || (!(cur & APIC_BASE_ENABLE) && extd))
            return 1;
        if (!en)
            vlapic_reset(l, v->id, (uint32_t)arch_tsc_khz());
        v->arch.apic_base = want;
        l->x2apic = extd;
        return 0;
    }
    if (msr == MSR_TSC_DEADLINE) {
        /* The guest's TSC is the host's plus its offset; the vLAPIC runs on the host's. */
        uint64_t off = v->arch.tsc_offset, now = rdtsc(), ahead = *val - (now + off);
        if (write)      /* a deadline already past fires at once */
            vlapic_write_tsc_deadline(l, !*val ? 0 : (int64_t)ahead <= 0 ? now : now + ahead);
        else
            *val = vlapic_read_tsc_deadline(l) ? vlapic_read_tsc_deadline(l) + off : 0;
        return 0;
    }
    if (msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST)
        return -1;
    if (!l->x2apic)
        return 1;                   /* x2APIC MSRs exist only in x2APIC mode */
    if (write)
        return lapic_write(v, reg, *val) ? 1 : 0;
    return vlapic_read(l, reg, rdtsc(), val) ? 1 : 0;
}

/* The xAPIC page: 32-bit accesses to 16-byte aligned registers (11.4.1). */
static int lapic_mmio(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val)
{
    unsigned reg = (unsigned)(gpa - VLAPIC_BASE);

    if (v->arch.lapic.x2apic || !(v->arch.apic_base & APIC_BASE_ENABLE) || (reg & 0xf) || size != 4) {
        if (!write)
            *val = 0;
        return 0;                   /* ignored, as on hardware in these cases */
    }
    if (write) {
        lapic_write(v, reg, *val & 0xffffffffu);    /* xAPIC: no #GP, errors are ignored */
    } else if (vlapic_read(&v->arch.lapic, reg, rdtsc(), val)) {
        *val = 0;
    }
    return 0;
}

int hvm_lapic_domain_init(struct domain *d)
{
    return domain_register_mmio(d, VLAPIC_BASE, 0x1000, lapic_mmio);
}

/*
 * Before each entry: fire a due timer, inject the highest pending interrupt
 * when the guest can take one (else ask for an interrupt window), and run
 * the preemption timer only while a deadline is armed.
 */
void hvm_deliver_events(struct vcpu *v)
{
    struct vlapic *l = &v->arch.lapic;
    uint64_t now, deadline;
    unsigned blocked = ~0u;             /* not read yet */
    int vec;

    now = rdtsc();
    vlapic_timer_poll(l, now);
    /* An instruction stopped at a device model runs again first, with nothing injected before it. */
    if (__builtin_expect(dm_rerun_due(&v->io), 0))
        goto timer;
    /* A single-stepped HLT's trap first (hvm_halt): DR6.BS with it. */
    if (__builtin_expect(v->arch.halt_step, 0) && !v->arch.pending_event) {
        v->arch.halt_step = 0;
        hvm_set(v, HVM_DR6, hvm_get(v, HVM_DR6) | DR6_BS);
        v->arch.pending_event = EVENT_VALID | EVENT_TYPE_EXCEPTION | 1;
    }
    /* NMIs first (6.9): once not blocked by a previous NMI, else an NMI window. */
    if (__atomic_load_n(&v->arch.nmi_pending, __ATOMIC_ACQUIRE) && !v->arch.pending_event) {
        blocked = hvm->intr_blocked(v);
        if (!(blocked & (HVM_BLOCK_NMI | HVM_BLOCK_SHADOW))) {
            __atomic_store_n(&v->arch.nmi_pending, 0, __ATOMIC_RELEASE);
            v->arch.pending_event = EVENT_VALID | EVENT_TYPE_NMI | 2;
        } else {
            hvm->window(v, 1);
        }
    }
    vec = vlapic_pending(l);
    if (vec >= 0) {
        /* With another event queued first, the interrupt waits for a window after it. */
        if (!v->arch.pending_event &&
            !((blocked == ~0u ? hvm->intr_blocked(v) : blocked) & (HVM_BLOCK_SHADOW | HVM_BLOCK_IF))) {
            vlapic_accept(l, (unsigned)vec);
            v->arch.pending_event = EVENT_VALID | EVENT_TYPE_EXTINT | (uint32_t)vec;
        } else {
            hvm->window(v, 0);
        }
    }
timer:
    /* The guest leaves the CPU at its timer deadline, or when the scheduler wants the CPU back. */
    deadline = l->deadline ? l->deadline : ~0ull;
    if (sched_leave_at() < deadline)
        deadline = sched_leave_at();
    hvm->set_timer(v, deadline);
}

/*
 * HLT (past it already): unless an interrupt can be taken now, the vCPU
 * blocks and leaves the CPU; the scheduler wakes it when arch_vcpu_ready()
 * sees its event. HLT with IF=0 (Linux's stop_this_cpu) waits for an NMI.
 */
void hvm_vcpu_halt(struct vcpu *v)
{
    struct vlapic *l = &v->arch.lapic;
    int interruptible = (hvm_get(v, HVM_RFLAGS) & RFLAGS_IF) != 0;

    vlapic_timer_poll(l, rdtsc());
    if (interruptible && vlapic_pending(l) >= 0)
        return;                     /* delivered on this entry: HLT ends at once */
    if (v->domain->nr_vcpus == 1 && !v->domain->arch.level_eoi && (!interruptible || (!l->deadline && vlapic_pending(l) < 0))) {
        domain_crash(v->domain, "vCPU%u halted %s", v->id,
                     interruptible ? "with no interrupt source to wake it" : "with interrupts disabled");
        return;
    }
    v->arch.halt_nmi_only = !interruptible;
    sched_block(v);
}

/* The scheduler's question about a blocked vCPU. */
int arch_vcpu_offline(const struct vcpu *v)
{
    return v->arch.wait_sipi;
}

int arch_vcpu_ready(struct vcpu *v, uint64_t now, uint64_t *wake)
{
    struct vlapic *l = &v->arch.lapic;

    if (v->io.waiting)
        return dm_io_ready(v);      /* a device model's answer, nothing else */
    if (__atomic_load_n(&v->arch.wait_sipi, __ATOMIC_ACQUIRE))
        return 0;                   /* until a STARTUP IPI */
    if (v->arch.sipi_vector >= 0)
        return 1;                   /* it came: start in real mode */
    if (__atomic_load_n(&v->arch.nmi_pending, __ATOMIC_ACQUIRE))
        return 1;
    if (v->arch.halt_nmi_only)
        return 0;
    vlapic_timer_poll(l, now);
    if (vlapic_pending(l) >= 0)
        return 1;
    if (l->deadline)
        *wake = l->deadline;
    return 0;
}

/* " ec fd": the vectors set in a 256-bit register, into @buf. */
static void vectors(char *buf, size_t len, const uint32_t *reg)
{
    size_t n = 0;

    buf[0] = 0;
    for (int i = 0; i < 256 && n + 4 < len; i++)
        if (__atomic_load_n(&reg[i / 32], __ATOMIC_RELAXED) & (1u << (i % 32)))
            n += (size_t)snprintf(buf + n, len - n, " %02x", i);
    if (!n)
        snprintf(buf, len, " -");
}

/*
 * The 'q' debug key: what decides when @v next takes an interrupt. Read
 * without stopping the vCPU, so a running one's fields may be mid-change.
 */
void arch_vcpu_dump(struct vcpu *v)
{
    const struct vlapic *l = &v->arch.lapic;
    uint64_t now = rdtsc(), dl = l->deadline;
    char irr[100], isr[100], timer[40] = "off";

    if (dl)     /* the vLAPIC's clock is the host TSC (hvm_lapic_msr) */
        snprintf(timer, sizeof(timer), "in %ld us",
                 (long)((int64_t)(dl - now) / (int64_t)(l->tsc_khz >= 1000 ? l->tsc_khz / 1000 : 1)));
    vectors(irr, sizeof(irr), l->irr);
    vectors(isr, sizeof(isr), l->isr);
    pr_info("d%uv%u cpu%u %s exits %lu inject %#x nmi %d/%d; lapic svr %#x tpr %#x lvtt %#x timer %s\n",
            v->domain->id, v->id, v->processor,
            v->running ? "running" : v->arch.wait_sipi ? "offline" : !v->blocked ? "runnable" :
            v->io.waiting ? "blocked (device model)" : v->arch.halt_nmi_only ? "halted (NMI only)" : "halted",
            (unsigned long)v->arch.exits, v->arch.pending_event, v->arch.nmi_pending, v->arch.nmi_blocked,
            l->svr, l->tpr, l->lvt[0], timer);
    pr_info("d%uv%u   irr%s isr%s\n", v->domain->id, v->id, irr, isr);
}

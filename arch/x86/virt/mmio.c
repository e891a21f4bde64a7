/*
 * MMIO emulation on second-level faults (EPT violation, NPF) in a device
 * range: the instruction is fetched through the guest's page tables and run
 * by the emulator against the device's handler (emulate.h). Also the guest
 * page walk and instruction fetch the other handlers use.
 */
#include <errno.h>
#include <string.h>
#include <asm/emulate.h>
#include <asm/guest_walk.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <asm/hvm.h>
#include <asm/processor.h>
#include <keel/domain.h>

#define NO_FAULT    0xffu

struct mmio_ctx {
    struct emu_ctx emu;
    struct vcpu *v;
    struct guest_walk w;            /* the paging registers, read once per emulation */
    const struct mmio *dev;
    unsigned user;                  /* GW_USER at CPL 3: the U/S bits apply (SDM 4.6) */
};

static struct mmio_ctx *ctx_of(struct emu_ctx *c) { return (struct mmio_ctx *)c; }

static int walk(struct emu_ctx *c, uint64_t gla, unsigned access, uint64_t *gpa)
{
    uint32_t pf;
    int rc = hvm_walk(ctx_of(c)->v, &ctx_of(c)->w, gla, access | ctx_of(c)->user, gpa, &pf);

    /* CR2 only when the fault is delivered: a second-page fetch is speculative. */
    if (rc == -EFAULT) {
        c->fault_vector = 14;
        c->fault_error = pf;
        c->fault_has_error = 1;
        c->fault_addr = gla;
    }
    return rc ? -1 : 0;         /* -EIO: the domain was crashed */
}

static int xlate(struct emu_ctx *c, uint64_t gla, int write, uint64_t *gpa)
{
    return walk(c, gla, write ? GW_WRITE : 0, gpa);
}

/* Page by page: one translation per page touched. */
static int copy_linear(struct emu_ctx *c, uint64_t gla, void *buf, unsigned len, unsigned access)
{
    struct domain *d = ctx_of(c)->v->domain;
    uint8_t *p = buf;

    while (len) {
        unsigned n = (unsigned)(4096 - (gla & 4095));
        uint64_t gpa;
        int rc;

        if (n > len)
            n = len;
        if (walk(c, gla, access, &gpa))
            return -1;
        rc = access & GW_WRITE ? domain_copy_to(d, gpa, p, n) : domain_copy_from(d, p, gpa, n);
        if (rc) {
            /* Code or a string operand in device space: not something Keel emulates
             * (a fetch that runs past RAM only shortens the instruction window). */
            if (!(access & GW_FETCH))
                domain_crash(d, "emulated access to non-RAM guest-physical %#lx", (unsigned long)gpa);
            return -1;
        }
        gla += n;
        p += n;
        len -= n;
    }
    return 0;
}

static int read_linear(struct emu_ctx *c, uint64_t gla, void *buf, unsigned len, int fetch)
{
    return copy_linear(c, gla, buf, len, fetch ? GW_FETCH : 0);
}

static int write_linear(struct emu_ctx *c, uint64_t gla, const void *buf, unsigned len)
{
    return copy_linear(c, gla, (void *)(uintptr_t)buf, len, GW_WRITE);
}

static int mmio_read(struct emu_ctx *c, uint64_t gpa, uint64_t *val, unsigned len)
{
    const struct mmio *m = domain_find_mmio(ctx_of(c)->v->domain, gpa);

    return m ? m->fn(ctx_of(c)->v, gpa, len, 0, val) : -1;
}

static int mmio_write(struct emu_ctx *c, uint64_t gpa, uint64_t val, unsigned len)
{
    const struct mmio *m = domain_find_mmio(ctx_of(c)->v->domain, gpa);

    return m ? m->fn(ctx_of(c)->v, gpa, len, 1, &val) : -1;
}

static const struct emu_ops ops = { read_linear, write_linear, xlate, mmio_read, mmio_write };

void hvm_emulate_mmio(struct vcpu *v, uint64_t gpa)
{
    struct mmio_ctx m;
    struct guest_regs *r = &v->arch.regs;
    struct hvm_insn_state st;
    enum emu_result res;

    /*
     * Every field set one by one, no memset/memcpy: the hot path of every
     * MMIO exit, and newlib's string functions cost a REP iteration per
     * element (Bochs counts each; tests/exit-cost-limits).
     */
    hvm->insn_state(v, &st);
    m.v = v;
    hvm_walk_prepare(v, &m.w);
    m.emu.ops = &ops;
    m.emu.opaque = NULL;
    for (unsigned i = 0; i < 16; i++)
        m.emu.gpr[i] = ((const uint64_t *)r)[i];          /* guest_regs is in encoding order */
    m.emu.gpr[4] = st.rsp;
    m.emu.rip = st.rip;
    m.emu.rflags = st.rflags;
    for (unsigned i = SEG_ES; i <= SEG_GS; i++)
        m.emu.seg_base[i] = st.seg_base[i];
    m.emu.long_mode = (st.efer & EFER_LMA) && (st.cs_ar & SEG_AR_L);
    m.emu.default32 = (st.cs_ar & SEG_AR_DB) != 0;
    m.emu.mmio_gpa = gpa;
    m.emu.insn_len = 0;
    m.emu.fault_vector = NO_FAULT;
    m.emu.fault_error = 0;
    m.emu.fault_has_error = 0;
    m.emu.fault_addr = 0;
    m.user = st.cpl == 3 ? GW_USER : 0;

    res = emulate_mmio(&m.emu);
    if (__builtin_expect(v->io.busy, 0)) {
        if (v->io.pending && v->domain->state == DOMAIN_RUNNING)
            return;                     /* at a device model: the instruction runs again for the answer */
        dm_insn_end(&v->io);
    }
    switch (res) {
    case EMU_DONE:
    case EMU_RETRY: {
        uint64_t rsp = m.emu.gpr[4];
        for (unsigned i = 0; i < 16; i++)
            ((uint64_t *)r)[i] = m.emu.gpr[i];
        r->rsp_unused = 0;
        hvm_set(v, HVM_RSP, rsp);
        hvm_set(v, HVM_RFLAGS, m.emu.rflags);
        if (res == EMU_DONE)
            hvm->complete(v, m.emu.rip, 1);
        return;
    }
    case EMU_FAULT:
        if (m.emu.fault_vector == NO_FAULT)
            domain_crash(v->domain, "cannot fetch the instruction at RIP %#lx", (unsigned long)m.emu.rip);
        else if (v->domain->state == DOMAIN_RUNNING) {
            hvm_inject_exception(v, m.emu.fault_vector, m.emu.fault_has_error, m.emu.fault_error);
            if (m.emu.fault_vector == 14)
                hvm_set_cr2(v, m.emu.fault_addr);
        }
        return;
    case EMU_UNHANDLED:
        domain_crash(v->domain, "cannot emulate the MMIO access at %#lx, RIP %#lx, bytes %02x %02x %02x %02x %02x %02x",
                     (unsigned long)gpa, (unsigned long)m.emu.rip, m.emu.insn[0], m.emu.insn[1],
                     m.emu.insn[2], m.emu.insn[3], m.emu.insn[4], m.emu.insn[5]);
        return;
    }
}

static int read_gpa(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    return domain_copy_from(opaque, buf, gpa, len);
}

void hvm_walk_prepare(struct vcpu *v, struct guest_walk *w)
{
    hvm->paging_state(v, &w->cr0, &w->cr3, &w->cr4, &w->efer);
    /* The MAXPHYADDR the guest was told (its reserved bits), else 52. */
    w->maxphyaddr = v->arch.cpuid.nr_ext > 8 ? v->arch.cpuid.ext[8].eax & 0xff : 0;
    w->read = read_gpa;
    w->opaque = v->domain;
}

int hvm_walk(struct vcpu *v, const struct guest_walk *w, uint64_t gla, unsigned access, uint64_t *gpa, uint32_t *pf)
{
    int rc = guest_walk(w, gla, access, gpa, pf);

    if (rc == -EIO)
        domain_crash(v->domain, "page tables outside guest RAM (linear %#lx)", (unsigned long)gla);
    return rc;
}

int hvm_guest_translate(struct vcpu *v, uint64_t gla, unsigned access, uint64_t *gpa, uint32_t *pf)
{
    struct guest_walk w;

    hvm_walk_prepare(v, &w);
    return hvm_walk(v, &w, gla, access, gpa, pf);
}

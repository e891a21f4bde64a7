/*
 * MMIO emulation on EPT violations in a device range: the instruction is
 * fetched through the guest's page tables and run by the emulator against
 * the device's handler (SDM 29.3.3.2 exit qualification, emulate.h).
 */
#include <errno.h>
#include <string.h>
#include <asm/emulate.h>
#include <asm/guest_walk.h>
#include <keel/log.h>
#include "vmx_internal.h"

#define CS_AR_L     (1u << 13)
#define CS_AR_DB    (1u << 14)
#define EFER_LMA    (1ull << 10)
#define NO_FAULT    0xffu

struct mmio_ctx {
    struct emu_ctx emu;
    struct vcpu *v;
    const struct mmio *dev;
    unsigned user;                  /* GW_USER at CPL 3: the U/S bits apply (SDM 4.6) */
};

static struct mmio_ctx *ctx_of(struct emu_ctx *c) { return (struct mmio_ctx *)c; }

static int walk(struct emu_ctx *c, uint64_t gla, unsigned access, uint64_t *gpa)
{
    uint32_t pf;
    int rc = vmx_guest_translate(ctx_of(c)->v, gla, access | ctx_of(c)->user, gpa, &pf);

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

void vmx_emulate_mmio(struct vcpu *v, uint64_t gpa)
{
    struct mmio_ctx m;
    struct guest_regs *r = &v->arch.regs;
    uint32_t cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
    enum emu_result res;

    memset(&m, 0, sizeof(m));
    m.v = v;
    m.emu.ops = &ops;
    memcpy(m.emu.gpr, r, 16 * sizeof(uint64_t));           /* guest_regs is in encoding order */
    m.emu.gpr[4] = vmcs_readl(GUEST_RSP);
    m.emu.rip = vmcs_readl(GUEST_RIP);
    m.emu.rflags = vmcs_readl(GUEST_RFLAGS);
    m.emu.seg_base[SEG_ES] = vmcs_readl(GUEST_ES_BASE);
    m.emu.seg_base[SEG_CS] = vmcs_readl(GUEST_CS_BASE);
    m.emu.seg_base[SEG_SS] = vmcs_readl(GUEST_SS_BASE);
    m.emu.seg_base[SEG_DS] = vmcs_readl(GUEST_DS_BASE);
    m.emu.seg_base[SEG_FS] = vmcs_readl(GUEST_FS_BASE);
    m.emu.seg_base[SEG_GS] = vmcs_readl(GUEST_GS_BASE);
    m.emu.long_mode = (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) && (cs_ar & CS_AR_L);
    m.emu.default32 = (cs_ar & CS_AR_DB) != 0;
    m.emu.mmio_gpa = gpa;
    m.emu.fault_vector = NO_FAULT;
    m.user = vmx_guest_cpl() == 3 ? GW_USER : 0;

    res = emulate_mmio(&m.emu);
    switch (res) {
    case EMU_DONE:
    case EMU_RETRY: {
        uint64_t rsp = m.emu.gpr[4];
        memcpy(r, m.emu.gpr, 16 * sizeof(uint64_t));
        r->rsp_unused = 0;
        vmcs_writel(GUEST_RSP, rsp);
        vmcs_writel(GUEST_RFLAGS, m.emu.rflags);
        if (res == EMU_DONE)
            vmx_complete_instruction(m.emu.rip);
        return;
    }
    case EMU_FAULT:
        if (m.emu.fault_vector == NO_FAULT)
            domain_crash(v->domain, "cannot fetch the instruction at RIP %#lx", (unsigned long)m.emu.rip);
        else if (v->domain->state == DOMAIN_RUNNING) {
            vmx_inject_exception(v, m.emu.fault_vector, m.emu.fault_has_error, m.emu.fault_error);
            if (m.emu.fault_vector == 14)
                vmx_set_cr2(v, m.emu.fault_addr);
        }
        return;
    case EMU_UNHANDLED:
        domain_crash(v->domain, "cannot emulate the MMIO access at %#lx, RIP %#lx, bytes %02x %02x %02x %02x %02x %02x",
                     (unsigned long)gpa, (unsigned long)m.emu.rip, m.emu.insn[0], m.emu.insn[1],
                     m.emu.insn[2], m.emu.insn[3], m.emu.insn[4], m.emu.insn[5]);
        return;
    }
}

/*
 * I/O instruction exits (SDM 28.1.3; qualification: table 28-5). Port
 * accesses go to the domain's port handlers; string forms (INS/OUTS, with
 * or without REP) are run element by element through guest memory.
 */
#include <errno.h>
#include <asm/guest_walk.h>
#include <asm/processor.h>
#include <keel/lib.h>
#include <keel/log.h>
#include "vmx_internal.h"

#define RFLAGS_DF       (1u << 10)
/* Elements per exit; the instruction restarts for more (with any interrupt taken between). */
#define STRING_BATCH    1024

static uint64_t size_mask(unsigned size)
{
    return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffull;
}

/* VMX_INSTRUCTION_INFO bits 9:7: address size of INS/OUTS (28.2.5). */
static uint64_t addr_mask(void)
{
    unsigned as = (vmcs_read32(VMX_INSTRUCTION_INFO) >> 7) & 7;
    return as == 0 ? 0xffffull : as == 1 ? 0xffffffffull : ~0ull;
}

/*
 * One element's guest-physical address, or two when it crosses a page
 * (each page translated and checked, at the guest's CPL): 0, or the
 * fault injected (-EFAULT) or the domain crashed (-EIO).
 */
static int element_xlate(struct vcpu *v, uint64_t gla, unsigned size, unsigned access, uint64_t gpa[2],
                         unsigned *first)
{
    uint32_t pf;
    int rc;

    *first = (unsigned)MIN((uint64_t)size, 4096 - (gla & 4095));
    rc = vmx_guest_translate(v, gla, access, &gpa[0], &pf);
    if (!rc && *first < size)
        rc = vmx_guest_translate(v, gla += *first, access, &gpa[1], &pf);
    if (rc == -EFAULT) {
        vmx_inject_exception(v, 14, 1, pf);     /* #PF at the page that failed */
        vmx_set_cr2(v, gla);
    }
    return rc;
}

static int element_copy(struct domain *d, const uint64_t gpa[2], unsigned first, unsigned size, uint32_t *val,
                        int to_guest)
{
    uint8_t *b = (uint8_t *)val;

    if (to_guest)
        return domain_copy_to(d, gpa[0], b, first) ||
               (first < size && domain_copy_to(d, gpa[1], b + first, size - first));
    return domain_copy_from(d, b, gpa[0], first) ||
           (first < size && domain_copy_from(d, b + first, gpa[1], size - first));
}

static void string_io(struct vcpu *v, uint64_t q)
{
    struct guest_regs *r = &v->arch.regs;
    unsigned size = IO_QUAL_SIZE(q);
    int in = (q & IO_QUAL_IN) != 0, rep = (q & IO_QUAL_REP) != 0;
    uint64_t amask = addr_mask(), gla = vmcs_readl(GUEST_LINEAR_ADDRESS);
    uint64_t *index = in ? &r->rdi : &r->rsi;
    int64_t step = (vmcs_readl(GUEST_RFLAGS) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
    uint64_t count = rep ? (r->rcx & amask) : 1;
    unsigned done = 0, user = vmx_guest_cpl() == 3 ? GW_USER : 0;

    while (count && done < STRING_BATCH) {
        uint64_t gpa[2];
        uint32_t val = 0;
        unsigned first;
        int rc = element_xlate(v, gla, size, (in ? GW_WRITE : 0) | user, gpa, &first);

        if (rc)
            return;                                   /* #PF injected, or the domain crashed */
        if (in) {
            domain_portio(v, IO_QUAL_PORT(q), size, 1, &val);
            rc = element_copy(v->domain, gpa, first, size, &val, 1);
        } else {
            rc = element_copy(v->domain, gpa, first, size, &val, 0);
            if (!rc)
                domain_portio(v, IO_QUAL_PORT(q), size, 0, &val);
        }
        if (rc) {
            domain_crash(v->domain, "string I/O to non-RAM guest address %#lx", (unsigned long)gpa[0]);
            return;
        }
        *index = (*index & ~amask) | ((*index + (uint64_t)step) & amask);
        gla += (uint64_t)step;
        count--;
        done++;
    }
    if (rep)
        r->rcx = (r->rcx & ~amask) | (count & amask);
    if (!count)
        vmx_skip_instruction(v);
}

void vmexit_io(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t q = vmcs_readl(EXIT_QUALIFICATION);
    unsigned size = IO_QUAL_SIZE(q);
    uint32_t val;

    if (size != 1 && size != 2 && size != 4) {
        domain_crash(v->domain, "I/O exit with size %u", size);
        return;
    }
    if (q & IO_QUAL_STRING) {
        string_io(v, q);
        return;
    }
    if (q & IO_QUAL_IN) {
        val = 0;
        domain_portio(v, IO_QUAL_PORT(q), size, 1, &val);
        /* IN to EAX zero-extends into RAX; AL and AX leave the rest alone. */
        if (size == 4)
            v->arch.regs.rax = val;
        else
            v->arch.regs.rax = (v->arch.regs.rax & ~size_mask(size)) | (val & size_mask(size));
    } else {
        val = (uint32_t)(v->arch.regs.rax & size_mask(size));
        domain_portio(v, IO_QUAL_PORT(q), size, 0, &val);
    }
    if (v->domain->state == DOMAIN_RUNNING)
        vmx_skip_instruction(v);
}

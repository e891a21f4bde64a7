/*
 * I/O instruction exits (SDM 28.1.3, table 28-5; APM 15.10.2), decoded by
 * the vendor. Port accesses go to the domain's port handlers; string forms
 * (INS/OUTS, with or without REP) are run element by element through guest
 * memory.
 */
#include <errno.h>
#include <asm/guest_walk.h>
#include <asm/processor.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <asm/hvm.h>
#include <keel/domain.h>
/* Elements per exit; the instruction restarts for more (with any interrupt taken between). */
#define STRING_BATCH    1024

static uint64_t addr_mask(unsigned asize)
{
    return asize == 2 ? 0xffffull : asize == 4 ? 0xffffffffull : ~0ull;
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
    rc = hvm_guest_translate(v, gla, access, &gpa[0], &pf);
    if (!rc && *first < size)
        rc = hvm_guest_translate(v, gla += *first, access, &gpa[1], &pf);
    if (rc == -EFAULT) {
        hvm_inject_exception(v, 14, 1, pf);     /* #PF at the page that failed */
        hvm_set_cr2(v, gla);
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

int hvm_string_io(struct vcpu *v, uint16_t port, unsigned size, int in, int rep, uint64_t gla, unsigned asize)
{
    struct guest_regs *r = &v->arch.regs;
    uint64_t amask = addr_mask(asize);
    uint64_t *index = in ? &r->rdi : &r->rsi;
    int64_t step = (hvm_get(v, HVM_RFLAGS) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
    uint64_t count = rep ? (r->rcx & amask) : 1;
    unsigned done = 0, user = hvm_get(v, HVM_CPL) == 3 ? GW_USER : 0;

    if (size != 1 && size != 2 && size != 4) {
        domain_crash(v->domain, "I/O exit with size %u", size);
        return 0;
    }

    while (count && done < STRING_BATCH) {
        uint64_t gpa[2];
        uint32_t val = 0;
        unsigned first;
        int rc = element_xlate(v, gla, size, (in ? GW_WRITE : 0) | user, gpa, &first);

        if (rc)
            return 0;                                 /* #PF injected, or the domain crashed */
        if (in) {
            domain_portio(v, port, size, 1, &val);
            rc = v->io.pending ? 0 : element_copy(v->domain, gpa, first, size, &val, 1);
        } else {
            rc = element_copy(v->domain, gpa, first, size, &val, 0);
            if (!rc)
                domain_portio(v, port, size, 0, &val);
        }
        if (v->io.pending)
            break;                                    /* at a device model: this element runs again */
        dm_insn_end(&v->io);
        if (rc) {
            domain_crash(v->domain, "string I/O to non-RAM guest address %#lx", (unsigned long)gpa[0]);
            return 0;
        }
        *index = (*index & ~amask) | ((*index + (uint64_t)step) & amask);
        gla += (uint64_t)step;
        count--;
        done++;
    }
    if (rep)
        r->rcx = (r->rcx & ~amask) | (count & amask);
    return count == 0;
}

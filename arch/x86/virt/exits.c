/*
 * The exit classes both vendors share once decoded: MOV to CR0/CR4, HLT,
 * the hypercall, XSETBV, and what every handler needs: skipping the
 * instruction, injecting an exception, CR2.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/cpu_policy.h>
#include <asm/cpuid_policy.h>
#include <asm/emulate.h>
#include <asm/guest_walk.h>
#include <asm/hvm.h>
#include <asm/processor.h>
#include <keel/domain.h>
#include <keel/hypercall.h>
#include <keel/log.h>

void hvm_set_cr2(struct vcpu *v, uint64_t cr2)
{
    hvm_set(v, HVM_CR2, cr2);
}

static int contributory(unsigned vec) { return vec == 0 || (vec >= 10 && vec <= 13); }

void hvm_inject_exception(struct vcpu *v, unsigned vector, int has_error, uint32_t error)
{
    uint32_t prev = v->arch.pending_event;

    /* 6.15 table 6-5: a second fault while delivering the first. */
    if (prev & EVENT_VALID && (prev & EVENT_TYPE_MASK) == EVENT_TYPE_EXCEPTION) {
        unsigned pv = prev & EVENT_VECTOR_MASK;
        if (pv == 8) {
            domain_crash(v->domain, "triple fault (fault while delivering #DF)");
            return;
        }
        if ((contributory(pv) && contributory(vector)) || (pv == 14 && (contributory(vector) || vector == 14))) {
            vector = 8;
            has_error = 1;
            error = 0;
        }
    }
    v->arch.pending_event = EVENT_VALID | EVENT_TYPE_EXCEPTION | vector | (has_error ? EVENT_HAS_ERROR : 0);
    v->arch.pending_error = error;
}

/*
 * MOV to CR0 (and CLTS, LMSW): 2.5 and MOV CR0's #GP rules: high bits, PG
 * without PE, NW without CD; long mode on with PG when EFER.LME is set
 * (and PAE on, 10.8.5), off with PG. CD and NW are the guest's view only
 * (the vendor keeps guest RAM write-back): Linux sets both around MTRR
 * updates.
 */
int hvm_write_cr0(struct vcpu *v, uint64_t val)
{
    uint64_t efer = hvm_get(v, HVM_EFER);
    const uint64_t known = X86_CR0_PE | X86_CR0_MP | (1u << 2) | (1u << 3) | X86_CR0_ET | X86_CR0_NE |
                           X86_CR0_WP | (1u << 18) | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG;

    if ((val & ~known) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
        ((val & X86_CR0_NW) && !(val & X86_CR0_CD))) {
        gprintk(v->domain, LOG_DEBUG, "d%u v%u: MOV to CR0 %#lx refused (#GP)\n", v->domain->id, v->id,
                (unsigned long)val);
        hvm_inject_gp(v);
        return -EINVAL;
    }
    if ((val & X86_CR0_PG) && (efer & EFER_LME)) {
        if (!(hvm_get(v, HVM_CR4) & X86_CR4_PAE)) {
            gprintk(v->domain, LOG_DEBUG, "d%u v%u: MOV to CR0 %#lx with EFER.LME and no PAE (#GP)\n",
                    v->domain->id, v->id, (unsigned long)val);
            hvm_inject_gp(v);
            return -EINVAL;
        }
        efer |= EFER_LMA;
    } else if (!(val & X86_CR0_PG)) {
        efer &= ~(uint64_t)EFER_LMA;
    }
    hvm_set(v, HVM_EFER, efer);
    hvm_set(v, HVM_CR0, val);
    return 0;
}

/* MOV to CR4: only what the policy offers (asm/cpu_policy.h); PAE stays on in long mode. */
int hvm_write_cr4(struct vcpu *v, uint64_t val)
{
    if ((val & ~pol_cr4_allowed()) || ((hvm_get(v, HVM_EFER) & EFER_LMA) && !(val & X86_CR4_PAE))) {
        hvm_inject_gp(v);
        return -EINVAL;
    }
    hvm_set(v, HVM_CR4, val);
    return 0;
}

void hvm_halt(struct vcpu *v)
{
    uint64_t next = hvm->next_rip(v);

    if (!next)
        return;
    /*
     * Single-stepping (TF): HLT's trap comes when it completes, that is
     * when the vCPU wakes, and before the interrupt that woke it (SDM 6.9:
     * traps on the previous instruction come first): hvm_deliver_events()
     * injects it then (a pending #DB at entry would be lost under an
     * injected interrupt).
     */
    hvm->complete(v, next, 0);
    if (hvm_get(v, HVM_RFLAGS) & RFLAGS_TF)
        v->arch.halt_step = 1;
    hvm_vcpu_halt(v);
}

int hvm_xsetbv(struct vcpu *v)
{
    struct guest_regs *r = &v->arch.regs;
    uint64_t val = (r->rdx << 32) | (uint32_t)r->rax, host_ok;
    struct cpuid_regs d = cpuid_count(0xd, 0);
    const struct pol_host h = { .no_avx512 = cpuid_no_avx512 };

    host_ok = (((uint64_t)d.edx << 32) | d.eax) & pol_xcr0_allowed(&h);
    /*
     * 13.3: XCR0 only; x87 always on; AVX needs SSE; the AVX-512 states (bits
     * 7:5) all or none, and only with AVX; BNDREGS/BNDCSR together; only what
     * the CPU supports and the policy offers (asm/cpu_policy.h: no MPX, no AMX).
     */
    if ((uint32_t)r->rcx != 0 || !(val & 1) || ((val & 4) && !(val & 2)) || (val & ~host_ok) ||
        ((val & 0xe0) && ((val & 0xe0) != 0xe0 || !(val & 4))) || (((val >> 3) & 3) == 1 || ((val >> 3) & 3) == 2)) {
        hvm_inject_gp(v);
        return 0;
    }
    xsetbv(0, val);
    return 1;
}

/*
 * Up to @len bytes at linear @gla, as an instruction fetch at CPL 3 if
 * @user, through the guest's paging unless @paging is 0 (paging off: no
 * walk to prepare). No fault is injected: how many bytes could be read.
 */
unsigned hvm_fetch(struct vcpu *v, uint64_t gla, int user, int paging, uint8_t *buf, unsigned len)
{
    unsigned got = 0, access = GW_FETCH | (user ? GW_USER : 0);
    struct guest_walk w;

    if (paging)
        hvm_walk_prepare(v, &w);
    while (got < len) {
        unsigned n = (unsigned)(4096 - (gla & 4095));
        uint64_t gpa = gla;
        uint32_t pf;

        if (n > len - got)
            n = len - got;
        if ((paging && hvm_walk(v, &w, gla, access, &gpa, &pf)) || domain_copy_from(v->domain, buf + got, gpa, n))
            break;
        got += n;
        gla += n;
    }
    return got;
}

/*
 * A #UD the guest raised. The other vendor's hypercall instruction (VMCALL
 * on AMD, VMMCALL on Intel: a guest built for one, or migrated) is made a
 * hypercall, as KVM does; Keel's CPUID leaf names the native one
 * (KEEL_CPUID_F_VMMCALL). Anything else is the guest's #UD.
 */
void hvm_ud(struct vcpu *v)
{
    static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 }, vmmcall[3] = { 0x0f, 0x01, 0xd9 };
    const uint8_t *other = hvm->vmmcall ? vmcall : vmmcall;
    struct hvm_insn_state st;
    uint64_t gla, next;
    int code64;
    uint8_t b[3];

    hvm->insn_state(v, &st);
    code64 = (st.efer & EFER_LMA) && (st.cs_ar & SEG_AR_L);
    gla = code64 ? st.rip : (uint32_t)(st.seg_base[SEG_CS] + st.rip);
    /* The walk itself follows CR0.PG (a #UD is no hot path). */
    if (hvm_fetch(v, gla, st.cpl == 3, 1, b, 3) == 3 && b[0] == other[0] && b[1] == other[1] && b[2] == other[2]) {
        next = code64 ? st.rip + 3 : (uint32_t)(st.rip + 3);   /* EIP wraps outside 64-bit code */
        hvm_hypercall(v, st.cpl);
        hvm->complete(v, next, 1);
        return;
    }
    hvm_inject_ud(v);
}

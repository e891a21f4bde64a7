/*
 * #VMEXITs decoded by exit code (APM Vol. 2, appendix C; EXITINFO: 15.7)
 * and handed to the shared handlers of arch/x86/virt, or handled here
 * when they are SVM's own. Without next-RIP save (15.7.1) or decode
 * assists (15.33), the instruction is fetched through the guest's page
 * walk and decoded: its length, and what MOV CR4 and INS/OUTS need.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/emulate.h>
#include <asm/processor.h>
#include <asm/svm_ops.h>
#include <keel/log.h>
#include <keel/sched.h>
#include "svm_internal.h"

static int mode64(const struct vmcb *b)
{
    return (b->s.efer & EFER_LMA) && (svm_ar(b->s.cs.attrib) & SEG_AR_L);
}

/*
 * Up to @len bytes at CS:RIP through the guest's paging, no fault injected
 * (an instruction that cannot be read runs again and faults itself): how
 * many were read. The hot path of every exit without next-RIP save: paging
 * off needs no walk, and a walk reads the paging registers once.
 */
static unsigned fetch(struct vcpu *v, uint8_t *buf, unsigned len)
{
    const struct vmcb *b = v->arch.vmcb;

    return hvm_fetch(v, mode64(b) ? b->s.rip : (uint32_t)(b->s.cs.base + b->s.rip), b->s.cpl == 3,
                     (b->s.cr0 & X86_CR0_PG) != 0, buf, len);
}

/* Fetch and decode the instruction at RIP: its length, or 0. Three bytes first: enough unless prefixed. */
static unsigned fetch_decode(struct vcpu *v, struct svm_insn *in)
{
    uint8_t b[15];
    unsigned n = fetch(v, b, 3), len;

    if (!n)
        return 0;
    len = svm_decode(b, n, mode64(v->arch.vmcb), in);
    if (len || n < 3)
        return len;
    n = fetch(v, b, sizeof(b));
    return n ? svm_decode(b, n, mode64(v->arch.vmcb), in) : 0;
}

uint64_t svm_next_rip(struct vcpu *v)
{
    struct vmcb *b = v->arch.vmcb;
    struct svm_insn in;

    if (svm_has(SVM_FEAT_NRIPS))
        return b->c.next_rip;
    if (!fetch_decode(v, &in))
        return 0;
    return mode64(b) ? b->s.rip + in.len : (uint32_t)(b->s.rip + in.len);
}

static void skip(struct vcpu *v)
{
    svm_skip_instruction(v);
}

static uint64_t read_gpr(struct vcpu *v, unsigned n)
{
    return n == 4 ? v->arch.vmcb->s.rsp : ((uint64_t *)&v->arch.regs)[n];
}

/* MOV to CR4 (the only CR write intercepted): the GPR from decode assists or the ModRM byte. */
static void cr4_write(struct vcpu *v)
{
    struct vmcb *b = v->arch.vmcb;
    struct svm_insn in;
    unsigned gpr;
    uint64_t val;

    if (svm_has(SVM_FEAT_DECODE_ASSISTS) && (b->c.exit_info1 >> 63)) {
        gpr = b->c.exit_info1 & 0xf;
    } else {
        if (!fetch_decode(v, &in) || in.op[0] != 0x0f || in.op[1] != 0x22 ||
            (((in.op[2] >> 3) & 7) | (in.rex & 4 ? 8 : 0)) != 4)
            return;                             /* not MOV to CR4 any more: it runs again */
        gpr = (in.op[2] & 7) | (in.rex & 1 ? 8 : 0);
    }
    val = read_gpr(v, gpr);
    if (!mode64(b))
        val = (uint32_t)val;
    if (val & ~svm_cr4_ok) {
        hvm_inject_gp(v);                       /* a bit this CPU cannot run a guest with */
        return;
    }
    if (!hvm_write_cr4(v, val))
        skip(v);
}

/* IOIO (15.10.2): EXITINFO1 describes the access, EXITINFO2 is the next RIP. */
static void ioio(struct vcpu *v)
{
    struct vmcb *b = v->arch.vmcb;
    uint64_t i1 = b->c.exit_info1;
    unsigned sz = SVM_IOIO_SZ(i1), a = SVM_IOIO_A(i1);
    unsigned size = sz & 1 ? 1 : sz & 2 ? 2 : sz & 4 ? 4 : 0;
    int in = (i1 & SVM_IOIO_IN) != 0, done;

    if (i1 & SVM_IOIO_STR) {
        unsigned asize = a & 1 ? 2 : a & 2 ? 4 : 8;
        uint64_t amask = asize == 2 ? 0xffff : asize == 4 ? 0xffffffffull : ~0ull;
        struct svm_insn d;
        int seg = SEG_ES;
        uint64_t base;

        /* INS writes ES:rDI; OUTS reads DS:rSI, or the override's segment. */
        if (!in) {
            if (!fetch_decode(v, &d))
                return;
            seg = d.seg >= 0 ? d.seg : SEG_DS;
        }
        base = seg == SEG_ES ? b->s.es.base : seg == SEG_CS ? b->s.cs.base : seg == SEG_SS ? b->s.ss.base :
               seg == SEG_DS ? b->s.ds.base : seg == SEG_FS ? b->s.fs.base : b->s.gs.base;
        if (mode64(b) && seg != SEG_FS && seg != SEG_GS)
            base = 0;                           /* 64-bit mode: only FS and GS have bases */
        done = hvm_string_io(v, SVM_IOIO_PORT(i1), size, in, (i1 & SVM_IOIO_REP) != 0,
                             base + ((in ? v->arch.regs.rdi : v->arch.regs.rsi) & amask), asize);
    } else {
        done = hvm_port_io(v, SVM_IOIO_PORT(i1), size, in);
    }
    if (done)
        svm_complete(v, b->c.exit_info2, 1);
}

/* #UD: a VMCALL (written for Intel) is Keel's hypercall here too, as KVM does; the rest is the guest's. */
static void npf(struct vcpu *v)
{
    uint64_t e = v->arch.vmcb->c.exit_info1;

    /* A present, readable page that faulted on a write is write-protected (NPT: present = readable). */
    hvm_p2m_fault(v, v->arch.vmcb->c.exit_info2, (e & SVM_NPF_W) != 0, (e & SVM_NPF_ID) != 0,
                  (e & SVM_NPF_P) != 0, !(e & SVM_NPF_P) || !(e & SVM_NPF_W));
}

/* An injected NMI's handler ended (its IRET is about to run): NMIs open once it has. */
static void iret(struct vcpu *v)
{
    struct vmcb *b = v->arch.vmcb;

    b->c.intercept[SVM_ICPT_MISC1] &= ~SVM_MISC1_IRET;
    svm_dirty(v, SVM_CLEAN_INTERCEPTS);
    v->arch.nmi_blocked = 0;
}

static void invalid(struct vcpu *v)
{
    char why[96];

    if (svm_vmcb_check(v->arch.vmcb, &svm_caps, svm_cr4_ok, why, sizeof(why)))
        domain_crash(v->domain, "VMRUN refused the VMCB (VMEXIT_INVALID): %s", why);
    else
        domain_crash(v->domain, "VMRUN refused the VMCB (VMEXIT_INVALID)");
    svm_dump(v);
}

void svm_handle_exit(struct vcpu *v)
{
    struct vmcb *b = v->arch.vmcb;
    uint64_t code = b->c.exit_code;

    switch (code) {
    case SVM_EXIT_CPUID:
    case SVM_EXIT_VMMCALL:
        return;                                 /* svm_exit_dispatch() handles them inline */
    case SVM_EXIT_IOIO:
        ioio(v);
        return;
    case SVM_EXIT_MSR:
        if (b->c.exit_info1 ? hvm_msr_write(v) : hvm_msr_read(v))
            skip(v);
        return;
    case SVM_EXIT_NPF:
        npf(v);
        return;
    case SVM_EXIT_HLT:
        /*
         * STI with RFLAGS.TF owes a single-step trap before the next
         * instruction (SDM 6.9, APM 13.1.3.3). QEMU's TCG raises the HLT
         * intercept first: the trap is delivered now, and HLT runs (and
         * exits) again after the handler's IRET.
         */
        if ((b->s.rflags & RFLAGS_TF) && (b->c.int_state & 1) && !v->arch.pending_event) {
            b->c.int_state &= ~1u;
            b->s.dr6 |= DR6_BS;
            svm_dirty(v, SVM_CLEAN_DRX);
            v->arch.pending_event = EVENT_VALID | EVENT_TYPE_EXCEPTION | 1;
            return;
        }
        hvm_halt(v);
        return;
    case SVM_EXIT_INTR:
        svm_take_interrupt();                   /* the host's: its handler runs now */
        if (__atomic_load_n(&v->arch.nmi_pending, __ATOMIC_ACQUIRE))
            hvm_deliver_events(v);
        return;
    case SVM_EXIT_NMI:
    case SVM_EXIT_SMI:
        return;                                 /* the host took it at STGI */
    case SVM_EXIT_VINTR:
        b->c.int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | (0xfu << SVM_V_INTR_PRIO_SHIFT));
        b->c.intercept[SVM_ICPT_MISC1] &= ~SVM_MISC1_VINTR;
        svm_dirty(v, SVM_CLEAN_TPR | SVM_CLEAN_INTERCEPTS);
        return;
    case SVM_EXIT_IRET:
        iret(v);
        return;
    case SVM_EXIT_XSETBV:
        if (hvm_xsetbv(v))
            skip(v);
        return;
    case SVM_EXIT_CR4_WRITE:
        cr4_write(v);
        return;
    case SVM_EXIT_PAUSE:
        vcpu_yield(v);                         /* the pause filter saw a spin loop (15.14.4) */
        skip(v);
        return;
    case SVM_EXIT_INVD:
    case SVM_EXIT_WBINVD:
        skip(v);                                /* NPT maps guest RAM write-back and coherent */
        return;
    case SVM_EXIT_RDPMC:
        hvm_inject_gp(v);                       /* no PMU in the policy */
        return;
    case SVM_EXIT_EXCP(6):
        hvm_ud(v);
        return;
    case SVM_EXIT_EXCP(18):
        domain_crash(v->domain, "machine check while running");
        return;
    case SVM_EXIT_SHUTDOWN:
        domain_crash(v->domain, "triple fault at RIP %#lx", (unsigned long)b->s.rip);
        svm_dump(v);                            /* what it was doing, and what Keel had queued */
        return;
    case SVM_EXIT_TASK_SWITCH:
        domain_crash(v->domain, "task switch at RIP %#lx: not emulated", (unsigned long)b->s.rip);
        return;
    case SVM_EXIT_VMRUN: case SVM_EXIT_VMLOAD: case SVM_EXIT_VMSAVE: case SVM_EXIT_STGI:
    case SVM_EXIT_CLGI: case SVM_EXIT_SKINIT: case SVM_EXIT_INVLPGA:
    case SVM_EXIT_RDTSCP: case SVM_EXIT_INVPCID:
    case SVM_EXIT_MONITOR: case SVM_EXIT_MWAIT: case SVM_EXIT_MWAIT_COND:
        hvm_inject_ud(v);                       /* not offered: as on a CPU without it */
        return;
    case SVM_EXIT_INVALID:
        invalid(v);
        return;
    }
    if (code >= SVM_EXIT_DR0_READ && code < SVM_EXIT_DR0_WRITE + 16) {
        hvm_debug_regs_claim(v);                /* the MOV DR runs again, natively */
        return;
    }
    domain_crash(v->domain, "unexpected #VMEXIT %#lx (info1 %#lx, info2 %#lx)", (unsigned long)code,
                 (unsigned long)b->c.exit_info1, (unsigned long)b->c.exit_info2);
    svm_dump(v);
}

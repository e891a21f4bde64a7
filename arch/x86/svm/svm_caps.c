/*
 * SVM's pure parts, host-tested (tests/unit/test_svm.c): the intercepts a
 * vCPU runs with, the VMRUN consistency checks (APM Vol. 2, 15.5.1), ASID
 * assignment with generations, the MSR permission map (15.11), and the
 * decoder of intercepted instructions for CPUs without next-RIP save.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <asm/cpu_policy.h>
#include <asm/processor.h>
#include <asm/emulate.h>
#include <asm/svm.h>

static struct cpuid_out leaf(cpuid_host_fn cpuid, uint32_t l, uint32_t sub)
{
    struct cpuid_out o = { 0, 0, 0, 0 };

    cpuid(l, sub, &o);
    return o;
}

void svm_caps_read(struct svm_caps *c, cpuid_host_fn cpuid)
{
    struct cpuid_out a = leaf(cpuid, 0x8000000a, 0), max = leaf(cpuid, 0x80000000, 0);

    c->revision = a.eax & 0xff;
    c->nasids = a.ebx;
    c->features = a.edx;
    c->page1g = (leaf(cpuid, 0x80000001, 0).edx & CPUID_EXT1_EDX_PAGE1G) != 0;
    c->maxphyaddr = max.eax >= 0x80000008 ? leaf(cpuid, 0x80000008, 0).eax & 0xff : 36;
}

/* RDTSCP (CPUID 8000_0001H:EDX[27]) and INVPCID (7.0:EBX[10]), where the CPU has them. */
void svm_policy_read(struct svm_policy_in *p, cpuid_host_fn cpuid)
{
    p->rdtscp = (leaf(cpuid, 0x80000001, 0).edx >> 27) & 1;
    p->invpcid = (leaf(cpuid, 7, 0).ebx >> 10) & 1;
}

/* CR4 bits the CPU implements (VMRUN refuses the rest: 15.5.1), from the features that bring them. */
uint64_t svm_cr4_supported(cpuid_host_fn cpuid)
{
    struct cpuid_out l1 = leaf(cpuid, 1, 0), l7 = leaf(cpuid, 7, 0);
    uint64_t ok = 0x7ff;            /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */

    if (l7.ecx & (1u << 2)) ok |= 1u << 11;         /* UMIP */
    if (l7.ecx & (1u << 16)) ok |= X86_CR4_LA57;
    if (l7.ebx & (1u << 0)) ok |= 1u << 16;         /* FSGSBASE */
    if (l1.ecx & (1u << 17)) ok |= 1u << 17;        /* PCIDE */
    if (l1.ecx & CPUID1_ECX_XSAVE) ok |= X86_CR4_OSXSAVE;
    if (l7.ebx & (1u << 7)) ok |= 1u << 20;         /* SMEP */
    if (l7.ebx & (1u << 20)) ok |= 1u << 21;        /* SMAP */
    if (l7.ecx & (1u << 3)) ok |= X86_CR4_PKE;
    return ok;
}

/*
 * Every instruction and event Keel must see, whatever the CPU: the
 * policy's (CPUID, MSRs, I/O, XSETBV, CR4 writes, RDPMC), the ones that
 * would let a guest stop its CPU or reach the host (HLT, MWAIT, SHUTDOWN,
 * INVD/WBINVD, the SVM instructions: VMRUN must be intercepted, 15.5.1),
 * host interrupts and NMIs, #MC (the host's), #UD (a VMCALL written for
 * Intel is a hypercall too), and DR0-3 until the vCPU's first access
 * (virt/state.c). CR0, CR3, CR8 (V_INTR_MASKING keeps a guest's TPR in
 * V_TPR) and DR6/DR7 (in the VMCB) need no intercept with nested paging.
 */
void svm_intercepts(const struct svm_caps *caps, const struct svm_policy_in *pol, uint32_t out[SVM_ICPT_WORDS])
{
    memset(out, 0, SVM_ICPT_WORDS * sizeof(uint32_t));
    out[SVM_ICPT_CR] = SVM_CR_WRITE(4);
    out[SVM_ICPT_DR] = 0xf | (0xfu << 16);
    out[SVM_ICPT_EXC] = (1u << 6) | (1u << 18);
    out[SVM_ICPT_MISC1] = SVM_MISC1_INTR | SVM_MISC1_NMI | SVM_MISC1_RDPMC | SVM_MISC1_CPUID |
                          SVM_MISC1_INVD | SVM_MISC1_HLT | SVM_MISC1_INVLPGA | SVM_MISC1_IOIO | SVM_MISC1_MSR |
                          SVM_MISC1_TASK_SWITCH | SVM_MISC1_SHUTDOWN;
    out[SVM_ICPT_MISC2] = SVM_MISC2_VMRUN | SVM_MISC2_VMMCALL | SVM_MISC2_VMLOAD | SVM_MISC2_VMSAVE |
                          SVM_MISC2_STGI | SVM_MISC2_CLGI | SVM_MISC2_SKINIT | SVM_MISC2_WBINVD |
                          SVM_MISC2_MONITOR | SVM_MISC2_MWAIT | SVM_MISC2_MWAIT_COND | SVM_MISC2_XSETBV;
    /* A PAUSE loop exits where the CPU filters PAUSEs (15.14.4): the spinner yields its CPU. */
    if (caps->features & SVM_FEAT_PAUSE_FILTER)
        out[SVM_ICPT_MISC1] |= SVM_MISC1_PAUSE;
    /* What the policy hides must #UD, as on a CPU without it (the CPU would run it). */
    if (!pol->rdtscp)
        out[SVM_ICPT_MISC2] |= SVM_MISC2_RDTSCP;
    if (!pol->invpcid)
        out[SVM_ICPT_MISC3] |= SVM_MISC3_INVPCID;
}

static int refuse(char *why, size_t len, const char *rule)
{
    if (why && len)
        snprintf(why, len, "%s", rule);
    return -EINVAL;
}

/* EFER bits a guest may hold (15.5.1: "any MBZ bit of EFER is set" is illegal). */
#define EFER_KNOWN  (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | (1u << 13) | (1u << 14) | (1u << 15))

int svm_vmcb_check(const struct vmcb *vmcb, const struct svm_caps *caps, uint64_t cr4_ok, char *why, size_t len)
{
    const struct vmcb_save *s = &vmcb->s;
    const struct vmcb_control *c = &vmcb->c;
    uint64_t pa_limit = caps->maxphyaddr ? (1ull << caps->maxphyaddr) : (1ull << 52);
    int long_paging = (s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG);
    unsigned type = (c->event_inj >> 8) & 7, vec = c->event_inj & 0xff;

    if (!(s->efer & EFER_SVME))
        return refuse(why, len, "EFER.SVME is zero");
    if (!(s->cr0 & X86_CR0_CD) && (s->cr0 & X86_CR0_NW))
        return refuse(why, len, "CR0.CD is zero and CR0.NW is set");
    if (s->cr0 >> 32)
        return refuse(why, len, "CR0[63:32] are not zero");
    if (long_paging && (s->cr3 & ~(pa_limit - 1) & ~0xfffull & 0x000fffffffffffffull))
        return refuse(why, len, "CR3 has MBZ bits set (above MAXPHYADDR)");
    if (s->cr3 >> 52)
        return refuse(why, len, "CR3[63:52] are not zero");
    if (s->cr4 & ~cr4_ok)
        return refuse(why, len, "CR4 has MBZ bits set");
    if (s->dr6 >> 32)
        return refuse(why, len, "DR6[63:32] are not zero");
    if (s->dr7 >> 32)
        return refuse(why, len, "DR7[63:32] are not zero");
    if (s->efer & ~(uint64_t)EFER_KNOWN)
        return refuse(why, len, "EFER has MBZ bits set");
    if (long_paging && !(s->cr4 & X86_CR4_PAE))
        return refuse(why, len, "EFER.LME and CR0.PG set, CR4.PAE zero");
    if (long_paging && !(s->cr0 & X86_CR0_PE))
        return refuse(why, len, "EFER.LME and CR0.PG set, CR0.PE zero");
    if (long_paging && (s->cr4 & X86_CR4_PAE) && (svm_ar(s->cs.attrib) & SEG_AR_L) &&
        (svm_ar(s->cs.attrib) & SEG_AR_DB))
        return refuse(why, len, "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set");
    if (!(c->intercept[SVM_ICPT_MISC2] & SVM_MISC2_VMRUN))
        return refuse(why, len, "the VMRUN intercept is clear");
    if (c->msrpm_base_pa >= pa_limit || (c->msrpm_base_pa & 0xfff))
        return refuse(why, len, "MSRPM_BASE_PA beyond the physical address limit or unaligned");
    if (c->iopm_base_pa >= pa_limit || (c->iopm_base_pa & 0xfff))
        return refuse(why, len, "IOPM_BASE_PA beyond the physical address limit or unaligned");
    if (c->asid == 0)
        return refuse(why, len, "ASID is zero");
    if (caps->nasids && c->asid >= caps->nasids)
        return refuse(why, len, "ASID beyond the CPU's count");
    if ((c->np_enable & 1) && !(caps->features & SVM_FEAT_NPT))
        return refuse(why, len, "nested paging enabled on a CPU without it");
    if ((c->np_enable & 1) && (c->n_cr3 >= pa_limit || (c->n_cr3 & 0xfff)))
        return refuse(why, len, "N_CR3 beyond the physical address limit or unaligned");
    /* 15.20: EVENTINJ types 0 (INTR), 2 (NMI), 3 (exception), 4 (software interrupt); NMI is vector 2;
     * an exception is a vector below 32 other than 2. */
    if (c->event_inj & (1u << 31)) {
        if (type == 1 || type > 4)
            return refuse(why, len, "EVENTINJ has a reserved type");
        if (type == 3 && (vec == 2 || vec > 31))
            return refuse(why, len, "EVENTINJ: an exception with an invalid vector");
        if (type == 2 && vec != 2)
            return refuse(why, len, "EVENTINJ: an NMI with a vector other than 2");
    }
    if (s->cpl > 3)
        return refuse(why, len, "CPL above 3");
    return 0;
}

uint8_t svm_asid_assign(struct svm_asid_cpu *c, uint32_t *asid, uint64_t *gen, int flush, int flush_by_asid)
{
    uint8_t tlb = SVM_TLB_NOTHING;

    if (*gen == c->gen && *asid && !flush)
        return SVM_TLB_NOTHING;
    if (*gen == c->gen && *asid && flush_by_asid)
        return SVM_TLB_FLUSH_ASID;
    /* A fresh ASID holds nothing of this generation: no flush, unless a new generation begins. */
    if (c->next == 0 || c->next >= c->max) {
        c->gen++;
        c->next = 1;
        tlb = SVM_TLB_FLUSH_ALL;
    }
    *asid = c->next++;
    *gen = c->gen;
    return tlb;
}

int svm_msrpm_bit(uint32_t msr)
{
    uint32_t base;

    if (msr <= 0x1fff)
        base = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        base = 0x800 * 8;
    else if (msr >= 0xc0010000u && msr <= 0xc0011fffu)
        base = 0x1000 * 8;
    else
        return -1;
    return (int)(base + (msr & 0x1fff) * 2);    /* the read bit; the write bit follows it */
}

void svm_msrpm_build(uint8_t *msrpm)
{
    memset(msrpm, 0xff, 8192);
    for (unsigned i = 0; i < pol_nr_msrs; i++) {
        if (pol_msrs[i].kind != POL_PASS)
            continue;
        for (uint32_t msr = pol_msrs[i].first; msr <= pol_msrs[i].last; msr++) {
            int bit = svm_msrpm_bit(msr);
            if (bit < 0)
                continue;
            msrpm[bit / 8] &= (uint8_t)~(3u << (bit % 8));
        }
    }
}

/*
 * Length of the instructions Keel intercepts: 0 if @b is none of them (the
 * guest changed its code since the exit: it runs again). Legacy prefixes,
 * then REX in 64-bit mode, then the opcode (APM Vol. 3, 1.2).
 */
unsigned svm_decode(const uint8_t *b, unsigned n, int mode64, struct svm_insn *in)
{
    unsigned i = 0;

    in->seg = -1;
    in->rex = 0;
    for (; i < n && i < 14; i++) {
        switch (b[i]) {
        case 0x26: in->seg = SEG_ES; continue;
        case 0x2e: in->seg = SEG_CS; continue;
        case 0x36: in->seg = SEG_SS; continue;
        case 0x3e: in->seg = SEG_DS; continue;
        case 0x64: in->seg = SEG_FS; continue;
        case 0x65: in->seg = SEG_GS; continue;
        case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3: continue;
        }
        break;
    }
    if (mode64 && i < n && (b[i] & 0xf0) == 0x40)
        in->rex = b[i++];
    in->prefixes = i;
    if (i >= n)
        return 0;
    in->op[0] = b[i];
    in->op[1] = i + 1 < n ? b[i + 1] : 0;
    in->op[2] = i + 2 < n ? b[i + 2] : 0;
    switch (b[i]) {
    case 0xf4:                                  /* HLT */
    case 0x6c: case 0x6d: case 0x6e: case 0x6f: /* INS, OUTS */
    case 0xec: case 0xed: case 0xee: case 0xef: /* IN, OUT with DX */
        in->len = i + 1;
        break;
    case 0xe4: case 0xe5: case 0xe6: case 0xe7: /* IN, OUT imm8 */
        if (i + 1 >= n)
            return 0;                           /* the immediate was not read */
        in->len = i + 2;
        break;
    case 0x0f:
        if (i + 1 >= n)
            return 0;
        switch (in->op[1]) {
        case 0xa2: case 0x30: case 0x32: case 0x33: case 0x08: case 0x09: case 0x31:
            in->len = i + 2;                    /* CPUID WRMSR RDMSR RDPMC INVD WBINVD RDTSC */
            break;
        case 0x01:                              /* VMCALL C1, XSETBV D1, VMMCALL D9, RDTSCP F9, ... */
        case 0x20: case 0x22:                   /* MOV from/to CR: ModRM, always a register (mod ignored) */
            if (i + 2 >= n)
                return 0;
            in->len = i + 3;
            break;
        default:
            return 0;
        }
        break;
    default:
        return 0;
    }
    return in->len <= 15 ? in->len : 0;
}


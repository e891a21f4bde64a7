/*
 * The guest-visible CPU policy table (see asm/cpu_policy.h). Bit numbers
 * and names: SDM Vol. 2A, CPUID (tables 3-8 to 3-11, leaf 7 and 0DH) and
 * Vol. 4 (MSRs); AMD's extended-leaf bits: APM Vol. 3, appendix E.
 */
#include <stdio.h>
#include <string.h>
#include <asm/cpu_policy.h>

#define B(l, s, r, b, k, n, w) { l, s, POL_##r, b, POL_##k, n, w, POL_NEED_NONE }
/* A bit that works only with a VMX control: passed through when Keel has it. */
#define BC(l, s, r, b, need, n, w) { l, s, POL_##r, b, POL_COND, n, w, POL_NEED_##need }

/* Reasons used more than once. */
#define WHY_ISA     "instruction set: runs in the guest without exits"
#define WHY_AVX512  "AVX-512: in the guest; hidden with cpuid=no-avx512"
#define WHY_PMU     "no virtual PMU or debug store"
#define WHY_POWER   "no virtual thermal or power management"
#define WHY_SPEC    "speculation-control MSRs are not virtualized: a guest seeing them would #GP"
#define WHY_NOVIRT  "not virtualized"
#define WHY_MPX     "MPX: removed from Linux, its XSAVE states not offered"
#define WHY_AMX     "AMX: needs XFD and 8 KiB of state per vCPU, not virtualized"
#define WHY_CET     "CET: its MSRs and supervisor XSAVE states are not virtualized"

const struct pol_cpuid_bit pol_cpuid_bits[] = {
    /* Leaf 1 ECX */
    B(1, 0, ECX, 0, PASS, "SSE3", WHY_ISA), B(1, 0, ECX, 1, PASS, "PCLMULQDQ", WHY_ISA),
    B(1, 0, ECX, 2, HIDE, "DTES64", WHY_PMU), B(1, 0, ECX, 3, HIDE, "MONITOR", "MONITOR/MWAIT exit and #UD"),
    B(1, 0, ECX, 4, HIDE, "DS-CPL", WHY_PMU), B(1, 0, ECX, 5, HIDE, "VMX", "no nested virtualization yet"),
    B(1, 0, ECX, 6, HIDE, "SMX", "GETSEC is not for guests"), B(1, 0, ECX, 7, HIDE, "EIST", WHY_POWER),
    B(1, 0, ECX, 8, HIDE, "TM2", WHY_POWER), B(1, 0, ECX, 9, PASS, "SSSE3", WHY_ISA),
    B(1, 0, ECX, 10, HIDE, "CNXT-ID", "no L1 context-ID MSR"), B(1, 0, ECX, 11, HIDE, "SDBG", "no silicon debug MSR"),
    B(1, 0, ECX, 12, PASS, "FMA", WHY_ISA), B(1, 0, ECX, 13, PASS, "CMPXCHG16B", WHY_ISA),
    B(1, 0, ECX, 14, HIDE, "xTPR", "no xTPR messages to a virtual chipset"), B(1, 0, ECX, 15, HIDE, "PDCM", WHY_PMU),
    B(1, 0, ECX, 17, PASS, "PCID", "CR4.PCIDE and INVPCID's TLB tags: EPT and VPID keep them apart"),
    B(1, 0, ECX, 18, HIDE, "DCA", "no direct cache access"), B(1, 0, ECX, 19, PASS, "SSE4.1", WHY_ISA),
    B(1, 0, ECX, 20, PASS, "SSE4.2", WHY_ISA), B(1, 0, ECX, 21, EMUL, "x2APIC", "the virtual LAPIC has x2APIC mode"),
    B(1, 0, ECX, 22, PASS, "MOVBE", WHY_ISA), B(1, 0, ECX, 23, PASS, "POPCNT", WHY_ISA),
    B(1, 0, ECX, 24, EMUL, "TSC-deadline", "the virtual LAPIC has TSC-deadline mode"),
    B(1, 0, ECX, 25, PASS, "AES", WHY_ISA), B(1, 0, ECX, 26, PASS, "XSAVE", "XCR0 checked by XSETBV's exit, state switched"),
    B(1, 0, ECX, 27, LIVE, "OSXSAVE", "the guest's CR4.OSXSAVE"), B(1, 0, ECX, 28, PASS, "AVX", WHY_ISA),
    B(1, 0, ECX, 29, PASS, "F16C", WHY_ISA), B(1, 0, ECX, 30, PASS, "RDRAND", WHY_ISA),
    B(1, 0, ECX, 31, EMUL, "hypervisor", "a guest runs under a hypervisor (leaves 0x40000000-)"),
    /* Leaf 1 EDX */
    B(1, 0, EDX, 0, PASS, "FPU", WHY_ISA), B(1, 0, EDX, 1, PASS, "VME", "virtual-8086 extensions, in the guest"),
    B(1, 0, EDX, 2, PASS, "DE", "CR4.DE: the guest's debug registers"), B(1, 0, EDX, 3, PASS, "PSE", "the guest's paging"),
    B(1, 0, EDX, 4, PASS, "TSC", "RDTSC without exits, plus the guest's offset"),
    B(1, 0, EDX, 5, PASS, "MSR", "RDMSR/WRMSR: the MSR table below"), B(1, 0, EDX, 6, PASS, "PAE", "the guest's paging"),
    B(1, 0, EDX, 7, HIDE, "MCE", "#MC is the host's; no virtual machine-check banks"),
    B(1, 0, EDX, 8, PASS, "CX8", WHY_ISA), B(1, 0, EDX, 9, EMUL, "APIC", "the virtual LAPIC"),
    B(1, 0, EDX, 11, PASS, "SEP", "SYSENTER: its MSRs are in the VMCS"),
    B(1, 0, EDX, 12, EMUL, "MTRR", "MTRRCAP 0 and MTRR_DEF_TYPE kept: EPT maps RAM write-back"),
    B(1, 0, EDX, 13, PASS, "PGE", "the guest's paging"), B(1, 0, EDX, 14, HIDE, "MCA", "no virtual machine-check banks"),
    B(1, 0, EDX, 15, PASS, "CMOV", WHY_ISA), B(1, 0, EDX, 16, EMUL, "PAT", "IA32_PAT switched by VM entry and exit"),
    B(1, 0, EDX, 17, PASS, "PSE-36", "the guest's paging"), B(1, 0, EDX, 18, HIDE, "PSN", "no serial number"),
    B(1, 0, EDX, 19, PASS, "CLFSH", WHY_ISA), B(1, 0, EDX, 21, HIDE, "DS", WHY_PMU),
    B(1, 0, EDX, 22, HIDE, "ACPI", WHY_POWER), B(1, 0, EDX, 23, PASS, "MMX", WHY_ISA),
    B(1, 0, EDX, 24, PASS, "FXSR", WHY_ISA), B(1, 0, EDX, 25, PASS, "SSE", WHY_ISA),
    B(1, 0, EDX, 26, PASS, "SSE2", WHY_ISA), B(1, 0, EDX, 27, PASS, "SS", "self-snoop: a cache property"),
    B(1, 0, EDX, 28, EMUL, "HTT", "set with more than one vCPU (EBX[23:16])"),
    B(1, 0, EDX, 29, HIDE, "TM", WHY_POWER), B(1, 0, EDX, 31, HIDE, "PBE", WHY_POWER),
    /* Leaf 7.0 EBX */
    B(7, 0, EBX, 0, PASS, "FSGSBASE", "CR4.FSGSBASE; FS/GS bases are in the VMCS"),
    B(7, 0, EBX, 1, HIDE, "TSC_ADJUST", "IA32_TSC_ADJUST is not emulated (IA32_TSC is)"),
    B(7, 0, EBX, 2, HIDE, "SGX", WHY_NOVIRT), B(7, 0, EBX, 3, PASS, "BMI1", WHY_ISA),
    B(7, 0, EBX, 4, PASS, "HLE", WHY_ISA), B(7, 0, EBX, 5, PASS, "AVX2", WHY_ISA),
    B(7, 0, EBX, 6, PASS, "FDP_EXCPTN_ONLY", "an FPU property"), B(7, 0, EBX, 7, PASS, "SMEP", "CR4.SMEP, the guest's"),
    B(7, 0, EBX, 8, PASS, "BMI2", WHY_ISA), B(7, 0, EBX, 9, PASS, "ERMS", WHY_ISA),
    BC(7, 0, EBX, 10, INVPCID, "INVPCID", "needs VMX's enable-INVPCID control (else #UD)"),
    B(7, 0, EBX, 11, PASS, "RTM", WHY_ISA), B(7, 0, EBX, 12, HIDE, "RDT-M", "no resource monitoring MSRs"),
    B(7, 0, EBX, 13, PASS, "FPU_CSDS_DEPRECATED", "an FPU property"),
    B(7, 0, EBX, 14, HIDE, "MPX", WHY_MPX), B(7, 0, EBX, 15, HIDE, "RDT-A", "no resource allocation MSRs"),
    B(7, 0, EBX, 16, PASS, "AVX512F", WHY_AVX512), B(7, 0, EBX, 17, PASS, "AVX512DQ", WHY_AVX512),
    B(7, 0, EBX, 18, PASS, "RDSEED", WHY_ISA), B(7, 0, EBX, 19, PASS, "ADX", WHY_ISA),
    B(7, 0, EBX, 20, PASS, "SMAP", "CR4.SMAP, the guest's"), B(7, 0, EBX, 21, PASS, "AVX512_IFMA", WHY_AVX512),
    B(7, 0, EBX, 23, PASS, "CLFLUSHOPT", WHY_ISA), B(7, 0, EBX, 24, PASS, "CLWB", WHY_ISA),
    B(7, 0, EBX, 25, HIDE, "PT", "Processor Trace writes physical memory: not for guests"),
    B(7, 0, EBX, 26, PASS, "AVX512PF", WHY_AVX512), B(7, 0, EBX, 27, PASS, "AVX512ER", WHY_AVX512),
    B(7, 0, EBX, 28, PASS, "AVX512CD", WHY_AVX512), B(7, 0, EBX, 29, PASS, "SHA", WHY_ISA),
    B(7, 0, EBX, 30, PASS, "AVX512BW", WHY_AVX512), B(7, 0, EBX, 31, PASS, "AVX512VL", WHY_AVX512),
    /* Leaf 7.0 ECX */
    B(7, 0, ECX, 0, PASS, "PREFETCHWT1", WHY_ISA), B(7, 0, ECX, 1, PASS, "AVX512_VBMI", WHY_AVX512),
    B(7, 0, ECX, 2, PASS, "UMIP", "CR4.UMIP, the guest's"), B(7, 0, ECX, 3, PASS, "PKU", "CR4.PKE and PKRU, the guest's"),
    B(7, 0, ECX, 4, LIVE, "OSPKE", "the guest's CR4.PKE"), B(7, 0, ECX, 5, HIDE, "WAITPKG", "TPAUSE/UMWAIT control MSR not virtualized"),
    B(7, 0, ECX, 6, PASS, "AVX512_VBMI2", WHY_AVX512), B(7, 0, ECX, 7, HIDE, "CET_SS", WHY_CET),
    B(7, 0, ECX, 8, PASS, "GFNI", WHY_ISA), B(7, 0, ECX, 9, PASS, "VAES", WHY_ISA),
    B(7, 0, ECX, 10, PASS, "VPCLMULQDQ", WHY_ISA), B(7, 0, ECX, 11, PASS, "AVX512_VNNI", WHY_AVX512),
    B(7, 0, ECX, 12, PASS, "AVX512_BITALG", WHY_AVX512), B(7, 0, ECX, 13, HIDE, "TME", "memory encryption is the host's"),
    B(7, 0, ECX, 14, PASS, "AVX512_VPOPCNTDQ", WHY_AVX512),
    B(7, 0, ECX, 16, PASS, "LA57", "5-level paging: CR4.LA57, and Keel's guest walk has 5 levels"),
    BC(7, 0, ECX, 22, RDTSCP, "RDPID", "reads TSC_AUX; needs VMX's enable-RDTSCP control (else #UD)"),
    B(7, 0, ECX, 23, HIDE, "KL", "Key Locker: not virtualized"), B(7, 0, ECX, 25, PASS, "CLDEMOTE", WHY_ISA),
    B(7, 0, ECX, 27, PASS, "MOVDIRI", WHY_ISA), B(7, 0, ECX, 28, PASS, "MOVDIR64B", WHY_ISA),
    B(7, 0, ECX, 29, HIDE, "ENQCMD", "needs PASID state, not virtualized"),
    B(7, 0, ECX, 30, HIDE, "SGX_LC", WHY_NOVIRT), B(7, 0, ECX, 31, HIDE, "PKS", "IA32_PKRS is not virtualized"),
    /* Leaf 7.0 EDX */
    B(7, 0, EDX, 2, PASS, "AVX512_4VNNIW", WHY_AVX512), B(7, 0, EDX, 3, PASS, "AVX512_4FMAPS", WHY_AVX512),
    B(7, 0, EDX, 4, PASS, "FSRM", WHY_ISA), B(7, 0, EDX, 5, HIDE, "UINTR", WHY_NOVIRT),
    B(7, 0, EDX, 8, PASS, "AVX512_VP2INTERSECT", WHY_AVX512), B(7, 0, EDX, 9, HIDE, "SRBDS_CTRL", WHY_SPEC),
    B(7, 0, EDX, 10, PASS, "MD_CLEAR", "VERW clears buffers; no MSR needed"),
    B(7, 0, EDX, 11, PASS, "RTM_ALWAYS_ABORT", "a TSX property"), B(7, 0, EDX, 13, HIDE, "TSX_FORCE_ABORT", WHY_SPEC),
    B(7, 0, EDX, 14, PASS, "SERIALIZE", WHY_ISA), B(7, 0, EDX, 15, HIDE, "HYBRID", "the virtual topology is uniform"),
    B(7, 0, EDX, 16, PASS, "TSXLDTRK", WHY_ISA), B(7, 0, EDX, 18, HIDE, "PCONFIG", "memory encryption is the host's"),
    B(7, 0, EDX, 19, HIDE, "ARCH_LBR", WHY_PMU), B(7, 0, EDX, 20, HIDE, "CET_IBT", WHY_CET),
    B(7, 0, EDX, 22, HIDE, "AMX_BF16", WHY_AMX), B(7, 0, EDX, 23, PASS, "AVX512_FP16", WHY_AVX512),
    B(7, 0, EDX, 24, HIDE, "AMX_TILE", WHY_AMX), B(7, 0, EDX, 25, HIDE, "AMX_INT8", WHY_AMX),
    B(7, 0, EDX, 26, HIDE, "IBRS_IBPB", WHY_SPEC), B(7, 0, EDX, 27, HIDE, "STIBP", WHY_SPEC),
    B(7, 0, EDX, 28, HIDE, "L1D_FLUSH", WHY_SPEC), B(7, 0, EDX, 29, HIDE, "ARCH_CAPABILITIES", WHY_SPEC),
    B(7, 0, EDX, 30, HIDE, "CORE_CAPABILITIES", WHY_SPEC), B(7, 0, EDX, 31, HIDE, "SSBD", WHY_SPEC),
    /* Leaf 7.1 EAX */
    B(7, 1, EAX, 4, PASS, "AVX_VNNI", WHY_ISA), B(7, 1, EAX, 5, PASS, "AVX512_BF16", WHY_AVX512),
    B(7, 1, EAX, 10, PASS, "FZLRM", WHY_ISA), B(7, 1, EAX, 11, PASS, "FSRS", WHY_ISA),
    B(7, 1, EAX, 12, PASS, "FSRC", WHY_ISA),
    /* Leaf 0DH.1 EAX */
    B(0xd, 1, EAX, 0, PASS, "XSAVEOPT", WHY_ISA), B(0xd, 1, EAX, 1, PASS, "XSAVEC", WHY_ISA),
    B(0xd, 1, EAX, 2, PASS, "XGETBV_ECX1", WHY_ISA),
    BC(0xd, 1, EAX, 3, XSAVES, "XSAVES", "needs VMX's enable-XSAVES control (else #UD); IA32_XSS is checked"),
    B(0xd, 1, EAX, 4, HIDE, "XFD", WHY_AMX),
    /* Leaf 80000001H ECX (Intel and AMD) */
    B(0x80000001u, 0, ECX, 0, PASS, "LAHF_LM", WHY_ISA), B(0x80000001u, 0, ECX, 2, HIDE, "SVM", "no nested virtualization yet"),
    B(0x80000001u, 0, ECX, 5, PASS, "ABM_LZCNT", WHY_ISA), B(0x80000001u, 0, ECX, 6, PASS, "SSE4A", WHY_ISA),
    B(0x80000001u, 0, ECX, 7, PASS, "MISALIGNSSE", WHY_ISA), B(0x80000001u, 0, ECX, 8, PASS, "PREFETCHW", WHY_ISA),
    B(0x80000001u, 0, ECX, 11, PASS, "XOP", WHY_ISA), B(0x80000001u, 0, ECX, 16, PASS, "FMA4", WHY_ISA),
    B(0x80000001u, 0, ECX, 21, PASS, "TBM", WHY_ISA),
    /* Leaf 80000001H EDX */
    B(0x80000001u, 0, EDX, 11, PASS, "SYSCALL", "its MSRs are switched per vCPU"),
    B(0x80000001u, 0, EDX, 20, PASS, "NX", "EFER.NXE, the guest's"), B(0x80000001u, 0, EDX, 22, PASS, "MMXEXT", WHY_ISA),
    B(0x80000001u, 0, EDX, 25, PASS, "FFXSR", WHY_ISA),
    B(0x80000001u, 0, EDX, 26, PASS, "PAGE1GB", "the guest's paging (EPT translates beneath it)"),
    BC(0x80000001u, 0, EDX, 27, RDTSCP, "RDTSCP", "needs VMX's enable-RDTSCP control (else #UD)"),
    B(0x80000001u, 0, EDX, 29, PASS, "LM", "long mode"), B(0x80000001u, 0, EDX, 30, PASS, "3DNOWEXT", WHY_ISA),
    B(0x80000001u, 0, EDX, 31, PASS, "3DNOW", WHY_ISA),
    /* Leaf 80000007H EDX */
    B(0x80000007u, 0, EDX, 8, PASS, "INVARIANT_TSC", "the guest TSC is the host's plus a constant offset"),
    /* Leaf 80000008H EBX */
    B(0x80000008u, 0, EBX, 0, PASS, "CLZERO", WHY_ISA), B(0x80000008u, 0, EBX, 2, PASS, "RSTR_FP_ERR_PTRS", "an FPU property"),
    B(0x80000008u, 0, EBX, 9, PASS, "WBNOINVD", "exits like WBINVD"),
    B(0x80000008u, 0, EBX, 12, HIDE, "AMD_IBPB", WHY_SPEC), B(0x80000008u, 0, EBX, 14, HIDE, "AMD_IBRS", WHY_SPEC),
    B(0x80000008u, 0, EBX, 15, HIDE, "AMD_STIBP", WHY_SPEC), B(0x80000008u, 0, EBX, 24, HIDE, "AMD_SSBD", WHY_SPEC),
    B(0x80000008u, 0, EBX, 25, HIDE, "VIRT_SSBD", WHY_SPEC),
};
const unsigned pol_nr_cpuid_bits = sizeof(pol_cpuid_bits) / sizeof(pol_cpuid_bits[0]);

/* Whole leaves; the feature registers above are cut to their bits. */
const struct pol_cpuid_leaf pol_cpuid_leaves[] = {
    { 0x0, 0x0, POL_EMUL, "max leaf, vendor", "the host's vendor; at least 0x16 (the TSC leaves)" },
    { 0x1, 0x1, POL_EMUL, "family, APIC ID, features", "EAX the host's; EBX: the vCPU's APIC ID and count" },
    { 0x2, 0x2, POL_PASS, "cache descriptors", "a property of the caches the guest runs on" },
    { 0x4, 0x4, POL_PASS, "cache parameters", "the caches the guest runs on" },
    { 0x7, 0x7, POL_EMUL, "structured features", "the bits above" },
    { 0xb, 0xb, POL_EMUL, "x2APIC topology", "one thread per core, a core per vCPU" },
    { 0xd, 0xd, POL_EMUL, "XSAVE", "components and sizes from the XSAVE policy and the guest's XCR0/XSS" },
    { 0x15, 0x15, POL_EMUL, "TSC/crystal", "the TSC against the virtual LAPIC timer's clock" },
    { 0x16, 0x16, POL_EMUL, "frequencies", "the calibrated TSC and the LAPIC timer" },
    { 0x18, 0x18, POL_PASS, "TLB parameters", "a property of the TLBs" },
    { 0x1f, 0x1f, POL_EMUL, "V2 topology", "as leaf 0BH" },
    { 0x40000000u, 0x400000ffu, POL_EMUL, "Keel's leaves", "signature KeelKeelKeel, version, TSC and LAPIC clocks" },
    { 0x80000000u, 0x80000000u, POL_EMUL, "max extended leaf", "the host's, at most 80000008H" },
    { 0x80000001u, 0x80000001u, POL_EMUL, "extended features", "EAX/EBX the host's; the bits above" },
    { 0x80000002u, 0x80000004u, POL_PASS, "brand string", "the host's name" },
    { 0x80000005u, 0x80000006u, POL_PASS, "cache and TLB (AMD, L2)", "properties of the caches" },
    { 0x80000007u, 0x80000007u, POL_EMUL, "power management", "invariant TSC only" },
    { 0x80000008u, 0x80000008u, POL_EMUL, "address sizes", "EAX the host's (MAXPHYADDR); EBX the bits above" },
};
const unsigned pol_nr_cpuid_leaves = sizeof(pol_cpuid_leaves) / sizeof(pol_cpuid_leaves[0]);

/* Every other MSR #GPs (and is hidden by the CPUID bits that would announce it). */
const struct pol_msr pol_msrs[] = {
    { 0x10, 0x10, POL_EMUL, "IA32_TSC", "RDMSR/WRMSR through the vCPU's TSC offset" },
    { 0x17, 0x17, POL_EMUL, "IA32_PLATFORM_ID", "reads 0" },
    { 0x1b, 0x1b, POL_EMUL, "IA32_APIC_BASE", "the virtual LAPIC: enable, disable, x2APIC; no relocation" },
    { 0x3a, 0x3a, POL_EMUL, "IA32_FEATURE_CONTROL", "locked with VMX off (no nesting)" },
    { 0x8b, 0x8b, POL_EMUL, "IA32_BIOS_SIGN_ID", "reads 0; microcode loads are ignored" },
    { 0xfe, 0xfe, POL_EMUL, "IA32_MTRRCAP", "0: no variable or fixed ranges" },
    { 0x174, 0x176, POL_EMUL, "IA32_SYSENTER_CS/ESP/EIP", "in the VMCS" },
    { 0x1a0, 0x1a0, POL_EMUL, "IA32_MISC_ENABLE", "fast strings, TCC, xTPR disable kept; RO bits fixed" },
    { 0x277, 0x277, POL_EMUL, "IA32_PAT", "checked, switched by VM entry and exit" },
    { 0x2ff, 0x2ff, POL_EMUL, "IA32_MTRR_DEF_TYPE", "kept, not applied (EPT maps RAM write-back)" },
    { 0x6e0, 0x6e0, POL_EMUL, "IA32_TSC_DEADLINE", "the virtual LAPIC's timer" },
    { 0x800, 0x8ff, POL_EMUL, "x2APIC registers", "the virtual LAPIC in x2APIC mode" },
    { 0xda0, 0xda0, POL_EMUL, "IA32_XSS", "only the supervisor components of the XSAVE policy (none)" },
    { 0xc0000080u, 0xc0000080u, POL_EMUL, "IA32_EFER", "SCE, LME, NXE; LMA follows CR0.PG" },
    { 0xc0000081u, 0xc0000084u, POL_PASS, "STAR/LSTAR/CSTAR/SFMASK", "SYSCALL: switched with the vCPU" },
    { 0xc0000100u, 0xc0000101u, POL_EMUL, "IA32_FS_BASE/GS_BASE", "in the VMCS" },
    { 0xc0000102u, 0xc0000102u, POL_PASS, "IA32_KERNEL_GS_BASE", "SWAPGS: switched with the vCPU" },
    { 0xc0000103u, 0xc0000103u, POL_PASS, "IA32_TSC_AUX", "RDTSCP/RDPID: switched with the vCPU" },
    /* AMD's own (APM Vol. 2 appendix A; BKDG/PPR), on AMD hosts only: an Intel guest #GPs. */
    { 0xc0010010u, 0xc0010010u, POL_EMUL, "SYSCFG (AMD)", "reads 0: no memory encryption, no MTRR extensions" },
    { 0xc0010015u, 0xc0010015u, POL_EMUL, "HWCR (AMD)", "TscFreqSel set; writes kept, not applied" },
    { 0xc0010055u, 0xc0010055u, POL_EMUL, "INT_PENDING_MSG (AMD K8)", "reads 0: no C1E" },
    { 0xc0011029u, 0xc0011029u, POL_EMUL, "DE_CFG (AMD)", "LFENCE serializing; writes kept, not applied" },
};
const unsigned pol_nr_msrs = sizeof(pol_msrs) / sizeof(pol_msrs[0]);

/* Control and debug registers; CR3 (EPT: the guest's, no exits) is not a bit list. */
const struct pol_reg_bit pol_reg_bits[] = {
    { 0, 0, POL_PASS, "CR0.PE", "unrestricted guest" }, { 0, 1, POL_PASS, "CR0.MP", "the guest's FPU" },
    { 0, 2, POL_PASS, "CR0.EM", "the guest's FPU" }, { 0, 3, POL_PASS, "CR0.TS", "the guest's FPU" },
    { 0, 4, POL_PASS, "CR0.ET", "reads 1" }, { 0, 5, POL_EMUL, "CR0.NE", "VMX keeps it 1; the guest's value in the shadow" },
    { 0, 16, POL_PASS, "CR0.WP", "the guest's paging" }, { 0, 18, POL_PASS, "CR0.AM", "the guest's" },
    { 0, 29, POL_EMUL, "CR0.NW", "shadow only: guest RAM stays write-back" },
    { 0, 30, POL_EMUL, "CR0.CD", "shadow only: the host's caches are not the guest's to turn off" },
    { 0, 31, POL_PASS, "CR0.PG", "unrestricted guest; EFER.LMA and the IA-32e entry control follow it" },
    { 4, 0, POL_PASS, "CR4.VME", "the guest's" }, { 4, 1, POL_PASS, "CR4.PVI", "the guest's" },
    { 4, 2, POL_PASS, "CR4.TSD", "the guest's" }, { 4, 3, POL_PASS, "CR4.DE", "the guest's" },
    { 4, 4, POL_PASS, "CR4.PSE", "the guest's paging" }, { 4, 5, POL_PASS, "CR4.PAE", "the guest's paging" },
    { 4, 6, POL_PASS, "CR4.MCE", "the guest's (#MC itself exits to the host)" },
    { 4, 7, POL_PASS, "CR4.PGE", "the guest's paging" },
    { 4, 8, POL_PASS, "CR4.PCE", "allowed, but RDPMC exits and #GPs: no PMU" },
    { 4, 9, POL_PASS, "CR4.OSFXSR", "the guest's FPU" }, { 4, 10, POL_PASS, "CR4.OSXMMEXCPT", "the guest's FPU" },
    { 4, 11, POL_PASS, "CR4.UMIP", "the guest's (if the CPU has it)" },
    { 4, 12, POL_PASS, "CR4.LA57", "5-level paging (if the CPU has it)" },
    { 4, 13, POL_HIDE, "CR4.VMXE", "no nested virtualization yet" }, { 4, 14, POL_HIDE, "CR4.SMXE", "no SMX" },
    { 4, 16, POL_PASS, "CR4.FSGSBASE", "the guest's" }, { 4, 17, POL_PASS, "CR4.PCIDE", "the guest's" },
    { 4, 18, POL_PASS, "CR4.OSXSAVE", "XSETBV exits and is checked" }, { 4, 19, POL_HIDE, "CR4.KL", "no Key Locker" },
    { 4, 20, POL_PASS, "CR4.SMEP", "the guest's" }, { 4, 21, POL_PASS, "CR4.SMAP", "the guest's" },
    { 4, 22, POL_PASS, "CR4.PKE", "PKRU is the guest's XSAVE state" }, { 4, 23, POL_HIDE, "CR4.CET", WHY_CET },
    { 4, 24, POL_HIDE, "CR4.PKS", "IA32_PKRS is not virtualized" },
    { 8, 0, POL_EMUL, "CR8 (TPR)", "the virtual LAPIC's TPR[7:4]; never the physical TPR (CR8 exits)" },
    { 'D', 0, POL_EMUL, "DR0-DR3, DR6", "MOV DR exits until first use, then switched with the vCPU" },
    { 'D', 7, POL_EMUL, "DR7, IA32_DEBUGCTL", "saved and loaded by VM exit and entry (debug controls)" },
};
const unsigned pol_nr_reg_bits = sizeof(pol_reg_bits) / sizeof(pol_reg_bits[0]);

const struct pol_xsave pol_xsave[] = {
    { 0, POL_PASS, "x87", "always on" }, { 1, POL_PASS, "SSE", "switched with the vCPU" },
    { 2, POL_PASS, "AVX", "switched with the vCPU" }, { 3, POL_HIDE, "MPX BNDREGS", WHY_MPX },
    { 4, POL_HIDE, "MPX BNDCSR", WHY_MPX }, { 5, POL_PASS, "AVX-512 opmask", WHY_AVX512 },
    { 6, POL_PASS, "AVX-512 ZMM_Hi256", WHY_AVX512 }, { 7, POL_PASS, "AVX-512 Hi16_ZMM", WHY_AVX512 },
    { 8, POL_HIDE, "PT (supervisor)", "Processor Trace: its output base is host-physical" },
    { 9, POL_PASS, "PKRU", "the guest's protection keys" }, { 10, POL_HIDE, "PASID (supervisor)", WHY_NOVIRT },
    { 11, POL_HIDE, "CET_U (supervisor)", WHY_CET }, { 12, POL_HIDE, "CET_S (supervisor)", WHY_CET },
    { 13, POL_HIDE, "HDC (supervisor)", WHY_POWER }, { 14, POL_HIDE, "UINTR (supervisor)", WHY_NOVIRT },
    { 15, POL_HIDE, "LBR (supervisor)", WHY_PMU }, { 16, POL_HIDE, "HWP (supervisor)", WHY_POWER },
    { 17, POL_HIDE, "AMX TILECFG", WHY_AMX }, { 18, POL_HIDE, "AMX TILEDATA", WHY_AMX },
};
const unsigned pol_nr_xsave = sizeof(pol_xsave) / sizeof(pol_xsave[0]);

/* AVX-512 bits (cpuid=no-avx512 hides them): their names start so. */
static int is_avx512(const struct pol_cpuid_bit *b)
{
    return !strncmp(b->name, "AVX512", 6);
}

static int need_met(const struct pol_host *h, unsigned need)
{
    switch (need) {
    case POL_NEED_RDTSCP: return h->rdtscp;
    case POL_NEED_INVPCID: return h->invpcid;
    case POL_NEED_XSAVES: return h->xsaves;
    }
    return 0;
}

int pol_cpuid_reg(uint32_t leaf, uint32_t sub, unsigned reg, const struct pol_host *h, uint32_t *pass,
                  uint32_t *set)
{
    int found = 0;

    *pass = *set = 0;
    for (unsigned i = 0; i < pol_nr_cpuid_bits; i++) {
        const struct pol_cpuid_bit *b = &pol_cpuid_bits[i];

        if (b->leaf != leaf || b->sub != sub || b->reg != reg)
            continue;
        found = 1;
        switch (b->kind) {
        case POL_PASS:
            if (!(h->no_avx512 && is_avx512(b)))
                *pass |= 1u << b->bit;
            break;
        case POL_EMUL:
            *set |= 1u << b->bit;
            break;
        case POL_COND:
            if (need_met(h, b->need))
                *pass |= 1u << b->bit;
            break;
        }
    }
    return found;
}

int pol_cpuid_leaf_kind(uint32_t leaf)
{
    for (unsigned i = 0; i < pol_nr_cpuid_leaves; i++)
        if (leaf >= pol_cpuid_leaves[i].first && leaf <= pol_cpuid_leaves[i].last)
            return pol_cpuid_leaves[i].kind;
    return POL_HIDE;
}

int pol_msr_kind(uint32_t msr)
{
    for (unsigned i = 0; i < pol_nr_msrs; i++)
        if (msr >= pol_msrs[i].first && msr <= pol_msrs[i].last)
            return pol_msrs[i].kind;
    return POL_HIDE;
}

int pol_cr_bit(unsigned cr, unsigned bit)
{
    for (unsigned i = 0; i < pol_nr_reg_bits; i++)
        if (pol_reg_bits[i].reg == cr && pol_reg_bits[i].bit == bit)
            return pol_reg_bits[i].kind;
    return POL_HIDE;
}

uint64_t pol_cr4_allowed(void)
{
    uint64_t m = 0;

    for (unsigned i = 0; i < pol_nr_reg_bits; i++)
        if (pol_reg_bits[i].reg == 4 && pol_reg_bits[i].kind != POL_HIDE)
            m |= 1ull << pol_reg_bits[i].bit;
    return m;
}

static uint64_t xsave_mask(int supervisor, const struct pol_host *h)
{
    uint64_t m = 0;

    for (unsigned i = 0; i < pol_nr_xsave; i++) {
        const struct pol_xsave *x = &pol_xsave[i];
        int sup = x->comp == 8 || (x->comp >= 10 && x->comp <= 16);     /* 13.2: IA32_XSS components */
        if (x->kind == POL_PASS && sup == supervisor && !(h && h->no_avx512 && x->comp >= 5 && x->comp <= 7))
            m |= 1ull << x->comp;
    }
    return m;
}

uint64_t pol_xcr0_allowed(const struct pol_host *h)
{
    return xsave_mask(0, h);
}

uint64_t pol_xss_allowed(void)
{
    return xsave_mask(1, NULL);
}

static const char *kind_name(unsigned k)
{
    static const char *const names[] = { "hidden", "passed", "emulated", "live", "if-VMX" };
    return k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void pol_dump(void (*out)(const char *line))
{
    static const char regs[] = "abcd";
    char line[192];

    for (unsigned i = 0; i < pol_nr_cpuid_leaves; i++) {
        const struct pol_cpuid_leaf *l = &pol_cpuid_leaves[i];
        snprintf(line, sizeof(line), "@@POLICY cpuid-leaf %#x-%#x %s: %s (%s)\n", l->first, l->last,
                 kind_name(l->kind), l->name, l->why);
        out(line);
    }
    out("@@POLICY cpuid-leaf other hidden: reads 0 (allowlist)\n");
    for (unsigned i = 0; i < pol_nr_cpuid_bits; i++) {
        const struct pol_cpuid_bit *b = &pol_cpuid_bits[i];
        snprintf(line, sizeof(line), "@@POLICY cpuid %#x.%u e%cx[%u] %s %s: %s\n", b->leaf, b->sub, regs[b->reg],
                 b->bit, b->name, kind_name(b->kind), b->why);
        out(line);
    }
    for (unsigned i = 0; i < pol_nr_msrs; i++) {
        const struct pol_msr *m = &pol_msrs[i];
        snprintf(line, sizeof(line), "@@POLICY msr %#x-%#x %s %s: %s\n", m->first, m->last, m->name,
                 kind_name(m->kind), m->why);
        out(line);
    }
    out("@@POLICY msr other hidden: #GP\n");
    for (unsigned i = 0; i < pol_nr_reg_bits; i++) {
        const struct pol_reg_bit *r = &pol_reg_bits[i];
        snprintf(line, sizeof(line), "@@POLICY reg %s %s: %s\n", r->name, kind_name(r->kind), r->why);
        out(line);
    }
    for (unsigned i = 0; i < pol_nr_xsave; i++) {
        const struct pol_xsave *x = &pol_xsave[i];
        snprintf(line, sizeof(line), "@@POLICY xsave %u %s %s: %s\n", x->comp, x->name, kind_name(x->kind), x->why);
        out(line);
    }
}

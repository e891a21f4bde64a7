/*
 * What `kl info` says of the host that only the CPU knows: the topology
 * (CPUID leaf 0BH, SDM Vol. 2A "CPUID" / Vol. 3A 10.12.8; AMD's
 * 80000008H/8000001EH, APM Vol. 3 E.4) and the feature words `xl info`
 * prints as hw_caps.
 */
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/hvm.h>
#include <keel/arch.h>
#include <keel/percpu.h>
#include <public/keel.h>

static void topology(uint32_t max_leaf, uint32_t max_ext, uint32_t *threads, uint32_t *cores)
{
    uint32_t t = 0, per_pkg = 0;

    if (max_leaf >= 0xb && (cpuid_count(0xb, 0).ecx >> 8 & 0xff) == 1) {       /* level type SMT */
        t = cpuid_count(0xb, 0).ebx & 0xffff;
        if ((cpuid_count(0xb, 1).ecx >> 8 & 0xff) == 2)                         /* level type core */
            per_pkg = cpuid_count(0xb, 1).ebx & 0xffff;
    } else if (max_ext >= 0x80000008) {
        per_pkg = (cpuid(0x80000008).ecx & 0xff) + 1;
        t = max_ext >= 0x8000001e ? (cpuid(0x8000001e).ebx >> 8 & 0xff) + 1 : 1;
    }
    if (!t || !per_pkg || per_pkg < t) {                /* emulators may leave the leaves empty */
        t = 1;
        per_pkg = nr_cpus_online;
    }
    *threads = t;
    *cores = per_pkg / t;
}

void arch_physinfo(struct keel_physinfo *pi)
{
    uint32_t max_leaf = cpuid(0).eax, max_ext = cpuid(0x80000000).eax;
    struct cpuid_regs l1 = cpuid(1), zero = { 0 };
    struct cpuid_regs e1 = max_ext >= 0x80000001 ? cpuid(0x80000001) : zero;
    struct cpuid_regs l7 = max_leaf >= 7 ? cpuid_count(7, 0) : zero;
    struct cpuid_regs da1 = max_leaf >= 0xd ? cpuid_count(0xd, 1) : zero;
    struct cpuid_regs e7 = max_ext >= 0x80000007 ? cpuid(0x80000007) : zero;

    pi->max_cpu_id = nr_cpus_online ? nr_cpus_online - 1 : 0;
    topology(max_leaf, max_ext, &pi->threads_per_core, &pi->cores_per_socket);
    pi->virt_caps = KEEL_VIRT_CAP_HVM | KEEL_VIRT_CAP_HAP | (hvm && hvm->vmmcall ? KEEL_VIRT_CAP_SVM : 0);
    pi->hw_caps[0] = l1.edx;
    pi->hw_caps[1] = l1.ecx;
    pi->hw_caps[2] = e1.edx;
    pi->hw_caps[3] = e1.ecx;
    pi->hw_caps[4] = da1.eax;
    pi->hw_caps[5] = l7.ebx;
    pi->hw_caps[6] = l7.ecx;
    pi->hw_caps[7] = e7.edx;
}

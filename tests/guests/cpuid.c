/* CPUID policy and hypervisor leaves; VMCALL basics. */
#include <multiboot.h>
#include <public/keel.h>
#include "guest.h"

extern const struct multiboot_info *boot_mbi;

static int prefix(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}

static int streq4(uint32_t v, const char *s)
{
    return v == ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
}

int main(void)
{
    struct regs4 r = cpuid(0x40000000, 0), l1 = cpuid(1, 0), t = cpuid(0x40000010, 0);

    check(r.a == 0x40000010, "hypervisor leaf 0x40000000: max leaf 0x40000010");
    check(streq4(r.b, "Keel") && streq4(r.c, "Keel") && streq4(r.d, "Keel"), "signature KeelKeelKeel");
    check(cpuid(0x40000001, 0).a == 1, "version leaf: 0.1");
    check(t.a > 1000, "timing leaf: TSC frequency in kHz");
    check(t.b == 25000, "timing leaf: APIC timer at 25 MHz");
    check(cpuid(0x40000005, 0).a == 0 && cpuid(0x400000ff, 0).b == 0, "other hypervisor leaves are zero");
    check((l1.c & (1u << 31)) != 0, "leaf 1: hypervisor bit set");
    check((l1.c & (1u << 5)) == 0, "leaf 1: VMX hidden");
    check((l1.c & (1u << 3)) == 0, "leaf 1: MONITOR hidden");
    check((l1.b >> 24) == 0, "leaf 1: initial APIC ID is the vCPU number (0)");
    check(cpuid(0xa, 0).a == 0, "leaf 0xa: no PMU");
    check(cpuid(0, 0).a >= 1, "leaf 0 passes through");
    check(vmcall(KEEL_HC_ABI_VERSION, 0, 0, 0) == KEEL_ABI_VERSION, "hypercall ABI version is Keel's");
    {
        /* The other vendor's instruction is a hypercall too (its #UD made one), and returns after itself. */
        uint32_t r;
        if (hc_vmmcall)
            __asm__ volatile("vmcall" : "=a"(r) : "a"(KEEL_HC_ABI_VERSION), "D"(0), "S"(0), "d"(0) : "memory");
        else
            __asm__ volatile("vmmcall" : "=a"(r) : "a"(KEEL_HC_ABI_VERSION), "D"(0), "S"(0), "d"(0) : "memory");
        check(r == KEEL_ABI_VERSION, hc_vmmcall ? "VMCALL on AMD: a hypercall too" : "VMMCALL on Intel: a hypercall too");
    }
    check(((cpuid(0x40000001, 0).b & 1) != 0) == ((cpuid(0, 0).b == 0x68747541) != 0),
          "version leaf: VMMCALL named on an AMD CPU, VMCALL on Intel");
    check(vmcall(KEEL_HC_CONSOLE_READ, 0x1000, 16, 0) == -KEEL_EPERM, "dom0-only hypercall (console read): -EPERM");
    check(vmcall(KEEL_HC_DOMAIN_CREATE, 0x1000, 0, 0) == -KEEL_EPERM, "dom0-only hypercall (domain create): -EPERM");
    check(vmcall(KEEL_HC_DOMAIN_DESTROY, 1, 0, 0) == -KEEL_EPERM, "a domU cannot destroy dom0: -EPERM");
    check(vmcall(KEEL_HC_DOMAIN_SET_MAXMEM, 0, 32u << 20, 0) == -KEEL_EPERM, "dom0-only hypercall (maxmem): -EPERM");
    check(vmcall(KEEL_HC_EVTCHN_OP, KEEL_EVTCHN_BIND_VIRQ, 0, 0) == -KEEL_EPERM,
          "event channels: only dom0 binds Keel's VIRQs: -EPERM");
    check(vmcall(KEEL_HC_EVTCHN_OP, KEEL_EVTCHN_ALLOC_UNBOUND, 0xfffff, 0) == -KEEL_ENOENT,
          "event channels: no port for a domain that does not exist: -ENOENT");
    check(vmcall(KEEL_HC_EVTCHN_OP, KEEL_EVTCHN_INIT, 0x1001, 0) == -KEEL_EINVAL,
          "event channels: a page must be page-aligned: -EINVAL");
    check(vmcall(0x1234, 0, 0, 0) == -KEEL_ENOSYS, "unknown hypercall: -ENOSYS");
    check(vmcall(KEEL_HC_TEST_EXITS, 0, 0, 0) > 10, "exit counter grows");
    /* The boot test hands the first cpuid guest a module: "keel test module". */
    if (boot_mbi->mods_count) {
        const struct multiboot_mod_list *m = (const void *)boot_mbi->mods_addr;
        check(boot_mbi->mods_count == 1 && !(m->mod_start & 0xfff), "one page-aligned module");
        check(prefix((const char *)m->mod_start, "keel test module"), "module contents");
        check(prefix((const char *)m->cmdline, "modarg"), "module command line");
    }
    return report("cpuid");
}

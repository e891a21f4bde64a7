/* Put a Linux kernel into a domain and set its first vCPU at the 64-bit entry. */
#include <string.h>
#include <asm/linux_boot.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/lib.h>
#include <keel/log.h>

static int copy_to(void *opaque, uint64_t gpa, const void *src, uint64_t len)
{
    return domain_copy_to(opaque, gpa, src, len);
}

int arch_load_linux(struct vcpu *v, const uint8_t *img, size_t len, const char *cmdline,
                    const uint8_t *initrd, size_t initrd_len, const struct linux_e820 *map,
                    unsigned nr, uint64_t rsdp)
{
    struct domain *d = v->domain;
    /* A domU: the legacy hole below 1 MiB is not RAM; everything else the domain has is. */
    const struct linux_e820 domu[] = {
        { 0, 0x9fc00, LINUX_E820_RAM },
        { 0x9fc00, 0x60400, LINUX_E820_RESERVED },
        { 0x100000, d->mem_bytes - 0x100000, LINUX_E820_RAM },
    };
    struct linux_target t = { 0, map ? map : domu, map ? nr : 3, rsdp, copy_to, d, 0, 0 };
    struct linux_entry e;
    int rc;

    /* A guest without the machine's own timers (not dom0) is told the TSC's rate. */
    if (!map)
        t.tsc_khz = (uint32_t)arch_tsc_khz();
    /* Guest RAM ends with the map's last RAM range. */
    for (unsigned i = 0; i < t.nr_e820; i++)
        if (t.e820[i].type == LINUX_E820_RAM)
            t.ram_bytes = MAX(t.ram_bytes, t.e820[i].addr + t.e820[i].size);
    rc = linux_load(img, len, cmdline, initrd, initrd_len, &t, &e);

    if (rc)
        return rc;
    pr_info("d%u: Linux at %#lx, entry %#lx, initrd %#lx-%#lx\n", d->id, (unsigned long)e.kernel_start,
            (unsigned long)e.rip, (unsigned long)e.initrd_start, (unsigned long)e.initrd_end);
    arch_vcpu_set_entry64(v, e.rip, e.rsi, e.cr3, e.gdt);
    return 0;
}

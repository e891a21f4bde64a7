/*
 * Devices a domU has whatever its platform: the i8254 it calibrates its
 * TSC with (asm/vpit.h). dom0 has the machine's own; test domains have the
 * test platform (hv/vdev.c), and a Linux one is told tsc_early_khz=.
 */
#include <asm/cpu_ops.h>
#include <asm/hvm.h>
#include <asm/vpit.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/spinlock.h>

/* Byte ports: a wider access is its bytes in order, within the range. */
static int pit_port(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct domain_arch *a = &v->domain->arch;
    uint64_t now = rdtsc(), khz = arch_tsc_khz();
    uint32_t out = 0;

    spin_lock(&a->pit_lock);
    for (unsigned i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        int ours = (p >= VPIT_PORT_BASE && p <= VPIT_PORT_BASE + 3) || p == VPIT_PORT_61;
        if (in)
            out |= (uint32_t)(ours ? vpit_read(&a->pit, p, now, khz) : 0xff) << (8 * i);
        else if (ours)
            vpit_write(&a->pit, p, (uint8_t)(*val >> (8 * i)), now, khz);
    }
    spin_unlock(&a->pit_lock);
    if (in)
        *val = out;
    return 0;
}

int arch_guest_platform_init(struct domain *d)
{
    int rc;

    d->arch.pit_lock = (spinlock_t)SPINLOCK_INIT_LEVEL(LOCK_PLATFORM);
    vpit_reset(&d->arch.pit);
    rc = domain_register_portio(d, VPIT_PORT_BASE, 4, pit_port);
    return rc ? rc : domain_register_portio(d, VPIT_PORT_61, 1, pit_port);
}

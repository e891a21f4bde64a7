/*
 * The test platform's devices: a 16550A on COM1 (keel/vuart.h, without an
 * interrupt line) whose output becomes the domain's console lines, the
 * debug-exit port and the test device. Guest values are taken
 * as they come: any register, any size, any order.
 */
#include <errno.h>
#include <string.h>
#include <keel/buddy.h>
#include <keel/lib.h>
#include <keel/mm.h>
#include <keel/domain.h>
#include <keel/spinlock.h>
#include <keel/vdev.h>
#include <keel/vuart.h>

/* A test domain's device state (d->platform). */
struct test_platform {
    spinlock_t lock;                    /* com1 (LOCK_PLATFORM) */
    struct vuart com1;                  /* no interrupt line: the test guests poll */
    uint8_t testdev[VDEV_TESTDEV_SIZE];
};

static void com1_tx(void *opaque, uint8_t c)
{
    domain_console_putc(opaque, (char)c);
}

static int com1(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    struct test_platform *tp = v->domain->platform;

    spin_lock(&tp->lock);
    if (in)
        *val = vuart_read(&tp->com1, port - VDEV_COM1_BASE);
    else
        vuart_write(&tp->com1, port - VDEV_COM1_BASE, (uint8_t)*val);
    spin_unlock(&tp->lock);
    return 0;
}

static int debug_exit(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val)
{
    if (in) {
        *val = 0xffffffff;
        return 0;
    }
    domain_shutdown(v->domain, SHUTDOWN_POWEROFF, *val & (size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff));
    return 0;
}

static int testdev(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val)
{
    uint8_t *m = ((struct test_platform *)v->domain->platform)->testdev;
    uint64_t off = gpa - VDEV_TESTDEV_BASE, count;
    int counter = off + size > VDEV_TESTDEV_SIZE - 8;

    if (!size || size > 8 || off > VDEV_TESTDEV_SIZE - size) {
        if (!write)
            *val = ~0ull;               /* off the end: reads float high */
        return 0;
    }
    if (counter && write)
        return 0;                       /* the counter is read-only */
    if (!counter) {
        memcpy(&count, m + VDEV_TESTDEV_SIZE - 8, 8);
        count++;
        memcpy(m + VDEV_TESTDEV_SIZE - 8, &count, 8);
    }
    if (write) {
        memcpy(m + off, val, size);
    } else {
        *val = 0;
        memcpy(val, m + off, size);
    }
    return 0;
}

static void test_platform_free(struct domain *d)
{
    free_pages(virt_to_phys(d->platform), 1);
    d->platform = NULL;
}

int vdev_test_platform(struct domain *d)
{
    uint64_t pa = alloc_pages(1);
    int rc;

    _Static_assert(sizeof(struct test_platform) <= 2 * PAGE_SIZE, "test platform in 2 pages");
    if (!pa)
        return -ENOMEM;
    d->platform = phys_to_virt(pa);
    memset(d->platform, 0, sizeof(struct test_platform));
    ((struct test_platform *)d->platform)->lock = (spinlock_t)SPINLOCK_INIT_LEVEL(LOCK_PLATFORM);
    vuart_reset(&((struct test_platform *)d->platform)->com1, com1_tx, d, NULL, NULL);
    d->platform_free = test_platform_free;
    rc = domain_register_portio(d, VDEV_COM1_BASE, 8, com1);
    if (!rc)
        rc = domain_register_portio(d, VDEV_DEBUG_EXIT, 4, debug_exit);
    if (!rc)
        rc = domain_register_mmio(d, VDEV_TESTDEV_BASE, VDEV_TESTDEV_SIZE, testdev);
    return rc;
}

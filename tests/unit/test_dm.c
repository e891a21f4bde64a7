/*
 * hv/dm.c: a domU's device accesses forwarded to its device model, with a
 * fake dom0 (its request page a host buffer) and a fake domU: the 0xcf8
 * latch, requests, answers and the rerun, read-modify-write, ioevents,
 * release, and every argument of the hypercall.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <keel/arch.h>
#include <keel/dm.h>
#include <keel/domain.h>
#include <keel/evtchn.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include "unit.h"

#define DOMU 2
#define PAGE_GPA 0x1000

static struct domain dom0, domu;
static struct vcpu v0, vu;
static uint8_t dom0_ram[2 * 4096] __attribute__((aligned(4096)));
static unsigned next_port, notified[8], nr_notified, kicks, pauses, msis, nr_mmio_regs;
static uint64_t msi_addr;

struct domain *domain_find(uint64_t id)
{
    return id == 1 ? &dom0 : id == DOMU ? &domu : NULL;
}
void *domain_gpa_to_hva(struct domain *d, uint64_t gpa, uint64_t len)
{
    return d == &dom0 && gpa <= sizeof(dom0_ram) && len <= sizeof(dom0_ram) - gpa ? dom0_ram + gpa : NULL;
}
uint64_t alloc_pages(unsigned order) { return (uint64_t)(uintptr_t)aligned_alloc(4096, 4096u << order); }
void free_pages(uint64_t pa, unsigned order) { free((void *)(uintptr_t)pa); }
int64_t evtchn_alloc_keel(struct domain *d, uint32_t remote) { return d == &dom0 ? (int64_t)++next_port : -ENOSPC; }
void evtchn_notify(struct domain *d, unsigned port)
{
    if (nr_notified < 8)
        notified[nr_notified] = port;
    nr_notified++;
}
void sched_block(struct vcpu *v) { v->blocked = 1; }
void vcpu_kick(struct vcpu *v) { kicks++; }
void domain_pause(struct domain *d) { pauses++; }
int domain_unpause(struct domain *d) { pauses--; return 0; }
int domain_register_mmio(struct domain *d, uint64_t base, uint64_t size, mmio_fn fn)
{
    nr_mmio_regs++;
    return 0;
}
void domain_crash(struct domain *d, const char *fmt, ...)
{
    d->state = DOMAIN_CRASHED;
    strncpy(d->crash_reason, fmt, sizeof(d->crash_reason) - 1);
}
static unsigned ged_events;
int arch_domu_ged_event(struct domain *d, unsigned ev)
{
    ged_events |= ev;
    return 0;
}
static uint64_t intx_gsi, intx_level = 9;
int arch_domu_intx(struct domain *d, uint64_t gsi, uint64_t level)
{
    intx_gsi = gsi;
    intx_level = level;
    return gsi == KEEL_DOMU_PCI_GSI ? 0 : -EINVAL;
}
int arch_domain_msi(struct domain *d, uint64_t addr, uint64_t data)
{
    msis++;
    msi_addr = addr;
    return addr == 0xfee00000 ? 0 : -EINVAL;
}

static int64_t op(uint64_t which, uint64_t domid, uint64_t a2, uint64_t a3, uint64_t a4)
{
    const uint64_t a[5] = { which, domid, a2, a3, a4 };

    return dm_op(&v0, a);
}

static struct keel_ioreq *slot(void) { return &((struct keel_ioreq_page *)(dom0_ram + PAGE_GPA))->vcpu[0]; }

/* The device model answers vCPU 0's request with @data; the scheduler sees it ready. */
static void answer(uint64_t data)
{
    assert_int_equal(slot()->state, KEEL_IOREQ_READY);
    slot()->data = data;
    slot()->state = KEEL_IOREQ_DONE;
    assert_int_equal(op(KEEL_DM_IO_DONE, DOMU, 0, 0, 0), 0);
    assert_true(dm_io_ready(&vu));
    assert_true(dm_rerun_due(&vu.io));
    assert_false(dm_rerun_due(&vu.io));                     /* once */
    vu.blocked = 0;
}

static int setup(void **state)
{
    (void)state;
    memset(&dom0, 0, sizeof(dom0));
    memset(&domu, 0, sizeof(domu));
    memset(&v0, 0, sizeof(v0));
    memset(&vu, 0, sizeof(vu));
    memset(dom0_ram, 0, sizeof(dom0_ram));
    dom0.id = 1;
    dom0.privileged = 1;
    domu.id = DOMU;
    domu.nr_vcpus = 1;
    domu.vcpus[0] = &vu;
    v0.domain = &dom0;
    vu.domain = &domu;
    next_port = nr_notified = kicks = pauses = msis = nr_mmio_regs = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dm_domain_destroy(&domu);
    return 0;
}

static void test_register(void **state)
{
    (void)state;
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO, 4096, 0), -EINVAL);   /* none yet */
    assert_int_equal(op(KEEL_DM_REGISTER, 1, PAGE_GPA, 0, 0), -EPERM);                    /* dom0 */
    assert_int_equal(op(KEEL_DM_REGISTER, 9, PAGE_GPA, 0, 0), -ENOENT);
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA + 8, 0, 0), -EINVAL);            /* unaligned */
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, 0x100000, 0, 0), -EFAULT);                /* not RAM */
    assert_int_equal(op(KEEL_DM_HOTPLUG, DOMU, 0, 0, 0), -EINVAL);                        /* not its model */
    assert_int_equal(op(KEEL_DM_INTX, DOMU, KEEL_DOMU_PCI_GSI, 1, 0), -EINVAL);
    assert_int_equal(ged_events, 0);
    assert_int_equal(intx_level, 9);
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA, 0, 0), 1);
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA, 0, 0), -EEXIST);
    assert_int_equal(op(KEEL_DM_HOTPLUG, DOMU, 0, 0, 0), 0);                              /* the GED's event */
    assert_int_equal(ged_events, KEEL_GED_PCI_HOTPLUG);
    assert_int_equal(op(77, DOMU, 0, 0, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_IO_DONE, DOMU, 1, 0, 0), -EINVAL);                        /* no vCPU 1 */
    assert_int_equal(op(KEEL_DM_MSI, DOMU, 0xfee00000, 0x41, 0), 0);
    assert_int_equal(op(KEEL_DM_MSI, DOMU, 0x1000, 0x41, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_INTX, DOMU, KEEL_DOMU_PCI_GSI, 1, 0), 0);                 /* the platform's to check */
    assert_int_equal(intx_gsi, KEEL_DOMU_PCI_GSI);
    assert_int_equal(intx_level, 1);
    assert_int_equal(op(KEEL_DM_INTX, DOMU, 2, 0, 0), -EINVAL);
}

static void test_map_mmio_and_ioevents(void **state)
{
    (void)state;
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA, 0, 0), 1);
    /* Inside the PCI window, page-aligned, not overlapping, at most KEEL_DM_MMIO_MAX. */
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO - 4096, 8192, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO + 10, 4096, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO, 0, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO + KEEL_DOMU_PCI_MMIO_SIZE - 4096, 8192, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO, ~0ull - 4095, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO, 0x100000, 0), 0);
    assert_int_equal(pauses, 0);                                /* paused around the change, and back */
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO + 0x80000, 4096, 0), -EINVAL);  /* overlaps */
    for (unsigned i = 1; i < KEEL_DM_MMIO_MAX; i++)
        assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO + i * 0x100000, 4096, 0), 0);
    assert_int_equal(op(KEEL_DM_MAP_MMIO, DOMU, KEEL_DOMU_PCI_MMIO + 0x800000, 4096, 0), -ENOSPC);
    assert_int_equal(nr_mmio_regs, KEEL_DM_MMIO_MAX);
    /* Ioevents: in a forwarded range, a length of 1-8 bytes aligned to itself. */
    uint64_t g = KEEL_DOMU_PCI_MMIO + 0x3000;
    assert_int_equal(op(KEEL_DM_IOEVENT, DOMU, g, 3, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_IOEVENT, DOMU, g + 1, 2, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_IOEVENT, DOMU, 0xd0000000, 2, 0), -EINVAL);
    assert_int_equal(op(KEEL_DM_IOEVENT, DOMU, g, 2 | 0x400, 0), -EINVAL);
    int64_t p = op(KEEL_DM_IOEVENT, DOMU, g, 2, 0);
    assert_true(p > 1);
    int64_t pm = op(KEEL_DM_IOEVENT, DOMU, g + 4, 4 | KEEL_IOEVENT_DATAMATCH, 7);
    assert_true(pm > p);
    /* A write there signals the port and completes: no request, no block. */
    uint64_t val = 0x1234;
    assert_int_equal(dm_mmio(&vu, g, 2, 1, &val), 0);
    assert_int_equal(nr_notified, 1);
    assert_int_equal(notified[0], p);
    assert_false(vu.io.pending);
    val = 7;
    assert_int_equal(dm_mmio(&vu, g + 4, 4, 1, &val), 0);
    assert_int_equal(notified[1], pm);
    /* Another value, another size, a read: they go to the device model. */
    val = 8;
    dm_mmio(&vu, g + 4, 4, 1, &val);
    assert_true(vu.io.pending);
    assert_int_equal(slot()->type, KEEL_IOREQ_MMIO);
    assert_int_equal(slot()->data, 8);
    answer(0);
    dm_mmio(&vu, g + 4, 4, 1, &val);                            /* the rerun takes the answer */
    assert_false(vu.io.pending);
    dm_insn_end(&vu.io);
    /* Deassigned: the next write goes to the device model. */
    assert_int_equal(op(KEEL_DM_IOEVENT, DOMU, g, 2 | KEEL_IOEVENT_DEASSIGN, 0), 0);
    assert_int_equal(op(KEEL_DM_IOEVENT, DOMU, g, 2 | KEEL_IOEVENT_DEASSIGN, 0), -ENOENT);
    val = 0;
    dm_mmio(&vu, g, 2, 1, &val);
    assert_true(vu.io.pending);
    /* The table fills. */
    answer(0);
    dm_mmio(&vu, g, 2, 1, &val);
    dm_insn_end(&vu.io);
    int64_t last = 0;
    for (unsigned i = 0; i < KEEL_DM_IOEVENT_MAX + 1 && last >= 0; i++)
        last = op(KEEL_DM_IOEVENT, DOMU, KEEL_DOMU_PCI_MMIO + 8 * i, 8, 0);
    assert_int_equal(last, -ENOSPC);
}

static void test_config_latch_and_rerun(void **state)
{
    uint32_t val;

    (void)state;
    /* No device model: the bus floats high, nothing waits. */
    val = 0x80000800;
    dm_pci_port(&vu, 0xcf8, 4, 0, &val);
    dm_pci_port(&vu, 0xcfc, 4, 1, &val);
    assert_int_equal(val, 0xffffffffu);
    assert_false(vu.io.pending);
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA, 0, 0), 1);
    /* The latch: dword only, reserved bits clear; bytes there are not it. */
    val = 0xffffffff;
    dm_pci_port(&vu, 0xcf8, 4, 0, &val);
    dm_pci_port(&vu, 0xcf8, 4, 1, &val);
    assert_int_equal(val, 0x80fffffcu);
    dm_pci_port(&vu, 0xcfb, 1, 1, &val);
    assert_int_equal(val, 0xff);
    /* Disabled: no request. */
    val = 0x00000800;
    dm_pci_port(&vu, 0xcf8, 4, 0, &val);
    dm_pci_port(&vu, 0xcfc, 4, 1, &val);
    assert_false(vu.io.pending);
    /* 00:01.0 register 0x10, a word at 0xcfe: a request for register 0x12. */
    val = 0x80000810;
    dm_pci_port(&vu, 0xcf8, 4, 0, &val);
    val = 0;
    dm_pci_port(&vu, 0xcfe, 2, 1, &val);
    assert_true(vu.io.pending && vu.io.waiting && vu.blocked);
    assert_int_equal(slot()->type, KEEL_IOREQ_PCI);
    assert_int_equal(slot()->addr, 0x812);
    assert_int_equal(slot()->size, 2);
    assert_false(slot()->write);
    assert_int_equal(notified[0], 1);
    /* A word that crosses the dword: floats high, no request. */
    /* Not ready until DONE with this request's sequence number. */
    assert_false(dm_io_ready(&vu));
    slot()->state = KEEL_IOREQ_DONE;
    slot()->seq--;
    assert_false(dm_io_ready(&vu));
    slot()->seq++;
    slot()->state = KEEL_IOREQ_READY;
    answer(0xabcd1234);
    /* The rerun: the same access takes the answer (a word of it). */
    val = 0;
    dm_pci_port(&vu, 0xcfe, 2, 1, &val);
    assert_int_equal(val, 0x1234);
    assert_false(vu.io.pending);
    dm_insn_end(&vu.io);
    assert_int_equal(vu.io.nr_done, 0);
    /* A rerun that is not the same access: the old answer is dropped, a new request goes out. */
    dm_pci_port(&vu, 0xcfe, 2, 1, &val);
    answer(5);
    val = 0;
    dm_pci_port(&vu, 0xcfc, 4, 1, &val);
    assert_true(vu.io.pending);
    assert_int_equal(slot()->addr, 0x810);
}

static void test_read_modify_write(void **state)
{
    uint64_t val;

    (void)state;
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA, 0, 0), 1);
    /* First pass: the read goes out, the write after it waits. */
    assert_int_equal(dm_mmio(&vu, 0xc0000010, 4, 0, &val), 0);
    assert_true(vu.io.pending);
    val = 0xff;
    dm_mmio(&vu, 0xc0000010, 4, 1, &val);
    assert_int_equal(slot()->write, 0);
    answer(0x0f);
    /* Rerun: the read's answer, then the write goes out. */
    dm_mmio(&vu, 0xc0000010, 4, 0, &val);
    assert_int_equal(val, 0x0f);
    val = 0x1f;
    dm_mmio(&vu, 0xc0000010, 4, 1, &val);
    assert_true(vu.io.pending);
    assert_int_equal(slot()->write, 1);
    assert_int_equal(slot()->data, 0x1f);
    answer(0);
    /* Rerun: both answered; the instruction completes. */
    dm_mmio(&vu, 0xc0000010, 4, 0, &val);
    assert_int_equal(val, 0x0f);
    val = 0x1f;
    dm_mmio(&vu, 0xc0000010, 4, 1, &val);
    assert_false(vu.io.pending);
    dm_insn_end(&vu.io);
    assert_int_equal(vu.io.nr_done, 0);
}

static void test_release(void **state)
{
    uint64_t val = 0;

    (void)state;
    assert_int_equal(op(KEEL_DM_REGISTER, DOMU, PAGE_GPA, 0, 0), 1);
    dm_mmio(&vu, 0xc0000000, 4, 0, &val);
    assert_true(vu.io.pending);
    assert_int_equal(op(KEEL_DM_RELEASE, DOMU, 0, 0, 0), 0);
    assert_int_equal(domu.state, DOMAIN_CRASHED);
    assert_non_null(strstr(domu.crash_reason, "device model exited"));
    /* Nothing more is written into dom0's page. */
    memset(dom0_ram, 0, sizeof(dom0_ram));
    vu.io = (struct vcpu_io){ 0 };
    dm_mmio(&vu, 0xc0000000, 4, 0, &val);
    assert_false(vu.io.pending);
    assert_int_equal(val, 0xffffffffu);
    for (unsigned i = 0; i < sizeof(dom0_ram); i++)
        assert_int_equal(dom0_ram[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_mmio_and_ioevents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_latch_and_rerun, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_modify_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

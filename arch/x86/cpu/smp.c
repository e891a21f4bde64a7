/*
 * SMP bring-up: INIT-SIPI-SIPI to every enabled CPU of the MADT (SDM Vol. 3A
 * 9.4.4.1), one at a time, through the trampoline copied to tramp_pa.
 */
#include <errno.h>
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/lapic.h>
#include <asm/page.h>
#include <asm/x86.h>
#include <drivers/acpi.h>
#include <keel/arch.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/domain.h>
#include <keel/sched.h>

/* SIPI vector = page number: the trampoline must sit in a RAM page below 1 MiB. */
#define TRAMPOLINE_PREFERRED 0x8000ull
#define AP_WAIT_US      200000

extern const uint8_t trampoline_start[], trampoline_end[], tramp_64[];
extern uint8_t tramp_gdt[], tramp_gdt_desc[], tramp_cr3[], tramp_far64[], tramp_stack[],
    tramp_cpu[], tramp_entry[];

uint32_t nr_cpus_online = 1;

static uint64_t tramp_pa;

#define TRAMP_FIELD(sym) ((uint8_t *)phys_to_virt(tramp_pa) + ((sym) - trampoline_start))

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* First C code on an AP: stack and long mode are set up by the trampoline. */
static __attribute__((noreturn, used)) void ap_start(uint64_t cpu)
{
    struct percpu *pc = &percpu[cpu];
    uint64_t ist[3];

    for (int i = 0; i < 3; i++)
        ist[i] = pc->stack_top + (uint64_t)(i + 1) * KEEL_STACK_SIZE;
    cpu_tables_load(pc, ist);
    lapic_init(0, 0);
    pc->apic_id = lapic_id();
    pc->virt_ok = !arch_virt_cpu_init(0);
    pr_info("CPU%u: APIC ID %u online\n", pc->cpu_id, pc->apic_id);
    __atomic_store_n(&pc->online, 1, __ATOMIC_RELEASE);
    /* This CPU's share of the vCPUs, for good (VMX off here: never any). */
    sched_run(NULL);
    arch_halt();
}

static int start_ap(uint32_t cpu, uint32_t apic_id)
{
    struct percpu *pc = &percpu[cpu];
    /* One block: the stack, then the three IST stacks. */
    uint64_t stacks = alloc_pages(2 + 2);   /* 4 x 16 KiB = 64 KiB, order 4 */

    if (!stacks) {
        pr_err("SMP: no memory for CPU%u's stacks\n", cpu);
        return -1;
    }
    pc->cpu_id = cpu;
    pc->apic_id = apic_id;
    pc->stack_top = stacks + KEEL_STACK_SIZE;
    /* The trampoline's data is per AP: write it (RW), then let it run (RX). */
    paging_remap_page(tramp_pa, PTE_RW | PTE_NX);
    put64(TRAMP_FIELD(tramp_stack), pc->stack_top - 8);
    put64(TRAMP_FIELD(tramp_cpu), cpu);
    paging_remap_page(tramp_pa, 0);

    lapic_send_ipi(apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT);
    udelay(10000);
    for (int sipi = 0; sipi < 2 && !__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE); sipi++) {
        lapic_send_ipi(apic_id, APIC_ICR_STARTUP | (uint32_t)(tramp_pa >> 12));
        udelay(200);
    }
    for (uint64_t waited = 0; waited < AP_WAIT_US; waited += 100) {
        if (__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
            return 0;
        udelay(100);
    }
    pr_err("SMP: CPU%u (APIC ID %u) did not start\n", cpu, apic_id);
    free_pages(stacks, 2 + 2);
    return -1;
}

uint32_t arch_smp_boot(const struct boot_info *bi, const struct acpi_info *ai, uint32_t max_cpus)
{
    uint32_t bsp = lapic_id(), next = 1;
    size_t len = (size_t)(trampoline_end - trampoline_start);
    uint8_t *t;

    percpu[0].apic_id = bsp;
    percpu[0].online = 1;
    if (!ai->have_madt || max_cpus <= 1) {
        pr_info("SMP: %s, boot CPU only\n", ai->have_madt ? "maxcpus=1" : "no MADT");
        return nr_cpus_online;
    }
    /* Memory below 1 MiB is never given to the allocator: any RAM page there will do. */
    tramp_pa = memmap_is_ram(bi, TRAMPOLINE_PREFERRED, 4096) ? TRAMPOLINE_PREFERRED
                                                              : memmap_find_ram(bi, 0x1000, MiB(1), 4096);
    if (!tramp_pa || len > 4096) {
        pr_err("SMP: no RAM page below 1 MiB for the AP trampoline: boot CPU only\n");
        return nr_cpus_online;
    }
    t = phys_to_virt(tramp_pa);
    /* The trampoline page is RW NX except while an AP runs it (W^X). */
    memcpy(t, trampoline_start, len);
    put32(TRAMP_FIELD(tramp_gdt_desc) + 2, (uint32_t)(tramp_pa + (tramp_gdt - trampoline_start)));
    put32(TRAMP_FIELD(tramp_far64), (uint32_t)(tramp_pa + (tramp_64 - trampoline_start)));
    put64(TRAMP_FIELD(tramp_cr3), read_cr3());
    put64(TRAMP_FIELD(tramp_entry), (uint64_t)(uintptr_t)ap_start);
    if (read_cr3() >> 32)
        pr_warn("SMP: page tables above 4 GiB, APs cannot load them\n");

    for (uint32_t i = 0; i < ai->nr_cpus; i++) {
        uint32_t id = ai->cpus[i].apic_id;

        if (id == bsp)
            continue;
        if (next >= max_cpus || next >= MAX_CPUS) {
            pr_info("SMP: CPU with APIC ID %u not started (maxcpus=%u)\n", id, max_cpus);
            continue;
        }
        if (!lapic_x2apic_mode() && id > 0xfe) {
            pr_warn("SMP: APIC ID %u needs x2APIC mode, not started\n", id);
            continue;
        }
        if (!start_ap(next, id)) {
            nr_cpus_online++;
            next++;
        }
    }
    paging_remap_page(tramp_pa, PTE_RW | PTE_NX);
    return nr_cpus_online;
}

/* SMP: INIT-SIPI-SIPI starts vCPU1, IPIs both ways, in x2APIC mode. */
#include "guest.h"

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt[];
extern const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdt_desc;

static volatile int bsp_ipis, ap_ipis, ap_alive;
static volatile uint32_t ap_apic_id = 0xffff;

static void x2apic_on(void)
{
    wrmsr(0x1b, rdmsr(0x1b) | (1u << 10));             /* EXTD */
    wrmsr(0x80f, 0x1ff);                               /* SVR: enabled */
}

static void send_ipi(uint32_t dest, uint32_t vector)
{
    wrmsr(0x830, ((uint64_t)dest << 32) | vector);
}

static void on_ipi(void)
{
    if (rdmsr(0x802) == 0) {
        bsp_ipis++;
    } else {
        ap_ipis++;
        send_ipi(0, 0x40);                              /* answer the BSP */
    }
    wrmsr(0x80b, 0);                                    /* EOI */
}

void ap_main(void);
void ap_main(void)
{
    load_idt();
    x2apic_on();
    ap_apic_id = (uint32_t)rdmsr(0x802);
    ap_alive = 1;
    send_ipi(0, 0x40);
    __asm__ volatile("sti");
    for (;;)
        __asm__ volatile("hlt");
}

int main(void)
{
    uint8_t *t = (uint8_t *)0x8000;
    uint32_t n = (uint32_t)(ap_tramp_end - ap_tramp_start);

    irq_handler = on_ipi;
    x2apic_on();
    check((rdmsr(0x1b) & 0xc00) == 0xc00, "x2APIC mode on");
    check(rdmsr(0x802) == 0 && (rdmsr(0x803) & 0xff) == 0x14, "x2APIC ID 0, version 0x14");
    check(cpuid(1, 0).b >> 24 == 0 && ((cpuid(1, 0).b >> 16) & 0xff) == 2, "CPUID: 2 logical CPUs");
    for (uint32_t i = 0; i < n; i++)
        t[i] = (uint8_t)ap_tramp_start[i];
    for (uint32_t i = 0; i < 6; i++)
        t[(ap_tramp_gdt - ap_tramp_start) + i] = ((const uint8_t *)&gdt_desc)[i];
    send_ipi(1, 0x4500);                                /* INIT, level assert */
    send_ipi(1, 0x4600 | (0x8000 >> 12));               /* STARTUP */
    send_ipi(1, 0x4600 | (0x8000 >> 12));               /* the second one is ignored */
    while (!bsp_ipis)
        __asm__ volatile("sti; hlt; cli");      /* tested with IF=0: no wake-up lost between test and HLT */
    check(ap_alive == 1, "vCPU1 ran its start-up code");
    check(ap_apic_id == 1, "vCPU1 reads x2APIC ID 1");
    check(bsp_ipis == 1, "vCPU1's IPI woke the BSP from HLT");
    send_ipi(1, 0x41);
    while (bsp_ipis < 2)
        __asm__ volatile("sti; hlt; cli");      /* tested with IF=0: no wake-up lost between test and HLT */
    check(ap_ipis == 1 && bsp_ipis == 2, "IPI to vCPU1 (halted) and its answer");
    wrmsr(0x830, 0x40 | (3u << 18));                    /* all but self */
    while (bsp_ipis < 3)
        __asm__ volatile("sti; hlt; cli");      /* tested with IF=0: no wake-up lost between test and HLT */
    check(ap_ipis == 2, "shorthand all-but-self reached vCPU1");
    return report("smp");
}

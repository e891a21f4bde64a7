/*
 * Per-CPU descriptor tables (GDT with a TSS, shared IDT) and the fatal
 * exception path: a register dump with the faulting RIP symbolized and a
 * frame-pointer backtrace, then that CPU halts (SDM Vol. 3A ch. 6-8).
 */
#include <string.h>
#include <asm/cpu_ops.h>
#include <asm/desc.h>
#include <asm/processor.h>
#include <asm/regs.h>
#include <keel/arch.h>
#include <keel/console.h>
#include <asm/ioapic.h>
#include <asm/lapic.h>
#include <keel/log.h>
#include <keel/percpu.h>
#include <keel/test.h>

struct idt_gate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout (SDM 6.14.1)");

#define GATE_INTERRUPT  0x8e    /* present, DPL 0, 64-bit interrupt gate */
#define VEC_NMI         2
#define VEC_DF          8
#define VEC_MC          18
#define VEC_SPURIOUS    0xff

extern const uint8_t exception_stubs[];

struct percpu percpu[MAX_CPUS];
static struct idt_gate idt[256] __attribute__((aligned(16)));
/* The boot CPU's IST stacks (APs get theirs from the allocator). */
static uint8_t bsp_ist_stacks[3][KEEL_STACK_SIZE] __attribute__((aligned(16)));

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
    "#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
    "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
    "#VE virtualization", "#CP control protection",
};

static void idt_build(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t h = (uint64_t)(uintptr_t)(exception_stubs + 16 * v);
        idt[v].off_lo = (uint16_t)h;
        idt[v].sel = GDT_CS64;
        idt[v].ist = v == VEC_DF ? IST_DF : v == VEC_NMI ? IST_NMI : v == VEC_MC ? IST_MC : 0;
        idt[v].type_attr = GATE_INTERRUPT;
        idt[v].off_mid = (uint16_t)(h >> 16);
        idt[v].off_hi = (uint32_t)(h >> 32);
        idt[v].reserved = 0;
    }
}

/* Load this CPU's GDT (code, data, TSS), the IDT and GS.base. */
void cpu_tables_load(struct percpu *pc, const uint64_t ist_top[3])
{
    struct cpu_arch *a = &pc->arch;
    uint64_t tss = (uint64_t)(uintptr_t)&a->tss;
    struct desc_ptr gdtr = { sizeof(a->gdt) - 1, (uint64_t)(uintptr_t)a->gdt };
    struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

    pc->self = pc;
    memset(&a->tss, 0, sizeof(a->tss));
    a->tss.ist[IST_DF - 1] = ist_top[0];
    a->tss.ist[IST_NMI - 1] = ist_top[1];
    a->tss.ist[IST_MC - 1] = ist_top[2];
    a->tss.iomap_base = sizeof(a->tss);     /* no I/O bitmap */
    a->gdt[0] = 0;
    a->gdt[GDT_CS64 / 8] = GDT_DESC_CODE64;
    a->gdt[GDT_DS / 8] = GDT_DESC_DATA;
    /* 64-bit available TSS descriptor (SDM 8.2.3), two slots. */
    a->gdt[GDT_TSS / 8] = (sizeof(a->tss) - 1) | ((tss & 0xffffff) << 16) |
                          (0x89ull << 40) | (((tss >> 24) & 0xff) << 56);
    a->gdt[GDT_TSS / 8 + 1] = tss >> 32;
    lgdt(&gdtr);
    load_segments(GDT_CS64, GDT_DS);
    ltr(GDT_TSS);
    lidt(&idtr);
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
}

void arch_cpu_init_bsp(void)
{
    extern uint8_t boot_stack_top[];
    uint64_t ist[3];

    idt_build();
    for (int i = 0; i < 3; i++)
        ist[i] = (uint64_t)(uintptr_t)(bsp_ist_stacks[i] + KEEL_STACK_SIZE);
    percpu[0].cpu_id = 0;
    percpu[0].stack_top = (uint64_t)(uintptr_t)boot_stack_top;
    cpu_tables_load(&percpu[0], ist);
}

static void print_symbol(const char *what, uint64_t addr)
{
    uint64_t off;
    const char *name = arch_symbolize(addr, &off);
    extern uint8_t __image_start[];

    if (name)
        pr_err("%s 0x%016lx <%s+%#lx>\n", what, (unsigned long)addr, name,
               (unsigned long)off);
    else
        pr_err("%s 0x%016lx (keel.elf+%#lx)\n", what, (unsigned long)addr,
               (unsigned long)(addr - (uint64_t)(uintptr_t)__image_start));
}

static void backtrace(uint64_t rbp)
{
    extern uint8_t __image_start[], __image_end[];
    uint64_t lo = (uint64_t)(uintptr_t)__image_start;

    for (int depth = 0; depth < 16 && rbp && !(rbp & 7); depth++) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret;

        /* Stacks live in the image (.bss) or in allocator pages below 4 GiB... */
        if (rbp < 0x1000 || rbp >= (1ull << 32))
            break;
        ret = frame[1];
        if (ret < lo || ret >= (uint64_t)(uintptr_t)__image_end)
            break;
        print_symbol("  called from", ret);
        if (frame[0] <= rbp)
            break;              /* frames go up the stack, never down */
        rbp = frame[0];
    }
}

/* Called by arch/x86/cpu/entry.S for every vector. */
void exception_entry(struct cpu_regs *r)
{
    struct percpu *pc = this_cpu();
    uint64_t v = r->vector;

    if (v == VEC_SPURIOUS)
        return;
    if (v >= 32) {
        irq_dispatch((unsigned)v);
        return;
    }
    if (v == VEC_NMI) {
        pr_warn("CPU%u: NMI\n", pc->cpu_id);
        return;
    }
    if (pc->in_fatal)
        cpu_halt_forever();     /* faulted while dumping: stay quiet */
    pc->in_fatal = 1;
    console_force_unlock();     /* this CPU may have faulted inside printk */
    pr_err("*** CPU%u: EXCEPTION %s (vector %lu, error code %#lx) ***\n", pc->cpu_id,
           exc_names[v] ? exc_names[v] : "reserved", (unsigned long)v,
           (unsigned long)r->error_code);
    print_symbol("RIP:", r->rip);
    pr_err("RSP: 0x%016lx RFLAGS: %#lx CS: %#lx SS: %#lx\n", (unsigned long)r->rsp,
           (unsigned long)r->rflags, (unsigned long)r->cs, (unsigned long)r->ss);
    pr_err("RAX: 0x%016lx RBX: 0x%016lx RCX: 0x%016lx\n", (unsigned long)r->rax,
           (unsigned long)r->rbx, (unsigned long)r->rcx);
    pr_err("RDX: 0x%016lx RSI: 0x%016lx RDI: 0x%016lx\n", (unsigned long)r->rdx,
           (unsigned long)r->rsi, (unsigned long)r->rdi);
    pr_err("RBP: 0x%016lx R8:  0x%016lx R9:  0x%016lx\n", (unsigned long)r->rbp,
           (unsigned long)r->r8, (unsigned long)r->r9);
    pr_err("R10: 0x%016lx R11: 0x%016lx R12: 0x%016lx\n", (unsigned long)r->r10,
           (unsigned long)r->r11, (unsigned long)r->r12);
    pr_err("R13: 0x%016lx R14: 0x%016lx R15: 0x%016lx\n", (unsigned long)r->r13,
           (unsigned long)r->r14, (unsigned long)r->r15);
    pr_err("CR0: %#lx CR2: 0x%016lx CR3: %#lx CR4: %#lx\n", (unsigned long)read_cr0(),
           (unsigned long)read_cr2(), (unsigned long)read_cr3(),
           (unsigned long)read_cr4());
    backtrace(r->rbp);
    pr_err("CPU%u halted\n", pc->cpu_id);
    test_fail_if_testing("exception");
    cpu_halt_forever();
}

void arch_halt(void)
{
    cpu_halt_forever();
}

/* Test-guest runtime: console, checks, exceptions, exit. */
#include <stdint.h>
#include <multiboot.h>
#include "guest.h"

volatile int last_vector = -1;
volatile uint32_t last_error;
volatile uint32_t fixup_len;
volatile uint32_t db_count, db_first_eip;
volatile int exc_tolerant;
void (*irq_handler)(void);
static int failures;
static const char *cmd = "";
const struct multiboot_info *boot_mbi;

struct gate { uint16_t off_lo, sel; uint8_t zero, type; uint16_t off_hi; } __attribute__((packed));
static struct gate idt[256];
/* Flat 32-bit code and data, and 64-bit code at 0x18 (lm.S). */
static uint64_t gdt[4] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull, 0x00af9a000000ffffull };
extern char exc_stubs[], irq_stub[];

struct frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error, eip, cs, eflags;
};

void set_idt_entry(int vec, uint32_t h)
{
    idt[vec] = (struct gate){ (uint16_t)h, 0x08, 0, 0x8e, (uint16_t)(h >> 16) };
}

void guest_exception(struct frame *f);
void guest_exception(struct frame *f)
{
    if (f->vector == 255) {
        if (exc_tolerant && !irq_handler) {
            *(volatile uint32_t *)0xfee000b0u = 0;    /* EOI (xAPIC; ignored otherwise) */
            return;
        }
        if (irq_handler)
            irq_handler();
        else
            guest_exit(0xe1);       /* an interrupt nobody asked for */
        return;
    }
    last_vector = (int)f->vector;
    last_error = f->error;
    if (f->vector == 1 && !db_count++)
        db_first_eip = f->eip;
    f->eip += fixup_len;
    if (!fixup_len && f->vector != 3 && f->vector != 1 && f->vector != 2 && !exc_tolerant) {
        puts("FAIL unexpected exception ");
        put_dec(f->vector);
        puts(" at ");
        put_hex(f->eip);
        puts("\n");
        guest_exit(0xee);
    }
}

struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));
const struct dtr gdt_desc = { sizeof(gdt) - 1, (uint32_t)gdt };
const struct dtr idt_desc = { sizeof(idt) - 1, (uint32_t)idt };

void load_idt(void)
{
    __asm__ volatile("lidt %0" :: "m"(idt_desc));
}

int hc_vmmcall;

void guest_init(struct multiboot_info *mbi);
void guest_init(struct multiboot_info *mbi)
{
    struct dtr g = gdt_desc, i = idt_desc;

    __asm__ volatile("lgdt %0; ljmp $0x08, $1f; 1: mov $0x10, %%ax; mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%ss"
                     :: "m"(g) : "eax", "memory");
    for (int v = 0; v < 32; v++)
        set_idt_entry(v, (uint32_t)exc_stubs + 16 * (uint32_t)v);
    for (int v = 32; v < 256; v++)
        set_idt_entry(v, (uint32_t)irq_stub);
    __asm__ volatile("lidt %0" :: "m"(i));
    boot_mbi = mbi;
    hc_vmmcall = (cpuid(0x40000001, 0).b & 1) != 0;     /* KEEL_CPUID_F_VMMCALL */
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        cmd = (const char *)mbi->cmdline;
}

const char *cmdline(void) { return cmd; }

int cmdline_has(const char *w)
{
    for (const char *s = cmd; *s; s++) {
        const char *a = s, *b = w;
        while (*a && *b && *a == *b)
            a++, b++;
        if (!*b)
            return 1;
    }
    return 0;
}

void puts(const char *s)
{
    for (; *s; s++) {
        while (!(inb(0x3f8 + 5) & 0x20))
            ;
        outb(0x3f8, (uint8_t)*s);
    }
}

void put_hex(uint32_t v)
{
    char b[11] = "0x";
    for (int i = 0; i < 8; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    b[10] = 0;
    puts(b);
}

void put_dec(uint32_t v)
{
    char b[11];
    int i = 10;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts(b + i);
}

void check(int ok, const char *what)
{
    puts(ok ? "  ok   " : "  FAIL ");
    puts(what);
    puts("\n");
    failures += !ok;
}

int report(const char *name)
{
    puts(failures ? "FAIL " : "PASS ");
    puts(name);
    puts("\n");
    return failures;
}

void guest_exit(uint32_t code)
{
    outl(0xf4, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    last_vector = -1;
    fixup_len = 2;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    fixup_len = 0;
    *val = ((uint64_t)hi << 32) | lo;
    return last_vector < 0 ? 0 : last_vector;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
    last_vector = -1;
    fixup_len = 2;
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
    fixup_len = 0;
    return last_vector < 0 ? 0 : last_vector;
}

/* Guests that start no second vCPU still link head.S's AP entry. */
void ap_main(void) __attribute__((weak));
void ap_main(void)
{
    puts("FAIL an AP started in a guest that never asked for one\n");
    guest_exit(0xa9);
}

/* Linux boot protocol: Debian's real bzImage header, a synthetic vmlinux, and hostile images. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <asm/linux_boot.h>
#include <keel/elf.h>
#include "unit.h"

#define RAM (128u << 20)
static uint8_t *ram;
static uint8_t *img;
static size_t img_len;

static int copy_to(void *opaque, uint64_t gpa, const void *src, uint64_t len)
{
    (void)opaque;
    if (gpa > RAM || len > RAM - gpa)
        return -EFAULT;
    memcpy(ram + gpa, src, len);
    return 0;
}

static const struct linux_e820 e820[] = {
    { 0, 0x9fc00, LINUX_E820_RAM },
    { 0x9fc00, 0x400, LINUX_E820_RESERVED },
    { 0x100000, RAM - 0x100000, LINUX_E820_RAM },
};
static struct linux_target target = { RAM, e820, 3, 0xf0000, copy_to, NULL, 0, 0 };

static uint32_t r32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }
static uint64_t r64(uint64_t gpa) { uint64_t v; memcpy(&v, ram + gpa, 8); return v; }

/* Debian's setup sectors followed by a 64 KiB "kernel" of a known pattern. */
static int setup(void **state)
{
    struct fixture f;

    (void)state;
    ram = calloc(1, RAM);
    fixture_load(&f, "bzimage-debian-6.1-setup.txt");
    assert_int_equal(f.nr, 1);
    img_len = f.r[0].len + 65536;
    img = malloc(img_len);
    memcpy(img, f.r[0].data, f.r[0].len);
    for (size_t i = f.r[0].len; i < img_len; i++)
        img[i] = (uint8_t)(i * 7);
    fixture_free(&f);
    target.ram_bytes = RAM;
    unit_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    free(img);
    return 0;
}

static void test_debian_bzimage(void **state)
{
    struct linux_entry e;
    uint8_t initrd[5000];
    const uint64_t bp = LINUX_ZERO_PAGE;

    (void)state;
    memset(initrd, 0xab, sizeof(initrd));
    assert_int_equal(linux_load(img, img_len, "console=ttyS0 quiet", initrd, sizeof(initrd), &target, &e), 0);
    assert_int_equal(e.kernel_start, 0x1000000);               /* pref_address */
    assert_int_equal(e.rip, 0x1000200);                        /* startup_64 */
    assert_int_equal(e.kernel_end, 0x1000000 + 0x3f98000);    /* init_size */
    assert_memory_equal(ram + 0x1000000, img + 20480, 65536);
    assert_int_equal(e.rsi, bp);
    assert_int_equal(r32(bp + 0x202), 0x53726448);             /* the header was copied */
    assert_int_equal(ram[bp + 0x210], 0xff);                   /* type_of_loader */
    assert_int_equal(ram[bp + 0x211] & 0x81, 0x01);            /* LOADED_HIGH, no heap */
    assert_int_equal(r32(bp + 0x214), 0x1000000);
    assert_string_equal((const char *)ram + r32(bp + 0x228), "console=ttyS0 quiet");
    assert_int_equal(r32(bp + 0x21c), sizeof(initrd));
    assert_int_equal(r32(bp + 0x218), e.initrd_start);
    assert_true(e.initrd_start >= e.kernel_end && e.initrd_end <= RAM);
    assert_int_equal(ram[e.initrd_start + 4999], 0xab);
    assert_int_equal(r64(bp + 0x70), 0xf0000);                 /* acpi_rsdp_addr */
    assert_int_equal(ram[bp + 0x1e8], 3);                      /* e820 entries */
    assert_int_equal(r64(bp + 0x2d0 + 40), 0x100000);
    assert_int_equal(r32(bp + 0x2d0 + 56), LINUX_E820_RAM);
    assert_int_equal(ram[bp + 0x1ef], 0);                      /* sentinel */
    /* Identity map: PML4 -> PDPT -> 4 PDs of 2 MiB pages; GDT with 0x10/0x18. */
    assert_int_equal(e.cr3, LINUX_PAGE_TABLES);
    assert_int_equal(r64(LINUX_PAGE_TABLES) & ~0xfffull, LINUX_PAGE_TABLES + 0x1000);
    assert_int_equal(r64(LINUX_PAGE_TABLES + 0x1000 + 3 * 8) & ~0xfffull, LINUX_PAGE_TABLES + 0x5000);
    assert_int_equal(r64(LINUX_PAGE_TABLES + 0x5000 + 511 * 8), 0xffe00000ull | 0x83);
    assert_int_equal(r64(LINUX_GDT + 0x10), 0x00af9b000000ffffull);
}

static void test_hostile_bzimage(void **state)
{
    struct linux_entry e;
    char longcmd[3000];

    (void)state;
    memset(longcmd, 'x', sizeof(longcmd) - 1);
    longcmd[sizeof(longcmd) - 1] = 0;
    assert_int_equal(linux_load(img, img_len, longcmd, NULL, 0, &target, &e), -EINVAL);
    assert_true(unit_log_has("command line"));
    img[0x206] = 0x0b;                                          /* protocol 2.11 */
    assert_int_equal(linux_load(img, img_len, "", NULL, 0, &target, &e), -EINVAL);
    assert_true(unit_log_has("64-bit entry"));
    img[0x206] = 0x0f;
    img[0x236] &= (uint8_t)~1;                                  /* no XLF_KERNEL_64 */
    assert_int_equal(linux_load(img, img_len, "", NULL, 0, &target, &e), -EINVAL);
    img[0x236] |= 1;
    img[0x1f1] = 250;                                           /* setup past the end */
    assert_int_equal(linux_load(img, 30000, "", NULL, 0, &target, &e), -EINVAL);
    img[0x1f1] = 39;
    img[0x230] = 3;                                             /* alignment not a power of 2 */
    assert_int_equal(linux_load(img, img_len, "", NULL, 0, &target, &e), -EINVAL);
    img[0x230] = 0;
    target.ram_bytes = 64u << 20;                               /* init_size does not fit */
    assert_int_equal(linux_load(img, img_len, "", NULL, 0, &target, &e), -E2BIG);
    assert_true(unit_log_has("needs"));
    target.ram_bytes = RAM;
    assert_int_equal(linux_load(img, img_len, "", ram, RAM - (60u << 20), &target, &e), -E2BIG);  /* overlaps init_size */
    assert_true(unit_log_has("initrd"));
    img[0x1fe] = 0;                                             /* no boot flag */
    assert_int_equal(linux_load(img, img_len, "", NULL, 0, &target, &e), -EINVAL);
    assert_int_equal(linux_load(img, 100, "", NULL, 0, &target, &e), -EINVAL);
}

/* An x86-64 ELF header whose @phnum program headers start at @phoff. */
static void elf_header(Elf64_Ehdr *eh, uint64_t phoff, uint16_t phnum, uint64_t entry)
{
    memcpy(eh->e_ident, ELFMAG, 4);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_machine = EM_X86_64;
    eh->e_phoff = phoff;
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = phnum;
    eh->e_entry = entry;
}

static void test_vmlinux(void **state)
{
    struct {
        Elf64_Ehdr eh;
        Elf64_Phdr ph;
        uint8_t code[256];
    } v;
    struct linux_entry e;

    (void)state;
    memset(&v, 0, sizeof(v));
    elf_header(&v.eh, offsetof(__typeof__(v), ph), 1, 0xffffffff81000040ull);  /* entry virtual: translated */
    v.ph.p_type = PT_LOAD;
    v.ph.p_offset = offsetof(__typeof__(v), code);
    v.ph.p_vaddr = 0xffffffff81000000ull;
    v.ph.p_paddr = 0x1000000;
    v.ph.p_filesz = sizeof(v.code);
    v.ph.p_memsz = 0x3000;
    memset(v.code, 0xcc, sizeof(v.code));
    ram[0x1000000 + 0x2000] = 0x55;                             /* bss must be zeroed */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "root=/dev/ram0", NULL, 0, &target, &e), 0);
    assert_int_equal(e.rip, 0x1000040);
    assert_int_equal(ram[0x1000000 + 0x2000], 0);
    assert_int_equal(ram[0x1000000 + 255], 0xcc);
    assert_int_equal(r32(LINUX_ZERO_PAGE + 0x202), 0x53726448);
    v.eh.e_entry = 0x1000080;                                   /* physical, as Linux links it */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), 0);
    assert_int_equal(e.rip, 0x1000080);
    v.eh.e_entry = 0x5000000;                                   /* in no segment */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), -EINVAL);
    v.eh.e_entry = 0x1000080;
    v.ph.p_paddr = RAM - 0x1000;                                /* not 2 MiB-aligned */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), -EINVAL);
    v.ph.p_paddr = 0x1000000;
    v.ph.p_memsz = RAM;                                         /* fits nowhere */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), -E2BIG);
    v.ph.p_memsz = 0x3000;
    {
        /* Its own place is not RAM (dom0's map): moved up whole, entry with it. */
        static const struct linux_e820 holey[] = {
            { 0, 0x9f000, LINUX_E820_RAM },
            { 0x100000, 0x1100000, LINUX_E820_RESERVED },       /* 1-18 MiB: the hypervisor's */
            { 0x1200000, RAM - 0x1200000, LINUX_E820_RAM },
        };
        struct linux_target t2 = target;
        t2.e820 = holey;
        t2.nr_e820 = 3;
        v.eh.e_entry = 0x1000080;
        assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", ram, 0x1000, &t2, &e), 0);
        assert_int_equal(e.kernel_start, 0x1200000);
        assert_int_equal(e.rip, 0x1200080);
        assert_int_equal(ram[0x1200000 + 255], 0xcc);
        assert_true(e.initrd_start >= e.kernel_end && e.initrd_end <= RAM);
        assert_int_equal(e.initrd_end, RAM);                    /* as high as it goes */
    }
    v.ph.p_filesz = 0x10000;                                    /* past the file */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), -E2BIG);
    v.eh.e_machine = 40;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), -EINVAL);
}

/* A vmlinux with Linux's PVH note (arch/x86/platform/pvh/head.S): entered there in 32-bit mode. */
static void test_pvh(void **state)
{
    struct {
        Elf64_Ehdr eh;
        Elf64_Phdr ph[2];
        uint32_t note[3];
        char name[4];
        uint64_t entry;
        uint8_t code[256];
    } v;
    struct linux_target t = target;
    struct linux_entry e;
    struct pvh_start_info si;
    struct pvh_module mod;
    struct pvh_memmap_entry m;
    static const uint8_t initrd[100] = { 1, 2, 3 };

    (void)state;
    memset(&v, 0, sizeof(v));
    elf_header(&v.eh, offsetof(__typeof__(v), ph), 2, 0x1000000);
    v.ph[0].p_type = PT_LOAD;
    v.ph[0].p_offset = offsetof(__typeof__(v), code);
    v.ph[0].p_vaddr = 0xffffffff81000000ull;
    v.ph[0].p_paddr = 0x1000000;
    v.ph[0].p_filesz = sizeof(v.code);
    v.ph[0].p_memsz = 0x3000;
    v.ph[1].p_type = PT_NOTE;
    v.ph[1].p_offset = offsetof(__typeof__(v), note);
    v.ph[1].p_filesz = 12 + 4 + 8;
    v.note[0] = 4;                                              /* namesz: "Xen\0" */
    v.note[1] = 8;                                              /* descsz: _ASM_PTR */
    v.note[2] = PVH_ELFNOTE_ENTRY;
    memcpy(v.name, "Xen", 4);
    v.entry = 0x1000100;
    t.pvh = 1;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "console=ttyS0", initrd, sizeof(initrd), &t, &e), 0);
    assert_int_equal(e.pvh, 1);
    assert_int_equal(e.rip, 0x1000100);
    assert_int_equal(e.rbx, LINUX_PVH_START);
    memcpy(&si, ram + LINUX_PVH_START, sizeof(si));
    assert_int_equal(si.magic, PVH_START_MAGIC);
    assert_int_equal(si.version, 1);
    assert_string_equal((char *)ram + si.cmdline_paddr, "console=ttyS0");
    assert_int_equal(si.rsdp_paddr, 0xf0000);
    /* Told the TSC's rate (an AMD guest has no CPUID leaf for it), unless its command line says it. */
    t.tsc_khz = 2457851;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "console=ttyS0", initrd, sizeof(initrd), &t, &e), 0);
    memcpy(&si, ram + LINUX_PVH_START, sizeof(si));
    assert_string_equal((char *)ram + si.cmdline_paddr, "console=ttyS0 tsc_early_khz=2457851");
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "tsc_early_khz=1000", initrd, sizeof(initrd), &t, &e), 0);
    memcpy(&si, ram + LINUX_PVH_START, sizeof(si));
    assert_string_equal((char *)ram + si.cmdline_paddr, "tsc_early_khz=1000");
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", initrd, sizeof(initrd), &t, &e), 0);
    memcpy(&si, ram + LINUX_PVH_START, sizeof(si));
    assert_string_equal((char *)ram + si.cmdline_paddr, "tsc_early_khz=2457851");
    assert_int_equal(si.nr_modules, 1);
    memcpy(&mod, ram + si.modlist_paddr, sizeof(mod));
    assert_int_equal(mod.size, sizeof(initrd));
    assert_memory_equal(ram + mod.paddr, initrd, sizeof(initrd));
    assert_int_equal(si.memmap_entries, 3);
    memcpy(&m, ram + si.memmap_paddr + 2 * sizeof(m), sizeof(m));
    assert_int_equal(m.addr, 0x100000);
    assert_int_equal(m.size, RAM - 0x100000);
    assert_int_equal(m.type, LINUX_E820_RAM);
    assert_true(si.memmap_paddr + 3 * sizeof(m) <= LINUX_PVH_START + 4096);
    /* Without an initrd: no module. A 4-byte note is read too. */
    v.note[1] = 4;
    v.ph[1].p_filesz = 12 + 4 + 4;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &t, &e), 0);
    memcpy(&si, ram + LINUX_PVH_START, sizeof(si));
    assert_int_equal(si.nr_modules, 0);
    assert_int_equal(e.rip, 0x1000100);
    /* Not asked for: the 64-bit entry and boot_params. */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &target, &e), 0);
    assert_int_equal(e.pvh, 0);
    assert_int_equal(e.rip, 0x1000000);
    assert_int_equal(r32(LINUX_ZERO_PAGE + 0x202), 0x53726448);
    /* The entry outside the kernel: refused. */
    v.entry = 0x5000000;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &t, &e), -EINVAL);
    assert_true(unit_log_has("PVH entry"));
    v.entry = 0x1000100;
    /* Hostile notes: a name or descriptor running past the segment is no note (64-bit entry). */
    v.note[0] = 0xfffffff0u;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &t, &e), 0);
    assert_int_equal(e.pvh, 0);
    v.note[0] = 4;
    v.note[1] = 0xfffffffdu;
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &t, &e), 0);
    assert_int_equal(e.pvh, 0);
    v.note[1] = 4;
    v.ph[1].p_filesz = 0x10000;                                 /* past the file: not read */
    assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &t, &e), 0);
    assert_int_equal(e.pvh, 0);
    v.ph[1].p_filesz = 12 + 4 + 4;
    /* Moved (its own place is not RAM): PVH code is not relocatable, so the 64-bit entry. */
    {
        static const struct linux_e820 holey[] = {
            { 0, 0x9f000, LINUX_E820_RAM },
            { 0x100000, 0x1100000, LINUX_E820_RESERVED },
            { 0x1200000, RAM - 0x1200000, LINUX_E820_RAM },
        };
        t.e820 = holey;
        assert_int_equal(linux_load((uint8_t *)&v, sizeof(v), "", NULL, 0, &t, &e), 0);
        assert_int_equal(e.pvh, 0);
        assert_int_equal(e.rip, 0x1200000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_debian_bzimage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bzimage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vmlinux, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pvh, setup, teardown),
    };
    return cmocka_run_group_tests_name("linux", tests, NULL, NULL);
}

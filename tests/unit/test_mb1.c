/* Multiboot (v1) loader: a real test guest, hand-made images, and hostile ones. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <multiboot.h>
#include <keel/elf.h>
#include <keel/mb1.h>
#include "unit.h"

#define RAM (8u << 20)
static uint8_t *ram;

static int copy_to(void *opaque, uint64_t gpa, const void *src, uint64_t len)
{
    (void)opaque;
    if (gpa > RAM || len > RAM - gpa)
        return -EFAULT;
    memcpy(ram + gpa, src, len);
    return 0;
}

static const struct mb1_target target = { RAM, copy_to, NULL };

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM);
    unit_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

/* A minimal ELF32 multiboot image: header, one PT_LOAD of code + bss. */
struct img {
    Elf32_Ehdr eh;
    Elf32_Phdr ph;
    struct multiboot_header mb;
    uint8_t code[64];
};

static void make_image(struct img *im)
{
    memset(im, 0, sizeof(*im));
    memcpy(im->eh.e_ident, ELFMAG, 4);
    im->eh.e_ident[EI_CLASS] = ELFCLASS32;
    im->eh.e_machine = EM_386;
    im->eh.e_entry = 0x100000 + offsetof(struct img, code);
    im->eh.e_phoff = offsetof(struct img, ph);
    im->eh.e_phentsize = sizeof(Elf32_Phdr);
    im->eh.e_phnum = 1;
    im->ph.p_type = PT_LOAD;
    im->ph.p_offset = 0;
    im->ph.p_paddr = 0x100000;
    im->ph.p_filesz = sizeof(*im);
    im->ph.p_memsz = sizeof(*im) + 0x3000;               /* bss */
    im->mb.magic = MULTIBOOT_HEADER_MAGIC;
    im->mb.flags = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO;
    im->mb.checksum = -(im->mb.magic + im->mb.flags);
    memset(im->code, 0x90, sizeof(im->code));
}

static void test_synthetic(void **state)
{
    struct img im;
    struct mb1_entry e;
    const struct multiboot_info *mbi;
    const struct multiboot_mmap_entry *mm;

    (void)state;
    make_image(&im);
    memset(ram + 0x100000 + sizeof(im), 0xff, 0x3000);  /* the bss must come out zeroed */
    assert_int_equal(mb1_load((uint8_t *)&im, sizeof(im), "hello world", NULL, 0, &target, &e), 0);
    assert_int_equal(e.eip, 0x100000 + offsetof(struct img, code));
    assert_int_equal(e.image_end, 0x100000 + sizeof(im) + 0x3000);
    assert_memory_equal(ram + 0x100000, &im, sizeof(im));
    assert_int_equal(ram[0x100000 + sizeof(im) + 0x2fff], 0);
    assert_int_equal(e.mbi % 4096, 0);
    assert_true(e.mbi >= e.image_end);
    mbi = (const void *)(ram + e.mbi);
    assert_int_equal(mbi->flags & (MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP),
                     MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP);
    assert_int_equal(mbi->mem_lower, 640);
    assert_int_equal(mbi->mem_upper, (RAM - 0x100000) / 1024);
    assert_string_equal((const char *)ram + mbi->cmdline, "hello world");
    assert_string_equal((const char *)ram + mbi->boot_loader_name, "Keel");
    assert_int_equal(mbi->mmap_length, 2 * sizeof(struct multiboot_mmap_entry));
    mm = (const void *)(ram + mbi->mmap_addr);
    assert_int_equal(mm[1].addr, 0x100000);
    assert_int_equal(mm[1].len, RAM - 0x100000);
    assert_int_equal(mm[1].type, MULTIBOOT_MEMORY_AVAILABLE);
    assert_int_equal(mm[0].size, 20);
    assert_int_equal(mbi->mods_count, 0);
}

static void test_modules(void **state)
{
    struct img im;
    struct mb1_entry e;
    const struct multiboot_info *mbi;
    const struct multiboot_mod_list *ml;
    static uint8_t big[RAM];
    struct mb1_module mods[2] = {
        { (const uint8_t *)"first module", 12, "one arg" },
        { (const uint8_t *)"2nd", 3, NULL },
    };

    (void)state;
    make_image(&im);
    if (mb1_load((uint8_t *)&im, sizeof(im), "k", mods, 2, &target, &e))
        fail_msg("%s", unit_log);
    mbi = (const void *)(ram + e.mbi);
    assert_true(mbi->flags & MULTIBOOT_INFO_MODS);
    assert_int_equal(mbi->mods_count, 2);
    ml = (const void *)(ram + mbi->mods_addr);
    assert_int_equal(ml[0].mod_start % 4096, 0);
    assert_true(ml[0].mod_start >= e.image_end);
    assert_int_equal(ml[0].mod_end - ml[0].mod_start, 12);
    assert_memory_equal(ram + ml[0].mod_start, "first module", 12);
    assert_string_equal((const char *)ram + ml[0].cmdline, "one arg");
    assert_int_equal(ml[1].mod_start % 4096, 0);
    assert_true(ml[1].mod_start >= ml[0].mod_end);
    assert_string_equal((const char *)ram + ml[1].cmdline, "");
    assert_string_equal((const char *)ram + mbi->cmdline, "k");
    assert_true(e.mbi > ml[1].mod_end);
    /* Too many, or too big for guest RAM. */
    assert_int_equal(mb1_load((uint8_t *)&im, sizeof(im), "k", mods, MB1_MAX_MODULES + 1, &target, &e), -EINVAL);
    mods[1] = (struct mb1_module){ big, RAM - 0x100000, NULL };        /* runs past the end of RAM */
    assert_int_equal(mb1_load((uint8_t *)&im, sizeof(im), "k", mods, 2, &target, &e), -E2BIG);
}

static void expect_fail(struct img *im, size_t len, int rc, const char *msg)
{
    struct mb1_entry e;

    unit_log_clear();
    assert_int_equal(mb1_load((uint8_t *)im, len, "", NULL, 0, &target, &e), rc);
    if (msg && !unit_log_has(msg))
        fail_msg("log lacks '%s': %s", msg, unit_log);
}

static void test_hostile(void **state)
{
    struct img im;

    (void)state;
    make_image(&im);
    im.mb.checksum++;
    expect_fail(&im, sizeof(im), -EINVAL, "no multiboot header");
    make_image(&im);
    im.mb.flags |= 1u << 2;                              /* video mode: not supported */
    im.mb.checksum = -(im.mb.magic + im.mb.flags);
    expect_fail(&im, sizeof(im), -EINVAL, "not supported");
    make_image(&im);
    im.ph.p_filesz = sizeof(im) + 1;                     /* beyond the file */
    expect_fail(&im, sizeof(im), -EINVAL, "outside the image");
    make_image(&im);
    im.ph.p_offset = 0xfffffff0;
    expect_fail(&im, sizeof(im), -EINVAL, "outside the image");
    make_image(&im);
    im.ph.p_memsz = 1;                                   /* filesz > memsz */
    expect_fail(&im, sizeof(im), -EINVAL, NULL);
    make_image(&im);
    im.ph.p_paddr = RAM - 16;                            /* beyond guest RAM */
    expect_fail(&im, sizeof(im), -E2BIG, "does not fit");
    make_image(&im);
    im.ph.p_paddr = 0xfffff000;                          /* wraps */
    expect_fail(&im, sizeof(im), -E2BIG, NULL);
    make_image(&im);
    im.eh.e_phnum = 60000;
    expect_fail(&im, sizeof(im), -EINVAL, "program header");
    make_image(&im);
    im.eh.e_phentsize = 16;
    expect_fail(&im, sizeof(im), -EINVAL, "program header");
    make_image(&im);
    im.eh.e_machine = 40;                                /* ARM */
    expect_fail(&im, sizeof(im), -EINVAL, "not i386");
    make_image(&im);
    im.eh.e_entry = 0x500000;
    expect_fail(&im, sizeof(im), -EINVAL, "entry point");
    make_image(&im);
    im.ph.p_type = 6;                                    /* nothing loadable */
    expect_fail(&im, sizeof(im), -EINVAL, "no loadable");
    make_image(&im);
    memcpy(im.eh.e_ident, "\177ELG", 4);
    expect_fail(&im, sizeof(im), -EINVAL, "not an ELF");
    expect_fail(&im, 10, -EINVAL, "no multiboot header");
}

static void test_aout_kludge(void **state)
{
    struct img im;
    struct mb1_entry e;
    uint32_t hoff = offsetof(struct img, mb);

    (void)state;
    make_image(&im);
    memcpy(im.eh.e_ident, "none", 4);                   /* the ELF header is not used */
    im.mb.flags |= MULTIBOOT_AOUT_KLUDGE;
    im.mb.checksum = -(im.mb.magic + im.mb.flags);
    im.mb.header_addr = 0x200000 + hoff;
    im.mb.load_addr = 0x200000;
    im.mb.load_end_addr = 0x200000 + sizeof(im);
    im.mb.bss_end_addr = 0x200000 + sizeof(im) + 0x1000;
    im.mb.entry_addr = 0x200000 + offsetof(struct img, code);
    assert_int_equal(mb1_load((uint8_t *)&im, sizeof(im), "", NULL, 0, &target, &e), 0);
    assert_int_equal(e.eip, im.mb.entry_addr);
    assert_int_equal(e.image_end, im.mb.bss_end_addr);
    assert_memory_equal(ram + 0x200000, &im, sizeof(im));
    im.mb.header_addr = 0x100000;                        /* header before load_addr */
    expect_fail(&im, sizeof(im), -EINVAL, "inconsistent");
    im.mb.header_addr = 0x200000 + hoff;
    im.mb.entry_addr = 0x900000;
    expect_fail(&im, sizeof(im), -EINVAL, "inconsistent");
}

static void test_real_guest_and_damage(void **state)
{
    FILE *f = fopen("build/guests/cpuid.elf", "rb");
    uint8_t *img, *copy;
    long len;
    struct mb1_entry e;
    uint32_t seed = 99;
    const struct mb1_module mod = { (const uint8_t *)"module", 6, "m" };

    (void)state;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    img = malloc((size_t)len);
    copy = malloc((size_t)len);
    assert_int_equal(fread(img, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    assert_int_equal(mb1_load(img, (size_t)len, "cpuid", NULL, 0, &target, &e), 0);
    assert_true(e.eip >= 0x100000 && e.eip < e.image_end);
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, img, (size_t)len);
        for (int k = 0; k < 4; k++)
            copy[unit_rand(&seed) % 256] = (uint8_t)unit_rand(&seed);   /* headers live up front */
        (void)mb1_load(copy, (size_t)len, "x", &mod, 1, &target, &e);
    }
    free(img);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_synthetic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_guest_and_damage, setup, teardown),
    };
    return cmocka_run_group_tests_name("mb1", tests, NULL, NULL);
}

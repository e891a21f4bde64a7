/* Multiboot2 parser: real GRUB BIOS/EFI tag streams, then corrupted ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <boot/mb2.h>
#include <boot/multiboot2.h>
#include "unit.h"

static struct boot_info bi;

static uint8_t *load_mbi(const char *name, size_t *len)
{
    struct fixture f;
    uint8_t *copy;

    fixture_load(&f, name);
    assert_int_equal(f.nr, 1);
    *len = f.r[0].len;
    copy = malloc(*len);
    memcpy(copy, f.r[0].data, *len);
    fixture_free(&f);
    return copy;
}

static uint64_t ram_bytes(const struct boot_info *b)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < b->nr_mem; i++)
        if (b->mem[i].type == BOOT_MEM_RAM)
            n += b->mem[i].len;
    return n;
}

static void test_grub_bios(void **state)
{
    size_t len;
    uint8_t *m = load_mbi("mb2-qemu-q35-bios.txt", &len);

    (void)state;
    assert_int_equal(mb2_parse(m, len, &bi), 0);
    assert_non_null(strstr(bi.loader, "GRUB"));
    assert_non_null(strstr(bi.cmdline, "keel.dump=mbi,acpi"));
    assert_true(bi.nr_mem >= 3);
    /* QEMU -m 512: a little less than 512 MiB is RAM. */
    assert_true(ram_bytes(&bi) > (500ull << 20) && ram_bytes(&bi) <= (512ull << 20));
    assert_true(bi.rsdp_len >= 20);
    assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
    assert_int_equal(bi.efi_system_table, 0);
    free(m);
}

static void test_grub_efi(void **state)
{
    size_t len;
    uint8_t *m = load_mbi("mb2-qemu-q35-efi.txt", &len);

    (void)state;
    assert_int_equal(mb2_parse(m, len, &bi), 0);
    assert_true(bi.nr_mem > 3);
    assert_true(ram_bytes(&bi) > (480ull << 20) && ram_bytes(&bi) <= (512ull << 20));
    assert_int_not_equal(bi.efi_system_table, 0);     /* tag 12 */
    assert_int_equal(bi.rsdp_len, 36);                 /* ACPI 2.0 RSDP from OVMF */
    free(m);
}

static void test_grub_bochs(void **state)
{
    size_t len;
    uint8_t *m = load_mbi("mb2-bochs.txt", &len);

    (void)state;
    assert_int_equal(mb2_parse(m, len, &bi), 0);
    assert_true(ram_bytes(&bi) > (500ull << 20));
    free(m);
}

/* Build a small stream by hand: header, tags..., end. */
struct builder {
    uint8_t buf[4096];
    size_t len;
};

static void *add_tag(struct builder *b, uint32_t type, uint32_t size)
{
    struct mb2_tag *t = (void *)(b->buf + b->len);

    memset(t, 0, (size + 7) & ~7u);
    t->type = type;
    t->size = size;
    b->len += (size + 7) & ~7u;
    return t;
}

static void start(struct builder *b)
{
    memset(b, 0, sizeof(*b));
    b->len = 8;
}

static size_t finish(struct builder *b)
{
    add_tag(b, MULTIBOOT2_TAG_TYPE_END, 8);
    ((struct mb2_info_header *)b->buf)->total_size = (uint32_t)b->len;
    return b->len;
}

static void add_mmap(struct builder *b)
{
    struct mb2_tag_mmap *m = add_tag(b, MULTIBOOT2_TAG_TYPE_MMAP, 16 + 2 * 24);
    m->entry_size = 24;
    m->entries[0] = (struct mb2_mmap_entry){ 0, 0x9fc00, 1, 0 };
    m->entries[1] = (struct mb2_mmap_entry){ 0x100000, 0x1000000, 1, 0 };
}

static void test_synthetic_ok(void **state)
{
    struct builder b;
    struct mb2_tag_module *mod;
    struct mb2_tag_string *s;

    (void)state;
    start(&b);
    s = add_tag(&b, MULTIBOOT2_TAG_TYPE_CMDLINE, 8 + 6);
    memcpy(s->string, "a=1 b", 6);
    mod = add_tag(&b, MULTIBOOT2_TAG_TYPE_MODULE, 16 + 5);
    mod->mod_start = 0x2000000;
    mod->mod_end = 0x2100000;
    memcpy(mod->cmdline, "dom0", 5);
    add_mmap(&b);
    assert_int_equal(mb2_parse(b.buf, finish(&b), &bi), 0);
    assert_string_equal(bi.cmdline, "a=1 b");
    assert_int_equal(bi.nr_modules, 1);
    assert_string_equal(bi.modules[0].cmdline, "dom0");
    assert_int_equal(bi.modules[0].end, 0x2100000);
    assert_int_equal(bi.nr_mem, 2);
}

static void test_efi_map_only(void **state)
{
    struct builder b;
    struct mb2_tag_efi_mmap *e;
    uint8_t desc[2][48];

    (void)state;
    memset(desc, 0, sizeof(desc));
    /* type, pad, phys, virt, pages, attr; DescriptorSize 48 as OVMF uses */
    *(uint32_t *)desc[0] = 7;                       /* conventional */
    *(uint64_t *)(desc[0] + 8) = 0x100000;
    *(uint64_t *)(desc[0] + 24) = 256;
    *(uint32_t *)desc[1] = 9;                       /* ACPI reclaim */
    *(uint64_t *)(desc[1] + 8) = 0x200000;
    *(uint64_t *)(desc[1] + 24) = 1;
    start(&b);
    e = add_tag(&b, MULTIBOOT2_TAG_TYPE_EFI_MMAP, 16 + sizeof(desc));
    e->descr_size = 48;
    memcpy(e->efi_mmap, desc, sizeof(desc));
    assert_int_equal(mb2_parse(b.buf, finish(&b), &bi), 0);
    assert_int_equal(bi.nr_mem, 2);
    assert_int_equal(bi.mem[0].type, BOOT_MEM_RAM);
    assert_int_equal(bi.mem[0].len, 1 << 20);
    assert_int_equal(bi.mem[1].type, BOOT_MEM_ACPI);
}

static void expect_reject(uint8_t *buf, size_t avail, const char *msg)
{
    unit_log_clear();
    assert_int_equal(mb2_parse(buf, avail, &bi), -22);
    if (!unit_log_has(msg))
        fail_msg("log lacks '%s': %s", msg, unit_log);
}

static void test_corrupt(void **state)
{
    struct builder b;
    size_t len;
    struct mb2_tag_string *s;
    struct mb2_tag_mmap *m;

    (void)state;
    expect_reject(b.buf, 4, "truncated");

    start(&b);
    add_mmap(&b);
    len = finish(&b);
    expect_reject(b.buf, len - 8, "bad total_size");         /* declared > readable */

    start(&b);
    add_mmap(&b);
    len = finish(&b);
    ((struct mb2_info_header *)b.buf)->total_size = (uint32_t)(len - 8);   /* end tag cut off */
    expect_reject(b.buf, len, "no end tag");

    start(&b);
    add_mmap(&b);
    ((struct mb2_tag *)(b.buf + 8))->size = 4;                 /* smaller than a tag */
    len = finish(&b);
    expect_reject(b.buf, len, "bad size");

    start(&b);
    add_mmap(&b);
    ((struct mb2_tag *)(b.buf + 8))->size = 0x10000;           /* past the end */
    len = finish(&b);
    expect_reject(b.buf, len, "bad size");

    start(&b);
    s = add_tag(&b, MULTIBOOT2_TAG_TYPE_CMDLINE, 8 + 4);
    memcpy(s->string, "abcd", 4);                              /* no NUL */
    add_mmap(&b);
    len = finish(&b);
    expect_reject(b.buf, len, "unterminated");

    start(&b);
    m = add_tag(&b, MULTIBOOT2_TAG_TYPE_MMAP, 16 + 24);
    m->entry_size = 0;
    len = finish(&b);
    expect_reject(b.buf, len, "bad memory map");

    start(&b);
    len = finish(&b);
    expect_reject(b.buf, len, "no memory map");

    start(&b);
    add_mmap(&b);
    add_tag(&b, MULTIBOOT2_TAG_TYPE_ACPI_NEW, 8 + 8);          /* 8-byte "RSDP" */
    len = finish(&b);
    expect_reject(b.buf, len, "RSDP");
}

/* Random damage to real streams: any result is fine, reading out of bounds is not. */
static void test_random_damage(void **state)
{
    static const char *const names[] = { "mb2-qemu-q35-bios.txt", "mb2-qemu-q35-efi.txt", "mb2-bochs.txt" };
    uint32_t seed = 12345;

    (void)state;
    for (size_t n = 0; n < 3; n++) {
        size_t len;
        uint8_t *orig = load_mbi(names[n], &len);

        for (int iter = 0; iter < 3000; iter++) {
            uint8_t *m = malloc(len);
            memcpy(m, orig, len);
            for (int k = 0; k < 1 + (int)(unit_rand(&seed) % 4); k++)
                m[unit_rand(&seed) % len] = (uint8_t)unit_rand(&seed);
            unit_log_clear();
            (void)mb2_parse(m, len, &bi);
            free(m);
        }
        free(orig);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grub_bios),
        cmocka_unit_test(test_grub_efi),
        cmocka_unit_test(test_grub_bochs),
        cmocka_unit_test(test_synthetic_ok),
        cmocka_unit_test(test_efi_map_only),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_random_damage),
    };
    return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}

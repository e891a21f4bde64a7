/* keel.cfg parser of the UEFI loader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <boot/keel_cfg.h>
#include "unit.h"

static struct keel_cfg cfg;
static char err[96];

static int parse(const char *s)
{
    err[0] = '\0';
    return keel_cfg_parse(s, strlen(s), &cfg, err, sizeof(err));
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(parse("# Keel\r\n\n  hypervisor=keel.elf console=com1  loglvl=info \r\n"
                           "module=vmlinuz root=/dev/ram0\nmodule=initrd.img\n"), 0);
    assert_string_equal(cfg.hypervisor.path, "keel.elf");
    assert_string_equal(cfg.hv_args, "console=com1  loglvl=info");
    assert_int_equal(cfg.nr_modules, 2);
    assert_string_equal(cfg.modules[0].path, "vmlinuz");
    assert_string_equal(cfg.modules[0].args, "root=/dev/ram0");
    assert_string_equal(cfg.modules[1].path, "initrd.img");
    assert_string_equal(cfg.modules[1].args, "");
    assert_int_equal(parse("hypervisor=keel.elf"), 0);      /* no newline at the end */
    assert_int_equal(cfg.nr_modules, 0);
}

static void test_errors(void **state)
{
    char big[2048];

    (void)state;
    assert_int_equal(parse(""), 1);
    assert_non_null(strstr(err, "no hypervisor"));
    assert_int_equal(parse("# only\n# comments\n"), 2);
    assert_int_equal(parse("hypervisor=a\nkernel=b\n"), 2);
    assert_non_null(strstr(err, "unknown key"));
    assert_int_equal(parse("hypervisor=a\nhypervisor=b\n"), 2);
    assert_int_equal(parse("hypervisor=\n"), 1);
    assert_int_equal(parse("hypervisor=a\nmodule=   \n"), 2);
    assert_int_equal(keel_cfg_parse("hypervisor=a\nmodule=b\0c\n", 23, &cfg, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "NUL"));
    memset(big, 'x', sizeof(big));
    memcpy(big, "hypervisor=", 11);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(parse(big), 1);
    assert_non_null(strstr(err, "too long"));
    strcpy(big, "hypervisor=a\n");
    for (int i = 0; i <= BOOT_MODULES_MAX; i++)
        strcat(big, "module=m\n");
    assert_int_equal(parse(big), 2 + BOOT_MODULES_MAX);
    assert_non_null(strstr(err, "too many"));
    /* A tiny error buffer is respected. */
    assert_int_equal(keel_cfg_parse("x", 1, &cfg, err, 4), 1);
    assert_int_equal(strlen(err), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("keel_cfg", tests, NULL, NULL);
}

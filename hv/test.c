/* Test-mode verdicts (see keel/test.h). */
#include <stdio.h>
#include <string.h>
#include <keel/arch.h>
#include <keel/console.h>
#include <keel/test.h>

char opt_test[TEST_NAME_MAX];

static __noreturn void verdict(const char *name, int pass, const char *reason)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "KEEL-TEST: %s %s%s%s\n", pass ? "PASS" : "FAIL",
                     name, reason ? ": " : "", reason ? reason : "");

    console_write(line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
    arch_emulator_exit(pass);
}

void test_fail_if_testing(const char *reason)
{
    if (opt_test[0])
        verdict(opt_test, 0, reason);
}

void test_stage_done(const char *name, int pass, const char *reason)
{
    if (!strcmp(opt_test, name))
        verdict(name, pass, reason);
}

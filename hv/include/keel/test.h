/*
 * Test mode (keel.test=NAME on the command line): at the end of the named
 * stage the hypervisor prints "KEEL-TEST: PASS NAME" (or FAIL with a reason)
 * and ends the emulator run. Boot tests read the verdict from the serial log.
 */
#ifndef KEEL_TEST_H
#define KEEL_TEST_H
#include <keel/lib.h>

#define TEST_NAME_MAX 32
extern char opt_test[TEST_NAME_MAX];

/* In test mode: print the FAIL verdict with @reason and end the run. */
void test_fail_if_testing(const char *reason);
/* Print the verdict for stage @name when it is the one under test, and exit. */
void test_stage_done(const char *name, int pass, const char *reason);
#endif

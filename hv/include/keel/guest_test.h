/* keel.test=guest: run the boot modules as test domains (hv/guest_test.c). */
#ifndef KEEL_GUEST_TEST_H
#define KEEL_GUEST_TEST_H
#include <boot/boot_info.h>

void guest_test_run(const struct boot_info *bi);
#endif

/*
 * keel-dm's callbacks into its main loop (dm.h), as weak no-ops for the
 * device-model unit tests: a test defines the ones it watches (MSIs
 * counted, watches kept) and takes these for the rest.
 */
#include <errno.h>
#include "../../tools/keel-dm/dm.h"

#define WEAK __attribute__((weak))

WEAK int dm_msi(struct dm *d, uint64_t addr, uint32_t data) { return 0; }
WEAK int dm_intx(struct dm *d, unsigned slot, int level) { return 0; }
WEAK uint32_t dm_ioevent_add(struct dm *d, uint64_t gpa) { return 0; }
WEAK void dm_ioevent_del(struct dm *d, uint64_t gpa, uint32_t port) {}
WEAK int dm_ioeventfd(struct dm *d, uint32_t port, int fd) { return -ENOTTY; }
WEAK int dm_irqfd(struct dm *d, int fd, int assign, uint64_t addr, uint32_t data) { return -ENOTTY; }
WEAK void dm_log(const char *fmt, ...) {}
WEAK void dm_watch(int fd, void (*in)(void *), void (*hup)(void *), void *arg) {}
WEAK void dm_unwatch(int fd) {}

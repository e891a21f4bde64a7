/*
 * What newlib expects from its host. The hypervisor has no heap (memory
 * comes from the frame allocator), no files and no processes: these calls
 * fail cleanly if some libc path ever reaches them.
 */
#include <errno.h>
#include <stddef.h>
#include <keel/lib.h>

void *sbrk(ptrdiff_t incr);

void *sbrk(ptrdiff_t incr)
{
    (void)incr;
    errno = ENOMEM;
    return (void *)-1;
}

__noreturn void abort(void);
void abort(void)
{
    panic("abort() called");
}

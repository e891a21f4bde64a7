/*
 * Which hypercall argument is a guest-physical buffer, and how many bytes
 * Keel reads or writes there: keel.ko bounces exactly that buffer through
 * kernel memory it owns and refuses anything else, so that no caller of
 * the hypercall ioctl (root included) can make Keel write dom0 memory
 * outside the buffer (a DOMAIN_LIST of 64 entries into 200 bytes), or at
 * an address of its choosing. Shared by keel.ko and the host tests.
 */
#ifndef KEEL_PUBLIC_HCBUF_H
#define KEEL_PUBLIC_HCBUF_H
#include "keel.h"

/*
 * 1 when hypercall @nr takes a buffer: *@arg is the argument that holds its
 * address, *@bytes the most Keel may touch there (from the other
 * arguments, which the caller passes as they are); 0 when it takes none.
 */
static inline int keel_hc_buffer(uint64_t nr, const uint64_t a[5], unsigned *arg, uint64_t *bytes)
{
    switch (nr) {
    case KEEL_HC_CONSOLE_READ:          /* (gpa, len, flags) */
        *arg = 0;
        *bytes = a[1];
        return 1;
    case KEEL_HC_PHYSINFO:              /* (gpa) */
        *arg = 0;
        *bytes = sizeof(struct keel_physinfo);
        return 1;
    case KEEL_HC_DOMAIN_CREATE:         /* (gpa) */
        *arg = 0;
        *bytes = sizeof(struct keel_domain_create);
        return 1;
    case KEEL_HC_DOMAIN_LIST:           /* (gpa, max, first) */
        *arg = 0;
        *bytes = a[1] > KEEL_DOMAIN_LIST_MAX ? ~0ull : a[1] * sizeof(struct keel_domain_info);
        return 1;
    case KEEL_HC_VCPU_SET_ENTRY:        /* (domid, vcpu, gpa) */
        *arg = 2;
        *bytes = sizeof(struct keel_vcpu_entry);
        return 1;
    case KEEL_HC_DOMAIN_CONSOLE:        /* (domid, op, gpa, len, pos) */
        *arg = 2;
        *bytes = a[3];
        return 1;
    case KEEL_HC_VCPU_LIST:             /* (domid, gpa, max) */
        *arg = 1;
        *bytes = a[2] > KEEL_MAX_VCPUS ? ~0ull : a[2] * sizeof(struct keel_vcpu_info);
        return 1;
    case KEEL_HC_VCPU_CONTEXT:          /* (domid, vcpu, op, gpa) */
        *arg = 3;
        *bytes = sizeof(struct keel_vcpu_context);
        return 1;
    }
    return 0;
}
#endif

/*
 * Hypercall table. Each entry says who may call it; an unknown number is
 * -ENOSYS, a call a domain may not make is -EPERM, and arguments are
 * validated by the handler before anything is touched.
 */
#include <errno.h>
#include <public/keel.h>
#include <keel/arch.h>
#include <keel/domain.h>
#include <keel/domctl.h>
#include <keel/evtchn.h>
#include <keel/hypercall.h>
#include <keel/console.h>
#include <keel/lib.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <stdio.h>
#include <string.h>
#include <keel/test.h>

#define HC_ANY_DOMAIN   0
#define HC_DOM0_ONLY    1
#define HC_TEST_ONLY    2       /* only with keel.test=... on the command line */

struct hypercall {
    int64_t (*fn)(struct vcpu *v, const uint64_t a[5]);
    int who;
};

static int64_t hc_abi_version(struct vcpu *v, const uint64_t a[5])
{
    return KEEL_ABI_VERSION;
}

static int64_t hc_test_ept_protect(struct vcpu *v, const uint64_t a[5])
{
    return arch_test_p2m_protect(v->domain, a[0], a[1]);
}

static int64_t hc_test_ept_query(struct vcpu *v, const uint64_t a[5])
{
    return arch_test_p2m_query(v->domain, a[0]);
}

static int64_t hc_test_wp_faults(struct vcpu *v, const uint64_t a[5])
{
    return (int64_t)arch_test_counter(v, 0);
}

static int64_t hc_test_exits(struct vcpu *v, const uint64_t a[5])
{
    return (int64_t)arch_test_counter(v, 1);
}

/* (gpa, len, flags): the log ring into the caller's memory, in pieces. */
static int64_t hc_console_read(struct vcpu *v, const uint64_t a[5])
{
    static uint64_t cleared;            /* KEEL_CONSOLE_CLEAR: where reads start */
    uint64_t gpa = a[0], len = a[1], pos = cleared, end;
    char piece[256];
    size_t n;
    int64_t done = 0;

    if (len > KEEL_CONSOLE_READ_MAX || (a[2] & ~(uint64_t)KEEL_CONSOLE_CLEAR) || gpa + len < gpa)
        return -EINVAL;
    while ((uint64_t)done < len && (n = log_ring_read_from(&pos, piece, MIN(sizeof(piece), len - (uint64_t)done)))) {
        if (domain_copy_to(v->domain, gpa + (uint64_t)done, piece, n))
            return -EFAULT;
        done += (int64_t)n;
    }
    end = pos;
    if (a[2] & KEEL_CONSOLE_CLEAR)
        cleared = end;
    return done;
}

static int64_t hc_physinfo(struct vcpu *v, const uint64_t a[5])
{
    struct keel_physinfo pi;

    memset(&pi, 0, sizeof(pi));
    pi.nr_cpus = nr_cpus_online;
    pi.abi_version = KEEL_ABI_VERSION;
    pi.free_bytes = mm_free_bytes();
    pi.tsc_khz = arch_tsc_khz();
    pi.total_bytes = mm_total_bytes();
    arch_physinfo(&pi);
    snprintf(pi.version, sizeof(pi.version), "%s", KEEL_VERSION);
    return domain_copy_to(v->domain, a[0], &pi, sizeof(pi));
}

#define DOMCTL(name) \
    static int64_t hc_##name(struct vcpu *v, const uint64_t a[5]) { return domctl(KEEL_HC_##name, v, a); }
DOMCTL(DOMAIN_CREATE)
DOMCTL(DOMAIN_DESTROY)
DOMCTL(DOMAIN_PAUSE)
DOMCTL(DOMAIN_UNPAUSE)
DOMCTL(DOMAIN_LIST)
DOMCTL(DOMAIN_SET_MAXMEM)
DOMCTL(VCPU_SET_ENTRY)
DOMCTL(DOMAIN_CONSOLE)
DOMCTL(DOMAIN_SHUTDOWN)
DOMCTL(VCPU_LIST)
DOMCTL(VCPU_CONTEXT)
DOMCTL(FOREIGN_MAP)
DOMCTL(FOREIGN_UNMAP)
DOMCTL(DOMAIN_SET_WALLCLOCK)
DOMCTL(DM_OP)

/* Indexed by number; the contract of each handler is in public/keel.h. */
static const struct hypercall table[] = {
    [KEEL_HC_ABI_VERSION] = { hc_abi_version, HC_ANY_DOMAIN },
    [KEEL_HC_CONSOLE_READ] = { hc_console_read, HC_DOM0_ONLY },
    [KEEL_HC_PHYSINFO] = { hc_physinfo, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_CREATE] = { hc_DOMAIN_CREATE, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_DESTROY] = { hc_DOMAIN_DESTROY, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_PAUSE] = { hc_DOMAIN_PAUSE, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_UNPAUSE] = { hc_DOMAIN_UNPAUSE, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_LIST] = { hc_DOMAIN_LIST, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_SET_MAXMEM] = { hc_DOMAIN_SET_MAXMEM, HC_DOM0_ONLY },
    [KEEL_HC_VCPU_SET_ENTRY] = { hc_VCPU_SET_ENTRY, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_CONSOLE] = { hc_DOMAIN_CONSOLE, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_SHUTDOWN] = { hc_DOMAIN_SHUTDOWN, HC_DOM0_ONLY },
    [KEEL_HC_VCPU_LIST] = { hc_VCPU_LIST, HC_DOM0_ONLY },
    [KEEL_HC_EVTCHN_OP] = { evtchn_op, HC_ANY_DOMAIN },
    [KEEL_HC_VCPU_CONTEXT] = { hc_VCPU_CONTEXT, HC_DOM0_ONLY },
    [KEEL_HC_FOREIGN_MAP] = { hc_FOREIGN_MAP, HC_DOM0_ONLY },
    [KEEL_HC_FOREIGN_UNMAP] = { hc_FOREIGN_UNMAP, HC_DOM0_ONLY },
    [KEEL_HC_DOMAIN_SET_WALLCLOCK] = { hc_DOMAIN_SET_WALLCLOCK, HC_DOM0_ONLY },
    [KEEL_HC_DM_OP] = { hc_DM_OP, HC_DOM0_ONLY },
};

/* Indexed by number - KEEL_HC_TEST_BASE. */
static const struct hypercall test_table[KEEL_HC_MAX - KEEL_HC_TEST_BASE] = {
    [KEEL_HC_TEST_EPT_PROTECT - KEEL_HC_TEST_BASE] = { hc_test_ept_protect, HC_TEST_ONLY },
    [KEEL_HC_TEST_EPT_QUERY - KEEL_HC_TEST_BASE] = { hc_test_ept_query, HC_TEST_ONLY },
    [KEEL_HC_TEST_WP_FAULTS - KEEL_HC_TEST_BASE] = { hc_test_wp_faults, HC_TEST_ONLY },
    [KEEL_HC_TEST_EXITS - KEEL_HC_TEST_BASE] = { hc_test_exits, HC_TEST_ONLY },
};

/* Internal (newlib) errno -> the ABI's (Linux) numbering. */
static int64_t abi_result(int64_t rc)
{
    static const struct { int in, out; } map[] = {
        { EPERM, KEEL_EPERM }, { ENOENT, KEEL_ENOENT }, { EIO, KEEL_EIO }, { ENOMEM, KEEL_ENOMEM },
        { EFAULT, KEEL_EFAULT }, { EBUSY, KEEL_EBUSY }, { EEXIST, KEEL_EEXIST }, { EINVAL, KEEL_EINVAL },
        { ENOSPC, KEEL_ENOSPC }, { ERANGE, KEEL_ERANGE }, { ENOSYS, KEEL_ENOSYS },
    };

    if (rc >= 0 || rc < -4095)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (-rc == map[i].in)
            return -map[i].out;
    return -KEEL_EIO;           /* anything unmapped is reported as an I/O error */
}

static int64_t dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[5])
{
    const struct hypercall *h = NULL;

    if (nr < ARRAY_SIZE(table))
        h = &table[nr];
    else if (nr >= KEEL_HC_TEST_BASE && nr - KEEL_HC_TEST_BASE < ARRAY_SIZE(test_table))
        h = &test_table[nr - KEEL_HC_TEST_BASE];
    if (!h || !h->fn)
        return -ENOSYS;
    if (h->who == HC_TEST_ONLY && !opt_test[0])
        return -ENOSYS;
    if (h->who == HC_DOM0_ONLY && !v->domain->privileged)
        return -EPERM;
    return h->fn(v, args);
}

int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[5])
{
    return abi_result(dispatch(v, nr, args));
}

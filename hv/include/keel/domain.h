/*
 * Domains and vCPUs: the generic part. Architecture state is embedded
 * (struct domain_arch, struct vcpu_arch) and touched only through arch_*.
 */
#ifndef KEEL_DOMAIN_H
#define KEEL_DOMAIN_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <asm/vcpu_arch.h>
#include <keel/dm.h>
#include <keel/evtchn.h>
#include <keel/ratelimit.h>

#define DOMAIN_MAX          64          /* domains at once, dom0 included */
#define DOMAIN_MAX_VCPUS    8
#define DOMAIN_MAX_CHUNKS   64
#define DOMAIN_NAME_MAX     32
#define CONSOLE_LINE_MAX    160
#define CONSOLE_RING_ORDER  2           /* a domU's console output: 16 KiB */
#define DOMAIN_MEM_UNLIMITED UINT64_MAX
#define DOMAIN_RAM_BORROWED (-1)        /* domain_add_ram(): not the domain's to free */

enum domain_state { DOMAIN_RUNNING, DOMAIN_SHUTDOWN, DOMAIN_CRASHED };
/* Why a domain shut down (the ABI's KEEL_SHUTDOWN_* values). */
enum shutdown_reason { SHUTDOWN_POWEROFF = 0, SHUTDOWN_REBOOT = 1, SHUTDOWN_CRASH = 3 };

struct vcpu;
struct domain;

/* An emulated I/O port range: returns 0, or -1 to let the default apply. */
typedef int (*portio_fn)(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val);

struct portio {
    uint16_t base, count;
    portio_fn fn;
};

/* An emulated MMIO range: 0, or -1 to stop the guest. @val holds @size bytes. */
typedef int (*mmio_fn)(struct vcpu *v, uint64_t gpa, unsigned size, int write, uint64_t *val);

struct mmio {
    uint64_t base, size;
    mmio_fn fn;
};

struct mem_chunk {
    uint64_t gpa, hpa, size;
    int order;                      /* made of allocator blocks of this order, freed with the
                                     * domain; DOMAIN_RAM_BORROWED: not ours (dom0's low RAM) */
};

struct domain {
    uint32_t id;
    int privileged;                 /* dom0: owns the machine's devices */
    char name[DOMAIN_NAME_MAX];
    uint8_t uuid[16];
    volatile enum domain_state state;
    int pause_count;                /* > 0: no vCPU runs (domain_pause()) */
    enum shutdown_reason shutdown_reason;
    uint32_t exit_code;
    char crash_reason[96];
    uint64_t created_tsc;
    uint64_t mem_bytes;
    uint64_t max_mem_bytes;         /* domain_add_ram() stops here (DOMAIN_MEM_UNLIMITED: no limit) */
    uint32_t nr_chunks;
    struct mem_chunk chunks[DOMAIN_MAX_CHUNKS];
    uint32_t nr_portio;
    struct portio portio[16];
    uint32_t nr_mmio;
    struct mmio mmio[8];
    char con_line[CONSOLE_LINE_MAX];
    size_t con_len;
    uint8_t *con_ring;              /* a domU's console output (else: logged line by line) */
    uint64_t con_prod;              /* bytes ever written to it */
    int con_notify;                 /* its next byte raises KEEL_VIRQ_CONSOLE (a reader waits) */
    int con_event;                  /* that byte came: domain_console_event() sends the VIRQ */
    struct ratelimit log_rl;        /* gprintk()'s budget for this domain (under the log lock) */
    /* The domain's emulated devices: typed console input goes to @console_input. */
    void *platform;
    void (*platform_free)(struct domain *d);
    int (*console_input)(struct domain *d, uint8_t c);
    /* Event channels (hv/evtchn.c, under its lock): ports, the pending page, the interrupt. */
    struct evtchn evtchn[KEEL_EVTCHN_PORTS];
    struct keel_evtchn_page *evtchn_page;   /* in the domain's RAM; NULL until KEEL_EVTCHN_INIT */
    uint32_t evtchn_gsi;                    /* what the platform raises (0: none) */
    void (*evtchn_upcall)(struct domain *d);
    /* Its device model in dom0 (hv/dm.c), and the PCI configuration address latch (0xcf8). */
    struct dm *dm;
    uint32_t pci_cf8;
    uint32_t max_vcpus;             /* what CPUID and the MADT advertise */
    uint32_t nr_vcpus;
    struct vcpu *vcpus[DOMAIN_MAX_VCPUS];
    struct domain_arch arch;
};

struct vcpu {
    uint32_t id;
    struct domain *domain;
    unsigned processor;             /* the physical CPU it runs on (sched.c) */
    volatile int running;           /* on that CPU right now */
    volatile int blocked;           /* halted until an event (arch_vcpu_ready()) */
    uint64_t cpu_tsc;               /* TSC ticks spent running */
    uint64_t yields;                /* PAUSE loops that gave the CPU up (vcpu_yield()) */
    struct vcpu_io io;              /* a device-model access out, and the answers of the current instruction */
    struct vcpu_arch arch;
};

/*
 * Allocate and map @bytes of RAM at guest-physical 0 (a multiple of 2 MiB,
 * in the largest blocks the allocator has: 1 GiB and 2 MiB EPT pages), for
 * up to @max_vcpus; @bytes is also its maximum. With @bytes 0 the domain
 * starts without RAM and without a maximum (dom0's builder adds its own
 * with domain_add_ram()). NULL (logged) on failure.
 */
struct domain *domain_create(const char *name, uint64_t bytes, uint32_t max_vcpus);
/* The same with no RAM for dom0's builder: id 0, as Xen's dom0 (NULL if it exists). */
struct domain *domain_create_dom0(const char *name, uint32_t max_vcpus);
/*
 * Map [gpa, gpa + size) -> [hpa, ...) as the domain's RAM (zeroing is the
 * caller's). @order: it is made of allocator blocks of that order, which the
 * domain frees; DOMAIN_RAM_BORROWED: it is not the domain's to free.
 * -ENOSPC past the domain's max_mem_bytes.
 */
int domain_add_ram(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size, int order);
/* Free a domain none of whose vCPUs is on a CPU (never placed, or removed). */
void domain_destroy(struct domain *d);
/* Stop @d wherever its vCPUs run, take them off their CPUs and destroy it. Not for dom0. */
void domain_kill(struct domain *d);
struct vcpu *vcpu_create(struct domain *d);

/*
 * The domain with @id, or NULL (an id past 32 bits is nobody's: hypercall
 * arguments come as they are). The caller keeps it from being destroyed.
 */
struct domain *domain_find(uint64_t id);
struct domain *domain_find_name(const char *name);
/* The first domain with an id >= @id, or NULL (iteration in id order). */
struct domain *domain_next(uint32_t id);
/* A domU someone may control: 0 and *@out, -ENOENT (none), -EPERM (dom0). */
static inline int domain_find_domu(uint64_t id, struct domain **out)
{
    struct domain *d = domain_find(id);

    if (!d)
        return -ENOENT;
    if (d->privileged)
        return -EPERM;
    *out = d;
    return 0;
}
/* Stop all of @d's vCPUs (counted: as many unpauses resume it); not for the caller's own. */
void domain_pause(struct domain *d);
int domain_unpause(struct domain *d);
/* Give @d a console ring (dom0 reads it); 0 or -ENOMEM. */
int domain_console_ring_init(struct domain *d);
/*
 * Copy console output from position *@pos (moved up to the oldest byte
 * kept); returns bytes. The next byte written raises KEEL_VIRQ_CONSOLE.
 */
size_t domain_console_read(struct domain *d, uint64_t *pos, void *buf, size_t len);

/* The host address of guest RAM at @gpa and how far it runs contiguously: 0, or -EINVAL (not RAM). */
int domain_ram_hpa(struct domain *d, uint64_t gpa, uint64_t *hpa, uint64_t *run);
/* Host pointer to [gpa, gpa + len) of guest RAM, or NULL if not all RAM of one chunk. */
void *domain_gpa_to_hva(struct domain *d, uint64_t gpa, uint64_t len);
/* Copy to/from guest RAM across chunks; 0 or -EFAULT. */
int domain_copy_to(struct domain *d, uint64_t gpa, const void *src, uint64_t len);
int domain_copy_from(struct domain *d, void *dst, uint64_t gpa, uint64_t len);

int domain_register_portio(struct domain *d, uint16_t base, uint16_t count, portio_fn fn);
/* Dispatch a port access; unclaimed reads return all ones, writes are dropped. */
void domain_portio(struct vcpu *v, uint16_t port, unsigned size, int in, uint32_t *val);

int domain_register_mmio(struct domain *d, uint64_t base, uint64_t size, mmio_fn fn);
/* The MMIO range holding @gpa, or NULL. */
const struct mmio *domain_find_mmio(struct domain *d, uint64_t gpa);

/* Stop a domain: its own shutdown (a reason, an exit code), or a crash with a reason (logged). */
void domain_shutdown(struct domain *d, enum shutdown_reason reason, uint32_t code);
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One log line per domain (the 'd' debug key). */
void domain_print_all(void);
void domain_dump_vcpus(void);

/* One character of the guest's console (COM1): to its ring, or logged per line, prefixed "(dN)". */
void domain_console_putc(struct domain *d, char c);
/* Send the console VIRQ its bytes asked for; called with no platform lock held. */
void domain_console_event(struct domain *d);
#endif

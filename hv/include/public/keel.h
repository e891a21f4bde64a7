/*
 * Keel's public ABI: shared by the hypervisor, keel.ko and libkeel.
 * Fixed-width types only, no pointers; buffers are guest-physical addresses.
 *
 * Hypercalls: VMCALL with the number in RAX and arguments in RDI, RSI, RDX,
 * R10, R8; the result comes back in RAX, 0 or more on success, a negative
 * errno on failure (-ENOSYS: no such call, -EPERM: not for this domain).
 */
#ifndef KEEL_PUBLIC_KEEL_H
#define KEEL_PUBLIC_KEEL_H
#if defined(__KERNEL__)             /* keel.ko */
#include <linux/types.h>
#include <linux/ioctl.h>
#elif __STDC_HOSTED__               /* libkeel, kl, host tests */
#include <stdint.h>
#include <sys/ioctl.h>
#else                               /* the hypervisor */
#include <stdint.h>
#endif

#define KEEL_ABI_VERSION            0x00000006u

#ifndef _IOWR                       /* the hypervisor's build: the value Linux's _IOWR gives */
#define _IOWR(type, nr, t)          ((3u << 30) | ((uint32_t)sizeof(t) << 16) | ((uint32_t)(type) << 8) | (nr))
#endif

/* Error numbers in hypercall results: Linux's values, whatever the hypervisor's libc uses. */
#define KEEL_EPERM                  1
#define KEEL_ENOENT                 2
#define KEEL_EIO                    5
#define KEEL_ENOMEM                 12
#define KEEL_EFAULT                 14
#define KEEL_EBUSY                  16
#define KEEL_EEXIST                 17
#define KEEL_EINVAL                 22
#define KEEL_ENOSPC                 28
#define KEEL_ERANGE                 34
#define KEEL_ENOSYS                 38

/* CPUID leaves (hypervisor range). */
#define KEEL_CPUID_SIGNATURE        0x40000000u  /* EAX max leaf, EBX ECX EDX "KeelKeelKeel" */
#define KEEL_CPUID_VERSION          0x40000001u  /* EAX (major << 16) | minor; EBX KEEL_CPUID_F_* */
#define KEEL_CPUID_TIMING           0x40000010u  /* EAX TSC kHz, EBX APIC timer kHz */
#define KEEL_CPUID_MAX              KEEL_CPUID_TIMING
/*
 * Leaf 0x40000001 EBX: the hypercall instruction is VMMCALL (0F 01 D9, an
 * AMD CPU) when set, VMCALL (0F 01 C1, Intel) when clear. The other one
 * works too (Keel makes its #UD a hypercall) but costs a decode.
 */
#define KEEL_CPUID_F_VMMCALL        (1u << 0)

/* Hypercall numbers. */
#define KEEL_HC_ABI_VERSION         0   /* any domain: returns KEEL_ABI_VERSION */
/*
 * dom0 only: (gpa, len, flags) copy the hypervisor's log ring, up to @len
 * bytes (at most KEEL_CONSOLE_READ_MAX), to guest-physical @gpa; returns the
 * bytes copied. Each line starts with its level, one digit ('0' error, '1'
 * warning, '2' info, '3' debug). KEEL_CONSOLE_CLEAR: later reads start after what this one
 * returned (`kl dmesg -c`).
 */
#define KEEL_HC_CONSOLE_READ        1
#define KEEL_CONSOLE_CLEAR          1u
#define KEEL_CONSOLE_READ_MAX       65536u

/* dom0 only: (gpa) fill a struct keel_physinfo there (`kl info`). */
#define KEEL_HC_PHYSINFO            2
#define KEEL_VIRT_CAP_HVM           (1u << 0)   /* VMX or SVM on every CPU */
#define KEEL_VIRT_CAP_HAP           (1u << 1)   /* EPT or NPT */
#define KEEL_VIRT_CAP_SVM           (1u << 2)   /* the backend is AMD's SVM (else Intel's VMX) */
#define KEEL_VIRT_CAP_IOMMU         (1u << 3)   /* DMA remapping for passed-through devices */
struct keel_physinfo {
    uint32_t nr_cpus;               /* online CPUs */
    uint32_t abi_version;
    uint64_t free_bytes;            /* free hypervisor memory (for domUs) */
    uint64_t tsc_khz;
    char version[32];               /* Keel's version string, NUL-terminated */
    uint64_t total_bytes;           /* the machine's RAM in the memory map (ABI 6 on) */
    uint32_t max_cpu_id;            /* the highest CPU number */
    uint32_t cores_per_socket;      /* from the boot CPU's CPUID topology */
    uint32_t threads_per_core;
    uint32_t virt_caps;             /* KEEL_VIRT_CAP_* */
    /*
     * The boot CPU's CPUID feature words in Xen's featureset order (what
     * `xl info` prints as hw_caps): 1.EDX, 1.ECX, 80000001.EDX,
     * 80000001.ECX, 0DH:1.EAX, 7:0.EBX, 7:0.ECX, 80000007.EDX.
     */
    uint32_t hw_caps[8];
};
_Static_assert(sizeof(struct keel_physinfo) == 112, "keel_physinfo layout");

/*
 * A domU's virtual platform (what its loader must respect): RAM from
 * guest-physical 0 except the legacy hole [KEEL_DOMU_HOLE_START, 1 MiB),
 * which holds its ACPI tables (RSDP at KEEL_DOMU_RSDP); LAPIC at 0xfee00000,
 * I/O APIC at 0xfec00000 (24 pins), a 16550A at COM1 (IRQ 4) as its console,
 * an i8254, a CMOS RTC (ports 0x70/0x71) and no 8259. Power off and reset
 * through the ACPI FADT. A PCI host bridge (ACPI PNP0A03, configuration
 * mechanism #1 at 0xcf8/0xcfc) whose bus 0 a device model in dom0 serves
 * (KEEL_HC_DM_OP); its memory window is [KEEL_DOMU_PCI_MMIO, +SIZE). The RAM
 * is one range below KEEL_DOMU_MEM_MAX: [3 GiB, 4 GiB) is for devices (the
 * PCI window, the I/O APIC and LAPIC pages). RAM above 4 GiB is not offered yet.
 */
#define KEEL_DOMU_HOLE_START        0x9fc00ull
#define KEEL_DOMU_HOLE_END          0x100000ull
#define KEEL_DOMU_RSDP              0xe0000ull
#define KEEL_DOMU_MEM_MAX           (3ull << 30)
#define KEEL_DOMU_PCI_MMIO          0xc0000000ull
#define KEEL_DOMU_PCI_MMIO_SIZE     0x3c000000ull   /* to 0xfc000000 */
/*
 * The window's last page is not for BARs (the DSDT's _CRS ends before it):
 * the device model's PCI hotplug registers, which the DSDT's AML reads, as
 * QEMU's PIIX4 hotplug ports: +0 slots to check (device check), +4 slots
 * to remove (eject request), both write-1-to-clear; +8 write: the slots the
 * guest ejected (their _EJ0).
 */
#define KEEL_DOMU_PCI_HOTPLUG       0xfbfff000ull
/*
 * PCI INTx: slot S's INTA is GSI KEEL_DOMU_PCI_GSI + S % KEEL_DOMU_PCI_GSIS
 * on the domU's I/O APIC (the DSDT's _PRT), level-triggered, active low,
 * shared as four PCI links are. The device model drives them (KEEL_DM_INTX).
 */
#define KEEL_DOMU_PCI_GSI           16u
#define KEEL_DOMU_PCI_GSIS          4u

/* ---- Domain control: dom0 only. Domains are named by domid (dom0 is 0). ---- */

#define KEEL_NAME_MAX               32      /* with the NUL */
#define KEEL_MAX_VCPUS              8
#define KEEL_DOMAIN_MEM_ALIGN       0x200000ull     /* RAM comes in 2 MiB units */

/*
 * (gpa of struct keel_domain_create) -> the new domid. The domain has its
 * RAM (zeroed) at guest-physical 0 and its vCPUs, and starts paused: load
 * it (through foreign mappings), set vCPU 0's entry, then unpause it. Its
 * maximum memory starts at @mem_bytes.
 */
#define KEEL_HC_DOMAIN_CREATE       3
struct keel_domain_create {
    char name[KEEL_NAME_MAX];       /* NUL-terminated; letters, digits, '-', '_', '.'; unique */
    uint8_t uuid[16];
    uint64_t mem_bytes;             /* a multiple of KEEL_DOMAIN_MEM_ALIGN, >= 16 MiB */
    uint32_t max_vcpus;             /* 1..KEEL_MAX_VCPUS */
    uint32_t flags;                 /* 0 */
};
_Static_assert(sizeof(struct keel_domain_create) == 64, "keel_domain_create layout");

#define KEEL_HC_DOMAIN_DESTROY      4   /* (domid): stop it and free everything it has */
#define KEEL_HC_DOMAIN_PAUSE        5   /* (domid): no vCPU runs until as many unpauses */
#define KEEL_HC_DOMAIN_UNPAUSE      6   /* (domid) */
/* Why a domain shut down (its ACPI power-off or reset; a crash is KEEL_DOMSTATE_CRASHED). */
#define KEEL_SHUTDOWN_POWEROFF      0
#define KEEL_SHUTDOWN_REBOOT        1
#define KEEL_SHUTDOWN_CRASH         3

/* (gpa, max, first): up to @max struct keel_domain_info, domid >= @first, ascending; returns how many. */
#define KEEL_HC_DOMAIN_LIST         7
#define KEEL_DOMAIN_LIST_MAX        64
#define KEEL_DOMSTATE_RUNNING       0       /* may run (a vCPU may be blocked in HLT) */
#define KEEL_DOMSTATE_SHUTDOWN      1       /* stopped by itself: see shutdown_reason */
#define KEEL_DOMSTATE_CRASHED       2       /* stopped by Keel: see crash_reason */
#define KEEL_DOMINFO_PAUSED         1u      /* flags */
#define KEEL_DOMINFO_PRIVILEGED     2u
struct keel_domain_info {
    uint32_t domid;
    uint32_t state;                 /* KEEL_DOMSTATE_* */
    uint32_t flags;                 /* KEEL_DOMINFO_* */
    uint32_t shutdown_reason;       /* KEEL_SHUTDOWN_*, for KEEL_DOMSTATE_SHUTDOWN */
    uint32_t nr_vcpus;
    uint32_t nr_blocked_vcpus;      /* halted, waiting for an interrupt or a STARTUP IPI */
    uint64_t mem_bytes;             /* the RAM it has */
    uint64_t max_mem_bytes;         /* the most it may have (KEEL_HC_DOMAIN_SET_MAXMEM); ~0: no limit (dom0) */
    uint64_t cpu_time_ns;           /* all its vCPUs, in guest mode and in exits */
    uint64_t uptime_ns;             /* since it was created */
    char name[KEEL_NAME_MAX];
    uint8_t uuid[16];
    char crash_reason[96];
};
_Static_assert(sizeof(struct keel_domain_info) == 200, "keel_domain_info layout");

/*
 * (domid, bytes): the most RAM a domU may have, a multiple of
 * KEEL_DOMAIN_MEM_ALIGN from 16 MiB to KEEL_DOMAIN_MAXMEM_LIMIT (the
 * platform's KEEL_DOMU_MEM_MAX). As in Xen,
 * it may be set below what the domain has: nothing is taken away, but
 * nothing more is given until it is back under the limit. (ABI 3 had
 * KEEL_HC_DOMAIN_WRITE here, replaced by foreign mappings.)
 */
#define KEEL_HC_DOMAIN_SET_MAXMEM   8
#define KEEL_DOMAIN_MAXMEM_LIMIT    KEEL_DOMU_MEM_MAX

/* (domid, vcpu, gpa of struct keel_vcpu_entry): where a paused domain's vCPU starts. */
#define KEEL_HC_VCPU_SET_ENTRY      9
#define KEEL_ENTRY_LINUX64          1   /* 64-bit boot protocol: rip, rsi, cr3, gdt */
#define KEEL_ENTRY_PM32             2   /* 32-bit protected mode, paging off: rip, rax, rbx (multiboot, PVH) */
struct keel_vcpu_entry {
    uint32_t kind;                  /* KEEL_ENTRY_* */
    uint32_t pad;
    uint64_t rip, rsi, cr3, gdt, rax, rbx;
};
_Static_assert(sizeof(struct keel_vcpu_entry) == 56, "keel_vcpu_entry layout");

/*
 * A domU's console (its COM1). (domid, KEEL_CONSOLE_OP_READ, gpa, len, pos):
 * a struct keel_console_chunk at @gpa followed by up to @len - 24 bytes of
 * output from position @pos on (positions count every byte the domain ever
 * wrote; the oldest are overwritten, `start` says where the bytes begin);
 * returns the bytes copied. After a read, the domain's next output raises
 * KEEL_VIRQ_CONSOLE (once, until the next read). (domid,
 * KEEL_CONSOLE_OP_WRITE, gpa, len): type @len bytes into it; returns how
 * many it took (its receive FIFO may fill).
 */
#define KEEL_HC_DOMAIN_CONSOLE      10
#define KEEL_CONSOLE_OP_READ        0
#define KEEL_CONSOLE_OP_WRITE       1
struct keel_console_chunk {
    uint64_t start;                 /* position of the first byte that follows */
    uint64_t end;                   /* position after the newest byte written so far */
    uint64_t pad;
};
_Static_assert(sizeof(struct keel_console_chunk) == 24, "keel_console_chunk layout");

/*
 * (domid, reason): ask a running domU to stop. KEEL_SHUTDOWN_POWEROFF
 * presses its ACPI power button (a Generic Event Device event: the guest
 * decides, and powers off through \_S5 if it handles the button);
 * KEEL_SHUTDOWN_REBOOT resets it at once, as a reset button would: it stops
 * with reason reboot and the toolstack applies on_reboot. -EBUSY if it has
 * stopped already.
 */
#define KEEL_HC_DOMAIN_SHUTDOWN     11

/* (domid, gpa, max): up to @max struct keel_vcpu_info, by vCPU number; returns how many. */
#define KEEL_HC_VCPU_LIST           12
#define KEEL_VCPUINFO_RUNNING       1u      /* on its CPU right now */
#define KEEL_VCPUINFO_BLOCKED       2u      /* halted until an interrupt (or a STARTUP IPI) */
#define KEEL_VCPUINFO_OFFLINE       4u      /* waiting for a STARTUP IPI: not up (xl's 'p' state) */
struct keel_vcpu_info {
    uint32_t vcpu;
    uint32_t cpu;                   /* the physical CPU it is placed on (hard affinity) */
    uint32_t flags;                 /* KEEL_VCPUINFO_* */
    uint32_t pad;
    uint64_t cpu_time_ns;
};
_Static_assert(sizeof(struct keel_vcpu_info) == 24, "keel_vcpu_info layout");

/*
 * (domid, vcpu, op, gpa of struct keel_vcpu_context): a paused domU's vCPU
 * registers (KEEL_VCPU_CONTEXT_GET), or set its general registers, RIP and
 * RFLAGS (KEEL_VCPU_CONTEXT_SET: the rest is read-only; RIP must suit the
 * mode the vCPU is in and RFLAGS keep its reserved bits). -EBUSY unless
 * paused.
 */
#define KEEL_HC_VCPU_CONTEXT        14
#define KEEL_VCPU_CONTEXT_GET       0
#define KEEL_VCPU_CONTEXT_SET       1
struct keel_vcpu_context {
    uint64_t gpr[16];               /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (encoding order) */
    uint64_t rip, rflags;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t fs_base, gs_base;
    uint16_t cs, ss, ds, es, fs, gs;
    uint16_t pad[2];
};
_Static_assert(sizeof(struct keel_vcpu_context) == 208, "keel_vcpu_context layout");

/*
 * Foreign mappings (dom0 only): (domid, gfn, npages, gpa) makes @npages of
 * the domU's frames from @gfn appear in dom0 at guest-physical @gpa
 * (page-aligned, write-back), over address space that is device
 * passthrough with nothing claimed there (keel.ko picks unclaimed space);
 * -EINVAL if any page of it is dom0's RAM, an emulated device or firmware
 * memory, -ENOSPC past KEEL_FOREIGN_MAX mappings. (gpa) undoes one. A
 * domU's mappings go when it is destroyed, before its memory is freed.
 */
#define KEEL_HC_FOREIGN_MAP         15
#define KEEL_HC_FOREIGN_UNMAP       16
#define KEEL_FOREIGN_MAX            64

/*
 * Event channels (any domain): numbered ports, each one end of a
 * connection, and a page of the domain's RAM where Keel sets a port's
 * pending bit (the guest clears it) before raising the domain's event
 * interrupt: an edge on the GSI that KEEL_EVTCHN_INIT returns. Masked ports
 * are marked pending without an interrupt. (KEEL_EVTCHN_x, a1, a2):
 *   INIT (gpa of a page-aligned struct keel_evtchn_page) -> the GSI
 *   ALLOC_UNBOUND (remote domid) -> a port that domain may bind to
 *   BIND_INTERDOMAIN (remote domid, its unbound port for us) -> our port
 *   BIND_VIRQ (KEEL_VIRQ_*; dom0 only) -> a port Keel signals
 *   SEND (port), CLOSE (port): 0
 *   RESET (): close every port and forget the page (before freeing it)
 * Errors: -EINVAL (bad op, port or argument), -ENOENT (no such domain),
 * -ENOSPC (no free port), -EPERM, -EFAULT (page not RAM).
 */
#define KEEL_HC_EVTCHN_OP           13
#define KEEL_EVTCHN_INIT            0
#define KEEL_EVTCHN_ALLOC_UNBOUND   1
#define KEEL_EVTCHN_BIND_INTERDOMAIN 2
#define KEEL_EVTCHN_BIND_VIRQ       3
#define KEEL_EVTCHN_SEND            4
#define KEEL_EVTCHN_CLOSE           5
#define KEEL_EVTCHN_RESET           6
#define KEEL_EVTCHN_PORTS           256     /* port 0 is never used */
#define KEEL_VIRQ_DOM_EXC           0       /* a domU shut down, crashed or was destroyed */
#define KEEL_VIRQ_CONSOLE           1       /* a domU wrote to its console after a console read */
#define KEEL_VIRQ_MAX               2
struct keel_evtchn_page {
    uint64_t pending[KEEL_EVTCHN_PORTS / 64];   /* bit n: port n fired (set by Keel, cleared by the guest) */
    uint64_t mask[KEEL_EVTCHN_PORTS / 64];      /* bit n: no interrupt for port n */
};
_Static_assert(sizeof(struct keel_evtchn_page) == 64, "keel_evtchn_page layout");

/*
 * keel.ko's /dev/keel. KEEL_IOCTL_HYPERCALL (root only) makes hypercall @nr
 * with @args; when @buf_len is non-zero, keel.ko bounces @buf_len bytes at
 * user address @buf through kernel memory and puts that memory's
 * guest-physical address in args[@buf_arg]. @buf_dir says which way the
 * bytes go: KEEL_BUF_IN (copied in before the call: the buffer may be
 * read-only), KEEL_BUF_OUT (copied out after it; the kernel memory starts
 * zeroed), or both. The hypercall's result lands in @result.
 */
struct keel_ioctl_hypercall {
    uint64_t nr;
    uint64_t args[5];
    uint64_t buf;                   /* user address */
    uint32_t buf_len;               /* at most KEEL_IOCTL_BUF_MAX */
    uint16_t buf_arg;               /* 0..4 */
    uint16_t buf_dir;               /* KEEL_BUF_IN | KEEL_BUF_OUT, not 0 with a buffer */
    int64_t result;
};
_Static_assert(sizeof(struct keel_ioctl_hypercall) == 72, "keel_ioctl_hypercall layout");
#define KEEL_BUF_IN                 1u
#define KEEL_BUF_OUT                2u
#define KEEL_IOCTL_BUF_MAX          65536u
#define KEEL_IOCTL_HYPERCALL        _IOWR('K', 0x01, struct keel_ioctl_hypercall)

/*
 * Event channels through /dev/keel (KEEL_HC_EVTCHN_OP is keel.ko's own:
 * KEEL_IOCTL_HYPERCALL refuses it). keel.ko owns dom0's event page and
 * interrupt; a port bound through a file is that file's: SEND and CLOSE
 * take only its own ports, closing the file closes them, and read() on it
 * returns the ports that fired since (uint32_t each, each once), blocking
 * unless O_NONBLOCK; poll() says when there are some.
 *   @op ALLOC_UNBOUND (@arg remote domid), BIND_INTERDOMAIN (@arg remote
 *   domid, @port its port), BIND_VIRQ (@arg KEEL_VIRQ_*): @result the port;
 *   SEND, CLOSE (@port): @result 0. Errors in @result, as the hypercall's.
 */
struct keel_ioctl_evtchn {
    uint32_t op;                    /* KEEL_EVTCHN_* */
    uint32_t port;
    uint64_t arg;
    int64_t result;
};
_Static_assert(sizeof(struct keel_ioctl_evtchn) == 24, "keel_ioctl_evtchn layout");
#define KEEL_IOCTL_EVTCHN           _IOWR('K', 0x02, struct keel_ioctl_evtchn)

/*
 * Map a domU's frames (KEEL_HC_FOREIGN_MAP through keel.ko): keel.ko finds
 * unclaimed physical address space for them and returns in @offset what to
 * pass mmap() on the same file (@npages pages, shared). The mapping lasts
 * until KEEL_IOCTL_FOREIGN_UNMAP, the file's close (after munmap) or the
 * domain's destruction (then the pages read as all ones).
 */
struct keel_ioctl_foreign {
    uint32_t domid;
    uint32_t npages;
    uint64_t gfn;
    uint64_t offset;                /* out: the mmap offset */
};
_Static_assert(sizeof(struct keel_ioctl_foreign) == 24, "keel_ioctl_foreign layout");
#define KEEL_IOCTL_FOREIGN_MAP      _IOWR('K', 0x03, struct keel_ioctl_foreign)
/* Undo one (@offset as returned) that nothing mmap()s any more; -EBUSY while something does. */
#define KEEL_IOCTL_FOREIGN_UNMAP    _IOW('K', 0x04, struct keel_ioctl_foreign)

/*
 * (domid, unix seconds): a domU's CMOS RTC reads that time from now on
 * (its clock then runs with the TSC). kl sets dom0's time at creation.
 */
#define KEEL_HC_DOMAIN_SET_WALLCLOCK 17

/*
 * Device models (dom0 only): KEEL_HC_DM_OP (op, domid, a2, a3, a4) serves a
 * domU's PCI bus from a process in dom0 (keel-dm). Once one is registered,
 * the domU's PCI configuration accesses (0xcfc-0xcff, at the address its
 * 0xcf8 latch holds) and its accesses to the MMIO ranges added with
 * KEEL_DM_MAP_MMIO stop the vCPU that made them: Keel writes the access into
 * that vCPU's slot of the request page, marks it KEEL_IOREQ_READY and
 * signals the device model's port; the vCPU blocks. The device model writes
 * the answer (@data for a read), marks the slot KEEL_IOREQ_DONE and makes
 * KEEL_DM_IO_DONE; the vCPU runs the instruction again and takes the answer.
 *   REGISTER (domid, gpa of a page-aligned struct keel_ioreq_page in dom0's
 *     RAM) -> the dom0 port Keel signals. One device model per domain.
 *   MAP_MMIO (domid, gpa, bytes): forward that range (page-aligned, inside
 *     [KEEL_DOMU_PCI_MMIO, +SIZE)); at most KEEL_DM_MMIO_MAX ranges.
 *   IOEVENT (domid, gpa, len | KEEL_IOEVENT_*, match) -> a new dom0 port:
 *     a write of @len bytes at @gpa inside a forwarded range (of value @match
 *     with KEEL_IOEVENT_DATAMATCH) completes at once and only signals it
 *     (KVM's ioeventfd); with KEEL_IOEVENT_DEASSIGN, (domid, gpa, len | flags,
 *     match) removes the one that matches: 0.
 *   IO_DONE (domid, vcpu): that vCPU's slot is answered.
 *   MSI (domid, address, data): an MSI to the domain's vLAPICs (fixed or
 *     lowest-priority delivery, vector 16-255, address 0xfeeXXXXX).
 *   RELEASE (domid): the device model is gone; a running domain crashes.
 *   HOTPLUG (domid): the domain's PCI slots changed: its Generic Event
 *     Device raises the PCI hotplug event, whose _EVT reads which slots from
 *     the device model's hotplug registers (KEEL_DOMU_PCI_HOTPLUG).
 *   INTX (domid, gsi, level): hold the domain's PCI interrupt line @gsi
 *     (KEEL_DOMU_PCI_GSI..+KEEL_DOMU_PCI_GSIS-1) asserted (1) or not (0); a
 *     line held at the guest's EOI interrupts it again, as a level line does.
 * Errors: -ENOENT (no such domain), -EPERM (dom0), -EEXIST (one is already
 * registered), -EINVAL (bad argument), -ENOSPC (tables full), -EFAULT.
 */
#define KEEL_HC_DM_OP               18
#define KEEL_DM_REGISTER            0
#define KEEL_DM_MAP_MMIO            1
#define KEEL_DM_IOEVENT             2
#define KEEL_DM_IO_DONE             3
#define KEEL_DM_MSI                 4
#define KEEL_DM_RELEASE             5
#define KEEL_DM_HOTPLUG             6
#define KEEL_DM_INTX                7
#define KEEL_DM_MMIO_MAX            4
#define KEEL_DM_IOEVENT_MAX         32
#define KEEL_IOEVENT_LEN_MASK       0xffu       /* 1, 2, 4 or 8 */
#define KEEL_IOEVENT_DATAMATCH      0x100u
#define KEEL_IOEVENT_DEASSIGN       0x200u
#define KEEL_IOREQ_FREE             0
#define KEEL_IOREQ_READY            1           /* Keel wrote a request */
#define KEEL_IOREQ_DONE             2           /* the device model answered */
#define KEEL_IOREQ_PIO              0
#define KEEL_IOREQ_MMIO             1
#define KEEL_IOREQ_PCI              2           /* @addr: bus << 16 | dev << 11 | fn << 8 | register */
struct keel_ioreq {
    uint64_t addr;
    uint64_t data;                  /* a write's bytes; a read's answer */
    uint32_t seq;                   /* counts this vCPU's requests */
    uint8_t state;                  /* KEEL_IOREQ_FREE/READY/DONE */
    uint8_t type;                   /* KEEL_IOREQ_PIO/MMIO/PCI */
    uint8_t size;                   /* 1, 2, 4 or 8 */
    uint8_t write;                  /* 1: a write */
    uint64_t pad;
};
_Static_assert(sizeof(struct keel_ioreq) == 32, "keel_ioreq layout");
struct keel_ioreq_page {
    struct keel_ioreq vcpu[KEEL_MAX_VCPUS];
};

/*
 * Device models through /dev/keel (KEEL_HC_DM_OP is keel.ko's own:
 * KEEL_IOCTL_HYPERCALL refuses it). A file serves at most one domU.
 * KEEL_DM_REGISTER (@domid) gives it a request page of keel.ko's, which
 * mmap() at offset KEEL_DM_PAGE_OFFSET maps (one page, shared), and
 * returns the port Keel signals; an IOEVENT's port is the file's too.
 * MAP_MMIO, IOEVENT, IO_DONE, MSI take @arg[0..2] as the hypercall's
 * a2..a4, for the file's domain. Closing the file releases the device
 * model (KEEL_DM_RELEASE: the domain crashes if it still runs).
 */
struct keel_ioctl_dm {
    uint32_t op;                    /* KEEL_DM_* but RELEASE */
    uint32_t domid;                 /* REGISTER's; the others use the registered one */
    uint64_t arg[3];
    int64_t result;
};
_Static_assert(sizeof(struct keel_ioctl_dm) == 40, "keel_ioctl_dm layout");
#define KEEL_IOCTL_DM               _IOWR('K', 0x05, struct keel_ioctl_dm)
#define KEEL_DM_PAGE_OFFSET         0ull

/*
 * Eventfds for a device model's back ends, in dom0's kernel (KVM's
 * ioeventfd and irqfd), on a file that registered a device model:
 *   KEEL_IOCTL_IOEVENTFD: each time @port (the file's, from an IOEVENT)
 *     fires, keel.ko signals eventfd @fd instead of making read() return
 *     the port; @fd -1 unbinds it. A vhost back end's kick.
 *   KEEL_IOCTL_IRQFD: each signal of eventfd @fd becomes MSI(@addr, @data)
 *     into the file's domain, injected from the kernel (Keel checks the
 *     address and data as for KEEL_DM_MSI); a count already pending fires
 *     once at assignment. KEEL_IRQFD_DEASSIGN (@fd) removes it; the count
 *     then stays in the eventfd for whoever reads it next. A back end's call.
 * At most KEEL_IRQFD_MAX irqfds per file. Closing the file removes both.
 */
struct keel_ioctl_ioeventfd {
    uint32_t port;
    int32_t fd;
};
_Static_assert(sizeof(struct keel_ioctl_ioeventfd) == 8, "keel_ioctl_ioeventfd layout");
#define KEEL_IOCTL_IOEVENTFD        _IOW('K', 0x07, struct keel_ioctl_ioeventfd)
struct keel_ioctl_irqfd {
    int32_t fd;
    uint32_t flags;                 /* KEEL_IRQFD_DEASSIGN */
    uint64_t addr;
    uint32_t data;
    uint32_t pad;
};
_Static_assert(sizeof(struct keel_ioctl_irqfd) == 24, "keel_ioctl_irqfd layout");
#define KEEL_IOCTL_IRQFD            _IOW('K', 0x08, struct keel_ioctl_irqfd)
#define KEEL_IRQFD_DEASSIGN         1u
#define KEEL_IRQFD_MAX              256u

/*
 * A domU's RAM as a file (KEEL_IOCTL_DOMAIN_RAM): the ioctl returns a new
 * file descriptor whose mmap() at offset = guest-physical address maps
 * that RAM (shared), for any process it is passed to (a vhost-user
 * back end gets it with VHOST_USER_SET_MEM_TABLE). @bytes from guest-physical
 * 0, page-aligned, all of it the domain's RAM. The mapping lasts until the
 * last mmap() of the file and the file itself are gone, or the domain is
 * destroyed (then its pages read as all ones).
 */
struct keel_ioctl_ram {
    uint32_t domid;
    uint32_t pad;
    uint64_t bytes;
};
_Static_assert(sizeof(struct keel_ioctl_ram) == 16, "keel_ioctl_ram layout");
#define KEEL_IOCTL_DOMAIN_RAM       _IOW('K', 0x06, struct keel_ioctl_ram)

/* Test-mode hypercalls (keel.test=...): -ENOSYS outside test mode. */
#define KEEL_HC_TEST_BASE           0x4b00
#define KEEL_HC_TEST_EPT_PROTECT    (KEEL_HC_TEST_BASE + 1)  /* (gpa, bytes): write-protect, log writes */
#define KEEL_HC_TEST_EPT_QUERY      (KEEL_HC_TEST_BASE + 2)  /* (gpa): level | perm << 8 | memtype << 12, or -ENOENT */
#define KEEL_HC_TEST_WP_FAULTS      (KEEL_HC_TEST_BASE + 3)  /* (): write faults resolved so far */
#define KEEL_HC_TEST_EXITS          (KEEL_HC_TEST_BASE + 4)  /* (): VM exits of this vCPU so far */
#define KEEL_HC_MAX                 (KEEL_HC_TEST_BASE + 5)
#endif

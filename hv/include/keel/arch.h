/*
 * The hooks generic code (hv/) calls into the architecture. hv/ includes
 * this header, never arch-private (VMX, page-table) headers.
 */
#ifndef KEEL_ARCH_H
#define KEEL_ARCH_H
#include <stddef.h>
#include <stdint.h>
#include <boot/boot_info.h>
#include <keel/lib.h>

struct acpi_info;
struct keel_physinfo;
struct mem_range;

/* GDT, TSS, IDT and GS base for the boot CPU. */
void arch_cpu_init_bsp(void);

/* Build and switch to the final page tables (identity map, W^X image). */
int arch_paging_init(const struct boot_info *bi);
/* Writable+executable leaf mappings in the live page tables (should be 0). */
uint64_t arch_paging_count_wx(void);

/* LAPIC and TSC on the boot CPU; ACPI facts for reset and power-off. */
void arch_platform_init(const struct acpi_info *ai);
/* Is [pa, pa + len) mapped in the hypervisor's page tables? */
int arch_is_mapped(uint64_t pa, uint64_t len);
uint64_t arch_tsc_khz(void);
/* The CPU topology, feature words and virtualization caps of `kl info`. */
void arch_physinfo(struct keel_physinfo *pi);
void udelay(uint64_t us);

/* Start the application processors; returns how many CPUs are online. */
uint32_t arch_smp_boot(const struct boot_info *bi, const struct acpi_info *ai, uint32_t max_cpus);

/* Stop this CPU for good (interrupts off). */
__noreturn void arch_halt(void);

/* Where the machine goes at the end. */
__noreturn void arch_power_off(void);
__noreturn void arch_restart(void);
/* Test mode: end the emulator run (QEMU isa-debug-exit, Bochs 0x8900). */
__noreturn void arch_emulator_exit(int pass);

/* ---- virtualization (arch/x86/virt, with arch/x86/vmx or arch/x86/svm) ---- */
struct domain;
struct vcpu;

/* Enable VMX or SVM on this CPU (every CPU calls it). 0, or -ENODEV: no guests. */
int arch_virt_cpu_init(int bsp);
int arch_virt_available(void);
/* keel.dump=vmx: print the VMX capability MSRs or SVM's CPUID leaf (fixtures). */
void arch_dump_virt_caps(void);
/* keel.dump=policy: print the guest-visible CPU policy, one line per entry. */
void arch_dump_policy(void);
/* Second-level page tables of a domain. */
int arch_domain_init(struct domain *d);
void arch_domain_destroy(struct domain *d);
int arch_domain_map(struct domain *d, uint64_t gpa, uint64_t hpa, uint64_t size);
/* Identity-map host [pa, pa + size) into @d (dom0's devices and firmware): write-back or uncached. */
int arch_domain_map_host(struct domain *d, uint64_t pa, uint64_t size, int cached);
/*
 * Foreign mappings in dom0 (hv/foreign.c): map [@gpa, +@size) to host @hpa
 * (write-back) where dom0 now has uncached identity passthrough, else
 * -EINVAL and nothing changed; -ENOMEM (no page for a table) may leave
 * part of the range mapped. arch_foreign_unmap() puts the passthrough back.
 */
int arch_foreign_map(struct domain *dom0, uint64_t gpa, uint64_t hpa, uint64_t size);
void arch_foreign_unmap(struct domain *dom0, uint64_t gpa, uint64_t size);
/* Every CPU drops @d's cached guest-physical translations before @d runs there again; returns once none runs with them. */
void arch_domain_flush_tlbs(struct domain *d);
/* Let @d reach ports [port, port + count) directly (@pass), or make them exit again. */
void arch_domain_io_passthrough(struct domain *d, uint32_t port, uint32_t count, int pass);
/* Make CPU @cpu leave guest mode or its sleep (an IPI). */
void arch_cpu_kick(unsigned cpu);
/* Sleep until an interrupt, TSC value @deadline (~0: none) or *@wake set. Interrupts off. */
void arch_cpu_sleep(uint64_t deadline, volatile int *wake);
/* A vCPU's VMCS or VMCB; the entry state of a 32-bit protected-mode (multiboot) kernel. */
int arch_vcpu_init(struct vcpu *v);
void arch_vcpu_destroy(struct vcpu *v);
void arch_vcpu_set_entry32(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx);
/*
 * Load a Linux bzImage/vmlinux into @v's domain and set @v at its 64-bit
 * entry. @e820 (@nr entries) is the map it gets (NULL: a domU's, RAM from
 * 0 with the legacy hole); @rsdp its ACPI tables, or 0.
 */
struct linux_e820;
int arch_load_linux(struct vcpu *v, const uint8_t *img, size_t len, const char *cmdline,
                    const uint8_t *initrd, size_t initrd_len, const struct linux_e820 *e820,
                    unsigned nr, uint64_t rsdp);
/* The Linux 64-bit boot protocol entry state. */
void arch_vcpu_set_entry64(struct vcpu *v, uint64_t rip, uint64_t rsi, uint64_t cr3, uint64_t gdt);
/* A vCPU on no CPU (its domain paused): read its registers, or set the GPRs, RIP and RFLAGS (0 or -EINVAL). */
struct keel_vcpu_context;
void arch_vcpu_get_context(struct vcpu *v, struct keel_vcpu_context *c);
int arch_vcpu_set_context(struct vcpu *v, const struct keel_vcpu_context *c);
/* Run @v on this CPU until sched_should_leave() says so. */
void arch_vcpu_run(struct vcpu *v);
/* A blocked vCPU: has its event come? If not, *@wake = TSC when it may (left alone if never). */
int arch_vcpu_ready(struct vcpu *v, uint64_t now, uint64_t *wake);
/* On @v's CPU, with @v not running: save its state to memory and release its VMCS (or VMCB). */
void arch_vcpu_unload(struct vcpu *v);
/* Does @v hold state (a VMCS, or a VMCB last run there) on its CPU? */
int arch_vcpu_loaded(const struct vcpu *v);
/* The 'q' debug key: @v's scheduling and interrupt state, read from any CPU. */
void arch_vcpu_dump(struct vcpu *v);
/* Parked until a STARTUP IPI: not brought up by the guest (yet), or taken down (xl's offline vCPU). */
int arch_vcpu_offline(const struct vcpu *v);
/* Test-mode probes of the second-level tables (KEEL_HC_TEST_*). */
int64_t arch_test_p2m_protect(struct domain *d, uint64_t gpa, uint64_t bytes);
int64_t arch_test_p2m_query(struct domain *d, uint64_t gpa);
uint64_t arch_test_counter(struct vcpu *v, int which);

/*
 * dom0 (arch/x86/guest/dom0.c): built from boot module 0 (its kernel; the module's
 * string is its command line) and module 1 (its initramfs) with @mem bytes
 * of identity-mapped RAM (0: all but an eighth of what is free) and @vcpus
 * vCPUs, the first set at the kernel's entry. NULL, logged, if it cannot be.
 */
struct domain *dom0_build(const struct boot_info *bi, uint64_t mem, uint32_t vcpus);

/* A new domU's virtual platform (arch/x86/guest/domu.c): devices, console ring, ACPI tables. */
int arch_domu_init(struct domain *d);
/* Press a domU's ACPI power button (its Generic Event Device): 0, or -EINVAL without one. */
int arch_domu_power_button(struct domain *d);
/* Raise the domU's Generic Event Device events @ev (KEEL_GED_*): 0, or -EINVAL (dom0, or not a domU). */
#define KEEL_GED_POWER_BUTTON   (1u << 0)
#define KEEL_GED_PCI_HOTPLUG    (1u << 1)
int arch_domu_ged_event(struct domain *d, unsigned ev);
/* Hold domU @d's PCI INTx line @gsi (KEEL_DOMU_PCI_GSI...) at @level: 0, or -EINVAL. */
int arch_domu_intx(struct domain *d, uint64_t gsi, uint64_t level);

/*
 * An MSI a device model raised for domU @d (address 0xfeeXXXXX: destination,
 * logical or physical; data: vector 16-255, fixed or lowest-priority
 * delivery, edge): 0 (no vLAPIC matching drops it), or -EINVAL for a malformed one.
 */
int arch_domain_msi(struct domain *d, uint64_t addr, uint64_t data);
/* A domU's CMOS clock reads @unix_seconds from now on: 0, or -EINVAL without one. */
int arch_domu_set_wallclock(struct domain *d, uint64_t unix_seconds);

/* x2apic=: put the LAPIC in x2APIC mode when the CPU offers it (default 1). */
extern int arch_opt_x2apic;
/* pause_yield=: a vCPU in a PAUSE loop yields its CPU, where the CPU detects them (default 0). */
extern int arch_opt_pause_yield;
/* cpuid=: guest CPUID policy options (cpuid=no-avx512). 0 or -EINVAL. */
int arch_cpuid_param(const char *value);

/* Fatal-exception symbolization. */
const char *arch_symbolize(uint64_t addr, uint64_t *offset);
#endif

/*
 * keel_start(): the C entry of both boot paths, and the boot order, in one
 * readable list.
 */
#include <string.h>
#include <boot/boot_info.h>
#include <boot/mb2.h>
#include <drivers/acpi_host.h>
#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/domain.h>
#include <keel/guest_test.h>
#include <keel/console.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/sched.h>
#include <keel/percpu.h>
#include <keel/spinlock.h>
#include <keel/test.h>

static struct boot_info boot_info;

/* Command-line options (README.md lists them). */
static uint64_t opt_maxcpus = MAX_CPUS;
static uint64_t opt_dom0_mem, opt_dom0_vcpus;
static char opt_iommu[32] = "on";
static char opt_dump[32];

static const struct param params[] = {
    { "console", PARAM_CUSTOM, NULL, 0, console_param },
    { "com1", PARAM_CUSTOM, NULL, 0, console_com1_param },
    { "com2", PARAM_CUSTOM, NULL, 0, console_com2_param },
    { "loglvl", PARAM_CUSTOM, NULL, 0, loglvl_param },
    { "maxcpus", PARAM_UINT, &opt_maxcpus, 0, NULL },
    { "x2apic", PARAM_BOOL, &arch_opt_x2apic, 0, NULL },
    { "pause_yield", PARAM_BOOL, &arch_opt_pause_yield, 0, NULL },
    { "cpuid", PARAM_CUSTOM, NULL, 0, arch_cpuid_param },
    { "dom0_mem", PARAM_SIZE, &opt_dom0_mem, 0, NULL },
    { "dom0_vcpus", PARAM_UINT, &opt_dom0_vcpus, 0, NULL },
    { "iommu", PARAM_STR, opt_iommu, sizeof(opt_iommu), NULL },
    { "keel.test", PARAM_STR, opt_test, sizeof(opt_test), NULL },
    { "keel.dump", PARAM_STR, opt_dump, sizeof(opt_dump), NULL },
};

static int dump_wanted(const char *what)
{
    const char *p = strstr(opt_dump, what);
    size_t n = strlen(what);

    return p && (p == opt_dump || p[-1] == ',') && (p[n] == '\0' || p[n] == ',');
}

/* Take the boot path's information into our own copy. */
static int take_boot_info(uint64_t kind, uint64_t ptr)
{
    if (kind == BOOT_ENTRY_MULTIBOOT2)
        return mb2_parse(phys_to_virt(ptr), MB2_INFO_MAX, &boot_info);
    if (kind == BOOT_ENTRY_BOOT_INFO) {
        const struct boot_info *bi = phys_to_virt(ptr);
        if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION)
            return -1;
        memcpy(&boot_info, bi, sizeof(boot_info));
        boot_info.cmdline[sizeof(boot_info.cmdline) - 1] = '\0';
        boot_info.loader[sizeof(boot_info.loader) - 1] = '\0';
        boot_info.nr_mem = MIN(boot_info.nr_mem, (uint32_t)BOOT_MEM_MAX);
        boot_info.nr_modules = MIN(boot_info.nr_modules, (uint32_t)BOOT_MODULES_MAX);
        boot_info.rsdp_len = MIN(boot_info.rsdp_len, (uint32_t)BOOT_RSDP_MAX);
        return 0;
    }
    return -1;
}

/*
 * Build dom0, run the scheduler here until it stops (the APs run theirs),
 * and end the machine the way dom0 ended: its S5 powers off (keel.test=dom0:
 * the test verdict), its crash restarts.
 */
static __noreturn void run_dom0(uint32_t cpus)
{
    uint32_t vcpus = opt_dom0_vcpus ? (uint32_t)opt_dom0_vcpus : cpus;
    struct domain *d;

    if (!arch_virt_available()) {
        pr_err("dom0: this CPU offers no usable VMX or SVM: nothing can run\n");
        test_stage_done("dom0", 0, "no usable VMX or SVM");
        arch_halt();
    }
    if (vcpus > DOMAIN_MAX_VCPUS) {
        pr_warn("dom0_vcpus=%u: %u vCPUs at most\n", vcpus, DOMAIN_MAX_VCPUS);
        vcpus = DOMAIN_MAX_VCPUS;
    }
    d = dom0_build(&boot_info, opt_dom0_mem, vcpus);
    if (!d) {
        test_stage_done("dom0", 0, "dom0 could not be built");
        arch_halt();
    }
    mm_release_boot_modules(&boot_info);
    /* dom0's vCPU i lives on CPU i mod CPUs (more vCPUs than CPUs share them); domUs too. */
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (sched_add_vcpu(d->vcpus[i], (int)(i % cpus)))
            panic("dom0: CPU%u cannot run vCPU%u", i % cpus, i);
    pr_info("dom0: starting, %lu MiB left to Keel\n", (unsigned long)(mm_free_bytes() >> 20));
    sched_run(d);
    pr_info("dom0: stopped (%s)\n", d->state == DOMAIN_SHUTDOWN ? "shut down" : "crashed");
    if (d->state == DOMAIN_SHUTDOWN) {
        test_stage_done("dom0", d->exit_code == 0, "dom0 powered off");
        pr_info("dom0 powered off: powering off the machine\n");
        arch_power_off();
    }
    pr_err("dom0 crashed (%s): restarting the machine in 5 seconds\n", d->crash_reason);
    test_stage_done("dom0", 0, d->crash_reason);
    udelay(5000000);
    arch_restart();
}

__noreturn void keel_start(uint64_t kind, uint64_t ptr);

void keel_start(uint64_t kind, uint64_t ptr)
{
    int boot_ok = !take_boot_info(kind, ptr);
    int warnings = cmdline_parse(boot_info.cmdline, params, ARRAY_SIZE(params));
    uint32_t cpus;

    console_init();
    pr_info("Keel %s (x86-64 hypervisor), booted by %s\n", KEEL_VERSION,
            boot_info.loader[0] ? boot_info.loader : (kind == BOOT_ENTRY_BOOT_INFO ? "UEFI" : "?"));
    pr_info("Command line: %s\n", boot_info.cmdline);
    if (!boot_ok) {
        pr_err("boot information unusable: nothing to run\n");
        test_fail_if_testing("boot information");
        arch_halt();
    }
    if (warnings)
        pr_warn("%d command-line option(s) ignored (see above)\n", warnings);
    if (dump_wanted("mbi") && kind == BOOT_ENTRY_MULTIBOOT2) {
        dump_hex("MBI", 0, phys_to_virt(ptr), *(const uint32_t *)phys_to_virt(ptr));
        console_write("@@END\n", 6);
    }

    arch_cpu_init_bsp();
    lock_check_on = 1;          /* this CPU's per-CPU data is reachable now: check the lock order */
    sched_init();
    if (memory_init(&boot_info))
        panic("no memory to run with");
    acpi_init(&boot_info, dump_wanted("acpi"));
    arch_platform_init(&acpi_info);
    if (dump_wanted("vmx"))
        arch_dump_virt_caps();
    if (dump_wanted("policy"))
        arch_dump_policy();
    percpu[0].virt_ok = !arch_virt_cpu_init(1);
    cpus = arch_smp_boot(&boot_info, &acpi_info, opt_maxcpus ? (uint32_t)opt_maxcpus : 1);
    pr_info("%u CPUs online\n", cpus);
    if (arch_paging_count_wx())
        panic("writable+executable mappings in the hypervisor's page tables");
    pr_info("Boot complete: %lu MiB free, W^X holds\n",
            (unsigned long)(mm_free_bytes() >> 20));
    test_stage_done("boot", 1, NULL);
    if (!strcmp(opt_test, "guest"))
        guest_test_run(&boot_info);
    if (!strcmp(opt_test, "poweroff") || !strcmp(opt_test, "reboot")) {
        /* The FADT paths a real machine takes: S5 through PM1 control, the reset register. */
        pr_info("test: %s through ACPI\n", opt_test);
        if (opt_test[0] == 'p')
            arch_power_off();
        arch_restart();
    }
    if (!strcmp(opt_test, "fault")) {
        /* Proves the fatal-exception path: page 0 is unmapped, the dump names us. */
        pr_info("test: writing to address 0\n");
        *(volatile int *)phys_to_virt(0) = 1;
    }
    if (opt_test[0] && strcmp(opt_test, "dom0"))
        test_fail_if_testing("unknown test name");
    run_dom0(cpus);
}

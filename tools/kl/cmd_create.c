/*
 * kl create [options] CONFIG [KEY=VALUE...] (xl's options: -c -p -q -n
 * -e -F -f FILE -V, and -L for lenient parsing): parse the xl.cfg file
 * (then the overrides), create the domain paused, load its kernel, ramdisk
 * and command line, and start it. A monitor process (xl's per-domain
 * daemon; -e: none, -F: this process) applies on_poweroff / on_reboot /
 * on_crash when the domain stops (it waits on Keel's KEEL_VIRQ_DOM_EXC
 * event); it reports to the kernel log (/dev/kmsg). A domain with disks
 * gets its device model, keel-dm, before it runs (its log:
 * DM_LOG_DIR/NAME.log). The configuration text is kept in KL_CONFIG_DIR
 * for `kl list -l` while the domain lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kl.h"
#include "kl_config.h"
#include "kl_devspec.h"
#include "conf.h"

#define MONITOR_POLL_MS 200
#define MONITOR_EVENT_WAIT_MS 5000  /* with events: a look now and then all the same */
#define RESTART_BURST   3       /* restarts within RESTART_WINDOW s: then it stays down */
#define RESTART_WINDOW  60
#define DM_LOG_DIR      "/var/log/keel"         /* keel-dm's logs (as xl's /var/log/xen/qemu-dm-*) */
#define DM_READY_MS     30000                   /* how long keel-dm may take to serve the bus */

struct image {
    struct kl_config cfg;
    char cmdline[KL_CMDLINE_MAX];
    uint8_t *kernel, *ramdisk;
    size_t kernel_len, ramdisk_len;
    uint8_t uuid[16];
    char *text;                     /* the file, then each override on its own line */
    size_t text_len;
};

static int quiet;
static struct kl_conf conf;             /* keel.conf: dump_dir (as xl's /var/lib/xen/dump), the default bridge */

/* mkdir -p, for keel.conf's dump_dir. */
static void make_dirs(const char *path)
{
    char p[sizeof(conf.dump_dir)];

    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0700);
}

/* The configuration text for `kl list -l`, while domain @id lives (best effort: it is only shown). */
static void save_config(const struct image *im, int64_t id)
{
    char path[64], tmp[72];
    int fd;

    mkdir("/run", 0755);
    mkdir(KL_CONFIG_DIR, 0755);
    snprintf(path, sizeof(path), KL_CONFIG_DIR "/d%lld.cfg", (long long)id);
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (kl_write_all(fd, im->text, im->text_len) || close(fd) || rename(tmp, path))
        unlink(tmp);
}

static void forget_config(int64_t id)
{
    char path[64];

    snprintf(path, sizeof(path), KL_CONFIG_DIR "/d%lld.cfg", (long long)id);
    unlink(path);
}

static void free_images(struct image *im)
{
    free(im->kernel);
    free(im->ramdisk);
    im->kernel = im->ramdisk = NULL;
}

/* The kernel and ramdisk from their files (again at each restart, as xl does): 0, or 1 after saying why. */
static int read_images(struct image *im)
{
    uint64_t room = im->cfg.memory_mb << 20;
    struct stat st;
    int rc = kl_read_kernel(im->cfg.kernel, room, &im->kernel, &im->kernel_len);

    if (rc == -EFBIG)
        return kl_error("create", "kernel %s: larger than the domain's %llu MiB", im->cfg.kernel,
                        (unsigned long long)im->cfg.memory_mb);
    if (rc)
        return kl_error("create", "kernel %s: %s", im->cfg.kernel, strerror(-rc));
    if (im->cfg.ramdisk[0] && !stat(im->cfg.ramdisk, &st) && (uint64_t)st.st_size > room) {
        free_images(im);
        return kl_error("create", "ramdisk %s: larger than the domain's %llu MiB", im->cfg.ramdisk,
                        (unsigned long long)im->cfg.memory_mb);
    }
    if (im->cfg.ramdisk[0] && (rc = kl_read_file(im->cfg.ramdisk, &im->ramdisk, &im->ramdisk_len))) {
        free_images(im);
        return kl_error("create", "ramdisk %s: %s", im->cfg.ramdisk, strerror(-rc));
    }
    return 0;
}

/*
 * The domain's device model, when it has disks or vifs: keel-dm serving its PCI bus
 * before it runs. Started detached (double fork: init reaps it), it says
 * "ready" on a pipe. 0, or -1 after saying why.
 */
static int start_dm(const struct kl_config *c, int64_t id)
{
    char log[128], idstr[24], fdstr[8], ready[8] = "";
    /* KEEL_DM, else the installed one, else keel-dm on the PATH (dom0's initramfs). */
    const char *dm = getenv("KEEL_DM") ? getenv("KEEL_DM") : !access(KL_LIBEXEC "/keel-dm", X_OK) ?
                     KL_LIBEXEC "/keel-dm" : "keel-dm";
    char *argv[8 + 4 * KL_LIST_MAX];
    int p[2], n = 0, status;
    pid_t pid;

    if (!c->nr_disks && !c->nr_vifs)
        return 0;
    if (kl_net_setup("create", c->name, c->vif, c->nr_vifs, 0))
        return -1;
    mkdir("/var", 0755);
    mkdir("/var/log", 0755);
    mkdir(DM_LOG_DIR, 0755);
    snprintf(log, sizeof(log), "%s/%s.log", DM_LOG_DIR, c->name);
    snprintf(idstr, sizeof(idstr), "%lld", (long long)id);
    if (pipe(p))
        return kl_error("create", "no pipe for keel-dm: %s", strerror(errno)), -1;
    argv[n++] = (char *)dm;
    argv[n++] = "-d";
    argv[n++] = idstr;
    argv[n++] = "-r";
    argv[n++] = fdstr;
    argv[n++] = "-l";
    argv[n++] = log;
    for (unsigned i = 0; i < c->nr_disks; i++) {
        argv[n++] = "--disk";
        argv[n++] = (char *)c->disks[i];
    }
    for (unsigned i = 0; i < c->nr_vifs; i++) {
        argv[n++] = "--vif";
        argv[n++] = (char *)c->vifs[i];
    }
    argv[n] = NULL;
    snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        close(p[0]);
        setsid();
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        if (fork() == 0) {
            execvp(dm, argv);
            _exit(127);
        }
        _exit(0);
    }
    close(p[1]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    struct pollfd pf = { p[0], POLLIN, 0 };
    if (pid > 0 && poll(&pf, 1, DM_READY_MS) == 1 && read(p[0], ready, sizeof(ready) - 1) > 0 &&
        !strncmp(ready, "ready", 5)) {
        close(p[0]);
        return 0;
    }
    close(p[0]);
    kl_error("create", "the device model did not start (%s): see %s", dm, log);
    return -1;
}

/* Create, load and (unless @paused) start the domain: its id, or -1 after saying why. *@how: its entry. */
static int64_t build(struct keel *k, const struct image *im, int paused, const char **how)
{
    const struct kl_config *c = &im->cfg;
    struct keel_kernel kern = { im->kernel, im->kernel_len, im->ramdisk, im->ramdisk_len, im->cmdline,
                                !strcmp(c->type, "pvh") };
    char err[256];
    int64_t id = keel_domain_create(k, c->name, im->uuid, c->memory_mb << 20, c->vcpus);
    int rc;

    if (id == -KEEL_EEXIST) {
        kl_error("create", "a domain named '%s' exists already", c->name);
        return -1;
    }
    if (id == -KEEL_ENOMEM) {
        kl_error("create", "not enough free memory for %llu MiB (`kl info` shows what is free)",
                 (unsigned long long)c->memory_mb);
        return -1;
    }
    if (id < 0) {
        kl_error("create", "the hypervisor refused the domain: %s", strerror((int)-id));
        return -1;
    }
    if (c->maxmem_mb > c->memory_mb && (rc = (int)keel_domain_set_maxmem(k, (uint32_t)id, c->maxmem_mb << 20))) {
        kl_error("create", "maxmem=%llu refused: %s", (unsigned long long)c->maxmem_mb, strerror(-rc));
        keel_domain_destroy(k, (uint32_t)id);
        return -1;
    }
    rc = keel_build(k, (uint32_t)id, c->memory_mb << 20, &kern, how, err, sizeof(err));
    if (rc) {
        kl_error("create", "%s: %s", c->kernel, err);
        keel_domain_destroy(k, (uint32_t)id);
        return -1;
    }
    /* Its CMOS clock starts at dom0's time, as a machine's RTC would have it. */
    if ((rc = (int)keel_domain_set_wallclock(k, (uint32_t)id, (uint64_t)time(NULL))))
        fprintf(stderr, "kl: create: the domain's clock was not set: %s\n", strerror(-rc));
    if (start_dm(c, id)) {
        keel_domain_destroy(k, (uint32_t)id);
        return -1;
    }
    if (!paused && (rc = (int)keel_domain_unpause(k, (uint32_t)id))) {
        kl_error("create", "starting it failed: %s", strerror(-rc));
        keel_domain_destroy(k, (uint32_t)id);
        return -1;
    }
    save_config(im, id);
    return id;
}

static void monitor_log(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int fd, n;

    n = snprintf(line, sizeof(line), "kl: ");
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, line, strlen(line)) < 0) { /* nowhere else to say it */ }
        close(fd);
    }
}

/* Watch the domain; when it stops, do what its config says. Runs in its own process. */
static void monitor(struct keel *k, struct image *im, int64_t id)
{
    static const char *const reasons[] = { "powered off", "rebooted", "suspended", "crashed" };
    time_t restarts[RESTART_BURST] = { 0 };
    struct keel_domain_info d;
    unsigned nr_restarts = 0;

    /* Keel signals KEEL_VIRQ_DOM_EXC when a domU stops; without it, look every MONITOR_POLL_MS. */
    int64_t port = keel_evtchn_op(k, KEEL_EVTCHN_BIND_VIRQ, 0, KEEL_VIRQ_DOM_EXC);

    for (;;) {
        enum kl_action act;
        const char *why;

        if (port > 0)
            keel_evtchn_wait(k, MONITOR_EVENT_WAIT_MS);
        else
            nanosleep(&(struct timespec){ 0, MONITOR_POLL_MS * 1000000L }, NULL);
        if (keel_domain_info(k, (uint32_t)id, &d)) {
            forget_config(id);
            return;                                 /* destroyed by someone */
        }
        if (d.state == KEEL_DOMSTATE_RUNNING)
            continue;
        if (d.state == KEEL_DOMSTATE_CRASHED) {
            act = im->cfg.on_crash;
            why = "crashed";
        } else {
            act = d.shutdown_reason == KEEL_SHUTDOWN_REBOOT ? im->cfg.on_reboot :
                  d.shutdown_reason == KEEL_SHUTDOWN_CRASH ? im->cfg.on_crash : im->cfg.on_poweroff;
            why = reasons[d.shutdown_reason & 3];
        }
        if (d.state == KEEL_DOMSTATE_CRASHED)
            monitor_log("domain %lld '%s' crashed (%.*s): %s\n", (long long)id, im->cfg.name,
                        (int)sizeof(d.crash_reason), d.crash_reason, kl_action_name(act));
        else
            monitor_log("domain %lld '%s' %s: %s\n", (long long)id, im->cfg.name, why, kl_action_name(act));
        if (act == KL_ACTION_PRESERVE)
            return;
        if (act == KL_ACTION_COREDUMP_DESTROY || act == KL_ACTION_COREDUMP_RESTART) {
            int rc;
            char path[sizeof(conf.dump_dir) + 48];
            snprintf(path, sizeof(path), "%s/%s.core", conf.dump_dir, im->cfg.name);
            make_dirs(conf.dump_dir);
            rc = kl_dump_core(k, (uint32_t)id, path);
            if (rc)
                monitor_log("domain %lld '%s': no core dump: %s\n", (long long)id, im->cfg.name, strerror(-rc));
            else
                monitor_log("domain %lld '%s': core dumped to %s\n", (long long)id, im->cfg.name, path);
        }
        keel_domain_destroy(k, (uint32_t)id);
        forget_config(id);
        if (act != KL_ACTION_RESTART && act != KL_ACTION_COREDUMP_RESTART)
            return;
        /* A domain that dies as soon as it starts would be rebuilt forever: stop after a burst. */
        if (nr_restarts >= RESTART_BURST && time(NULL) - restarts[nr_restarts % RESTART_BURST] < RESTART_WINDOW) {
            monitor_log("domain '%s' restarted %u times in %u s: not restarting it again\n", im->cfg.name,
                        RESTART_BURST, RESTART_WINDOW);
            return;
        }
        restarts[nr_restarts++ % RESTART_BURST] = time(NULL);
        id = read_images(im) ? -1 : build(k, im, 0, NULL);
        free_images(im);
        if (id < 0) {
            monitor_log("domain '%s' could not be restarted\n", im->cfg.name);
            return;
        }
        monitor_log("domain '%s' restarted as %lld\n", im->cfg.name, (long long)id);
    }
}

static int load_config(struct image *im, const char *path, char **overrides, int n, int lax)
{
    char err[2048];
    uint8_t *text;
    size_t len;
    int rc;

    kl_config_init(&im->cfg);
    rc = kl_read_file(path, &text, &len);
    if (rc)
        return kl_error("create", "cannot read %s: %s", path, strerror(-rc));
    if (!quiet)
        fprintf(stderr, "Parsing config from %s\n", path);
    rc = kl_config_parse(&im->cfg, (const char *)text, len, path, lax, err, sizeof(err));
    im->text_len = len;
    for (int i = 0; i < n; i++)
        im->text_len += strlen(overrides[i]) + 1;
    im->text = realloc(text, im->text_len + 1);
    if (!im->text) {
        free(text);
        return kl_error("create", "out of memory");
    }
    for (int i = 0; !rc && i < n; i++) {
        fputs(err, stderr);                         /* the warnings so far */
        rc = kl_config_parse(&im->cfg, overrides[i], strlen(overrides[i]), "<command line>", lax, err,
                             sizeof(err));
        strcpy(im->text + len, "\n");
        strcpy(im->text + len + 1, overrides[i]);
        len += strlen(overrides[i]) + 1;
    }
    if (!rc) {
        fputs(err, stderr);
        rc = kl_config_finish(&im->cfg, err, sizeof(err));
    }
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* Said, not silently dropped: what needs ballooning or vCPU hotplug, which Keel has not yet. */
    if (im->cfg.maxmem_mb > im->cfg.memory_mb)
        fprintf(stderr, "kl: create: maxmem=%llu: the domain starts with memory=%llu MiB and cannot grow yet "
                "(no ballooning)\n",
                (unsigned long long)im->cfg.maxmem_mb, (unsigned long long)im->cfg.memory_mb);
    if (im->cfg.maxvcpus > im->cfg.vcpus)
        fprintf(stderr, "kl: create: maxvcpus=%u: the domain gets its vcpus=%u (no vCPU hotplug yet)\n",
                im->cfg.maxvcpus, im->cfg.vcpus);
    kl_config_cmdline(&im->cfg, im->cmdline, sizeof(im->cmdline));
    return 0;
}

static void make_uuid(uint8_t uuid[16])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0 || read(fd, uuid, 16) != 16) {
        for (int i = 0; i < 16; i++)
            uuid[i] = (uint8_t)rand();
    }
    if (fd >= 0)
        close(fd);
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);   /* RFC 4122 version 4 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

int cmd_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "quiet", 0, 0, 'q' }, { "dryrun", 0, 0, 'n' }, { "defconfig", 1, 0, 'f' },
        { "vncviewer", 0, 0, 'V' }, { "vncviewer-autopass", 0, 0, 'A' }, { "lenient", 0, 0, 'L' },
        { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
    };
    static struct image im;
    int opt, console = 0, paused = 0, lax = 0, dryrun = 0, no_monitor = 0, foreground = 0, rc;
    const char *how = "", *file = NULL;
    struct keel k;
    int64_t id;
    pid_t pid;

    while ((opt = kl_getopt(argc, argv, "cpeFf:nqdVAL", opts, "create", 0)) != -1) {
        switch (opt) {
        case 'c': console = 1; break;
        case 'p': paused = 1; break;
        case 'e': no_monitor = 1; break;
        case 'F': foreground = 1; break;
        case 'f': file = optarg; break;
        case 'n': dryrun = 1; break;
        case 'q': quiet = 1; break;
        case 'd': break;                                /* xl's debug messages: kl has no other level */
        case 'L': lax = 1; break;
        default:                                        /* -V, -A */
            fprintf(stderr, "kl: create: -%c: Keel's domains have no VNC display (no graphics yet)\n", opt);
            break;
        }
    }
    if (!file && optind < argc)
        file = argv[optind++];
    if (!file) {
        fprintf(stderr, "kl: create: no config file (kl create CONFIG, or -f CONFIG)\n\n");
        return kl_usage("create");
    }
    if (console && foreground)
        return kl_error("create", "-c and -F: the console and the monitor both want this terminal");
    if (kl_conf_load(&conf) || load_config(&im, file, argv + optind, argc - optind, lax))
        return 1;
    for (unsigned i = 0; i < im.cfg.nr_vifs; i++)
        if (kl_conf_vif_bridge(&conf, im.cfg.vifs[i], sizeof(im.cfg.vifs[i]), &im.cfg.vif[i]))
            return kl_error("create", "vif %u: no room to add bridge=%s", i, conf.default_bridge);
    make_uuid(im.uuid);
    if (dryrun) {
        struct keel_domain_info d = { .domid = 0 };
        memcpy(d.uuid, im.uuid, sizeof(d.uuid));
        d.max_mem_bytes = im.cfg.maxmem_mb << 20;
        kl_fmt_config_json(stdout, &d, &im.cfg);
        return 0;
    }
    if (read_images(&im))
        return 1;
    if (kl_open(&k))
        return 1;
    id = build(&k, &im, paused, &how);
    free_images(&im);                   /* the monitor reads them again if it restarts the domain */
    if (id < 0) {
        keel_close(&k);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "Created domain '%s' (id %lld), %s%s\n", im.cfg.name, (long long)id, how,
                paused ? ", paused" : "");
    if (no_monitor) {
        rc = console ? kl_console_attach(&k, (uint32_t)id) : 0;
        keel_close(&k);
        return rc;
    }
    if (foreground) {
        monitor(&k, &im, id);
        keel_close(&k);
        return 0;
    }
    pid = fork();
    if (pid == 0) {
        /* The monitor: detached from the terminal, alive as long as the domain is. */
        setsid();
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        /* Its own /dev/keel file: event ports are per file, and the parent's console binds its own. */
        struct keel own;
        if (!keel_open(&own)) {
            keel_close(&k);
            k = own;
        }
        monitor(&k, &im, id);
        _exit(0);
    }
    if (pid < 0)
        fprintf(stderr, "kl: create: no monitor process (%s): on_poweroff/on_reboot/on_crash will not apply\n",
                strerror(errno));
    rc = console ? kl_console_attach(&k, (uint32_t)id) : 0;
    keel_close(&k);
    return rc;
}

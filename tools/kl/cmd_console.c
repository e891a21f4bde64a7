/*
 * kl console [-t serial] DOMAIN: the domain's COM1, both ways, like `xl console`: what
 * it printed so far (as much as Keel keeps) and then as it comes; typed
 * bytes go to it; Ctrl-] detaches. Ends when the domain is destroyed.
 * Keel's KEEL_VIRQ_CONSOLE (output after our last read) and
 * KEEL_VIRQ_DOM_EXC (a domain stopped) wake it; without event channels it
 * looks every POLL_MS.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "kl.h"

#define DETACH      0x1d        /* Ctrl-] */
#define PV_CONSOLE_FMT "/run/keel/d%u-console.sock"    /* keel-dm's virtio console (keel-dm/dm.h) */
#define POLL_MS     50
#define EVENT_WAIT_MS 1000      /* with events: look anyway this often (nothing is lost if one is) */

static struct termios saved;
static int raw;

static void raw_mode(void)
{
    struct termios t;

    if (!isatty(0) || tcgetattr(0, &saved))
        return;
    t = saved;
    cfmakeraw(&t);
    t.c_oflag |= OPOST | ONLCR;             /* our own messages still end lines properly */
    if (!tcsetattr(0, TCSANOW, &t))
        raw = 1;
}

static void restore(void)
{
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    raw = 0;
}

int kl_console_attach(struct keel *k, uint32_t domid)
{
    static char buf[16384];
    struct keel_domain_info info;
    uint64_t pos = 0;
    int stdin_open = 1, rc = 0;
    int events = keel_evtchn_op(k, KEEL_EVTCHN_BIND_VIRQ, 0, KEEL_VIRQ_CONSOLE) > 0 &&
                 keel_evtchn_op(k, KEEL_EVTCHN_BIND_VIRQ, 0, KEEL_VIRQ_DOM_EXC) > 0;
    unsigned idle = 0;

    raw_mode();
    for (;;) {
        int64_t n = keel_console_domain_read(k, domid, &pos, buf, sizeof(buf));
        struct pollfd p[2] = { { stdin_open ? 0 : -1, POLLIN, 0 }, { events ? k->fd : -1, POLLIN, 0 } };

        if (n < 0) {
            if (n != -KEEL_ENOENT)
                rc = kl_error("console", "reading the console failed: %s", strerror((int)-n));
            break;                          /* the domain is gone */
        }
        if (n > 0 && kl_write_all(1, buf, (size_t)n))
            break;
        if (n > 0)
            continue;                       /* more may be waiting */
        if ((events || ++idle % 20 == 0) && keel_domain_info(k, domid, &info))
            break;
        if (poll(p, 2, events ? EVENT_WAIT_MS : POLL_MS) <= 0)
            continue;
        if (p[1].revents & POLLIN)
            while (keel_evtchn_wait(k, 0) > 0)
                ;                           /* which event does not matter: read again */
        if (!(p[0].revents & (POLLIN | POLLHUP)))
            continue;
        n = read(0, buf, sizeof(buf) > 4096 ? 4096 : sizeof(buf));
        if (n <= 0) {
            stdin_open = 0;                 /* input ended: keep showing output */
            continue;
        }
        if (memchr(buf, DETACH, (size_t)n))
            break;
        for (int64_t off = 0; off < n;) {
            int64_t took = keel_console_domain_write(k, domid, buf + off, (size_t)(n - off));
            if (took < 0)
                break;
            off += took;
            if (off < n)                    /* its receive FIFO is full: let it read */
                nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
        }
    }
    restore();
    return rc;
}

/*
 * kl console -t pv DOMAIN: the domain's virtio console (its hvc0), served
 * by its keel-dm on a Unix socket: what it printed so far (keel-dm keeps
 * the last 16 KiB) and then as it comes; typed bytes go to it; Ctrl-]
 * detaches. Ends when keel-dm closes it (the domain is gone).
 */
static int pv_attach(uint32_t domid)
{
    static char buf[4096];
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), stdin_open = 1, rc = 0;

    snprintf(a.sun_path, sizeof(a.sun_path), PV_CONSOLE_FMT, domid);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
        if (s >= 0)
            close(s);
        return kl_error("console", "domain %u has no PV console (%s: %s): only domains with a device model "
                        "(disks or vifs) have one", domid, a.sun_path, strerror(errno));
    }
    raw_mode();
    for (;;) {
        struct pollfd p[2] = { { stdin_open ? 0 : -1, POLLIN, 0 }, { s, POLLIN, 0 } };
        ssize_t n;

        if (poll(p, 2, -1) < 0)
            break;
        if (p[1].revents & (POLLIN | POLLHUP)) {
            n = read(s, buf, sizeof(buf));
            if (n <= 0 || kl_write_all(1, buf, (size_t)n))
                break;                          /* keel-dm is gone, and with it the domain */
        }
        if (!(p[0].revents & (POLLIN | POLLHUP)))
            continue;
        n = read(0, buf, sizeof(buf));
        if (n <= 0) {
            stdin_open = 0;                     /* input ended: keep showing output */
            continue;
        }
        if (memchr(buf, DETACH, (size_t)n))
            break;
        if (kl_write_all(s, buf, (size_t)n))
            break;
    }
    restore();
    close(s);
    return rc;
}

int cmd_console(int argc, char **argv)
{
    struct keel k;
    int64_t id;
    int rc, opt, pv = 0;

    while ((opt = kl_getopt(argc, argv, "t:n:", NULL, "console", 1)) != -1) {
        if (opt == 't' && !strcmp(optarg, "pv"))
            pv = 1;
        else if (opt == 't' && !strcmp(optarg, "serial"))
            pv = 0;
        else if (opt == 't')
            return kl_error("console", "console type '%s': pv or serial", optarg);
        else if (opt == 'n' && strcmp(optarg, "0"))
            return kl_error("console", "console number '%s': a domain has console 0 of each type", optarg);
    }
    if (argc - optind != 1)
        return kl_usage("console");
    id = kl_open_domain(&k, "console", argv[optind]);
    if (id < 0)
        return 1;
    rc = pv ? pv_attach((uint32_t)id) : kl_console_attach(&k, (uint32_t)id);
    keel_close(&k);
    return rc;
}

/*
 * keel-bench-io: the disk figures of `make bench`, run the same way in dom0
 * (on a file) and in a domU (on its virtio disk).
 *   keel-bench-io read FILE MB [direct]     sequential 1 MiB reads: MB/s
 *   keel-bench-io write FILE MB [direct]    sequential 1 MiB writes, then fdatasync: MB/s
 *   keel-bench-io rand FILE OPS [direct]    4 KiB reads at random 4 KiB offsets: IOPS
 * Without "direct", I/O is buffered, after the caller dropped the page
 * cache: make bench runs the same command in dom0 and in the domU.
 * And the network figures, TCP with 64 KiB writes:
 *   keel-bench-io sink PORT                 take one connection to its end: MB/s, timed here
 *   keel-bench-io source HOST PORT MB       send MB to HOST:PORT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The receiving end: from the first byte to the sender's close. */
static int sink(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    static char buf[1 << 16];
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), c;
    double t0 = 0;
    long long total = 0;
    ssize_t r;

    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) || (c = accept(l, NULL, NULL)) < 0) {
        perror("sink");
        return 1;
    }
    while ((r = read(c, buf, sizeof(buf))) > 0) {
        if (!total)
            t0 = now();
        total += r;
    }
    printf("%.2f MB/s\n", (double)total / (now() - t0) / 1e6);
    return 0;
}

static int source(const char *host, int port, long mb)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    static char buf[1 << 16];
    int s = socket(AF_INET, SOCK_STREAM, 0);

    memset(buf, 0x5a, sizeof(buf));
    if (s < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "source: bad address %s\n", host);
        return 1;
    }
    for (int i = 0; connect(s, (struct sockaddr *)&a, sizeof(a)); i++) {
        if (i == 100) {
            perror("source");
            return 1;
        }
        usleep(100000);                 /* the sink may not listen yet */
    }
    for (long long left = (long long)mb << 20; left > 0;) {
        ssize_t w = write(s, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
        if (w <= 0) {
            perror("source");
            return 1;
        }
        left -= w;
    }
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    int direct = argc > 4 && !strcmp(argv[4], "direct"), wr, fd;
    long n, i;
    off_t size;
    double t0, t;
    char *buf;

    if (argc == 3 && !strcmp(argv[1], "sink"))
        return sink(atoi(argv[2]));
    if (argc == 5 && !strcmp(argv[1], "source"))
        return source(argv[2], atoi(argv[3]), atol(argv[4]));
    if (argc < 4) {
        fprintf(stderr, "usage: keel-bench-io read|write|rand FILE N [direct]\n");
        return 2;
    }
    n = atol(argv[3]);
    wr = !strcmp(argv[1], "write");
    fd = open(argv[2], (wr ? O_WRONLY | O_CREAT : O_RDONLY) | (direct ? O_DIRECT : 0), 0644);
    if (fd < 0 || posix_memalign((void **)&buf, 4096, 1 << 20)) {
        perror(argv[2]);
        return 1;
    }
    memset(buf, 0x5a, 1 << 20);
    size = lseek(fd, 0, SEEK_END);
    t0 = now();
    if (!strcmp(argv[1], "rand")) {
        long blocks = size / 4096;
        srand(1);
        for (i = 0; i < n && blocks > 0; i++)
            if (pread(fd, buf, 4096, (off_t)(rand() % blocks) * 4096) != 4096)
                return 1;
        t = now() - t0;
        printf("%.0f IOPS\n", (double)n / t);
        return 0;
    }
    for (i = 0; i < n; i++)
        if ((wr ? pwrite(fd, buf, 1 << 20, (off_t)i << 20) : pread(fd, buf, 1 << 20, (off_t)i << 20)) != 1 << 20)
            return 1;
    if (wr && fdatasync(fd))
        return 1;
    t = now() - t0;
    printf("%.1f MB/s\n", (double)n / t);
    return 0;
}

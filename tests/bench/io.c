/*
 * keel-bench-io: the disk figures of `make bench`, run the same way in dom0
 * (on a file) and in a domU (on its virtio disk).
 *   keel-bench-io read FILE MB [direct]     sequential 1 MiB reads: MB/s
 *   keel-bench-io write FILE MB [direct]    sequential 1 MiB writes, then fdatasync: MB/s
 *   keel-bench-io rand FILE OPS [direct]    4 KiB reads at random 4 KiB offsets: IOPS
 * Without "direct", I/O is buffered, after the caller dropped the page
 * cache: make bench runs the same command in dom0 and in the domU.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int direct = argc > 4 && !strcmp(argv[4], "direct"), wr, fd;
    long n, i;
    off_t size;
    double t0, t;
    char *buf;

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

/*
 * Kernel and ramdisk files for kl create. A gzip'd kernel (as Xen's domain
 * builder takes one) is inflated here, from a read-only mapping of the
 * file, into one buffer sized by the gzip trailer's ISIZE (RFC 1952 2.3.1):
 * dom0 is small, and a 66 MB kernel must not cost the 96 MB a doubling
 * buffer reaches plus a copy of the compressed file. zlib checks the
 * trailer only at the end (and it is the size modulo 2^32), so until then
 * it is a hint: the buffer grows if the stream is longer, never past @max.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "kl.h"

int kl_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf;

    if (!f)
        return -errno;
    buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *bigger = realloc(buf, cap);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    if (!buf || ferror(f)) {
        int e = buf ? EIO : ENOMEM;
        free(buf);
        fclose(f);
        return -e;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

/* Inflate the gzip stream @z (@zlen bytes) into a new buffer of at most @max bytes: 0 or -errno. */
static int gunzip(const uint8_t *z, size_t zlen, size_t max, uint8_t **data, size_t *len)
{
    uint32_t isize = (uint32_t)z[zlen - 4] | (uint32_t)z[zlen - 3] << 8 | (uint32_t)z[zlen - 2] << 16 |
                     (uint32_t)z[zlen - 1] << 24;
    size_t cap = 0, first = isize && isize < max ? (size_t)isize + 1 : (zlen * 4 < max ? zlen * 4 : max);
    uint8_t *out = NULL;
    z_stream s;
    int rc;

    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
        return -ENOMEM;
    s.next_in = (Bytef *)z;
    s.avail_in = (uInt)zlen;
    do {
        if (s.total_out == cap) {
            uint8_t *bigger;
            if (cap >= max) {
                rc = -EFBIG;            /* more than the domain could hold: a bomb or the wrong file */
                break;
            }
            cap = !cap ? first : cap * 2 < max ? cap * 2 : max;
            bigger = realloc(out, cap);
            if (!bigger) {
                rc = -ENOMEM;
                break;
            }
            out = bigger;
        }
        s.next_out = out + s.total_out;
        s.avail_out = (uInt)(cap - s.total_out);
        rc = inflate(&s, Z_NO_FLUSH);
        rc = rc == Z_STREAM_END ? 1 : rc == Z_OK || rc == Z_BUF_ERROR ? 0 : -EINVAL;
        if (!rc && s.avail_in == 0 && s.avail_out)
            rc = -EINVAL;                   /* truncated */
    } while (!rc);
    inflateEnd(&s);
    if (rc < 0) {
        free(out);
        return rc;
    }
    *data = out;
    *len = s.total_out;
    return 0;
}

int kl_read_kernel(const char *path, size_t max, uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t *z;
    int rc;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st)) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return -EFBIG;
    }
    /* The smallest gzip member is 18 bytes (header, empty deflate block, trailer). */
    z = st.st_size >= 18 ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (z == MAP_FAILED || z[0] != 0x1f || z[1] != 0x8b) {
        if (z != MAP_FAILED)
            munmap(z, (size_t)st.st_size);
        rc = kl_read_file(path, data, len);         /* not gzip'd (or not a file to map): as it is */
        if (!rc && *len > max) {
            free(*data);
            rc = -EFBIG;
        }
        return rc;
    }
    rc = gunzip(z, (size_t)st.st_size, max, data, len);
    munmap(z, (size_t)st.st_size);
    return rc;
}

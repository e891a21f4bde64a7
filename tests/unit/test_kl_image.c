/*
 * kl's kernel reader (tools/kl/image.c): a plain file as it is, a gzip'd
 * one inflated into a buffer its trailer sizes, and the files a user might
 * hand it by mistake or on purpose: truncated, a trailer that lies, more
 * than the domain holds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "../../tools/kl/kl.h"

static char dir[64], path[96];

/* @len bytes of a pattern, gzip'd into @path (the trailer's ISIZE replaced by @isize unless it is ~0): its size. */
static size_t write_gz(size_t len, uint32_t isize)
{
    uint8_t *in = malloc(len + 1), *out = malloc(len + 1024);
    z_stream s;
    FILE *f;

    for (size_t i = 0; i < len; i++)
        in[i] = (uint8_t)(i * 7 + i / 4096);
    memset(&s, 0, sizeof(s));
    assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    s.next_in = in;
    s.avail_in = (uInt)len;
    s.next_out = out;
    s.avail_out = (uInt)(len + 1024);
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    size_t n = s.total_out;
    deflateEnd(&s);
    if (isize != ~0u)
        for (unsigned i = 0; i < 4; i++)
            out[n - 4 + i] = (uint8_t)(isize >> (8 * i));
    f = fopen(path, "wb");
    fwrite(out, 1, n, f);
    fclose(f);
    free(in);
    free(out);
    return n;
}

static int check_pattern(const uint8_t *d, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (d[i] != (uint8_t)(i * 7 + i / 4096))
            return 0;
    return 1;
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/keel-kl-image-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/kernel", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

static void test_plain_and_gzip(void **state)
{
    uint8_t *d;
    size_t len;
    FILE *f;

    (void)state;
    f = fopen(path, "wb");
    fputs("not compressed at all", f);
    fclose(f);
    assert_int_equal(kl_read_kernel(path, 1 << 20, &d, &len), 0);
    assert_int_equal(len, 21);
    assert_memory_equal(d, "not compressed at all", 21);
    free(d);
    assert_int_equal(kl_read_kernel(path, 20, &d, &len), -EFBIG);                   /* file over @max */
    /* 3 MB gzip'd: inflated whole, in a buffer the trailer sized. */
    write_gz(3 << 20, ~0u);
    assert_int_equal(kl_read_kernel(path, 8 << 20, &d, &len), 0);
    assert_int_equal(len, 3 << 20);
    assert_true(check_pattern(d, len));
    free(d);
    assert_int_equal(kl_read_kernel("/nonexistent/kernel", 1 << 20, &d, &len), -ENOENT);
}

static void test_hostile_gzip(void **state)
{
    uint8_t *d;
    size_t len;
    size_t n;

    (void)state;
    /*
     * A trailer that lies (less, nothing, more than @max): the buffer it
     * sized grows as the stream needs (ASan watches), and zlib's own length
     * check at the end calls the file corrupt.
     */
    write_gz(2 << 20, 100);
    assert_int_equal(kl_read_kernel(path, 8 << 20, &d, &len), -EINVAL);
    write_gz(2 << 20, 0);
    assert_int_equal(kl_read_kernel(path, 8 << 20, &d, &len), -EINVAL);
    write_gz(1 << 20, 0xfffffff0u);
    assert_int_equal(kl_read_kernel(path, 4 << 20, &d, &len), -EINVAL);
    /* Inflating past @max (a bomb, the wrong file): refused. */
    write_gz(4 << 20, ~0u);
    assert_int_equal(kl_read_kernel(path, 3 << 20, &d, &len), -EFBIG);
    /* Truncated: corrupt. */
    n = write_gz(1 << 20, ~0u);
    assert_int_equal(truncate(path, (off_t)(n / 2)), 0);
    assert_int_equal(kl_read_kernel(path, 4 << 20, &d, &len), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_and_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_gzip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

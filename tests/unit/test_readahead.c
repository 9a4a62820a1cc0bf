/*
 * test_readahead.c: the producer thread hands over every byte in order,
 * then the end; a failure comes once, after the bytes before it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "readahead.h"

/* A source giving len bytes of a pattern in calls of at most chunk, then
 * fail_errno (or the end when 0). */
struct source {
    size_t len;
    size_t pos;
    size_t chunk;
    int fail_errno;
};

static char
pattern(size_t i)
{
    return (char)('a' + (i * 7 + i / 251) % 26);
}

static ssize_t
source_read(void *ctx, char *buf, size_t cap)
{
    struct source *const s = ctx;
    size_t n = s->len - s->pos;

    if (n == 0) {
        if (s->fail_errno != 0) {
            errno = s->fail_errno;
            return -1;
        }
        return 0;
    }
    if (n > s->chunk)
        n = s->chunk;
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(s->pos + i);
    s->pos += n;
    return (ssize_t)n;
}

/* Read everything through r with reads of at most cap; check the bytes. */
static size_t
drain(struct readahead *r, size_t cap, ssize_t *last)
{
    char buf[70000];
    size_t total = 0;

    cr_assert(cap <= sizeof(buf));
    for (;;) {
        const ssize_t n = readahead_read(r, buf, cap);
        if (n <= 0) {
            *last = n;
            return total;
        }
        cr_assert_leq((size_t)n, cap);
        for (ssize_t i = 0; i < n; i++)
            cr_assert_eq(pattern(total + (size_t)i), buf[i], "byte %zu differs",
                         total + (size_t)i);
        total += (size_t)n;
    }
}

Test(readahead, every_byte_in_order_then_the_end)
{
    struct source s = {.len = 5u * 1024u * 1024u + 17u, .chunk = 100000};
    struct readahead *const r = readahead_new(source_read, &s);
    ssize_t last;

    cr_assert_not_null(r);
    cr_assert_eq(s.len, drain(r, 65536, &last));
    cr_assert_eq(0, last);
    cr_assert_eq(0, readahead_read(r, (char[1]){0}, 1), "the end stays");
    readahead_free(r);
}

Test(readahead, small_reads_of_a_large_chunk)
{
    struct source s = {.len = 300000, .chunk = 300000};
    struct readahead *const r = readahead_new(source_read, &s);
    ssize_t last;

    cr_assert_eq(s.len, drain(r, 7, &last));
    cr_assert_eq(0, last);
    readahead_free(r);
}

Test(readahead, an_error_comes_once_after_the_bytes_before_it)
{
    struct source s = {.len = 1000, .chunk = 333, .fail_errno = EIO};
    struct readahead *const r = readahead_new(source_read, &s);
    ssize_t last;

    errno = 0;
    cr_assert_eq(1000, drain(r, 4096, &last));
    cr_assert_eq(-1, last);
    cr_assert_eq(EIO, errno);
    cr_assert_eq(0, readahead_read(r, (char[1]){0}, 1), "then the end");
    readahead_free(r);
}

Test(readahead, freed_while_the_producer_is_ahead)
{
    struct source s = {.len = 64u * 1024u * 1024u, .chunk = 1u << 20};
    struct readahead *const r = readahead_new(source_read, &s);
    char buf[10];

    cr_assert_eq(10, readahead_read(r, buf, sizeof(buf)));
    readahead_free(r); /* must not hang on a full ring */
    cr_assert_lt(s.pos, s.len, "the producer stopped early");
}

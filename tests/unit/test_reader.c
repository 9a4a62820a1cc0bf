/*
 * test_reader.c: the reader behind an injected read callback: reads of any
 * size append in place, end of input, EINTR retried unless the stop flag is
 * set, other errors, consume/attach, and the plain fd source on a pipe.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

/*
 * A scripted source: each call hands out at most chunk bytes of data (all
 * that fits when chunk is 0). The first n_eintr calls fail with EINTR; when
 * fail_errno is set, every call after the data is used up fails with it.
 */
struct feed {
    const char *data;
    size_t len;
    size_t pos;
    size_t chunk;
    unsigned n_eintr;
    int fail_errno;
    unsigned n_calls;
    size_t last_cap;                     /* cap passed on the last call */
    volatile sig_atomic_t *set_on_eintr; /* set to 1 with each EINTR */
};

static ssize_t
feed_read(void *ctx, char *buf, size_t cap)
{
    struct feed *const f = ctx;

    f->n_calls++;
    f->last_cap = cap;
    if (f->n_eintr > 0) {
        f->n_eintr--;
        if (f->set_on_eintr != NULL)
            *f->set_on_eintr = 1;
        errno = EINTR;
        return -1;
    }
    if (f->pos == f->len && f->fail_errno != 0) {
        errno = f->fail_errno;
        return -1;
    }
    size_t n = f->len - f->pos;
    if (f->chunk != 0 && n > f->chunk)
        n = f->chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (ssize_t)n;
}

static struct reader *r;

static void
setup(void)
{
    r = reader_new(16);
}

static void
teardown(void)
{
    reader_free(r);
    r = NULL;
}

TestSuite(reader, .init = setup, .fini = teardown, .timeout = 10);

Test(reader, new_reader_is_empty_with_the_requested_capacity)
{
    cr_assert_not_null(r->buf);
    cr_assert_eq(16, r->cap);
    cr_assert_eq(0, r->len);
}

Test(reader, fill_appends_what_one_read_returns)
{
    struct feed f = {.data = "hello", .len = 5};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(5, r->len);
    cr_assert_eq(0, memcmp("hello", r->buf, 5));
    cr_assert_eq(1, f.n_calls);
    cr_assert_eq(16, f.last_cap);
}

Test(reader, fill_with_one_byte_reads_appends_one_byte_each)
{
    struct feed f = {.data = "abc", .len = 3, .chunk = 1};

    reader_attach(r, feed_read, &f);
    for (size_t i = 1; i <= 3; i++) {
        cr_assert_eq(READER_OK, reader_fill(r));
        cr_assert_eq(i, r->len);
        cr_assert_eq(16 - (i - 1), f.last_cap);
    }
    cr_assert_eq(0, memcmp("abc", r->buf, 3));
    cr_assert_eq(READER_EOF, reader_fill(r));
    cr_assert_eq(3, r->len);
}

Test(reader, fill_never_asks_for_more_than_the_free_space)
{
    struct feed f = {.data = "0123456789abcdefXYZ", .len = 19};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(16, r->len);
    cr_assert_eq(16, f.last_cap);
    reader_consume(r, 10);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(10, f.last_cap);
    cr_assert_eq(9, r->len);
    cr_assert_eq(0, memcmp("abcdefXYZ", r->buf, 9));
}

Test(reader, empty_input_gives_eof_at_once)
{
    struct feed f = {.data = "", .len = 0};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_EOF, reader_fill(r));
    cr_assert_eq(0, r->len);
    cr_assert_eq(1, f.n_calls);
}

Test(reader, eintr_is_retried_without_a_stop_flag)
{
    struct feed f = {.data = "abc\n", .len = 4, .n_eintr = 1};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(4, r->len);
    cr_assert_eq(2, f.n_calls);
}

Test(reader, several_eintr_in_a_row_are_all_retried)
{
    struct feed f = {.data = "x", .len = 1, .n_eintr = 5};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(1, r->len);
    cr_assert_eq(6, f.n_calls);
}

Test(reader, eintr_is_retried_while_the_stop_flag_is_clear)
{
    static volatile sig_atomic_t stop = 0;
    struct feed f = {.data = "abc", .len = 3, .n_eintr = 1};

    reader_attach(r, feed_read, &f);
    r->stop = &stop;
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(3, r->len);
    cr_assert_eq(2, f.n_calls);
}

Test(reader, eintr_ends_the_read_when_the_stop_flag_is_set)
{
    static volatile sig_atomic_t stop = 0;
    struct feed f = {.data = "abc", .len = 3, .n_eintr = 1};

    reader_attach(r, feed_read, &f);
    r->stop = &stop;
    f.set_on_eintr = &stop; /* the signal arrives during the read */
    errno = 0;
    cr_assert_eq(READER_ERR, reader_fill(r));
    cr_assert_eq(EINTR, errno);
    cr_assert_eq(0, r->len);
    cr_assert_eq(1, f.n_calls);
}

Test(reader, a_flag_set_before_the_read_ends_it_without_reading)
{
    static volatile sig_atomic_t stop = 1;
    struct feed f = {.data = "abc", .len = 3};

    reader_attach(r, feed_read, &f);
    r->stop = &stop;
    errno = 0;
    cr_assert_eq(READER_ERR, reader_fill(r));
    cr_assert_eq(EINTR, errno);
    cr_assert_eq(0, f.n_calls, "read while a signal was pending");
}

Test(reader, other_errors_are_returned_with_errno)
{
    struct feed f = {.data = "ab", .len = 2, .fail_errno = EIO};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    errno = 0;
    cr_assert_eq(READER_ERR, reader_fill(r));
    cr_assert_eq(EIO, errno);
    cr_assert_eq(2, r->len, "bytes read before the error stay buffered");
}

Test(reader, consume_moves_the_rest_to_the_front)
{
    struct feed f = {.data = "line1\nrest", .len = 10};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    reader_consume(r, 6);
    cr_assert_eq(4, r->len);
    cr_assert_eq(0, memcmp("rest", r->buf, 4));
    reader_consume(r, 0);
    cr_assert_eq(4, r->len);
    reader_consume(r, 4);
    cr_assert_eq(0, r->len);
}

Test(reader, attach_drops_buffered_bytes)
{
    struct feed first = {.data = "old data", .len = 8};
    struct feed second = {.data = "new", .len = 3};

    reader_attach(r, feed_read, &first);
    cr_assert_eq(READER_OK, reader_fill(r));
    reader_attach(r, feed_read, &second);
    cr_assert_eq(0, r->len);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(3, r->len);
    cr_assert_eq(0, memcmp("new", r->buf, 3));
    cr_assert_eq(1, first.n_calls);
}

Test(reader, bytes_pass_unchanged_including_nul_and_invalid_utf8)
{
    static const char bytes[] = "a\0b\xff\xfe\xc3\x28\r\n";
    const size_t n = sizeof(bytes) - 1;
    struct feed f = {.data = bytes, .len = n};

    reader_attach(r, feed_read, &f);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(n, r->len);
    cr_assert_eq(0, memcmp(bytes, r->buf, n));
}

Test(reader, fd_source_reads_a_pipe)
{
    int fds[2];

    cr_assert_eq(0, pipe(fds));
    cr_assert_eq(6, write(fds[1], "piped\n", 6));
    cr_assert_eq(0, close(fds[1]));
    reader_attach(r, reader_read_fd, &fds[0]);
    cr_assert_eq(READER_OK, reader_fill(r));
    cr_assert_eq(6, r->len);
    cr_assert_eq(0, memcmp("piped\n", r->buf, 6));
    cr_assert_eq(READER_EOF, reader_fill(r));
    cr_assert_eq(0, close(fds[0]));
}

Test(reader, fd_source_reports_a_bad_descriptor)
{
    int fd = -1;

    reader_attach(r, reader_read_fd, &fd);
    errno = 0;
    cr_assert_eq(READER_ERR, reader_fill(r));
    cr_assert_eq(EBADF, errno);
}

Test(reader, free_accepts_null)
{
    reader_free(NULL); /* must not crash */
}

/*
 * reader.c: one input source → one growing-but-bounded byte buffer. It does
 * not split lines (linesplit does) and does not decompress (a decoder plugs
 * in as the read callback).
 */
/* F_SETPIPE_SZ is Linux's; glibc shows it with _GNU_SOURCE only. */
#define _GNU_SOURCE
#include "reader.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

ssize_t
reader_read_fd(void *ctx, char *buf, size_t cap)
{
    const int fd = *(const int *)ctx;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    if (fd < 0) { /* poll() would ignore it and wait forever */
        errno = EBADF;
        return -1;
    }
    for (;;) {
        /*
         * Wait in poll(), not in read(): signals are installed with
         * SA_RESTART (signals.c), which restarts a read but never a poll,
         * so EINTR reaches the caller, which retries or stops. Also, a
         * parent may leave O_NONBLOCK on a shared pipe (RELIABILITY
         * RC-28): no data yet is not an error, so wait for some.
         */
        if (poll(&pfd, 1, -1) < 0)
            return -1;
        const ssize_t n = read(fd, buf, cap);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return n;
    }
}

void
reader_widen_pipe(int fd)
{
#ifdef __linux__
    const int size = fcntl(fd, F_GETPIPE_SZ); /* -1: not a pipe */
    if (size >= 0 && size < (1 << 20))
        (void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
    (void)fd;
#endif
}

struct reader *
reader_new(size_t cap)
{
    struct reader *const r = xcalloc(1, sizeof(*r));

    assert(cap > 0);
    /*
     * Zeroed once: PCRE2's JIT scans with aligned 16-byte loads that may
     * run past the end of a line into buffer bytes never read into. That
     * is harmless, but valgrind reports it (PCRE2 issues #654, #995), and
     * a clean valgrind run is part of CI.
     */
    r->buf = xcalloc(1, cap);
    r->cap = cap;
    return r;
}

void
reader_free(struct reader *r)
{
    if (r == NULL)
        return;
    free(r->buf);
    free(r);
}

void
reader_attach(struct reader *r, reader_read_fn *fn, void *ctx)
{
    r->read_fn = fn;
    r->read_ctx = ctx;
    r->len = 0;
}

void
reader_consume(struct reader *r, size_t n)
{
    assert(n <= r->len);
    if (n == 0)
        return;
    if (n < r->len)
        memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

enum reader_status
reader_fill(struct reader *r)
{
    assert(r->len < r->cap);
    for (;;) {
        /* A signal that came while we were busy must not leave us blocked
         * in read(); the window left between this check and the read is a
         * few instructions wide. */
        if (r->stop != NULL && *r->stop) {
            errno = EINTR;
            return READER_ERR;
        }
        const ssize_t n =
            r->read_fn(r->read_ctx, r->buf + r->len, r->cap - r->len);
        if (n > 0) {
            assert((size_t)n <= r->cap - r->len);
            r->len += (size_t)n;
            return READER_OK;
        }
        if (n == 0)
            return READER_EOF;
        if (errno == EINTR && (r->stop == NULL || *r->stop == 0))
            continue;
        return READER_ERR;
    }
}

/*
 * reader.c: one input source → one growing-but-bounded byte buffer. It does
 * not split lines (linesplit does) and does not decompress (a decoder plugs
 * in as the read callback).
 */
#include "reader.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

ssize_t
reader_read_fd(void *ctx, char *buf, size_t cap)
{
    const int fd = *(const int *)ctx;
    return read(fd, buf, cap);
}

struct reader *
reader_new(size_t cap)
{
    struct reader *const r = xcalloc(1, sizeof(*r));

    assert(cap > 0);
    r->buf = xmalloc(cap);
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

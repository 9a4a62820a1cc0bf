/*
 * outbuf.c: the out-of-line parts of the write buffer (outbuf.h).
 */
#include "outbuf.h"

#include <assert.h>

void
outbuf_init(struct outbuf *b, FILE *out)
{
    assert(out != NULL);
    b->out = out;
    b->len = 0;
}

void
outbuf_flush(struct outbuf *b)
{
    assert(b->len <= sizeof b->buf);
    if (b->len > 0)
        (void)fwrite(b->buf, 1, b->len, b->out);
    b->len = 0;
}

void
outbuf_put_slow(struct outbuf *b, const char *p, size_t len)
{
    outbuf_flush(b);
    /* A piece as big as the buffer gains nothing from a copy. */
    if (len >= sizeof b->buf) {
        (void)fwrite(p, 1, len, b->out);
        return;
    }
    memcpy(b->buf, p, len);
    b->len = len;
}

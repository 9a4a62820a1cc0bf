/*
 * decomp.c: zlib and libzstd behind one read callback. It does not split
 * lines and knows nothing of mail logs. The first bytes are read once to
 * recognise the format and then fed to the decoder (or returned as they
 * are), so nothing is read twice and no seek is needed.
 */
#include "decomp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "xalloc.h"

#define DECOMP_IN_CAP (256u * 1024u)

/*
 * Invariants: in_pos <= in_len <= DECOMP_IN_CAP; once is_finished is set,
 * reads return 0; err is empty unless a read returned -1 for damage.
 */
struct decomp {
    int fd;
    enum decomp_kind kind;
    bool is_started;
    bool is_in_eof;
    bool is_finished;
    bool is_member_open; /* gzip: inside a member; zstd: inside a frame */
    unsigned char *in;
    size_t in_len;
    size_t in_pos;
    z_stream zs;
    bool has_zs;
    ZSTD_DStream *zd;
    char err[128];
};

struct decomp *
decomp_new(int fd)
{
    struct decomp *const d = xcalloc(1, sizeof(*d));
    d->fd = fd;
    d->in = xmalloc(DECOMP_IN_CAP);
    return d;
}

void
decomp_free(struct decomp *d)
{
    if (d == NULL)
        return;
    if (d->has_zs)
        (void)inflateEnd(&d->zs);
    ZSTD_freeDStream(d->zd);
    free(d->in);
    free(d);
}

enum decomp_kind
decomp_kind_of(const struct decomp *d)
{
    return d->kind;
}

const char *
decomp_error(const struct decomp *d)
{
    return d->err;
}

/* Refill the input buffer; false at end of input or on error (errno). */
static bool
fill(struct decomp *d)
{
    if (d->in_pos < d->in_len)
        return true;
    if (d->is_in_eof)
        return false;
    for (;;) {
        const ssize_t n = read(d->fd, d->in, DECOMP_IN_CAP);
        if (n > 0) {
            d->in_len = (size_t)n;
            d->in_pos = 0;
            return true;
        }
        if (n == 0) {
            d->is_in_eof = true;
            d->in_len = d->in_pos = 0;
            return false;
        }
        return false; /* errno from read(); EINTR goes to the caller */
    }
}

static ssize_t
damaged(struct decomp *d, const char *what)
{
    (void)snprintf(d->err, sizeof(d->err), "%s", what);
    d->is_finished = true;
    errno = EIO;
    return -1;
}

/* Recognise the format from the first bytes (up to 4). */
static ssize_t
start(struct decomp *d)
{
    while (d->in_len < 4 && !d->is_in_eof) {
        const ssize_t n = read(d->fd, d->in + d->in_len, 4 - d->in_len);
        if (n < 0)
            return -1;
        if (n == 0)
            d->is_in_eof = true;
        d->in_len += (size_t)n;
    }
    d->is_started = true;
    if (d->in_len >= 2 && d->in[0] == 0x1f && d->in[1] == 0x8b) {
        d->kind = DECOMP_GZIP;
        memset(&d->zs, 0, sizeof(d->zs));
        /* 16 + MAX_WBITS: gzip wrapper with its header and CRC checks. */
        if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK)
            return damaged(d, "cannot start the gzip decoder");
        d->has_zs = true;
    } else if (d->in_len >= 4 && d->in[0] == 0x28 && d->in[1] == 0xb5 &&
               d->in[2] == 0x2f && d->in[3] == 0xfd) {
        d->kind = DECOMP_ZSTD;
        d->zd = ZSTD_createDStream();
        if (d->zd == NULL)
            return damaged(d, "cannot start the zstd decoder");
    } else {
        d->kind = DECOMP_PLAIN;
    }
    return 0;
}

static ssize_t
read_gzip(struct decomp *d, char *buf, size_t cap)
{
    const uInt room = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);

    d->zs.next_out = (Bytef *)buf;
    d->zs.avail_out = room;
    for (;;) {
        if (d->in_pos == d->in_len && !fill(d)) {
            if (!d->is_in_eof)
                return -1; /* read error, errno set (EINTR is retried) */
            if (d->is_member_open)
                return damaged(d, "unexpected end of gzip data "
                                  "(truncated archive)");
            d->is_finished = true;
            break;
        }
        if (!d->is_member_open) {
            /* Between members: another member, or trailing garbage. */
            if (d->in[d->in_pos] != 0x1f)
                return damaged(d, "trailing garbage after gzip data");
            if (inflateReset(&d->zs) != Z_OK)
                return damaged(d, "cannot restart the gzip decoder");
            d->is_member_open = true;
        }
        d->zs.next_in = d->in + d->in_pos;
        d->zs.avail_in = (uInt)(d->in_len - d->in_pos);
        const int rc = inflate(&d->zs, Z_NO_FLUSH);
        d->in_pos = d->in_len - d->zs.avail_in;
        if (rc == Z_STREAM_END)
            d->is_member_open = false;
        else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
            return damaged(d, "gzip data is corrupt");
        else if (rc == Z_MEM_ERROR)
            return damaged(d, "out of memory in the gzip decoder");
        /* Hand out what we have as soon as there is something. */
        if (d->zs.avail_out < room)
            break;
    }
    return (ssize_t)(room - d->zs.avail_out);
}

static ssize_t
read_zstd(struct decomp *d, char *buf, size_t cap)
{
    ZSTD_outBuffer out = {buf, cap, 0};

    while (out.pos == 0) {
        if (d->in_pos == d->in_len && !fill(d)) {
            if (!d->is_in_eof)
                return -1;
            if (d->is_member_open)
                return damaged(d, "unexpected end of zstd data "
                                  "(truncated archive)");
            d->is_finished = true;
            break;
        }
        ZSTD_inBuffer in = {d->in, d->in_len, d->in_pos};
        const size_t rc = ZSTD_decompressStream(d->zd, &out, &in);
        d->in_pos = in.pos;
        if (ZSTD_isError(rc)) {
            (void)snprintf(d->err, sizeof(d->err), "zstd data is corrupt: %s",
                           ZSTD_getErrorName(rc));
            d->is_finished = true;
            errno = EIO;
            return -1;
        }
        /* 0: a frame is complete and flushed; more: inside a frame. */
        d->is_member_open = rc != 0;
    }
    return (ssize_t)out.pos;
}

ssize_t
decomp_read(void *ctx, char *buf, size_t cap)
{
    struct decomp *const d = ctx;

    if (d->is_finished)
        return 0;
    if (!d->is_started && start(d) < 0)
        return -1;
    switch (d->kind) {
    case DECOMP_GZIP:
        return read_gzip(d, buf, cap);
    case DECOMP_ZSTD:
        return read_zstd(d, buf, cap);
    case DECOMP_PLAIN:
        break;
    }
    /* Plain: hand out the peeked bytes first, then read straight through. */
    if (d->in_pos < d->in_len) {
        const size_t n =
            d->in_len - d->in_pos < cap ? d->in_len - d->in_pos : cap;
        memcpy(buf, d->in + d->in_pos, n);
        d->in_pos += n;
        return (ssize_t)n;
    }
    if (d->is_in_eof)
        return 0;
    return read(d->fd, buf, cap);
}

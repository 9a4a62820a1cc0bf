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
#include <zstd_errors.h>

#include "xalloc.h"

#define DECOMP_IN_CAP (256u * 1024u)
/* ZSTD_FRAMEHEADERSIZE_MAX, from zstd.h's static-linking-only part. */
#define DECOMP_ZSTD_HEADER_MAX 18u

/*
 * Invariants: in_pos <= in_len <= DECOMP_IN_CAP; once is_finished is set,
 * reads return 0; err is empty unless a read returned (or, with
 * is_damage_pending, is about to return) -1 for damage.
 */
struct decomp {
    int fd;              /* decomp_new()'s descriptor (reader_read_fd) */
    reader_read_fn *src; /* where the raw bytes come from */
    void *src_ctx;
    enum decomp_kind kind;
    bool is_started;
    bool is_in_eof;
    bool is_finished;
    bool is_member_open;    /* gzip: inside a member; zstd: inside a frame */
    bool is_damage_pending; /* err is set; report it on the next read */
    unsigned char *in;
    size_t in_len;
    size_t in_pos;
    z_stream zs;
    bool has_zs;
    ZSTD_DStream *zd;
    unsigned char zhdr[DECOMP_ZSTD_HEADER_MAX]; /* the frame's first bytes */
    size_t zhdr_len;
    unsigned long long zframe_out; /* bytes the frame has given so far */
    char err[128];
};

struct decomp *
decomp_new_source(reader_read_fn *fn, void *ctx)
{
    struct decomp *const d = xcalloc(1, sizeof(*d));
    d->fd = -1;
    d->src = fn;
    d->src_ctx = ctx;
    d->in = xmalloc(DECOMP_IN_CAP);
    return d;
}

struct decomp *
decomp_new(int fd)
{
    struct decomp *const d = decomp_new_source(reader_read_fd, NULL);
    d->fd = fd;
    d->src_ctx = &d->fd;
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
    const ssize_t n = d->src(d->src_ctx, (char *)d->in, DECOMP_IN_CAP);
    if (n > 0) {
        d->in_len = (size_t)n;
        d->in_pos = 0;
        return true;
    }
    if (n == 0) {
        d->is_in_eof = true;
        d->in_len = d->in_pos = 0;
    }
    return false; /* errno from the source; EINTR goes to the caller */
}

static ssize_t
damaged(struct decomp *d, const char *what)
{
    (void)snprintf(d->err, sizeof(d->err), "%s", what);
    d->is_finished = true;
    errno = EIO;
    return -1;
}

/* A zstd frame or a skippable frame (pzstd writes one first). */
static bool
is_zstd_magic(const unsigned char *p)
{
    return (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) ||
           ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d &&
            p[3] == 0x18);
}

/* Recognise the format from the first bytes (up to 4). */
static ssize_t
start(struct decomp *d)
{
    while (d->in_len < 4 && !d->is_in_eof) {
        const ssize_t n =
            d->src(d->src_ctx, (char *)d->in + d->in_len, 4 - d->in_len);
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
    } else if (d->in_len >= 4 && is_zstd_magic(d->in)) {
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
        if (rc == Z_STREAM_END) {
            d->is_member_open = false;
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
            if (d->zs.avail_out == room)
                return damaged(d, "gzip data is corrupt");
            /* Hand out what was decoded before the damage first. */
            (void)snprintf(d->err, sizeof(d->err), "gzip data is corrupt");
            d->is_damage_pending = true;
            break;
        } else if (rc == Z_MEM_ERROR) {
            return damaged(d, "out of memory in the gzip decoder");
        }
        /* Hand out what we have as soon as there is something. */
        if (d->zs.avail_out < room)
            break;
    }
    return (ssize_t)(room - d->zs.avail_out);
}

/* Keep the first bytes of a frame, of the n consumed from in_pos on. */
static void
keep_zstd_header(struct decomp *d, size_t n)
{
    const size_t room = sizeof(d->zhdr) - d->zhdr_len;
    const size_t k = n < room ? n : room;

    memcpy(d->zhdr + d->zhdr_len, d->in + d->in_pos, k);
    d->zhdr_len += k;
}

/*
 * Whether a complete frame gave as many bytes as its header declares.
 * libzstd checks this only when it decodes a frame in one pass (the whole
 * frame in one input buffer and room for all of it in the output), so
 * without this the same damaged file passed or failed depending on read
 * sizes.
 */
static bool
is_zstd_size_right(const struct decomp *d)
{
    if (d->zhdr_len >= 4 && (d->zhdr[0] & 0xf0) == 0x50 && d->zhdr[1] == 0x2a &&
        d->zhdr[2] == 0x4d && d->zhdr[3] == 0x18)
        return true; /* a skippable frame: its "size" is what it skips */
    const unsigned long long want =
        ZSTD_getFrameContentSize(d->zhdr, d->zhdr_len);
    if (want == ZSTD_CONTENTSIZE_UNKNOWN || want == ZSTD_CONTENTSIZE_ERROR)
        return true;
    return want == d->zframe_out;
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
        /*
         * At a frame's start, hand libzstd one byte first. With a whole
         * frame in one input buffer and room for all of it, libzstd
         * decodes it in one pass, which rejects some damage (a zero-size
         * compressed block) that streaming accepts: the same file would
         * pass or fail depending on read and buffer sizes. A frame begun
         * in an earlier call is always streamed.
         */
        if (!d->is_member_open)
            in.size = d->in_pos + 1;
        const size_t out_before = out.pos;
        const size_t rc = ZSTD_decompressStream(d->zd, &out, &in);
        if (ZSTD_isError(rc)) {
            /* A window over libzstd's default 128 MiB cap (zstd --long=31)
             * is refused to keep memory bounded: not damage as such. */
            const bool is_too_big = ZSTD_getErrorCode(rc) ==
                                    ZSTD_error_frameParameter_windowTooLarge;
            (void)snprintf(d->err, sizeof(d->err), "%s: %s",
                           is_too_big ? "zstd window too large (over 128 MiB)"
                                      : "zstd data is corrupt",
                           ZSTD_getErrorName(rc));
            d->is_finished = true;
            errno = EIO;
            return -1;
        }
        /* A call ends at the end of a frame, so these bytes are its own. */
        keep_zstd_header(d, in.pos - d->in_pos);
        d->in_pos = in.pos;
        d->zframe_out += out.pos - out_before;
        /* 0: a frame is complete and flushed; more: inside a frame. */
        d->is_member_open = rc != 0;
        if (rc == 0) {
            if (!is_zstd_size_right(d))
                return damaged(d, "zstd data is corrupt: frame content "
                                  "size mismatch");
            d->zhdr_len = 0;
            d->zframe_out = 0;
        }
    }
    return (ssize_t)out.pos;
}

ssize_t
decomp_read(void *ctx, char *buf, size_t cap)
{
    struct decomp *const d = ctx;

    if (d->is_damage_pending) {
        d->is_damage_pending = false;
        d->is_finished = true;
        errno = EIO;
        return -1;
    }
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
    return d->src(d->src_ctx, buf, cap);
}

bool
decomp_file_is_compressed(int fd)
{
    struct decomp *const d = decomp_new(fd);
    char c;

    (void)decomp_read(d, &c, 1);
    const bool is_plain = decomp_kind_of(d) == DECOMP_PLAIN;
    decomp_free(d);
    return lseek(fd, 0, SEEK_SET) != 0 || !is_plain;
}

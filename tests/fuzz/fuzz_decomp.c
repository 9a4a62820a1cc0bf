/*
 * fuzz_decomp.c: bytes → decomp (gzip / zstd / plain, by magic bytes) →
 * reader → linesplit, under fuzzer-chosen read sizes, buffer sizes, EINTR
 * and read errors (RELIABILITY RC-05, RC-16..22).
 *
 * Input: byte 0 flags, byte 1 reader buffer size, byte 2 schedule length
 * n (1..8), n read sizes, 4 parameter bytes, then the data. In raw mode
 * the data is the archive as it is. Otherwise the harness compresses the
 * data itself into 1..4 gzip members or zstd frames (optionally with
 * empty members, header fields and skippable frames), then may cut the
 * archive short or flip one of its bytes.
 * Invariants (abort() on violation):
 *  - the kind follows the magic bytes, and plain input comes out as it is;
 *  - a read returns at most cap bytes; after damage, -1 with EIO once and
 *    then 0 for ever; a read error of the source passes through;
 *  - the pieces from linesplit (+ '\n' where has_newline) give back the
 *    decoded bytes; one line per '\n' plus a final line without one;
 *  - the same bytes as one read of the whole archive into a large buffer
 *    (RC-05): equal when both runs end cleanly, else one is a prefix of
 *    the other;
 *  - a built archive decodes to the data; cut short, to a prefix of it
 *    that holds every complete member, with an error unless the cut is at
 *    a member boundary; a damaged gzip archive either decodes to the data
 *    or reports damage (CRC-32);
 *  - bounded: the harness stops after OUT_CAP decoded bytes, so a bomb
 *    streams through a small buffer; -rss_limit_mb catches a decoder that
 *    buffers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "decomp.h"
#include "linesplit.h"
#include "reader.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MODE_MASK 0x03u
#define MODE_GZIP 1u
#define MODE_ZSTD 2u
#define FLAG_EINTR 0x04u
#define FLAG_STOP_AT_SHORT_READ 0x08u
#define FLAG_CUT 0x10u
#define FLAG_DAMAGE 0x20u
#define FLAG_EXTRAS 0x40u
#define FLAG_READ_ERROR 0x80u
#define HEADER_MIN 3u
#define SCHEDULE_MAX 8u
#define PARAMS 4u
#define MEMBERS_MAX 4u
#define OUT_CAP (1u << 20) /* decoded bytes looked at per run, at most */
#define REF_CHUNK (64u * 1024u)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_decomp: %s:%d: check failed: %s\n",          \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A growing byte buffer. */
struct bytes {
    unsigned char *p;
    size_t len;
    size_t cap;
};

static void
bytes_reserve(struct bytes *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    unsigned char *const np = realloc(b->p, cap);
    CHECK(np != NULL);
    b->p = np;
    b->cap = cap;
}

static void
bytes_add(struct bytes *b, const void *p, size_t n)
{
    bytes_reserve(b, n);
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* The raw source: the archive in chunks of the scheduled sizes. */
struct source {
    const unsigned char *data;
    size_t len;
    size_t pos;
    const uint8_t *sched; /* read sizes; 0 = as much as asked for */
    size_t n_sched;
    size_t n_calls;
    bool want_eintr;
    bool was_eintr;
    size_t fail_at_call; /* SIZE_MAX: never */
    bool has_failed;
};

static ssize_t
source_read(void *ctx, char *buf, size_t cap)
{
    struct source *const s = ctx;
    const size_t call = s->n_calls++;

    CHECK(cap > 0);
    if (call == s->fail_at_call) {
        s->has_failed = true;
        errno = EIO;
        return -1;
    }
    const uint8_t step = s->sched[call % s->n_sched];
    if (s->want_eintr && (step & 1u) && !s->was_eintr) {
        s->was_eintr = true;
        errno = EINTR;
        return -1;
    }
    s->was_eintr = false;
    size_t n = step == 0 ? cap : step;
    if (n > cap)
        n = cap;
    if (n > s->len - s->pos)
        n = s->len - s->pos;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (ssize_t)n;
}

/* decomp_read with its promises checked; the reader calls this. */
struct checked {
    struct decomp *d;
    const struct source *src;
    bool is_damaged; /* decomp reported damage */
    bool is_done;    /* returned 0 */
};

static ssize_t
checked_read(void *ctx, char *buf, size_t cap)
{
    struct checked *const c = ctx;
    errno = 0;
    const ssize_t n = decomp_read(c->d, buf, cap);

    CHECK(n >= -1);
    CHECK(n == -1 || (size_t)n <= cap);
    if (c->is_damaged || c->is_done)
        CHECK(n == 0);
    if (n == 0)
        c->is_done = true;
    if (n < 0) {
        if (decomp_error(c->d)[0] != '\0') {
            CHECK(errno == EIO);
            c->is_damaged = true;
        } else {
            /* Not damage: the source failed, and said why. */
            CHECK(errno == EIO || errno == EINTR);
            CHECK(errno == EINTR || c->src->has_failed);
        }
    }
    return n;
}

/* What came out of one run. */
struct result {
    struct bytes out;
    size_t n_lines;
    bool is_error;  /* damage or a read error */
    bool is_capped; /* stopped at OUT_CAP */
    enum decomp_kind kind;
};

/*
 * The chunked run: decomp → reader(cap) → linesplit, as run.c does it.
 * Stops after out_cap decoded bytes.
 */
static void
run_chunked(struct source *src, size_t cap, unsigned flags, size_t out_cap,
            struct result *res)
{
    struct checked c = {decomp_new_source(source_read, src), src, false, false};
    struct reader *const r = reader_new(cap);
    struct linesplit ls;
    bool in_line = false;
    bool is_after_final = false;

    reader_attach(r, checked_read, &c);
    linesplit_init(&ls, r);
    ls.want_stop_at_short_read = (flags & FLAG_STOP_AT_SHORT_READ) != 0;
    for (;;) {
        struct line_piece p;
        const enum linesplit_status st = linesplit_next(&ls, &p);
        if (st == LINESPLIT_EOF)
            break;
        if (st == LINESPLIT_IDLE)
            continue;
        if (st == LINESPLIT_ERR) {
            /* run.c: report, then let the held partial line out. */
            CHECK(c.is_damaged || src->has_failed);
            res->is_error = true;
            ls.at_eof = true;
            continue;
        }
        CHECK(st == LINESPLIT_PIECE);
        CHECK(!is_after_final);
        CHECK(p.is_first == !in_line);
        CHECK(p.text.len == 0 || memchr(p.text.p, '\n', p.text.len) == NULL);
        CHECK(p.is_last || !p.has_newline);
        bytes_add(&res->out, p.text.p, p.text.len);
        if (p.has_newline)
            bytes_add(&res->out, "\n", 1);
        if (p.is_last) {
            res->n_lines++;
            if (!p.has_newline)
                is_after_final = true;
        }
        in_line = !p.is_last;
        if (res->out.len >= out_cap) {
            res->is_capped = true;
            break;
        }
    }
    if (!res->is_capped) {
        CHECK(!in_line);
        /* Only '\n' ends a line: one per '\n', plus a final one. */
        size_t n_nl = 0;
        for (size_t i = 0; i < res->out.len; i++) {
            const unsigned char *const nl =
                memchr(res->out.p + i, '\n', res->out.len - i);
            if (nl == NULL)
                break;
            n_nl++;
            i = (size_t)(nl - res->out.p);
        }
        CHECK(res->n_lines ==
              n_nl + (res->out.len > 0 && res->out.p[res->out.len - 1] != '\n'
                          ? 1u
                          : 0u));
    }
    res->kind = decomp_kind_of(c.d);
    reader_free(r);
    decomp_free(c.d);
}

/* The reference: the whole archive in one read, decoded into big chunks. */
static void
run_whole(const unsigned char *arc, size_t len, struct result *res)
{
    static const uint8_t whole[] = {0};
    struct source src = {arc, len,   0,     whole,    1,
                         0,   false, false, SIZE_MAX, false};
    struct checked c = {decomp_new_source(source_read, &src), &src, false,
                        false};

    for (;;) {
        bytes_reserve(&res->out, REF_CHUNK);
        const ssize_t n =
            checked_read(&c, (char *)res->out.p + res->out.len, REF_CHUNK);
        if (n == 0)
            break;
        if (n < 0) {
            CHECK(errno != EINTR);
            res->is_error = true;
            continue;
        }
        res->out.len += (size_t)n;
        if (res->out.len >= OUT_CAP) {
            res->is_capped = true;
            break;
        }
    }
    res->kind = decomp_kind_of(c.d);
    decomp_free(c.d);
}

static bool
is_prefix(const struct bytes *a, const struct bytes *b)
{
    return a->len <= b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* One gzip member of data[0..len). */
static void
add_gzip_member(struct bytes *arc, const unsigned char *p, size_t len,
                int level, bool has_header_fields)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    CHECK(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK);
    gz_header h;
    static unsigned char extra[] = {'S', 'C', 2, 0, 'h', 'i'};
    static unsigned char name[] = "mail.log";
    static unsigned char comment[] = "rotated";
    if (has_header_fields) {
        memset(&h, 0, sizeof(h));
        h.extra = extra;
        h.extra_len = sizeof(extra);
        h.name = name;
        h.comment = comment;
        h.hcrc = 1;
        h.os = 3;
        CHECK(deflateSetHeader(&zs, &h) == Z_OK);
    }
    const uLong bound = deflateBound(&zs, (uLong)len) + 64;
    bytes_reserve(arc, bound);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)len;
    zs.next_out = arc->p + arc->len;
    zs.avail_out = (uInt)bound;
    CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    arc->len += bound - zs.avail_out;
    (void)deflateEnd(&zs);
}

/* One compression context for every input (creating one is slow). */
static ZSTD_CCtx *zstd_cctx;

/* One zstd frame of data[0..len), with a checksum. */
static void
add_zstd_frame(struct bytes *arc, const unsigned char *p, size_t len, int level)
{
    ZSTD_CCtx *const cc = zstd_cctx;
    CHECK(
        !ZSTD_isError(ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters)));
    CHECK(!ZSTD_isError(
        ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)));
    CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
    const size_t bound = ZSTD_compressBound(len);
    bytes_reserve(arc, bound);
    const size_t n = ZSTD_compress2(cc, arc->p + arc->len, bound, p, len);
    CHECK(!ZSTD_isError(n));
    arc->len += n;
}

/* A skippable frame (pzstd writes one before each frame). */
static void
add_skippable(struct bytes *arc, unsigned variant, size_t len)
{
    const unsigned char hdr[8] = {(unsigned char)(0x50u | (variant & 0x0fu)),
                                  0x2a,
                                  0x4d,
                                  0x18,
                                  (unsigned char)len,
                                  (unsigned char)(len >> 8),
                                  0,
                                  0};
    bytes_add(arc, hdr, sizeof(hdr));
    for (size_t i = 0; i < len; i++)
        bytes_add(arc, "\x28", 1); /* looks like a zstd magic byte */
}

/*
 * Build the archive of data in arc; member_end[] gets the archive offset
 * after each member/frame, and data_end[] the data offset it covers up to.
 */
static size_t
build(struct bytes *arc, unsigned mode, unsigned flags, const uint8_t *param,
      const unsigned char *data, size_t len, size_t *member_end,
      size_t *data_end)
{
    const size_t n_members = 1u + param[0] % MEMBERS_MAX;
    const bool has_extras = (flags & FLAG_EXTRAS) != 0;
    size_t n = 0;

    for (size_t i = 0; i < n_members; i++) {
        const size_t from = len * i / n_members;
        const size_t to = len * (i + 1) / n_members;
        if (mode == MODE_GZIP) {
            const int level = (param[0] >> 2) % 10;
            if (has_extras && i == 1) {
                /* An empty member in the middle. */
                add_gzip_member(arc, data, 0, level, false);
                member_end[n] = arc->len;
                data_end[n++] = from;
            }
            add_gzip_member(arc, data + from, to - from, level,
                            has_extras && i == 0);
        } else {
            const int level = 1 + (param[0] >> 2) % 5;
            if (has_extras) {
                add_skippable(arc, param[3], i);
                member_end[n] = arc->len;
                data_end[n++] = from;
            }
            add_zstd_frame(arc, data + from, to - from, level);
        }
        member_end[n] = arc->len;
        data_end[n++] = to;
    }
    if (mode == MODE_ZSTD && has_extras) {
        add_skippable(arc, param[3] >> 4, 3);
        member_end[n] = arc->len;
        data_end[n++] = len;
    }
    return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Lives as long as the process: not a leak libFuzzer reports. */
    zstd_cctx = ZSTD_createCCtx();
    CHECK(zstd_cctx != NULL);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_MIN)
        return 0;
    const unsigned flags = data[0];
    const unsigned mode = flags & MODE_MASK;
    /* Small buffers mostly, so lines come in pieces; sometimes big ones. */
    static const size_t big_caps[] = {256, 4096, 65536, 1u << 18};
    const size_t cap =
        data[1] < 0xF0 ? 1u + data[1] % 64u : big_caps[data[1] & 3u];
    const size_t n_sched = 1u + data[2] % SCHEDULE_MAX;
    if (size < HEADER_MIN + n_sched + PARAMS)
        return 0;
    const uint8_t *const sched = data + HEADER_MIN;
    const uint8_t *const param = sched + n_sched;
    const unsigned char *const payload = param + PARAMS;
    const size_t payload_len = size - (size_t)(payload - data);

    /* The archive, as an exact-size buffer: ASan sees reads past it. */
    struct bytes built = {0};
    size_t member_end[2 * MEMBERS_MAX + 2];
    size_t data_end[2 * MEMBERS_MAX + 2];
    size_t n_members = 0;
    const bool is_built = mode == MODE_GZIP || mode == MODE_ZSTD;
    if (is_built)
        n_members = build(&built, mode, flags, param, payload, payload_len,
                          member_end, data_end);
    else
        bytes_add(&built, payload, payload_len);
    size_t arc_len = built.len;
    const size_t pos =
        built.len ? ((size_t)param[1] << 8 | param[2]) % built.len : 0;
    const bool is_cut = is_built && (flags & FLAG_CUT) != 0;
    const bool is_damaged =
        is_built && !is_cut && (flags & FLAG_DAMAGE) != 0 && built.len > 0;
    if (is_cut)
        arc_len = pos;
    if (is_damaged)
        built.p[pos] ^= param[3] ? param[3] : 1u;
    unsigned char *const arc = malloc(arc_len ? arc_len : 1);
    CHECK(arc != NULL);
    if (arc_len > 0)
        memcpy(arc, built.p, arc_len);
    free(built.p);

    /* The kind the magic bytes say. */
    enum decomp_kind want_kind = DECOMP_PLAIN;
    if (arc_len >= 2 && arc[0] == 0x1f && arc[1] == 0x8b)
        want_kind = DECOMP_GZIP;
    else if (arc_len >= 4 && ((arc[0] == 0x28 && arc[1] == 0xb5 &&
                               arc[2] == 0x2f && arc[3] == 0xfd) ||
                              ((arc[0] & 0xf0u) == 0x50 && arc[1] == 0x2a &&
                               arc[2] == 0x4d && arc[3] == 0x18)))
        want_kind = DECOMP_ZSTD;

    struct source src = {
        arc,   arc_len,  0,    sched, n_sched, 0, (flags & FLAG_EINTR) != 0,
        false, SIZE_MAX, false};
    if (flags & FLAG_READ_ERROR)
        src.fail_at_call = param[3] & 0x0fu;
    struct result got = {0};
    /* Tiny buffers cost a call per byte: look at less of a bomb then. */
    run_chunked(&src, cap, flags, cap >= OUT_CAP / 4096 ? OUT_CAP : cap * 4096,
                &got);
    struct result ref = {0};
    run_whole(arc, arc_len, &ref);

    /* The kind; a read error before the magic was complete leaves it open. */
    CHECK(ref.kind == want_kind);
    CHECK(got.kind == want_kind || src.has_failed);

    /* Chunk-boundary invariance (RC-05). */
    if (!got.is_error && !ref.is_error && !got.is_capped && !ref.is_capped) {
        CHECK(got.out.len == ref.out.len);
        CHECK(is_prefix(&got.out, &ref.out));
    } else {
        CHECK(is_prefix(&got.out, &ref.out) || is_prefix(&ref.out, &got.out));
    }
    if (!src.has_failed && !got.is_capped && !ref.is_capped) {
        if (got.is_error != ref.is_error)
            fprintf(stderr,
                    "fuzz_decomp: kind %d, cap %zu: chunked %zu bytes%s, "
                    "whole %zu bytes%s\n",
                    (int)want_kind, cap, got.out.len,
                    got.is_error ? " then damage" : "", ref.out.len,
                    ref.is_error ? " then damage" : "");
        CHECK(got.is_error == ref.is_error);
    }

    if (want_kind == DECOMP_PLAIN) {
        /* Plain bytes pass as they are. */
        CHECK(!ref.is_error);
        CHECK(ref.out.len == arc_len);
        CHECK(arc_len == 0 || memcmp(ref.out.p, arc, arc_len) == 0);
    }
    const struct bytes want = {(unsigned char *)(uintptr_t)payload, payload_len,
                               payload_len};
    if (is_built && !is_cut && !is_damaged) {
        CHECK(!ref.is_error);
        CHECK(ref.out.len == payload_len);
        CHECK(is_prefix(&ref.out, &want));
    }
    if (is_cut && want_kind != DECOMP_PLAIN) {
        /* A prefix holding every complete member; damage unless the cut
         * falls between members. */
        CHECK(is_prefix(&ref.out, &want));
        bool is_at_boundary = false;
        size_t complete = 0;
        for (size_t i = 0; i < n_members; i++) {
            if (member_end[i] <= arc_len)
                complete = data_end[i];
            if (member_end[i] == arc_len)
                is_at_boundary = true;
        }
        CHECK(ref.out.len >= complete);
        CHECK(ref.is_error == !is_at_boundary);
        if (is_at_boundary)
            CHECK(ref.out.len == complete);
    }
    if (is_damaged && mode == MODE_GZIP && want_kind == DECOMP_GZIP &&
        !ref.is_error) {
        /* CRC-32 sees any change of the data. */
        CHECK(ref.out.len == payload_len);
        CHECK(is_prefix(&ref.out, &want));
    }

    free(got.out.p);
    free(ref.out.p);
    free(arc);
    return 0;
}

/*
 * fuzz_linesplit.c: reader + linesplit under fuzzer-chosen read sizes,
 * buffer sizes, EINTR and read errors (RELIABILITY RC-01/03/05/06/09).
 *
 * Input: byte 0 flags, byte 1 buffer size, byte 2 schedule length n (1..8),
 * then n read sizes, then the bytes to split.
 * Invariants (abort() on violation):
 *  - pieces + "\n" where has_newline reproduce the input exactly;
 *  - the logical lines equal those of one read into a buffer that holds
 *    the whole input (differential, RC-05);
 *  - is_first / is_last / has_newline are well formed, and the first piece
 *    of a line that comes in pieces is at least as long as the buffer;
 *  - after an injected read error, what came out is a prefix of the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linesplit.h"
#include "reader.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAG_STOP_AT_SHORT_READ 0x01u
#define FLAG_BLOCKS 0x02u
#define FLAG_EINTR 0x04u
#define FLAG_READ_ERROR 0x08u
#define HEADER_MIN 3u
#define SCHEDULE_MAX 8u

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_linesplit: %s:%d: check failed: %s\n",       \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The read callback: the input in chunks of the scheduled sizes. */
struct source {
    const char *data;
    size_t len;
    size_t pos;
    const uint8_t *sched; /* read sizes; 0 = as much as fits */
    size_t n_sched;
    size_t n_calls;
    bool want_eintr;
    bool was_eintr;
    size_t fail_at_call; /* SIZE_MAX: never fail */
};

static ssize_t
source_read(void *ctx, char *buf, size_t cap)
{
    struct source *const s = ctx;
    const size_t call = s->n_calls++;

    CHECK(cap > 0);
    if (call == s->fail_at_call) {
        errno = EIO;
        return -1;
    }
    const uint8_t step = s->sched[call % s->n_sched];
    /* An odd schedule byte with EINTR on: one EINTR before the read. */
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

/* What came out: the rebuilt bytes and the logical lines' boundaries. */
struct result {
    char *bytes; /* pieces + '\n' where has_newline */
    size_t len;
    size_t cap;
    size_t *line_ends; /* offset in bytes after each logical line */
    size_t n_lines;
    size_t cap_lines;
    bool is_error;
};

static void
append(struct result *res, const char *p, size_t n)
{
    if (res->len + n > res->cap) {
        size_t cap = res->cap ? res->cap : 64;
        while (cap < res->len + n)
            cap *= 2;
        char *const nb = realloc(res->bytes, cap);
        CHECK(nb != NULL);
        res->bytes = nb;
        res->cap = cap;
    }
    if (n > 0)
        memcpy(res->bytes + res->len, p, n);
    res->len += n;
}

static void
end_line(struct result *res)
{
    if (res->n_lines == res->cap_lines) {
        res->cap_lines = res->cap_lines ? res->cap_lines * 2 : 16;
        size_t *const nl =
            realloc(res->line_ends, res->cap_lines * sizeof(*nl));
        CHECK(nl != NULL);
        res->line_ends = nl;
    }
    res->line_ends[res->n_lines++] = res->len;
}

/* Checks on the piece sequence; state between pieces. */
struct piece_check {
    bool in_line;        /* a line's first piece came, its last not yet */
    bool is_after_final; /* a line without '\n' came: nothing may follow */
    size_t cap;
};

static void
check_piece(struct piece_check *pc, const struct line_piece *p,
            const struct linesplit *ls)
{
    CHECK(!pc->is_after_final);
    CHECK(p->is_first == !pc->in_line);
    CHECK(p->text.len == 0 || p->text.p != NULL);
    CHECK(p->text.len == 0 || memchr(p->text.p, '\n', p->text.len) == NULL);
    /* The piece is borrowed from the reader's buffer. */
    if (p->text.len > 0) {
        CHECK(p->text.p >= ls->r->buf);
        CHECK(p->text.p + p->text.len <= ls->r->buf + ls->r->cap);
    }
    if (!p->is_last) {
        CHECK(!p->has_newline);
        /* A line in pieces: the first one holds a full buffer. */
        if (p->is_first)
            CHECK(p->text.len >= pc->cap);
        CHECK(p->text.len > 0);
    }
    if (p->is_last && !p->has_newline)
        pc->is_after_final = true;
    pc->in_line = !p->is_last;
}

static void
take_piece(struct result *res, struct piece_check *pc,
           const struct line_piece *p, const struct linesplit *ls)
{
    check_piece(pc, p, ls);
    append(res, p->text.p, p->text.len);
    if (p->has_newline)
        append(res, "\n", 1);
    if (p->is_last)
        end_line(res);
}

/* A block of complete lines from linesplit_next_block. */
static void
take_block(struct result *res, struct piece_check *pc, struct span block,
           const struct linesplit *ls)
{
    CHECK(block.len > 0);
    CHECK(block.p[block.len - 1] == '\n');
    CHECK(!pc->in_line);
    size_t off = 0;
    while (off < block.len) {
        const char *const nl = memchr(block.p + off, '\n', block.len - off);
        CHECK(nl != NULL);
        const struct line_piece p = {
            span_make(block.p + off, (size_t)(nl - (block.p + off))), true,
            true, true};
        take_piece(res, pc, &p, ls);
        off = (size_t)(nl - block.p) + 1;
    }
}

static void
run_split(struct source *src, size_t cap, unsigned flags, struct result *res)
{
    struct reader *const r = reader_new(cap);
    struct linesplit ls;
    struct piece_check pc = {false, false, cap};
    size_t n_idle = 0;

    reader_attach(r, source_read, src);
    linesplit_init(&ls, r);
    ls.want_stop_at_short_read = (flags & FLAG_STOP_AT_SHORT_READ) != 0;
    for (;;) {
        struct line_piece p;
        struct span block;
        bool is_block = false;
        const enum linesplit_status st =
            (flags & FLAG_BLOCKS)
                ? linesplit_next_block(&ls, &block, &is_block, &p)
                : linesplit_next(&ls, &p);
        if (st == LINESPLIT_EOF)
            break;
        if (st == LINESPLIT_ERR) {
            CHECK(src->fail_at_call != SIZE_MAX);
            CHECK(errno == EIO);
            res->is_error = true;
            break;
        }
        if (st == LINESPLIT_IDLE) {
            CHECK(ls.want_stop_at_short_read);
            /* Idle comes once per short read, never twice in a row. */
            CHECK(++n_idle <= src->n_calls);
            continue;
        }
        CHECK(st == LINESPLIT_PIECE);
        if (is_block)
            take_block(res, &pc, block, &ls);
        else
            take_piece(res, &pc, &p, &ls);
    }
    if (!res->is_error) {
        CHECK(!pc.in_line);
        /* EOF is sticky. */
        struct line_piece p;
        CHECK(linesplit_next(&ls, &p) == LINESPLIT_EOF);
    }
    reader_free(r);
}

static void
result_free(struct result *res)
{
    free(res->bytes);
    free(res->line_ends);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_MIN)
        return 0;
    const unsigned flags = data[0];
    /* Small buffers mostly, so lines come in pieces; sometimes big ones. */
    static const size_t big_caps[] = {256, 4096, 65536, 1u << 18};
    const size_t cap =
        data[1] < 0xF0 ? 1u + data[1] % 64u : big_caps[data[1] & 3u];
    const size_t n_sched = 1u + data[2] % SCHEDULE_MAX;
    if (size < HEADER_MIN + n_sched)
        return 0;
    const uint8_t *const sched = data + HEADER_MIN;
    const size_t in_off = HEADER_MIN + n_sched;
    const size_t in_len = size - in_off;
    /* An exact-size copy of the text: ASan sees reads past it. */
    char *const in = malloc(in_len ? in_len : 1);
    CHECK(in != NULL);
    if (in_len > 0)
        memcpy(in, data + in_off, in_len);

    struct source src = {
        in,    in_len,  0, sched, n_sched, 0, (flags & FLAG_EINTR) != 0,
        false, SIZE_MAX};
    if (flags & FLAG_READ_ERROR)
        src.fail_at_call = (flags >> 4) & 0x0Fu;
    struct result got = {0};
    run_split(&src, cap, flags, &got);

    if (got.is_error) {
        /* Everything handed out before the error is input, in order. */
        CHECK(got.len <= in_len);
        CHECK(got.len == 0 || memcmp(got.bytes, in, got.len) == 0);
    } else {
        CHECK(src.pos == in_len);
        CHECK(got.len == in_len);
        CHECK(in_len == 0 || memcmp(got.bytes, in, in_len) == 0);

        /* The reference: one read into a buffer that holds everything. */
        static const uint8_t whole[] = {0};
        struct source ref_src = {in, in_len, 0,     whole,   1,
                                 0,  false,  false, SIZE_MAX};
        struct result ref = {0};
        run_split(&ref_src, in_len + 1, 0, &ref);
        CHECK(!ref.is_error);
        CHECK(ref.len == got.len);
        CHECK(ref.n_lines == got.n_lines);
        for (size_t i = 0; i < ref.n_lines; i++)
            CHECK(ref.line_ends[i] == got.line_ends[i]);
        /* Only '\n' ends a line: one line per '\n', plus a final one. */
        size_t n_nl = 0;
        for (size_t i = 0; i < in_len; i++)
            n_nl += in[i] == '\n';
        CHECK(ref.n_lines ==
              n_nl + (in_len > 0 && in[in_len - 1] != '\n' ? 1u : 0u));
        result_free(&ref);
    }
    result_free(&got);
    free(in);
    return 0;
}

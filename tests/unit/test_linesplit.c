/*
 * test_linesplit.c: lines out of a reader fed by a scripted read callback:
 * reads of 1 byte, CRLF split across reads, EINTR, empty input, a final
 * line without '\n', lines at and over the buffer size (pieces), NULs,
 * invalid UTF-8, many lines per read, LINESPLIT_IDLE after a short read,
 * and the invariant that the pieces give back the input byte for byte.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linesplit.h"
#include "reader.h"

/*
 * A scripted source. Read sizes come from sizes[] (cycled), or from an LCG
 * seeded with seed (1..rand_max bytes) when rand_max is set, or are "all
 * that fits". With eintr_each, every data read is preceded by one EINTR
 * failure; fail_errno makes the read after the data fail instead of EOF.
 */
struct feed {
    const char *data;
    size_t len;
    size_t pos;
    const size_t *sizes;
    size_t n_sizes;
    size_t size_idx;
    uint32_t seed;
    size_t rand_max;
    bool eintr_each;
    bool eintr_pending;
    int fail_errno;
    unsigned n_calls;
};

static uint32_t
lcg_next(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static ssize_t
feed_read(void *ctx, char *buf, size_t cap)
{
    struct feed *const f = ctx;
    size_t want = cap;

    f->n_calls++;
    if (f->eintr_each && !f->eintr_pending) {
        f->eintr_pending = true;
        errno = EINTR;
        return -1;
    }
    f->eintr_pending = false;
    if (f->pos == f->len && f->fail_errno != 0) {
        errno = f->fail_errno;
        return -1;
    }
    if (f->rand_max != 0)
        want = 1 + lcg_next(&f->seed) % f->rand_max;
    else if (f->n_sizes != 0)
        want = f->sizes[f->size_idx++ % f->n_sizes];
    size_t n = f->len - f->pos;
    if (n > want)
        n = want;
    if (n > cap)
        n = cap;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (ssize_t)n;
}

/* What splitting one input gave, pieces rejoined. */
struct split_result {
    char *joined; /* pieces, each followed by '\n' when has_newline */
    size_t len;
    size_t n_pieces;
    size_t n_lines; /* pieces with is_last */
    size_t n_idle;
    size_t first_piece_min; /* shortest first piece of a split line */
};

/*
 * Run linesplit to the end of f's data with a reader of cap bytes, checking
 * the piece invariants on every piece: is_first exactly after a last
 * piece, has_newline only on a last piece, a piece never longer than the
 * buffer, and an empty piece only as a last one. With want_idle, IDLE may
 * come, but never twice without a read in between.
 */
static struct split_result
split_all(struct feed *f, size_t cap, bool want_idle)
{
    struct reader *const r = reader_new(cap);
    struct linesplit ls;
    struct line_piece piece;
    struct split_result res = {.first_piece_min = SIZE_MAX};
    bool expect_first = true;
    unsigned reads_at_idle = 0;
    size_t n_calls = 0;

    res.joined = malloc(f->len + 1);
    cr_assert_not_null(res.joined);
    reader_attach(r, feed_read, f);
    linesplit_init(&ls, r);
    ls.want_stop_at_short_read = want_idle;
    for (;;) {
        cr_assert_lt(n_calls++, 4 * f->len + 16, "linesplit does not finish");
        const enum linesplit_status st = linesplit_next(&ls, &piece);
        if (st == LINESPLIT_EOF)
            break;
        if (st == LINESPLIT_IDLE) {
            cr_assert(want_idle, "IDLE without want_stop_at_short_read");
            cr_assert_gt(f->n_calls, reads_at_idle,
                         "IDLE twice without a read in between");
            reads_at_idle = f->n_calls;
            res.n_idle++;
            continue;
        }
        cr_assert_eq(LINESPLIT_PIECE, st);
        cr_assert_eq(expect_first, piece.is_first);
        cr_assert(piece.is_last || !piece.has_newline);
        cr_assert(piece.is_last || piece.text.len > 0);
        cr_assert_leq(piece.text.len, cap);
        if (piece.is_first && !piece.is_last &&
            piece.text.len < res.first_piece_min)
            res.first_piece_min = piece.text.len;
        cr_assert_leq(res.len + piece.text.len + piece.has_newline, f->len,
                      "pieces longer than the input");
        if (piece.text.len > 0)
            memcpy(res.joined + res.len, piece.text.p, piece.text.len);
        res.len += piece.text.len;
        if (piece.has_newline)
            res.joined[res.len++] = '\n';
        res.n_pieces++;
        res.n_lines += piece.is_last;
        expect_first = piece.is_last;
    }
    cr_assert(expect_first, "input ended inside a line");
    cr_assert_eq(LINESPLIT_EOF, linesplit_next(&ls, &piece), "EOF is sticky");
    reader_free(r);
    return res;
}

/* Split and assert the input comes back byte for byte. */
static struct split_result
split_roundtrip(struct feed *f, size_t cap, bool want_idle, const char *name)
{
    struct split_result res = split_all(f, cap, want_idle);

    cr_assert_eq(f->len, res.len, "%s, cap %zu: %zu bytes in, %zu out", name,
                 cap, f->len, res.len);
    cr_assert_eq(0, memcmp(f->data, res.joined, f->len),
                 "%s, cap %zu: pieces differ from the input", name, cap);
    if (res.first_piece_min != SIZE_MAX)
        cr_assert_geq(res.first_piece_min, cap,
                      "%s, cap %zu: first piece shorter than the buffer", name,
                      cap);
    return res;
}

/* Collects pieces as separate strings for exact checks. */
#define MAX_PIECES 16
struct pieces {
    struct line_piece v[MAX_PIECES];
    char text[MAX_PIECES][128];
    size_t n;
};

static void
collect(struct feed *f, size_t cap, struct pieces *out)
{
    struct reader *const r = reader_new(cap);
    struct linesplit ls;
    struct line_piece piece;

    memset(out, 0, sizeof(*out));
    reader_attach(r, feed_read, f);
    linesplit_init(&ls, r);
    for (;;) {
        const enum linesplit_status st = linesplit_next(&ls, &piece);
        if (st == LINESPLIT_EOF)
            break;
        cr_assert_eq(LINESPLIT_PIECE, st);
        cr_assert_lt(out->n, MAX_PIECES);
        cr_assert_lt(piece.text.len, sizeof(out->text[0]));
        out->v[out->n] = piece;
        memcpy(out->text[out->n], piece.text.p, piece.text.len);
        out->v[out->n].text.p = out->text[out->n];
        out->n++;
    }
    reader_free(r);
}

static void
assert_piece(const struct pieces *ps, size_t i, const char *text, size_t len,
             bool is_first, bool is_last, bool has_newline)
{
    cr_assert_lt(i, ps->n);
    const struct line_piece *const p = &ps->v[i];
    cr_assert_eq(len, p->text.len, "piece %zu: length", i);
    cr_assert_eq(0, memcmp(text, p->text.p, len), "piece %zu: bytes", i);
    cr_assert_eq(is_first, p->is_first, "piece %zu: is_first", i);
    cr_assert_eq(is_last, p->is_last, "piece %zu: is_last", i);
    cr_assert_eq(has_newline, p->has_newline, "piece %zu: has_newline", i);
}

#define FEED(s)                                                                \
    {                                                                          \
        .data = (s), .len = sizeof(s) - 1                                      \
    }

/*
 * One timeout for the whole suite: Criterion 2.4 leaks in its runner when
 * a test overrides the suite's timeout (LeakSanitizer in the ASan build).
 */
TestSuite(linesplit, .timeout = 60);

Test(linesplit, empty_input_gives_eof_and_no_piece)
{
    struct feed f = FEED("");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(0, ps.n);
}

Test(linesplit, splits_lines_at_newlines)
{
    struct feed f = FEED("one\ntwo\n");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 0, "one", 3, true, true, true);
    assert_piece(&ps, 1, "two", 3, true, true, true);
}

Test(linesplit, keeps_final_line_without_newline)
{
    struct feed f = FEED("one\nlast");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 1, "last", 4, true, true, false);
}

Test(linesplit, empty_lines_are_lines)
{
    struct feed f = FEED("\n\nx\n");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(3, ps.n);
    assert_piece(&ps, 0, "", 0, true, true, true);
    assert_piece(&ps, 1, "", 0, true, true, true);
    assert_piece(&ps, 2, "x", 1, true, true, true);
}

Test(linesplit, many_lines_in_one_read_need_no_further_read)
{
    struct feed f = FEED("a\nbb\nccc\ndddd\neeeee\n");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(5, ps.n);
    assert_piece(&ps, 4, "eeeee", 5, true, true, true);
    cr_assert_eq(2, f.n_calls, "one read for the data, one for EOF");
}

Test(linesplit, one_byte_reads_give_the_same_lines)
{
    static const size_t one[] = {1};
    struct feed f = FEED("ab\ncd\nlast");
    struct pieces ps;

    f.sizes = one;
    f.n_sizes = 1;
    collect(&f, 64, &ps);
    cr_assert_eq(3, ps.n);
    assert_piece(&ps, 0, "ab", 2, true, true, true);
    assert_piece(&ps, 1, "cd", 2, true, true, true);
    assert_piece(&ps, 2, "last", 4, true, true, false);
    cr_assert_eq(11, f.n_calls, "10 one-byte reads, then EOF");
}

Test(linesplit, crlf_split_across_reads_ends_one_line)
{
    static const size_t sizes[] = {3, 6};
    struct feed f = FEED("ab\r\ncd\r\n");
    struct pieces ps;

    f.sizes = sizes;
    f.n_sizes = 2;
    collect(&f, 64, &ps);
    /* Only '\n' ends a line; the '\r' is left for the caller to strip. */
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 0, "ab\r", 3, true, true, true);
    assert_piece(&ps, 1, "cd\r", 3, true, true, true);
}

Test(linesplit, embedded_nul_bytes_are_data)
{
    struct feed f = FEED("a\0b\n\0\n");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 0, "a\0b", 3, true, true, true);
    assert_piece(&ps, 1, "\0", 1, true, true, true);
}

Test(linesplit, invalid_utf8_passes_unchanged)
{
    struct feed f = FEED("\xff\xfe\xc3\x28 \xed\xa0\x80\n\xc0\xaf");
    struct pieces ps;

    collect(&f, 64, &ps);
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 0, "\xff\xfe\xc3\x28 \xed\xa0\x80", 8, true, true, true);
    assert_piece(&ps, 1, "\xc0\xaf", 2, true, true, false);
}

Test(linesplit, line_one_short_of_the_buffer_is_one_piece)
{
    /* 15 bytes and '\n' fill a 16-byte buffer exactly. */
    struct feed f = FEED("0123456789abcde\nz\n");
    struct pieces ps;

    collect(&f, 16, &ps);
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 0, "0123456789abcde", 15, true, true, true);
    assert_piece(&ps, 1, "z", 1, true, true, true);
}

Test(linesplit, line_exactly_the_buffer_size_keeps_its_bytes)
{
    struct feed f = FEED("0123456789abcdef\nz\n");
    struct pieces ps;

    collect(&f, 16, &ps);
    cr_assert_geq(ps.n, 2);
    assert_piece(&ps, 0, "0123456789abcdef", 16, true, false, false);
    const struct line_piece *const last = &ps.v[ps.n - 2];
    cr_assert(last->is_last);
    cr_assert(last->has_newline);
    assert_piece(&ps, ps.n - 1, "z", 1, true, true, true);
}

Test(linesplit, line_longer_than_the_buffer_comes_in_pieces)
{
    /* 40 bytes, then a short line. */
    struct feed f = FEED("AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDD\nnext\n");
    struct pieces ps;

    collect(&f, 16, &ps);
    cr_assert_eq(4, ps.n);
    assert_piece(&ps, 0, "AAAAAAAAAABBBBBB", 16, true, false, false);
    assert_piece(&ps, 1, "BBBBCCCCCCCCCCDD", 16, false, false, false);
    assert_piece(&ps, 2, "DDDDDDDD", 8, false, true, true);
    assert_piece(&ps, 3, "next", 4, true, true, true);
}

Test(linesplit, long_final_line_without_newline_ends_with_a_last_piece)
{
    /* 32 bytes: two full buffers, then EOF. */
    struct feed f = FEED("0123456789abcdef0123456789abcdef");
    struct pieces ps;

    collect(&f, 16, &ps);
    cr_assert_geq(ps.n, 2);
    cr_assert(ps.v[0].is_first);
    cr_assert_not(ps.v[0].is_last);
    cr_assert_eq(16, ps.v[0].text.len);
    cr_assert(ps.v[ps.n - 1].is_last);
    cr_assert_not(ps.v[ps.n - 1].has_newline);
    size_t total = 0;
    for (size_t i = 0; i < ps.n; i++)
        total += ps.v[i].text.len;
    cr_assert_eq(32, total);
}

Test(linesplit, long_line_first_piece_is_at_least_the_buffer_with_1_byte_reads)
{
    static const size_t one[] = {1};
    char line[100];
    struct feed f = {
        .data = line, .len = sizeof(line), .sizes = one, .n_sizes = 1};

    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    const struct split_result res =
        split_roundtrip(&f, 16, false, "100-byte line");
    cr_assert_eq(1, res.n_lines);
    cr_assert_geq(res.n_pieces, 2);
    cr_assert_eq(16, res.first_piece_min);
    free(res.joined);
}

Test(linesplit, eintr_is_retried_without_a_stop_flag)
{
    static const size_t two[] = {2};
    struct feed f = FEED("ab\ncd\n");
    struct pieces ps;

    f.eintr_each = true;
    f.sizes = two;
    f.n_sizes = 1;
    collect(&f, 64, &ps);
    cr_assert_eq(2, ps.n);
    assert_piece(&ps, 0, "ab", 2, true, true, true);
    assert_piece(&ps, 1, "cd", 2, true, true, true);
}

Test(linesplit, eintr_with_the_stop_flag_set_is_an_error)
{
    static volatile sig_atomic_t stop = 1;
    struct feed f = FEED("ab\n");
    struct reader *const r = reader_new(64);
    struct linesplit ls;
    struct line_piece piece;

    f.eintr_each = true;
    reader_attach(r, feed_read, &f);
    r->stop = &stop;
    linesplit_init(&ls, r);
    errno = 0;
    cr_assert_eq(LINESPLIT_ERR, linesplit_next(&ls, &piece));
    cr_assert_eq(EINTR, errno);
    /* A signal already pending: the reader does not even try to read. */
    cr_assert_eq(0, f.n_calls);
    reader_free(r);
}

Test(linesplit, read_error_is_returned_after_the_buffered_lines)
{
    struct feed f = FEED("ab\npartial");
    struct reader *const r = reader_new(64);
    struct linesplit ls;
    struct line_piece piece;

    f.fail_errno = EIO;
    reader_attach(r, feed_read, &f);
    linesplit_init(&ls, r);
    cr_assert_eq(LINESPLIT_PIECE, linesplit_next(&ls, &piece));
    cr_assert(span_eq_str(piece.text, "ab"));
    errno = 0;
    cr_assert_eq(LINESPLIT_ERR, linesplit_next(&ls, &piece));
    cr_assert_eq(EIO, errno);
    reader_free(r);
}

/* ---- LINESPLIT_IDLE ---------------------------------------------------- */

Test(linesplit, short_read_gives_idle_once_before_the_next_read)
{
    static const size_t sizes[] = {6, 2};
    struct feed f = FEED("abc\ndef\n");
    struct reader *const r = reader_new(64);
    struct linesplit ls;
    struct line_piece piece;

    f.sizes = sizes;
    f.n_sizes = 2;
    reader_attach(r, feed_read, &f);
    linesplit_init(&ls, r);
    ls.want_stop_at_short_read = true;

    cr_assert_eq(LINESPLIT_PIECE, linesplit_next(&ls, &piece));
    cr_assert(span_eq_str(piece.text, "abc"));
    cr_assert_eq(1, f.n_calls);
    /* "de" is buffered but incomplete, and the last read was short. */
    cr_assert_eq(LINESPLIT_IDLE, linesplit_next(&ls, &piece));
    cr_assert_eq(1, f.n_calls, "IDLE comes before the read");
    cr_assert_eq(LINESPLIT_PIECE, linesplit_next(&ls, &piece));
    cr_assert(span_eq_str(piece.text, "def"));
    cr_assert_eq(2, f.n_calls);
    cr_assert_eq(LINESPLIT_IDLE, linesplit_next(&ls, &piece));
    cr_assert_eq(2, f.n_calls);
    cr_assert_eq(LINESPLIT_EOF, linesplit_next(&ls, &piece));
    cr_assert_eq(3, f.n_calls);
    reader_free(r);
}

Test(linesplit, full_read_gives_no_idle)
{
    /* The first read fills the 8-byte buffer: not short. */
    static const size_t sizes[] = {8, 8};
    struct feed f = FEED("abc\ndefg\n");
    struct reader *const r = reader_new(8);
    struct linesplit ls;
    struct line_piece piece;

    f.sizes = sizes;
    f.n_sizes = 2;
    reader_attach(r, feed_read, &f);
    linesplit_init(&ls, r);
    ls.want_stop_at_short_read = true;

    cr_assert_eq(LINESPLIT_PIECE, linesplit_next(&ls, &piece));
    cr_assert(span_eq_str(piece.text, "abc"));
    cr_assert_eq(LINESPLIT_PIECE, linesplit_next(&ls, &piece));
    cr_assert(span_eq_str(piece.text, "defg"));
    cr_assert_eq(2, f.n_calls);
    /* The second read (1 byte into 4 free) was short. */
    cr_assert_eq(LINESPLIT_IDLE, linesplit_next(&ls, &piece));
    cr_assert_eq(LINESPLIT_EOF, linesplit_next(&ls, &piece));
    reader_free(r);
}

Test(linesplit, no_idle_unless_asked)
{
    static const size_t sizes[] = {6, 2};
    struct feed f = FEED("abc\ndef\n");

    f.sizes = sizes;
    f.n_sizes = 2;
    const struct split_result res = split_roundtrip(&f, 64, false, "short");

    cr_assert_eq(0, res.n_idle);
    cr_assert_eq(2, res.n_lines);
    free(res.joined);
}

/* ---- the round-trip invariant ----------------------------------------- */

struct input {
    const char *name;
    char *data;
    size_t len;
};

#define N_INPUTS 16
static struct input inputs[N_INPUTS];
static size_t n_inputs;

static void
add_input(const char *name, const char *data, size_t len)
{
    cr_assert_lt(n_inputs, N_INPUTS);
    char *const copy = malloc(len + 1);
    cr_assert_not_null(copy);
    if (len > 0)
        memcpy(copy, data, len);
    inputs[n_inputs++] = (struct input){name, copy, len};
}

#define ADD_LIT(name, s) add_input((name), (s), sizeof(s) - 1)

static void
make_inputs(void)
{
    char buf[20000];
    uint32_t seed = 12345;
    size_t n = 0;

    n_inputs = 0;
    ADD_LIT("empty", "");
    ADD_LIT("one byte", "a");
    ADD_LIT("lone newline", "\n");
    ADD_LIT("newlines", "\n\n\n");
    ADD_LIT("final line without newline", "one\ntwo\nthree");
    ADD_LIT("crlf", "crlf\r\nline\r\n\r\n\r");
    ADD_LIT("nul bytes", "nul\0inside\n\0\0\n\0");
    ADD_LIT("invalid utf-8", "\xff\xfe\xc3\x28\n\xed\xa0\x80x\xc0\xaf\n");
    ADD_LIT("lines around 16", "0123456789abcde\n0123456789abcdef\n"
                               "0123456789abcdefg\n");
    ADD_LIT("32 bytes, no newline", "0123456789abcdef0123456789abcdef");
    ADD_LIT("64 bytes and newline",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            "\n");

    memset(buf, 'L', 1000);
    buf[1000] = '\n';
    memcpy(buf + 1001, "after\n", 6);
    add_input("long line", buf, 1007);

    n = 0;
    for (unsigned i = 0; i < 500; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "line %u\n", i);
    add_input("many lines", buf, n);

    /* Random bytes, rich in '\n', '\r' and NUL, lines of 0..~300 bytes. */
    for (n = 0; n < sizeof(buf); n++) {
        const uint32_t v = lcg_next(&seed);
        buf[n] = v % 97 == 0   ? '\n'
                 : v % 89 == 0 ? '\r'
                 : v % 83 == 0 ? '\0'
                               : (char)(v & 0xff);
    }
    add_input("random bytes", buf, sizeof(buf));
}

static void
free_inputs(void)
{
    for (size_t i = 0; i < n_inputs; i++)
        free(inputs[i].data);
    n_inputs = 0;
}

static const size_t caps[] = {16, 17, 64, 4096};

/* Every input, every buffer size, reads of `size` bytes (0: random). */
static void
roundtrip_all(size_t size, bool eintr_each, bool want_idle)
{
    size_t n_idle = 0;

    for (size_t i = 0; i < n_inputs; i++)
        for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
            struct feed f = {.data = inputs[i].data,
                             .len = inputs[i].len,
                             .sizes = &size,
                             .n_sizes = 1,
                             .eintr_each = eintr_each};
            if (size == 0) {
                f.n_sizes = 0;
                f.seed = 42u + (uint32_t)(i * 7 + c);
                f.rand_max = 2 * caps[c];
            }
            const struct split_result res =
                split_roundtrip(&f, caps[c], want_idle, inputs[i].name);
            n_idle += res.n_idle;
            free(res.joined);
        }
    cr_assert_eq(want_idle, n_idle > 0, "%zu IDLE returns", n_idle);
}

#define ROUNDTRIP .init = make_inputs, .fini = free_inputs

Test(linesplit, roundtrip_with_reads_of_1_byte, ROUNDTRIP)
{
    roundtrip_all(1, false, false);
}

Test(linesplit, roundtrip_with_reads_of_2_bytes, ROUNDTRIP)
{
    roundtrip_all(2, false, false);
}

Test(linesplit, roundtrip_with_reads_of_3_bytes, ROUNDTRIP)
{
    roundtrip_all(3, false, false);
}

Test(linesplit, roundtrip_with_reads_of_7_bytes, ROUNDTRIP)
{
    roundtrip_all(7, false, false);
}

Test(linesplit, roundtrip_with_reads_of_4096_bytes, ROUNDTRIP)
{
    roundtrip_all(4096, false, false);
}

Test(linesplit, roundtrip_with_reads_of_random_size, ROUNDTRIP)
{
    roundtrip_all(0, false, false);
}

Test(linesplit, roundtrip_with_reads_of_3_bytes_each_after_eintr, ROUNDTRIP)
{
    roundtrip_all(3, true, false);
}

Test(linesplit, roundtrip_with_random_reads_with_idle_enabled, ROUNDTRIP)
{
    roundtrip_all(0, false, true);
}

Test(linesplit, roundtrip_with_reads_of_7_bytes_with_idle_enabled, ROUNDTRIP)
{
    roundtrip_all(7, false, true);
}

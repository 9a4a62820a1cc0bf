/*
 * test_escape.c: JSON strings, UTF-8 validation, base64, Prometheus label
 * values and logfmt values, byte for byte. Inputs are exact-length spans,
 * often with NUL bytes inside, so nothing may rely on NUL termination.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "span.h"

/* What an escaper wrote; buf is owned, released by output_free(). */
struct output {
    char *buf;
    size_t len;
    bool is_replaced;
};

enum writer { W_JSON, W_PROM, W_LOGFMT, W_BASE64 };

static struct output
run(enum writer w, const char *p, size_t len)
{
    struct output o = {NULL, 0, false};
    FILE *const f = open_memstream(&o.buf, &o.len);

    cr_assert_not_null(f);
    switch (w) {
    case W_JSON:
        o.is_replaced = escape_json_write(f, span_make(p, len));
        break;
    case W_PROM:
        escape_prom_label_write(f, span_make(p, len));
        break;
    case W_LOGFMT:
        escape_logfmt_write(f, span_make(p, len));
        break;
    case W_BASE64:
        escape_base64_write(f, span_make(p, len));
        break;
    }
    cr_assert_eq(0, fclose(f));
    return o;
}

/* Compares bytes, so expected output may hold NUL bytes too. */
#define assert_writes(w, in, expected)                                         \
    do {                                                                       \
        struct output o_ = run((w), (in), sizeof(in) - 1);                     \
        cr_assert_eq(sizeof(expected) - 1, o_.len, "length for %s", #in);      \
        cr_assert_arr_eq((expected), o_.buf, o_.len, "bytes for %s", #in);     \
        free(o_.buf);                                                          \
    } while (0)

/* JSON output of in, with quotes, and whether a byte was replaced. */
#define assert_json(in, expected, want_replaced)                               \
    do {                                                                       \
        struct output o_ = run(W_JSON, (in), sizeof(in) - 1);                  \
        cr_assert_eq(sizeof(expected) - 1, o_.len, "length for %s", #in);      \
        cr_assert_arr_eq((expected), o_.buf, o_.len, "bytes for %s", #in);     \
        cr_assert_eq((want_replaced), o_.is_replaced, "flag for %s", #in);     \
        free(o_.buf);                                                          \
    } while (0)

#define FFFD "\xEF\xBF\xBD"

Test(escape, json_writes_empty_string_as_two_quotes)
{
    assert_json("", "\"\"", false);
}

Test(escape, json_copies_plain_ascii)
{
    assert_json("user unknown 5.1.1", "\"user unknown 5.1.1\"", false);
}

Test(escape, json_escapes_quote_and_backslash)
{
    assert_json("a\"b\\c", "\"a\\\"b\\\\c\"", false);
}

Test(escape, json_escapes_every_control_byte)
{
    static const char *const want[0x20] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
        "\\u0006", "\\u0007", "\\b",     "\\t",     "\\n",     "\\u000b",
        "\\f",     "\\r",     "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d",
        "\\u001e", "\\u001f",
    };

    for (unsigned b = 0; b < 0x20; b++) {
        const char in = (char)b;
        char expected[16];
        const int n = snprintf(expected, sizeof expected, "\"%s\"", want[b]);
        struct output o = run(W_JSON, &in, 1);

        cr_assert_eq((size_t)n, o.len, "byte 0x%02x", b);
        cr_assert_arr_eq(expected, o.buf, o.len, "byte 0x%02x", b);
        cr_assert_eq(false, o.is_replaced);
        free(o.buf);
    }
}

Test(escape, json_escapes_delete_as_u007f)
{
    assert_json("\x7f", "\"\\u007f\"", false);
}

Test(escape, json_escapes_nul_inside_string)
{
    assert_json("a\0b", "\"a\\u0000b\"", false);
}

Test(escape, json_copies_valid_multibyte_unchanged)
{
    /* U+0080, é, U+07FF, U+0800, €, U+D7FF, U+E000, U+FFFF, U+10000,
     * an emoji and U+10FFFF: the edges of each sequence length. */
    assert_json("\xC2\x80", "\"\xC2\x80\"", false);
    assert_json("caf\xC3\xA9", "\"caf\xC3\xA9\"", false);
    assert_json("\xDF\xBF", "\"\xDF\xBF\"", false);
    assert_json("\xE0\xA0\x80", "\"\xE0\xA0\x80\"", false);
    assert_json("\xE2\x82\xAC", "\"\xE2\x82\xAC\"", false);
    assert_json("\xED\x9F\xBF", "\"\xED\x9F\xBF\"", false);
    assert_json("\xEE\x80\x80", "\"\xEE\x80\x80\"", false);
    assert_json("\xEF\xBF\xBF", "\"\xEF\xBF\xBF\"", false);
    assert_json("\xF0\x90\x80\x80", "\"\xF0\x90\x80\x80\"", false);
    assert_json("\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"", false);
    assert_json("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\"", false);
}

Test(escape, json_replaces_each_byte_of_overlong_encodings)
{
    assert_json("\xC0\x80", "\"" FFFD FFFD "\"", true);
    assert_json("\xC1\xBF", "\"" FFFD FFFD "\"", true);
    assert_json("\xE0\x80\xAF", "\"" FFFD FFFD FFFD "\"", true);
    assert_json("\xE0\x9F\xBF", "\"" FFFD FFFD FFFD "\"", true);
    assert_json("\xF0\x80\x80\xAF", "\"" FFFD FFFD FFFD FFFD "\"", true);
    assert_json("\xF0\x8F\xBF\xBF", "\"" FFFD FFFD FFFD FFFD "\"", true);
}

Test(escape, json_replaces_each_byte_of_surrogates)
{
    assert_json("\xED\xA0\x80", "\"" FFFD FFFD FFFD "\"", true); /* D800 */
    assert_json("\xED\xBF\xBF", "\"" FFFD FFFD FFFD "\"", true); /* DFFF */
}

Test(escape, json_replaces_code_points_above_10ffff)
{
    assert_json("\xF4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", true);
    assert_json("\xF5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", true);
    assert_json("\xF8\x88\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD FFFD "\"",
                true);
    assert_json("\xFE\xFF", "\"" FFFD FFFD "\"", true);
}

Test(escape, json_replaces_truncated_sequences)
{
    assert_json("a\xC3", "\"a" FFFD "\"", true);
    assert_json("a\xE2\x82", "\"a" FFFD FFFD "\"", true);
    assert_json("\xF0\x9F\x98z", "\"" FFFD FFFD FFFD "z\"", true);
    assert_json("\xE2\x82\"", "\"" FFFD FFFD "\\\"\"", true);
}

Test(escape, json_replaces_lone_continuation_bytes)
{
    assert_json("\x80", "\"" FFFD "\"", true);
    assert_json("x\xBFy", "\"x" FFFD "y\"", true);
}

Test(escape, json_keeps_valid_text_around_invalid_bytes)
{
    assert_json("\xC3\xA9\xFF\xC3\xA9", "\"\xC3\xA9" FFFD "\xC3\xA9\"", true);
}

Test(escape, is_utf8_accepts_valid_text)
{
    cr_assert(escape_is_utf8(span_make(NULL, 0)));
    cr_assert(escape_is_utf8(SPAN_LIT("plain\0ascii")));
    cr_assert(escape_is_utf8(SPAN_LIT("\xC3\xA9\xE2\x82\xAC\xF4\x8F\xBF\xBF")));
}

Test(escape, is_utf8_rejects_each_kind_of_invalid_sequence)
{
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xC0\xAF")));         /* overlong */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xE0\x80\xAF")));     /* overlong */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xF0\x80\x80\xAF"))); /* overlong */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xED\xA0\x80")));     /* surrogate */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xF4\x90\x80\x80"))); /* too big */
    cr_assert_not(escape_is_utf8(SPAN_LIT("ok\xE2\x82")));       /* truncated */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\x80")));     /* continuation */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xFF")));     /* never valid */
    cr_assert_not(escape_is_utf8(SPAN_LIT("\xC3\x28"))); /* bad continuation */
}

Test(escape, base64_matches_rfc4648_test_vectors)
{
    assert_writes(W_BASE64, "", "");
    assert_writes(W_BASE64, "f", "Zg==");
    assert_writes(W_BASE64, "fo", "Zm8=");
    assert_writes(W_BASE64, "foo", "Zm9v");
    assert_writes(W_BASE64, "foob", "Zm9vYg==");
    assert_writes(W_BASE64, "fooba", "Zm9vYmE=");
    assert_writes(W_BASE64, "foobar", "Zm9vYmFy");
}

Test(escape, base64_encodes_binary_bytes)
{
    assert_writes(W_BASE64, "\x00\xFF\xFE", "AP/+");
    assert_writes(W_BASE64, "\xFB\xEF\xBE", "++++");
    assert_writes(W_BASE64, "\xFF\xFF\xFF\xFF", "/////w==");
}

Test(escape, base64_encodes_input_longer_than_its_buffer)
{
    enum { N = 3000 };
    char in[3 * N];
    struct output o;

    for (size_t i = 0; i < N; i++)
        memcpy(in + 3 * i, "foo", 3);
    o = run(W_BASE64, in, sizeof in);
    cr_assert_eq((size_t)4 * N, o.len);
    for (size_t i = 0; i < N; i++)
        cr_assert_arr_eq("Zm9v", o.buf + 4 * i, 4, "quantum %zu", i);
    free(o.buf);
}

Test(escape, prom_label_escapes_backslash_quote_and_newline)
{
    assert_writes(W_PROM, "a\\b\"c\nd", "a\\\\b\\\"c\\nd");
}

Test(escape, prom_label_copies_other_bytes_unescaped)
{
    /* The format has no \t or \r escape: these pass raw, as promtool wants. */
    assert_writes(W_PROM, "t\tr\rn\0d\x7f", "t\tr\rn\0d\x7f");
    assert_writes(W_PROM, "caf\xC3\xA9", "caf\xC3\xA9");
    assert_writes(W_PROM, "", "");
}

Test(escape, prom_label_replaces_invalid_utf8)
{
    assert_writes(W_PROM,
                  "a\xFF"
                  "b",
                  "a" FFFD "b");
    assert_writes(W_PROM, "\xC0\x80", FFFD FFFD);
    assert_writes(W_PROM, "\xED\xA0\x80", FFFD FFFD FFFD);
    assert_writes(W_PROM, "\xE2\x82", FFFD FFFD);
}

Test(escape, logfmt_writes_plain_token_bare)
{
    assert_writes(W_LOGFMT, "user_unknown", "user_unknown");
    assert_writes(W_LOGFMT, "postfix/smtp[123]:", "postfix/smtp[123]:");
    assert_writes(W_LOGFMT, "5.1.1", "5.1.1");
}

Test(escape, logfmt_quotes_empty_value)
{
    assert_writes(W_LOGFMT, "", "\"\"");
}

Test(escape, logfmt_quotes_space_equals_quote_and_backslash)
{
    assert_writes(W_LOGFMT, "a b", "\"a b\"");
    assert_writes(W_LOGFMT, "a=b", "\"a=b\"");
    assert_writes(W_LOGFMT, "a\"b", "\"a\\\"b\"");
    assert_writes(W_LOGFMT, "a\\b", "\"a\\\\b\"");
}

Test(escape, logfmt_escapes_control_bytes)
{
    assert_writes(W_LOGFMT, "\n\r\t\x01\x1f\x7f",
                  "\"\\n\\r\\t\\x01\\x1f\\x7f\"");
    assert_writes(W_LOGFMT, "a\0b", "\"a\\x00b\"");
}

Test(escape, logfmt_writes_invalid_utf8_as_hex)
{
    assert_writes(W_LOGFMT, "\xFF", "\"\\xff\"");
    assert_writes(W_LOGFMT, "x\xC0\x80y", "\"x\\xc0\\x80y\"");
}

Test(escape, logfmt_quotes_valid_multibyte_and_copies_it)
{
    assert_writes(W_LOGFMT, "caf\xC3\xA9", "\"caf\xC3\xA9\"");
}

/* ---- outbuf and the append escapers ------------------------------- */

/* A memory stream and where its bytes land; see mem_open / mem_close. */
struct mem {
    FILE *f;
    char *buf;
    size_t len;
};

static void
mem_open(struct mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    cr_assert_not_null(m->f);
}

static void
mem_close(struct mem *m)
{
    cr_assert_eq(0, fclose(m->f));
}

Test(escape, buf_holds_bytes_until_flush)
{
    struct mem m;
    struct outbuf b;

    mem_open(&m);
    outbuf_init(&b, m.f);
    outbuf_puts(&b, "class=");
    outbuf_putc(&b, 'x');
    cr_assert_eq(0, fflush(m.f));
    cr_assert_eq((size_t)0, m.len);
    outbuf_flush(&b);
    cr_assert_eq(0, fflush(m.f));
    cr_assert_eq((size_t)7, m.len);
    cr_assert_arr_eq("class=x", m.buf, 7);
    outbuf_flush(&b); /* empty: writes nothing */
    mem_close(&m);
    cr_assert_eq((size_t)7, m.len);
    free(m.buf);
}

Test(escape, buf_keeps_order_across_its_capacity)
{
    /* Small pieces that cross the capacity many times, then pieces larger
     * than the buffer (written around it) between small ones. */
    enum { N = 3 * OUTBUF_CAP + 7, BIG = 2 * OUTBUF_CAP + 3 };
    static char big[BIG];
    static char want[2 * N + 2 * BIG + 2];
    size_t want_len = 0;
    struct mem m;
    struct outbuf b;

    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)('A' + i % 26);
    mem_open(&m);
    outbuf_init(&b, m.f);
    for (size_t i = 0; i < N; i++) {
        const char c = (char)('a' + i % 26);
        outbuf_putc(&b, c);
        want[want_len++] = c;
    }
    outbuf_put(&b, big, BIG);
    memcpy(want + want_len, big, BIG);
    want_len += BIG;
    outbuf_putc(&b, '|');
    want[want_len++] = '|';
    outbuf_put(&b, big, OUTBUF_CAP); /* exactly the capacity */
    memcpy(want + want_len, big, OUTBUF_CAP);
    want_len += OUTBUF_CAP;
    outbuf_put(&b, NULL, 0);
    for (size_t i = 0; i < N; i += 3) {
        outbuf_put(&b, big + i % 100, 3);
        memcpy(want + want_len, big + i % 100, 3);
        want_len += 3;
    }
    outbuf_flush(&b);
    mem_close(&m);
    cr_assert_eq(want_len, m.len);
    cr_assert_arr_eq(want, m.buf, want_len);
    free(m.buf);
}

/*
 * Each byte that needs care, at every offset of the first 16-byte blocks:
 * the block scan must stop at it wherever it falls, and the plain bytes on
 * both sides must come through.
 */
Test(escape, json_finds_special_byte_at_every_offset)
{
    static const struct {
        char in;
        const char *out;
        bool is_replaced;
    } cases[] = {
        {'"', "\\\"", false},       {'\\', "\\\\", false},
        {'\0', "\\u0000", false},   {'\x1f', "\\u001f", false},
        {'\x7f', "\\u007f", false}, {'\x80', FFFD, true},
        {'\xff', FFFD, true},
    };

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t pos = 0; pos < 40; pos++) {
            char in[48];
            char want[64];
            const size_t out_len = strlen(cases[c].out);

            memset(in, 'a', sizeof in);
            in[pos] = cases[c].in;
            memset(want, 'a', sizeof want);
            want[0] = '"';
            memcpy(want + 1 + pos, cases[c].out, out_len);
            want[1 + sizeof in + out_len - 1] = '"';
            const size_t want_len = sizeof in + out_len + 1;

            struct output o = run(W_JSON, in, sizeof in);
            cr_assert_eq(want_len, o.len, "case %zu at %zu", c, pos);
            cr_assert_arr_eq(want, o.buf, o.len, "case %zu at %zu", c, pos);
            cr_assert_eq(cases[c].is_replaced, o.is_replaced);
            free(o.buf);
        }
    }
}

Test(escape, json_copies_long_valid_utf8_across_blocks)
{
    /* Multibyte sequences straddle the 16-byte blocks and the buffer. */
    enum { N = OUTBUF_CAP };
    static char in[3 * N];

    for (size_t i = 0; i < N; i++)
        memcpy(in + 3 * i, "\xE2\x82\xAC", 3);
    struct output o = run(W_JSON, in, sizeof in);
    cr_assert_eq(sizeof in + 2, o.len);
    cr_assert_arr_eq(in, o.buf + 1, sizeof in);
    cr_assert_eq(false, o.is_replaced);
    free(o.buf);
}

/*
 * Escaping into a buffer that already holds bytes, across three times its
 * capacity, gives the same bytes as escaping into a fresh one (the FILE
 * writers start each call with an empty buffer).
 */
Test(escape, append_escapers_match_file_writers)
{
    enum { LEN = 3 * OUTBUF_CAP + 11 };
    static char in[LEN];
    static const char pool[] = "ab \"\\\n\r\t\x01\x7f\xC3\xA9\xFF\xE2\x82=";

    for (size_t i = 0; i < LEN; i++)
        in[i] = pool[(i * 7 + i / 5) % (sizeof pool - 1)];
    const struct span s = span_make(in, LEN);

    for (int w = 0; w < 5; w++) {
        struct mem file;
        struct mem app;
        struct outbuf b;
        bool file_flag = false;
        bool app_flag = false;

        mem_open(&file);
        mem_open(&app);
        outbuf_init(&b, app.f);
        outbuf_puts(&b, "prefix:");
        switch (w) {
        case 0:
            file_flag = escape_json_write(file.f, s);
            app_flag = escape_json_append(&b, s);
            break;
        case 1:
            file_flag = escape_json_chars(file.f, s);
            app_flag = escape_json_append_chars(&b, s);
            break;
        case 2:
            escape_logfmt_write(file.f, s);
            escape_logfmt_append(&b, s);
            break;
        case 3:
            escape_logfmt_chars(file.f, s);
            escape_logfmt_append_chars(&b, s);
            break;
        default:
            escape_base64_write(file.f, s);
            escape_base64_append(&b, s);
            break;
        }
        outbuf_flush(&b);
        mem_close(&file);
        mem_close(&app);
        cr_assert_eq(file_flag, app_flag, "writer %d", w);
        cr_assert_eq(file.len + 7, app.len, "writer %d", w);
        cr_assert_arr_eq("prefix:", app.buf, 7);
        cr_assert_arr_eq(file.buf, app.buf + 7, file.len, "writer %d", w);
        free(file.buf);
        free(app.buf);
    }
}

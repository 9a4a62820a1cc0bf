/*
 * escape.c: untrusted bytes → JSON strings, Prometheus label values, logfmt
 * values and base64. Used by the exporters and the line formatters, so it
 * writes with fwrite only (no printf) and allocates nothing. It validates
 * UTF-8 itself rather than trusting the locale: log lines are bytes. The
 * outbuf lets a formatter hand stdio a whole line in one fwrite.
 */
#include "escape.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char hex_digits[] = "0123456789abcdef";

/* U+FFFD REPLACEMENT CHARACTER, written for each byte of invalid UTF-8. */
static const char replacement[] = "\xEF\xBF\xBD";

/* Longest replacement an escaper writes for one input byte. */
#define ESCAPE_MAX 8
_Static_assert(sizeof replacement - 1 <= ESCAPE_MAX, "replacement fits");

/*
 * Length of the valid UTF-8 sequence starting at p (1 to 4), or 0 when the
 * byte at p does not start one. Follows Unicode Table 3-7 (well-formed byte
 * sequences): the narrowed second-byte ranges after E0, ED, F0 and F4 are
 * what reject overlongs, surrogates and code points above U+10FFFF.
 */
static size_t
utf8_valid_len(const unsigned char *p, size_t n)
{
    const unsigned char b0 = p[0];
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    size_t need;

    if (b0 < 0x80)
        return 1;
    if (b0 < 0xC2)
        return 0; /* continuation byte, or overlong C0/C1 lead */
    if (b0 < 0xE0) {
        need = 2;
    } else if (b0 < 0xF0) {
        need = 3;
        if (b0 == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (b0 == 0xED)
            hi = 0x9F; /* surrogates U+D800..U+DFFF */
    } else if (b0 < 0xF5) {
        need = 4;
        if (b0 == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return need;
}

/*
 * How one ASCII byte is written: returns the number of bytes put in buf
 * (at most ESCAPE_MAX), or 0 when the byte is copied as it is.
 */
typedef size_t ascii_escape_fn(unsigned char c, char *buf);

static size_t
put_hex_escape(char *buf, const char *prefix, size_t prefix_len,
               unsigned char c)
{
    for (size_t i = 0; i < prefix_len; i++)
        buf[i] = prefix[i];
    buf[prefix_len] = hex_digits[c >> 4];
    buf[prefix_len + 1] = hex_digits[c & 0x0F];
    return prefix_len + 2;
}

static size_t
put_pair(char *buf, char a, char b)
{
    buf[0] = a;
    buf[1] = b;
    return 2;
}

/* RFC 8259 section 7: '"', '\' and U+0000..U+001F must be escaped. */
static size_t
json_escape(unsigned char c, char *buf)
{
    switch (c) {
    case '"':
        return put_pair(buf, '\\', '"');
    case '\\':
        return put_pair(buf, '\\', '\\');
    case '\b':
        return put_pair(buf, '\\', 'b');
    case '\f':
        return put_pair(buf, '\\', 'f');
    case '\n':
        return put_pair(buf, '\\', 'n');
    case '\r':
        return put_pair(buf, '\\', 'r');
    case '\t':
        return put_pair(buf, '\\', 't');
    default:
        /* DEL is legal JSON, but escaping it keeps output terminal-safe. */
        if (c < 0x20 || c == 0x7F)
            return put_hex_escape(buf, "\\u00", 4, c);
        return 0;
    }
}

/*
 * The text exposition format knows exactly three escapes; anything else
 * after a backslash (such as \t) makes the whole scrape fail.
 */
static size_t
prom_escape(unsigned char c, char *buf)
{
    switch (c) {
    case '\\':
        return put_pair(buf, '\\', '\\');
    case '"':
        return put_pair(buf, '\\', '"');
    case '\n':
        return put_pair(buf, '\\', 'n');
    default:
        return 0;
    }
}

static size_t
logfmt_escape(unsigned char c, char *buf)
{
    switch (c) {
    case '"':
        return put_pair(buf, '\\', '"');
    case '\\':
        return put_pair(buf, '\\', '\\');
    case '\n':
        return put_pair(buf, '\\', 'n');
    case '\r':
        return put_pair(buf, '\\', 'r');
    case '\t':
        return put_pair(buf, '\\', 't');
    default:
        if (c < 0x20 || c == 0x7F)
            return put_hex_escape(buf, "\\x", 2, c);
        return 0;
    }
}

/* Printable ASCII other than '"' and '\': plain in every format here. */
static bool
is_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

/*
 * The index of the first byte at or after i that is not plain. Most of a
 * log line is plain, so with SSE2 whole 16-byte blocks are tested at once;
 * the scalar loop finds the byte within the first block that fails.
 */
static size_t
skip_plain(const unsigned char *p, size_t i, size_t len)
{
#ifdef __SSE2__
    /* Signed compare: bytes from 0x80 up are negative, so one compare
     * catches both control bytes and non-ASCII. */
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');

    for (; len - i >= 16; i += 16) {
        const __m128i v =
            _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        const __m128i bad = _mm_or_si128(
            _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)),
            _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                         _mm_cmpeq_epi8(v, backslash)));
        if (_mm_movemask_epi8(bad) != 0)
            break;
    }
#endif
    while (i < len && is_plain(p[i]))
        i++;
    return i;
}

/*
 * Append s, escaping ASCII through esc and replacing each byte that is not
 * part of valid UTF-8 by U+FFFD (or by \xNN when is_invalid_hex). Bytes that
 * need no change are appended in runs, one copy per run. Returns true when
 * a byte was replaced.
 */
static bool
append_escaped(struct outbuf *b, struct span s, ascii_escape_fn *esc,
               bool is_invalid_hex)
{
    const unsigned char *const p = (const unsigned char *)s.p;
    size_t run_start = 0;
    size_t i = 0;
    bool is_replaced = false;

    while (i < s.len) {
        i = skip_plain(p, i, s.len);
        if (i == s.len)
            break;
        const size_t n = utf8_valid_len(p + i, s.len - i);
        char buf[ESCAPE_MAX];
        size_t k;

        if (n > 1) {
            i += n;
            continue;
        }
        if (n == 1) {
            k = esc(p[i], buf);
            if (k == 0) {
                i++;
                continue;
            }
        } else if (is_invalid_hex) {
            is_replaced = true;
            k = put_hex_escape(buf, "\\x", 2, p[i]);
        } else {
            is_replaced = true;
            k = sizeof replacement - 1;
            for (size_t j = 0; j < k; j++)
                buf[j] = replacement[j];
        }
        outbuf_put(b, s.p + run_start, i - run_start);
        outbuf_put(b, buf, k);
        i++;
        run_start = i;
    }
    outbuf_put(b, s.p + run_start, s.len - run_start);
    return is_replaced;
}

bool
escape_json_append(struct outbuf *b, struct span s)
{
    outbuf_putc(b, '"');
    const bool is_replaced = append_escaped(b, s, json_escape, false);
    outbuf_putc(b, '"');
    return is_replaced;
}

bool
escape_json_append_chars(struct outbuf *b, struct span s)
{
    return append_escaped(b, s, json_escape, false);
}

/*
 * Each FILE writer in this file appends to an outbuf on its stack, so
 * a string costs stdio one fwrite however many escapes it holds.
 */
bool
escape_json_write(FILE *out, struct span s)
{
    struct outbuf b;

    outbuf_init(&b, out);
    const bool is_replaced = escape_json_append(&b, s);
    outbuf_flush(&b);
    return is_replaced;
}

bool
escape_json_chars(FILE *out, struct span s)
{
    struct outbuf b;

    outbuf_init(&b, out);
    const bool is_replaced = escape_json_append_chars(&b, s);
    outbuf_flush(&b);
    return is_replaced;
}

bool
escape_is_utf8(struct span s)
{
    const unsigned char *const p = (const unsigned char *)s.p;
    size_t i = 0;

    while (i < s.len) {
        const size_t n = utf8_valid_len(p + i, s.len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void
escape_base64_append(struct outbuf *b, struct span s)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *const p = (const unsigned char *)s.p;
    char buf[256]; /* a multiple of 4: whole quanta per fwrite */
    size_t len = 0;
    size_t i = 0;

    for (; s.len - i >= 3; i += 3) {
        const unsigned long v =
            (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
        if (len == sizeof buf) {
            outbuf_put(b, buf, len);
            len = 0;
        }
        buf[len++] = alphabet[(v >> 18) & 0x3F];
        buf[len++] = alphabet[(v >> 12) & 0x3F];
        buf[len++] = alphabet[(v >> 6) & 0x3F];
        buf[len++] = alphabet[v & 0x3F];
    }
    outbuf_put(b, buf, len);
    if (s.len - i == 1) {
        const unsigned long v = (unsigned long)p[i] << 16;
        const char tail[4] = {alphabet[(v >> 18) & 0x3F],
                              alphabet[(v >> 12) & 0x3F], '=', '='};
        outbuf_put(b, tail, sizeof tail);
    } else if (s.len - i == 2) {
        const unsigned long v =
            (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
        const char tail[4] = {alphabet[(v >> 18) & 0x3F],
                              alphabet[(v >> 12) & 0x3F],
                              alphabet[(v >> 6) & 0x3F], '='};
        outbuf_put(b, tail, sizeof tail);
    }
}

void
escape_base64_write(FILE *out, struct span s)
{
    struct outbuf b;

    outbuf_init(&b, out);
    escape_base64_append(&b, s);
    outbuf_flush(&b);
}

void
escape_prom_label_write(FILE *out, struct span s)
{
    struct outbuf b;

    outbuf_init(&b, out);
    (void)append_escaped(&b, s, prom_escape, false);
    outbuf_flush(&b);
}

/* Printable ASCII other than space, '"', '=' and '\'. */
static bool
is_logfmt_bare(struct span s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        const unsigned char c = (unsigned char)s.p[i];
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '=' || c == '\\')
            return false;
    }
    return true;
}

void
escape_logfmt_append(struct outbuf *b, struct span s)
{
    if (is_logfmt_bare(s)) {
        outbuf_put(b, s.p, s.len);
        return;
    }
    outbuf_putc(b, '"');
    (void)append_escaped(b, s, logfmt_escape, true);
    outbuf_putc(b, '"');
}

void
escape_logfmt_append_chars(struct outbuf *b, struct span s)
{
    (void)append_escaped(b, s, logfmt_escape, true);
}

void
escape_logfmt_write(FILE *out, struct span s)
{
    struct outbuf b;

    outbuf_init(&b, out);
    escape_logfmt_append(&b, s);
    outbuf_flush(&b);
}

void
escape_logfmt_chars(FILE *out, struct span s)
{
    struct outbuf b;

    outbuf_init(&b, out);
    escape_logfmt_append_chars(&b, s);
    outbuf_flush(&b);
}

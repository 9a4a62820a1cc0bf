/*
 * escape.c: untrusted bytes → JSON strings, Prometheus label values, logfmt
 * values and base64. Used by the exporters and the tagger, so it writes with
 * fwrite/putc only (no printf) and allocates nothing. It validates UTF-8
 * itself rather than trusting the locale: log lines are bytes.
 */
#include "escape.h"

#include <stddef.h>

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

static void
put_bytes(FILE *out, const char *p, size_t len)
{
    if (len > 0)
        (void)fwrite(p, 1, len, out);
}

/*
 * Write s, escaping ASCII through esc and replacing each byte that is not
 * part of valid UTF-8 by U+FFFD (or by \xNN when is_invalid_hex). Bytes that
 * need no change are written in runs, one fwrite per run. Write errors are
 * left in ferror(out) for the caller. Returns true when a byte was replaced.
 */
static bool
write_escaped(FILE *out, struct span s, ascii_escape_fn *esc,
              bool is_invalid_hex)
{
    const unsigned char *const p = (const unsigned char *)s.p;
    size_t run_start = 0;
    size_t i = 0;
    bool is_replaced = false;

    while (i < s.len) {
        /* Printable ASCII other than '"' and '\\' never needs escaping in
         * any of the formats: skip such runs without a call per byte. */
        while (i < s.len && p[i] >= 0x20 && p[i] < 0x7F && p[i] != '"' &&
               p[i] != '\\')
            i++;
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
        put_bytes(out, s.p + run_start, i - run_start);
        put_bytes(out, buf, k);
        i++;
        run_start = i;
    }
    put_bytes(out, s.p + run_start, s.len - run_start);
    return is_replaced;
}

bool
escape_json_write(FILE *out, struct span s)
{
    bool is_replaced;

    (void)putc('"', out);
    is_replaced = write_escaped(out, s, json_escape, false);
    (void)putc('"', out);
    return is_replaced;
}

bool
escape_json_chars(FILE *out, struct span s)
{
    return write_escaped(out, s, json_escape, false);
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
escape_base64_write(FILE *out, struct span s)
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
            put_bytes(out, buf, len);
            len = 0;
        }
        buf[len++] = alphabet[(v >> 18) & 0x3F];
        buf[len++] = alphabet[(v >> 12) & 0x3F];
        buf[len++] = alphabet[(v >> 6) & 0x3F];
        buf[len++] = alphabet[v & 0x3F];
    }
    put_bytes(out, buf, len);
    if (s.len - i == 1) {
        const unsigned long v = (unsigned long)p[i] << 16;
        const char tail[4] = {alphabet[(v >> 18) & 0x3F],
                              alphabet[(v >> 12) & 0x3F], '=', '='};
        put_bytes(out, tail, sizeof tail);
    } else if (s.len - i == 2) {
        const unsigned long v =
            (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
        const char tail[4] = {alphabet[(v >> 18) & 0x3F],
                              alphabet[(v >> 12) & 0x3F],
                              alphabet[(v >> 6) & 0x3F], '='};
        put_bytes(out, tail, sizeof tail);
    }
}

void
escape_prom_label_write(FILE *out, struct span s)
{
    (void)write_escaped(out, s, prom_escape, false);
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
escape_logfmt_write(FILE *out, struct span s)
{
    if (is_logfmt_bare(s)) {
        put_bytes(out, s.p, s.len);
        return;
    }
    (void)putc('"', out);
    (void)write_escaped(out, s, logfmt_escape, true);
    (void)putc('"', out);
}

void
escape_logfmt_chars(FILE *out, struct span s)
{
    (void)write_escaped(out, s, logfmt_escape, true);
}

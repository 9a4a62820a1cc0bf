/*
 * fuzz_escape.c: the escapers on arbitrary bytes (RELIABILITY RC-74..76,
 * JSON output rows). Each output goes to an open_memstream and is checked
 * by a validator written here, independently of escape.c (UTF-8 is judged
 * by decoding code points, not by escape.c's byte-range table).
 *
 * Invariants (abort() on violation):
 *  - escape_json_write: one RFC 8259 string, valid UTF-8; decoding it gives
 *    the input, with U+FFFD for each byte that is not part of valid UTF-8
 *    (so exactly the input when that is valid UTF-8); returns whether it
 *    replaced a byte; escape_json_chars is the same without the quotes;
 *  - escape_is_utf8 agrees with the validator here;
 *  - escape_prom_label_write: no raw newline or '"', every '\' followed by
 *    '\', '"' or 'n', valid UTF-8, and decodes like the JSON string;
 *  - escape_logfmt_write: bare exactly when escape.h says so; otherwise a
 *    quoted value without raw control bytes that decodes to the input;
 *  - escape_base64_write: RFC 4648 that decodes to the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_escape: %s:%d: check failed: %s\n",          \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* ---- a growable byte buffer ---------------------------------------------- */

struct buf {
    unsigned char *p;
    size_t len;
    size_t cap;
};

static void
buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *const np = realloc(b->p, cap);
        CHECK(np != NULL);
        b->p = np;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void
buf_put_cp(struct buf *b, uint32_t cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put(b, u, n);
}

static bool
buf_eq(const struct buf *b, const unsigned char *p, size_t len)
{
    return b->len == len && (len == 0 || memcmp(b->p, p, len) == 0);
}

/* ---- UTF-8 by decoding -----------------------------------------------------
 */

/*
 * Length of the well-formed UTF-8 sequence at p (1..4), or 0: decode the
 * code point, then reject overlong forms, surrogates and values above
 * U+10FFFF by value.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned char b0 = p[0];
    size_t need;
    uint32_t cp;

    if (b0 < 0x80)
        return 1;
    if ((b0 & 0xE0) == 0xC0) {
        need = 2;
        cp = b0 & 0x1Fu;
    } else if ((b0 & 0xF0) == 0xE0) {
        need = 3;
        cp = b0 & 0x0Fu;
    } else if ((b0 & 0xF8) == 0xF0) {
        need = 4;
        cp = b0 & 0x07u;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3Fu);
    }
    if (cp < min_cp[need] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return need;
}

static bool
is_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        const size_t k = utf8_seq(p + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

/* The input with each byte outside valid UTF-8 replaced by U+FFFD. */
static void
replaced(const unsigned char *p, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n;) {
        const size_t k = utf8_seq(p + i, n - i);
        if (k == 0) {
            buf_put(out, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            buf_put(out, p + i, k);
            i += k;
        }
    }
}

/* ---- validators and decoders ------------------------------------------------
 */

static int
hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
hex4(const unsigned char *p, size_t n, size_t i, uint32_t *out)
{
    if (i + 4 > n)
        return false;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        const int h = hex_val(p[i + k]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/*
 * RFC 8259 section 7: the whole of p[0..n) is one string. Decodes it into
 * out; false when it is not valid (unescaped control characters, bad
 * escapes, unpaired surrogates, invalid UTF-8, bytes after the string).
 */
static bool
json_string_decode(const unsigned char *p, size_t n, struct buf *out)
{
    if (n < 2 || p[0] != '"' || p[n - 1] != '"')
        return false;
    size_t i = 1;
    const size_t end = n - 1;
    while (i < end) {
        const unsigned char c = p[i];
        if (c == '"' || c < 0x20)
            return false;
        if (c >= 0x80) {
            const size_t k = utf8_seq(p + i, end - i);
            if (k == 0)
                return false;
            buf_put(out, p + i, k);
            i += k;
            continue;
        }
        if (c != '\\') {
            buf_put(out, &c, 1);
            i++;
            continue;
        }
        if (i + 1 >= end)
            return false; /* the closing quote is escaped */
        const unsigned char e = p[i + 1];
        unsigned char ch;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            ch = e;
            break;
        case 'b':
            ch = '\b';
            break;
        case 'f':
            ch = '\f';
            break;
        case 'n':
            ch = '\n';
            break;
        case 'r':
            ch = '\r';
            break;
        case 't':
            ch = '\t';
            break;
        case 'u': {
            uint32_t u;
            if (!hex4(p, end, i + 2, &u))
                return false;
            i += 6;
            if (u >= 0xDC00 && u <= 0xDFFF)
                return false;
            if (u >= 0xD800 && u <= 0xDBFF) {
                uint32_t lo;
                if (i + 1 >= end || p[i] != '\\' || p[i + 1] != 'u' ||
                    !hex4(p, end, i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                i += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            buf_put_cp(out, u);
            continue;
        }
        default:
            return false;
        }
        buf_put(out, &ch, 1);
        i += 2;
    }
    return true;
}

/* A Prometheus label value (without quotes): decode it, or false. */
static bool
prom_label_decode(const unsigned char *p, size_t n, struct buf *out)
{
    if (!is_utf8(p, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\n' || c == '"')
            return false;
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            const unsigned char e = p[++i];
            if (e == 'n')
                c = '\n';
            else if (e == '\\' || e == '"')
                c = e;
            else
                return false;
        }
        buf_put(out, &c, 1);
    }
    return true;
}

/* The inside of a quoted logfmt value: decode it, or false. */
static bool
logfmt_quoted_decode(const unsigned char *p, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c < 0x20 || c == 0x7F)
            return false;
        if (c >= 0x80) {
            const size_t k = utf8_seq(p + i, n - i);
            if (k == 0)
                return false;
            buf_put(out, p + i, k);
            i += k;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            const unsigned char e = p[i + 1];
            i += 2;
            switch (e) {
            case '"':
            case '\\':
                c = e;
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'x': {
                if (i + 2 > n)
                    return false;
                const int hi = hex_val(p[i]), lo = hex_val(p[i + 1]);
                if (hi < 0 || lo < 0)
                    return false;
                c = (unsigned char)(hi << 4 | lo);
                i += 2;
                break;
            }
            default:
                return false;
            }
            buf_put(out, &c, 1);
            continue;
        }
        buf_put(out, &c, 1);
        i++;
    }
    return true;
}

static bool
base64_decode(const unsigned char *p, size_t n, struct buf *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (n % 4 != 0)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        size_t pad = 0;
        for (size_t k = 0; k < 4; k++) {
            const unsigned char c = p[i + k];
            uint32_t d = 0;
            if (c == '=' && i + 4 == n && k >= 2) {
                pad++;
            } else {
                const char *const at =
                    c ? memchr(alphabet, c, sizeof alphabet - 1) : NULL;
                if (at == NULL || pad > 0)
                    return false;
                d = (uint32_t)(at - alphabet);
            }
            v = v << 6 | d;
        }
        const unsigned char b[3] = {(unsigned char)(v >> 16),
                                    (unsigned char)(v >> 8), (unsigned char)v};
        buf_put(out, b, 3 - pad);
    }
    return true;
}

/* ---- the harness
 * -------------------------------------------------------------- */

/* One writer call into memory; the bytes are owned by the caller (free). */
struct mem {
    char *p;
    size_t len;
    FILE *f;
};

static FILE *
mem_open(struct mem *m)
{
    m->p = NULL;
    m->len = 0;
    m->f = open_memstream(&m->p, &m->len);
    CHECK(m->f != NULL);
    return m->f;
}

static const unsigned char *
mem_close(struct mem *m)
{
    CHECK(!ferror(m->f));
    CHECK(fclose(m->f) == 0);
    return (const unsigned char *)m->p;
}

static bool
is_logfmt_bare(const unsigned char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7F || p[i] == '"' || p[i] == '=' ||
            p[i] == '\\')
            return false;
    return true;
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
    unsigned char *const in = malloc(size ? size : 1);
    CHECK(in != NULL);
    if (size > 0)
        memcpy(in, data, size);
    const struct span s = span_make((const char *)in, size);
    const bool is_valid = is_utf8(in, size);
    struct buf want = {0};
    replaced(in, size, &want);
    CHECK(escape_is_utf8(s) == is_valid);

    /* JSON */
    struct mem m;
    const bool is_replaced = escape_json_write(mem_open(&m), s);
    const unsigned char *out = mem_close(&m);
    CHECK(is_replaced == !is_valid);
    CHECK(is_utf8(out, m.len));
    struct buf got = {0};
    if (!json_string_decode(out, m.len, &got)) {
        fprintf(stderr, "fuzz_escape: not a JSON string: %.*s\n", (int)m.len,
                (const char *)out);
        abort();
    }
    CHECK(buf_eq(&got, want.p, want.len));
    if (is_valid)
        CHECK(buf_eq(&got, in, size));
    struct mem chars;
    CHECK(escape_json_chars(mem_open(&chars), s) == is_replaced);
    const unsigned char *const chars_out = mem_close(&chars);
    CHECK(chars.len + 2 == m.len);
    CHECK(chars.len == 0 || memcmp(chars_out, out + 1, chars.len) == 0);
    free(chars.p);
    free(m.p);
    got.len = 0;

    /* Prometheus label value */
    escape_prom_label_write(mem_open(&m), s);
    out = mem_close(&m);
    CHECK(memchr(out, '\n', m.len) == NULL);
    if (!prom_label_decode(out, m.len, &got)) {
        fprintf(stderr, "fuzz_escape: not a label value: %.*s\n", (int)m.len,
                (const char *)out);
        abort();
    }
    CHECK(buf_eq(&got, want.p, want.len));
    free(m.p);
    got.len = 0;

    /* logfmt */
    escape_logfmt_write(mem_open(&m), s);
    out = mem_close(&m);
    if (is_logfmt_bare(in, size)) {
        CHECK(m.len == size && memcmp(out, in, size) == 0);
    } else {
        CHECK(m.len >= 2 && out[0] == '"' && out[m.len - 1] == '"');
        CHECK(logfmt_quoted_decode(out + 1, m.len - 2, &got));
        CHECK(buf_eq(&got, in, size));
        escape_logfmt_chars(mem_open(&chars), s);
        const unsigned char *const inner = mem_close(&chars);
        CHECK(chars.len + 2 == m.len);
        CHECK(chars.len == 0 || memcmp(inner, out + 1, chars.len) == 0);
        free(chars.p);
    }
    free(m.p);
    got.len = 0;

    /* base64 */
    escape_base64_write(mem_open(&m), s);
    out = mem_close(&m);
    CHECK(m.len == (size + 2) / 3 * 4);
    CHECK(base64_decode(out, m.len, &got));
    CHECK(buf_eq(&got, in, size));
    free(m.p);

    free(got.p);
    free(want.p);
    free(in);
    return 0;
}

/*
 * smtpcode.c: the code extractor. A code counts only when it stands alone:
 * the bytes around it must be delimiters that SMTP replies use, never '.',
 * ':', '=', '[', digits or letters, which is what IP addresses, ports,
 * "size=550", pids, times and host names put there.
 */
#include "smtpcode.h"

#include <stdio.h>
#include <string.h>

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Bytes that may stand right before a reply code. */
static bool
reply_may_follow(unsigned char c)
{
    switch (c) {
    case ' ':
    case '\t':
    case '(':
    case '<':
    case '\'':
    case '"':
    case ';':
    case ',':
    case '>':
    case '[': /* "[550 5.1.1 User unknown]"; a pid "[550]" fails after */
    case '#': /* Exchange: "#550 5.1.1 RESOLVER.ADR.RecipNotFound" */
        return true;
    default:
        return false;
    }
}

/*
 * Bytes that end a code token (a superset of reply_may_precede); '\n' is
 * the end of a line when scanning a buffer of lines.
 */
static bool
token_end(char c)
{
    return c == ' ' || c == '\t' || c == ')' || c == ',' || c == ';' ||
           c == '\'' || c == '"' || c == '\r' || c == ':' || c == '-' ||
           c == '\n';
}

/* Bytes that may stand right after a reply code. */
static bool
reply_may_precede(struct span s, size_t i)
{
    if (i >= s.len)
        return true;
    switch ((unsigned char)s.p[i]) {
    case ' ':
    case '\t':
    case ')':
    case ',':
    case ';':
    case '\'':
    case '"':
    case '\r':
        return true;
    case '-':
        /* "550-5.1.1", "250-ETRN", not "211-75-6-133.example.net" */
        return i + 1 >= s.len || !is_digit((unsigned char)s.p[i + 1]) ||
               (i + 2 < s.len && s.p[i + 2] == '.');
    case ':':
        /* "550: text", not "250:12" */
        return i + 1 >= s.len || !is_digit((unsigned char)s.p[i + 1]);
    default:
        return false;
    }
}

static bool
enhanced_may_follow(unsigned char c)
{
    return reply_may_follow(c) || c == '#' || c == '=' || c == '[' ||
           c == ':' || c == '-';
}

static bool
enhanced_may_precede(struct span s, size_t i)
{
    if (i >= s.len)
        return true;
    const unsigned char c = (unsigned char)s.p[i];
    const bool next_is_digit =
        i + 1 < s.len && is_digit((unsigned char)s.p[i + 1]);
    switch (c) {
    case ' ':
    case '\t':
    case ')':
    case ',':
    case ';':
    case '\'':
    case '"':
    case '>':
    case ']':
    case '<':
    case '\r':
        return true;
    case '=': /* a quoted-printable soft line break ends the line */
        return i + 1 == s.len;
    case '.':
    case ':':
    case '-':
        return !next_is_digit;
    default:
        return false;
    }
}

bool
smtpcode_parse_reply(struct span s, uint16_t *out)
{
    if (s.len != 3 || s.p[0] < '2' || s.p[0] > '5' ||
        !is_digit((unsigned char)s.p[1]) || !is_digit((unsigned char)s.p[2]))
        return false;
    *out =
        (uint16_t)((s.p[0] - '0') * 100 + (s.p[1] - '0') * 10 + (s.p[2] - '0'));
    return true;
}

/* Length of an enhanced code at s[i..] (0 if none); fills *out. */
static size_t
enhanced_at(struct span s, size_t i, struct smtp_enhanced *out)
{
    if (i + 5 > s.len)
        return 0;
    const char c = s.p[i];
    if ((c != '2' && c != '4' && c != '5') || s.p[i + 1] != '.' ||
        s.p[i + 2] < '0' || s.p[i + 2] > '7' || s.p[i + 3] != '.')
        return 0;
    size_t j = i + 4;
    unsigned detail = 0, nd = 0;
    while (j < s.len && nd < 4 && is_digit((unsigned char)s.p[j])) {
        detail = detail * 10 + (unsigned)(s.p[j] - '0');
        j++;
        nd++;
    }
    if (nd == 0 || nd > 3)
        return 0;
    out->cls = (uint8_t)(c - '0');
    out->subject = (uint16_t)(s.p[i + 2] - '0');
    out->detail = (uint16_t)detail;
    return j - i;
}

bool
smtpcode_parse_enhanced(struct span s, struct smtp_enhanced *out)
{
    struct smtp_enhanced e;
    const size_t n = enhanced_at(s, 0, &e);
    if (n == 0 || n != s.len)
        return false;
    *out = e;
    return true;
}

/* A standalone enhanced code at s[i..]; returns its length or 0. */
static size_t
standalone_enhanced_at(struct span s, size_t i, struct smtp_enhanced *out)
{
    if (i > 0 && !enhanced_may_follow((unsigned char)s.p[i - 1]))
        return 0;
    const size_t n = enhanced_at(s, i, out);
    if (n == 0 || !enhanced_may_precede(s, i + n))
        return 0;
    return n;
}

/*
 * The enhanced code that may follow a reply code ending at s[i]: "550 5.1.1",
 * "550-5.1.1", "550: 5.1.1", "550-'5.7.1", "550 #5.1.1" (Exchange), and a
 * repeated reply "554 554 5.7.0".
 */
static void
enhanced_after_reply(struct span s, size_t i, struct smtp_enhanced *out)
{
    const size_t reply_start = i - 3;

    if (i + 1 < s.len && s.p[i] == ':' && s.p[i + 1] == ' ')
        i++;
    if (i >= s.len || (s.p[i] != ' ' && s.p[i] != '-'))
        return;
    i++;
    if (i + 4 <= s.len && memcmp(s.p + i, s.p + reply_start, 3) == 0 &&
        s.p[i + 3] == ' ')
        i += 4;
    if (i < s.len && (s.p[i] == '#' || s.p[i] == '\''))
        i++;
    struct smtp_enhanced e;
    const size_t n = enhanced_at(s, i, &e);
    /* Next to a reply even "2.0.0OK" (Exchange) is an enhanced code. */
    if (n > 0 && (enhanced_may_precede(s, i + n) ||
                  ((s.p[i + n] | 0x20) >= 'a' && (s.p[i + n] | 0x20) <= 'z')))
        *out = e;
}

bool
smtpcode_scan(struct span text, struct smtp_codes *out)
{
    const struct smtp_codes none = {0, {0, 0, 0}};
    struct smtp_enhanced first_enh = {0, 0, 0};

    *out = none;
    for (size_t i = 0; i + 3 <= text.len; i++) {
        const unsigned char c = (unsigned char)text.p[i];
        if (c < '2' || c > '5')
            continue;
        uint16_t reply;
        if ((i == 0 || reply_may_follow((unsigned char)text.p[i - 1])) &&
            smtpcode_parse_reply(span_make(text.p + i, 3), &reply) &&
            reply_may_precede(text, i + 3)) {
            out->reply = reply;
            enhanced_after_reply(text, i + 3, &out->enh);
            /* "5.1.1 <a@b>... 550 User unknown": keep the earlier one. */
            if (out->enh.cls == 0)
                out->enh = first_enh;
            /* qmail's convention puts it last: "550 no mailbox (#5.1.1)". */
            for (size_t j = i + 3; out->enh.cls == 0 && j + 6 <= text.len; j++)
                if (text.p[j] == '#')
                    (void)standalone_enhanced_at(text, j + 1, &out->enh);
            return true;
        }
        if (first_enh.cls == 0) {
            struct smtp_enhanced e;
            if (standalone_enhanced_at(text, i, &e) > 0)
                first_enh = e;
        }
    }
    if (first_enh.cls != 0) {
        out->enh = first_enh;
        return true;
    }
    return false;
}

/* Decimal digits of v (< 1000) into buf; returns their number. */
static size_t
put_small(char *buf, unsigned v)
{
    size_t n = 0;
    if (v >= 100)
        buf[n++] = (char)('0' + v / 100);
    if (v >= 10)
        buf[n++] = (char)('0' + v / 10 % 10);
    buf[n++] = (char)('0' + v % 10);
    return n;
}

size_t
smtpcode_format_enhanced(const struct smtp_enhanced *e, char *buf)
{
    /* Per tagged line: no printf (subject and detail are below 1000). */
    size_t n = put_small(buf, e->cls % 10);
    buf[n++] = '.';
    n += put_small(buf + n, e->subject % 1000);
    buf[n++] = '.';
    n += put_small(buf + n, e->detail % 1000);
    buf[n] = '\0';
    return n;
}

size_t
smtpcode_format_reply(uint16_t reply, char *buf)
{
    return put_small(buf, reply % 1000);
}

/*
 * A reply token starts at i: the predicate both scanners share ('\n' before
 * it means a line start when scanning a buffer of lines).
 */
static bool
is_reply_token_at(const char *p, size_t len, size_t i)
{
    const char c = p[i];
    return c >= '2' && c <= '5' && i + 3 <= len &&
           (i == 0 || p[i - 1] == '\n' ||
            reply_may_follow((unsigned char)p[i - 1])) &&
           is_digit((unsigned char)p[i + 1]) &&
           is_digit((unsigned char)p[i + 2]) &&
           (i + 3 == len || token_end(p[i + 3]));
}

bool
smtpcode_has_token(struct span text)
{
    /*
     * A reply code stands between the delimiters smtpcode_scan accepts
     * around it, an enhanced code after one of its own; no rule takes a
     * code from anywhere else. The gate in prefilter.c finds the same
     * tokens, so both must change together.
     */
    for (size_t i = 0; i + 3 <= text.len; i++) {
        const char c = text.p[i];
        if (c < '2' || c > '5')
            continue;
        if (is_reply_token_at(text.p, text.len, i))
            return true;
        const unsigned char before = i > 0 ? (unsigned char)text.p[i - 1] : ' ';
        if (c != '3' && text.p[i + 1] == '.' &&
            (i == 0 || enhanced_may_follow(before)) && i + 4 < text.len &&
            text.p[i + 2] >= '0' && text.p[i + 2] <= '7' &&
            text.p[i + 3] == '.' && is_digit((unsigned char)text.p[i + 4]))
            return true;
    }
    return false;
}

#ifdef __SSE2__
#include <emmintrin.h>

/*
 * Bit i set when p[i] is a digit (*digits) and when it is 2..5 (*lead), for
 * 64 bytes at p.
 */
static void
masks64(const char *p, uint64_t *digits, uint64_t *lead)
{
    const __m128i zero = _mm_set1_epi8('0');
    const __m128i two = _mm_set1_epi8('2');
    const __m128i nine = _mm_set1_epi8(9);
    const __m128i three = _mm_set1_epi8(3);
    uint64_t d = 0, l = 0;

    for (int k = 0; k < 4; k++) {
        const __m128i v =
            _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        const __m128i x = _mm_sub_epi8(v, zero);
        const __m128i y = _mm_sub_epi8(v, two);
        const __m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(x, nine), x);
        const __m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(y, three), y);
        d |= (uint64_t)(uint16_t)_mm_movemask_epi8(is_d) << (16 * k);
        l |= (uint64_t)(uint16_t)_mm_movemask_epi8(is_l) << (16 * k);
    }
    *digits = d;
    *lead = l;
}
#endif

size_t
smtpcode_find_reply_token(const char *p, size_t len, size_t from)
{
    size_t i = from;
#ifdef __SSE2__
    /*
     * 64 bytes at a time: a token needs a 2..5 digit followed by exactly
     * two more digits; only those rare spots get the full check. The
     * masks of the next block give the digits that spill over.
     */
    if (i + 128 <= len) {
        uint64_t d, l, dn, ln;
        uint64_t prev_d = i > 0 && is_digit((unsigned char)p[i - 1]);
        masks64(p + i, &d, &l);
        while (i + 128 <= len) {
            masks64(p + i + 64, &dn, &ln);
            const uint64_t d1 = d >> 1 | dn << 63;
            const uint64_t d2 = d >> 2 | dn << 62;
            const uint64_t d3 = d >> 3 | dn << 61;
            const uint64_t dp = d << 1 | prev_d;
            uint64_t cand = l & d1 & d2 & ~d3 & ~dp;
            while (cand != 0) {
                const size_t at = i + (size_t)__builtin_ctzll(cand);
                if (is_reply_token_at(p, len, at))
                    return at;
                cand &= cand - 1;
            }
            prev_d = d >> 63;
            d = dn;
            l = ln;
            i += 64;
        }
    }
#endif
    for (; i + 3 <= len; i++)
        if (is_reply_token_at(p, len, i))
            return i;
    return len;
}

/*
 * fuzz_smtpcode.c: the code extractor on arbitrary bytes (RELIABILITY
 * RC-06/10/11 and the extractor rows of the catalogue). The text is an
 * exact-size heap buffer without a terminating NUL, so ASan reports any
 * read past it (the SSE2 scanner included).
 *
 * Invariants (abort() on violation), only what smtpcode.h promises:
 *  - found codes are well formed: reply 200..599, enhanced class 2/4/5,
 *    subject <= 7, detail <= 999; format → parse gives them back;
 *  - smtpcode_has_token is a superset of smtpcode_scan: whatever scan finds,
 *    has_token is true, and a found reply code means
 *    smtpcode_find_reply_token finds a token;
 *  - smtpcode_find_reply_token(p, len, from) equals a scalar reference: the
 *    first i >= from where a reply token starts, "as smtpcode_has_token
 *    defines it", judged by smtpcode_has_token on the token's own window;
 *  - scanning a buffer of lines (how the gate in prefilter.c uses it) finds
 *    exactly the tokens each line has on its own (without its '\n'), which
 *    is what classify_line sees.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpcode.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_smtpcode: %s:%d: check failed: %s\n",        \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * A reply token starts at i. The three digits are checked here; the
 * delimiters before and after are left to smtpcode_has_token on the window
 * p[i-1 .. i+4) (from i when i is 0 or follows '\n', a line start). With
 * the digits fixed, no other token fits in that window, so has_token is
 * true exactly when the token at i stands between accepted delimiters.
 */
static bool
is_reply_token_ref(const char *p, size_t len, size_t i)
{
    if (i + 3 > len || p[i] < '2' || p[i] > '5' || !is_digit(p[i + 1]) ||
        !is_digit(p[i + 2]))
        return false;
    const size_t lo = (i == 0 || p[i - 1] == '\n') ? i : i - 1;
    const size_t hi = i + 4 < len ? i + 4 : len;
    return smtpcode_has_token(span_make(p + lo, hi - lo));
}

static size_t
find_reply_token_ref(const char *p, size_t len, size_t from)
{
    for (size_t i = from; i + 3 <= len; i++)
        if (is_reply_token_ref(p, len, i))
            return i;
    return len;
}

static void
check_enhanced(const struct smtp_enhanced *e)
{
    CHECK(e->cls == 2 || e->cls == 4 || e->cls == 5);
    CHECK(e->subject <= 7);
    CHECK(e->detail <= 999);
    char buf[16];
    const size_t n = smtpcode_format_enhanced(e, buf);
    CHECK(n >= 5 && n <= 9 && buf[n] == '\0');
    struct smtp_enhanced back;
    CHECK(smtpcode_parse_enhanced(span_make(buf, n), &back));
    CHECK(back.cls == e->cls && back.subject == e->subject &&
          back.detail == e->detail);
}

static void
check_reply(uint16_t reply)
{
    CHECK(reply >= 200 && reply <= 599);
    char buf[3];
    CHECK(smtpcode_format_reply(reply, buf) == 3);
    uint16_t back = 0;
    CHECK(smtpcode_parse_reply(span_make(buf, 3), &back));
    CHECK(back == reply);
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
    char *const p = malloc(size ? size : 1);
    CHECK(p != NULL);
    if (size > 0)
        memcpy(p, data, size);
    const struct span text = span_make(size ? p : NULL, size);

    struct smtp_codes sc;
    const bool is_found = smtpcode_scan(text, &sc);
    if (is_found) {
        CHECK(sc.reply != 0 || sc.enh.cls != 0);
        CHECK(smtpcode_has_token(text));
    } else {
        CHECK(sc.reply == 0 && sc.enh.cls == 0);
    }
    if (sc.reply != 0) {
        check_reply(sc.reply);
        CHECK(smtpcode_find_reply_token(p, size, 0) < size);
    }
    if (sc.enh.cls != 0)
        check_enhanced(&sc.enh);

    /* The parsers on the whole text: exact shapes only. */
    uint16_t reply;
    if (smtpcode_parse_reply(text, &reply)) {
        CHECK(size == 3);
        check_reply(reply);
    }
    struct smtp_enhanced e;
    if (smtpcode_parse_enhanced(text, &e)) {
        CHECK(size >= 5 && size <= 7);
        check_enhanced(&e);
    }

    /* The fast scanner against the scalar reference, from 0 and mid-text. */
    const size_t at = smtpcode_find_reply_token(p, size, 0);
    CHECK(at == find_reply_token_ref(p, size, 0));
    if (at < size) {
        CHECK(smtpcode_has_token(text));
        /* Every token, one after the other, as the gate walks a block. */
        size_t from = at;
        while (from < size) {
            const size_t next = smtpcode_find_reply_token(p, size, from + 1);
            CHECK(next == find_reply_token_ref(p, size, from + 1));
            CHECK(next > from);
            from = next;
        }
    }
    /* Buffer view = line view, position by position. */
    for (size_t start = 0; start < size;) {
        const char *const nl = memchr(p + start, '\n', size - start);
        const size_t end = nl ? (size_t)(nl - p) : size;
        for (size_t i = start; i < end; i++) {
            const bool in_line =
                is_reply_token_ref(p + start, end - start, i - start);
            if (in_line != is_reply_token_ref(p, size, i)) {
                fprintf(stderr,
                        "fuzz_smtpcode: offset %zu: a reply token in the "
                        "line is %s, in the buffer of lines %s\n",
                        i, in_line ? "found" : "absent",
                        in_line ? "absent" : "found");
                abort();
            }
        }
        start = end + 1;
    }
    if (size > 0) {
        const size_t from = data[0] % (size + 1);
        CHECK(smtpcode_find_reply_token(p, size, from) ==
              find_reply_token_ref(p, size, from));
    }
    free(p);
    return 0;
}

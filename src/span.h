/*
 * span.h: a borrowed, length-carrying view of bytes. Log lines may hold NUL
 * bytes, so nothing in the hot path relies on NUL termination.
 */
#ifndef SMTPCLASS_SPAN_H
#define SMTPCLASS_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Invariant: p != NULL whenever len > 0. The bytes are borrowed. */
struct span {
    const char *p;
    size_t len;
};

#define SPAN_LIT(s) ((struct span){(s), sizeof(s) - 1})

static inline struct span
span_make(const char *p, size_t len)
{
    struct span s = {p, len};
    return s;
}

static inline bool
span_is_empty(struct span s)
{
    return s.len == 0;
}

/* True when s holds exactly the bytes of the C string lit. */
static inline bool
span_eq_str(struct span s, const char *lit)
{
    const size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static inline bool
span_eq(struct span a, struct span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The bytes of s from offset off to its end (empty when off >= len). */
static inline struct span
span_from(struct span s, size_t off)
{
    if (off >= s.len)
        return span_make(s.p, 0);
    return span_make(s.p + off, s.len - off);
}

#endif

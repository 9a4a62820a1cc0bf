/*
 * outbuf.h: a write buffer in front of a FILE, for formatters that write a
 * line as many small pieces (tags, JSON keys, escaped runs): the pieces
 * collect in buf and reach stdio with one fwrite.
 */
#ifndef SMTPCLASS_OUTBUF_H
#define SMTPCLASS_OUTBUF_H

#include <stdio.h>
#include <string.h>

/* Bytes an outbuf collects before it writes them out. */
#define OUTBUF_CAP 4096

/*
 * Bytes reach out when buf fills up or at outbuf_flush(). Meant to live on
 * the caller's stack for one line.
 * Invariants: out != NULL; len <= sizeof buf.
 */
struct outbuf {
    FILE *out;
    size_t len;
    char buf[OUTBUF_CAP];
};

/* Start an empty buffer in front of out (borrowed: it must outlive b). */
void outbuf_init(struct outbuf *b, FILE *out);

/*
 * Write what b holds to out and empty b. Call it before out is written to
 * in any other way, and before b goes out of scope: bytes still in b are
 * lost. Errors show in ferror(out).
 */
void outbuf_flush(struct outbuf *b);

/* The slow path of outbuf_put: flushes, and copies or writes p. */
void outbuf_put_slow(struct outbuf *b, const char *p, size_t len);

/* Append len bytes from p (p may be NULL when len is 0). */
static inline void
outbuf_put(struct outbuf *b, const char *p, size_t len)
{
    /* The first test is implied by the second; it lets the compiler see
     * that the memcpy below never exceeds buf. */
    if (len > sizeof b->buf || len > sizeof b->buf - b->len) {
        outbuf_put_slow(b, p, len);
        return;
    }
    if (len > 0)
        memcpy(b->buf + b->len, p, len);
    b->len += len;
}

static inline void
outbuf_putc(struct outbuf *b, char c)
{
    if (b->len == sizeof b->buf)
        outbuf_flush(b);
    b->buf[b->len++] = c;
}

/* Append the C string s: for our own names and literals, not log data. */
static inline void
outbuf_puts(struct outbuf *b, const char *s)
{
    outbuf_put(b, s, strlen(s));
}

#endif

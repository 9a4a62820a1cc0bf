/*
 * reader.h: bytes from one input (a file descriptor, or anything behind a
 * read callback) into a caller-visible buffer. The reader never seeks, so
 * pipes work, and it returns whatever one read(2) delivers so that a live
 * `tail -F | smtpclass` is processed at once.
 */
#ifndef SMTPCLASS_READER_H
#define SMTPCLASS_READER_H

#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

/*
 * Read up to cap bytes into buf. Returns the number of bytes (0 at end of
 * input) or -1 with errno set. EINTR is retried by the reader unless the
 * reader's stop flag is set.
 */
typedef ssize_t reader_read_fn(void *ctx, char *buf, size_t cap);

/* The plain read(2) source; ctx points to an int file descriptor. */
ssize_t reader_read_fd(void *ctx, char *buf, size_t cap);

enum reader_status {
    READER_OK = 0,  /* new bytes were appended */
    READER_EOF = 1, /* no more input */
    READER_ERR = -1 /* read failed; errno is set */
};

/*
 * Invariants: len <= cap; buf is never NULL after reader_new().
 * The bytes buf[0..len) are the unconsumed input.
 */
struct reader {
    char *buf;
    size_t len;
    size_t cap;
    reader_read_fn *read_fn;
    void *read_ctx;
    const volatile sig_atomic_t
        *stop; /* optional: when set, EINTR ends reads */
};

/* Owned; release with reader_free(). cap is the buffer size in bytes. */
struct reader *reader_new(size_t cap);
void reader_free(struct reader *r);

/* Attach a source and drop any buffered bytes. */
void reader_attach(struct reader *r, reader_read_fn *fn, void *ctx);

/*
 * Drop the first n bytes of the buffer (they have been consumed) by moving
 * the rest to the front. Invalidates spans into the buffer.
 */
void reader_consume(struct reader *r, size_t n);

/*
 * Append the bytes of one read to the buffer; there must be free space
 * (len < cap). Invalidates nothing: bytes already in buf stay in place.
 */
enum reader_status reader_fill(struct reader *r);

/*
 * If fd is a pipe, ask for a 1 MiB pipe buffer instead of Linux's 64 KiB,
 * best effort (the limit is /proc/sys/fs/pipe-max-size). A 64 KiB pipe
 * makes the two sides of `cat log | smtpclass | cat` take turns: each
 * write of our 256 KiB output buffer, or each of cat's writes into our
 * input, blocks until the other side has read a little.
 */
void reader_widen_pipe(int fd);

#endif

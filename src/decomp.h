/*
 * decomp.h: transparent decompression of an input, chosen by its magic
 * bytes, never by its name: gzip (every member of a multi-member file) and
 * zstd (every frame), else the bytes as they are. Plugs into the reader as
 * its read callback; reads never seek, so pipes work.
 */
#ifndef SMTPCLASS_DECOMP_H
#define SMTPCLASS_DECOMP_H

#include <stddef.h>
#include <sys/types.h>

enum decomp_kind { DECOMP_PLAIN, DECOMP_GZIP, DECOMP_ZSTD };

struct decomp;

/* Owned; release with decomp_free(). fd stays the caller's. */
struct decomp *decomp_new(int fd);
void decomp_free(struct decomp *d);

/*
 * The reader callback (ctx is the struct decomp): decoded bytes, 0 at the
 * end of a complete input, or -1 with errno set. A damaged or truncated
 * archive gives -1 after every byte decoded before the damage; then
 * decomp_error() says what went wrong.
 */
ssize_t decomp_read(void *ctx, char *buf, size_t cap);

/* What the input turned out to be (known after the first read). */
enum decomp_kind decomp_kind_of(const struct decomp *d);

/* A description of the last decoding error ("" when none). Borrowed. */
const char *decomp_error(const struct decomp *d);

#endif

/*
 * decomp.h: transparent decompression of an input, chosen by its magic
 * bytes, never by its name: gzip (every member of a multi-member file) and
 * zstd (every frame), else the bytes as they are. Plugs into the reader as
 * its read callback; reads never seek, so pipes work.
 */
#ifndef SMTPCLASS_DECOMP_H
#define SMTPCLASS_DECOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "reader.h"

enum decomp_kind { DECOMP_PLAIN, DECOMP_GZIP, DECOMP_ZSTD };

struct decomp;

/* Owned; release with decomp_free(). fd stays the caller's. */
struct decomp *decomp_new(int fd);

/*
 * Like decomp_new(), but the raw bytes come from fn(ctx, ...), which
 * behaves like read(2) (see reader_read_fn): tests inject short reads,
 * EINTR and errors this way. ctx is borrowed and must outlive d.
 */
struct decomp *decomp_new_source(reader_read_fn *fn, void *ctx);
void decomp_free(struct decomp *d);

/*
 * The reader callback (ctx is the struct decomp): decoded bytes, at most
 * cap (cap > 0), 0 at the end of a complete input, or -1 with errno set.
 * A damaged or truncated archive gives -1 (errno EIO) after the bytes
 * decoded before the damage (gzip: all of them; zstd: all but those of
 * the call that met the damage, which libzstd does not hand out); then
 * decomp_error() says what went wrong and later calls return 0. A failed
 * read of the source gives -1 with its errno and may be retried.
 * Output per call is bounded by cap, so memory does not grow with the
 * compression ratio (a decompression bomb just streams).
 */
ssize_t decomp_read(void *ctx, char *buf, size_t cap);

/*
 * What the input turned out to be (known after the first read): gzip when
 * it starts with 1f 8b, zstd when it starts with a zstd frame (28 b5 2f fd)
 * or a skippable frame (5? 2a 4d 18), else plain.
 */
enum decomp_kind decomp_kind_of(const struct decomp *d);

/*
 * For a file at offset 0: true when it holds gzip or zstd (decided as
 * decomp_read() does), or when its offset cannot go back to 0 (a byte was
 * read: only a stream decoder may go on). False: plain, at offset 0.
 */
bool decomp_file_is_compressed(int fd);

/* A description of the last decoding error ("" when none). Borrowed. */
const char *decomp_error(const struct decomp *d);

#endif

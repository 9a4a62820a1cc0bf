/*
 * readahead.h: run a read callback on its own thread, a few chunks ahead
 * of the consumer. Used for compressed files: inflating on the second
 * core while the first one classifies (what `zcat f.gz | smtpclass` gets
 * from the shell for free).
 */
#ifndef SMTPCLASS_READAHEAD_H
#define SMTPCLASS_READAHEAD_H

#include <stddef.h>
#include <sys/types.h>

#include "reader.h"

struct readahead;

/*
 * Start reading fn(ctx, ...) on a new thread (with every signal blocked
 * there). ctx is borrowed and must outlive r. Returns NULL when no thread
 * can be started; the caller then reads fn directly.
 */
struct readahead *readahead_new(reader_read_fn *fn, void *ctx);

/* Stop the thread and free; NULL is fine. */
void readahead_free(struct readahead *r);

/*
 * The reader callback (ctx is the struct readahead): the bytes fn
 * produced, in order; 0 at their end; -1 with fn's errno once fn failed
 * (after every byte it gave before), then 0. Never interrupted by signals:
 * use it for sources that do not block for long (files, not pipes).
 */
ssize_t readahead_read(void *ctx, char *buf, size_t cap);

#endif

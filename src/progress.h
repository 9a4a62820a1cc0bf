/*
 * progress.h: one line that shows how far a batch run has got (bytes done of
 * the total, percent, MB/s, time left), redrawn in place with '\r' at most
 * PROGRESS_HZ times a second. Any thread may add bytes; one thread draws.
 */
#ifndef SMTPCLASS_PROGRESS_H
#define SMTPCLASS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_HZ 5

struct progress;

/*
 * Owned; release with progress_free(). out (borrowed, usually stderr) gets
 * the line; is_tty selects how it is erased ("\033[K" on a terminal, spaces
 * elsewhere). total is the expected number of bytes (0: unknown). Nothing
 * is drawn until the first progress_tick().
 */
struct progress *progress_new(FILE *out, bool is_tty, uint64_t total);

/* Erase the line and release p. NULL is fine. */
void progress_free(struct progress *p);

/* Count n more bytes done. Thread-safe, lock-free; p may be NULL. */
void progress_add(struct progress *p, uint64_t n);

/*
 * Redraw when the line is due (the first call always draws). Only the
 * drawing thread calls this, progress_clear() and progress_free().
 * p may be NULL.
 */
void progress_tick(struct progress *p);

/*
 * Erase the line, e.g. before a message goes to the same stream; the next
 * progress_tick() draws it again. p may be NULL.
 */
void progress_clear(struct progress *p);

#endif

/*
 * statsfile.h: the counters as a file that readers (node_exporter's
 * textfile collector, scripts) never see half-written: each write goes to
 * a temporary file in the same directory whose name does not end in
 * .prom, is synced, and is renamed over the target. A failed write (disk
 * full, ...) removes the temporary file and keeps the old one.
 */
#ifndef SMTPCLASS_STATSFILE_H
#define SMTPCLASS_STATSFILE_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct statsfile;

/*
 * Prepare writing path. Fails (with err set) when the directory does not
 * exist or another process holds the lock DIR/.NAME.lock (two writers
 * would make counters jump). Nothing is written yet.
 */
struct statsfile *statsfile_open(const char *path, struct sc_err *err);

/* Release the lock; the last file written stays. NULL is fine. */
void statsfile_close(struct statsfile *sf);

/*
 * Replace the file's content with text[0..len) atomically. Returns 0, or
 * -1 after a failure: the old file is untouched, the error counter goes
 * up, and a warning is printed once per streak of failures (the first
 * success after a streak says so too).
 */
int statsfile_write(struct statsfile *sf, const char *text, size_t len);

/* Failed writes so far (smtpclass_textfile_write_errors_total). */
uint64_t statsfile_errors(const struct statsfile *sf);

#endif

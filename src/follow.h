/*
 * follow.h: follow log files by name across rotation, like `tail -F`:
 * rename and create, copytruncate, delete and recreate, a re-pointed
 * symlink. The old file is drained to its end before the new one is read,
 * so no line is lost or read twice. inotify wakes us where available;
 * a one-second poll covers everything else (and inotify's blind spots).
 */
#ifndef SMTPCLASS_FOLLOW_H
#define SMTPCLASS_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct follow;

struct follow_stats {
    uint64_t rotations;   /* a new file took the name (rename, recreate) */
    uint64_t truncations; /* the file shrank below our offset */
    uint64_t open_errors; /* the name could not be opened (missing, EACCES) */
};

/*
 * Follow paths[0..n) (borrowed; must outlive f). from_start: read what the
 * files hold first; otherwise start at their current end. A file missing
 * at start is waited for (reported once). Returns NULL only when nothing
 * can be followed at all, after reporting why.
 */
struct follow *follow_new(char *const *paths, size_t n, bool from_start);
void follow_free(struct follow *f);

/*
 * A reader_read_fn (ctx is the struct follow *). Returns bytes of whole
 * lines of one file at a time, so lines of different files never mix; a
 * file's unfinished last line is held back until its newline arrives.
 * Blocks while there is nothing new. Returns -1 with errno EINTR when a
 * signal interrupted the wait, and 0 (end) only after follow_finish().
 */
ssize_t follow_read(void *ctx, char *buf, size_t cap);

/*
 * Stop following: later follow_read() calls return what is left to read
 * without waiting, then the held unfinished lines as they are, then 0.
 */
void follow_finish(struct follow *f);

void follow_get_stats(const struct follow *f, struct follow_stats *st);

#endif

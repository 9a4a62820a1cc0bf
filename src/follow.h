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
    uint64_t open_errors; /* streaks of the name not opening (missing,
                             EACCES): one per report, see follow_new */
};

/*
 * Follow paths[0..n) (borrowed; must outlive f). from_start: read what the
 * files hold first; otherwise start at their current end (and skip the
 * rest of a line in progress there). A file missing at start is waited
 * for, and read from its start when it appears. A name that cannot be
 * opened is retried every second and reported once per streak (at once at
 * start; later only when it lasts a second, as a rotation leaves the name
 * missing for a moment). Without inotify (or out of watches) the files
 * are polled, said once. Returns NULL only when nothing can be followed at
 * all (n == 0), after reporting why. Release with follow_free().
 */
struct follow *follow_new(char *const *paths, size_t n, bool from_start);
void follow_free(struct follow *f);

/*
 * A reader_read_fn (ctx is the struct follow *). Returns bytes of whole
 * lines of one file at a time, so lines of different files never mix; a
 * file's unfinished last line is held back until its newline arrives. A
 * line longer than 64 KiB (or than cap) goes out in pieces, and then
 * nothing else does until its '\n'. After a rotation the old file is read
 * to its end first, and kept open 5 s for late writes; its unfinished
 * last line, if any, is then handed out with a '\n' added, so the new
 * file's first line does not continue it. Likewise when a file shrinks
 * below what we read (copytruncate): its held unfinished line goes out at
 * once, with a '\n' added, and the file is read again from its start.
 * Blocks while there is nothing new. Returns -1 with errno EINTR when a
 * signal interrupted the wait, and also after each idle second, so that a
 * caller checking a signal flag on EINTR sees a signal that arrived just
 * before the wait began (callers retry EINTR otherwise). Returns 0 (end)
 * only after follow_finish().
 */
ssize_t follow_read(void *ctx, char *buf, size_t cap);

/*
 * Stop following: later follow_read() calls return what is left to read
 * without waiting, then the held unfinished lines as they are (a '\n' is
 * added to each but the last, so they stay separate lines), then 0.
 */
void follow_finish(struct follow *f);

void follow_get_stats(const struct follow *f, struct follow_stats *st);

#endif

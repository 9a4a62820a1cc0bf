/*
 * follow.c: `tail -F` for the main loop. Each path has a current file and,
 * for a few seconds after a rotation, the previous one; both are read to
 * their end, the old one first. inotify only wakes us up: what changed is
 * found out by read(), fstat() and stat(), which also run once a second, so
 * missed or overflowing events cost latency, never lines. Does not decode
 * or split lines beyond finding the last '\n' of what it hands out.
 */
#include "follow.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "msg.h"
#include "xalloc.h"

/* How often paths are stat()ed, and the longest wait with inotify. */
#define FOLLOW_TICK_MS 1000u
/* Without inotify, files are read this often (tail -F sleeps 1 s). */
#define FOLLOW_POLL_MS 250u
/*
 * A rotated file stays open this long after its successor appeared, so
 * lines its writer adds before it reopens the log (logrotate's "create",
 * then a postrotate HUP) are still read: fluent-bit's rotate_wait.
 */
#define FOLLOW_GRACE_MS 5000u
/* The longest unfinished line held back; beyond it, it goes in pieces. */
#define FOLLOW_HOLD_MAX (64u * 1024u)

#ifdef __linux__
#define FOLLOW_FILE_EVENTS                                                     \
    (IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
#define FOLLOW_DIR_EVENTS                                                      \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |         \
     IN_ONLYDIR)
#endif

/*
 * One open file. Invariants: fd < 0 means closed, and then hold_len == 0
 * and !is_midline; hold holds the bytes of an unfinished line (no '\n'),
 * hold_len <= FOLLOW_HOLD_MAX; is_midline: bytes of a line went out
 * without its '\n', so nothing else may be handed out before that '\n'.
 */
struct source {
    int fd;
    int wd; /* inotify watch, -1 if none */
    dev_t dev;
    ino_t ino;
    off_t offset;         /* where the next read starts */
    uint64_t deadline_ms; /* is_retired: close at EOF after this */
    char *hold;           /* FOLLOW_HOLD_MAX bytes, owned */
    size_t hold_len;
    bool is_regular;
    bool is_retired;        /* a newer file took the name */
    bool is_midline;        /* see above */
    bool want_skip_partial; /* started at the end in mid-line: skip to '\n' */
    bool want_flush;        /* truncated: hand out hold (and its '\n') first */
    bool has_read_error;    /* reported; reset when a read works */
};

/*
 * One followed name. old is open only while cur is open, and is read
 * first: it is the file cur replaced. A failure streak (the name cannot be
 * opened) is reported once, and only when it lasts, since a rename and a
 * create are never atomic.
 */
struct slot {
    const char *path; /* borrowed */
    struct source old;
    struct source cur;
    uint64_t streak_start_ms;
    bool in_streak;
    bool has_reported;
};

struct follow {
    struct slot *slots; /* n of them, owned */
    size_t n;
    size_t rr;  /* the slot read first next time: fairness */
    int ino_fd; /* -1: polling */
    uint64_t last_check_ms;
    uint64_t now_ms;
    bool want_check; /* stat the paths at the next chance */
    bool is_finished;
    struct follow_stats st;
};

static uint64_t
clock_ms(struct follow *f)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on a system that has it; should it, a
     * clock that advances by a tick per call keeps deadlines moving. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return f->now_ms += FOLLOW_TICK_MS;
    f->now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return f->now_ms;
}

static void
source_init(struct source *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->wd = -1;
    s->hold = xmalloc(FOLLOW_HOLD_MAX);
}

static void
switch_to_polling(struct follow *f, const char *why)
{
    if (f->ino_fd < 0)
        return;
    sc_warnx("%s; polling the files for changes instead", why);
    /* Closing the inotify descriptor removes every watch. */
    (void)close(f->ino_fd);
    f->ino_fd = -1;
    for (size_t i = 0; i < f->n; i++) {
        f->slots[i].old.wd = -1;
        f->slots[i].cur.wd = -1;
    }
}

/* Watch a path; failures other than running out of watches are harmless:
 * the once-a-second stat() still sees every change. */
static int
add_watch(struct follow *f, const char *path, uint32_t mask)
{
#ifdef __linux__
    if (f->ino_fd < 0)
        return -1;
    const int wd = inotify_add_watch(f->ino_fd, path, mask);
    if (wd < 0 && (errno == ENOSPC || errno == ENOMEM))
        switch_to_polling(f, "inotify watches exhausted");
    return wd;
#else
    (void)f;
    (void)path;
    (void)mask;
    return -1;
#endif
}

/* inotify gives one watch per inode: keep it while another source uses it. */
static void
remove_watch(struct follow *f, const struct source *s)
{
#ifdef __linux__
    if (s->wd < 0 || f->ino_fd < 0)
        return;
    for (size_t i = 0; i < f->n; i++) {
        const struct slot *const sl = &f->slots[i];
        if ((&sl->old != s && sl->old.fd >= 0 && sl->old.wd == s->wd) ||
            (&sl->cur != s && sl->cur.fd >= 0 && sl->cur.wd == s->wd))
            return;
    }
    /* EINVAL: the kernel dropped the watch already (the inode is gone). */
    if (inotify_rm_watch(f->ino_fd, s->wd) != 0 && errno != EINVAL)
        sc_warn("inotify_rm_watch");
#else
    (void)f;
    (void)s;
#endif
}

static void
source_close(struct follow *f, struct source *s)
{
    if (s->fd < 0)
        return;
    remove_watch(f, s);
    /* Nothing was written through fd, so close() has nothing to report. */
    (void)close(s->fd);
    s->fd = -1;
    s->wd = -1;
    s->hold_len = 0;
    s->is_midline = false;
    s->is_retired = false;
    s->want_flush = false;
    /* A rotation may have waited for this source to go. */
    f->want_check = true;
}

/* Position in buf of the last '\n' in buf[0..len), or len if none. */
static size_t
last_newline(const char *buf, size_t len)
{
    for (size_t i = len; i > 0; i--)
        if (buf[i - 1] == '\n')
            return i - 1;
    return len;
}

/*
 * At the end of s: a regular file smaller than what we read was truncated
 * (copytruncate, or deleted and recreated under the same inode number):
 * go back to its start. Returns true when there is something new to read.
 * The held partial line is not continued by what the file holds now: it
 * goes out as it is, with a '\n', before anything else (RC-04, mtail).
 */
static bool
check_truncated(struct follow *f, const char *path, struct source *s)
{
    struct stat st;

    if (!s->is_regular)
        return false;
    if (fstat(s->fd, &st) != 0) {
        sc_warn("%s: fstat", path);
        return false;
    }
    if (st.st_size >= s->offset)
        return false;
    if (lseek(s->fd, 0, SEEK_SET) != 0) {
        sc_warn("%s: lseek", path);
        return false;
    }
    s->offset = 0;
    s->want_skip_partial = false;
    s->want_flush = s->hold_len > 0 || s->is_midline;
    f->st.truncations++;
    return true;
}

/*
 * Hand out the held partial line of s as it is, plus a '\n' when want_nl
 * (something else follows, which must not continue this line). Sets *done
 * once all of it went out.
 */
static size_t
source_flush(struct source *s, char *buf, size_t cap, bool want_nl, bool *done)
{
    const size_t n = s->hold_len < cap ? s->hold_len : cap;

    memcpy(buf, s->hold, n);
    memmove(s->hold, s->hold + n, s->hold_len - n);
    s->hold_len -= n;
    *done = false;
    if (s->hold_len > 0 || (want_nl && n == cap)) {
        s->is_midline = true;
        return n;
    }
    *done = true;
    s->is_midline = false;
    if (want_nl) {
        buf[n] = '\n';
        return n + 1;
    }
    return n;
}

/*
 * Whole lines of s into buf[0..cap): reads until a '\n' arrives or the
 * file ends for now. Hands out a line without its end only when it is
 * longer than FOLLOW_HOLD_MAX or cap is too small for it, and then sets
 * is_midline. After a truncation, the held partial line goes out first.
 * Returns 0 when s has nothing complete to give.
 */
static size_t
source_take(struct follow *f, const char *path, struct source *s, char *buf,
            size_t cap)
{
    for (;;) {
        if (s->want_flush) {
            bool done;
            const size_t k = source_flush(s, buf, cap, true, &done);
            s->want_flush = !done;
            return k;
        }
        const size_t h = s->hold_len;
        if (h >= cap) {
            memcpy(buf, s->hold, cap);
            memmove(s->hold, s->hold + cap, h - cap);
            s->hold_len = h - cap;
            s->is_midline = true;
            return cap;
        }
        const ssize_t n = read(s->fd, buf + h, cap - h);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK && !s->has_read_error) {
                sc_warn("%s", path);
                s->has_read_error = true;
            }
            return 0;
        }
        if (n == 0) {
            if (check_truncated(f, path, s))
                continue;
            return 0;
        }
        s->has_read_error = false;
        s->offset += (off_t)n;
        memcpy(buf, s->hold, h);
        size_t len = h + (size_t)n;
        s->hold_len = 0;
        if (s->want_skip_partial) {
            const char *const nl = memchr(buf, '\n', len);
            if (nl == NULL)
                continue;
            const size_t skip = (size_t)(nl - buf) + 1;
            memmove(buf, buf + skip, len - skip);
            len -= skip;
            s->want_skip_partial = false;
            if (len == 0)
                continue;
        }
        const size_t nl = last_newline(buf, len);
        const size_t rest = nl == len ? len : len - nl - 1;
        if (rest > FOLLOW_HOLD_MAX || (nl == len && s->is_midline)) {
            /* A long line: out in pieces, and we stay on this file. */
            s->is_midline = true;
            return len;
        }
        memcpy(s->hold, buf + len - rest, rest);
        s->hold_len = rest;
        if (nl < len) {
            s->is_midline = false;
            return nl + 1;
        }
        /* No line end yet: read on, up to FOLLOW_HOLD_MAX. */
    }
}

/* Read from s; a retired file past its grace period ends at its EOF. */
static size_t
source_next(struct follow *f, const char *path, struct source *s, char *buf,
            size_t cap, uint64_t now)
{
    if (s->fd < 0)
        return 0;
    const size_t n = source_take(f, path, s, buf, cap);
    if (n > 0 || !s->is_retired || now < s->deadline_ms)
        return n;
    /* Its unfinished last line ends here: the next file follows it. */
    bool done = true;
    const size_t k = s->hold_len > 0 || s->is_midline
                         ? source_flush(s, buf, cap, true, &done)
                         : 0;
    if (done)
        source_close(f, s);
    return k;
}

/* The source that must be read next, because a line of it is half out. */
static struct source *
find_midline(struct follow *f, const char **path)
{
    for (size_t i = 0; i < f->n; i++) {
        struct slot *const sl = &f->slots[i];
        *path = sl->path;
        if (sl->old.is_midline)
            return &sl->old;
        if (sl->cur.is_midline)
            return &sl->cur;
    }
    return NULL;
}

/* One pass over the files: bytes of one of them, or 0. */
static size_t
read_pass(struct follow *f, char *buf, size_t cap, uint64_t now)
{
    const char *path;
    struct source *const mid = find_midline(f, &path);

    if (mid != NULL)
        return source_next(f, path, mid, buf, cap, now);
    for (size_t i = 0; i < f->n; i++) {
        const size_t idx = (f->rr + i) % f->n;
        struct slot *const sl = &f->slots[idx];
        size_t n = source_next(f, sl->path, &sl->old, buf, cap, now);
        if (n == 0)
            n = source_next(f, sl->path, &sl->cur, buf, cap, now);
        if (n > 0) {
            f->rr = (idx + 1) % f->n;
            return n;
        }
    }
    return 0;
}

/* After follow_finish: could a source other than s still hand out bytes? */
static bool
others_have_data(const struct follow *f, const struct source *s)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct source *const two[2] = {&f->slots[i].old,
                                             &f->slots[i].cur};
        for (size_t j = 0; j < 2; j++) {
            const struct source *const o = two[j];
            struct stat st;
            if (o == s || o->fd < 0)
                continue;
            if (o->hold_len > 0 || o->is_midline || !o->is_regular)
                return true;
            if (fstat(o->fd, &st) != 0 || st.st_size != o->offset)
                return true;
        }
    }
    return false;
}

/* Finishing: each file to its end, then its partial line, then close it. */
static size_t
finish_source(struct follow *f, const char *path, struct source *s, char *buf,
              size_t cap)
{
    if (s->fd < 0)
        return 0;
    const size_t n = source_take(f, path, s, buf, cap);
    if (n > 0)
        return n;
    bool done = true;
    size_t k = 0;
    if (s->hold_len > 0 || s->is_midline)
        k = source_flush(s, buf, cap, others_have_data(f, s), &done);
    if (done)
        source_close(f, s);
    return k;
}

static ssize_t
finish_read(struct follow *f, char *buf, size_t cap)
{
    const char *path;
    struct source *const mid = find_midline(f, &path);

    if (mid != NULL) {
        const size_t n = finish_source(f, path, mid, buf, cap);
        if (n > 0)
            return (ssize_t)n;
    }
    for (size_t i = 0; i < f->n; i++) {
        struct slot *const sl = &f->slots[i];
        size_t n = finish_source(f, sl->path, &sl->old, buf, cap);
        if (n == 0)
            n = finish_source(f, sl->path, &sl->cur, buf, cap);
        if (n > 0)
            return (ssize_t)n;
    }
    return 0;
}

/* The name cannot be opened: report it once per streak, if it lasts. */
static void
streak_fail(struct follow *f, struct slot *sl, int err, uint64_t now,
            bool is_start)
{
    if (!sl->in_streak) {
        sl->in_streak = true;
        sl->streak_start_ms = now;
    }
    if (sl->has_reported ||
        (!is_start && now - sl->streak_start_ms < FOLLOW_TICK_MS))
        return;
    errno = err;
    sc_warn("%s: cannot open, will retry", sl->path);
    sl->has_reported = true;
    f->st.open_errors++;
}

static void
streak_end(struct slot *sl)
{
    if (sl->has_reported)
        sc_warnx("%s: readable again, following it", sl->path);
    sl->in_streak = false;
    sl->has_reported = false;
}

/*
 * Open what the name points to now as sl->cur (the caller has moved any
 * previous file out). At start without from_start we begin at the end,
 * and skip the rest of a line in progress: its start is not ours.
 */
static bool
open_cur(struct follow *f, struct slot *sl, uint64_t now, bool is_start,
         bool want_end)
{
    struct source *const s = &sl->cur;
    struct stat st;
    int err;

    const int fd = open(sl->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        streak_fail(f, sl, errno, now, is_start);
        return false;
    }
    err = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (err != 0) {
        (void)close(fd);
        streak_fail(f, sl, err, now, is_start);
        return false;
    }
    assert(s->fd < 0 && s->hold_len == 0);
    s->fd = fd;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->offset = 0;
    s->is_regular = S_ISREG(st.st_mode);
    s->is_retired = false;
    s->is_midline = false;
    s->want_skip_partial = false;
    s->want_flush = false;
    s->has_read_error = false;
    if (want_end && s->is_regular && st.st_size > 0) {
        char last;
        const off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) {
            sc_warn("%s: lseek", sl->path);
        } else {
            s->offset = end;
            s->want_skip_partial =
                pread(fd, &last, 1, end - 1) == 1 && last != '\n';
        }
    }
#ifdef __linux__
    s->wd = add_watch(f, sl->path, FOLLOW_FILE_EVENTS);
#endif
    streak_end(sl);
    return true;
}

/*
 * Has the name moved on to another file? Open it if so. Identity is
 * (st_dev, st_ino) of what stat() finds, following symlinks, so a
 * re-pointed link is a rotation too. Delete and recreate: while we hold
 * the old file open its inode number cannot be handed out again, so the
 * new file differs; where numbers are recycled anyway (some network and
 * FUSE file systems), check_truncated() sees the file shrink below our
 * offset. Residual race: a recreated file that reuses the number and grows
 * past our old offset between two checks is read from that offset, and
 * its start is lost (content fingerprints would catch it, as vector does).
 */
static void
check_slot(struct follow *f, struct slot *sl, uint64_t now)
{
    struct stat st;

    if (stat(sl->path, &st) != 0) {
        /* The old file, if any, is still read meanwhile. */
        streak_fail(f, sl, errno, now, false);
        return;
    }
    if (sl->cur.fd >= 0 && st.st_dev == sl->cur.dev &&
        st.st_ino == sl->cur.ino) {
        streak_end(sl);
        return;
    }
    if (sl->cur.fd < 0) {
        (void)open_cur(f, sl, now, false, false);
        return;
    }
    if (sl->old.fd >= 0) {
        /* Rotated again within the grace period: let the oldest go at
         * its end; source_close() asks for the next check. */
        sl->old.deadline_ms = now;
        return;
    }
    /* Rotation: swap the structs, the closed one keeps its buffer. */
    const struct source tmp = sl->old;
    sl->old = sl->cur;
    sl->cur = tmp;
    if (!open_cur(f, sl, now, false, false)) {
        /* Not openable yet (EACCES, or gone again): keep reading the
         * file we have, as the current one. */
        const struct source back = sl->cur;
        sl->cur = sl->old;
        sl->old = back;
        return;
    }
    sl->old.is_retired = true;
    sl->old.deadline_ms = now + FOLLOW_GRACE_MS;
    f->st.rotations++;
}

static void
check_paths(struct follow *f, uint64_t now)
{
    f->want_check = false;
    f->last_check_ms = now;
    for (size_t i = 0; i < f->n; i++)
        check_slot(f, &f->slots[i], now);
}

/* Read the queued events; any but a plain write may mean a new file. */
static void
drain_events(struct follow *f)
{
#ifdef __linux__
    _Alignas(struct inotify_event) char ev_buf[4096];

    while (f->ino_fd >= 0) {
        const ssize_t n = read(f->ino_fd, ev_buf, sizeof(ev_buf));
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            sc_warn("inotify");
            switch_to_polling(f, "cannot read inotify events");
            return;
        }
        if (n == 0)
            return;
        for (size_t off = 0; off + sizeof(struct inotify_event) <= (size_t)n;) {
            const struct inotify_event *const ev =
                (const struct inotify_event *)(const void *)(ev_buf + off);
            if ((ev->mask & ~(uint32_t)IN_MODIFY) != 0)
                f->want_check = true;
            off += sizeof(*ev) + ev->len;
        }
    }
#else
    (void)f;
#endif
}

/* Wait for an event or timeout_ms. -1 with errno EINTR on a signal. */
static int
wait_events(struct follow *f, unsigned timeout_ms)
{
    struct pollfd pfd;

    if (f->ino_fd < 0) {
        if (timeout_ms > FOLLOW_POLL_MS)
            timeout_ms = FOLLOW_POLL_MS;
        if (poll(NULL, 0, (int)timeout_ms) < 0)
            return -1;
        return 0;
    }
    pfd.fd = f->ino_fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    const int rc = poll(&pfd, 1, (int)timeout_ms);
    if (rc < 0)
        return -1;
    if (rc > 0 && (pfd.revents & (POLLERR | POLLNVAL | POLLHUP)) != 0)
        switch_to_polling(f, "inotify failed");
    else if (rc > 0)
        drain_events(f);
    return 0;
}

static char *
dir_of(const char *path)
{
    const char *const slash = strrchr(path, '/');

    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xmemdup0(path, (size_t)(slash - path));
}

struct follow *
follow_new(char *const *paths, size_t n, bool from_start)
{
    if (n == 0) {
        sc_warnx("follow: no file to follow");
        return NULL;
    }
    struct follow *const f = xcalloc(1, sizeof(*f));
    f->slots = xcalloc(n, sizeof(*f->slots));
    f->n = n;
    f->ino_fd = -1;
#ifdef __linux__
    f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->ino_fd < 0) {
        const int err = errno;
        sc_warnx("cannot use inotify (%s); polling the files for changes "
                 "instead",
                 strerror(err));
    }
#endif
    const uint64_t now = clock_ms(f);
    f->last_check_ms = now;
    for (size_t i = 0; i < n; i++) {
        struct slot *const sl = &f->slots[i];
        sl->path = paths[i];
        source_init(&sl->old);
        source_init(&sl->cur);
        /* The directory tells us when the name is created or replaced.
         * Watches on one inode are one watch, and go with ino_fd. */
        char *const dir = dir_of(sl->path);
#ifdef __linux__
        (void)add_watch(f, dir, FOLLOW_DIR_EVENTS);
#endif
        free(dir);
        (void)open_cur(f, sl, now, true, !from_start);
    }
    return f;
}

void
follow_free(struct follow *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        struct slot *const sl = &f->slots[i];
        if (sl->old.fd >= 0)
            (void)close(sl->old.fd);
        if (sl->cur.fd >= 0)
            (void)close(sl->cur.fd);
        free(sl->old.hold);
        free(sl->cur.hold);
    }
    if (f->ino_fd >= 0)
        (void)close(f->ino_fd);
    free(f->slots);
    free(f);
}

ssize_t
follow_read(void *ctx, char *buf, size_t cap)
{
    struct follow *const f = ctx;
    bool has_waited = false;

    assert(cap > 0);
    if (f->is_finished)
        return finish_read(f, buf, cap);
    for (;;) {
        const uint64_t now = clock_ms(f);
        size_t n = read_pass(f, buf, cap, now);
        if (n > 0)
            return (ssize_t)n;
        const bool is_due = now - f->last_check_ms >= FOLLOW_TICK_MS;
        if (f->want_check || is_due) {
            check_paths(f, now);
            n = read_pass(f, buf, cap, now);
            if (n > 0)
                return (ssize_t)n;
            if (f->want_check)
                continue; /* a retired file just closed: rotate now */
            if (is_due && has_waited) {
                /* An idle second: let the caller look at its signal
                 * flags, in case a signal came just before poll(). */
                errno = EINTR;
                return -1;
            }
        }
        const uint64_t since = now - f->last_check_ms;
        const unsigned timeout =
            since >= FOLLOW_TICK_MS ? 0 : FOLLOW_TICK_MS - (unsigned)since;
        if (wait_events(f, timeout) != 0)
            return -1;
        has_waited = true;
    }
}

void
follow_finish(struct follow *f)
{
    f->is_finished = true;
}

void
follow_get_stats(const struct follow *f, struct follow_stats *st)
{
    *st = f->st;
}

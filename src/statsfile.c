/*
 * statsfile.c: atomic replacement of a counters file, for node_exporter's
 * textfile collector and scripts. It does not format anything (export_*
 * do) nor decide when to write (main's timer and signals do). Readers see
 * the old file or the new one, never a mix, never a truncated one.
 */
#include "statsfile.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

/*
 * path, lock and tmp are owned and never NULL; tmp and lock are in the
 * directory of path, and their names start with '.' and do not end in
 * ".prom". lock_fd holds the flock for the object's whole life.
 * n_streak > 0 exactly while the last write failed (the streak was
 * reported when it started).
 */
struct statsfile {
    char *path;
    char *lock;
    char *tmp;
    char *tmp_prefix; /* ".NAME.tmp.": stale temporaries start so */
    char *dir;        /* the directory part, "." when path has none */
    int lock_fd;
    uint64_t n_errors;
    uint64_t n_streak;
};

/* "DIR/" + "." + base + suffix, or "." + base + suffix without a DIR. */
static char *
sibling_name(const char *path, size_t dir_len, const char *suffix)
{
    const char *const base = path + dir_len;
    const size_t n = dir_len + 1 + strlen(base) + strlen(suffix) + 1;
    char *const s = xmalloc(n);

    (void)snprintf(s, n, "%.*s.%s%s", (int)dir_len, path, base, suffix);
    return s;
}

/*
 * A temporary file left by an instance that was killed mid-write (its PID
 * is in the name) would otherwise stay forever; we hold the lock, so no
 * other writer can be using one. Best effort: failures are harmless.
 */
static void
remove_stale_temporaries(const struct statsfile *sf)
{
    DIR *const d = opendir(sf->dir);
    const size_t prefix_len = strlen(sf->tmp_prefix);
    const struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        const char *const name = e->d_name;
        const size_t len = strlen(name);

        if (len <= prefix_len || memcmp(name, sf->tmp_prefix, prefix_len) != 0)
            continue;
        if (strspn(name + prefix_len, "0123456789") != len - prefix_len)
            continue;
        /* The directory is sf->dir, but unlink needs a path. */
        const size_t n = strlen(sf->dir) + 1 + len + 1;
        char *const p = xmalloc(n);
        (void)snprintf(p, n, "%s/%s", sf->dir, name);
        (void)unlink(p);
        free(p);
    }
    (void)closedir(d);
}

struct statsfile *
statsfile_open(const char *path, struct sc_err *err)
{
    const char *const slash = strrchr(path, '/');
    const size_t dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
    struct statsfile *sf;
    struct stat st;
    char suffix[40];

    if (path[dir_len] == '\0' || strcmp(path + dir_len, ".") == 0 ||
        strcmp(path + dir_len, "..") == 0) {
        sc_err_set(err, path, 0, "not a file name");
        return NULL;
    }
    sf = xcalloc(1, sizeof(*sf));
    sf->lock_fd = -1;
    sf->path = xstrdup(path);
    if (dir_len == 0)
        sf->dir = xstrdup(".");
    else if (dir_len == 1)
        sf->dir = xstrdup("/");
    else
        sf->dir = xmemdup0(path, dir_len - 1);
    sf->lock = sibling_name(path, dir_len, ".lock");
    (void)snprintf(suffix, sizeof(suffix), ".tmp.%ld", (long)getpid());
    sf->tmp = sibling_name(path, dir_len, suffix);
    sf->tmp_prefix = sibling_name(path + dir_len, 0, ".tmp.");

    if (stat(sf->dir, &st) != 0) {
        sc_err_set(err, path, 0, "cannot use directory '%s': %s", sf->dir,
                   strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(st.st_mode)) {
        sc_err_set(err, path, 0, "'%s' is not a directory", sf->dir);
        goto fail;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        sc_err_set(err, path, 0, "is a directory");
        goto fail;
    }
    sf->lock_fd = open(sf->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (sf->lock_fd < 0) {
        sc_err_set(err, path, 0, "cannot create lock file '%s': %s", sf->lock,
                   strerror(errno));
        goto fail;
    }
    /* flock, not fcntl locks: closing any other descriptor of the lock
     * file would silently drop an fcntl lock. */
    if (flock(sf->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            sc_err_set(err, path, 0, "another smtpclass writes this file");
        else
            sc_err_set(err, path, 0, "cannot lock '%s': %s", sf->lock,
                       strerror(errno));
        goto fail;
    }
    remove_stale_temporaries(sf);
    return sf;

fail:
    statsfile_close(sf);
    return NULL;
}

void
statsfile_close(struct statsfile *sf)
{
    if (sf == NULL)
        return;
    /* The lock file stays: unlinking it would let a third process lock
     * a new inode while a second one still waits on this one. */
    if (sf->lock_fd >= 0)
        (void)close(sf->lock_fd);
    free(sf->path);
    free(sf->lock);
    free(sf->tmp);
    free(sf->tmp_prefix);
    free(sf->dir);
    free(sf);
}

/* write(2) all of buf: short writes continue, EINTR retries. */
static int
write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        const ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * The steps of one replacement; errno tells why one failed. The data is
 * synced before the rename, so that after a crash the name holds either
 * the old or the new content, never an empty file.
 */
static int
replace(const struct statsfile *sf, const char *text, size_t len)
{
    int fd;

    /* Ours from an earlier failed attempt, or a dead process's with the
     * same PID; O_EXCL below still refuses whatever appears meanwhile. */
    if (unlink(sf->tmp) != 0 && errno != ENOENT)
        return -1;
    fd = open(sf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        const int saved = errno;
        (void)close(fd);
        errno = saved;
        return -1;
    }
    /* After a successful fsync, EINTR from close loses nothing (Linux
     * has closed the descriptor anyway); anything else is a failure. */
    if (close(fd) != 0 && errno != EINTR)
        return -1;
    return rename(sf->tmp, sf->path);
}

int
statsfile_write(struct statsfile *sf, const char *text, size_t len)
{
    assert(sf != NULL);
    assert(text != NULL || len == 0);
    if (replace(sf, text != NULL ? text : "", len) == 0) {
        if (sf->n_streak > 0)
            sc_warnx("%s: updated again after %" PRIu64 " failed %s", sf->path,
                     sf->n_streak, sf->n_streak == 1 ? "write" : "writes");
        sf->n_streak = 0;
        return 0;
    }
    const int saved = errno;
    (void)unlink(sf->tmp);
    sf->n_errors++;
    if (sf->n_streak++ == 0)
        sc_warnx("%s: not updated: %s; keeping the previous file", sf->path,
                 strerror(saved));
    errno = saved;
    return -1;
}

uint64_t
statsfile_errors(const struct statsfile *sf)
{
    return sf != NULL ? sf->n_errors : 0;
}

/*
 * test_follow.c: follow_read driven directly on files in a scratch
 * directory: start at the end or at the start, appended lines, a partial
 * line held until its '\n', rename+create rotation (lines written to the
 * old file in between, and during the grace period), copytruncate (its
 * held partial line flushed as it is), delete and recreate, a re-pointed
 * symlink, two files whose lines never mix, a line longer than the hold
 * buffer, tiny reads, follow_finish, a file that appears later, polling
 * without inotify, EINTR on a signal, and no fd or inotify watch leak
 * across 1000 rotations. alarm() bounds every test.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"

static char dir[] = "/tmp/test_follow.XXXXXX";
static struct follow *f;

/* Everything follow_read handed out, and how. */
static char got[1 << 20];
static size_t got_len;

static void
setup(void)
{
    alarm(30); /* a bug must fail the test, not hang it */
    cr_assert_not_null(mkdtemp(dir));
    got_len = 0;
    f = NULL;
}

/* The scratch directory is flat: files and symlinks only. */
static void
teardown(void)
{
    DIR *const d = opendir(dir);
    const struct dirent *e;
    char path[512];

    follow_free(f);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        (void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        (void)unlink(path);
    }
    (void)closedir(d);
    (void)rmdir(dir);
}

TestSuite(follow, .init = setup, .fini = teardown);

static char *
path_of(const char *name)
{
    static char bufs[4][512];
    static unsigned k;
    char *const p = bufs[k++ % 4];

    (void)snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
    return p;
}

static void
write_str(int fd, const char *s)
{
    const size_t len = strlen(s);
    cr_assert_eq((ssize_t)len, write(fd, s, len));
}

/* Append s to the file at name (created if missing). */
static void
append(const char *name, const char *s)
{
    const int fd = open(path_of(name), O_WRONLY | O_CREAT | O_APPEND, 0644);
    cr_assert_geq(fd, 0);
    write_str(fd, s);
    cr_assert_eq(0, close(fd));
}

static int
open_append(const char *name)
{
    const int fd = open(path_of(name), O_WRONLY | O_CREAT | O_APPEND, 0644);
    cr_assert_geq(fd, 0);
    return fd;
}

static void
start(const char *const *names, size_t n, bool from_start)
{
    static char *paths[8];

    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++)
        paths[i] = strdup(path_of(names[i]));
    f = follow_new(paths, n, from_start);
    cr_assert_not_null(f);
}

/*
 * One call with the idle-tick EINTRs retried; returns the bytes (also
 * appended to got). Every chunk but a forced piece ends with '\n'.
 */
static size_t
read_chunk(char *buf, size_t cap)
{
    for (;;) {
        const ssize_t n = follow_read(f, buf, cap);
        if (n < 0) {
            cr_assert_eq(EINTR, errno);
            continue;
        }
        cr_assert_leq((size_t)n, cap);
        cr_assert_lt(got_len + (size_t)n, sizeof(got));
        memcpy(got + got_len, buf, (size_t)n);
        got_len += (size_t)n;
        return (size_t)n;
    }
}

/* Read until got holds at least len bytes; each chunk ends a line. */
static void
read_until(size_t len)
{
    static char buf[256 * 1024];

    while (got_len < len) {
        const size_t n = read_chunk(buf, sizeof(buf));
        cr_assert_gt(n, 0);
        cr_assert_eq('\n', buf[n - 1], "a chunk ends in mid-line");
    }
}

/* The next bytes read are exactly want. */
static void
expect(const char *want)
{
    const size_t before = got_len;
    const size_t len = strlen(want);

    read_until(before + len);
    cr_assert_eq(before + len, got_len, "read more than expected: '%.*s'",
                 (int)(got_len - before), got + before);
    cr_assert_arr_eq(want, got + before, len, "want '%s', got '%.*s'", want,
                     (int)len, got + before);
}

/* Nothing to read: the call waits and ends with an idle-tick EINTR. */
static void
expect_quiet(void)
{
    char buf[64];

    const ssize_t n = follow_read(f, buf, sizeof(buf));
    cr_assert_eq(-1, n, "unexpected bytes: '%.*s'", n > 0 ? (int)n : 0, buf);
    cr_assert_eq(EINTR, errno);
}

static struct follow_stats
stats(void)
{
    struct follow_stats st;
    follow_get_stats(f, &st);
    return st;
}

Test(follow, from_start_reads_what_is_there_then_appended_lines)
{
    append("a.log", "one\ntwo\n");
    start((const char *[]){"a.log"}, 1, true);
    expect("one\ntwo\n");
    append("a.log", "three\n");
    expect("three\n");
}

Test(follow, default_starts_at_the_end)
{
    append("a.log", "old1\nold2\n");
    start((const char *[]){"a.log"}, 1, false);
    append("a.log", "new\n");
    expect("new\n");
}

Test(follow, at_the_end_skips_the_rest_of_a_line_in_progress)
{
    append("a.log", "old\nhalf of a li");
    start((const char *[]){"a.log"}, 1, false);
    append("a.log", "ne\nnew\n");
    expect("new\n");
}

Test(follow, holds_a_partial_line_until_its_newline)
{
    append("a.log", "");
    start((const char *[]){"a.log"}, 1, false);
    append("a.log", "line ");
    expect_quiet();
    append("a.log", "2\n");
    expect("line 2\n");
}

Test(follow, rename_and_create_drains_the_old_file_first)
{
    const int old_fd = open_append("a.log");
    start((const char *[]){"a.log"}, 1, true);
    write_str(old_fd, "1\n");
    expect("1\n");
    cr_assert_eq(0, rename(path_of("a.log"), path_of("a.log.1")));
    write_str(old_fd, "2\n"); /* after the rename, before the create */
    append("a.log", "3\n");
    expect("2\n3\n");
    /* The old file's writer has not reopened yet: still read (grace). */
    write_str(old_fd, "4\n");
    expect("4\n");
    append("a.log", "5\n");
    expect("5\n");
    cr_assert_eq(0, close(old_fd));
    cr_assert_eq(1, stats().rotations);
    cr_assert_eq(0, stats().truncations);
    cr_assert_eq(0, stats().open_errors);
}

Test(follow, rotation_while_the_name_is_missing_keeps_reading_the_old_file)
{
    const int old_fd = open_append("a.log");
    start((const char *[]){"a.log"}, 1, true);
    cr_assert_eq(0, rename(path_of("a.log"), path_of("a.log.1")));
    write_str(old_fd, "1\n");
    expect("1\n");
    expect_quiet();
    write_str(old_fd, "2\n");
    expect("2\n");
    append("a.log", "3\n");
    expect("3\n");
    cr_assert_eq(0, close(old_fd));
    cr_assert_eq(1, stats().rotations);
}

Test(follow, copytruncate_restarts_at_zero_without_duplicates)
{
    append("a.log", "1\n2\n3\n");
    start((const char *[]){"a.log"}, 1, true);
    expect("1\n2\n3\n");
    const int fd = open(path_of("a.log"), O_WRONLY | O_TRUNC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(0, close(fd));
    append("a.log", "4\n");
    expect("4\n");
    append("a.log", "5\n");
    expect("5\n");
    cr_assert_eq(1, stats().truncations);
    cr_assert_eq(0, stats().rotations);
}

Test(follow, copytruncate_flushes_the_held_partial_line_as_it_is)
{
    char buf[64];
    ssize_t n = -1;

    append("a.log", "");
    start((const char *[]){"a.log"}, 1, true);
    append("a.log", "held");
    expect_quiet(); /* held back: no '\n' yet */
    const int fd = open(path_of("a.log"), O_WRONLY | O_TRUNC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(0, close(fd));
    /* Out at once, ended by a '\n': not kept to be continued (RC-04). A
     * few idle ticks at most, so a kept partial fails, not hangs. */
    for (int i = 0; i < 3 && n < 0; i++) {
        n = follow_read(f, buf, sizeof(buf));
        cr_assert(n >= 0 || errno == EINTR);
    }
    cr_assert_eq(5, n, "want 'held\\n', got %zd bytes: '%.*s'", n,
                 n > 0 ? (int)n : 0, buf);
    cr_assert_arr_eq("held\n", buf, 5);
    append("a.log", "new\n");
    expect("new\n");
    cr_assert_eq(1, stats().truncations);
}

Test(follow, delete_and_recreate_reads_the_new_file_from_its_start)
{
    append("a.log", "1\n");
    start((const char *[]){"a.log"}, 1, true);
    expect("1\n");
    cr_assert_eq(0, unlink(path_of("a.log")));
    append("a.log", "2\n3\n");
    expect("2\n3\n");
    cr_assert_eq(1, stats().rotations);
}

Test(follow, recreated_with_the_same_inode_is_seen_as_truncated)
{
    /* An inode number can be reused only once nobody holds the file: so
     * imitate the reuse by a rewrite in place that shrinks the file. */
    append("a.log", "first file line 1\nfirst file line 2\n");
    start((const char *[]){"a.log"}, 1, true);
    expect("first file line 1\nfirst file line 2\n");
    const int fd = open(path_of("a.log"), O_WRONLY | O_TRUNC);
    cr_assert_geq(fd, 0);
    write_str(fd, "second\n");
    cr_assert_eq(0, close(fd));
    expect("second\n");
    cr_assert_eq(1, stats().truncations);
}

Test(follow, follows_a_re_pointed_symlink)
{
    append("a.2026-01", "a1\n");
    cr_assert_eq(0, symlink("a.2026-01", path_of("mail.log")));
    start((const char *[]){"mail.log"}, 1, true);
    expect("a1\n");
    append("a.2026-02", "b1\n");
    cr_assert_eq(0, symlink("a.2026-02", path_of("mail.log.tmp")));
    cr_assert_eq(0, rename(path_of("mail.log.tmp"), path_of("mail.log")));
    expect("b1\n");
    append("a.2026-02", "b2\n");
    expect("b2\n");
    cr_assert_eq(1, stats().rotations);
}

/* Lines of got: each chunk is checked separately by the caller. */
static void
check_one_file_per_chunk(const char *chunk, size_t n)
{
    cr_assert_gt(n, 0);
    const char first = chunk[0];
    for (size_t i = 0; i < n; i++)
        if (i == 0 || chunk[i - 1] == '\n')
            cr_assert_eq(first, chunk[i], "two files in one chunk");
}

Test(follow, lines_of_two_files_never_mix)
{
    enum { N_LINES = 300 };
    static char buf[64 * 1024];
    char line[64];
    unsigned next[2] = {0, 0};
    const int fds[2] = {open_append("A.log"), open_append("B.log")};

    start((const char *[]){"A.log", "B.log"}, 2, true);
    for (unsigned i = 0; i < N_LINES; i++) {
        /* Each line goes in two writes, the files interleaved. */
        for (int k = 0; k < 2; k++) {
            (void)snprintf(line, sizeof(line), "%c line %u\n", "AB"[k], i);
            const size_t half = strlen(line) / 2;
            cr_assert_eq((ssize_t)half, write(fds[k], line, half));
        }
        for (int k = 0; k < 2; k++) {
            (void)snprintf(line, sizeof(line), "%c line %u\n", "AB"[k], i);
            write_str(fds[k], line + strlen(line) / 2);
        }
        /* Read a little now and then, so reads meet half lines. */
        if (i % 7 == 0) {
            const size_t n = read_chunk(buf, sizeof(buf));
            check_one_file_per_chunk(buf, n);
        }
    }
    size_t want = 0;
    for (unsigned i = 0; i < N_LINES; i++)
        want += 2 * (size_t)snprintf(line, sizeof(line), "A line %u\n", i);
    while (got_len < want) {
        const size_t n = read_chunk(buf, sizeof(buf));
        check_one_file_per_chunk(buf, n);
    }
    cr_assert_eq(want, got_len);
    /* Each file's lines in order, once each. */
    for (const char *p = got; p < got + got_len;) {
        const char *const nl = memchr(p, '\n', (size_t)(got + got_len - p));
        cr_assert_not_null(nl);
        const int k = p[0] == 'A' ? 0 : 1;
        (void)snprintf(line, sizeof(line), "%c line %u\n", "AB"[k], next[k]);
        cr_assert_eq(strlen(line), (size_t)(nl - p + 1));
        cr_assert_arr_eq(line, p, strlen(line));
        next[k]++;
        p = nl + 1;
    }
    cr_assert_eq(N_LINES, next[0]);
    cr_assert_eq(N_LINES, next[1]);
    cr_assert_eq(0, close(fds[0]));
    cr_assert_eq(0, close(fds[1]));
}

Test(follow, a_line_longer_than_the_hold_buffer_comes_out_whole_in_pieces)
{
    enum { LONG = 200 * 1024 };
    static char big[LONG + 1];
    static char buf[16 * 1024];
    size_t n_b = 1;

    memset(big, 'x', LONG);
    big[0] = 'A';
    append("A.log", "");
    append("B.log", "");
    start((const char *[]){"A.log", "B.log"}, 2, true);
    const int fa = open_append("A.log");
    cr_assert_eq(LONG, write(fa, big, LONG)); /* no '\n' yet */
    append("B.log", "B1\n");
    /* While A's line goes out, B gets a line per piece. */
    size_t a_bytes = 0;
    while (a_bytes < LONG) {
        const size_t n = read_chunk(buf, sizeof(buf));
        if (buf[0] != 'B' || a_bytes > 0) {
            a_bytes += n;
            append("B.log", "B2\n");
            n_b++;
        }
    }
    write_str(fa, "\n");
    cr_assert_eq(0, close(fa));
    while (got_len < LONG + 1 + 3 * n_b)
        cr_assert_gt(read_chunk(buf, sizeof(buf)), 0);
    cr_assert_eq(LONG + 1 + 3 * n_b, got_len);
    /* A's line is contiguous, and B's lines are whole. */
    const char *const a = memchr(got, 'A', got_len);
    cr_assert_not_null(a);
    const size_t off = (size_t)(a - got);
    cr_assert(off == 0 || got[off - 1] == '\n');
    for (size_t i = 1; i < LONG; i++)
        cr_assert_eq('x', a[i], "A's line broken at byte %zu", i);
    cr_assert_eq('\n', a[LONG]);
    for (size_t i = 0; i < got_len; i += 3) {
        if (i == off) {
            i += LONG + 1 - 3;
            continue;
        }
        cr_assert_eq('B', got[i]);
        cr_assert_eq('\n', got[i + 2]);
    }
}

Test(follow, tiny_reads_return_the_lines_in_pieces_in_order)
{
    char buf[3];
    const char *const want = "first line\nsecond\n";

    append("a.log", want);
    start((const char *[]){"a.log"}, 1, true);
    while (got_len < strlen(want))
        cr_assert_gt(read_chunk(buf, sizeof(buf)), 0);
    cr_assert_eq(strlen(want), got_len);
    cr_assert_arr_eq(want, got, got_len);
}

Test(follow, finish_returns_the_held_partial_as_it_is_then_end)
{
    char buf[64];

    append("a.log", "a\nhalf");
    start((const char *[]){"a.log"}, 1, true);
    expect("a\n");
    follow_finish(f);
    const ssize_t n = follow_read(f, buf, sizeof(buf));
    cr_assert_eq(4, n);
    cr_assert_arr_eq("half", buf, 4);
    cr_assert_eq(0, follow_read(f, buf, sizeof(buf)));
    cr_assert_eq(0, follow_read(f, buf, sizeof(buf)));
}

Test(follow, finish_ends_each_partial_but_the_last_with_a_newline)
{
    char buf[64];
    size_t len = 0;

    append("A.log", "A1\nA-half");
    append("B.log", "B-half");
    start((const char *[]){"A.log", "B.log"}, 2, true);
    expect("A1\n");
    append("B.log", " more");
    follow_finish(f);
    for (;;) {
        const ssize_t n = follow_read(f, buf + len, sizeof(buf) - len);
        cr_assert_geq(n, 0);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    const char *const want = "A-half\nB-half more";
    cr_assert_eq(strlen(want), len);
    cr_assert_arr_eq(want, buf, len);
}

Test(follow, finish_does_not_wait)
{
    char buf[64];

    append("a.log", "x\n");
    start((const char *[]){"a.log"}, 1, true);
    expect("x\n");
    follow_finish(f);
    const time_t t0 = time(NULL);
    cr_assert_eq(0, follow_read(f, buf, sizeof(buf)));
    cr_assert_leq(time(NULL) - t0, 1);
}

Test(follow, a_missing_file_is_read_from_its_start_once_it_appears)
{
    start((const char *[]){"later.log"}, 1, false);
    cr_assert_eq(1, stats().open_errors);
    expect_quiet();
    append("later.log", "first\nsecond\n");
    expect("first\nsecond\n");
    cr_assert_eq(1, stats().open_errors); /* one report per streak */
    cr_assert_eq(0, stats().rotations);
}

Test(follow, an_unreadable_new_file_is_retried_and_reported_once)
{
    if (geteuid() == 0) {
        /* Root reads any file: become nobody (this process only). */
        cr_assert_eq(0, chown(dir, 65534, 65534));
        cr_assert_eq(0, setgid(65534));
        cr_assert_eq(0, setuid(65534));
    }
    const int old_fd = open_append("a.log");
    start((const char *[]){"a.log"}, 1, true);
    cr_assert_eq(0, rename(path_of("a.log"), path_of("a.log.1")));
    append("a.log", "new\n");
    cr_assert_eq(0, chmod(path_of("a.log"), 0));
    write_str(old_fd, "old\n");
    expect("old\n"); /* the old file is still drained */
    expect_quiet();
    expect_quiet();
    cr_assert_eq(1, stats().open_errors);
    cr_assert_eq(0, chmod(path_of("a.log"), 0644));
    expect("new\n");
    cr_assert_eq(1, stats().open_errors);
    cr_assert_eq(1, stats().rotations);
    cr_assert_eq(0, close(old_fd));
}

static void
on_usr1(int sig)
{
    (void)sig;
}

Test(follow, a_signal_interrupts_the_wait_with_eintr)
{
    struct sigaction sa;
    char buf[64];

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1; /* no SA_RESTART */
    cr_assert_eq(0, sigaction(SIGUSR1, &sa, NULL));
    append("a.log", "");
    start((const char *[]){"a.log"}, 1, false);
    const pid_t parent = getpid();
    const pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        const struct timespec ts = {0, 200 * 1000 * 1000};
        (void)nanosleep(&ts, NULL);
        (void)kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec t0, t1;
    cr_assert_eq(0, clock_gettime(CLOCK_MONOTONIC, &t0));
    cr_assert_eq(-1, follow_read(f, buf, sizeof(buf)));
    cr_assert_eq(EINTR, errno);
    cr_assert_eq(0, clock_gettime(CLOCK_MONOTONIC, &t1));
    const double dt = (double)(t1.tv_sec - t0.tv_sec) +
                      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(dt, 0.9, "took %.3f s", dt);
    cr_assert_eq(child, waitpid(child, NULL, 0));
}

/* Open descriptors, and inotify watches over all inotify descriptors. */
static void
count_fds(unsigned *n_fds, unsigned *n_watches)
{
    DIR *const d = opendir("/proc/self/fd");
    const struct dirent *e;
    char path[512], target[256], line[512];

    cr_assert_not_null(d);
    *n_fds = 0;
    *n_watches = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        (*n_fds)++;
        (void)snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        const ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        if (strstr(target, "inotify") == NULL)
            continue;
        (void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", e->d_name);
        FILE *const fp = fopen(path, "r");
        cr_assert_not_null(fp);
        while (fgets(line, sizeof(line), fp) != NULL)
            if (strncmp(line, "inotify wd:", 11) == 0)
                (*n_watches)++;
        cr_assert_eq(0, fclose(fp));
    }
    cr_assert_eq(0, closedir(d));
}

Test(follow, no_fd_or_watch_leak_across_1000_rotations, .timeout = 120)
{
    char line[64];
    unsigned fds0, watches0, fds1, watches1;

    alarm(120);
    if (access("/proc/self/fdinfo", R_OK) != 0)
        cr_skip_test("no /proc");
    append("a.log", "start\n");
    start((const char *[]){"a.log"}, 1, true);
    expect("start\n");
    count_fds(&fds0, &watches0);
    for (unsigned i = 0; i < 1000; i++) {
        cr_assert_eq(0, rename(path_of("a.log"), path_of("a.log.1")));
        (void)snprintf(line, sizeof(line), "%u\n", i);
        append("a.log", line);
        expect(line);
    }
    count_fds(&fds1, &watches1);
    cr_assert_eq(1000, stats().rotations);
    /* At most the last rotated file, in its grace period, on top. */
    cr_assert_leq(fds1, fds0 + 1, "fds: %u before, %u after", fds0, fds1);
    cr_assert_leq(watches1, watches0 + 1, "watches: %u before, %u after",
                  watches0, watches1);
}

Test(follow, polls_when_inotify_is_unavailable)
{
    struct rlimit rl;
    int fds[64];
    int n = 0;

    /* Use up every descriptor, so inotify_init1 and open fail. */
    append("a.log", "1\n");
    cr_assert_eq(0, getrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = 32;
    cr_assert_eq(0, setrlimit(RLIMIT_NOFILE, &rl));
    for (;;) {
        const int fd = dup(0);
        if (fd < 0)
            break;
        cr_assert_lt(n, 64);
        fds[n++] = fd;
    }
    cr_assert_eq(EMFILE, errno);
    start((const char *[]){"a.log"}, 1, true);
    for (int i = 0; i < n; i++)
        cr_assert_eq(0, close(fds[i]));
    /* The file could not be opened at start either: read from 0. */
    expect("1\n");
    append("a.log", "2\n");
    expect("2\n");
    cr_assert_eq(0, rename(path_of("a.log"), path_of("a.log.1")));
    append("a.log", "3\n");
    expect("3\n");
    cr_assert_eq(1, stats().rotations);
}

/*
 * test_monitor.c: the two ways counters leave a long-running smtpclass.
 * statsfile: atomic replacement (a reader holding the old file keeps the
 * old content), no temporary left, the lock against a second writer,
 * failures (write error midway, directory gone) keep the old file, count,
 * and warn once per streak. httpd: a plain-socket client checks 503 before
 * the first publish, 200 with the Prometheus content type, HEAD, 404, 405,
 * address parsing, "address in use", idle connections and resets.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "msg.h"
#include "statsfile.h"

/* ---- helpers ------------------------------------------------------------ */

static char dir[64];
static char path[128];

/* Remove dir and what it holds (one level of subdirectories). */
static void
remove_tree(const char *d)
{
    DIR *const dp = opendir(d);
    const struct dirent *e;

    if (dp == NULL)
        return;
    while ((e = readdir(dp)) != NULL) {
        char p[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        (void)snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
        if (unlink(p) != 0 && errno == EISDIR)
            remove_tree(p);
        else
            (void)rmdir(p);
    }
    (void)closedir(dp);
    (void)rmdir(d);
}

static void
sf_setup(void)
{
    cr_redirect_stderr();
    (void)snprintf(dir, sizeof(dir), "/tmp/sc-monitor.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    (void)snprintf(path, sizeof(path), "%s/smtpclass.prom", dir);
}

static void
sf_teardown(void)
{
    remove_tree(dir);
}

/* The whole file as a NUL-terminated string (static buffer). */
static const char *
slurp(const char *p)
{
    static char buf[4096];
    const int fd = open(p, O_RDONLY);
    ssize_t n;

    cr_assert(fd >= 0, "cannot open %s: %s", p, strerror(errno));
    n = read(fd, buf, sizeof(buf) - 1);
    cr_assert(n >= 0);
    buf[n] = '\0';
    (void)close(fd);
    return buf;
}

/* Directory entries other than . and .., sorted names joined by ' '. */
static const char *
list_dir(const char *d)
{
    static char buf[1024];
    struct dirent **names;
    const int n = scandir(d, &names, NULL, alphasort);
    size_t len = 0;

    cr_assert(n >= 0);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *const s = names[i]->d_name;
        if (strcmp(s, ".") != 0 && strcmp(s, "..") != 0)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
                                    len > 0 ? " " : "", s);
        free(names[i]);
    }
    free(names);
    return buf;
}

/* Number of lines written to the redirected stderr so far. */
static const char *
stderr_text(void)
{
    static char buf[4096];
    FILE *const f = cr_get_redirected_stderr();
    size_t n;

    (void)fflush(stderr);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    return buf;
}

static unsigned
count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* ---- statsfile ---------------------------------------------------------- */

TestSuite(statsfile, .init = sf_setup, .fini = sf_teardown);

Test(statsfile, writes_and_replaces_content)
{
    struct sc_err err = {0};
    struct statsfile *const sf = statsfile_open(path, &err);

    cr_assert_not_null(sf, "%s", err.msg);
    cr_assert_eq(0, statsfile_write(sf, "a 1\n", 4));
    cr_assert_str_eq("a 1\n", slurp(path));
    cr_assert_eq(0, statsfile_write(sf, "a 2\nb 3\n", 8));
    cr_assert_str_eq("a 2\nb 3\n", slurp(path));
    cr_assert_eq(0, statsfile_write(sf, "", 0));
    cr_assert_str_eq("", slurp(path));
    cr_assert_eq(0, statsfile_errors(sf));
    /* Nothing but the file and the lock: no temporary is left. */
    cr_assert_str_eq(".smtpclass.prom.lock smtpclass.prom", list_dir(dir));
    statsfile_close(sf);
    cr_assert_str_eq("", stderr_text());
}

/*
 * A reader that opened the old file keeps reading the old content: the new
 * one is a different inode renamed over the name, never the old one
 * truncated and rewritten in place.
 */
Test(statsfile, replaces_by_rename_not_in_place)
{
    struct sc_err err = {0};
    struct statsfile *const sf = statsfile_open(path, &err);
    struct stat before, after;
    char buf[16] = {0};

    cr_assert_not_null(sf, "%s", err.msg);
    cr_assert_eq(0, statsfile_write(sf, "old 1\n", 6));
    const int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(0, fstat(fd, &before));
    cr_assert_eq(0, statsfile_write(sf, "new 22\n", 7));
    cr_assert_eq(6, read(fd, buf, sizeof(buf) - 1));
    cr_assert_str_eq("old 1\n", buf);
    cr_assert_eq(0, stat(path, &after));
    cr_assert_neq(before.st_ino, after.st_ino);
    cr_assert_str_eq("new 22\n", slurp(path));
    (void)close(fd);
    statsfile_close(sf);
}

/*
 * The temporary is DIR/.NAME.tmp.PID, whose name does not end in .prom
 * (node_exporter reads every *.prom). Blocking that exact name with a
 * directory makes the write fail, which proves the name used.
 */
Test(statsfile, temporary_name_is_hidden_and_not_prom)
{
    struct sc_err err = {0};
    struct statsfile *const sf = statsfile_open(path, &err);
    char tmp[256];

    cr_assert_not_null(sf, "%s", err.msg);
    cr_assert_eq(0, statsfile_write(sf, "old 1\n", 6));
    (void)snprintf(tmp, sizeof(tmp), "%s/.smtpclass.prom.tmp.%ld", dir,
                   (long)getpid());
    cr_assert(strstr(tmp, ".prom") + 5 != tmp + strlen(tmp));
    cr_assert_eq(0, mkdir(tmp, 0755));
    cr_assert_eq(-1, statsfile_write(sf, "new 2\n", 6));
    cr_assert_eq(1, statsfile_errors(sf));
    cr_assert_str_eq("old 1\n", slurp(path));
    cr_assert_eq(0, rmdir(tmp));
    cr_assert_eq(0, statsfile_write(sf, "new 2\n", 6));
    cr_assert_str_eq("new 2\n", slurp(path));
    statsfile_close(sf);
}

/*
 * A write that fails midway (here EFBIG from a file size limit, after a
 * short write; ENOSPC takes the same path, see tests/cli/monitor.sh)
 * removes the temporary, keeps the old file, counts every failure, warns
 * once per streak and once when writes work again.
 */
Test(statsfile, failed_write_keeps_old_file_and_warns_once)
{
    struct sc_err err = {0};
    struct statsfile *const sf = statsfile_open(path, &err);
    struct rlimit rl;
    char big[100];

    cr_assert_not_null(sf, "%s", err.msg);
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    cr_assert_eq(0, statsfile_write(sf, "old 1\n", 6));

    (void)signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(0, getrlimit(RLIMIT_FSIZE, &rl));
    const rlim_t saved = rl.rlim_cur;
    rl.rlim_cur = 50;
    cr_assert_eq(0, setrlimit(RLIMIT_FSIZE, &rl));
    for (int i = 0; i < 3; i++)
        cr_assert_eq(-1, statsfile_write(sf, big, sizeof(big)));
    cr_assert_eq(3, statsfile_errors(sf));
    cr_assert_str_eq("old 1\n", slurp(path));
    cr_assert_str_eq(".smtpclass.prom.lock smtpclass.prom", list_dir(dir));

    rl.rlim_cur = saved;
    cr_assert_eq(0, setrlimit(RLIMIT_FSIZE, &rl));
    cr_assert_eq(0, statsfile_write(sf, big, sizeof(big)));
    cr_assert_eq(0, statsfile_write(sf, big, sizeof(big)));
    cr_assert_eq(3, statsfile_errors(sf));
    cr_assert_eq(0, memcmp(big, slurp(path), sizeof(big)));
    statsfile_close(sf);

    const char *const text = stderr_text();
    char want[512];
    (void)snprintf(want, sizeof(want),
                   "smtpclass: %s: not updated: File too large; keeping the "
                   "previous file\n"
                   "smtpclass: %s: updated again after 3 failed writes\n",
                   path, path);
    cr_assert_str_eq(want, text);
}

Test(statsfile, directory_removed_later_counts_and_recovers)
{
    struct sc_err err = {0};
    struct statsfile *const sf = statsfile_open(path, &err);
    char lock[256];

    cr_assert_not_null(sf, "%s", err.msg);
    cr_assert_eq(0, statsfile_write(sf, "a 1\n", 4));
    (void)snprintf(lock, sizeof(lock), "%s/.smtpclass.prom.lock", dir);
    cr_assert_eq(0, unlink(path));
    cr_assert_eq(0, unlink(lock));
    cr_assert_eq(0, rmdir(dir));
    cr_assert_eq(-1, statsfile_write(sf, "a 2\n", 4));
    cr_assert_eq(-1, statsfile_write(sf, "a 3\n", 4));
    cr_assert_eq(2, statsfile_errors(sf));
    cr_assert_eq(1, count_lines(stderr_text()));
    cr_assert_eq(0, mkdir(dir, 0700));
    cr_assert_eq(0, statsfile_write(sf, "a 4\n", 4));
    cr_assert_str_eq("a 4\n", slurp(path));
    statsfile_close(sf);
}

Test(statsfile, missing_directory_is_an_error)
{
    struct sc_err err = {0};
    char p[256];

    (void)snprintf(p, sizeof(p), "%s/nope/smtpclass.prom", dir);
    cr_assert_null(statsfile_open(p, &err));
    cr_assert_str_eq(p, err.file);
    cr_assert_not_null(strstr(err.msg, "No such file or directory"), "%s",
                       err.msg);
    cr_assert_null(statsfile_open(dir, &err)); /* a directory */
    (void)snprintf(p, sizeof(p), "%s/", dir);
    cr_assert_null(statsfile_open(p, &err)); /* no file name */
}

/* A second writer, in another process, is refused; after close it works. */
Test(statsfile, second_writer_is_refused)
{
    struct sc_err err = {0};
    struct statsfile *sf = statsfile_open(path, &err);
    int status;

    cr_assert_not_null(sf, "%s", err.msg);
    const pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        struct sc_err child_err = {0};
        struct statsfile *const other = statsfile_open(path, &child_err);
        _exit(other == NULL &&
                      strcmp(child_err.msg,
                             "another smtpclass writes this file") == 0 &&
                      strcmp(child_err.file, path) == 0
                  ? 0
                  : 1);
    }
    cr_assert_eq(pid, waitpid(pid, &status, 0));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The same process, through another descriptor, is refused too. */
    cr_assert_null(statsfile_open(path, &err));
    statsfile_close(sf);
    sf = statsfile_open(path, &err);
    cr_assert_not_null(sf, "%s", err.msg);
    statsfile_close(sf);
}

/* Temporaries of a killed writer go at open; other names stay. */
Test(statsfile, open_removes_stale_temporaries)
{
    struct sc_err err = {0};
    char p[256];

    (void)snprintf(p, sizeof(p), "%s/.smtpclass.prom.tmp.999999", dir);
    cr_assert_eq(0, close(open(p, O_CREAT | O_WRONLY, 0644)));
    (void)snprintf(p, sizeof(p), "%s/.smtpclass.prom.tmp.keep", dir);
    cr_assert_eq(0, close(open(p, O_CREAT | O_WRONLY, 0644)));
    struct statsfile *const sf = statsfile_open(path, &err);
    cr_assert_not_null(sf, "%s", err.msg);
    cr_assert_str_eq(".smtpclass.prom.lock .smtpclass.prom.tmp.keep",
                     list_dir(dir));
    statsfile_close(sf);
}

Test(statsfile, relative_path_and_null_close)
{
    struct sc_err err = {0};

    statsfile_close(NULL);
    cr_assert_eq(0, statsfile_errors(NULL));
    cr_assert_eq(0, chdir(dir));
    struct statsfile *const sf = statsfile_open("rel.prom", &err);
    cr_assert_not_null(sf, "%s", err.msg);
    cr_assert_eq(0, statsfile_write(sf, "r 1\n", 4));
    cr_assert_str_eq("r 1\n", slurp("rel.prom"));
    statsfile_close(sf);
}

/* ---- httpd -------------------------------------------------------------- */

struct reply {
    int status;
    char head[2048]; /* status line and headers */
    char *body;      /* owned */
    size_t body_len;
};

static int
connect_port(unsigned port)
{
    struct sockaddr_in sin = {0};
    const int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
                 "connect: %s", strerror(errno));
    return fd;
}

/* Send req (raw HTTP) and read the reply until the server closes. */
static void
fetch_raw(unsigned port, const char *req, struct reply *r)
{
    const int fd = connect_port(port);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t n;

    cr_assert_eq((ssize_t)strlen(req), write(fd, req, strlen(req)));
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        n = read(fd, buf + len, cap - len);
        cr_assert(n >= 0, "read: %s", strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    (void)close(fd);
    const char *end = NULL;
    for (size_t i = 0; i + 4 <= len && end == NULL; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            end = buf + i;
    cr_assert_not_null(end, "no end of headers in %zu bytes", len);
    const size_t head_len = (size_t)(end - buf) + 2;
    cr_assert_lt(head_len, sizeof(r->head));
    memcpy(r->head, buf, head_len);
    r->head[head_len] = '\0';
    r->body_len = len - head_len - 2;
    r->body = malloc(r->body_len + 1);
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = '\0';
    cr_assert_eq(1, sscanf(r->head, "HTTP/1.%*d %d", &r->status));
    free(buf);
}

static void
fetch(unsigned port, const char *method, const char *target, struct reply *r)
{
    char req[256];

    (void)snprintf(req, sizeof(req),
                   "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                   "Connection: close\r\n\r\n",
                   method, target);
    fetch_raw(port, req, r);
}

/* The value of header name (case-insensitive), or NULL. Static buffer. */
static const char *
header(const struct reply *r, const char *name)
{
    static char value[256];
    const char *p = strstr(r->head, "\r\n");

    while (p != NULL && p[2] != '\0') {
        const char *const line = p + 2;
        const char *const eol = strstr(line, "\r\n");
        const size_t n = strlen(name);
        if (eol == NULL)
            break;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            (void)snprintf(value, sizeof(value), "%.*s", (int)(eol - v), v);
            return value;
        }
        p = eol;
    }
    return NULL;
}

static struct httpd *h;
static unsigned port;

static void
httpd_setup(void)
{
    struct sc_err err = {0};

    h = httpd_start("127.0.0.1:0", &err);
    cr_assert_not_null(h, "%s", err.msg);
    port = httpd_port(h);
    cr_assert_neq(0, port);
}

static void
httpd_teardown(void)
{
    httpd_stop(h);
    h = NULL;
}

TestSuite(httpd, .init = httpd_setup, .fini = httpd_teardown);

static const char metrics[] = "# HELP smtpclass_lines_read_total Lines.\n"
                              "# TYPE smtpclass_lines_read_total counter\n"
                              "smtpclass_lines_read_total 42\n";

Test(httpd, unavailable_before_first_publish)
{
    struct reply r;

    fetch(port, "GET", "/metrics", &r);
    cr_assert_eq(503, r.status);
    free(r.body);
}

Test(httpd, serves_published_metrics)
{
    struct reply r;

    httpd_publish(h, metrics, sizeof(metrics) - 1);
    fetch(port, "GET", "/metrics", &r);
    cr_assert_eq(200, r.status);
    cr_assert_str_eq("text/plain; version=0.0.4; charset=utf-8",
                     header(&r, "Content-Type"));
    cr_assert_str_eq(metrics, r.body);
    free(r.body);

    httpd_publish(h, "x 1\n", 4);
    fetch(port, "GET", "/metrics?name[]=x", &r);
    cr_assert_eq(200, r.status);
    cr_assert_str_eq("x 1\n", r.body);
    free(r.body);
}

Test(httpd, head_has_headers_but_no_body)
{
    struct reply r;
    char len[32];

    httpd_publish(h, metrics, sizeof(metrics) - 1);
    fetch(port, "HEAD", "/metrics", &r);
    cr_assert_eq(200, r.status);
    cr_assert_str_eq("text/plain; version=0.0.4; charset=utf-8",
                     header(&r, "Content-Type"));
    (void)snprintf(len, sizeof(len), "%zu", sizeof(metrics) - 1);
    cr_assert_str_eq(len, header(&r, "Content-Length"));
    cr_assert_eq(0, r.body_len);
    free(r.body);
}

Test(httpd, other_paths_are_not_found)
{
    struct reply r;

    httpd_publish(h, metrics, sizeof(metrics) - 1);
    fetch(port, "GET", "/metricsx", &r);
    cr_assert_eq(404, r.status);
    cr_assert_gt(r.body_len, 0);
    free(r.body);
    fetch(port, "GET", "/", &r);
    cr_assert_eq(200, r.status);
    cr_assert_not_null(strstr(r.body, "/metrics"));
    free(r.body);
}

Test(httpd, other_methods_are_not_allowed)
{
    static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS"};
    struct reply r;

    httpd_publish(h, metrics, sizeof(metrics) - 1);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        fetch(port, methods[i], "/metrics", &r);
        cr_assert_eq(405, r.status, "%s", methods[i]);
        cr_assert_str_eq("GET, HEAD", header(&r, "Allow"));
        free(r.body);
    }
    /* With a body that is never read. */
    fetch_raw(port,
              "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              "Connection: close\r\n\r\nhello",
              &r);
    cr_assert_eq(405, r.status);
    free(r.body);
}

/* Headers beyond the per-connection memory cap are refused, not served. */
Test(httpd, oversized_headers_are_refused)
{
    static char req[80 * 1024];
    struct reply r;
    size_t len;

    httpd_publish(h, metrics, sizeof(metrics) - 1);
    len = (size_t)snprintf(req, sizeof(req),
                           "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                           "Connection: close\r\nX-Big: ");
    memset(req + len, 'a', 64 * 1024);
    len += 64 * 1024;
    memcpy(req + len, "\r\n\r\n", 5);
    fetch_raw(port, req, &r);
    cr_assert_geq(r.status, 400);
    free(r.body);
}

/* A body larger than socket buffers arrives whole, and is replaced whole. */
Test(httpd, large_body)
{
    const size_t n = 3u << 20;
    char *const big = malloc(n);
    struct reply r;

    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    httpd_publish(h, big, n);
    fetch(port, "GET", "/metrics", &r);
    cr_assert_eq(200, r.status);
    cr_assert_eq(n, r.body_len);
    cr_assert_eq(0, memcmp(big, r.body, n));
    free(r.body);
    free(big);
}

static double
now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 60 clients that connect and say nothing do not delay a scrape. */
Test(httpd, idle_connections_do_not_block_a_scrape)
{
    int idle[60];
    struct reply r;

    httpd_publish(h, metrics, sizeof(metrics) - 1);
    for (size_t i = 0; i < 60; i++)
        idle[i] = connect_port(port);
    const double t0 = now_s();
    fetch(port, "GET", "/metrics", &r);
    const double dt = now_s() - t0;
    cr_assert_eq(200, r.status);
    cr_assert_lt(dt, 1.0, "scrape took %.3f s", dt);
    free(r.body);
    for (size_t i = 0; i < 60; i++)
        (void)close(idle[i]);
}

/*
 * Clients that reset the connection mid-body must not hurt: SIGPIPE keeps
 * its default action here (it would kill the test), so this also checks
 * that libmicrohttpd sends with MSG_NOSIGNAL.
 */
Test(httpd, resets_mid_body_are_harmless)
{
    const size_t n = 4u << 20;
    char *const big = malloc(n);
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    const struct linger lin = {1, 0};
    struct reply r;
    char buf[4096];

    (void)signal(SIGPIPE, SIG_DFL);
    memset(big, 'z', n);
    httpd_publish(h, big, n);
    for (int i = 0; i < 200; i++) {
        const int fd = connect_port(port);
        cr_assert_eq((ssize_t)sizeof(req) - 1, write(fd, req, sizeof(req) - 1));
        if (i % 2 == 0)
            (void)read(fd, buf, sizeof(buf)); /* some of the reply first */
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
        (void)close(fd); /* RST */
    }
    httpd_publish(h, metrics, sizeof(metrics) - 1);
    fetch(port, "GET", "/metrics", &r);
    cr_assert_eq(200, r.status);
    cr_assert_str_eq(metrics, r.body);
    free(r.body);
    free(big);
}

/* ---- httpd_start errors (no running server needed) ---------------------- */

Test(httpd_start, address_in_use_names_address_and_reason)
{
    struct sc_err err = {0};
    char spec[32];
    struct httpd *const first = httpd_start("127.0.0.1:0", &err);

    cr_assert_not_null(first, "%s", err.msg);
    (void)snprintf(spec, sizeof(spec), "127.0.0.1:%u", httpd_port(first));
    cr_assert_null(httpd_start(spec, &err));
    char want[128];
    (void)snprintf(want, sizeof(want),
                   "cannot listen on %s: Address already in use", spec);
    cr_assert_str_eq(want, err.msg);
    /* A bare port is 127.0.0.1 too. */
    (void)snprintf(spec, sizeof(spec), "%u", httpd_port(first));
    cr_assert_null(httpd_start(spec, &err));
    cr_assert_not_null(strstr(err.msg, "Address already in use"));
    httpd_stop(first);
    httpd_stop(NULL);
}

Test(httpd_start, bare_port_listens_on_loopback_only)
{
    struct sc_err err = {0};
    struct httpd *const s = httpd_start("0", &err);
    struct sockaddr_in sin = {0};
    struct reply r;

    cr_assert_not_null(s, "%s", err.msg);
    fetch(httpd_port(s), "GET", "/metrics", &r);
    cr_assert_eq(503, r.status);
    free(r.body);
    /* Had it bound the wildcard address, binding 127.0.0.2 to the same
     * port would fail with EADDRINUSE. */
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)httpd_port(s));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1); /* 127.0.0.2 */
    cr_assert_eq(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
                 "127.0.0.2 bind: %s", strerror(errno));
    (void)close(fd);
    httpd_stop(s);
}

Test(httpd_start, invalid_addresses_are_refused)
{
    static const char *const bad[] = {
        "",
        "abc",
        "65536",
        "-1",
        "+80",
        " 80",
        "1.2.3.4:",
        ":9465",
        "1.2.3:80",
        "::1:80",
        "[::1]80",
        "[::1]",
        "[zz]:80",
        "[]:80",
        "localhost:9465",
        "1.2.3.4:123456",
        "1.2.3.4:0x10",
    };
    struct sc_err err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        cr_assert_null(httpd_start(bad[i], &err), "'%s' accepted", bad[i]);
        cr_assert_neq('\0', err.msg[0], "'%s': no message", bad[i]);
    }
}

Test(httpd_start, ipv6_loopback)
{
    struct sc_err err = {0};
    struct httpd *const s = httpd_start("[::1]:0", &err);

    if (s == NULL && strstr(err.msg, "Cannot assign requested address")) {
        cr_skip_test("no IPv6 loopback here");
        return;
    }
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert_neq(0, httpd_port(s));
    httpd_stop(s);
}

Test(httpd_start, ipv6_wildcard_takes_ipv4_too)
{
    struct sc_err err = {0};
    struct httpd *const s = httpd_start("[::]:0", &err);
    struct reply r;

    if (s == NULL && strstr(err.msg, "Address family not supported")) {
        cr_skip_test("no IPv6 here");
        return;
    }
    cr_assert_not_null(s, "%s", err.msg);
    fetch(httpd_port(s), "GET", "/metrics", &r);
    cr_assert_eq(503, r.status);
    free(r.body);
    httpd_stop(s);
}

/*
 * httpd.c: GET/HEAD /metrics through libmicrohttpd's own thread. It never
 * formats counters: the main thread publishes a finished text and the
 * handler copies it under a mutex held only for a pointer swap or a
 * memcpy, so no client, however slow, can hold up line processing.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "xalloc.h"

/*
 * Limits, all per daemon. Connections: Prometheus keeps one per scrape
 * target; 128 leaves room for a burst of idle or slow clients (they are
 * dropped after HTTPD_TIMEOUT_S) while bounding memory to
 * 128 * HTTPD_CONN_MEMORY. The per-connection pool holds the request line
 * and headers, so it also caps their size (MHD answers 431 beyond it); the
 * response body is allocated separately.
 */
#define HTTPD_MAX_CONNECTIONS 128u
#define HTTPD_TIMEOUT_S 10u
#define HTTPD_CONN_MEMORY ((size_t)32 * 1024)
#define HTTPD_BACKLOG 64

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"

/*
 * lock guards body and len: body is NULL until the first httpd_publish(),
 * then owned and never NULL. log_lock guards is_starting and start_msg;
 * is_starting is true only inside httpd_start(), where MHD's messages are
 * kept to explain a failure. (A separate lock, because MHD may log from
 * anywhere, even while the handler holds lock.)
 */
struct httpd {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    char *body;
    size_t len;
    pthread_mutex_t log_lock;
    bool is_starting;
    char start_msg[160];
    unsigned port;
};

/*
 * "PORT", "ADDR:PORT" (dotted IPv4) or "[IPv6]:PORT" → ss. Returns 0, or
 * -1 with err set.
 */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *ss_len,
             struct sc_err *err)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *host_start;
    const char *port_text;
    size_t host_len;

    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '[') {
        const char *const close_bracket = strchr(spec, ']');
        if (close_bracket == NULL || close_bracket[1] != ':') {
            sc_err_set(err, NULL, 0, "--listen '%s': expected [IPv6]:PORT",
                       spec);
            return -1;
        }
        host_start = spec + 1;
        host_len = (size_t)(close_bracket - host_start);
        port_text = close_bracket + 2;
    } else {
        const char *const colon = strrchr(spec, ':');
        if (colon == NULL) {
            host_start = "127.0.0.1";
            host_len = strlen(host_start);
            port_text = spec;
        } else if (colon == spec) {
            sc_err_set(err, NULL, 0,
                       "--listen '%s': no address before ':' (give "
                       "0.0.0.0:PORT to listen on every interface)",
                       spec);
            return -1;
        } else {
            host_start = spec;
            host_len = (size_t)(colon - spec);
            port_text = colon + 1;
        }
    }
    if (host_len == 0 || host_len >= sizeof(host)) {
        sc_err_set(err, NULL, 0, "--listen '%s': invalid address", spec);
        return -1;
    }
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';

    /* Digits only: strtoul would accept a sign and spaces. */
    if (port_text[0] == '\0' || strlen(port_text) > 5 ||
        strspn(port_text, "0123456789") != strlen(port_text)) {
        sc_err_set(err, NULL, 0, "--listen '%s': expected a port number", spec);
        return -1;
    }
    const unsigned long port = strtoul(port_text, NULL, 10);
    if (port > 65535) {
        sc_err_set(err, NULL, 0, "--listen '%s': port out of range (0-65535)",
                   spec);
        return -1;
    }

    if (spec[0] == '[') {
        struct sockaddr_in6 *const sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
            sc_err_set(err, NULL, 0, "--listen '%s': invalid IPv6 address",
                       spec);
            return -1;
        }
        *ss_len = sizeof(*sin6);
    } else {
        struct sockaddr_in *const sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
            sc_err_set(err, NULL, 0,
                       "--listen '%s': invalid IPv4 address (IPv6 goes in "
                       "brackets: [::1]:PORT)",
                       spec);
            return -1;
        }
        *ss_len = sizeof(*sin);
    }
    return 0;
}

/*
 * Bind and listen ourselves rather than through MHD_OPTION_SOCK_ADDR:
 * MHD_start_daemon() only returns NULL, and "address in use" must reach
 * the user with its reason. Returns the socket, or -1 with err set.
 */
static int
open_listener(const char *spec, const struct sockaddr_storage *ss,
              socklen_t ss_len, struct sc_err *err)
{
    const int one = 1;
    const int zero = 0;
    const int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        sc_err_set(err, NULL, 0, "--listen '%s': cannot create a socket: %s",
                   spec, strerror(errno));
        return -1;
    }
    /* SO_REUSEADDR lets a restart bind while old connections linger in
     * TIME_WAIT; Linux still refuses a port another socket listens on. */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* "[::]:PORT" takes IPv4 too, whatever net.ipv6.bindv6only says. */
    if (ss->ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, (const struct sockaddr *)ss, ss_len) != 0 ||
        listen(fd, HTTPD_BACKLOG) != 0) {
        sc_err_set(err, NULL, 0, "cannot listen on %s: %s", spec,
                   strerror(errno));
        (void)close(fd);
        return -1;
    }
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        sc_err_set(err, NULL, 0, "cannot listen on %s: %s", spec,
                   strerror(errno));
        (void)close(fd);
        return -1;
    }
    return fd;
}

static unsigned
bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
}

/*
 * MHD's error log. While starting, its last message explains a failure;
 * afterwards its messages (a client over a limit, a reset connection) are
 * about clients, which must not be able to flood our stderr: dropped.
 */
static void SC_PRINTF(2, 0) mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct httpd *const h = cls;

    (void)pthread_mutex_lock(&h->log_lock);
    if (h->is_starting) {
        (void)vsnprintf(h->start_msg, sizeof(h->start_msg), fmt, ap);
        h->start_msg[strcspn(h->start_msg, "\n")] = '\0';
    }
    (void)pthread_mutex_unlock(&h->log_lock);
}

/* Queue a copy of text[0..len) with status and content type. */
static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned status, const char *type,
        const char *text, size_t len)
{
    char buf[256];
    struct MHD_Response *resp;
    enum MHD_Result ret;

    assert(len <= sizeof(buf));
    memcpy(buf, text, len);
    resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
            MHD_YES ||
        (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
         MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") !=
             MHD_YES)) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

#define RESPOND(conn, status, type, lit)                                       \
    respond((conn), (status), (type), (lit), sizeof(lit) - 1)

static enum MHD_Result
respond_metrics(struct httpd *h, struct MHD_Connection *conn)
{
    struct MHD_Response *resp = NULL;
    bool has_body;
    enum MHD_Result ret;

    /* MUST_COPY: the copy is made here, under the lock, so a publish
     * may free the old body as soon as it has swapped it out. */
    (void)pthread_mutex_lock(&h->lock);
    has_body = h->body != NULL;
    if (has_body)
        resp = MHD_create_response_from_buffer(h->len, h->body,
                                               MHD_RESPMEM_MUST_COPY);
    (void)pthread_mutex_unlock(&h->lock);
    if (!has_body)
        return RESPOND(conn, MHD_HTTP_SERVICE_UNAVAILABLE, CONTENT_TYPE_TEXT,
                       "no metrics yet: smtpclass is starting\n");
    if (resp == NULL)
        return MHD_NO;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                CONTENT_TYPE_METRICS) != MHD_YES) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/*
 * Every request is answered on the handler's first call, before any
 * upload is read; MHD then closes a connection whose body was not read.
 * HEAD gets the GET headers (MHD leaves out the body).
 */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **req_cls)
{
    struct httpd *const h = cls;

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return RESPOND(conn, MHD_HTTP_METHOD_NOT_ALLOWED, CONTENT_TYPE_TEXT,
                       "method not allowed: use GET or HEAD\n");
    if (strcmp(url, "/metrics") == 0)
        return respond_metrics(h, conn);
    if (strcmp(url, "/") == 0)
        return RESPOND(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
                       "<!DOCTYPE html>\n<html><head><title>smtpclass"
                       "</title></head>\n<body><p>smtpclass: SMTP outcome "
                       "counters at <a href=\"/metrics\">/metrics</a></p>"
                       "</body></html>\n");
    return RESPOND(conn, MHD_HTTP_NOT_FOUND, CONTENT_TYPE_TEXT,
                   "not found: the metrics are at /metrics\n");
}

struct httpd *
httpd_start(const char *spec, struct sc_err *err)
{
    struct sockaddr_storage ss;
    socklen_t ss_len = 0;
    struct httpd *h;
    int fd;

    if (parse_listen(spec, &ss, &ss_len, err) != 0)
        return NULL;
    fd = open_listener(spec, &ss, ss_len, err);
    if (fd < 0)
        return NULL;

    h = xcalloc(1, sizeof(*h));
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        sc_err_set(err, NULL, 0, "--listen '%s': cannot create a mutex", spec);
        (void)close(fd);
        free(h);
        return NULL;
    }
    if (pthread_mutex_init(&h->log_lock, NULL) != 0) {
        sc_err_set(err, NULL, 0, "--listen '%s': cannot create a mutex", spec);
        (void)pthread_mutex_destroy(&h->lock);
        (void)close(fd);
        free(h);
        return NULL;
    }
    h->port = bound_port(fd);
    h->is_starting = true;
    /*
     * The thread inherits the caller's signal mask, so the caller blocks
     * the signals main handles. MHD sends with MSG_NOSIGNAL on Linux
     * (MHD_FEATURE_AUTOSUPPRESS_SIGPIPE), and SIGPIPE is ignored
     * process-wide anyway: a client resetting mid-body is harmless.
     */
    h->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
            (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, answer, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_CONNECTION_LIMIT,
        HTTPD_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, HTTPD_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTPD_CONN_MEMORY, MHD_OPTION_END);
    (void)pthread_mutex_lock(&h->log_lock);
    h->is_starting = false;
    (void)pthread_mutex_unlock(&h->log_lock);
    if (h->daemon == NULL) {
        sc_err_set(err, NULL, 0, "cannot serve HTTP on %s: %s", spec,
                   h->start_msg[0] != '\0' ? h->start_msg
                                           : "libmicrohttpd failed to start");
        /* The socket is not closed here: depending on where it failed,
         * MHD may have closed it already, and closing a number that
         * was reused would hit someone else's descriptor. The caller
         * exits on this error. */
        (void)pthread_mutex_destroy(&h->log_lock);
        (void)pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    return h;
}

void
httpd_stop(struct httpd *h)
{
    if (h == NULL)
        return;
    /* Joins MHD's thread and closes the listening socket. */
    MHD_stop_daemon(h->daemon);
    (void)pthread_mutex_destroy(&h->log_lock);
    (void)pthread_mutex_destroy(&h->lock);
    free(h->body);
    free(h);
}

void
httpd_publish(struct httpd *h, const char *text, size_t len)
{
    char *const copy = xmalloc(len + 1);
    char *old;

    assert(h != NULL);
    assert(text != NULL || len == 0);
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    (void)pthread_mutex_lock(&h->lock);
    old = h->body;
    h->body = copy;
    h->len = len;
    (void)pthread_mutex_unlock(&h->lock);
    free(old);
}

unsigned
httpd_port(const struct httpd *h)
{
    return h->port;
}

/*
 * httpd.h: the Prometheus endpoint, GET/HEAD /metrics, through
 * libmicrohttpd on its own thread. It serves the text last published by
 * the main thread, so a slow or hostile client can never block line
 * processing: connections are capped and time out, other paths get 404,
 * other methods 405.
 */
#ifndef SMTPCLASS_HTTPD_H
#define SMTPCLASS_HTTPD_H

#include <stddef.h>

#include "msg.h"

struct httpd;

/*
 * Listen on "PORT" (127.0.0.1), "ADDR:PORT" (dotted IPv4) or
 * "[IPv6]:PORT"; port 0 picks a free port (see httpd_port()). Fails with
 * err set when the address is invalid or in use. Serves 503 until the
 * first httpd_publish(). Serving runs on a thread of libmicrohttpd's,
 * which inherits the caller's signal mask: block the signals main
 * handles around this call.
 */
struct httpd *httpd_start(const char *listen, struct sc_err *err);

/* Stop serving and free; NULL is fine. */
void httpd_stop(struct httpd *h);

/*
 * Replace the served /metrics body with a copy of text[0..len) (text is
 * borrowed for the call only). Never waits for a client: a request in
 * progress holds the lock only while it copies the body.
 */
void httpd_publish(struct httpd *h, const char *text, size_t len);

/* The TCP port listened on (useful after asking for port 0). */
unsigned httpd_port(const struct httpd *h);

#endif

/*
 * logline.h: split a log line into its prefix (timestamp, host, program,
 * pid) and the message. Recognises BSD syslog and `journalctl -o short`,
 * RFC 3339 and `-o short-iso` stamps, Exim's own main.log, qmail's TAI64N
 * stamps, and a bare message with no prefix. No allocation; all spans
 * borrow from the line.
 */
#ifndef SMTPCLASS_LOGLINE_H
#define SMTPCLASS_LOGLINE_H

#include "span.h"

enum logline_shape {
    SHAPE_BARE = 0, /* no prefix recognised: msg is the whole line */
    SHAPE_SYSLOG,   /* [stamp] [host] program[pid]: msg */
    SHAPE_EXIM      /* YYYY-MM-DD hh:mm:ss [+zone] [[pid]] msg */
};

/* Absent parts are empty spans. msg always lies inside the line. */
struct logline {
    enum logline_shape shape;
    struct span stamp;
    struct span host;
    struct span program;
    struct span pid;
    struct span msg;
};

/* Parse line (without its '\n'; a trailing '\r' is the caller's job). */
void logline_parse(struct span line, struct logline *out);

#endif

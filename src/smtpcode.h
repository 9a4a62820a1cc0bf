/*
 * smtpcode.h: find SMTP reply codes (RFC 5321 4.2, "550") and enhanced
 * status codes (RFC 3463, "5.1.1") in text, without false codes from IP
 * addresses, ports, pids, sizes, times, versions or host names. No
 * allocation; bounded by the span's length.
 */
#ifndef SMTPCLASS_SMTPCODE_H
#define SMTPCLASS_SMTPCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* class 0 means "absent". subject 0..7, detail 0..999. */
struct smtp_enhanced {
    uint8_t cls;
    uint16_t subject;
    uint16_t detail;
};

struct smtp_codes {
    uint16_t reply; /* 0 when absent */
    struct smtp_enhanced enh;
};

/* s is exactly a reply code "NNN" with a first digit 2..5; stores it. */
bool smtpcode_parse_reply(struct span s, uint16_t *out);

/* s is exactly "C.S.D" (C in 2,4,5; S one digit 0..7; D 1..3 digits). */
bool smtpcode_parse_enhanced(struct span s, struct smtp_enhanced *out);

/*
 * Scan text for the first reply code, and an enhanced code right after it
 * ("550 5.1.1", "550-5.1.1", "550 #5.1.1"); when the text has no reply code,
 * the first standalone enhanced code. Returns true when anything was found.
 */
bool smtpcode_scan(struct span text, struct smtp_codes *out);

/*
 * True when text holds a code-like token: three digits 2xx..5xx followed by
 * a delimiter (or the end), or "C.S.D" with C in 2,4,5. A cheap superset of
 * what smtpcode_scan accepts, used to skip lines that cannot carry a code.
 */
bool smtpcode_has_token(struct span text);

/*
 * The offset of the first reply-code token (as smtpcode_has_token defines
 * it) at or after from in p[0..len), or len when there is none. Scans a
 * whole buffer of lines quickly (SSE2 where available).
 */
size_t smtpcode_find_reply_token(const char *p, size_t len, size_t from);

/* Write "C.S.D" into buf (at least 12 bytes, NUL-terminated); returns the
 * length. */
size_t smtpcode_format_enhanced(const struct smtp_enhanced *e, char *buf);

/* Write the three digits of a reply code into buf (no NUL); returns 3. */
size_t smtpcode_format_reply(uint16_t reply, char *buf);

#endif

/*
 * escape.h: writing untrusted bytes into structured text. JSON strings per
 * RFC 8259, Prometheus label values, and logfmt values. Every function takes
 * an explicit length; NUL bytes are data. The line formatters append to an
 * outbuf (one fwrite per line); the exporters write to a FILE.
 */
#ifndef SMTPCLASS_ESCAPE_H
#define SMTPCLASS_ESCAPE_H

#include <stdbool.h>
#include <stdio.h>

#include "outbuf.h"
#include "span.h"

/*
 * Write s as a JSON string including the quotes. Control characters become
 * \uXXXX (or \n \t ...), '"' and '\' are escaped, valid UTF-8 is copied,
 * and each byte that is not part of valid UTF-8 becomes U+FFFD.
 * Returns true when at least one byte was replaced.
 */
bool escape_json_write(FILE *out, struct span s);

/*
 * Like escape_json_write, without the surrounding quotes (for writing one
 * JSON string in several pieces). Returns true when a byte was replaced.
 */
bool escape_json_chars(FILE *out, struct span s);

/* escape_json_write and escape_json_chars, appending to b. */
bool escape_json_append(struct outbuf *b, struct span s);
bool escape_json_append_chars(struct outbuf *b, struct span s);

/* True when s is valid UTF-8 (overlongs, surrogates, > U+10FFFF invalid). */
bool escape_is_utf8(struct span s);

/* Write s as standard base64 (RFC 4648, with padding), no quotes. */
void escape_base64_write(FILE *out, struct span s);
void escape_base64_append(struct outbuf *b, struct span s);

/*
 * Write s as a Prometheus label value without the quotes: '\' '"' and
 * newline escaped, invalid UTF-8 replaced by U+FFFD.
 */
void escape_prom_label_write(FILE *out, struct span s);

/*
 * Write s as a logfmt value: bare when it is non-empty and holds only
 * printable ASCII other than space, '"', '=' and '\'; otherwise quoted with
 * '"' '\' escaped, control bytes as \n \r \t or \xNN, and invalid UTF-8 as
 * \xNN.
 */
void escape_logfmt_write(FILE *out, struct span s);

/*
 * The inside of a quoted logfmt value, without the quotes: as
 * escape_logfmt_write does for quoted values.
 */
void escape_logfmt_chars(FILE *out, struct span s);

/* escape_logfmt_write and escape_logfmt_chars, appending to b. */
void escape_logfmt_append(struct outbuf *b, struct span s);
void escape_logfmt_append_chars(struct outbuf *b, struct span s);

#endif

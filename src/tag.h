/*
 * tag.h: the tagged output format: each input line byte for byte, and on a
 * line with an outcome a TAB and logfmt tags before the line end (before a
 * trailing '\r', so CRLF files stay CRLF).
 */
#ifndef SMTPCLASS_TAG_H
#define SMTPCLASS_TAG_H

#include <stdio.h>

#include "classify.h"
#include "linesplit.h"
#include "rules.h"

/*
 * Write one piece of a line. o is the line's outcome (NULL or without
 * outcome: the line passes unchanged); tags are written with the last
 * piece. Errors show in ferror(out).
 */
void tag_write_piece(FILE *out, const struct line_piece *pc,
                     const struct outcome *o, const struct ruleset *rs,
                     enum rules_lang lang);

#endif

/*
 * jsonline.h: the JSON output format: exactly one JSON object per input
 * line, in input order (RFC 8259, whatever the input bytes). Bytes that are
 * not UTF-8 appear as U+FFFD in "line"; the exact bytes are then given in
 * "line_base64" (for lines that fit the read buffer).
 */
#ifndef SMTPCLASS_JSONLINE_H
#define SMTPCLASS_JSONLINE_H

#include <stdbool.h>
#include <stdio.h>

#include "classify.h"
#include "linesplit.h"
#include "rules.h"

/*
 * Write one piece of a line. o is the outcome, needed with the last piece
 * (NULL: no outcome). *is_lossy carries across a line's pieces: set by the
 * writer when bytes were replaced.
 */
void jsonline_write_piece(FILE *out, const struct line_piece *pc,
                          const struct outcome *o, const struct ruleset *rs,
                          enum rules_lang lang, bool *is_lossy);

#endif

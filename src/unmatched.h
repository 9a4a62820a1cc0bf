/*
 * unmatched.h: the lines that had an outcome but ended in `unknown`,
 * grouped by a normalised form of their diagnostic text (addresses, IPs,
 * host names, ids and long numbers replaced, codes kept), counted, to show
 * which rules to add
 * ("artificial ignorance"). Memory is bounded: past a fixed number of
 * groups, further new texts only count as "other".
 */
#ifndef SMTPCLASS_UNMATCHED_H
#define SMTPCLASS_UNMATCHED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "span.h"

#define UNMATCHED_MAX_GROUPS 10000u
#define UNMATCHED_MAX_TEXT 300u

struct unmatched;

/* Owned; release with unmatched_free(). */
struct unmatched *unmatched_new(void);
void unmatched_free(struct unmatched *u);

/*
 * Write the normalised form of text into out (at most cap - 1 bytes and a
 * NUL); returns its length.
 */
size_t unmatched_normalise(struct span text, char *out, size_t cap);

/* Count one line's text (normalised here). */
void unmatched_add(struct unmatched *u, struct span text);

/*
 * "COUNT<TAB>TEXT" per group, most frequent first (ties by text), then
 * "COUNT<TAB>(other texts)" when groups overflowed. Returns 0, or -1 when a
 * write failed.
 */
int unmatched_write(const struct unmatched *u, FILE *out);

#endif

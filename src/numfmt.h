/*
 * numfmt.h: numbers as the exporters print them, exactly: milliseconds as
 * decimal seconds ("1.25", not 1.2499999), and gauges (doubles) in the
 * shortest form that reads back as the same double. Counts are uint64_t
 * and printed with PRIu64 by the callers, never through a double.
 */
#ifndef SMTPCLASS_NUMFMT_H
#define SMTPCLASS_NUMFMT_H

#include <stdbool.h>
#include <stdint.h>

/* Big enough for every result below, with its NUL. */
#define NUMFMT_BUF 40

/* ms / 1000 in decimal, without trailing zeros: 0, 0.1, 1.25, 86400. */
const char *numfmt_ms_seconds(char buf[NUMFMT_BUF], uint64_t ms);

/*
 * v for the Prometheus text format: integers below 2^53 without exponent
 * or fraction, other finite values in the shortest %g form that round-
 * trips; NaN, +Inf and -Inf as Prometheus spells them. Returns NULL for a
 * non-finite value when is_json (JSON has no such numbers: write null).
 */
const char *numfmt_double(char buf[NUMFMT_BUF], double v, bool is_json);

#endif

/*
 * numfmt.c: exact number printing for the exporters. Milliseconds go
 * through integer arithmetic only; doubles try increasing precision until
 * strtod() gives the same value back (RC-70, RC-77).
 */
#include "numfmt.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *
numfmt_ms_seconds(char buf[NUMFMT_BUF], uint64_t ms)
{
    const uint64_t s = ms / 1000;
    unsigned frac = (unsigned)(ms % 1000);
    int digits = 3;

    if (frac == 0) {
        (void)snprintf(buf, NUMFMT_BUF, "%" PRIu64, s);
        return buf;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    (void)snprintf(buf, NUMFMT_BUF, "%" PRIu64 ".%0*u", s, digits, frac);
    return buf;
}

const char *
numfmt_double(char buf[NUMFMT_BUF], double v, bool is_json)
{
    if (isnan(v) || isinf(v)) {
        if (is_json)
            return NULL;
        return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    }
    /* No libm: the range check makes the conversion defined. */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
        v == (double)(int64_t)v) {
        (void)snprintf(buf, NUMFMT_BUF, "%" PRId64, (int64_t)v);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(buf, NUMFMT_BUF, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

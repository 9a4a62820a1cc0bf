/*
 * fields.c: take apart the fields classify found on a line with an outcome
 * (the relay) and read the delivery delay from the message. Called only
 * for lines with an outcome; never allocates, never reads past a span.
 * Delays are kept in integer milliseconds so that sums are exact and
 * merging snapshots or threads gives the same sum in any order.
 */
#include "fields.h"

#include <string.h>

struct span
fields_relay_host(struct span relay)
{
    size_t n = 0;

    if (relay.len == 0)
        return span_make(relay.p, 0);
    if (relay.p[0] == '[') {
        /* "[192.0.2.1]" or "[192.0.2.1]:25": the address. */
        const char *const close = memchr(relay.p, ']', relay.len);
        if (close == NULL)
            return span_make(relay.p, 0);
        return span_make(relay.p + 1, (size_t)(close - relay.p) - 1);
    }
    while (n < relay.len && relay.p[n] != '[' && relay.p[n] != ' ')
        n++;
    if (n > 0 && relay.p[n - 1] == '.')
        n--;
    return span_make(relay.p, n);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Digits at *pp (at least one) as an integer no larger than max; advances
 * *pp past them.
 */
static bool
parse_uint(const char **pp, const char *end, uint64_t max, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;

    if (p == end || !is_digit(*p))
        return false;
    while (p < end && is_digit(*p)) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max)
            return false;
        p++;
    }
    *pp = p;
    *out = v;
    return true;
}

/*
 * An optional fraction ".ddd..." at *pp as milliseconds, rounded half up
 * from the fourth digit: 0..1000.
 */
static uint64_t
parse_fraction_ms(const char **pp, const char *end)
{
    const char *p = *pp;
    uint64_t ms = 0;
    unsigned n = 0;

    if (p + 1 >= end || *p != '.' || !is_digit(p[1]))
        return 0;
    p++;
    for (; p < end && is_digit(*p); p++, n++) {
        if (n < 3)
            ms = ms * 10 + (uint64_t)(*p - '0');
        else if (n == 3 && *p >= '5')
            ms++; /* may reach 1000: the caller adds it to the seconds */
    }
    for (; n < 3; n++)
        ms *= 10;
    *pp = p;
    return ms;
}

/* The value ends here: nothing that could continue a number or a word. */
static bool
is_value_end(const char *p, const char *end)
{
    return p == end || (!is_alnum(*p) && *p != '.' && *p != ':');
}

/*
 * Postfix "1.25" or "30", Sendmail "00:00:01" or "2+03:04:05", after
 * `delay=` / `xdelay=`.
 */
static bool
parse_delay_value(const char *p, const char *end, uint64_t *ms)
{
    uint64_t first, days = 0, h, m, s;

    if (!parse_uint(&p, end, FIELDS_DELAY_MAX_S, &first))
        return false;
    if (p < end && (*p == '+' || *p == ':')) {
        if (*p == '+') {
            days = first;
            p++;
            if (!parse_uint(&p, end, 99, &h))
                return false;
        } else {
            h = first;
        }
        if (p == end || *p != ':')
            return false;
        p++;
        if (!parse_uint(&p, end, 59, &m) || p == end || *p != ':')
            return false;
        p++;
        if (!parse_uint(&p, end, 60, &s) || !is_value_end(p, end))
            return false;
        const uint64_t total = days * 86400 + h * 3600 + m * 60 + s;
        if (total > FIELDS_DELAY_MAX_S)
            return false;
        *ms = total * 1000;
        return true;
    }
    const uint64_t frac = parse_fraction_ms(&p, end);
    if (!is_value_end(p, end))
        return false;
    *ms = first * 1000 + frac;
    return true;
}

/* Exim's "1w2d3h4m5s", "2m3.456s", "0s" after `QT=` / `DT=`. */
static bool
parse_exim_time(const char *p, const char *end, uint64_t *ms)
{
    uint64_t total_ms = 0;
    bool has_part = false;

    while (p < end && is_digit(*p)) {
        uint64_t v, unit_s;
        if (!parse_uint(&p, end, FIELDS_DELAY_MAX_S, &v))
            return false;
        const uint64_t frac = parse_fraction_ms(&p, end);
        if (p == end)
            return false;
        switch (*p) {
        case 'w':
            unit_s = 7 * 86400;
            break;
        case 'd':
            unit_s = 86400;
            break;
        case 'h':
            unit_s = 3600;
            break;
        case 'm':
            unit_s = 60;
            break;
        case 's':
            unit_s = 1;
            break;
        default:
            return false;
        }
        /* Only seconds carry a fraction. */
        if (frac != 0 && unit_s != 1)
            return false;
        p++;
        total_ms += v * unit_s * 1000 + frac;
        if (total_ms > FIELDS_DELAY_MAX_S * 1000)
            return false;
        has_part = true;
    }
    if (!has_part || !is_value_end(p, end))
        return false;
    *ms = total_ms;
    return true;
}

/* True when the key before '=' at p[i] is word, starting after a blank. */
static bool
has_key(const char *p, size_t i, const char *word, size_t n, const char *seps)
{
    if (i < n || memcmp(p + i - n, word, n) != 0)
        return false;
    if (i == n)
        return true;
    const char before = p[i - n - 1];
    return before != '\0' && strchr(seps, before) != NULL;
}

enum delay_kind { DK_DELAY, DK_XDELAY, DK_QT, DK_DT, DK_COUNT };

bool
fields_delay_ms(struct span msg, uint64_t *ms)
{
    uint64_t found[DK_COUNT];
    bool has[DK_COUNT] = {false, false, false, false};
    const char *const end = msg.p + msg.len;
    size_t i = 0;

    if (msg.len == 0)
        return false;
    for (;;) {
        const char *const eq = memchr(msg.p + i, '=', msg.len - i);
        if (eq == NULL)
            break;
        i = (size_t)(eq - msg.p);
        enum delay_kind k = DK_COUNT;
        /* ' ' and ',' before the key: not "xdelay=" for "delay=". */
        if (has_key(msg.p, i, "delay", 5, " ,"))
            k = DK_DELAY;
        else if (has_key(msg.p, i, "xdelay", 6, " ,"))
            k = DK_XDELAY;
        else if (has_key(msg.p, i, "QT", 2, " "))
            k = DK_QT;
        else if (has_key(msg.p, i, "DT", 2, " "))
            k = DK_DT;
        i++;
        if (k == DK_COUNT || has[k])
            continue;
        if (k == DK_DELAY || k == DK_XDELAY)
            has[k] = parse_delay_value(msg.p + i, end, &found[k]);
        else
            has[k] = parse_exim_time(msg.p + i, end, &found[k]);
        if (has[DK_DELAY])
            break; /* the best there is */
    }
    for (unsigned k = 0; k < DK_COUNT; k++) {
        if (has[k]) {
            *ms = found[k];
            return true;
        }
    }
    return false;
}

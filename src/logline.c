/*
 * logline.c: a hand-written prefix parser. Prefixes are positional and
 * cheap to walk, so this needs no regex; everything MTA-specific after the
 * prefix is left to the rules.
 */
#include "logline.h"

#include <stdbool.h>
#include <stddef.h>

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Count of digits at s[i..], at most max. */
static size_t
digits(struct span s, size_t i, size_t max)
{
    size_t n = 0;
    while (i + n < s.len && n < max && is_digit((unsigned char)s.p[i + n]))
        n++;
    return n;
}

static bool
at(struct span s, size_t i, char c)
{
    return i < s.len && s.p[i] == c;
}

static size_t
skip_spaces(struct span s, size_t i)
{
    while (i < s.len && s.p[i] == ' ')
        i++;
    return i;
}

/* hh:mm:ss with optional fraction; returns the end or 0. */
static size_t
parse_clock(struct span s, size_t i)
{
    if (digits(s, i, 2) != 2 || !at(s, i + 2, ':') ||
        digits(s, i + 3, 2) != 2 || !at(s, i + 5, ':') ||
        digits(s, i + 6, 2) != 2)
        return 0;
    i += 8;
    if (at(s, i, '.') || at(s, i, ','))
        i += 1 + digits(s, i + 1, 9);
    return i;
}

/* Z, +hh:mm, +hhmm; returns the end (i when absent). */
static size_t
parse_zone(struct span s, size_t i)
{
    if (at(s, i, 'Z'))
        return i + 1;
    if (at(s, i, '+') || at(s, i, '-')) {
        if (digits(s, i + 1, 2) == 2 && at(s, i + 3, ':') &&
            digits(s, i + 4, 2) == 2)
            return i + 6;
        if (digits(s, i + 1, 4) == 4)
            return i + 5;
    }
    return i;
}

/* "Nov 22 10:00:01" or "Nov  2 10:00:01[.frac]"; returns end or 0. */
static size_t
parse_bsd_stamp(struct span s)
{
    size_t i;

    if (s.len < 15 || !is_alpha((unsigned char)s.p[0]) ||
        !is_alpha((unsigned char)s.p[1]) || !is_alpha((unsigned char)s.p[2]) ||
        s.p[3] != ' ')
        return 0;
    i = skip_spaces(s, 4);
    const size_t nd = digits(s, i, 2);
    if (nd == 0 || !at(s, i + nd, ' '))
        return 0;
    i += nd + 1;
    /* Some daemons write the year: "Nov 22 2026 10:00:01". */
    if (digits(s, i, 4) == 4 && at(s, i + 4, ' '))
        i += 5;
    return parse_clock(s, i);
}

/*
 * "YYYY-MM-DD" then 'T' or ' ' then a clock and an optional zone. Sets
 * *is_space_form when the separator is a space (Exim's style).
 */
static size_t
parse_iso_stamp(struct span s, bool *is_space_form)
{
    if (digits(s, 0, 4) != 4 || !at(s, 4, '-') || digits(s, 5, 2) != 2 ||
        !at(s, 7, '-') || digits(s, 8, 2) != 2)
        return 0;
    if (!at(s, 10, 'T') && !at(s, 10, ' '))
        return 0;
    *is_space_form = s.p[10] == ' ';
    size_t i = parse_clock(s, 11);
    if (i == 0)
        return 0;
    if (*is_space_form && at(s, i, ' ') &&
        (at(s, i + 1, '+') || at(s, i + 1, '-'))) {
        const size_t z = parse_zone(s, i + 1);
        if (z > i + 1)
            i = z;
    } else {
        i = parse_zone(s, i);
    }
    return i;
}

/* qmail multilog "@4000000063f..." (TAI64N, 25 characters). */
static size_t
parse_tai64n(struct span s)
{
    size_t i = 1;

    if (!at(s, 0, '@'))
        return 0;
    while (i < s.len && i < 25 &&
           (is_digit((unsigned char)s.p[i]) ||
            ((s.p[i] | 0x20) >= 'a' && (s.p[i] | 0x20) <= 'f')))
        i++;
    return i == 25 ? i : 0;
}

static bool
is_tag_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' ||
           c == '/' || c == '@';
}

/*
 * A syslog tag at s[i..]: "prog[pid]: " or "prog: ". Fills program and
 * pid; returns the index of the message or 0.
 */
static size_t
parse_tag(struct span s, size_t i, struct logline *out)
{
    const size_t start = i;

    if (i >= s.len || !is_alpha((unsigned char)s.p[i]))
        return 0;
    while (i < s.len && is_tag_char((unsigned char)s.p[i]))
        i++;
    const size_t prog_end = i;
    size_t pid_start = 0, pid_end = 0;
    if (at(s, i, '[')) {
        pid_start = i + 1;
        const size_t nd = digits(s, pid_start, 10);
        if (nd == 0 || !at(s, pid_start + nd, ']'))
            return 0;
        pid_end = pid_start + nd;
        i = pid_end + 1;
    }
    if (!at(s, i, ':') || (i + 1 < s.len && s.p[i + 1] != ' '))
        return 0;
    out->program = span_make(s.p + start, prog_end - start);
    out->pid = span_make(s.p + pid_start, pid_end - pid_start);
    return i + 1 < s.len ? i + 2 : i + 1;
}

/* Index after the next run of non-spaces starting at i. */
static size_t
skip_token(struct span s, size_t i)
{
    while (i < s.len && s.p[i] != ' ')
        i++;
    return i;
}

void
logline_parse(struct span line, struct logline *out)
{
    size_t i = 0, m;
    bool is_space_form = false;

    *out = (struct logline){SHAPE_BARE,           span_make(line.p, 0),
                            span_make(line.p, 0), span_make(line.p, 0),
                            span_make(line.p, 0), line};

    bool is_tai64n = false;
    if ((i = parse_bsd_stamp(line)) == 0 &&
        (i = parse_iso_stamp(line, &is_space_form)) == 0) {
        i = parse_tai64n(line);
        is_tai64n = i != 0;
    }
    out->stamp = span_make(line.p, i);
    size_t after_stamp = i == 0 ? 0 : skip_spaces(line, i);
    if (i != 0 && after_stamp == i)
        return; /* a stamp must be followed by a space */
    const bool is_single_space = after_stamp == i + 1;
    /* Some syslog setups log the priority: "<mail.notice>" or "<22>". */
    if (at(line, after_stamp, '<')) {
        const size_t end = skip_token(line, after_stamp);
        if (end > after_stamp + 2 && line.p[end - 1] == '>' && end < line.len)
            after_stamp = skip_spaces(line, end);
    }

    /* "[host] program[pid]: msg": try with a host first, then without. */
    /* Without a stamp, only a tag with a [pid] is trusted to be one. */
    const bool has_stamp = i != 0;
    const size_t host_end = skip_token(line, after_stamp);
    /* multilog writes no host: "@4000... triple bounce: ..." is a message. */
    if (!is_tai64n && host_end < line.len &&
        (m = parse_tag(line, host_end + 1, out)) != 0 &&
        (has_stamp || out->pid.len > 0)) {
        out->shape = SHAPE_SYSLOG;
        out->host = span_make(line.p + after_stamp, host_end - after_stamp);
    } else if ((m = parse_tag(line, after_stamp, out)) != 0 &&
               (out->pid.len > 0 || (has_stamp && !is_space_form))) {
        out->shape = SHAPE_SYSLOG;
    } else if (is_space_form && is_single_space) {
        /* Exim main.log: the message follows the stamp, maybe a [pid]. */
        out->program = span_make(line.p, 0);
        out->pid = span_make(line.p, 0);
        m = after_stamp;
        if (at(line, m, '[')) {
            const size_t nd = digits(line, m + 1, 10);
            if (nd > 0 && at(line, m + 1 + nd, ']') &&
                at(line, m + 2 + nd, ' ')) {
                out->pid = span_make(line.p + m + 1, nd);
                m += nd + 3;
            }
        }
        out->shape = SHAPE_EXIM;
        out->msg = span_from(line, m);
        return;
    } else {
        out->program = span_make(line.p, 0);
        out->pid = span_make(line.p, 0);
        out->msg = span_from(line, after_stamp);
        return;
    }

    /* Exim logging to syslog repeats its own stamp inside the message. */
    struct span msg = span_from(line, m);
    bool inner_space_form = false;
    const size_t inner = parse_iso_stamp(msg, &inner_space_form);
    if (inner > 0 && inner_space_form && at(msg, inner, ' '))
        msg = span_from(msg, inner + 1);
    out->msg = msg;
}

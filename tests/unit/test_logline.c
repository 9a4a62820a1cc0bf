/*
 * test_logline.c: the prefix parser on each supported shape (BSD syslog,
 * with a year, RFC 3339, journalctl short-iso, Exim main.log with and
 * without [pid], a syslog priority token, Exim via syslog, qmail TAI64N)
 * and on lines that must stay bare; every span is checked exactly.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"

/* What a line must parse to; NULL means "empty span". */
struct expect {
    enum logline_shape shape;
    const char *stamp;
    const char *host;
    const char *program;
    const char *pid;
    const char *msg;
};

static void
assert_span(const char *what, const char *want, struct span got,
            struct span line)
{
    const char *const w = want ? want : "";

    cr_assert(got.len == 0 ||
                  (got.p >= line.p && got.p + got.len <= line.p + line.len),
              "%s lies outside the line", what);
    cr_assert(span_eq_str(got, w), "%s: expected '%s', got '%.*s'", what, w,
              (int)got.len, got.len ? got.p : "");
}

static void
check_line(const char *text, const struct expect *e)
{
    const struct span line = span_make(text, strlen(text));
    struct logline ll;

    logline_parse(line, &ll);
    cr_assert_eq(e->shape, ll.shape, "shape of '%s'", text);
    assert_span("stamp", e->stamp, ll.stamp, line);
    assert_span("host", e->host, ll.host, line);
    assert_span("program", e->program, ll.program, line);
    assert_span("pid", e->pid, ll.pid, line);
    assert_span("msg", e->msg, ll.msg, line);
    /* A non-empty msg always ends the line. */
    if (ll.msg.len > 0)
        cr_assert_eq(line.p + line.len, ll.msg.p + ll.msg.len,
                     "msg does not end at the end of the line");
}

TestSuite(logline, .timeout = 10);

Test(logline, parses_bsd_syslog)
{
    const struct expect e = {
        SHAPE_SYSLOG, "Nov 22 10:00:01",
        "mx",         "postfix/smtp",
        "2211",       "3F2A1C0B9D: to=<anna@example.org>, dsn=5.1.1"};

    check_line("Nov 22 10:00:01 mx postfix/smtp[2211]: 3F2A1C0B9D: "
               "to=<anna@example.org>, dsn=5.1.1",
               &e);
}

Test(logline, parses_bsd_syslog_with_single_digit_day)
{
    const struct expect e = {SHAPE_SYSLOG,
                             "Nov  3 11:35:30",
                             "mx",
                             "sendmail",
                             "26254",
                             "rA37ZTSC026250: <nobody@example.org>... No such "
                             "user here"};

    check_line("Nov  3 11:35:30 mx sendmail[26254]: rA37ZTSC026250: "
               "<nobody@example.org>... No such user here",
               &e);
}

Test(logline, parses_bsd_syslog_with_a_year)
{
    const struct expect e = {SHAPE_SYSLOG, "Nov 22 2026 10:00:01",
                             "mx",         "postfix/smtpd",
                             "12",         "connect from unknown[192.0.2.1]"};

    check_line("Nov 22 2026 10:00:01 mx postfix/smtpd[12]: connect from "
               "unknown[192.0.2.1]",
               &e);
}

Test(logline, parses_syslog_without_a_host)
{
    const struct expect e = {SHAPE_SYSLOG, "Nov 22 10:00:01",
                             NULL,         "postfix/qmgr",
                             "771",        "3F2A1C0B9D: removed"};

    check_line("Nov 22 10:00:01 postfix/qmgr[771]: 3F2A1C0B9D: removed", &e);
}

Test(logline, parses_syslog_tag_without_pid)
{
    const struct expect e = {
        SHAPE_SYSLOG, "Jul  4 18:39:39",
        "mail",       "courieresmtpd",
        NULL,         "error,relay=::ffff:192.0.2.4: 550 5.1.1"};

    check_line("Jul  4 18:39:39 mail courieresmtpd: "
               "error,relay=::ffff:192.0.2.4: 550 5.1.1",
               &e);
}

Test(logline, parses_rfc3339_with_fraction_and_zone)
{
    const struct expect e = {SHAPE_SYSLOG, "2026-11-22T10:00:03.123456+01:00",
                             "mx",         "postfix/lmtp",
                             "991",        "5C2E3F4A5B: to=<carl@example.com>"};

    check_line("2026-11-22T10:00:03.123456+01:00 mx postfix/lmtp[991]: "
               "5C2E3F4A5B: to=<carl@example.com>",
               &e);
}

Test(logline, parses_rfc3339_with_z_zone)
{
    const struct expect e = {
        SHAPE_SYSLOG, "2026-11-22T10:00:03Z", "mx", "postfix/smtp", "1", "x"};

    check_line("2026-11-22T10:00:03Z mx postfix/smtp[1]: x", &e);
}

Test(logline, parses_journalctl_short_iso)
{
    const struct expect e = {
        SHAPE_SYSLOG, "2026-11-22T10:00:01+0100", "host", "prog", "123", "msg"};

    check_line("2026-11-22T10:00:01+0100 host prog[123]: msg", &e);
}

Test(logline, parses_exim_main_log)
{
    const struct expect e = {SHAPE_EXIM,
                             "2026-11-22 10:00:22",
                             NULL,
                             NULL,
                             NULL,
                             "1tXyZa-0001Ab-Cd => anna@example.org "
                             "R=dnslookup T=remote_smtp"};

    check_line("2026-11-22 10:00:22 1tXyZa-0001Ab-Cd => anna@example.org "
               "R=dnslookup T=remote_smtp",
               &e);
}

Test(logline, parses_exim_main_log_with_pid)
{
    const struct expect e = {SHAPE_EXIM,
                             "2013-06-15 11:20:36",
                             NULL,
                             NULL,
                             "2516",
                             "1Unmew-0000ea-SE H=egeftech.example "
                             "[198.51.100.148]:32706 rejected after DATA"};

    check_line("2013-06-15 11:20:36 [2516] 1Unmew-0000ea-SE "
               "H=egeftech.example [198.51.100.148]:32706 rejected after DATA",
               &e);
}

Test(logline, parses_exim_main_log_with_zone)
{
    const struct expect e = {SHAPE_EXIM, "2026-11-22 10:00:22 +0100",
                             NULL,       NULL,
                             NULL,       "1tXyZa-0001Ab-Cd Completed"};

    check_line("2026-11-22 10:00:22 +0100 1tXyZa-0001Ab-Cd Completed", &e);
}

Test(logline, exim_reject_with_host_field_stays_exim)
{
    const struct expect e = {SHAPE_EXIM,
                             "2026-11-22 10:00:27",
                             NULL,
                             NULL,
                             NULL,
                             "H=mail.example.com [192.0.2.1] F=<b@example.com> "
                             "temporarily rejected RCPT <anna@example.org>: "
                             "greylisted"};

    check_line("2026-11-22 10:00:27 H=mail.example.com [192.0.2.1] "
               "F=<b@example.com> temporarily rejected RCPT "
               "<anna@example.org>: greylisted",
               &e);
}

Test(logline, skips_a_syslog_priority_token)
{
    const struct expect e = {SHAPE_SYSLOG, "Jan  5 12:00:00",
                             "mail",       "postfix/smtpd",
                             "99",         "connect from x"};

    check_line("Jan  5 12:00:00 <mail.notice> mail postfix/smtpd[99]: "
               "connect from x",
               &e);
}

Test(logline, removes_the_inner_exim_stamp_of_exim_via_syslog)
{
    const struct expect e = {
        SHAPE_SYSLOG, "Nov 22 10:00:01",
        "host",       "exim",
        "123",        "1lrlAB-0003xY-Cd ** a@example.org: 550 5.1.1"};

    check_line("Nov 22 10:00:01 host exim[123]: 2021-07-17 23:20:49 "
               "1lrlAB-0003xY-Cd ** a@example.org: 550 5.1.1",
               &e);
}

Test(logline, parses_qmail_tai64n)
{
    const struct expect e = {SHAPE_SYSLOG, "@4000000063f0a1b20c3d4e5f",
                             NULL,         "qmail-send",
                             NULL,         "delivery 1: success: did_1+0+0/"};

    check_line("@4000000063f0a1b20c3d4e5f qmail-send: delivery 1: success: "
               "did_1+0+0/",
               &e);
}

Test(logline, bare_text_is_the_whole_message)
{
    const char *const text = "hello world, 550 no stamp here";
    const struct expect e = {SHAPE_BARE, NULL, NULL, NULL, NULL, text};

    check_line(text, &e);
}

Test(logline, empty_line_is_bare)
{
    const struct expect e = {SHAPE_BARE, NULL, NULL, NULL, NULL, ""};

    check_line("", &e);
}

Test(logline, diagnostic_code_line_stays_bare)
{
    /* "Diagnostic-Code:" looks like a tag, but has neither pid nor stamp. */
    const char *const text = "Diagnostic-Code: smtp; 550 5.1.1 <a@example.jp>"
                             "... User Unknown";
    const struct expect e = {SHAPE_BARE, NULL, NULL, NULL, NULL, text};

    check_line(text, &e);
}

Test(logline, tag_with_pid_is_trusted_without_a_stamp)
{
    const struct expect e = {SHAPE_SYSLOG,   NULL, "mx",
                             "postfix/smtp", "7",  "msg"};

    check_line("mx postfix/smtp[7]: msg", &e);
}

Test(logline, stamp_without_a_following_space_is_bare)
{
    const char *const text = "Nov 22 10:00:01";
    const struct span line = span_make(text, strlen(text));
    struct logline ll;

    logline_parse(line, &ll);
    cr_assert_eq(SHAPE_BARE, ll.shape);
    cr_assert_eq(0, ll.program.len);
    cr_assert(span_eq(line, ll.msg));
}

Test(logline, iso_stamp_with_two_spaces_is_not_exim)
{
    /* Domino writes its own stamp and several spaces before the text. */
    const char *const text = "2016-11-07 22:21:20  smtp: postmaster "
                             "[192.0.2.4] authentication failure";
    const struct span line = span_make(text, strlen(text));
    struct logline ll;

    logline_parse(line, &ll);
    cr_assert_neq(SHAPE_EXIM, ll.shape);
    cr_assert_eq(0, ll.pid.len);
    cr_assert(ll.msg.p >= line.p && ll.msg.len <= line.len);
    cr_assert_eq(line.p + line.len, ll.msg.p + ll.msg.len);
    cr_assert_geq(ll.msg.len, strlen("postmaster [192.0.2.4] authentication "
                                     "failure"));
}

Test(logline, syslog_line_with_empty_message)
{
    const struct expect e = {
        SHAPE_SYSLOG, "Nov 22 10:00:01", "mx", "postfix/smtp", "1", NULL};

    check_line("Nov 22 10:00:01 mx postfix/smtp[1]:", &e);
}

Test(logline, embedded_nul_in_the_message_is_kept)
{
    static const char text[] = "Nov 22 10:00:01 mx prog[1]: a\0b";
    const struct span line = span_make(text, sizeof(text) - 1);
    struct logline ll;

    logline_parse(line, &ll);
    cr_assert_eq(SHAPE_SYSLOG, ll.shape);
    cr_assert_eq(3, ll.msg.len);
    cr_assert_eq(0, memcmp("a\0b", ll.msg.p, 3));
}

Test(logline, truncated_prefixes_stay_inside_the_line)
{
    /*
     * Every prefix of a syslog line, in a heap block of exactly its size
     * (so the sanitizer build catches a read past the end).
     */
    const char *const text = "2026-11-22T10:00:03.123456+01:00 mx "
                             "postfix/lmtp[991]: 2021-07-17 23:20:49 x";
    const size_t n = strlen(text);

    for (size_t len = 0; len <= n; len++) {
        char *const buf = malloc(len ? len : 1);
        cr_assert_not_null(buf);
        memcpy(buf, text, len);
        const struct span line = span_make(buf, len);
        struct logline ll;
        logline_parse(line, &ll);
        cr_assert(ll.msg.len <= len && ll.msg.p >= buf &&
                      ll.msg.p + ll.msg.len <= buf + len,
                  "prefix of %zu bytes: msg outside the line", len);
        cr_assert_leq(ll.stamp.len, len);
        free(buf);
    }
}

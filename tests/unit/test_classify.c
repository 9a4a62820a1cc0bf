/*
 * test_classify.c: classify_line end to end with the real rules/ directory:
 * Postfix bounced/deferred/sent/reject, Exim **, Sendmail stat=, a generic
 * bounce text and a line without outcome; the --max-line window (bytes past
 * it are neither used nor read); CRLF classifies like LF; the recipient
 * domain, relay host and delay of real Postfix, Exim and Sendmail lines.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "classify.h"
#include "match.h"
#include "rules.h"

static struct rules_source *src;
static size_t n_src;
static struct ruleset *rs;
static struct matcher m;

static void
report_problem(void *ctx, const char *file, unsigned line, const char *msg)
{
    (void)ctx;
    cr_log_error("%s:%u: %s", file, line, msg);
}

static void
setup(void)
{
    struct sc_err err;

    memset(&err, 0, sizeof(err));
    src = NULL;
    n_src = 0;
    cr_assert_eq(0,
                 rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err),
                 "%s: %s", err.file, err.msg);
    cr_assert_eq(0, rules_load(src, n_src, &rs, report_problem, NULL));
    matcher_init(&m, rs);
}

static void
teardown(void)
{
    matcher_fini(&m);
    rules_free(rs);
    rules_sources_free(src, n_src);
    rs = NULL;
    src = NULL;
}

TestSuite(classify, .init = setup, .fini = teardown, .timeout = 30);

#define WINDOW_DEFAULT (64u * 1024u)

/* NULL: the span must be absent (p == NULL or empty). */
static void
assert_span(const char *what, const char *want, struct span got)
{
    if (want == NULL) {
        cr_assert(got.p == NULL || got.len == 0,
                  "%s: expected none, got '%.*s'", what, (int)got.len, got.p);
        return;
    }
    cr_assert_not_null(got.p, "%s: expected '%s', got none", what, want);
    cr_assert(span_eq_str(got, want), "%s: expected '%s', got '%.*s'", what,
              want, (int)got.len, got.p);
}

struct expect {
    const char *mta;
    enum sc_event event;
    enum sc_class cls;
    enum sc_category category;
    uint16_t reply;
    struct smtp_enhanced enh;
    const char *queue_id;
    const char *rcpt_domain;
};

static void
check_outcome(const char *line, const struct expect *e, struct outcome *o)
{
    classify_line(&m, span_make(line, strlen(line)), WINDOW_DEFAULT, o);
    cr_assert(o->has_outcome, "no outcome for '%s'", line);
    cr_assert_str_eq(e->mta, rs->mtas[o->mta].name);
    cr_assert_eq(e->event, o->event, "event: expected '%s', got '%s'",
                 taxonomy_event_name(e->event), taxonomy_event_name(o->event));
    cr_assert_eq(e->cls, o->cls, "class: expected '%s', got '%s'",
                 taxonomy_class_name(e->cls), taxonomy_class_name(o->cls));
    cr_assert_eq(e->category, o->category, "category: expected '%s', got '%s'",
                 taxonomy_category_name(e->category),
                 taxonomy_category_name(o->category));
    cr_assert_eq(e->reply, o->reply);
    cr_assert_eq(e->enh.cls, o->enh.cls);
    cr_assert_eq(e->enh.subject, o->enh.subject);
    cr_assert_eq(e->enh.detail, o->enh.detail);
    assert_span("queue_id", e->queue_id, o->queue_id);
    assert_span("rcpt_domain", e->rcpt_domain, o->rcpt_domain);
}

Test(classify, postfix_bounced)
{
    const struct expect e = {"postfix",        EVENT_BOUNCED, CLASS_PERMANENT,
                             CAT_USER_UNKNOWN, 550,           {5, 1, 1},
                             "A1B2C3D4E5",     "dest.example"};
    struct outcome o;

    check_outcome(
        "Nov 22 10:00:01 mx postfix/smtp[2211]: A1B2C3D4E5: "
        "to=<user@dest.example>, relay=mx.dest.example[192.0.2.25]:25, "
        "delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host "
        "mx.dest.example[192.0.2.25] said: 550 5.1.1 <user@dest.example>: "
        "Recipient address rejected: User unknown in local recipient table "
        "(in reply to RCPT TO command))",
        &e, &o);
    assert_span("relay", "mx.dest.example[192.0.2.25]:25", o.relay);
    cr_assert_eq(SHAPE_SYSLOG, o.ll.shape);
    cr_assert(taxonomy_is_hard_bounce(o.cls, o.category));
}

Test(classify, postfix_deferred)
{
    const struct expect e = {
        "postfix", EVENT_DEFERRED, CLASS_TRANSIENT, CAT_MAILBOX_FULL,
        452,       {4, 2, 2},      "B2C3D4E5F6",    "full.example"};
    struct outcome o;

    check_outcome(
        "Nov 22 10:00:02 mx postfix/smtp[2211]: B2C3D4E5F6: "
        "to=<box@full.example>, relay=mx.full.example[198.51.100.7]:25, "
        "delay=3, delays=0.1/0/1/1.9, dsn=4.2.2, status=deferred (host "
        "mx.full.example[198.51.100.7] said: 452 4.2.2 Mailbox full (in "
        "reply to RCPT TO command))",
        &e, &o);
}

Test(classify, postfix_deferred_without_a_reply_code)
{
    const struct expect e = {
        "postfix", EVENT_DEFERRED, CLASS_TRANSIENT, CAT_NETWORK_ERROR,
        0,         {4, 4, 1},      "4B1D2E3F4A",    "example.net"};
    struct outcome o;

    check_outcome("Nov 22 10:00:02 mx postfix/smtp[2211]: 4B1D2E3F4A: "
                  "to=<bob@example.net>, relay=none, delay=30, "
                  "delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to "
                  "mx.example.net[198.51.100.7]:25: Connection timed out)",
                  &e, &o);
}

Test(classify, postfix_sent)
{
    const struct expect e = {"postfix",     EVENT_SENT,  CLASS_SUCCESS,
                             CAT_DELIVERED, 250,         {2, 0, 0},
                             "C3D4E5F6A7",  "ok.example"};
    struct outcome o;

    check_outcome("Nov 22 10:00:03 mx postfix/smtp[2211]: C3D4E5F6A7: "
                  "to=<a@ok.example>, relay=mx.ok.example[203.0.113.5]:25, "
                  "delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent "
                  "(250 2.0.0 Ok: queued as 4F1A250B3C)",
                  &e, &o);
}

Test(classify, postfix_smtpd_reject)
{
    const struct expect e = {
        "postfix", EVENT_REJECTED, CLASS_PERMANENT, CAT_BLOCKLISTED, 554,
        {5, 7, 1}, NULL,           "example.org"};
    struct outcome o;

    check_outcome(
        "Nov 22 10:00:07 mx postfix/smtpd[3010]: NOQUEUE: reject: RCPT from "
        "unknown[203.0.113.9]: 554 5.7.1 Service unavailable; Client host "
        "[203.0.113.9] blocked using zen.spamhaus.org; "
        "from=<x@spam.example> to=<anna@example.org> proto=ESMTP "
        "helo=<spam.example>",
        &e, &o);
    assert_span("client", "unknown[203.0.113.9]", o.client);
    assert_span("sender_domain", "spam.example", o.sender_domain);
}

Test(classify, exim_bounced)
{
    const struct expect e = {
        "exim", EVENT_BOUNCED, CLASS_PERMANENT,    CAT_USER_UNKNOWN,
        550,    {5, 1, 1},     "1tXyZa-0001Ab-Cd", "example.org"};
    struct outcome o;

    check_outcome(
        "2026-11-22 10:00:24 1tXyZa-0001Ab-Cd ** anna@example.org "
        "R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.25]: SMTP "
        "error from remote mail server after RCPT TO:<anna@example.org>: "
        "550 5.1.1 <anna@example.org>: Recipient address rejected: User "
        "unknown",
        &e, &o);
    cr_assert_eq(SHAPE_EXIM, o.ll.shape);
}

Test(classify, sendmail_stat_user_unknown)
{
    const struct expect e = {
        "sendmail", EVENT_BOUNCED, CLASS_PERMANENT,  CAT_USER_UNKNOWN,
        0,          {5, 1, 1},     "4AMA0W1x003912", "example.org"};
    struct outcome o;

    check_outcome("Nov 22 10:00:33 mx sendmail[3911]: 4AMA0W1x003912: "
                  "to=<bob@example.org>, ctladdr=<u@example.com> (1000/1000), "
                  "delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30000, "
                  "relay=mx.example.org. [192.0.2.25], dsn=5.1.1, stat=User "
                  "unknown",
                  &e, &o);
}

Test(classify, sendmail_stat_sent)
{
    const struct expect e = {
        "sendmail", EVENT_SENT, CLASS_SUCCESS,    CAT_DELIVERED,
        0,          {2, 0, 0},  "4AMA0W1x003911", "example.org"};
    struct outcome o;

    check_outcome("Nov 22 10:00:32 mx sm-mta[3911]: 4AMA0W1x003911: "
                  "to=<anna@example.org>, delay=00:00:01, xdelay=00:00:01, "
                  "mailer=esmtp, pri=120000, relay=mx.example.org. "
                  "[192.0.2.25], dsn=2.0.0, stat=Sent (4bQ0Ew5RQGXYAQAAUcbVvg "
                  "Message accepted for delivery)",
                  &e, &o);
}

Test(classify, generic_bounce_text)
{
    const struct expect e = {"generic",
                             EVENT_NONE,
                             CLASS_PERMANENT,
                             CAT_USER_UNKNOWN,
                             550,
                             {5, 1, 1},
                             NULL,
                             NULL};
    struct outcome o;

    check_outcome("Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>... "
                  "User Unknown",
                  &e, &o);
    cr_assert_eq(SHAPE_BARE, o.ll.shape);
}

Test(classify, line_without_outcome)
{
    static const char line[] = "Nov 22 10:00:05 mx postfix/smtpd[771]: "
                               "connect from unknown[192.0.2.250]";
    struct outcome o;

    classify_line(&m, SPAN_LIT(line), WINDOW_DEFAULT, &o);
    cr_assert_not(o.has_outcome);
    cr_assert_str_eq("postfix", rs->mtas[o.mta].name);
    cr_assert_eq(-1, o.event_rule);
    cr_assert_eq(0, o.reply);
    cr_assert_eq(0, o.enh.cls);
    cr_assert_eq(CLASS_NONE, o.cls);
    cr_assert_eq(CAT_NONE, o.category);
}

Test(classify, numbers_that_are_not_codes_give_no_outcome)
{
    static const char *const lines[] = {
        "Nov 22 10:00:05 mx postfix/qmgr[771]: 3F2A1C0B9D: "
        "from=<a@example.org>, size=5500, nrcpt=1 (queue active)",
        "Nov 22 10:00:39 host myapp[12]: took 250 ms to answer",
        "Nov 22 10:00:40 host dovecot[12]: Dovecot v2.3.19 starting up",
        "Nov 22 10:00:38 host kernel: [ 550.1234] usb 2-1: new device",
        "",
    };

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct outcome o;
        classify_line(&m, span_make(lines[i], strlen(lines[i])), WINDOW_DEFAULT,
                      &o);
        cr_assert_not(o.has_outcome, "'%s' has an outcome", lines[i]);
    }
}

/* ---- the window -------------------------------------------------------- */

#define BIG_LEN (1024u * 1024u)

/* A 1 MB generic line whose only code is at its very end. */
static char *
big_line_with_code_at_end(size_t *len)
{
    static const char tail[] = " said: 550 5.1.1 User unknown";
    char *const p = malloc(BIG_LEN);

    cr_assert_not_null(p);
    for (size_t i = 0; i < BIG_LEN; i++)
        p[i] = (i % 8 == 7) ? ' ' : 'a';
    memcpy(p + BIG_LEN - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    *len = BIG_LEN;
    return p;
}

Test(classify, code_beyond_the_window_is_not_classified)
{
    size_t len;
    char *const line = big_line_with_code_at_end(&len);
    struct outcome o;

    classify_line(&m, span_make(line, len), WINDOW_DEFAULT, &o);
    cr_assert_not(o.has_outcome);
    cr_assert_eq(0, o.reply);
    cr_assert_leq(o.ll.msg.len, WINDOW_DEFAULT);
    free(line);
}

Test(classify, code_inside_a_wide_enough_window_is_classified)
{
    size_t len;
    char *const line = big_line_with_code_at_end(&len);
    struct outcome o;

    classify_line(&m, span_make(line, len), 2 * BIG_LEN, &o);
    cr_assert(o.has_outcome);
    cr_assert_eq(550, o.reply);
    cr_assert_eq(5, o.enh.cls);
    cr_assert_eq(CAT_USER_UNKNOWN, o.category);
    free(line);
}

Test(classify, bytes_past_the_window_are_never_read)
{
    /* The window's bytes are mapped; the rest of the 1 MB line is not. */
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t window = WINDOW_DEFAULT;
    const int fd = open("/dev/zero", O_RDWR);
    struct outcome o;

    cr_assert_eq(0, window % page);
    cr_assert_geq(fd, 0);
    char *const base =
        mmap(NULL, BIG_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    cr_assert_neq(MAP_FAILED, (void *)base);
    cr_assert_eq(0, close(fd));
    static const char head[] = "Nov 22 10:00:01 mx postfix/smtp[2211]: "
                               "A1B2C3D4E5: host mx.example.org[192.0.2.25] "
                               "said: ";
    memcpy(base, head, sizeof(head) - 1);
    memset(base + sizeof(head) - 1, 'x', window - (sizeof(head) - 1));
    cr_assert_eq(0, mprotect(base + window, BIG_LEN - window, PROT_NONE));

    classify_line(&m, span_make(base, BIG_LEN), window, &o);
    cr_assert_eq(0, o.reply);
    cr_assert_eq(0, o.enh.cls);
    cr_assert_eq(0, munmap(base, BIG_LEN));
}

/* ---- CRLF -------------------------------------------------------------- */

Test(classify, crlf_line_classifies_like_lf)
{
    static const char *const lines[] = {
        "Nov 22 10:00:01 mx postfix/smtp[2211]: A1B2C3D4E5: "
        "to=<user@dest.example>, relay=mx.dest.example[192.0.2.25]:25, "
        "delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host "
        "mx.dest.example[192.0.2.25] said: 550 5.1.1 User unknown (in reply "
        "to RCPT TO command))",
        "Nov 22 10:00:33 mx sendmail[3911]: 4AMA0W1x003912: "
        "to=<bob@example.org>, delay=00:00:00, mailer=esmtp, pri=30000, "
        "relay=mx.example.org. [192.0.2.25], dsn=5.1.1, stat=User unknown",
        "Status: 4.4.7",
        "2026-11-22 10:00:24 1tXyZa-0001Ab-Cd ** anna@example.org "
        "R=dnslookup: SMTP error from remote mail server after RCPT "
        "TO:<anna@example.org>: 550 5.1.1 User unknown",
    };

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        const size_t n = strlen(lines[i]);
        char *const crlf = malloc(n + 1);
        struct outcome lf_o, crlf_o;

        cr_assert_not_null(crlf);
        memcpy(crlf, lines[i], n);
        crlf[n] = '\r';
        classify_line(&m, span_make(lines[i], n), WINDOW_DEFAULT, &lf_o);
        classify_line(&m, span_make(crlf, n + 1), WINDOW_DEFAULT, &crlf_o);
        cr_assert(lf_o.has_outcome, "'%s'", lines[i]);
        cr_assert_eq(lf_o.has_outcome, crlf_o.has_outcome, "'%s'", lines[i]);
        cr_assert_eq(lf_o.mta, crlf_o.mta);
        cr_assert_eq(lf_o.event, crlf_o.event);
        cr_assert_eq(lf_o.cls, crlf_o.cls);
        cr_assert_eq(lf_o.category, crlf_o.category, "'%s'", lines[i]);
        cr_assert_eq(lf_o.reply, crlf_o.reply);
        cr_assert_eq(lf_o.enh.cls, crlf_o.enh.cls);
        cr_assert_eq(lf_o.enh.subject, crlf_o.enh.subject);
        cr_assert_eq(lf_o.enh.detail, crlf_o.enh.detail);
        cr_assert_eq(lf_o.event_rule, crlf_o.event_rule);
        cr_assert_eq(lf_o.reason_rule, crlf_o.reason_rule);
        cr_assert_eq(lf_o.ll.msg.len, crlf_o.ll.msg.len,
                     "the '\\r' is not part of the message");
        cr_assert_eq(lf_o.rcpt_domain.len, crlf_o.rcpt_domain.len);
        cr_assert_eq(lf_o.reason.len, crlf_o.reason.len);
        free(crlf);
    }
}

Test(classify, counter_key_carries_the_outcome)
{
    static const char line[] =
        "Nov 22 10:00:02 mx postfix/smtp[2211]: B2C3D4E5F6: "
        "to=<box@full.example>, relay=mx.full.example[198.51.100.7]:25, "
        "delay=3, delays=0.1/0/1/1.9, dsn=4.2.2, status=deferred (host "
        "mx.full.example[198.51.100.7] said: 452 4.2.2 Mailbox full (in "
        "reply to RCPT TO command))";
    struct outcome o;
    struct counter_key k;

    classify_line(&m, SPAN_LIT(line), WINDOW_DEFAULT, &o);
    classify_counter_key(&o, &k);
    cr_assert_eq(o.mta, k.mta);
    cr_assert_eq(452, k.reply);
    cr_assert_eq(4, k.enh_class);
    cr_assert_eq(2, k.enh_subject);
    cr_assert_eq(2, k.enh_detail);
    cr_assert_eq(EVENT_DEFERRED, k.event);
    cr_assert_eq(CLASS_TRANSIENT, k.cls);
    cr_assert_eq(CAT_MAILBOX_FULL, k.category);
}

/* ---- fields for the label families and the delay histogram ---- */

struct fields_case {
    const char *line;
    const char *rcpt_domain; /* NULL: none */
    const char *relay_host;  /* NULL: none */
    bool has_delay;
    uint64_t delay_ms;
};

static void
check_fields(const struct fields_case *fc)
{
    struct outcome o;
    const size_t n = strlen(fc->line);
    char *const copy = malloc(n); /* exact size: ASan sees over-reads */

    cr_assert_not_null(copy);
    memcpy(copy, fc->line, n);
    classify_line(&m, span_make(copy, n), WINDOW_DEFAULT, &o);
    cr_assert(o.has_outcome, "no outcome for '%s'", fc->line);
    assert_span("rcpt_domain", fc->rcpt_domain, o.rcpt_domain);
    assert_span("relay_host", fc->relay_host, o.relay_host);
    cr_assert_eq(fc->has_delay, o.has_delay, "delay in '%s'", fc->line);
    if (fc->has_delay)
        cr_assert_eq(fc->delay_ms, o.delay_ms, "'%s': %llu ms", fc->line,
                     (unsigned long long)o.delay_ms);
    free(copy);
}

/* Lines from /work/shared/corpus and tests/data. */
Test(classify, fields_of_postfix_lines)
{
    const struct fields_case cases[] = {
        {"Feb 24 16:18:40 letterman postfix/smtp[59649]: 5270320179: "
         "to=<hebj@telia.com>, relay=mail.telia.com[81.236.60.210]:25, "
         "delay=2017, delays=0.1/2017/0.03/0.05, dsn=2.0.0, status=sent (250 "
         "2.0.0 6FVIjIMwUJwU66FVIjAEB0 mail accepted for delivery)",
         "telia.com", "mail.telia.com", true, 2017000},
        {"Nov 22 10:00:02 mx postfix/smtp[2212]: B1: to=<bob@Example.NET>, "
         "relay=none, delay=30, delays=30/0/0/0, dsn=4.4.1, status=deferred "
         "(connect to mx.example.net[192.0.2.1]:25: Connection timed out)",
         "Example.NET", "none", true, 30000},
        {"Nov 22 10:00:03 mx postfix/local[2213]: C1: to=<u@example.org>, "
         "relay=local, delay=0.06, delays=0.05/0/0/0.01, dsn=2.0.0, "
         "status=sent (delivered to mailbox)",
         "example.org", "local", true, 60},
        {"Nov 22 10:00:04 mx postfix/smtpd[2214]: NOQUEUE: reject: RCPT from "
         "unknown[192.0.2.9]: 554 5.7.1 <x@relay.example>: Relay access "
         "denied; from=<a@b.example> to=<x@relay.example> proto=ESMTP "
         "helo=<h>",
         "relay.example", NULL, false, 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_fields(&cases[i]);
}

Test(classify, fields_of_exim_lines)
{
    const struct fields_case cases[] = {
        {"2025-03-03 09:01:01 1tp3Ab-000Bce-2y => carol@example.net "
         "R=dnslookup T=remote_smtp H=mx1.example.net [203.0.113.20] "
         "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 Ok: "
         "queued as 4D5E6F7A8B\" QT=2m3s DT=1s",
         "example.net", "mx1.example.net", true, 123000},
        {"2026-11-22 15:11:31 1t091a-000091-Cd ** fritz@example.de "
         "R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.25]: SMTP "
         "error from remote mail server after MAIL FROM:<anna@example.org>: "
         "550 inconsistent / missing DNS PTR record (RFC 1912 2.1)",
         "example.de", "mx.example.net", false, 0},
        {"2020-02-11 17:09:47 1j1Z2g-00Faoy-Uh ** admin@example.net "
         "R=virtual_aliases: No such person at this address.",
         "example.net", NULL, false, 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_fields(&cases[i]);
}

Test(classify, fields_of_sendmail_lines)
{
    const struct fields_case cases[] = {
        {"Mar  3 10:00:06 mail sm-mta[3111]: 523A0005003111: "
         "to=<carol@example.net>, ctladdr=<bob@example.org> (1001/1001), "
         "delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120812, "
         "relay=mx.example.net. [203.0.113.20], dsn=2.0.0, stat=Sent (Ok: "
         "queued as 7F8E9D0A1B)",
         "example.net", "mx.example.net", true, 1000},
        {"Mar  3 10:00:05 mail sendmail[3110]: 523A0005003110: "
         "to=carol@example.net, ctladdr=bob (1001/1001), delay=00:00:00, "
         "xdelay=00:00:00, mailer=relay, pri=30812, relay=[127.0.0.1] "
         "[127.0.0.1], dsn=2.0.0, stat=Sent (523A0005003111 Message accepted "
         "for delivery)",
         "example.net", "127.0.0.1", true, 0},
        {"Mar  3 10:01:00 mail sm-mta[3120]: 523A0100003120: "
         "to=<dave@example.net>, delay=1+00:00:30, xdelay=00:00:30, "
         "mailer=esmtp, pri=120812, relay=mx2.example.net. [198.51.100.31], "
         "dsn=4.0.0, stat=Deferred: Connection timed out with "
         "mx2.example.net.",
         "example.net", "mx2.example.net", true, 86430000},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_fields(&cases[i]);
}

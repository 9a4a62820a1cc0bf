/*
 * test_smtpcode.c: the code extractor, table-driven: true codes from
 * Postfix, Exim, Sendmail, qmail and DSN texts, and no false codes from the
 * numbers logs are full of (IP addresses, ports, pids, times, sizes, queue
 * ids, host names, versions). Also the exact parsers, the formatter, and
 * that scanning never reads past the span (exact-size heap blocks and a
 * guard page).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "smtpcode.h"

struct scan_case {
    const char *text;
    uint16_t reply;
    uint8_t cls; /* enhanced code; 0 = none */
    uint16_t subject;
    uint16_t detail;
};

/* Texts with a code: the first reply code and the enhanced code with it. */
static const struct scan_case true_codes[] = {
    /* Postfix */
    {"host mx.example.org[192.0.2.25] said: 550 5.1.1 <anna@example.org>: "
     "Recipient address rejected: User unknown in virtual mailbox table (in "
     "reply to RCPT TO command)",
     550, 5, 1, 1},
    {"host gmail-smtp-in.l.google.com[142.250.102.27] said: 550-5.1.1 The "
     "email account that you tried to reach does not exist. Please try "
     "550-5.1.1 double-checking the recipient's email address for typos or "
     "550-5.1.1 unnecessary spaces. 550 5.1.1 "
     "https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp (in "
     "reply to RCPT TO command)",
     550, 5, 1, 1},
    {"to=<a@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=1.2, "
     "delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host "
     "mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown)",
     550, 5, 1, 1},
    {"to=<bob@example.net>, relay=none, delay=30, dsn=4.4.1, status=deferred "
     "(connect to mx.example.net[198.51.100.7]:25: Connection timed out)",
     0, 4, 4, 1},
    {"NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 Service "
     "unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org",
     554, 5, 7, 1},
    {"NOQUEUE: reject: RCPT from mail.example.com[192.0.2.1]: 450 4.2.0 "
     "<anna@example.org>: Recipient address rejected: Greylisted",
     450, 4, 2, 0},
    {"host mx.example.org[192.0.2.25] said: 421 4.7.0 Too many concurrent "
     "SMTP connections; please try again later.",
     421, 4, 7, 0},
    {"status=sent (250 2.0.0 Ok: queued as 4F1A250B3C)", 250, 2, 0, 0},
    {"said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)", 452, 4, 2,
     2},
    {"said: 550-5.7.26 This mail has been blocked because the sender is "
     "unauthenticated. 550 5.7.26 Gmail requires all senders",
     550, 5, 7, 26},
    {"said: 421-4.7.0 [192.0.2.1 15] Our system has detected an unusual rate",
     421, 4, 7, 0},
    {"said: 550 5.7.606 Access denied, banned sending IP [192.0.2.1]", 550, 5,
     7, 606},
    {"said: 550 5.1.1", 550, 5, 1, 1},
    {"milter-reject: END-OF-MESSAGE from a.example[192.0.2.1]: 5.7.1 "
     "Rejected by SPAM filter (score 15.2)",
     0, 5, 7, 1},
    /* Exim */
    {"** anna@example.org R=dnslookup T=remote_smtp H=mx.example.org "
     "[192.0.2.25]: SMTP error from remote mail server after RCPT "
     "TO:<anna@example.org>: 550 5.1.1 <anna@example.org>: User unknown",
     550, 5, 1, 1},
    {"=> anna@example.org R=dnslookup T=remote_smtp H=mx.example.org "
     "[192.0.2.25] C=\"250 2.0.0 OK id=1tXyZb-0002\" QT=1s DT=0s",
     250, 2, 0, 0},
    {"SMTP error from remote mail server after end of data: 550-'5.7.1 Our "
     "system has detected that this message is likely unsolicited mail'",
     550, 5, 7, 1},
    {"dovecot_login authenticator failed for (User) [203.0.113.37]:21298 "
     "I=[192.0.2.4]:465: 535 Incorrect authentication data",
     535, 0, 0, 0},
    {"SMTP error from remote mail server after RCPT TO:<b@example.net>: 554 "
     "554 5.7.0 Reject, id=12345-01 - spam",
     554, 5, 7, 0},
    /* Sendmail */
    {"to=<c@example.net>, delay=00:05:00, xdelay=00:05:00, mailer=esmtp, "
     "pri=120000, relay=mx.example.net. [198.51.100.7], dsn=4.0.0, "
     "stat=Deferred: 421 4.7.0 Try again later",
     421, 4, 7, 0},
    {"to=<bob@example.org>, delay=00:00:00, mailer=esmtp, pri=30000, "
     "relay=mx.example.org. [192.0.2.25], dsn=5.1.1, stat=User unknown",
     0, 5, 1, 1},
    {"<nobody@example.org>... 550 5.1.1 <nobody@example.org>... User unknown",
     550, 5, 1, 1},
    {"5.1.1 <kijitora@example.or.jp>... 550 User unknown", 550, 5, 1, 1},
    /* DSN texts and other MTAs */
    {"Diagnostic-Code: smtp; 550 <kijitora@example.jp>... User Unknown", 550, 0,
     0, 0},
    {"Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>... User Unknown",
     550, 5, 1, 1},
    {"Status: 4.4.7", 0, 4, 4, 7},
    {"Status: 5.1.1 (Remote SMTP server has rejected address)", 0, 5, 1, 1},
    {"550 #5.1.1 User unknown", 550, 5, 1, 1},
    {"Remote Server returned '550 #5.1.1 RESOLVER.ADR.RecipNotFound; not "
     "found'",
     550, 5, 1, 1},
    {"550: 5.2.2 <box@example.org>... Mailbox Full", 550, 5, 2, 2},
    {"Remote host said: 550 no mailbox here by that name. (#5.1.1)", 550, 5, 1,
     1},
    {"Sorry, no mailbox here by that name. (#5.1.1)", 0, 5, 1, 1},
    {"Connected to 192.0.2.1 but connection died. (#4.4.2)", 0, 4, 4, 2},
    {"<kijitora@example.or.jp>   (5.1.1 <kijitora@example.or.jp>... User "
     "unknown)",
     0, 5, 1, 1},
    {"error,relay=::ffff:192.0.2.4,msg=\"535 Authentication failed.\",cmd: "
     "AUTH",
     535, 0, 0, 0},
    {"[550 5.1.1 User unknown]", 550, 5, 1, 1},
    {"250 2.0.0OK 1700000000 a1si123", 250, 2, 0, 0},
    {"554-Bad DNS PTR resource record. 554 For explanation visit", 554, 0, 0,
     0},
    {"552 5.2.2 Over quota", 552, 5, 2, 2},
    {"4.7.1 Try again later", 0, 4, 7, 1},
};

/* Texts full of numbers that are not codes. */
static const char *const no_codes[] = {
    "connect from unknown[192.0.2.250]",
    "lost connection after CONNECT from 250.1.2.3",
    "client 2.3.4.5 connected",
    "to=<a@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=1",
    "connect to smtp.example.com[198.51.100.7]:587: Connection refused",
    "relay=[1.2.3.4]:2525, delay=0.2",
    "postfix/smtpd[5500]: connect from mail.example.com",
    "postfix/smtpd[550]: disconnect from mail.example.com",
    "warning at 12:55:01 and again at 23:25:50",
    "from=<a@example.org>, size=550, nrcpt=1 (queue active)",
    "delay=250, delays=0.1/0/250/0.5",
    "4F1A250B3C: removed",
    "took 5500 ms",
    "code 055 is not a code",
    "reply 699 out of the grammar",
    "reply 199 out of the grammar",
    "connect from mx550.example.com[198.51.100.2]",
    "host 211-75-6-133.example.net [192.0.2.133]: possible SMTP attack",
    "Dovecot v2.3.19 ready",
    "package version 2.4.1-2",
    "enhanced-looking 5.99999.1 text",
    "uid=550 gid=550",
    "job 250-3 done",
    "ratio 250:12",
    "price 4.50 EUR",
    "message-id=<5500@example.org>",
};

static bool
scan_text(const char *text, struct smtp_codes *out)
{
    return smtpcode_scan(span_make(text, strlen(text)), out);
}

/*
 * One timeout for the whole suite: Criterion 2.4 leaks in its runner when
 * a test overrides the suite's timeout (LeakSanitizer in the ASan build).
 */
TestSuite(smtpcode, .timeout = 30);

Test(smtpcode, finds_true_codes_in_mta_texts)
{
    const size_t n = sizeof(true_codes) / sizeof(true_codes[0]);

    cr_assert_geq(n, 35);
    for (size_t i = 0; i < n; i++) {
        const struct scan_case *const c = &true_codes[i];
        struct smtp_codes sc;
        cr_assert(scan_text(c->text, &sc), "no code in '%s'", c->text);
        cr_assert_eq(c->reply, sc.reply, "reply of '%s'", c->text);
        cr_assert_eq(c->cls, sc.enh.cls, "enhanced class of '%s'", c->text);
        cr_assert_eq(c->subject, sc.enh.subject, "subject of '%s'", c->text);
        cr_assert_eq(c->detail, sc.enh.detail, "detail of '%s'", c->text);
    }
}

Test(smtpcode, finds_no_false_codes_in_numbers)
{
    const size_t n = sizeof(no_codes) / sizeof(no_codes[0]);

    cr_assert_geq(n, 20);
    for (size_t i = 0; i < n; i++) {
        struct smtp_codes sc;
        const bool found = scan_text(no_codes[i], &sc);
        cr_assert_not(found, "'%s' gave reply %u, enhanced %u.%u.%u",
                      no_codes[i], (unsigned)sc.reply, (unsigned)sc.enh.cls,
                      (unsigned)sc.enh.subject, (unsigned)sc.enh.detail);
        cr_assert_eq(0, sc.reply);
        cr_assert_eq(0, sc.enh.cls);
    }
}

Test(smtpcode, false_codes_before_a_true_one_are_skipped)
{
    struct smtp_codes sc;

    cr_assert(scan_text("relay=mx.example.org[192.0.2.250]:25, size=550, "
                        "delay=250, said: 451 4.3.0 Temporary lookup failure",
                        &sc));
    cr_assert_eq(451, sc.reply);
    cr_assert_eq(4, sc.enh.cls);
    cr_assert_eq(3, sc.enh.subject);
    cr_assert_eq(0, sc.enh.detail);
}

Test(smtpcode, empty_text_has_no_code)
{
    struct smtp_codes sc = {123, {5, 1, 1}};

    cr_assert_not(smtpcode_scan(span_make("", 0), &sc));
    cr_assert_eq(0, sc.reply);
    cr_assert_eq(0, sc.enh.cls);
}

Test(smtpcode, scan_stops_at_the_span_length)
{
    /* The code lies just past the span: it must not be seen. */
    const char *const text = "said: 550 5.1.1";
    struct smtp_codes sc;

    cr_assert_not(smtpcode_scan(span_make(text, 6), &sc));
    cr_assert(smtpcode_scan(span_make(text, 9), &sc));
    cr_assert_eq(550, sc.reply);
    cr_assert_eq(0, sc.enh.cls, "the enhanced code is past the span");
}

/* ---- exact parsers and the formatter ----------------------------------- */

Test(smtpcode, parse_reply_accepts_exactly_three_digits_2_to_5)
{
    static const struct {
        const char *s;
        bool ok;
        uint16_t v;
    } cases[] = {
        {"550", true, 550}, {"200", true, 200}, {"599", true, 599},
        {"421", true, 421}, {"199", false, 0},  {"600", false, 0},
        {"099", false, 0},  {"55", false, 0},   {"5500", false, 0},
        {"5a0", false, 0},  {"", false, 0},     {" 550", false, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint16_t v = 0;
        const bool ok =
            smtpcode_parse_reply(span_make(cases[i].s, strlen(cases[i].s)), &v);
        cr_assert_eq(cases[i].ok, ok, "'%s'", cases[i].s);
        if (ok)
            cr_assert_eq(cases[i].v, v, "'%s'", cases[i].s);
    }
}

Test(smtpcode, parse_enhanced_accepts_exactly_c_s_d)
{
    static const struct {
        const char *s;
        bool ok;
        struct smtp_enhanced e;
    } cases[] = {
        {"5.1.1", true, {5, 1, 1}},     {"2.0.0", true, {2, 0, 0}},
        {"4.7.606", true, {4, 7, 606}}, {"5.7.26", true, {5, 7, 26}},
        {"5.7.999", true, {5, 7, 999}}, {"5.7.1000", false, {0, 0, 0}},
        {"3.1.1", false, {0, 0, 0}},    {"5.8.1", false, {0, 0, 0}},
        {"5.10.1", false, {0, 0, 0}},   {"5.1.", false, {0, 0, 0}},
        {"5.1", false, {0, 0, 0}},      {"X.1.1", false, {0, 0, 0}},
        {"5.1.1 ", false, {0, 0, 0}},   {"", false, {0, 0, 0}},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct smtp_enhanced e = {0, 0, 0};
        const bool ok = smtpcode_parse_enhanced(
            span_make(cases[i].s, strlen(cases[i].s)), &e);
        cr_assert_eq(cases[i].ok, ok, "'%s'", cases[i].s);
        if (ok) {
            cr_assert_eq(cases[i].e.cls, e.cls, "'%s'", cases[i].s);
            cr_assert_eq(cases[i].e.subject, e.subject, "'%s'", cases[i].s);
            cr_assert_eq(cases[i].e.detail, e.detail, "'%s'", cases[i].s);
        }
    }
}

Test(smtpcode, format_enhanced_writes_c_s_d)
{
    static const struct {
        struct smtp_enhanced e;
        const char *s;
    } cases[] = {
        {{5, 1, 1}, "5.1.1"},
        {{2, 0, 0}, "2.0.0"},
        {{4, 7, 606}, "4.7.606"},
        {{5, 7, 999}, "5.7.999"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[12];
        memset(buf, 'z', sizeof(buf));
        const size_t n = smtpcode_format_enhanced(&cases[i].e, buf);
        cr_assert_eq(strlen(cases[i].s), n);
        cr_assert_eq(0, memcmp(cases[i].s, buf, n));
        cr_assert_eq('\0', buf[n]);
    }
}

Test(smtpcode, format_then_parse_round_trips)
{
    static const uint8_t classes[] = {2, 4, 5};

    for (size_t c = 0; c < 3; c++)
        for (uint16_t s = 0; s <= 7; s++)
            for (uint16_t d = 0; d <= 999; d++) {
                const struct smtp_enhanced e = {classes[c], s, d};
                struct smtp_enhanced back = {0, 0, 0};
                char buf[12];
                const size_t n = smtpcode_format_enhanced(&e, buf);
                cr_assert(smtpcode_parse_enhanced(span_make(buf, n), &back),
                          "'%s'", buf);
                cr_assert_eq(e.cls, back.cls);
                cr_assert_eq(e.subject, back.subject);
                cr_assert_eq(e.detail, back.detail);
            }
}

/* ---- bounds ------------------------------------------------------------ */

/* Codes at the very end of the text: the scanner's edge cases. */
static const struct scan_case at_end[] = {
    {"said: 550", 550, 0, 0, 0},
    {"550", 550, 0, 0, 0},
    {"said: 550 5.1.1", 550, 5, 1, 1},
    {"said: 550-5.1.1", 550, 5, 1, 1},
    {"said: 550 #5.1.1", 550, 5, 1, 1},
    {"said: 550: 5.2.2", 550, 5, 2, 2},
    {"said: 550-'5.7.1", 550, 5, 7, 1},
    {"said: 554 554 5.7.0", 554, 5, 7, 0},
    {"said: 554 554", 554, 0, 0, 0},
    {"said: 550 5.7.606", 550, 5, 7, 606},
    {"550 no mailbox (#5.1.1", 550, 5, 1, 1},
    {"Status: 4.4.7", 0, 4, 4, 7},
    {"5.1.1", 0, 5, 1, 1},
    {"said: 550 5.1.", 550, 0, 0, 0},
    {"said: 550 #", 550, 0, 0, 0},
    {"said: 550-", 550, 0, 0, 0},
    {"said: 550:", 550, 0, 0, 0},
    {"said: 550 2.0.0", 550, 2, 0, 0},
};

static void
check_codes(const struct scan_case *c, bool found, const struct smtp_codes *sc)
{
    cr_assert_eq(c->reply != 0 || c->cls != 0, found, "'%s'", c->text);
    cr_assert_eq(c->reply, sc->reply, "reply of '%s'", c->text);
    cr_assert_eq(c->cls, sc->enh.cls, "enhanced class of '%s'", c->text);
    cr_assert_eq(c->subject, sc->enh.subject, "subject of '%s'", c->text);
    cr_assert_eq(c->detail, sc->enh.detail, "detail of '%s'", c->text);
}

Test(smtpcode, code_at_the_end_of_an_exact_size_heap_block)
{
    /* Under the sanitizer build, any read past len is reported. */
    for (size_t i = 0; i < sizeof(at_end) / sizeof(at_end[0]); i++) {
        const size_t len = strlen(at_end[i].text);
        char *const buf = malloc(len);
        struct smtp_codes sc;
        cr_assert_not_null(buf);
        memcpy(buf, at_end[i].text, len); /* not NUL-terminated */
        check_codes(&at_end[i], smtpcode_scan(span_make(buf, len), &sc), &sc);
        free(buf);
    }
}

/*
 * A page followed by an inaccessible one: text placed to end at the
 * boundary makes any read past the span fault, in every build.
 */
struct guarded {
    char *base;
    size_t page;
};

static struct guarded
guarded_new(void)
{
    struct guarded g;
    const int fd = open("/dev/zero", O_RDWR);

    cr_assert_geq(fd, 0);
    g.page = (size_t)sysconf(_SC_PAGESIZE);
    g.base = mmap(NULL, 2 * g.page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    cr_assert_neq(MAP_FAILED, (void *)g.base);
    cr_assert_eq(0, close(fd));
    cr_assert_eq(0, mprotect(g.base + g.page, g.page, PROT_NONE));
    return g;
}

static struct span
guarded_put(const struct guarded *g, const char *text, size_t len)
{
    char *const p = g->base + g->page - len;
    memcpy(p, text, len);
    return span_make(p, len);
}

Test(smtpcode, code_just_before_a_guard_page)
{
    const struct guarded g = guarded_new();

    for (size_t i = 0; i < sizeof(at_end) / sizeof(at_end[0]); i++) {
        const size_t len = strlen(at_end[i].text);
        struct smtp_codes sc;
        const struct span s = guarded_put(&g, at_end[i].text, len);
        check_codes(&at_end[i], smtpcode_scan(s, &sc), &sc);
    }
    cr_assert_eq(0, munmap(g.base, 2 * g.page));
}

Test(smtpcode, every_prefix_of_every_case_stays_in_bounds)
{
    const struct guarded g = guarded_new();
    size_t n_scans = 0;

    for (size_t i = 0; i < sizeof(true_codes) / sizeof(true_codes[0]); i++) {
        const char *const t = true_codes[i].text;
        const size_t n = strlen(t);
        for (size_t len = 0; len <= n; len++) {
            struct smtp_codes sc;
            (void)smtpcode_scan(guarded_put(&g, t, len), &sc);
            n_scans++;
        }
    }
    for (size_t i = 0; i < sizeof(no_codes) / sizeof(no_codes[0]); i++) {
        const char *const t = no_codes[i];
        const size_t n = strlen(t);
        for (size_t len = 0; len <= n; len++) {
            struct smtp_codes sc;
            (void)smtpcode_scan(guarded_put(&g, t, len), &sc);
            n_scans++;
        }
    }
    cr_assert_gt(n_scans, 1000);
    cr_assert_eq(0, munmap(g.base, 2 * g.page));
}

/*
 * test_alloc.c: the allocation bound of STYLE.md section 6. The real
 * per-line work (reader → linesplit → classify_line with the real rules →
 * counters_add of classify_counter_key) runs over 10 lines and then over
 * 100 000 lines after a warm-up; the large phase must not allocate more
 * than the small one.
 *
 * xalloc_count() sees every allocation smtpclass makes itself. PCRE2
 * allocates with plain malloc (match heap frames, JIT stack growth), which
 * the counter does not see; the matcher sizes those once, at
 * matcher_init(), so they are outside this bound by design.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "counters.h"
#include "linesplit.h"
#include "match.h"
#include "reader.h"
#include "rules.h"
#include "xalloc.h"

/* Varied lines: outcomes of every MTA and class, and lines without one. */
static const char *const sample_lines[] = {
    "Nov 22 10:00:01 mx postfix/smtp[2211]: A1B2C3D4E5: "
    "to=<user@dest.example>, relay=mx.dest.example[192.0.2.25]:25, "
    "delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host "
    "mx.dest.example[192.0.2.25] said: 550 5.1.1 User unknown (in reply to "
    "RCPT TO command))",
    "Nov 22 10:00:02 mx postfix/smtp[2211]: B2C3D4E5F6: "
    "to=<box@full.example>, relay=mx.full.example[198.51.100.7]:25, "
    "delay=3, delays=0.1/0/1/1.9, dsn=4.2.2, status=deferred (host "
    "mx.full.example[198.51.100.7] said: 452 4.2.2 Mailbox full (in reply to "
    "RCPT TO command))",
    "Nov 22 10:00:03 mx postfix/smtp[2211]: C3D4E5F6A7: to=<a@ok.example>, "
    "relay=mx.ok.example[203.0.113.5]:25, delay=0.5, "
    "delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
    "4F1A250B3C)",
    "Nov 22 10:00:05 mx postfix/smtpd[771]: connect from "
    "unknown[192.0.2.250]",
    "Nov 22 10:00:07 mx postfix/smtpd[3010]: NOQUEUE: reject: RCPT from "
    "unknown[203.0.113.9]: 554 5.7.1 Service unavailable; Client host "
    "[203.0.113.9] blocked using zen.spamhaus.org; from=<x@spam.example> "
    "to=<anna@example.org> proto=ESMTP helo=<spam.example>",
    "2026-11-22 10:00:24 1tXyZa-0001Ab-Cd ** anna@example.org R=dnslookup "
    "T=remote_smtp H=mx.example.org [192.0.2.25]: SMTP error from remote "
    "mail server after RCPT TO:<anna@example.org>: 550 5.1.1 User unknown",
    "2026-11-22 10:00:25 1tXyZa-0001Ab-Cd == bob@example.net R=dnslookup "
    "T=remote_smtp defer (-44) H=mx.example.net [198.51.100.7]: SMTP error "
    "from remote mail server after RCPT TO:<bob@example.net>: 450 4.2.0 "
    "Greylisted",
    "Nov 22 10:00:33 mx sendmail[3911]: 4AMA0W1x003912: "
    "to=<bob@example.org>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, "
    "pri=30000, relay=mx.example.org. [192.0.2.25], dsn=5.1.1, stat=User "
    "unknown",
    "Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>... User Unknown",
    "Status: 4.4.7",
    "Nov 22 10:00:40 host dovecot[12]: Dovecot v2.3.19 starting up",
    "Jul  4 18:39:39 mail courieresmtpd: error,relay=::ffff:192.0.2.4,"
    "from=<a@example.com>,to=<b@example.org>: 550 5.1.1 User unknown.\r",
    "",
};

#define N_SAMPLES (sizeof(sample_lines) / sizeof(sample_lines[0]))

/* Serves n_lines lines, cycling through sample_lines, in reads of any size. */
struct line_feed {
    uint64_t n_lines;
    uint64_t next_line;
    size_t line_off; /* bytes of the current line already served */
};

static ssize_t
feed_read(void *ctx, char *buf, size_t cap)
{
    struct line_feed *const f = ctx;
    size_t n = 0;

    while (n < cap && f->next_line < f->n_lines) {
        const char *const line = sample_lines[f->next_line % N_SAMPLES];
        const size_t len = strlen(line) + 1; /* with its '\n' */
        size_t take = len - f->line_off;
        if (take > cap - n)
            take = cap - n;
        for (size_t i = 0; i < take; i++) {
            const size_t k = f->line_off + i;
            buf[n + i] = k + 1 == len ? '\n' : line[k];
        }
        n += take;
        f->line_off += take;
        if (f->line_off == len) {
            f->line_off = 0;
            f->next_line++;
        }
    }
    return (ssize_t)n;
}

static struct rules_source *src;
static size_t n_src;
static struct ruleset *rs;
static struct matcher m;
static struct counters *ctr;
static struct reader *rd;

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
    cr_assert_eq(0, rules_load(src, n_src, &rs, NULL, NULL));
    matcher_init(&m, rs);
    ctr = counters_new();
    rd = reader_new(64 * 1024);
}

static void
teardown(void)
{
    reader_free(rd);
    counters_free(ctr);
    matcher_fini(&m);
    rules_free(rs);
    rules_sources_free(src, n_src);
}

TestSuite(alloc, .init = setup, .fini = teardown, .timeout = 120);

/* The hot loop over n_lines lines; returns how many had an outcome. */
static uint64_t
process(uint64_t n_lines)
{
    struct line_feed feed = {n_lines, 0, 0};
    struct linesplit ls;
    struct line_piece piece;
    struct counter_totals *const t = counters_totals(ctr);
    uint64_t n_outcomes = 0, n_seen = 0;
    enum linesplit_status st;

    reader_attach(rd, feed_read, &feed);
    linesplit_init(&ls, rd);
    while ((st = linesplit_next(&ls, &piece)) == LINESPLIT_PIECE) {
        struct outcome o;
        struct counter_key key;
        cr_assert(piece.is_first && piece.is_last, "sample lines are short");
        n_seen++;
        t->lines_read++;
        t->bytes_read += piece.text.len + piece.has_newline;
        classify_line(&m, piece.text, 64 * 1024, &o);
        if (!o.has_outcome) {
            t->lines_without_outcome++;
            continue;
        }
        t->lines_with_outcome++;
        classify_counter_key(&o, &key);
        counters_add(ctr, &key, 1);
        n_outcomes++;
    }
    cr_assert_eq(LINESPLIT_EOF, st);
    cr_assert_eq(n_lines, n_seen);
    return n_outcomes;
}

Test(alloc, hundred_thousand_lines_allocate_no_more_than_ten)
{
    /* Warm-up: every sample once, so each counter key exists. */
    const uint64_t warm = process(2 * N_SAMPLES);
    cr_assert_gt(warm, N_SAMPLES, "the samples must carry outcomes");
    const size_t n_series = counters_size(ctr);

    const uint64_t a0 = xalloc_count();
    const uint64_t small = process(10);
    const uint64_t a1 = xalloc_count();
    const uint64_t large = process(100000);
    const uint64_t a2 = xalloc_count();

    cr_assert_gt(small, 0);
    cr_assert_gt(large, 50000, "most sample lines have an outcome");
    cr_assert_eq(n_series, counters_size(ctr), "no new series after warm-up");
    counters_check(ctr);
    cr_log_info("allocations: 10 lines %llu, 100000 lines %llu",
                (unsigned long long)(a1 - a0), (unsigned long long)(a2 - a1));
    cr_assert_leq(a2 - a1, a1 - a0,
                  "100000 lines made %llu allocations, 10 lines %llu",
                  (unsigned long long)(a2 - a1), (unsigned long long)(a1 - a0));
    const struct counter_totals *const t = counters_totals_const(ctr);
    cr_assert_eq(t->lines_read,
                 t->lines_with_outcome + t->lines_without_outcome);
    cr_assert_eq(2 * N_SAMPLES + 10 + 100000, t->lines_read);
}

Test(alloc, classify_line_alone_allocates_nothing)
{
    struct outcome o;

    for (size_t i = 0; i < N_SAMPLES; i++) /* warm the matcher's caches */
        classify_line(&m, span_make(sample_lines[i], strlen(sample_lines[i])),
                      64 * 1024, &o);
    const uint64_t before = xalloc_count();
    for (size_t i = 0; i < 10000; i++) {
        const char *const line = sample_lines[i % N_SAMPLES];
        classify_line(&m, span_make(line, strlen(line)), 64 * 1024, &o);
    }
    cr_assert_eq(before, xalloc_count());
}

Test(alloc, xalloc_count_counts_allocations)
{
    /* The bound above means nothing if the counter does not move. */
    const uint64_t before = xalloc_count();
    struct counters *const c = counters_new();

    cr_assert_gt(xalloc_count(), before);
    counters_free(c);
}

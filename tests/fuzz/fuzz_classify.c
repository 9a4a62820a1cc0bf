/*
 * fuzz_classify.c: the whole per-line pipeline (logline → match → smtpcode
 * → classify) with the built-in rules, on each line of the input
 * (RELIABILITY RC-34..39, RC-49; a prefilter-vs-plain differential, not the
 * JIT-vs-interpreter one of RC-42, which tests/unit/test_jitdiff.c does).
 *
 * Every line is an exact-size heap buffer. Invariants (abort() on
 * violation):
 *  - the prefilter's reason filter changes nothing: a matcher with
 *    matcher_use_prefilter gives the same outcome as the plain one;
 *  - the program → MTA cache changes nothing: a matcher whose cache is
 *    reset before the line agrees with the warm one;
 *  - classify_line_without_outcome gives the prefix and MTA classify_line
 *    gives;
 *  - the outcome is well formed: category CAT_NONE iff no outcome (except
 *    a notification without reason or code), class success means
 *    delivered, codes in range, rule indices valid; a regex limit hit
 *    gives an outcome of category unknown;
 *  - every span lies inside the line, and inside the window: bytes past the
 *    window are poisoned (under ASan), so reading them is reported.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "match.h"
#include "msg.h"
#include "prefilter.h"
#include "rules.h"

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_HAVE_ASAN 1
#endif
#endif
#ifdef FUZZ_HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define FUZZ_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define FUZZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define FUZZ_POISON(p, n) ((void)(p), (void)(n))
#define FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#ifndef SC_SOURCE_DIR
#error "SC_SOURCE_DIR must name the source tree (for rules/)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_classify: %s:%d: check failed: %s\n",        \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The default --max-line: what smtpclass runs with. */
#define WINDOW_DEFAULT (64u * 1024u)
/* Lines classified per input: keeps one input cheap. */
#define LINES_MAX 32u

static struct ruleset *g_rs;
static struct prefilter *g_pf;
static struct matcher g_plain, g_filtered, g_cold;

static void
report_problem(void *ctx, const char *file, unsigned line, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "fuzz_classify: %s:%u: %s\n", file, line, msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;

    (void)argc;
    (void)argv;
    memset(&err, 0, sizeof(err));
    if (rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err) != 0) {
        fprintf(stderr, "fuzz_classify: %s:%u: %s\n", err.file, err.line,
                err.msg);
        abort();
    }
    if (rules_load(src, n_src, &g_rs, report_problem, NULL) != 0)
        abort();
    rules_sources_free(src, n_src);
    g_pf = prefilter_new(g_rs, &err);
    if (g_pf == NULL)
        fprintf(stderr, "fuzz_classify: no prefilter (%s): plain path only\n",
                err.msg);
    matcher_init(&g_plain, g_rs);
    matcher_init(&g_filtered, g_rs);
    if (g_pf != NULL)
        matcher_use_prefilter(&g_filtered, g_pf);
    matcher_init(&g_cold, g_rs);
    return 0;
}

static bool
span_same(struct span a, struct span b)
{
    return a.p == b.p && a.len == b.len;
}

static bool
logline_same(const struct logline *a, const struct logline *b)
{
    return a->shape == b->shape && span_same(a->stamp, b->stamp) &&
           span_same(a->host, b->host) && span_same(a->program, b->program) &&
           span_same(a->pid, b->pid) && span_same(a->msg, b->msg);
}

/* Field by field: struct padding is not part of the result. */
static bool
outcome_same(const struct outcome *a, const struct outcome *b)
{
    return a->has_outcome == b->has_outcome && a->mta == b->mta &&
           a->event == b->event && a->cls == b->cls &&
           a->category == b->category && a->reply == b->reply &&
           a->enh.cls == b->enh.cls && a->enh.subject == b->enh.subject &&
           a->enh.detail == b->enh.detail && a->event_rule == b->event_rule &&
           a->reason_rule == b->reason_rule && a->limit_rule == b->limit_rule &&
           logline_same(&a->ll, &b->ll) &&
           span_same(a->queue_id, b->queue_id) &&
           span_same(a->sender_domain, b->sender_domain) &&
           span_same(a->rcpt_domain, b->rcpt_domain) &&
           span_same(a->relay, b->relay) && span_same(a->client, b->client) &&
           span_same(a->reason, b->reason);
}

static void
print_outcome(const char *what, const struct outcome *o)
{
    fprintf(stderr,
            "  %s: has_outcome=%d mta=%u event=%d class=%d category=%d "
            "reply=%u enh=%u.%u.%u event_rule=%d reason_rule=%d "
            "limit_rule=%s\n",
            what, o->has_outcome, (unsigned)o->mta, (int)o->event, (int)o->cls,
            (int)o->category, (unsigned)o->reply, (unsigned)o->enh.cls,
            (unsigned)o->enh.subject, (unsigned)o->enh.detail, o->event_rule,
            o->reason_rule, o->limit_rule ? o->limit_rule : "-");
}

static void
check_same(const struct outcome *a, const struct outcome *b, const char *what)
{
    /*
     * When the plain path ran out of regex budget, the prefilter may have
     * proved the rule cannot match without running it (match.h): only
     * budget-free results must agree.
     */
    if (a->limit_rule == NULL && !outcome_same(a, b)) {
        fprintf(stderr, "fuzz_classify: %s differs\n", what);
        print_outcome("plain", a);
        print_outcome(what, b);
        abort();
    }
}

/* A span that is set lies inside [lo, lo + len). */
static void
check_inside(struct span s, const char *lo, size_t len)
{
    if (s.p == NULL) {
        CHECK(s.len == 0);
        return;
    }
    CHECK(s.p >= lo);
    CHECK((size_t)(s.p - lo) <= len);
    CHECK(s.len <= len - (size_t)(s.p - lo));
}

static void
check_outcome(const struct outcome *o, const char *line, size_t seen)
{
    const struct ruleset *const rs = g_rs;

    CHECK(o->mta < rs->n_mtas);
    CHECK(o->event_rule >= -1 && o->event_rule < (int)rs->n_events);
    CHECK(o->reason_rule >= -1 && o->reason_rule < (int)rs->n_reasons);
    CHECK((unsigned)o->event < EVENT_COUNT);
    CHECK((unsigned)o->cls < CLASS_COUNT);
    CHECK((unsigned)o->category < CAT_COUNT);
    if (o->limit_rule != NULL) {
        /* A rule ran out of its regex budget: reported as unknown. */
        CHECK(o->has_outcome && o->category == CAT_UNKNOWN);
    } else if (!o->has_outcome) {
        CHECK(o->category == CAT_NONE);
        CHECK(o->reason_rule == -1);
    } else {
        CHECK(o->event_rule >= 0);
        CHECK(o->cls != CLASS_NONE || o->event != EVENT_NONE);
        if (o->category == CAT_NONE)
            CHECK(o->event == EVENT_NOTIFIED && o->reply == 0 &&
                  o->enh.cls == 0);
        if (o->cls == CLASS_SUCCESS)
            CHECK(o->category == CAT_DELIVERED);
        if (o->reason_rule >= 0)
            CHECK(o->category == rs->reasons[o->reason_rule].category);
        check_inside(o->reason, line, seen);
    }
    if (o->reply != 0)
        CHECK(o->reply >= 200 && o->reply <= 599);
    if (o->enh.cls != 0) {
        CHECK(o->enh.cls == 2 || o->enh.cls == 4 || o->enh.cls == 5);
        CHECK(o->enh.subject <= 7 && o->enh.detail <= 999);
    }
    check_inside(o->ll.stamp, line, seen);
    check_inside(o->ll.host, line, seen);
    check_inside(o->ll.program, line, seen);
    check_inside(o->ll.pid, line, seen);
    check_inside(o->ll.msg, line, seen);
    CHECK(o->ll.msg.p != NULL);
    check_inside(o->queue_id, line, seen);
    check_inside(o->sender_domain, line, seen);
    check_inside(o->rcpt_domain, line, seen);
    check_inside(o->relay, line, seen);
    check_inside(o->client, line, seen);
}

static void
classify_one(const char *line, size_t len, uint8_t knob)
{
    struct outcome plain, other;
    const struct span s = span_make(line, len);
    const size_t seen = len < WINDOW_DEFAULT ? len : WINDOW_DEFAULT;

    classify_line(&g_plain, s, WINDOW_DEFAULT, &plain);
    check_outcome(&plain, line, seen);

    classify_line(&g_filtered, s, WINDOW_DEFAULT, &other);
    check_same(&plain, &other, "with the reason prefilter");

    matcher_forget_programs(&g_cold);
    classify_line(&g_cold, s, WINDOW_DEFAULT, &other);
    check_same(&plain, &other, "with a cold MTA cache");

    /* What a gated-out line gets: the same prefix and MTA. */
    matcher_forget_programs(&g_cold);
    classify_line_without_outcome(&g_cold, s, WINDOW_DEFAULT, &other);
    CHECK(!other.has_outcome && other.category == CAT_NONE);
    CHECK(other.mta == plain.mta);
    CHECK(logline_same(&other.ll, &plain.ll));

    /* A window inside the line: nothing past it may be read. */
    if (len > 1) {
        const size_t window = 1 + knob % (len - 1);
        FUZZ_POISON(line + window, len - window);
        classify_line(&g_cold, s, window, &other);
        check_outcome(&other, line, window);
        FUZZ_UNPOISON(line + window, len - window);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *const in = (const char *)data;
    size_t off = 0;

    matcher_forget_programs(&g_plain);
    matcher_forget_programs(&g_filtered);
    for (unsigned n = 0; n < LINES_MAX && off <= size; n++) {
        const char *const nl = memchr(in + off, '\n', size - off);
        const size_t len = nl ? (size_t)(nl - (in + off)) : size - off;
        if (nl == NULL && len == 0 && n > 0)
            break; /* nothing after the last '\n' */
        char *const line = malloc(len ? len : 1);
        CHECK(line != NULL);
        if (len > 0)
            memcpy(line, in + off, len);
        classify_one(line, len, size > 0 ? data[size / 2] : 0);
        free(line);
        if (nl == NULL)
            break;
        off += len + 1;
    }
    return 0;
}

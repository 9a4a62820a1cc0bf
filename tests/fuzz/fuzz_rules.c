/*
 * fuzz_rules.c: the rule-file parser and compiler on one arbitrary rule
 * file (RELIABILITY RC-29..31, RC-43), then, for a file that loads, the
 * example checker and the Hyperscan prefilter built from its regexes.
 *
 * Invariants (abort() on violation; leaks are reported by LeakSanitizer):
 *  - rules_load returns 0 with a ruleset, or -1 with NULL and at least one
 *    problem reported; every report names the file, a line no later than
 *    the file's last line, and a message without a newline;
 *  - a loaded ruleset passes its own invariants (rules.h) and rulecheck_run
 *    does not crash; its reports are located the same way;
 *  - the prefilter never changes a result (prefilter.h): the reason filter
 *    on every example, and the gate on a block of the event examples.
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
#include "rulecheck.h"
#include "rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_rules: %s:%d: check failed: %s\n", __FILE__, \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define FUZZ_FILE "fuzz.rules"
#define WINDOW_DEFAULT (64u * 1024u)

struct report_ctx {
    unsigned max_line; /* lines of the input, the final one without '\n' */
    size_t n_reports;
};

static void
on_report(void *ctx, const char *file, unsigned line, const char *msg)
{
    struct report_ctx *const rc = ctx;

    rc->n_reports++;
    CHECK(file != NULL && msg != NULL);
    /* Our file, the loader's own generic MTA, or the whole rule set. */
    CHECK(strcmp(file, FUZZ_FILE) == 0 || strcmp(file, "(built-in)") == 0 ||
          strcmp(file, "(rules)") == 0);
    if (line > rc->max_line) {
        fprintf(stderr, "fuzz_rules: report at line %u of a %u-line file: %s\n",
                line, rc->max_line, msg);
        abort();
    }
    CHECK(strchr(msg, '\n') == NULL);
    CHECK(msg[0] != '\0');
}

static void
check_ruleset(const struct ruleset *rs)
{
    CHECK(rs->n_mtas > 0 && rs->generic_mta < rs->n_mtas);
    CHECK(rs->max_groups >= 1);
    for (size_t i = 0; i < rs->n_events; i++)
        CHECK(rs->events[i].mta < rs->n_mtas);
    for (size_t i = 1; i < rs->n_enhanced; i++)
        CHECK(rs->enhanced[i - 1].key <= rs->enhanced[i].key);
    for (size_t i = 0; i < rs->n_mtas; i++)
        for (size_t k = 0; k < rs->mtas[i].n_events; k++)
            CHECK(rs->mtas[i].events[k] < rs->n_events);
}

static bool
outcome_same(const struct outcome *a, const struct outcome *b)
{
    return a->has_outcome == b->has_outcome && a->mta == b->mta &&
           a->event == b->event && a->cls == b->cls &&
           a->category == b->category && a->reply == b->reply &&
           a->enh.cls == b->enh.cls && a->enh.subject == b->enh.subject &&
           a->enh.detail == b->enh.detail && a->event_rule == b->event_rule &&
           a->reason_rule == b->reason_rule && a->limit_rule == b->limit_rule;
}

/* The gate keeps every example line that has an outcome. */
static void
check_gate(const struct ruleset *rs, const struct prefilter *pf,
           struct matcher *m)
{
    size_t len = 0;
    for (size_t i = 0; i < rs->n_events; i++)
        for (size_t k = 0; k < rs->events[i].examples.n; k++)
            len += rs->events[i].examples.v[k].len + 1;
    if (len == 0)
        return;
    char *const block = malloc(len);
    CHECK(block != NULL);
    size_t off = 0;
    for (size_t i = 0; i < rs->n_events; i++)
        for (size_t k = 0; k < rs->events[i].examples.n; k++) {
            const struct rule_example *const ex = &rs->events[i].examples.v[k];
            /* Example lines come from one rule-file line: no '\n'. */
            CHECK(memchr(ex->text, '\n', ex->len) == NULL);
            memcpy(block + off, ex->text, ex->len);
            off += ex->len;
            block[off++] = '\n';
        }
    struct prefilter_scratch *const s = prefilter_scratch_new(pf);
    const size_t *starts;
    const size_t n = prefilter_gate(pf, s, span_make(block, len), &starts);
    size_t k = 0;
    for (size_t line = 0; line < len;) {
        const char *const nl = memchr(block + line, '\n', len - line);
        const size_t end = (size_t)(nl - block);
        const bool is_marked = k < n && starts[k] == line;
        if (is_marked) {
            k++;
        } else {
            struct outcome o;
            classify_line(m, span_make(block + line, end - line),
                          WINDOW_DEFAULT, &o);
            CHECK(!o.has_outcome);
        }
        line = end + 1;
    }
    CHECK(k == n); /* every start is a line start, ascending */
    prefilter_scratch_free(s);
    free(block);
}

/* The prefilter's answers change nothing. */
static void
check_prefilter(const struct ruleset *rs)
{
    struct sc_err err;
    struct prefilter *const pf = prefilter_new(rs, &err);
    if (pf == NULL)
        return; /* no Hyperscan here: the plain path is all there is */
    struct matcher plain, filtered;
    matcher_init(&plain, rs);
    matcher_init(&filtered, rs);
    matcher_use_prefilter(&filtered, pf);

    for (size_t i = 0; i < rs->n_reasons; i++)
        for (size_t k = 0; k < rs->reasons[i].examples.n; k++) {
            const struct rule_example *const ex = &rs->reasons[i].examples.v[k];
            const struct span text = span_make(ex->text, ex->len);
            for (int cls = CLASS_NONE; cls < CLASS_COUNT; cls++) {
                plain.limit_rule = NULL;
                plain.is_limit_hit = false;
                const int a = matcher_reason(&plain, text, (enum sc_class)cls,
                                             EVENT_NONE);
                const int b = matcher_reason(&filtered, text,
                                             (enum sc_class)cls, EVENT_NONE);
                /* A plain-path limit hit is a budget artefact the prefilter
                 * may avoid (match.h): no comparison then. */
                if (a != b && plain.limit_rule == NULL) {
                    fprintf(stderr,
                            "fuzz_rules: reason prefilter: plain %d, "
                            "filtered %d (class %d)\n",
                            a, b, cls);
                    abort();
                }
            }
        }
    for (size_t i = 0; i < rs->n_events; i++)
        for (size_t k = 0; k < rs->events[i].examples.n; k++) {
            const struct rule_example *const ex = &rs->events[i].examples.v[k];
            struct outcome a, b;
            classify_line(&plain, span_make(ex->text, ex->len), WINDOW_DEFAULT,
                          &a);
            classify_line(&filtered, span_make(ex->text, ex->len),
                          WINDOW_DEFAULT, &b);
            if (a.limit_rule == NULL && !outcome_same(&a, &b)) {
                fprintf(stderr,
                        "fuzz_rules: %s:%u: the reason prefilter changes the "
                        "outcome: plain category %d reason %d limit %s, "
                        "filtered category %d reason %d limit %s\n",
                        FUZZ_FILE, ex->line, (int)a.category, a.reason_rule,
                        a.limit_rule ? a.limit_rule : "-", (int)b.category,
                        b.reason_rule, b.limit_rule ? b.limit_rule : "-");
                abort();
            }
        }
    if (prefilter_has_gate(pf))
        check_gate(rs, pf, &plain);
    matcher_fini(&filtered);
    matcher_fini(&plain);
    prefilter_free(pf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: the loader must not rely on a NUL after it. */
    char *const text = malloc(size ? size : 1);
    CHECK(text != NULL);
    if (size > 0)
        memcpy(text, data, size);

    struct report_ctx rc = {1, 0};
    for (size_t i = 0; i < size; i++)
        rc.max_line += text[i] == '\n';
    const struct rules_source src = {FUZZ_FILE, text, size, 0};
    static char sentinel;
    /* Not NULL: rules_load must set *out either way. */
    struct ruleset *rs = (struct ruleset *)(void *)&sentinel;
    const int status = rules_load(&src, 1, &rs, on_report, &rc);
    if (status != 0) {
        CHECK(status == -1);
        CHECK(rs == NULL);
        CHECK(rc.n_reports > 0);
    } else {
        CHECK(rs != NULL);
        check_ruleset(rs);
        (void)rulecheck_run(rs, on_report, &rc);
        check_prefilter(rs);
        rules_free(rs);
    }
    free(text);
    return 0;
}

/*
 * fuzz_gate.c: the Hyperscan gate of the fast path (prefilter_gate) against
 * the full classifier, with the built-in rules. The input becomes a block
 * of complete lines ('\n' appended when missing), as linesplit_next_block
 * hands it to run.c.
 *
 * Invariants (abort() on violation):
 *  - the marked offsets are line starts inside the block, ascending,
 *    without duplicates;
 *  - the gate is a superset: every line it does not mark gets no outcome
 *    from classify_line (with the default window, as run.c classifies);
 *  - for such a line classify_line_without_outcome gives what
 *    classify_line gives (prefix and MTA);
 *  - scanning the block again, or any suffix of it that starts at a line,
 *    marks the same lines.
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

#ifndef SC_SOURCE_DIR
#error "SC_SOURCE_DIR must name the source tree (for rules/)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_gate: %s:%d: check failed: %s\n", __FILE__,  \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define WINDOW_DEFAULT (64u * 1024u)

static struct ruleset *g_rs;
static struct prefilter *g_pf;
static struct prefilter_scratch *g_scratch;
static struct matcher g_m;

static void
report_problem(void *ctx, const char *file, unsigned line, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "fuzz_gate: %s:%u: %s\n", file, line, msg);
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
        fprintf(stderr, "fuzz_gate: %s:%u: %s\n", err.file, err.line, err.msg);
        abort();
    }
    if (rules_load(src, n_src, &g_rs, report_problem, NULL) != 0)
        abort();
    rules_sources_free(src, n_src);
    g_pf = prefilter_new(g_rs, &err);
    if (g_pf == NULL || !prefilter_has_gate(g_pf)) {
        /* Without a gate there is no fast path to check. */
        fprintf(stderr, "fuzz_gate: no gate for the built-in rules%s%s\n",
                g_pf == NULL ? ": " : "", g_pf == NULL ? err.msg : "");
        abort();
    }
    g_scratch = prefilter_scratch_new(g_pf);
    matcher_init(&g_m, g_rs);
    return 0;
}

/* Copy the gate's answer: the scratch owns it only until the next scan. */
static size_t *
gate(struct span block, size_t *n)
{
    const size_t *starts;
    *n = prefilter_gate(g_pf, g_scratch, block, &starts);
    size_t *const copy = malloc((*n ? *n : 1) * sizeof(*copy));
    CHECK(copy != NULL);
    if (*n > 0)
        memcpy(copy, starts, *n * sizeof(*copy));
    return copy;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bool want_nl = size == 0 || data[size - 1] != '\n';
    const size_t len = size + (want_nl ? 1u : 0u);
    /* Exact size: Hyperscan and the token scanner must stay inside. */
    char *const block = malloc(len);
    CHECK(block != NULL);
    if (size > 0)
        memcpy(block, data, size);
    if (want_nl)
        block[size] = '\n';

    size_t n;
    size_t *const starts = gate(span_make(block, len), &n);
    for (size_t k = 0; k < n; k++) {
        CHECK(starts[k] < len);
        CHECK(starts[k] == 0 || block[starts[k] - 1] == '\n');
        CHECK(k == 0 || starts[k - 1] < starts[k]);
    }

    size_t k = 0, n_lines = 0;
    /* Every input starts like a fresh stream: no cached program. */
    matcher_forget_programs(&g_m);
    for (size_t line = 0; line < len; n_lines++) {
        const char *const nl = memchr(block + line, '\n', len - line);
        CHECK(nl != NULL);
        const size_t end = (size_t)(nl - block);
        const struct span text = span_make(block + line, end - line);
        if (k < n && starts[k] == line) {
            k++;
        } else {
            struct outcome o, w;
            classify_line(&g_m, text, WINDOW_DEFAULT, &o);
            if (o.has_outcome) {
                fprintf(stderr,
                        "fuzz_gate: line %zu (offset %zu) has an outcome "
                        "(event rule %d '%s', reply %u) but the gate "
                        "skipped it\n",
                        n_lines + 1, line, o.event_rule,
                        o.event_rule >= 0 ? g_rs->events[o.event_rule].name
                                          : "",
                        (unsigned)o.reply);
                abort();
            }
            classify_line_without_outcome(&g_m, text, WINDOW_DEFAULT, &w);
            CHECK(!w.has_outcome && w.mta == o.mta);
            CHECK(w.ll.shape == o.ll.shape && w.ll.msg.p == o.ll.msg.p &&
                  w.ll.msg.len == o.ll.msg.len &&
                  w.ll.program.p == o.ll.program.p &&
                  w.ll.program.len == o.ll.program.len);
        }
        line = end + 1;
    }
    CHECK(k == n);

    /* The same lines again, and from the second line on. */
    size_t n2;
    size_t *const again = gate(span_make(block, len), &n2);
    CHECK(n2 == n);
    CHECK(n == 0 || memcmp(again, starts, n * sizeof(*starts)) == 0);
    free(again);
    const char *const first_nl = memchr(block, '\n', len);
    const size_t skip = (size_t)(first_nl - block) + 1;
    if (skip < len) {
        size_t n3;
        size_t *const rest = gate(span_make(block + skip, len - skip), &n3);
        size_t j = 0;
        while (j < n && starts[j] < skip)
            j++;
        CHECK(n3 == n - j);
        for (size_t i = 0; i < n3; i++)
            CHECK(rest[i] + skip == starts[j + i]);
        free(rest);
    }
    free(starts);
    free(block);
    return 0;
}

/*
 * test_prefilter.c: the reason filter (prefilter.c) may report rules that
 * PCRE2 then rejects, but it must never rule out a rule PCRE2 would match,
 * or the fast path would lose categories. Checked for every reason rule on
 * every line of the sample logs and on every example text of every reason
 * rule; the same for the MTAs' `line` patterns (the --reference comparison in
 * tests/cli/fastpath.sh checks whole runs; this checks each rule on its own).
 */
#define _DEFAULT_SOURCE /* glob() */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"
#include "msg.h"
#include "sample_files.h"
#include "prefilter.h"
#include "rules.h" /* includes pcre2.h with the code unit width */

struct checker {
    const struct ruleset *rs;
    const struct prefilter *pf;
    struct prefilter_scratch *s;
    uint64_t *hits;
    uint64_t *claims;
    pcre2_match_data *md;
    size_t n_texts;
    size_t n_matches;
    size_t n_ruled_out; /* (text, rule) pairs PCRE2 never had to look at */
    size_t n_claims;    /* texts an MTA's line pattern matches */
};

static bool
bit(const uint64_t *words, size_t i)
{
    return (words[i / 64] >> (i % 64) & 1) != 0;
}

static void
check_text(struct checker *c, const char *what, struct span text)
{
    prefilter_reasons(c->pf, c->s, text, c->hits);
    c->n_texts++;
    for (size_t i = 0; i < c->rs->n_reasons; i++) {
        const struct reason_rule *const r = &c->rs->reasons[i];
        const bool is_match = pcre2_match(r->re, (PCRE2_SPTR)text.p, text.len,
                                          0, 0, c->md, NULL) >= 0;
        const bool is_hit = bit(c->hits, i);
        cr_assert(is_hit || !is_match,
                  "%s: reason '%s' on '%.*s': PCRE2 matches, the prefilter "
                  "ruled it out",
                  what, r->name, (int)text.len, text.p);
        c->n_matches += is_match;
        c->n_ruled_out += !is_hit;
    }
    /* The same for the MTAs' `line` patterns (lines without a program). */
    prefilter_claims(c->pf, c->s, text, c->claims);
    for (size_t i = 0; i < c->rs->n_mtas; i++) {
        const struct mta_def *const mta = &c->rs->mtas[i];
        if (mta->line_re == NULL)
            continue;
        const bool is_match = pcre2_match(mta->line_re, (PCRE2_SPTR)text.p,
                                          text.len, 0, 0, c->md, NULL) >= 0;
        cr_assert(bit(c->claims, i) || !is_match,
                  "%s: mta '%s' on '%.*s': its line pattern matches, the "
                  "prefilter ruled it out",
                  what, mta->name, (int)text.len, text.p);
        c->n_claims += is_match;
    }
}

Test(prefilter, never_rules_out_a_reason_pcre2_matches, .timeout = 120)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;
    struct ruleset *rs;
    glob_t g;

    cr_assert_eq(0,
                 rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err),
                 "%s", err.msg);
    cr_assert_eq(0, rules_load(src, n_src, &rs, NULL, NULL));
    struct prefilter *const pf = prefilter_new(rs, &err);
    cr_assert_not_null(pf, "%s", err.msg);
    struct checker c = {.rs = rs,
                        .pf = pf,
                        .s = prefilter_scratch_new(pf),
                        .md = pcre2_match_data_create(64, NULL)};
    c.hits = calloc(prefilter_reason_words(pf) + 1, sizeof(uint64_t));
    c.claims = calloc(prefilter_claim_words(pf) + 1, sizeof(uint64_t));

    for (size_t i = 0; i < rs->n_reasons; i++) {
        const struct rule_examples *const ex = &rs->reasons[i].examples;
        for (size_t k = 0; k < ex->n; k++)
            check_text(&c, "example", span_make(ex->v[k].text, ex->v[k].len));
    }
    glob_sample_logs(&g);
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        size_t len;
        char *const buf = slurp(g.gl_pathv[fi], &len);
        for (char *p = buf; p < buf + len;) {
            char *const nl = memchr(p, '\n', (size_t)(buf + len - p));
            const size_t llen =
                nl != NULL ? (size_t)(nl - p) : (size_t)(buf + len - p);
            check_text(&c, g.gl_pathv[fi], span_make(p, llen));
            /* What the MTA's line patterns see: the message after the
             * time stamp of a line without a program tag. */
            struct logline ll;
            logline_parse(span_make(p, llen), &ll);
            if (ll.program.len == 0 && ll.msg.len != llen)
                check_text(&c, g.gl_pathv[fi], ll.msg);
            p += llen + 1;
        }
        free(buf);
    }
    const size_t n_pairs = c.n_texts * rs->n_reasons;
    cr_log_info("%zu texts x %zu rules: %zu matches, all kept; %zu of %zu "
                "pairs ruled out",
                c.n_texts, rs->n_reasons, c.n_matches, c.n_ruled_out, n_pairs);
    cr_assert_gt(c.n_texts, 1000);
    cr_assert_gt(c.n_matches, 500);
    /* A filter that rules out nothing would be useless, though correct. */
    cr_assert_gt(c.n_ruled_out * 10, n_pairs * 9);
    cr_log_info("%zu texts claimed by an MTA's line pattern, all kept",
                c.n_claims);
    cr_assert_gt(c.n_claims, 30);
    globfree(&g);
    free(c.hits);
    free(c.claims);
    pcre2_match_data_free(c.md);
    prefilter_scratch_free(c.s);
    prefilter_free(pf);
    rules_free(rs);
    rules_sources_free(src, n_src);
}

/*
 * test_jitdiff.c: RELIABILITY RC-42. Every regex of the built-in rules is
 * matched against every line of the sample logs twice, through PCRE2's
 * JIT and through its interpreter (PCRE2_NO_JIT); the results (match or
 * not, and every captured offset) must be the same.
 */
#define _DEFAULT_SOURCE /* glob() */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "sample_files.h"
#include "rules.h" /* includes pcre2.h with the code unit width */

/* Regexes of rs, in a flat list. */
static size_t
collect(const struct ruleset *rs, const pcre2_code **out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < rs->n_mtas; i++) {
        if (rs->mtas[i].program_re != NULL && n < cap)
            out[n++] = rs->mtas[i].program_re;
        if (rs->mtas[i].line_re != NULL && n < cap)
            out[n++] = rs->mtas[i].line_re;
    }
    for (size_t i = 0; i < rs->n_events && n < cap; i++)
        out[n++] = rs->events[i].re;
    for (size_t i = 0; i < rs->n_reasons && n < cap; i++)
        out[n++] = rs->reasons[i].re;
    return n;
}

Test(jitdiff, jit_and_interpreter_agree_on_every_sample_line, .timeout = 120)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;
    struct ruleset *rs;
    static const pcre2_code *res[4096];
    glob_t g;

    cr_assert_eq(0,
                 rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err),
                 "%s", err.msg);
    cr_assert_eq(0, rules_load(src, n_src, &rs, NULL, NULL));
    const size_t n_re = collect(rs, res, sizeof(res) / sizeof(res[0]));
    size_t n_jit = 0;
    for (size_t r = 0; r < n_re; r++) {
        size_t size = 0;
        if (pcre2_pattern_info(res[r], PCRE2_INFO_JITSIZE, &size) == 0 &&
            size > 0)
            n_jit++;
    }
    cr_assert_eq(n_re, n_jit, "%zu of %zu regexes have no JIT code",
                 n_re - n_jit, n_re);

    glob_sample_logs(&g);
    pcre2_match_data *const a = pcre2_match_data_create(64, NULL);
    pcre2_match_data *const b = pcre2_match_data_create(64, NULL);
    size_t n_lines = 0, n_matches = 0;
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        size_t len;
        char *const buf = slurp(g.gl_pathv[fi], &len);
        for (char *p = buf; p < buf + len;) {
            char *nl = memchr(p, '\n', (size_t)(buf + len - p));
            const size_t llen =
                nl != NULL ? (size_t)(nl - p) : (size_t)(buf + len - p);
            n_lines++;
            for (size_t r = 0; r < n_re; r++) {
                const int ra =
                    pcre2_match(res[r], (PCRE2_SPTR)p, llen, 0, 0, a, NULL);
                const int rb = pcre2_match(res[r], (PCRE2_SPTR)p, llen, 0,
                                           PCRE2_NO_JIT, b, NULL);
                cr_assert_eq(ra, rb, "%s: regex %zu, line '%.*s': %d vs %d",
                             g.gl_pathv[fi], r, (int)llen, p, ra, rb);
                if (ra <= 0)
                    continue;
                n_matches++;
                const PCRE2_SIZE *const oa = pcre2_get_ovector_pointer(a);
                const PCRE2_SIZE *const ob = pcre2_get_ovector_pointer(b);
                for (int k = 0; k < 2 * ra; k++)
                    cr_assert_eq(oa[k], ob[k],
                                 "%s: regex %zu, line '%.*s': offset %d",
                                 g.gl_pathv[fi], r, (int)llen, p, k);
            }
            p += llen + 1;
        }
        free(buf);
    }
    cr_log_info("%zu regexes x %zu lines, %zu matches: the same", n_re, n_lines,
                n_matches);
    cr_assert_gt(n_lines, 1000);
    cr_assert_gt(n_matches, 1000);
    pcre2_match_data_free(a);
    pcre2_match_data_free(b);
    globfree(&g);
    rules_free(rs);
    rules_sources_free(src, n_src);
}

/*
 * test_explain.c: the explanation tables of the built-in rules: every seed
 * code in German, every category and IANA enhanced code in both languages,
 * and what explain_parts() combines for an outcome.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "rules.h"

static struct ruleset *rs;
static struct rules_source *src;
static size_t n_src;

static void
load(void)
{
    struct sc_err err;
    cr_assert_eq(0,
                 rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err),
                 "%s", err.msg);
    cr_assert_eq(0, rules_load(src, n_src, &rs, NULL, NULL));
}

static void
unload(void)
{
    rules_free(rs);
    rules_sources_free(src, n_src);
}

TestSuite(explain, .init = load, .fini = unload, .timeout = 30);

Test(explain, every_seed_code_has_a_german_and_english_explanation)
{
    FILE *const f = fopen(SC_SOURCE_DIR "/tests/data/seed-codes.txt", "r");
    char line[256];
    unsigned n = 0;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#')
            continue;
        const unsigned code = (unsigned)strtoul(line, NULL, 10);
        cr_assert(code >= 100 && code < 600, "bad line '%s'", line);
        cr_assert_not_null(rs->reply[code].text[LANG_DE],
                           "seed code %u has no German explanation", code);
        cr_assert_not_null(rs->reply[code].text[LANG_EN],
                           "seed code %u has no English explanation", code);
        n++;
    }
    fclose(f);
    cr_assert_eq(27, n, "the seed list changed: %u codes", n);
}

Test(explain, every_category_is_explained_in_both_languages)
{
    for (int c = 1; c < CAT_COUNT; c++) {
        cr_assert_not_null(rs->category[c].text[LANG_EN], "%s",
                           taxonomy_category_name((enum sc_category)c));
        cr_assert_not_null(rs->category[c].text[LANG_DE], "%s",
                           taxonomy_category_name((enum sc_category)c));
    }
}

Test(explain, every_iana_enhanced_code_is_explained)
{
    /* The IANA registry: X.0.0, X.1.0-10, X.2.0-4, X.3.0-6, X.4.0-7,
     * X.5.0-6, X.6.0-10, X.7.0-30. */
    static const unsigned last_detail[8] = {0, 10, 4, 6, 7, 6, 10, 30};
    bool is_wildcard;

    for (unsigned s = 0; s < 8; s++)
        for (unsigned d = 0; d <= last_detail[s]; d++)
            for (unsigned cls = 4; cls <= 5; cls++) {
                const struct smtp_enhanced e = {(uint8_t)cls, (uint16_t)s,
                                                (uint16_t)d};
                const struct explanation *const ex =
                    rules_find_enhanced(rs, &e, &is_wildcard);
                cr_assert_not_null(ex, "%u.%u.%u", cls, s, d);
                cr_assert_not(is_wildcard,
                              "%u.%u.%u only has the subject's "
                              "explanation",
                              cls, s, d);
                cr_assert_not_null(ex->text[LANG_DE], "%u.%u.%u", cls, s, d);
            }
}

Test(explain, unlisted_detail_falls_back_to_the_subject)
{
    const struct smtp_enhanced e = {5, 4, 999};
    bool is_wildcard;
    const struct explanation *const ex =
        rules_find_enhanced(rs, &e, &is_wildcard);

    cr_assert_not_null(ex);
    cr_assert(is_wildcard);
}

Test(explain, parts_combine_category_reply_and_enhanced_in_that_order)
{
    const struct smtp_enhanced e = {5, 1, 1};
    const char *parts[EXPLAIN_MAX_PARTS];
    const size_t n =
        explain_parts(rs, LANG_DE, CAT_USER_UNKNOWN, 550, &e, parts);

    cr_assert_eq(3, n);
    cr_assert_str_eq(rs->category[CAT_USER_UNKNOWN].text[LANG_DE], parts[0]);
    cr_assert_str_eq(rs->reply[550].text[LANG_DE], parts[1]);
    bool w;
    cr_assert_str_eq(rules_find_enhanced(rs, &e, &w)->text[LANG_DE], parts[2]);
}

Test(explain, parts_without_codes_give_only_the_category)
{
    const struct smtp_enhanced none = {0, 0, 0};
    const char *parts[EXPLAIN_MAX_PARTS];

    cr_assert_eq(1,
                 explain_parts(rs, LANG_EN, CAT_GREYLISTED, 0, &none, parts));
    cr_assert_eq(0, explain_parts(rs, LANG_EN, CAT_NONE, 0, &none, parts));
}

Test(explain, german_locale_variables_select_german)
{
    setenv("LC_ALL", "", 1);
    setenv("LC_MESSAGES", "de_AT.UTF-8", 1);
    setenv("LANG", "en_US.UTF-8", 1);
    cr_assert_eq(LANG_DE, explain_lang_from_env());
    setenv("LC_ALL", "C", 1);
    cr_assert_eq(LANG_EN, explain_lang_from_env());
}

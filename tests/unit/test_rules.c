/*
 * test_rules.c: the rule loader on in-memory sources: a minimal valid set,
 * then one broken file at a time, each reported once with its file:line;
 * CRLF, a UTF-8 BOM and NUL bytes; and the real rules/ directory (and the
 * embedded copy), which must load without problems and pass rulecheck.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulecheck.h"
#include "rules.h"
#include "taxonomy.h"

/* ---- collecting reports ------------------------------------------------ */

#define MAX_REPORTS 64

struct reports {
    char msg[MAX_REPORTS][700];
    size_t n;
};

static void
collect_report(void *ctx, const char *file, unsigned line, const char *msg)
{
    struct reports *const r = ctx;

    if (r->n < MAX_REPORTS)
        (void)snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s:%u: %s", file, line,
                       msg);
    r->n++;
}

static void
dump_reports(const struct reports *r)
{
    for (size_t i = 0; i < r->n && i < MAX_REPORTS; i++)
        cr_log_error("report %zu: %s", i, r->msg[i]);
}

/* ---- sources ----------------------------------------------------------- */

/* An explanation for every category: required of a complete rule set. */
static char categories_text[8192];
static size_t categories_len;

/*
 * One enhanced-code explanation. Real rule sets always have some; sets
 * without any are tested on their own (set_without_enhanced_entries_loads)
 * so that a problem there does not hide behind every other test.
 */
static const char enhanced_text[] = "enhanced X.0.0\n"
                                    "    en Other status.\n"
                                    "    de Anderer Status.\n";

static const char min_text[] =
    "# minimal rule set for tests\n"                                  /* 1 */
    "mta testmta\n"                                                   /* 2 */
    "    program  ^testd$\n"                                          /* 3 */
    "\n"                                                              /* 4 */
    "event test_bounce\n"                                             /* 5 */
    "    mta      testmta\n"                                          /* 6 */
    "    need     bounced:\n"                                         /* 7 */
    "    match    ^(?<queue_id>[0-9A-F]+): bounced: (?<reason>.*)$\n" /* 8 */
    "    event    bounced\n"                                          /* 9 */
    "    example  Nov 22 10:00:01 mx testd[1]: ABC123: bounced: 550 " /* 10 */
    "5.1.1 user unknown\n"                                            /*   */
    "    expect   event=bounced reply=550 enhanced=5.1.1 "            /* 11 */
    "category=user_unknown queue_id=ABC123\n"                         /*   */
    "    not      Nov 22 10:00:01 mx testd[1]: ABC123: sent\n"        /* 12 */
    "\n"                                                              /* 13 */
    "reason test_user_unknown\n"                                      /* 14 */
    "    category user_unknown\n"                                     /* 15 */
    "    match    (?i)user unknown\n"                                 /* 16 */
    "    example  550 5.1.1 user unknown\n"                           /* 17 */
    "    not      mailbox full\n";                                    /* 18 */

static void
make_categories(void)
{
    size_t n = 0;

    for (int c = 1; c < CAT_COUNT; c++) {
        const int k =
            snprintf(categories_text + n, sizeof(categories_text) - n,
                     "category %s\n    en The %s case.\n    de Der Fall %s.\n",
                     taxonomy_category_name((enum sc_category)c),
                     taxonomy_category_name((enum sc_category)c),
                     taxonomy_category_name((enum sc_category)c));
        cr_assert_gt(k, 0);
        cr_assert_lt((size_t)k, sizeof(categories_text) - n);
        n += (size_t)k;
    }
    categories_len = n;
}

static struct rules_source
source(const char *name, const char *data, size_t len)
{
    const struct rules_source s = {name, data, len, 0};
    return s;
}

static struct ruleset *rs;
static struct reports rep;

static void
setup(void)
{
    make_categories();
    memset(&rep, 0, sizeof(rep));
    rs = NULL;
}

static void
teardown(void)
{
    rules_free(rs);
    rs = NULL;
}

TestSuite(rules, .init = setup, .fini = teardown, .timeout = 30);

/*
 * Load the categories, one enhanced explanation, the minimal set and then
 * extra (when not NULL) as bad.rules.
 */
static int
load_with(const char *extra, size_t extra_len)
{
    struct rules_source src[4];
    size_t n = 0;

    src[n++] = source("categories.rules", categories_text, categories_len);
    src[n++] =
        source("enhanced.rules", enhanced_text, sizeof(enhanced_text) - 1);
    src[n++] = source("min.rules", min_text, sizeof(min_text) - 1);
    if (extra != NULL)
        src[n++] = source("bad.rules", extra, extra_len);
    return rules_load(src, n, &rs, collect_report, &rep);
}

/*
 * extra must give exactly one problem, at bad.rules:line, whose message
 * contains what.
 */
static void
assert_one_problem(const char *extra, size_t extra_len, unsigned line,
                   const char *what)
{
    char prefix[64];

    cr_assert_eq(-1, load_with(extra, extra_len), "'%s' loaded", extra);
    cr_assert_null(rs);
    if (rep.n != 1)
        dump_reports(&rep);
    cr_assert_eq(1, rep.n, "%zu reports for '%s'", rep.n, extra);
    (void)snprintf(prefix, sizeof(prefix), "bad.rules:%u: ", line);
    cr_assert_eq(0, strncmp(prefix, rep.msg[0], strlen(prefix)),
                 "expected '%s...', got '%s'", prefix, rep.msg[0]);
    cr_assert_not_null(strstr(rep.msg[0], what), "expected '%s' in '%s'", what,
                       rep.msg[0]);
}

#define ONE_PROBLEM(text, line, what)                                          \
    assert_one_problem((text), sizeof(text) - 1, (line), (what))

/* ---- a valid set ------------------------------------------------------- */

Test(rules, minimal_set_loads_without_problems)
{
    cr_assert_eq(0, load_with(NULL, 0));
    cr_assert_eq(0, rep.n);
    cr_assert_not_null(rs);
    cr_assert_eq(2, rs->n_mtas, "testmta and the built-in generic");
    cr_assert_geq(rules_find_mta(rs, "testmta"), 0);
    cr_assert_eq((size_t)rules_find_mta(rs, "generic"), rs->generic_mta);
    cr_assert_eq(1, rs->n_events);
    cr_assert_str_eq("test_bounce", rs->events[0].name);
    cr_assert_eq(EVENT_BOUNCED, rs->events[0].event);
    cr_assert_str_eq("min.rules", rs->events[0].origin.file);
    cr_assert_eq(5, rs->events[0].origin.line);
    cr_assert_eq(2, rs->events[0].examples.n);
    cr_assert_eq(10, rs->events[0].examples.v[0].line);
    cr_assert_eq(11, rs->events[0].examples.v[0].expect_line);
    cr_assert_not(rs->events[0].examples.v[1].must_match);
    cr_assert_gt(rs->events[0].group[GRP_QUEUE_ID], 0);
    cr_assert_gt(rs->events[0].group[GRP_REASON], 0);
    cr_assert_eq(-1, rs->events[0].group[GRP_RCPT]);
    cr_assert_eq(1, rs->n_reasons);
    cr_assert_eq(CAT_USER_UNKNOWN, rs->reasons[0].category);
    cr_assert_str_eq("The user_unknown case.",
                     rs->category[CAT_USER_UNKNOWN].text[LANG_EN]);
    cr_assert_str_eq("Der Fall user_unknown.",
                     rs->category[CAT_USER_UNKNOWN].text[LANG_DE]);
}

Test(rules, minimal_set_passes_rulecheck)
{
    cr_assert_eq(0, load_with(NULL, 0));
    const size_t n = rulecheck_run(rs, collect_report, &rep);
    if (n != 0)
        dump_reports(&rep);
    cr_assert_eq(0, n);
    cr_assert_eq(0, rep.n);
}

Test(rules, set_without_enhanced_entries_loads)
{
    /* No `enhanced` stanza at all: an empty table, sorted and searched. */
    const struct rules_source src[] = {
        source("categories.rules", categories_text, categories_len),
        source("min.rules", min_text, sizeof(min_text) - 1),
    };

    cr_assert_eq(0, rules_load(src, 2, &rs, collect_report, &rep));
    cr_assert_eq(0, rs->n_enhanced);
    cr_assert_eq(0, rulecheck_run(rs, collect_report, &rep));
    cr_assert_eq(0, rep.n);
}

Test(rules, rulecheck_reports_a_failing_expect_with_its_line)
{
    static const char wrong[] =
        "event wrong_expect\n"
        "    mta      testmta\n"
        "    match    ^(?<queue_id>[0-9A-F]+): failed: (?<reason>.*)$\n"
        "    event    bounced\n"
        "    example  Nov 22 10:00:01 mx testd[1]: ABC: failed: 550 x\n"
        "    expect   reply=551\n";

    cr_assert_eq(0, load_with(wrong, sizeof(wrong) - 1));
    cr_assert_eq(1, rulecheck_run(rs, collect_report, &rep));
    cr_assert_eq(1, rep.n);
    cr_assert_eq(0, strncmp("bad.rules:6: ", rep.msg[0], 13), "got '%s'",
                 rep.msg[0]);
    cr_assert_not_null(strstr(rep.msg[0], "reply='550'"), "got '%s'",
                       rep.msg[0]);
}

/*
 * TAXONOMY.md: every category has an explanation. A set without them must
 * be refused, by the loader or, at the latest, by rulecheck. Returns the
 * number of problems found that way; reports are in rep.
 */
static size_t
problems_of_set_without_categories(void)
{
    const struct rules_source src[] = {
        source("enhanced.rules", enhanced_text, sizeof(enhanced_text) - 1),
        source("min.rules", min_text, sizeof(min_text) - 1),
    };

    if (rules_load(src, 2, &rs, collect_report, &rep) != 0) {
        cr_assert_null(rs);
        return rep.n;
    }
    return rulecheck_run(rs, collect_report, &rep);
}

/* True when some report names category c and an explanation. */
static bool
has_category_report(enum sc_category c)
{
    char name[64];

    (void)snprintf(name, sizeof(name), "category '%s'",
                   taxonomy_category_name(c));
    for (size_t i = 0; i < rep.n && i < MAX_REPORTS; i++)
        if (strstr(rep.msg[i], name) != NULL &&
            strstr(rep.msg[i], "explanation") != NULL)
            return true;
    return false;
}

Test(rules, missing_category_explanation_is_reported_when_nothing_else_is)
{
    const size_t n = problems_of_set_without_categories();

    if (n == 0 || !has_category_report(CAT_DELIVERED))
        dump_reports(&rep);
    cr_assert_gt(n, 0, "a set without category explanations was accepted");
    cr_assert(has_category_report(CAT_DELIVERED));
}

Test(rules, every_missing_category_explanation_is_reported)
{
    /* rules.h: "Every problem is reported", so one run shows them all. */
    const size_t n = problems_of_set_without_categories();

    cr_assert_eq(CAT_COUNT - 1, n);
    for (int c = 1; c < CAT_COUNT; c++)
        cr_assert(has_category_report((enum sc_category)c),
                  "no report for category '%s'",
                  taxonomy_category_name((enum sc_category)c));
}

Test(rules, missing_category_explanations_wait_for_other_problems)
{
    static const char bad[] = "mta m2\n    flavour x\n";
    const struct rules_source src[] = {
        source("enhanced.rules", enhanced_text, sizeof(enhanced_text) - 1),
        source("min.rules", min_text, sizeof(min_text) - 1),
        source("bad.rules", bad, sizeof(bad) - 1),
    };

    cr_assert_eq(-1, rules_load(src, 3, &rs, collect_report, &rep));
    cr_assert_eq(1, rep.n);
    cr_assert_str_eq("bad.rules:2: mta 'm2': unknown key 'flavour'",
                     rep.msg[0]);
}

Test(rules, no_sources_means_no_rules)
{
    cr_assert_eq(-1, rules_load(NULL, 0, &rs, collect_report, &rep));
    cr_assert_null(rs);
    cr_assert_eq(1, rep.n);
    cr_assert_not_null(strstr(rep.msg[0], "no rules found"), "got '%s'",
                       rep.msg[0]);
}

Test(rules, later_layer_rules_come_first)
{
    static const char layer1[] =
        "event layered\n"
        "    mta      testmta\n"
        "    match    ^(?<queue_id>[0-9A-F]+): layered: (?<reason>.*)$\n"
        "    event    bounced\n"
        "    example  Nov 22 10:00:01 mx testd[1]: ABC: layered: 550 x\n";
    const struct rules_source src[] = {
        source("categories.rules", categories_text, categories_len),
        source("enhanced.rules", enhanced_text, sizeof(enhanced_text) - 1),
        source("min.rules", min_text, sizeof(min_text) - 1),
        {"add.rules", layer1, sizeof(layer1) - 1, 1},
    };

    cr_assert_eq(0, rules_load(src, 4, &rs, collect_report, &rep));
    cr_assert_eq(2, rs->n_events);
    cr_assert_str_eq("layered", rs->events[0].name);
    cr_assert_str_eq("test_bounce", rs->events[1].name);
}

/* ---- one problem each, at the right line -------------------------------- */

Test(rules, field_outside_a_stanza)
{
    ONE_PROBLEM("# leading comment\n\n    en stray field\n", 3,
                "field 'en' outside of a stanza");
}

Test(rules, field_without_a_value)
{
    ONE_PROBLEM("mta m2\n    program\n", 2, "field 'program' has no value");
}

Test(rules, stanza_without_a_name)
{
    ONE_PROBLEM("# c\nmta\n", 2, "stanza 'mta' has no name");
}

Test(rules, unknown_stanza_kind)
{
    ONE_PROBLEM("# c\nwidget foo\n    en x\n", 2,
                "unknown stanza kind 'widget'");
}

Test(rules, unknown_key_in_an_event)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    event    bounced\n"
                "    colour   red\n"
                "    example  Nov 22 10:00:01 mx testd[1]: x\n",
                5, "event 'e1': unknown key 'colour'");
}

Test(rules, unknown_key_in_an_mta)
{
    ONE_PROBLEM("mta m2\n    program  ^m2$\n    flavour  x\n", 3,
                "mta 'm2': unknown key 'flavour'");
}

Test(rules, unknown_key_in_a_reason)
{
    ONE_PROBLEM("reason r2\n"
                "    category spam_detected\n"
                "    match    spam\n"
                "    weight   3\n"
                "    example  spam\n",
                4, "reason 'r2': unknown key 'weight'");
}

Test(rules, unknown_key_in_an_explanation)
{
    ONE_PROBLEM("reply 550\n    en a\n    de b\n    fr c\n", 4,
                "reply '550': unknown key 'fr'");
}

Test(rules, event_regex_that_does_not_compile)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    (\n"
                "    event    bounced\n"
                "    example  x\n",
                3, "event 'e1': cannot compile regex");
}

Test(rules, reason_regex_that_does_not_compile)
{
    ONE_PROBLEM("# c\n"
                "reason r2\n"
                "    category spam_detected\n"
                "    match    [a-\n"
                "    example  spam\n",
                4, "reason 'r2': cannot compile regex");
}

Test(rules, program_regex_that_does_not_compile)
{
    ONE_PROBLEM("mta m2\n    program  a(b\n", 2,
                "mta 'm2': cannot compile regex");
}

Test(rules, unknown_category_in_a_reason)
{
    ONE_PROBLEM("reason r2\n"
                "    category nosuch\n"
                "    match    x\n"
                "    example  x\n",
                2, "reason 'r2': unknown category 'nosuch'");
}

Test(rules, unknown_category_stanza)
{
    ONE_PROBLEM("# c\ncategory nosuch\n    en a\n    de b\n", 2,
                "unknown category 'nosuch'");
}

Test(rules, unknown_category_in_a_reply)
{
    ONE_PROBLEM("reply 550\n    en a\n    de b\n    category nosuch\n", 4,
                "reply '550': unknown category 'nosuch'");
}

Test(rules, unknown_event)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    event    exploded\n"
                "    example  Nov 22 10:00:01 mx testd[1]: x\n",
                4, "event 'e1': unknown event 'exploded'");
}

Test(rules, unknown_event_in_a_reason_mask)
{
    ONE_PROBLEM("reason r2\n"
                "    category spam_detected\n"
                "    match    spam\n"
                "    event    bounced exploded\n"
                "    example  spam\n",
                4, "reason 'r2': unknown event 'exploded'");
}

Test(rules, unknown_mta_in_an_event)
{
    ONE_PROBLEM("event e1\n"
                "    mta      nosuchmta\n"
                "    match    ^x$\n"
                "    event    bounced\n"
                "    example  x\n",
                2, "event 'e1': unknown mta 'nosuchmta'");
}

Test(rules, event_without_match)
{
    ONE_PROBLEM("# c\n"
                "event e1\n"
                "    mta      testmta\n"
                "    event    bounced\n"
                "    example  Nov 22 10:00:01 mx testd[1]: x\n",
                2, "event 'e1': no 'match'");
}

Test(rules, event_without_example)
{
    ONE_PROBLEM("\n"
                "event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    event    bounced\n",
                2, "event 'e1': no 'example'");
}

Test(rules, event_without_event)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    example  x\n",
                1, "event 'e1': no 'event'");
}

Test(rules, status_event_needs_a_status_group)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    event    $status\n"
                "    example  x\n",
                3, "needs a (?<status>...) group");
}

Test(rules, expect_without_an_example)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    event    bounced\n"
                "    expect   reply=550\n"
                "    example  x\n",
                5, "'expect' must follow an 'example'");
}

Test(rules, reason_without_example)
{
    ONE_PROBLEM("\n"
                "reason r2\n"
                "    category spam_detected\n"
                "    match    spam\n",
                2, "reason 'r2': no 'example'");
}

Test(rules, reason_with_only_a_near_miss_has_no_example)
{
    /* A `not` line proves nothing about what the rule must match. */
    ONE_PROBLEM("\n"
                "reason r2\n"
                "    category spam_detected\n"
                "    match    spam\n"
                "    not      ham\n",
                2, "reason 'r2': no 'example'");
}

Test(rules, event_with_only_a_near_miss_has_no_example)
{
    ONE_PROBLEM("event e1\n"
                "    mta      testmta\n"
                "    match    ^x$\n"
                "    event    bounced\n"
                "    not      Nov 22 10:00:01 mx testd[1]: y\n",
                1, "event 'e1': no 'example'");
}

Test(rules, reason_without_match)
{
    ONE_PROBLEM("reason r2\n"
                "    category spam_detected\n"
                "    example  spam\n",
                1, "reason 'r2': no 'match'");
}

Test(rules, explanation_needs_both_languages)
{
    ONE_PROBLEM("# c\nreply 550\n    en only English\n", 2,
                "reply '550': needs both 'en' and 'de'");
}

Test(rules, explanation_defined_twice_in_one_file)
{
    ONE_PROBLEM("reply 550\n    en a\n    de b\n\nreply 550\n    en c\n"
                "    de d\n",
                5, "reply '550' defined twice (first at line 1)");
}

Test(rules, malformed_enhanced_names)
{
    static const char *const names[] = {
        "5.9.1", "X.1",     "X.1.1000", "5.1.*", "X.1.x",  "7.1.1",
        "X.8.1", "X.1.1.1", "X.11.1",   "x.1.1", "X.1.*1", "X.1.",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[128];
        const int n =
            snprintf(text, sizeof(text),
                     "# c\nenhanced %s\n    en a\n    de b\n", names[i]);
        assert_one_problem(text, (size_t)n, 2,
                           "expected X.S.D, C.S.D or X.S.*");
        memset(&rep, 0, sizeof(rep));
    }
}

Test(rules, enhanced_detail_must_be_digits_only)
{
    /* strtoul alone would take a sign or leading blanks. */
    static const char *const names[] = {"X.1.+1", "X.1.-0", "5.1. 1"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[128];
        const int n = snprintf(text, sizeof(text),
                               "enhanced %s\n    en a\n    de b\n", names[i]);
        assert_one_problem(text, (size_t)n, 1,
                           "expected X.S.D, C.S.D or X.S.*");
        memset(&rep, 0, sizeof(rep));
    }
}

Test(rules, well_formed_enhanced_names_load)
{
    static const char good[] = "enhanced X.1.1\n    en a\n    de b\n"
                               "enhanced 5.7.606\n    en a\n    de b\n"
                               "enhanced X.4.*\n    en a\n    de b\n";
    const struct smtp_enhanced e = {5, 7, 606};
    const struct smtp_enhanced w = {4, 4, 123};
    bool is_wildcard;

    cr_assert_eq(0, load_with(good, sizeof(good) - 1));
    cr_assert_eq(4, rs->n_enhanced, "X.0.0 and these three");
    cr_assert_not_null(rules_find_enhanced(rs, &e, &is_wildcard));
    cr_assert_not(is_wildcard);
    cr_assert_not_null(rules_find_enhanced(rs, &w, &is_wildcard));
    cr_assert(is_wildcard);
}

Test(rules, malformed_reply_names)
{
    static const char *const names[] = {"55",  "5500", "600",
                                        "099", "5a0",  "abc"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[128];
        const int n = snprintf(text, sizeof(text),
                               "reply %s\n    en a\n    de b\n", names[i]);
        assert_one_problem(text, (size_t)n, 1, "expected a code 100..599");
        memset(&rep, 0, sizeof(rep));
    }
}

Test(rules, reply_name_must_be_three_digits_also_for_1yz_and_3yz)
{
    static const char *const names[] = {"1x0", "3ab", "1 0"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[128];
        const int n = snprintf(text, sizeof(text),
                               "reply %s\n    en a\n    de b\n", names[i]);
        assert_one_problem(text, (size_t)n, 1, "expected a code 100..599");
        memset(&rep, 0, sizeof(rep));
    }
}

Test(rules, informational_reply_codes_load)
{
    static const char text[] = "reply 150\n    en a\n    de b\n"
                               "reply 354\n    en c\n    de d\n";

    cr_assert_eq(0, load_with(text, sizeof(text) - 1));
    cr_assert_str_eq("a", rs->reply[150].text[LANG_EN]);
    cr_assert_str_eq("d", rs->reply[354].text[LANG_DE]);
}

Test(rules, nul_byte_is_reported_with_its_line)
{
    static const char text[] = "# c\nmta m2\0x\n    program ^m2$\n";

    /* The NUL line is dropped, so its field is then outside a stanza. */
    cr_assert_eq(-1, load_with(text, sizeof(text) - 1));
    cr_assert_geq(rep.n, 1);
    cr_assert_str_eq("bad.rules:2: NUL byte in rule file", rep.msg[0]);
}

Test(rules, nul_byte_in_a_comment_is_reported)
{
    static const char text[] = "# c\n\n# a\0b\n";

    ONE_PROBLEM(text, 3, "NUL byte in rule file");
}

Test(rules, duplicate_event_name)
{
    ONE_PROBLEM("event test_bounce\n"
                "    mta      testmta\n"
                "    match    ^y$\n"
                "    event    bounced\n"
                "    example  Nov 22 10:00:01 mx testd[1]: y\n",
                1, "event 'test_bounce' defined twice (also min.rules:5)");
}

Test(rules, duplicate_mta_name)
{
    ONE_PROBLEM("# c\nmta testmta\n    program ^other$\n", 2,
                "mta 'testmta' defined twice");
}

/* ---- encodings and line ends ------------------------------------------- */

/* s with every "\n" turned into "\r\n"; owned. */
static char *
to_crlf(const char *s, size_t len, size_t *out_len)
{
    char *const d = malloc(2 * len + 1);
    size_t n = 0;

    cr_assert_not_null(d);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            d[n++] = '\r';
        d[n++] = s[i];
    }
    *out_len = n;
    return d;
}

Test(rules, crlf_line_ends_load_like_lf)
{
    size_t cat_len, enh_len, min_len;
    char *const cat = to_crlf(categories_text, categories_len, &cat_len);
    char *const enh =
        to_crlf(enhanced_text, sizeof(enhanced_text) - 1, &enh_len);
    char *const min = to_crlf(min_text, sizeof(min_text) - 1, &min_len);
    const struct rules_source src[] = {
        source("categories.rules", cat, cat_len),
        source("enhanced.rules", enh, enh_len),
        source("min.rules", min, min_len),
    };

    cr_assert_eq(0, rules_load(src, 3, &rs, collect_report, &rep));
    cr_assert_eq(0, rep.n);
    cr_assert_eq(1, rs->n_events);
    const struct rule_example *const ex = &rs->events[0].examples.v[0];
    cr_assert_eq(10, ex->line);
    cr_assert_neq('\r', ex->text[ex->len - 1]);
    cr_assert_str_eq("Nov 22 10:00:01 mx testd[1]: ABC123: bounced: 550 "
                     "5.1.1 user unknown",
                     ex->text);
    cr_assert_str_eq("The user_unknown case.",
                     rs->category[CAT_USER_UNKNOWN].text[LANG_EN]);
    /* A '\r' left in a regex would make every example fail. */
    cr_assert_eq(0, rulecheck_run(rs, collect_report, &rep));
    free(cat);
    free(enh);
    free(min);
}

Test(rules, crlf_errors_have_the_same_line_numbers)
{
    static const char lf[] = "# c\n\nmta m2\n    flavour x\n";
    size_t len;
    char *const crlf = to_crlf(lf, sizeof(lf) - 1, &len);

    assert_one_problem(crlf, len, 4, "mta 'm2': unknown key 'flavour'");
    cr_assert_str_eq("bad.rules:4: mta 'm2': unknown key 'flavour'",
                     rep.msg[0]);
    free(crlf);
}

Test(rules, utf8_bom_is_skipped)
{
    static const char bom[] = "\xEF\xBB\xBFmta m2\n    program  ^m2$\n";

    cr_assert_eq(0, load_with(bom, sizeof(bom) - 1));
    cr_assert_eq(0, rep.n);
    cr_assert_geq(rules_find_mta(rs, "m2"), 0, "the BOM is not in the name");
}

Test(rules, utf8_bom_keeps_line_numbers)
{
    ONE_PROBLEM("\xEF\xBB\xBFmta m2\n    flavour x\n", 2,
                "mta 'm2': unknown key 'flavour'");
}

Test(rules, utf8_text_in_explanations_is_kept)
{
    static const char text[] = "reply 552\n    en Mailbox full.\n"
                               "    de Postfach \xC3\xBC"
                               "berf\xC3\xBCllt.\n";

    cr_assert_eq(0, load_with(text, sizeof(text) - 1));
    cr_assert_str_eq("Postfach \xC3\xBC"
                     "berf\xC3\xBCllt.",
                     rs->reply[552].text[LANG_DE]);
}

/* ---- the real rules ---------------------------------------------------- */

Test(rules, real_rules_directory_loads_without_problems)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;

    memset(&err, 0, sizeof(err));
    cr_assert_eq(0,
                 rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err),
                 "%s: %s", err.file, err.msg);
    cr_assert_geq(n_src, 5);
    const int rc = rules_load(src, n_src, &rs, collect_report, &rep);
    if (rep.n != 0)
        dump_reports(&rep);
    cr_assert_eq(0, rc);
    cr_assert_eq(0, rep.n);
    cr_assert_geq(rules_find_mta(rs, "postfix"), 0);
    cr_assert_geq(rules_find_mta(rs, "exim"), 0);
    cr_assert_geq(rules_find_mta(rs, "sendmail"), 0);
    for (int c = 1; c < CAT_COUNT; c++) {
        cr_assert_not_null(rs->category[c].text[LANG_EN]);
        cr_assert_not_null(rs->category[c].text[LANG_DE]);
    }

    const size_t n_fail = rulecheck_run(rs, collect_report, &rep);
    if (n_fail != 0)
        dump_reports(&rep);
    cr_assert_eq(0, n_fail);
    rules_sources_free(src, n_src);
}

Test(rules, embedded_rules_load_and_pass_rulecheck)
{
    cr_assert_gt(rules_embedded_count, 0);
    cr_assert_eq(0, rules_load(rules_embedded, rules_embedded_count, &rs,
                               collect_report, &rep));
    cr_assert_eq(0, rep.n);
    cr_assert_eq(0, rulecheck_run(rs, collect_report, &rep));
}

Test(rules, missing_directory_is_an_error)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;

    memset(&err, 0, sizeof(err));
    cr_assert_eq(-1, rules_read_dir(SC_SOURCE_DIR "/no/such/dir", 0, &src,
                                    &n_src, &err));
    cr_assert_eq(0, n_src);
    cr_assert_not_null(strstr(err.msg, "cannot open rules directory"),
                       "got '%s'", err.msg);
    rules_sources_free(src, n_src);
}

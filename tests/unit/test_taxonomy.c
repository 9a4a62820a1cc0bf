/*
 * test_taxonomy.c: the closed name sets: every class, category and event
 * name round-trips through its lookup, names are distinct and lowercase,
 * unknown names give the NONE value, and the class/hard-bounce/reply-kind/
 * subject helpers follow RFC 5321 and RFC 3463.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "taxonomy.h"

static struct span
str_span(const char *s)
{
    return span_make(s, strlen(s));
}

/* A user-visible name: non-empty, [a-z_] only. */
static void
assert_well_formed(const char *name)
{
    cr_assert_not_null(name);
    cr_assert_gt(strlen(name), 0);
    for (const char *p = name; *p != '\0'; p++)
        cr_assert((*p >= 'a' && *p <= 'z') || *p == '_', "bad name '%s'", name);
}

TestSuite(taxonomy, .timeout = 10);

Test(taxonomy, class_names_round_trip)
{
    for (int c = 1; c < CLASS_COUNT; c++) {
        const char *const name = taxonomy_class_name((enum sc_class)c);
        assert_well_formed(name);
        cr_assert_eq(c, taxonomy_class_lookup(str_span(name)), "'%s'", name);
    }
}

Test(taxonomy, category_names_round_trip)
{
    for (int c = 1; c < CAT_COUNT; c++) {
        const char *const name = taxonomy_category_name((enum sc_category)c);
        assert_well_formed(name);
        cr_assert_eq(c, taxonomy_category_lookup(str_span(name)), "'%s'", name);
    }
}

Test(taxonomy, event_names_round_trip)
{
    for (int e = 1; e < EVENT_COUNT; e++) {
        const char *const name = taxonomy_event_name((enum sc_event)e);
        assert_well_formed(name);
        cr_assert_eq(e, taxonomy_event_lookup(str_span(name)), "'%s'", name);
    }
}

Test(taxonomy, names_within_a_set_are_distinct)
{
    for (int a = 1; a < CAT_COUNT; a++)
        for (int b = a + 1; b < CAT_COUNT; b++)
            cr_assert_str_neq(taxonomy_category_name((enum sc_category)a),
                              taxonomy_category_name((enum sc_category)b));
    for (int a = 1; a < EVENT_COUNT; a++)
        for (int b = a + 1; b < EVENT_COUNT; b++)
            cr_assert_str_neq(taxonomy_event_name((enum sc_event)a),
                              taxonomy_event_name((enum sc_event)b));
    for (int a = 1; a < CLASS_COUNT; a++)
        for (int b = a + 1; b < CLASS_COUNT; b++)
            cr_assert_str_neq(taxonomy_class_name((enum sc_class)a),
                              taxonomy_class_name((enum sc_class)b));
}

Test(taxonomy, none_values_have_empty_names)
{
    cr_assert_str_eq("", taxonomy_class_name(CLASS_NONE));
    cr_assert_str_eq("", taxonomy_category_name(CAT_NONE));
    cr_assert_str_eq("", taxonomy_event_name(EVENT_NONE));
}

Test(taxonomy, out_of_range_values_have_empty_names)
{
    cr_assert_str_eq("", taxonomy_class_name(CLASS_COUNT));
    cr_assert_str_eq("", taxonomy_category_name(CAT_COUNT));
    cr_assert_str_eq("", taxonomy_event_name(EVENT_COUNT));
    cr_assert_str_eq("", taxonomy_category_name((enum sc_category)200));
}

Test(taxonomy, documented_names_are_stable)
{
    /* These names are interface (tags, JSON keys, Prometheus labels). */
    cr_assert_str_eq("permanent", taxonomy_class_name(CLASS_PERMANENT));
    cr_assert_str_eq("transient", taxonomy_class_name(CLASS_TRANSIENT));
    cr_assert_str_eq("success", taxonomy_class_name(CLASS_SUCCESS));
    cr_assert_str_eq("user_unknown", taxonomy_category_name(CAT_USER_UNKNOWN));
    cr_assert_str_eq("unknown", taxonomy_category_name(CAT_UNKNOWN));
    cr_assert_str_eq("too_many_connections",
                     taxonomy_category_name(CAT_TOO_MANY_CONNECTIONS));
    cr_assert_str_eq("bounced", taxonomy_event_name(EVENT_BOUNCED));
    cr_assert_str_eq("reject_warning",
                     taxonomy_event_name(EVENT_REJECT_WARNING));
    cr_assert_str_eq("auth_failed", taxonomy_event_name(EVENT_AUTH_FAILED));
}

Test(taxonomy, unknown_names_give_none)
{
    static const char *const unknown[] = {
        "",           "bogus", "Permanent", "permanent ", "user-unknown",
        "user_unkno", "sent_", "none",      "CLASS_NONE",
    };

    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        const struct span s = str_span(unknown[i]);
        cr_assert_eq(CLASS_NONE, taxonomy_class_lookup(s), "'%s'", unknown[i]);
        cr_assert_eq(CAT_NONE, taxonomy_category_lookup(s), "'%s'", unknown[i]);
        cr_assert_eq(EVENT_NONE, taxonomy_event_lookup(s), "'%s'", unknown[i]);
    }
}

Test(taxonomy, lookup_uses_the_span_length_not_a_terminator)
{
    /* "sentinel" starts with "sent"; only the span's bytes count. */
    cr_assert_eq(EVENT_SENT, taxonomy_event_lookup(span_make("sentinel", 4)));
    cr_assert_eq(EVENT_NONE, taxonomy_event_lookup(span_make("sentinel", 5)));
    cr_assert_eq(EVENT_NONE, taxonomy_event_lookup(span_make("sentinel", 8)));
}

Test(taxonomy, expired_is_both_an_event_and_a_category)
{
    cr_assert_eq(EVENT_EXPIRED, taxonomy_event_lookup(SPAN_LIT("expired")));
    cr_assert_eq(CAT_EXPIRED, taxonomy_category_lookup(SPAN_LIT("expired")));
    cr_assert_eq(CLASS_NONE, taxonomy_class_lookup(SPAN_LIT("expired")));
}

Test(taxonomy, class_of_reply_follows_the_first_digit)
{
    static const struct {
        unsigned reply;
        enum sc_class cls;
    } cases[] = {
        {100, CLASS_PRELIMINARY},  {199, CLASS_PRELIMINARY},
        {200, CLASS_SUCCESS},      {250, CLASS_SUCCESS},
        {354, CLASS_INTERMEDIATE}, {421, CLASS_TRANSIENT},
        {450, CLASS_TRANSIENT},    {499, CLASS_TRANSIENT},
        {500, CLASS_PERMANENT},    {550, CLASS_PERMANENT},
        {599, CLASS_PERMANENT},    {0, CLASS_NONE},
        {99, CLASS_NONE},          {600, CLASS_NONE},
        {999, CLASS_NONE},         {5500, CLASS_NONE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(cases[i].cls, taxonomy_class_of_reply(cases[i].reply),
                     "%u", cases[i].reply);
}

Test(taxonomy, class_of_enhanced_knows_2_4_5_only)
{
    cr_assert_eq(CLASS_SUCCESS, taxonomy_class_of_enhanced(2));
    cr_assert_eq(CLASS_TRANSIENT, taxonomy_class_of_enhanced(4));
    cr_assert_eq(CLASS_PERMANENT, taxonomy_class_of_enhanced(5));
    cr_assert_eq(CLASS_NONE, taxonomy_class_of_enhanced(0));
    cr_assert_eq(CLASS_NONE, taxonomy_class_of_enhanced(1));
    cr_assert_eq(CLASS_NONE, taxonomy_class_of_enhanced(3));
    cr_assert_eq(CLASS_NONE, taxonomy_class_of_enhanced(6));
}

Test(taxonomy, hard_bounce_is_a_permanent_address_problem)
{
    for (int cls = 0; cls < CLASS_COUNT; cls++)
        for (int cat = 0; cat < CAT_COUNT; cat++) {
            const bool is_hard_cat =
                cat == CAT_USER_UNKNOWN || cat == CAT_HOST_UNKNOWN ||
                cat == CAT_HAS_MOVED || cat == CAT_NOT_ACCEPTING;
            const bool want = cls == CLASS_PERMANENT && is_hard_cat;
            cr_assert_eq(want,
                         taxonomy_is_hard_bounce((enum sc_class)cls,
                                                 (enum sc_category)cat),
                         "class %s, category %s",
                         taxonomy_class_name((enum sc_class)cls),
                         taxonomy_category_name((enum sc_category)cat));
        }
}

Test(taxonomy, reply_kind_names_the_second_digit)
{
    cr_assert_str_eq("syntax", taxonomy_reply_kind_name(500));
    cr_assert_str_eq("information", taxonomy_reply_kind_name(214));
    cr_assert_str_eq("connections", taxonomy_reply_kind_name(421));
    cr_assert_str_eq("mail_system", taxonomy_reply_kind_name(550));
    cr_assert_str_eq("mail_system", taxonomy_reply_kind_name(250));
    cr_assert_null(taxonomy_reply_kind_name(530), "x3z has no name");
    cr_assert_null(taxonomy_reply_kind_name(541), "x4z has no name");
    cr_assert_null(taxonomy_reply_kind_name(560));
    cr_assert_null(taxonomy_reply_kind_name(99));
    cr_assert_null(taxonomy_reply_kind_name(600));
    cr_assert_null(taxonomy_reply_kind_name(0));
}

Test(taxonomy, enhanced_subject_names_follow_rfc3463)
{
    static const char *const want[] = {
        "other",   "addressing", "mailbox", "mail_system",
        "network", "protocol",   "content", "security",
    };

    for (unsigned s = 0; s < 8; s++)
        cr_assert_str_eq(want[s], taxonomy_enhanced_subject_name(s), "X.%u", s);
    cr_assert_null(taxonomy_enhanced_subject_name(8));
    cr_assert_null(taxonomy_enhanced_subject_name(65535));
}

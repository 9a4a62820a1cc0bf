/*
 * test_counters.c: the counters hash table: add/get, growth with the
 * invariant check after every operation, merging, the documented visit
 * order, early stop, that adding to existing keys allocates nothing, the
 * delay histograms, and that merging per-thread tables (labels, delays)
 * gives what one table gives.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "taxonomy.h"
#include "xalloc.h"

static struct counters *c;

static void
setup(void)
{
    c = counters_new();
    counters_check(c);
}

static void
teardown(void)
{
    counters_free(c);
    c = NULL;
}

TestSuite(counters, .init = setup, .fini = teardown);

/*
 * A distinct key for each i below 12.8 million, spread over several
 * fields. No enhanced code: those fold past COUNTERS_SERIES_CAP (tested
 * on its own below), and these tests are about the table itself.
 */
static struct counter_key
key_of(unsigned i)
{
    const struct counter_key k = {
        .mta = (uint16_t)(i % 1000),
        .reply = (uint16_t)(200 + (i / 1000) % 400),
        .event = EVENT_BOUNCED,
        .cls = CLASS_PERMANENT,
        .category = (uint8_t)(1 + (i / 400000) % 32),
    };
    return k;
}

Test(counters, new_table_is_empty)
{
    const struct counter_key k = key_of(1);

    cr_assert_eq(0, counters_size(c));
    cr_assert_eq(0, counters_get(c, &k));
    cr_assert_eq(0, counters_totals_const(c)->lines_read);
}

Test(counters, add_then_get_returns_the_sum)
{
    const struct counter_key k = key_of(7);

    counters_add(c, &k, 2);
    counters_check(c);
    counters_add(c, &k, 40);
    counters_check(c);
    cr_assert_eq(42, counters_get(c, &k));
    cr_assert_eq(1, counters_size(c));
}

Test(counters, get_of_absent_key_returns_zero)
{
    const struct counter_key present = key_of(1);
    const struct counter_key absent = key_of(2);

    counters_add(c, &present, 5);
    cr_assert_eq(0, counters_get(c, &absent));
}

Test(counters, add_of_zero_creates_the_series)
{
    const struct counter_key k = key_of(3);

    counters_add(c, &k, 0);
    counters_check(c);
    cr_assert_eq(1, counters_size(c));
    cr_assert_eq(0, counters_get(c, &k));
}

Test(counters, keys_differing_in_any_one_field_are_distinct)
{
    const struct counter_key base = key_of(0);
    struct counter_key k[9];

    for (size_t i = 0; i < 9; i++)
        k[i] = base;
    k[1].mta++;
    k[2].reply++;
    k[3].enh_subject++;
    k[4].enh_detail++;
    k[5].event++;
    k[6].cls--;
    k[7].enh_class--;
    k[8].category--;
    for (size_t i = 0; i < 9; i++) {
        counters_add(c, &k[i], i + 1);
        counters_check(c);
    }
    cr_assert_eq(9, counters_size(c));
    for (size_t i = 0; i < 9; i++)
        cr_assert_eq(i + 1, counters_get(c, &k[i]), "key %zu", i);
}

Test(counters, grows_past_many_keys_and_keeps_every_count)
{
    const unsigned n_checked = 3000;
    const unsigned n_keys = 100000;

    for (unsigned i = 0; i < n_checked; i++) {
        const struct counter_key k = key_of(i);
        counters_add(c, &k, i + 1);
        counters_check(c);
    }
    for (unsigned i = n_checked; i < n_keys; i++) {
        const struct counter_key k = key_of(i);
        counters_add(c, &k, i + 1);
        if (i % 10000 == 0)
            counters_check(c);
    }
    counters_check(c);
    cr_assert_eq(n_keys, counters_size(c));
    for (unsigned i = 0; i < n_keys; i++) {
        const struct counter_key k = key_of(i);
        cr_assert_eq((uint64_t)i + 1, counters_get(c, &k), "key %u", i);
    }
}

Test(counters, adding_to_existing_keys_allocates_nothing)
{
    const struct counter_key last = key_of(99);
    uint64_t before;

    for (unsigned i = 0; i < 100; i++) {
        const struct counter_key k = key_of(i);
        counters_add(c, &k, 1);
    }
    before = xalloc_count();
    for (unsigned round = 0; round < 1000; round++) {
        for (unsigned i = 0; i < 100; i++) {
            const struct counter_key k = key_of(i);
            counters_add(c, &k, 1);
        }
    }
    cr_assert_eq(before, xalloc_count());
    counters_check(c);
    cr_assert_eq(1001, counters_get(c, &last));
}

Test(counters, totals_are_shared_between_both_accessors)
{
    struct counter_totals *const t = counters_totals(c);

    t->lines_read = 10;
    t->bytes_read = 999;
    cr_assert_eq(10, counters_totals_const(c)->lines_read);
    cr_assert_eq(999, counters_totals_const(c)->bytes_read);
}

Test(counters, merge_adds_series_and_totals)
{
    struct counters *const src = counters_new();
    const struct counter_key shared = key_of(1);
    const struct counter_key only_dst = key_of(2);
    const struct counter_key only_src = key_of(3);
    const struct counter_totals t_dst = {.lines_read = 10,
                                         .lines_with_outcome = 6,
                                         .lines_without_outcome = 4,
                                         .lines_unknown_category = 1,
                                         .lines_overlong = 2,
                                         .lines_regex_limit = 1,
                                         .bytes_read = 1000};
    const struct counter_totals t_src = {.lines_read = 5,
                                         .lines_with_outcome = 3,
                                         .lines_without_outcome = 2,
                                         .lines_overlong = 1,
                                         .lines_regex_limit = 2,
                                         .bytes_read = 500};

    counters_add(c, &shared, 4);
    counters_add(c, &only_dst, 2);
    *counters_totals(c) = t_dst;
    counters_add(src, &shared, 1);
    counters_add(src, &only_src, 2);
    *counters_totals(src) = t_src;

    counters_merge(c, src);
    counters_check(c);
    counters_check(src);
    cr_assert_eq(3, counters_size(c));
    cr_assert_eq(5, counters_get(c, &shared));
    cr_assert_eq(2, counters_get(c, &only_dst));
    cr_assert_eq(2, counters_get(c, &only_src));
    cr_assert_eq(2, counters_size(src), "merge must not change src");
    cr_assert_eq(15, counters_totals_const(c)->lines_read);
    cr_assert_eq(9, counters_totals_const(c)->lines_with_outcome);
    cr_assert_eq(6, counters_totals_const(c)->lines_without_outcome);
    cr_assert_eq(1, counters_totals_const(c)->lines_unknown_category);
    cr_assert_eq(3, counters_totals_const(c)->lines_overlong);
    cr_assert_eq(3, counters_totals_const(c)->lines_regex_limit);
    cr_assert_eq(1500, counters_totals_const(c)->bytes_read);
    counters_free(src);
}

Test(counters, merge_of_large_table_grows_destination)
{
    struct counters *const src = counters_new();

    for (unsigned i = 0; i < 5000; i++) {
        const struct counter_key k = key_of(i);
        counters_add(src, &k, 2);
        if (i % 2 == 0)
            counters_add(c, &k, 1);
    }
    counters_merge(c, src);
    counters_check(c);
    cr_assert_eq(5000, counters_size(c));
    for (unsigned i = 0; i < 5000; i++) {
        const struct counter_key k = key_of(i);
        cr_assert_eq((uint64_t)(i % 2 == 0 ? 3 : 2), counters_get(c, &k),
                     "key %u", i);
    }
    counters_free(src);
}

struct recorded {
    struct counter_key keys[16];
    uint64_t counts[16];
    size_t n;
    size_t stop_after; /* 0: never stop */
};

static int
record(void *ctx, const struct counter_key *key, uint64_t count)
{
    struct recorded *const r = ctx;

    cr_assert_lt(r->n, 16);
    r->keys[r->n] = *key;
    r->counts[r->n] = count;
    r->n++;
    return r->stop_after != 0 && r->n == r->stop_after ? 77 : 0;
}

Test(counters, visit_sorted_orders_by_class_category_reply_enhanced_mta_event)
{
    /* Expected order; inserted below in a scrambled order. */
    const struct counter_key want[] = {
        {.cls = CLASS_SUCCESS, .category = CAT_DELIVERED, .reply = 250},
        {.cls = CLASS_TRANSIENT, .category = CAT_GREYLISTED, .reply = 450},
        {.cls = CLASS_TRANSIENT, .category = CAT_NETWORK_ERROR},
        {.cls = CLASS_PERMANENT, .category = CAT_USER_UNKNOWN, .reply = 550},
        {.cls = CLASS_PERMANENT,
         .category = CAT_USER_UNKNOWN,
         .reply = 550,
         .enh_class = 5,
         .enh_subject = 1,
         .enh_detail = 1},
        {.cls = CLASS_PERMANENT,
         .category = CAT_USER_UNKNOWN,
         .reply = 550,
         .enh_class = 5,
         .enh_subject = 1,
         .enh_detail = 2},
        {.cls = CLASS_PERMANENT,
         .category = CAT_USER_UNKNOWN,
         .reply = 550,
         .enh_class = 5,
         .enh_subject = 2,
         .enh_detail = 0},
        {.cls = CLASS_PERMANENT,
         .category = CAT_USER_UNKNOWN,
         .reply = 550,
         .enh_class = 5,
         .enh_subject = 2,
         .enh_detail = 0,
         .mta = 1},
        {.cls = CLASS_PERMANENT,
         .category = CAT_USER_UNKNOWN,
         .reply = 550,
         .enh_class = 5,
         .enh_subject = 2,
         .enh_detail = 0,
         .mta = 1,
         .event = EVENT_BOUNCED},
        {.cls = CLASS_PERMANENT, .category = CAT_USER_UNKNOWN, .reply = 551},
        {.cls = CLASS_PERMANENT, .category = CAT_UNKNOWN, .reply = 500},
    };
    const size_t n = sizeof want / sizeof want[0];
    const size_t insert_order[] = {7, 2, 10, 0, 5, 9, 1, 8, 3, 6, 4};
    struct recorded r = {.n = 0};

    _Static_assert(sizeof insert_order / sizeof insert_order[0] ==
                       sizeof want / sizeof want[0],
                   "one insertion per key");
    for (size_t i = 0; i < n; i++) {
        counters_add(c, &want[insert_order[i]], insert_order[i] + 100);
        counters_check(c);
    }
    cr_assert_eq(0, counters_visit_sorted(c, record, &r));
    cr_assert_eq(n, r.n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(0, memcmp(&want[i], &r.keys[i], sizeof want[i]),
                     "position %zu", i);
        cr_assert_eq(i + 100, r.counts[i], "position %zu", i);
    }
}

Test(counters, visit_stops_and_returns_the_visitor_value)
{
    struct recorded r = {.stop_after = 2};

    for (unsigned i = 0; i < 5; i++) {
        const struct counter_key k = key_of(i);
        counters_add(c, &k, 1);
    }
    cr_assert_eq(77, counters_visit_sorted(c, record, &r));
    cr_assert_eq(2, r.n);
}

Test(counters, visit_of_empty_table_calls_nothing)
{
    struct recorded r = {.n = 0};

    cr_assert_eq(0, counters_visit_sorted(c, record, &r));
    cr_assert_eq(0, r.n);
}

Test(counters, free_accepts_null)
{
    counters_free(NULL);
}

/* ---- delay histograms ---- */

struct delays_seen {
    struct counter_delay d[8];
    size_t n;
};

static int
record_delay(void *ctx, const struct counter_delay *d)
{
    struct delays_seen *const s = ctx;

    cr_assert_lt(s->n, 8);
    s->d[s->n++] = *d;
    return 0;
}

Test(counters, delays_fall_in_buckets_that_include_their_bound)
{
    struct delays_seen s = {.n = 0};
    const uint64_t delays[] = {0, 100, 101, 500, 86400000, 86400001};

    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        counters_add_delay(c, 1, EVENT_SENT, delays[i]);
        counters_check(c);
    }
    cr_assert_eq(0, counters_visit_delays(c, record_delay, &s));
    cr_assert_eq(1, s.n);
    cr_assert_eq(6, s.d[0].count);
    cr_assert_eq(172800702, s.d[0].sum_ms);
    cr_assert_eq(2, s.d[0].buckets[0]); /* 0 and 100: le 0.1 */
    cr_assert_eq(2, s.d[0].buckets[1]); /* 101 and 500: le 0.5 */
    cr_assert_eq(1, s.d[0].buckets[COUNTERS_DELAY_N_BOUNDS - 1]);
    cr_assert_eq(1, s.d[0].buckets[COUNTERS_DELAY_N_BOUNDS]); /* +Inf */
}

Test(counters, delays_are_visited_by_mta_then_event)
{
    struct delays_seen s = {.n = 0};

    counters_add_delay(c, 2, EVENT_SENT, 1);
    counters_add_delay(c, 0, EVENT_BOUNCED, 1);
    counters_add_delay(c, 0, EVENT_SENT, 1);
    counters_add_delay(c, 1, EVENT_DEFERRED, 1);
    counters_add_delay(c, 0, EVENT_SENT, 1);
    counters_check(c);
    cr_assert_eq(0, counters_visit_delays(c, record_delay, &s));
    cr_assert_eq(4, s.n);
    cr_assert(s.d[0].mta == 0 && s.d[0].event == EVENT_SENT);
    cr_assert_eq(2, s.d[0].count);
    cr_assert(s.d[1].mta == 0 && s.d[1].event == EVENT_BOUNCED);
    cr_assert(s.d[2].mta == 1 && s.d[2].event == EVENT_DEFERRED);
    cr_assert(s.d[3].mta == 2 && s.d[3].event == EVENT_SENT);
}

Test(counters, many_histograms_grow_the_index)
{
    for (uint16_t mta = 0; mta < 40; mta++)
        for (uint8_t ev = 0; ev < EVENT_COUNT; ev++)
            counters_add_delay(c, mta, ev, (uint64_t)mta * 1000 + ev);
    counters_check(c);
}

/* ---- merging labels and delays (the -j threads) ---- */

static const char *const domains[] = {"a.example", "b.example", "c.example",
                                      "d.example", "e.example"};

/* Line i of a synthetic input, counted into t. */
static void
count_line_i(struct counters *t, unsigned i)
{
    const char *const d = domains[(i * 7u) % 5u];
    const unsigned cls = i % 3 == 0 ? CLASS_PERMANENT : CLASS_SUCCESS;

    counters_add_label(t, COUNTER_FAMILY_RCPT_DOMAIN, span_make(d, strlen(d)),
                       cls);
    counters_add_label(t, COUNTER_FAMILY_RELAY, SPAN_LIT("mx.example"), cls);
    counters_add_delay(t, (uint16_t)(i % 2), EVENT_SENT, i * 37u);
}

struct label_seen {
    char text[2048];
    size_t len;
};

static int
record_label(void *ctx, const struct toplabels_row *row)
{
    struct label_seen *const s = ctx;
    const int n = snprintf(s->text + s->len, sizeof s->text - s->len,
                           "%s:%llu/%llu/%llu;", row->value,
                           (unsigned long long)row->counts[CLASS_SUCCESS],
                           (unsigned long long)row->counts[CLASS_TRANSIENT],
                           (unsigned long long)row->counts[CLASS_PERMANENT]);
    s->len += (size_t)n;
    cr_assert_lt(s->len, sizeof s->text);
    return 0;
}

static void
labels_text(const struct counters *t, enum counter_family f,
            struct label_seen *s)
{
    uint64_t dropped[TOPLABELS_DROP_COUNT];

    memset(s, 0, sizeof *s);
    cr_assert_eq(
        0, toplabels_visit(counters_labels(t, f), record_label, s, dropped));
}

Test(counters, merge_of_threads_equals_one_table)
{
    struct counters *parts[3];
    struct counters *const sum = counters_new();
    struct label_seen want, got;
    struct delays_seen dw = {.n = 0}, dg = {.n = 0};

    counters_configure_labels(c, 3, false);
    for (unsigned p = 0; p < 3; p++) {
        parts[p] = counters_new();
        counters_configure_labels(parts[p], 3, false);
    }
    for (unsigned i = 0; i < 999; i++) {
        count_line_i(c, i);
        count_line_i(parts[i / 333], i);
    }
    for (unsigned p = 0; p < 3; p++) {
        counters_merge(sum, parts[p]);
        counters_check(sum);
        counters_free(parts[p]);
    }
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++) {
        labels_text(c, f, &want);
        labels_text(sum, f, &got);
        cr_assert_str_eq(want.text, got.text);
    }
    cr_assert_eq(
        3, toplabels_top_n(counters_labels(sum, COUNTER_FAMILY_RCPT_DOMAIN)));
    (void)counters_visit_delays(c, record_delay, &dw);
    (void)counters_visit_delays(sum, record_delay, &dg);
    cr_assert_eq(dw.n, dg.n);
    cr_assert_eq(0, memcmp(dw.d, dg.d, dw.n * sizeof dw.d[0]));
    counters_free(sum);
}

Test(counters, configure_is_a_no_op_when_unchanged)
{
    const uint64_t before = xalloc_count();

    counters_configure_labels(c, COUNTERS_TOP_N_DEFAULT, false);
    cr_assert_eq(before, xalloc_count());
    counters_configure_labels(c, 5, true);
    cr_assert_eq(5, toplabels_top_n(counters_labels(c, COUNTER_FAMILY_RELAY)));
    cr_assert_eq(5, toplabels_pool(counters_labels(c, COUNTER_FAMILY_RELAY)));
    cr_assert_eq(
        2, toplabels_admit_after(counters_labels(c, COUNTER_FAMILY_RELAY)));
    counters_add_label(c, COUNTER_FAMILY_RELAY, SPAN_LIT("mx.example"),
                       CLASS_SUCCESS);
    counters_configure_labels(c, 5, true);
    counters_check(c);
}

static int
sum_counts(void *ctx, const struct counter_key *key, uint64_t count)
{
    (void)key;
    *(uint64_t *)ctx += count;
    return 0;
}

/* RC-79: enhanced codes come from the log; past the cap they fold. */
Test(counters, enhanced_codes_past_the_series_cap_fold_into_other)
{
    const unsigned n = COUNTERS_SERIES_CAP + 5000;
    struct counter_key key;

    for (unsigned i = 0; i < n; i++) {
        memset(&key, 0, sizeof(key));
        key.mta = 1;
        key.reply = (uint16_t)(500 + i / 8000);
        key.cls = 5;
        key.category = 1;
        key.enh_class = 5;
        key.enh_subject = (uint16_t)(i % 8);
        key.enh_detail = (uint16_t)(i / 8 % 1000);
        counters_add(c, &key, 2);
    }
    cr_assert_leq(counters_size(c), COUNTERS_SERIES_CAP + 1,
                  "%zu series for %u distinct keys", counters_size(c), n);
    cr_assert_eq(2u * 5000u, counters_totals(c)->lines_series_folded);
    uint64_t sum = 0;
    cr_assert_eq(0, counters_visit_sorted(c, sum_counts, &sum));
    cr_assert_eq(2u * n, sum, "no count lost by folding");
    /* A key seen before the cap keeps its own series. */
    memset(&key, 0, sizeof(key));
    key.mta = 1;
    key.reply = 500;
    key.cls = 5;
    key.category = 1;
    key.enh_class = 5;
    counters_add(c, &key, 1);
    cr_assert_eq(3, counters_get(c, &key));
}

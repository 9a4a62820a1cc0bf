/*
 * test_toplabels.c: the bounded label table: normalisation; batch pools
 * (first come, exact counts, top_n largest exported); live tables (sticky
 * labels, admission at the second sighting, heavy hitters through the
 * Space-Saving sketch); the cap with 10^5 distinct values; bounded work
 * when every key collides (RC-80); merges. toplabels_check() runs after
 * the operations.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taxonomy.h"
#include "toplabels.h"
#include "xalloc.h"

static struct toplabels *t;

static void
teardown(void)
{
    toplabels_free(t);
    t = NULL;
}

TestSuite(toplabels, .fini = teardown, .timeout = 60);

/* "v<i>.example" in buf. */
static struct span
value_of(unsigned i, char *buf, size_t cap)
{
    const int n = snprintf(buf, cap, "v%u.example", i);

    return span_make(buf, (size_t)n);
}

static void
add_n(struct toplabels *tl, const char *v, unsigned cls, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        toplabels_add(tl, span_make(v, strlen(v)), cls);
}

#define MAX_ROWS 64

struct rows {
    char values[MAX_ROWS][TOPLABELS_VALUE_MAX + 1];
    uint64_t totals[MAX_ROWS];
    uint64_t counts[MAX_ROWS][TOPLABELS_N_CLASSES];
    size_t n;
    uint64_t dropped[TOPLABELS_DROP_COUNT];
};

static int
record(void *ctx, const struct toplabels_row *row)
{
    struct rows *const r = ctx;

    cr_assert_lt(r->n, MAX_ROWS);
    cr_assert_eq(row->is_other, strcmp(row->value, TOPLABELS_OTHER) == 0);
    (void)snprintf(r->values[r->n], sizeof r->values[0], "%s", row->value);
    r->totals[r->n] = row->total;
    memcpy(r->counts[r->n], row->counts, sizeof row->counts);
    r->n++;
    return 0;
}

static void
visit(const struct toplabels *tl, struct rows *r)
{
    memset(r, 0, sizeof *r);
    cr_assert_eq(0, toplabels_visit(tl, record, r, r->dropped));
    cr_assert_gt(r->n, 0);
    cr_assert_str_eq(TOPLABELS_OTHER, r->values[r->n - 1]);
}

/* The total of the row named v, or UINT64_MAX when there is none. */
static uint64_t
total_of(const struct rows *r, const char *v)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->values[i], v) == 0)
            return r->totals[i];
    return UINT64_MAX;
}

static uint64_t
sum_rows(const struct rows *r)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < r->n; i++)
        sum += r->totals[i];
    return sum;
}

static void
assert_normal(const char *want, const char *in)
{
    char out[TOPLABELS_VALUE_MAX];
    size_t len = 0;

    cr_assert(toplabels_normalize(span_make(in, strlen(in)), out, &len), "%s",
              in);
    cr_assert_eq(strlen(want), len, "%s", in);
    cr_assert_eq(0, memcmp(want, out, len), "%s", in);
}

static void
assert_invalid(const char *in, size_t len)
{
    char out[TOPLABELS_VALUE_MAX];
    size_t n = 0;

    cr_assert(!toplabels_normalize(span_make(in, len), out, &n), "'%.*s'",
              (int)len, in);
}

Test(toplabels, normalize_lowercases_and_rejects_odd_values)
{
    char long_value[TOPLABELS_VALUE_MAX + 2];

    assert_normal("gmail.com", "GMail.COM");
    assert_normal("mx.example.net", "mx.example.net.");
    assert_normal("2a00:1450::1a", "2A00:1450::1A");
    assert_normal("host_1-a.example", "host_1-a.example");
    assert_invalid("", 0);
    assert_invalid(".", 1);
    assert_invalid("a b", 3);
    assert_invalid("a\"b", 3);
    assert_invalid("a\nb", 3);
    assert_invalid("a\0b", 3);
    assert_invalid("\xc3\xa9.example", 9);
    assert_invalid("[192.0.2.1]", 11);
    assert_invalid("private/dovecot-lmtp", 20);
    assert_invalid(TOPLABELS_OTHER, strlen(TOPLABELS_OTHER));
    memset(long_value, 'a', sizeof long_value);
    long_value[TOPLABELS_VALUE_MAX] = '.'; /* dropped: still fits */
    cr_assert(
        toplabels_normalize(span_make(long_value, TOPLABELS_VALUE_MAX + 1),
                            (char[TOPLABELS_VALUE_MAX]){0}, &(size_t){0}));
    assert_invalid(long_value, TOPLABELS_VALUE_MAX + 2);
}

Test(toplabels, batch_counts_exactly_and_exports_the_largest)
{
    struct rows r;

    t = toplabels_new(2, 8, 1);
    add_n(t, "a.example", CLASS_SUCCESS, 1);
    add_n(t, "b.example", CLASS_PERMANENT, 5);
    add_n(t, "c.example", CLASS_TRANSIENT, 3);
    add_n(t, "c.example", CLASS_PERMANENT, 1);
    add_n(t, "A.Example.", CLASS_SUCCESS, 1); /* same value as a.example */
    add_n(t, "bad value", CLASS_PERMANENT, 2);
    toplabels_check(t);
    visit(t, &r);
    cr_assert_eq(3, r.n);
    cr_assert_str_eq("b.example", r.values[0]);
    cr_assert_eq(5, r.counts[0][CLASS_PERMANENT]);
    cr_assert_str_eq("c.example", r.values[1]);
    cr_assert_eq(3, r.counts[1][CLASS_TRANSIENT]);
    cr_assert_eq(1, r.counts[1][CLASS_PERMANENT]);
    /* a.example (2 lines, beyond top 2) and the invalid value. */
    cr_assert_eq(2, r.counts[2][CLASS_SUCCESS]);
    cr_assert_eq(2, r.counts[2][CLASS_PERMANENT]);
    cr_assert_eq(2, r.dropped[TOPLABELS_DROP_UNLABELLED]);
    cr_assert_eq(2, r.dropped[TOPLABELS_DROP_INVALID]);
    cr_assert_eq(13, sum_rows(&r));
}

Test(toplabels, ties_are_ordered_by_value)
{
    struct rows r;

    t = toplabels_new(3, 3, 1);
    add_n(t, "z.example", CLASS_SUCCESS, 2);
    add_n(t, "m.example", CLASS_SUCCESS, 2);
    add_n(t, "a.example", CLASS_SUCCESS, 2);
    visit(t, &r);
    cr_assert_str_eq("a.example", r.values[0]);
    cr_assert_str_eq("m.example", r.values[1]);
    cr_assert_str_eq("z.example", r.values[2]);
}

Test(toplabels, top_zero_labels_nothing)
{
    struct rows r;

    t = toplabels_new(0, 0, 1);
    add_n(t, "a.example", CLASS_SUCCESS, 3);
    toplabels_check(t);
    visit(t, &r);
    cr_assert_eq(1, r.n);
    cr_assert_eq(3, r.totals[0]);
    cr_assert_eq(3, r.dropped[TOPLABELS_DROP_UNLABELLED]);
}

/* 10^5 distinct values: the pool and the export stay at their caps, and
 * no line allocates. */
static void
fill_distinct(unsigned top_n, unsigned pool, unsigned admit_after)
{
    const unsigned n = 100000;
    char buf[32];
    struct rows r;

    t = toplabels_new(top_n, pool, admit_after);
    const uint64_t allocs = xalloc_count();
    for (unsigned i = 0; i < n; i++) {
        toplabels_add(t, value_of(i, buf, sizeof buf), CLASS_PERMANENT);
        /* Every fifth value comes back: candidates for the live table. */
        if (i % 5 == 0)
            toplabels_add(t, value_of(i / 5, buf, sizeof buf), CLASS_SUCCESS);
        if (i % 20000 == 0)
            toplabels_check(t);
    }
    cr_assert_eq(allocs, xalloc_count(), "lines allocated");
    toplabels_check(t);
    cr_assert_leq(toplabels_n_labelled(t), pool);
    visit(t, &r);
    cr_assert_leq(r.n, top_n + 1);
    cr_assert_eq(n + n / 5, sum_rows(&r));
    cr_assert_eq(r.totals[r.n - 1], r.dropped[TOPLABELS_DROP_UNLABELLED] +
                                        r.dropped[TOPLABELS_DROP_INVALID]);
}

Test(toplabels, cap_holds_with_many_distinct_values_batch)
{
    fill_distinct(20, 1024, 1);
    cr_assert_eq(1024, toplabels_n_labelled(t));
}

Test(toplabels, cap_holds_with_many_distinct_values_live)
{
    fill_distinct(20, 20, 2);
    cr_assert_eq(20, toplabels_n_labelled(t));
}

Test(toplabels, live_labels_are_sticky_and_counters_never_go_down)
{
    struct rows before, after;
    char buf[32];

    t = toplabels_new(3, 3, 2);
    /* Seen once: no slot yet. */
    add_n(t, "a.example", CLASS_SUCCESS, 1);
    cr_assert_eq(0, toplabels_n_labelled(t));
    /* Second sighting: admitted, counted from that line on. */
    add_n(t, "a.example", CLASS_SUCCESS, 1);
    cr_assert_eq(1, toplabels_n_labelled(t));
    add_n(t, "b.example", CLASS_PERMANENT, 2);
    add_n(t, "c.example", CLASS_TRANSIENT, 2);
    toplabels_check(t);
    visit(t, &before);
    cr_assert_eq(1, total_of(&before, "a.example"));
    cr_assert_eq(3, total_of(&before, TOPLABELS_OTHER));
    /* Full: a far bigger newcomer stays under other, the labels stay. */
    for (unsigned round = 0; round < 50; round++) {
        add_n(t, "big.example", CLASS_PERMANENT, 100);
        add_n(t, "b.example", CLASS_PERMANENT, 1);
        toplabels_add(t, value_of(round, buf, sizeof buf), CLASS_SUCCESS);
        visit(t, &after);
        for (size_t i = 0; i < before.n; i++)
            cr_assert_geq(total_of(&after, before.values[i]), before.totals[i],
                          "%s went down or vanished", before.values[i]);
        cr_assert_eq(UINT64_MAX, total_of(&after, "big.example"));
        before = after;
    }
    toplabels_check(t);
    cr_assert_eq(3 + 50 * 101, total_of(&after, TOPLABELS_OTHER));
}

Test(toplabels, live_admits_recurring_values_not_one_offs)
{
    char buf[32];
    struct rows r;

    t = toplabels_new(5, 5, 2);
    /* 10 000 one-off values with a recurring one among them. */
    for (unsigned i = 0; i < 10000; i++) {
        toplabels_add(t, value_of(i, buf, sizeof buf), CLASS_SUCCESS);
        if (i % 10 == 0)
            add_n(t, "heavy.example", CLASS_SUCCESS, 1);
        if (i % 1000 == 0)
            toplabels_check(t);
    }
    toplabels_check(t);
    cr_assert_eq(1, toplabels_n_labelled(t));
    visit(t, &r);
    cr_assert_str_eq("heavy.example", r.values[0]);
    cr_assert_eq(999, r.totals[0]); /* the first sighting is under other */
    cr_assert_eq(10000 + 1, r.totals[1]);
}

Test(toplabels, live_finds_a_heavy_value_in_a_crowded_sketch)
{
    char buf[32];
    struct rows r;

    /* 20 candidates, worn down by 10^5 distinct values (every candidate's
     * count is high), then a value with a fifth of the lines: Space-Saving
     * keeps it long enough to see it twice, and it gets a slot. */
    t = toplabels_new(5, 5, 2);
    for (unsigned i = 0; i < 100000; i++)
        toplabels_add(t, value_of(i, buf, sizeof buf), CLASS_PERMANENT);
    toplabels_check(t);
    cr_assert_eq(0, toplabels_n_labelled(t));
    for (unsigned i = 0; i < 1000; i++) {
        if (i % 5 == 0)
            add_n(t, "heavy.example", CLASS_PERMANENT, 1);
        else
            toplabels_add(t, value_of(200000 + i, buf, sizeof buf),
                          CLASS_PERMANENT);
    }
    toplabels_check(t);
    visit(t, &r);
    cr_assert_eq(1, toplabels_n_labelled(t));
    cr_assert_str_eq("heavy.example", r.values[0]);
    cr_assert_eq(199, r.totals[0]);
}

/* A hash that makes every key collide. */
static uint64_t
hash_constant(const void *p, size_t len)
{
    (void)p;
    (void)len;
    return UINT64_C(42);
}

/* A hash with 8 values: long clusters, evictions and deletions in them. */
static uint64_t
hash_eight(const void *p, size_t len)
{
    uint64_t h = 0;

    for (size_t i = 0; i < len; i++)
        h = h * 31 + ((const unsigned char *)p)[i];
    return (h % 8) * 3;
}

static double
now_s(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds to add 10^5 distinct values (best of 3) with hash fn. */
static double
time_distinct(toplabels_hash_fn *fn, unsigned pool, unsigned admit_after)
{
    char buf[32];
    double best = 1e9;

    for (unsigned run = 0; run < 3; run++) {
        struct toplabels *const tl = toplabels_new(20, pool, admit_after);
        if (fn != NULL)
            toplabels_set_hash(tl, fn);
        const double start = now_s();
        for (unsigned i = 0; i < 100000; i++)
            toplabels_add(tl, value_of(i, buf, sizeof buf), CLASS_SUCCESS);
        const double took = now_s() - start;
        toplabels_check(tl);
        cr_assert_leq(toplabels_n_labelled(tl), pool);
        if (fn == hash_constant)
            cr_assert_leq(toplabels_n_labelled(tl), TOPLABELS_PROBE_MAX);
        toplabels_free(tl);
        if (took < best)
            best = took;
    }
    return best;
}

Test(toplabels, colliding_keys_cost_bounded_work)
{
    const double real_batch = time_distinct(NULL, 1024, 1);
    const double flood_batch = time_distinct(hash_constant, 1024, 1);
    const double real_live = time_distinct(NULL, 20, 2);
    const double flood_live = time_distinct(hash_constant, 20, 2);

    cr_log_info("10^5 keys: batch %.4f s, all colliding %.4f s; live %.4f s, "
                "all colliding %.4f s",
                real_batch, flood_batch, real_live, flood_live);
    /* GNU grep's hash-collision-perf threshold; 2 ms of slack for noise. */
    cr_assert_lt(flood_batch, 10 * real_batch + 0.002);
    cr_assert_lt(flood_live, 10 * real_live + 0.002);
}

Test(toplabels, clustered_hashes_keep_the_index_consistent)
{
    char buf[32];

    t = toplabels_new(10, 10, 3);
    toplabels_set_hash(t, hash_eight);
    for (unsigned i = 0; i < 20000; i++) {
        toplabels_add(t, value_of(i % 97, buf, sizeof buf), CLASS_SUCCESS);
        toplabels_add(t, value_of(1000 + i, buf, sizeof buf), CLASS_SUCCESS);
        if (i % 500 == 0)
            toplabels_check(t);
    }
    toplabels_check(t);
    cr_assert_gt(toplabels_n_labelled(t), 0);
}

Test(toplabels, merge_sums_per_value_and_keeps_the_largest_top_n)
{
    struct toplabels *const src = toplabels_new(4, 16, 1);
    struct rows r;

    t = toplabels_new(2, 16, 1);
    add_n(t, "a.example", CLASS_SUCCESS, 3);
    add_n(t, "b.example", CLASS_PERMANENT, 1);
    add_n(t, "bad value", CLASS_SUCCESS, 1);
    add_n(src, "b.example", CLASS_PERMANENT, 4);
    add_n(src, "c.example", CLASS_TRANSIENT, 2);
    add_n(src, "d.example", CLASS_TRANSIENT, 1);
    toplabels_merge(t, src);
    toplabels_check(t);
    toplabels_check(src);
    cr_assert_eq(4, toplabels_top_n(t));
    cr_assert_eq(4, toplabels_n_labelled(t));
    visit(t, &r);
    cr_assert_eq(5, r.n);
    cr_assert_str_eq("b.example", r.values[0]);
    cr_assert_eq(5, r.totals[0]);
    cr_assert_eq(3, total_of(&r, "a.example"));
    cr_assert_eq(1, total_of(&r, TOPLABELS_OTHER));
    cr_assert_eq(1, r.dropped[TOPLABELS_DROP_INVALID]);
    toplabels_free(src);
}

Test(toplabels, merge_beyond_top_n_folds_the_rest_at_export)
{
    struct toplabels *const src = toplabels_new(2, 16, 1);
    struct rows r;

    t = toplabels_new(2, 16, 1);
    add_n(t, "a.example", CLASS_SUCCESS, 3);
    add_n(t, "b.example", CLASS_SUCCESS, 2);
    add_n(src, "c.example", CLASS_SUCCESS, 4);
    add_n(src, "d.example", CLASS_SUCCESS, 1);
    toplabels_merge(t, src);
    toplabels_check(t);
    visit(t, &r);
    cr_assert_eq(3, r.n);
    cr_assert_str_eq("c.example", r.values[0]);
    cr_assert_str_eq("a.example", r.values[1]);
    cr_assert_eq(3, r.totals[2]);
    cr_assert_eq(3, r.dropped[TOPLABELS_DROP_UNLABELLED]);
    toplabels_free(src);
}

Test(toplabels, merge_of_parts_equals_the_whole_when_values_fit)
{
    struct toplabels *const whole = toplabels_new(5, 64, 1);
    struct toplabels *parts[3];
    struct rows rw, rm;
    char buf[32];

    for (unsigned p = 0; p < 3; p++)
        parts[p] = toplabels_new(5, 64, 1);
    for (unsigned i = 0; i < 3000; i++) {
        const struct span v = value_of((i * 7919u) % 50u, buf, sizeof buf);
        const unsigned cls = CLASS_SUCCESS + (i % 3) * 2;
        toplabels_add(whole, v, cls);
        toplabels_add(parts[i % 3], v, cls);
    }
    t = toplabels_new(20, 1024, 1);
    for (unsigned p = 0; p < 3; p++) {
        toplabels_merge(t, parts[p]);
        toplabels_free(parts[p]);
    }
    toplabels_check(t);
    visit(whole, &rw);
    visit(t, &rm);
    cr_assert_eq(rw.n, rm.n);
    for (size_t i = 0; i < rw.n; i++) {
        cr_assert_str_eq(rw.values[i], rm.values[i]);
        cr_assert_arr_eq(rw.counts[i], rm.counts[i], sizeof rw.counts[i]);
    }
    cr_assert_arr_eq(rw.dropped, rm.dropped, sizeof rw.dropped);
    toplabels_free(whole);
}

Test(toplabels, merge_from_empty_tables_takes_the_sizes_of_the_data)
{
    struct toplabels *const empty = toplabels_new(20, 1024, 1);
    struct toplabels *const src = toplabels_new(5, 1024, 1);

    t = toplabels_new(20, 1024, 1);
    add_n(src, "a.example", CLASS_SUCCESS, 1);
    toplabels_merge(t, empty);
    toplabels_merge(t, src);
    cr_assert_eq(5, toplabels_top_n(t));
    toplabels_merge(t, empty); /* empty: changes nothing */
    cr_assert_eq(5, toplabels_top_n(t));
    toplabels_free(empty);
    toplabels_free(src);
}

Test(toplabels, merging_many_tables_takes_bounded_memory)
{
    char buf[32];
    uint64_t lines = 0;
    struct rows r;

    /* The -j case: chunks of distinct values merged one after another. */
    t = toplabels_new(20, 1024, 1);
    for (unsigned chunk = 0; chunk < 50; chunk++) {
        struct toplabels *const part = toplabels_new(20, 1024, 1);
        /* One value in every chunk: it must win in the end. */
        add_n(part, "everywhere.example", CLASS_PERMANENT, 3);
        lines += 3;
        for (unsigned i = 0; i < 2000; i++) {
            toplabels_add(part, value_of(chunk * 2000 + i, buf, sizeof buf),
                          CLASS_SUCCESS);
            lines++;
        }
        toplabels_merge(t, part);
        toplabels_free(part);
        toplabels_check(t);
        cr_assert_leq(toplabels_n_labelled(t), 2 * 1024);
    }
    visit(t, &r);
    cr_assert_str_eq("everywhere.example", r.values[0]);
    cr_assert_eq(150, r.totals[0]);
    cr_assert_eq(lines, sum_rows(&r));
    cr_assert_eq(r.totals[r.n - 1], r.dropped[TOPLABELS_DROP_UNLABELLED]);
}

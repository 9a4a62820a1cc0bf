/*
 * snapshot.c: the JSON parsing is Jansson's; this module only checks the
 * shape export_json.c writes and maps names back to counter keys, label
 * rows and histograms. A file is added only when all of it is valid, so a
 * bad file never leaves half its counts behind. Parts that older snapshots
 * lack (label families, histograms) count as empty. The "process" object
 * is per-instance (reloads, rotations, timestamps of one process): merging
 * it means nothing, so it is ignored.
 */
#include "snapshot.h"

#include <jansson.h>
#include <string.h>

#include "export_json.h"
#include "smtpcode.h"
#include "taxonomy.h"
#include "toplabels.h"

/* A non-negative JSON integer into *out. */
static bool
get_count(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* An optional name: JSON null or "" gives 0, else lookup() must know it. */
static bool
get_name(const json_t *v, unsigned (*lookup)(struct span), unsigned *out)
{
    *out = 0;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    const char *const s = json_string_value(v);
    if (s[0] == '\0')
        return true;
    *out = lookup(span_make(s, strlen(s)));
    return *out != 0;
}

static unsigned
lookup_event(struct span s)
{
    return (unsigned)taxonomy_event_lookup(s);
}

static unsigned
lookup_class(struct span s)
{
    return (unsigned)taxonomy_class_lookup(s);
}

static unsigned
lookup_category(struct span s)
{
    return (unsigned)taxonomy_category_lookup(s);
}

/* One entry of "outcomes" → key and count. */
static bool
parse_outcome(const json_t *o, const struct ruleset *rs,
              struct counter_key *key, uint64_t *count, const char **what)
{
    unsigned v;

    memset(key, 0, sizeof(*key));
    *what = "an outcome is not an object";
    if (!json_is_object(o))
        return false;
    const json_t *const mta = json_object_get(o, "mta");
    *what = "an outcome has no known 'mta'";
    if (!json_is_string(mta))
        return false;
    const int m = rules_find_mta(rs, json_string_value(mta));
    if (m < 0)
        return false;
    key->mta = (uint16_t)m;
    *what = "an outcome has a bad 'event', 'class' or 'category'";
    if (!get_name(json_object_get(o, "event"), lookup_event, &v))
        return false;
    key->event = (uint8_t)v;
    if (!get_name(json_object_get(o, "class"), lookup_class, &v))
        return false;
    key->cls = (uint8_t)v;
    if (!get_name(json_object_get(o, "category"), lookup_category, &v))
        return false;
    key->category = (uint8_t)v;
    *what = "an outcome has a bad 'reply_code'";
    const json_t *const reply = json_object_get(o, "reply_code");
    if (reply != NULL && !json_is_null(reply)) {
        if (!json_is_integer(reply) || json_integer_value(reply) < 100 ||
            json_integer_value(reply) > 599)
            return false;
        key->reply = (uint16_t)json_integer_value(reply);
    }
    *what = "an outcome has a bad 'enhanced_code'";
    const json_t *const enh = json_object_get(o, "enhanced_code");
    if (json_is_string(enh) &&
        strcmp(json_string_value(enh), "__other__") == 0) {
        key->enh_class = COUNTER_ENH_OTHER;
    } else if (enh != NULL && !json_is_null(enh)) {
        struct smtp_enhanced e;
        if (!json_is_string(enh) ||
            !smtpcode_parse_enhanced(
                span_make(json_string_value(enh), json_string_length(enh)), &e))
            return false;
        key->enh_class = e.cls;
        key->enh_subject = e.subject;
        key->enh_detail = e.detail;
    }
    *what = "an outcome has no valid 'count'";
    return get_count(json_object_get(o, "count"), count);
}

/* One family's rows ({KEY: value, "class": c, "count": n}) into t. */
static bool
parse_label_rows(const json_t *rows, const char *key, struct toplabels *t,
                 const char **what)
{
    *what = "a label family is not an array of rows";
    if (rows == NULL)
        return true;
    if (!json_is_array(rows))
        return false;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *const row = json_array_get(rows, i);
        const json_t *const value = json_object_get(row, key);
        unsigned cls;
        uint64_t count;
        *what = "a label row has no valid value, 'class' or 'count'";
        if (!json_is_object(row) || !json_is_string(value) ||
            !get_name(json_object_get(row, "class"), lookup_class, &cls) ||
            !get_count(json_object_get(row, "count"), &count))
            return false;
        const struct span v =
            span_make(json_string_value(value), json_string_length(value));
        if (span_eq_str(v, TOPLABELS_OTHER)) {
            toplabels_add_other(t, cls, count);
            continue;
        }
        *what = "a label value is not a valid hostname";
        if (!toplabels_add_labelled(t, v, cls, count))
            return false;
    }
    return true;
}

static int
find_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (s != NULL && strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* "top_n", the label families and "label_values_dropped" into c. */
static bool
parse_labels(const json_t *root, struct counters *c, const char **what)
{
    const json_t *const top_n = json_object_get(root, "top_n");
    const json_t *const dropped = json_object_get(root, "label_values_dropped");
    const char *family_names[COUNTER_FAMILY_COUNT];

    *what = "'top_n' is not a count up to 1000000";
    if (top_n != NULL) {
        if (!json_is_integer(top_n) || json_integer_value(top_n) < 0 ||
            json_integer_value(top_n) > 1000000)
            return false;
        counters_configure_labels(c, (unsigned)json_integer_value(top_n),
                                  false);
    }
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++) {
        family_names[f] = export_json_families[f].name;
        if (!parse_label_rows(
                json_object_get(root, export_json_families[f].array),
                export_json_families[f].key, counters_labels_mut(c, f), what))
            return false;
    }
    *what = "'label_values_dropped' is not an array of valid rows";
    if (dropped == NULL)
        return true;
    if (!json_is_array(dropped))
        return false;
    for (size_t i = 0; i < json_array_size(dropped); i++) {
        const json_t *const row = json_array_get(dropped, i);
        const int f =
            find_index(family_names, COUNTER_FAMILY_COUNT,
                       json_string_value(json_object_get(row, "family")));
        const int d =
            find_index(export_json_drop_reasons, TOPLABELS_DROP_COUNT,
                       json_string_value(json_object_get(row, "reason")));
        uint64_t count;
        if (f < 0 || d < 0 || !get_count(json_object_get(row, "count"), &count))
            return false;
        toplabels_add_dropped(counters_labels_mut(c, (enum counter_family)f),
                              (enum toplabels_drop)d, count);
    }
    return true;
}

/* Seconds, as export_json.c writes them (exact decimals), to ms. */
static bool
get_ms(const json_t *v, uint64_t *ms)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0 ||
            (uint64_t)json_integer_value(v) > UINT64_MAX / 1000)
            return false;
        *ms = (uint64_t)json_integer_value(v) * 1000;
        return true;
    }
    if (!json_is_real(v))
        return false;
    const double s = json_real_value(v);
    /* Below 2^53 ms every whole millisecond is a double: exact. */
    if (!(s >= 0 && s < 9007199254740.0))
        return false;
    *ms = (uint64_t)(s * 1000.0 + 0.5);
    return true;
}

/* "delay_buckets_seconds" (must be ours) and "delivery_delays" into c. */
static bool
parse_delays(const json_t *root, const struct ruleset *rs, struct counters *c,
             const char **what)
{
    const json_t *const bounds = json_object_get(root, "delay_buckets_seconds");
    const json_t *const delays = json_object_get(root, "delivery_delays");

    if (delays == NULL)
        return true;
    *what = "'delay_buckets_seconds' differs from this version's buckets";
    if (!json_is_array(bounds) ||
        json_array_size(bounds) != COUNTERS_DELAY_N_BOUNDS)
        return false;
    for (size_t b = 0; b < COUNTERS_DELAY_N_BOUNDS; b++) {
        uint64_t ms;
        if (!get_ms(json_array_get(bounds, b), &ms) ||
            ms != counters_delay_bounds_ms[b])
            return false;
    }
    *what = "'delivery_delays' is not an array of valid histograms";
    if (!json_is_array(delays))
        return false;
    for (size_t i = 0; i < json_array_size(delays); i++) {
        const json_t *const o = json_array_get(delays, i);
        const json_t *const mta = json_object_get(o, "mta");
        const json_t *const buckets = json_object_get(o, "buckets");
        struct counter_delay d;
        unsigned event;
        uint64_t sum = 0;
        memset(&d, 0, sizeof d);
        if (!json_is_string(mta))
            return false;
        const int m = rules_find_mta(rs, json_string_value(mta));
        if (m < 0 ||
            !get_name(json_object_get(o, "event"), lookup_event, &event) ||
            !get_count(json_object_get(o, "count"), &d.count) ||
            !get_ms(json_object_get(o, "sum_seconds"), &d.sum_ms) ||
            !json_is_array(buckets) ||
            json_array_size(buckets) != COUNTERS_DELAY_N_BUCKETS)
            return false;
        for (size_t b = 0; b < COUNTERS_DELAY_N_BUCKETS; b++) {
            if (!get_count(json_array_get(buckets, b), &d.buckets[b]))
                return false;
            sum += d.buckets[b];
        }
        if (sum != d.count)
            return false;
        d.mta = (uint16_t)m;
        d.event = (uint8_t)event;
        counters_add_delay_histogram(c, &d);
    }
    return true;
}

int
snapshot_add_file(const char *path, const struct ruleset *rs,
                  struct counters *c, struct sc_err *err)
{
    json_error_t jerr;
    json_t *const root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    struct counters *const tmp = counters_new();
    const char *what = "not a smtpclass JSON snapshot";
    struct counter_totals t;
    int rc = -1;

    if (root == NULL) {
        sc_err_set(err, path, (unsigned)(jerr.line > 0 ? jerr.line : 0), "%s",
                   jerr.text);
        counters_free(tmp);
        return -1;
    }
    const json_t *const totals = json_object_get(root, "totals");
    const json_t *const outcomes = json_object_get(root, "outcomes");
    memset(&t, 0, sizeof(t));
    if (!json_is_object(totals) || !json_is_array(outcomes))
        goto out;
    what = "a total is missing or not a count";
    if (!get_count(json_object_get(totals, "lines_read"), &t.lines_read) ||
        !get_count(json_object_get(totals, "lines_with_outcome"),
                   &t.lines_with_outcome) ||
        !get_count(json_object_get(totals, "lines_without_outcome"),
                   &t.lines_without_outcome) ||
        !get_count(json_object_get(totals, "lines_unknown_category"),
                   &t.lines_unknown_category) ||
        !get_count(json_object_get(totals, "lines_overlong"),
                   &t.lines_overlong) ||
        !get_count(json_object_get(totals, "bytes_read"), &t.bytes_read))
        goto out;
    /* Older snapshots lack it: absent counts as 0. */
    const json_t *const limit = json_object_get(totals, "lines_regex_limit");
    if (limit != NULL && !get_count(limit, &t.lines_regex_limit))
        goto out;
    const json_t *const folded = json_object_get(totals, "lines_series_folded");
    if (folded != NULL && !get_count(folded, &t.lines_series_folded))
        goto out;
    for (size_t i = 0; i < json_array_size(outcomes); i++) {
        struct counter_key key;
        uint64_t count;
        if (!parse_outcome(json_array_get(outcomes, i), rs, &key, &count,
                           &what))
            goto out;
        counters_add(tmp, &key, count);
    }
    if (!parse_labels(root, tmp, &what) || !parse_delays(root, rs, tmp, &what))
        goto out;
    /* Folds made while adding these outcomes (past the series cap). */
    t.lines_series_folded += counters_totals(tmp)->lines_series_folded;
    *counters_totals(tmp) = t;
    counters_merge(c, tmp);
    rc = 0;
out:
    if (rc != 0)
        sc_err_set(err, path, 0, "%s", what);
    json_decref(root);
    counters_free(tmp);
    return rc;
}

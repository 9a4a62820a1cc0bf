/*
 * snapshot.c: the JSON parsing is Jansson's; this module only checks the
 * shape export_json.c writes and maps names back to counter keys. A file
 * is added only when all of it is valid, so a bad file never leaves half
 * its counts behind.
 */
#include "snapshot.h"

#include <jansson.h>
#include <string.h>

#include "smtpcode.h"
#include "taxonomy.h"

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
    if (enh != NULL && !json_is_null(enh)) {
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
    for (size_t i = 0; i < json_array_size(outcomes); i++) {
        struct counter_key key;
        uint64_t count;
        if (!parse_outcome(json_array_get(outcomes, i), rs, &key, &count,
                           &what))
            goto out;
        counters_add(tmp, &key, count);
    }
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

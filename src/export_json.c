/*
 * export_json.c: the counters as one JSON object (RFC 8259): version,
 * totals, a flat "outcomes" array with one object per series, one per
 * line, in counters_visit_sorted() order, then the label families, the
 * delay histograms and, in live mode, the process figures. Flat so that
 * files from several runs can be merged by summing "count" over identical
 * keys (snapshot.c reads it back). Absent values are null. Sees only the
 * counters iteration API and the names it is given.
 */
#include "export_json.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "counters.h"
#include "escape.h"
#include "numfmt.h"
#include "span.h"
#include "taxonomy.h"
#include "toplabels.h"

/* Room for any unsigned up to 2^64 in decimal, or "65535.65535.65535". */
#define NUM_BUF 24

/*
 * A key's values as text. Absent values (0 in the key) are NULL; values
 * without a name (out of range) are their number, so that two distinct keys
 * never print alike. The strings point into bufs or into static tables.
 */
struct key_text {
    const char *mta;
    const char *event;
    const char *cls;
    const char *category;
    const char *enhanced;
    char bufs[5][NUM_BUF];
};

static const char *
enum_text(const char *name, unsigned v, char *buf)
{
    if (v == 0)
        return NULL;
    if (name[0] != '\0')
        return name;
    (void)snprintf(buf, NUM_BUF, "%u", v);
    return buf;
}

static void
key_text_fill(struct key_text *kt, const struct counter_key *key,
              const struct export_names *names)
{
    if (names->mta != NULL && key->mta < names->n_mta &&
        names->mta[key->mta] != NULL) {
        kt->mta = names->mta[key->mta];
    } else {
        (void)snprintf(kt->bufs[0], NUM_BUF, "%u", (unsigned)key->mta);
        kt->mta = kt->bufs[0];
    }
    kt->event =
        enum_text(taxonomy_event_name(key->event), key->event, kt->bufs[1]);
    kt->cls = enum_text(taxonomy_class_name(key->cls), key->cls, kt->bufs[2]);
    kt->category = enum_text(taxonomy_category_name(key->category),
                             key->category, kt->bufs[3]);
    kt->enhanced = NULL;
    if (key->enh_class == COUNTER_ENH_OTHER) {
        kt->enhanced = "__other__";
    } else if (key->enh_class != 0) {
        (void)snprintf(kt->bufs[4], NUM_BUF, "%u.%u.%u",
                       (unsigned)key->enh_class, (unsigned)key->enh_subject,
                       (unsigned)key->enh_detail);
        kt->enhanced = kt->bufs[4];
    }
}

/* A JSON string, or null for NULL. s is a NUL-terminated name. */
static void
put_string_or_null(FILE *out, const char *s)
{
    if (s == NULL)
        (void)fputs("null", out);
    else
        (void)escape_json_write(out, span_make(s, strlen(s)));
}

struct visit_ctx {
    FILE *out;
    const struct export_names *names;
    bool is_first;
};

static int
put_outcome(void *ctx_, const struct counter_key *key, uint64_t count)
{
    struct visit_ctx *const ctx = ctx_;
    FILE *const out = ctx->out;
    struct key_text kt;

    key_text_fill(&kt, key, ctx->names);
    (void)fputs(ctx->is_first ? "\n    {\"mta\": " : ",\n    {\"mta\": ", out);
    ctx->is_first = false;
    put_string_or_null(out, kt.mta);
    (void)fputs(", \"event\": ", out);
    put_string_or_null(out, kt.event);
    (void)fputs(", \"class\": ", out);
    put_string_or_null(out, kt.cls);
    (void)fputs(", \"reply_code\": ", out);
    if (key->reply == 0)
        (void)fputs("null", out);
    else
        (void)fprintf(out, "%u", (unsigned)key->reply);
    (void)fputs(", \"enhanced_code\": ", out);
    put_string_or_null(out, kt.enhanced);
    (void)fputs(", \"category\": ", out);
    put_string_or_null(out, kt.category);
    (void)fprintf(out, ", \"count\": %" PRIu64 "}", count);
    return ferror(out) ? -1 : 0;
}

/* Flush so that a failed write shows now, with errno set. */
static int
finish(FILE *out)
{
    if (fflush(out) == EOF)
        return -1;
    if (ferror(out)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* ---- label families ---- */

struct label_ctx {
    FILE *out;
    const char *key; /* "domain" or "relay" */
    bool is_first;
};

static int
put_label_row(void *ctx_, const struct toplabels_row *row)
{
    struct label_ctx *const ctx = ctx_;

    for (unsigned cls = 0; cls < TOPLABELS_N_CLASSES; cls++) {
        char buf[NUM_BUF];
        if (!toplabels_row_shows_class(row, cls))
            continue;
        (void)fprintf(ctx->out, "%s    {\"%s\": ", ctx->is_first ? "\n" : ",\n",
                      ctx->key);
        ctx->is_first = false;
        put_string_or_null(ctx->out, row->value);
        (void)fputs(", \"class\": ", ctx->out);
        put_string_or_null(
            ctx->out,
            enum_text(taxonomy_class_name((enum sc_class)cls), cls, buf));
        (void)fprintf(ctx->out, ", \"count\": %" PRIu64 "}", row->counts[cls]);
    }
    return ferror(ctx->out) ? -1 : 0;
}

const struct export_json_family export_json_families[COUNTER_FAMILY_COUNT] = {
    [COUNTER_FAMILY_RCPT_DOMAIN] = {"recipient_domains", "domain",
                                    "recipient_domain"},
    [COUNTER_FAMILY_RELAY] = {"relays", "relay", "relay"},
};

const char *const export_json_drop_reasons[TOPLABELS_DROP_COUNT] = {
    [TOPLABELS_DROP_UNLABELLED] = "unlabelled",
    [TOPLABELS_DROP_INVALID] = "invalid",
};

static int
put_label_families(FILE *out, const struct counters *c)
{
    uint64_t dropped[COUNTER_FAMILY_COUNT][TOPLABELS_DROP_COUNT];

    (void)fprintf(
        out, ",\n  \"top_n\": %u",
        toplabels_top_n(counters_labels(c, COUNTER_FAMILY_RCPT_DOMAIN)));
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++) {
        struct label_ctx ctx = {out, export_json_families[f].key, true};
        (void)fprintf(out, ",\n  \"%s\": [", export_json_families[f].array);
        if (toplabels_visit(counters_labels(c, f), put_label_row, &ctx,
                            dropped[f]) != 0)
            return -1;
        (void)fputs("\n  ]", out);
    }
    (void)fputs(",\n  \"label_values_dropped\": [", out);
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++)
        for (unsigned d = 0; d < TOPLABELS_DROP_COUNT; d++)
            (void)fprintf(out,
                          "%s\n    {\"family\": \"%s\", \"reason\": \"%s\", "
                          "\"count\": %" PRIu64 "}",
                          f + d == 0 ? "" : ",", export_json_families[f].name,
                          export_json_drop_reasons[d], dropped[f][d]);
    (void)fputs("\n  ]", out);
    return ferror(out) ? -1 : 0;
}

/* ---- delay histograms ---- */

static int
put_delay(void *ctx_, const struct counter_delay *d)
{
    struct visit_ctx *const ctx = ctx_;
    FILE *const out = ctx->out;
    const struct counter_key key = {.mta = d->mta, .event = d->event};
    struct key_text kt;
    char num[NUMFMT_BUF];

    key_text_fill(&kt, &key, ctx->names);
    (void)fputs(ctx->is_first ? "\n    {\"mta\": " : ",\n    {\"mta\": ", out);
    ctx->is_first = false;
    put_string_or_null(out, kt.mta);
    (void)fputs(", \"event\": ", out);
    put_string_or_null(out, kt.event);
    (void)fprintf(out, ", \"count\": %" PRIu64 ", \"sum_seconds\": %s",
                  d->count, numfmt_ms_seconds(num, d->sum_ms));
    (void)fputs(", \"buckets\": [", out);
    for (size_t b = 0; b < COUNTERS_DELAY_N_BUCKETS; b++)
        (void)fprintf(out, "%s%" PRIu64, b == 0 ? "" : ", ", d->buckets[b]);
    (void)fputs("]}", out);
    return ferror(out) ? -1 : 0;
}

static int
put_delays(FILE *out, const struct counters *c,
           const struct export_names *names)
{
    struct visit_ctx ctx = {out, names, true};
    char num[NUMFMT_BUF];

    (void)fputs(",\n  \"delay_buckets_seconds\": [", out);
    for (size_t b = 0; b < COUNTERS_DELAY_N_BOUNDS; b++)
        (void)fprintf(out, "%s%s", b == 0 ? "" : ", ",
                      numfmt_ms_seconds(num, counters_delay_bounds_ms[b]));
    (void)fputs("],\n  \"delivery_delays\": [", out);
    if (counters_visit_delays(c, put_delay, &ctx) != 0)
        return -1;
    (void)fputs(ctx.is_first ? "]" : "\n  ]", out);
    return ferror(out) ? -1 : 0;
}

/* ---- process figures (live mode) ---- */

static void
put_json_double(FILE *out, double v)
{
    char num[NUMFMT_BUF];
    const char *const s = numfmt_double(num, v, true);

    (void)fputs(s != NULL ? s : "null", out);
}

static void
put_process(FILE *out, const struct counter_process *p)
{
    (void)fprintf(out,
                  ",\n  \"process\": {\n"
                  "    \"rules_reloads\": %" PRIu64 ",\n"
                  "    \"rules_reload_failures\": %" PRIu64 ",\n"
                  "    \"rules_last_reload_ok\": %s,\n"
                  "    \"file_rotations\": %" PRIu64 ",\n"
                  "    \"file_truncations\": %" PRIu64 ",\n"
                  "    \"input_open_errors\": %" PRIu64 ",\n"
                  "    \"textfile_write_errors\": %" PRIu64 ",\n"
                  "    \"last_line_timestamp\": ",
                  p->rules_reloads, p->rules_reload_failures,
                  p->rules_last_reload_ok ? "true" : "false", p->file_rotations,
                  p->file_truncations, p->input_open_errors,
                  p->textfile_write_errors);
    put_json_double(out, p->last_line_timestamp);
    (void)fputs(",\n    \"last_write_timestamp\": ", out);
    put_json_double(out, p->last_write_timestamp);
    (void)fputs("\n  }", out);
}

int
export_json_write(FILE *out, const struct counters *c,
                  const struct export_names *names)
{
    const struct counter_totals *const t = counters_totals_const(c);
    struct visit_ctx ctx = {out, names, true};

    assert(out != NULL && names != NULL);
    (void)fputs("{\n  \"version\": ", out);
    put_string_or_null(out, names->version);
    (void)fprintf(out,
                  ",\n  \"totals\": {\n"
                  "    \"lines_read\": %" PRIu64 ",\n"
                  "    \"lines_with_outcome\": %" PRIu64 ",\n"
                  "    \"lines_without_outcome\": %" PRIu64 ",\n"
                  "    \"lines_unknown_category\": %" PRIu64 ",\n"
                  "    \"lines_overlong\": %" PRIu64 ",\n"
                  "    \"lines_regex_limit\": %" PRIu64 ",\n"
                  "    \"lines_series_folded\": %" PRIu64 ",\n"
                  "    \"bytes_read\": %" PRIu64 "\n"
                  "  },\n  \"outcomes\": [",
                  t->lines_read, t->lines_with_outcome,
                  t->lines_without_outcome, t->lines_unknown_category,
                  t->lines_overlong, t->lines_regex_limit,
                  t->lines_series_folded, t->bytes_read);
    /* A visitor stops only on a write error, which finish() reports. */
    if (counters_visit_sorted(c, put_outcome, &ctx) != 0)
        return finish(out);
    (void)fputs(ctx.is_first ? "]" : "\n  ]", out);
    if (put_label_families(out, c) != 0 || put_delays(out, c, names) != 0)
        return finish(out);
    if (names->process != NULL)
        put_process(out, names->process);
    (void)fputs("\n}\n", out);
    return finish(out);
}

/*
 * export_prom.c: the counters in the Prometheus text exposition format
 * 0.0.4, as scraped or read by node_exporter's textfile collector. Each
 * family is written contiguously with one HELP and one TYPE line; absent
 * label values are empty strings; every label value goes through
 * escape_prom_label_write(), so hostile bytes cannot break the format.
 * Families whose series dashboards expect (per class, per category, the
 * label families' other rows) are written at 0 before any line (RC-72).
 */
#include "export_prom.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <xxhash.h>

#include "counters.h"
#include "escape.h"
#include "numfmt.h"
#include "span.h"
#include "taxonomy.h"
#include "toplabels.h"

/* Room for any unsigned up to 2^64 in decimal, or "65535.65535.65535". */
#define NUM_BUF 24

/*
 * A key's values as label values. Absent values (0 in the key) are "";
 * values without a name (out of range) are their number, so that two
 * distinct keys never get the same label set. The strings point into bufs
 * or into static tables.
 */
struct key_text {
    const char *mta;
    const char *event;
    const char *cls;
    const char *category;
    const char *reply;
    const char *enhanced;
    char bufs[6][NUM_BUF];
};

static const char *
enum_text(const char *name, unsigned v, char *buf)
{
    if (v == 0)
        return "";
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
    kt->reply = "";
    if (key->reply != 0) {
        (void)snprintf(kt->bufs[4], NUM_BUF, "%u", (unsigned)key->reply);
        kt->reply = kt->bufs[4];
    }
    kt->enhanced = "";
    if (key->enh_class == COUNTER_ENH_OTHER) {
        kt->enhanced = "__other__";
    } else if (key->enh_class != 0) {
        (void)snprintf(kt->bufs[5], NUM_BUF, "%u.%u.%u",
                       (unsigned)key->enh_class, (unsigned)key->enh_subject,
                       (unsigned)key->enh_detail);
        kt->enhanced = kt->bufs[5];
    }
}

/* HELP text is ours and holds no '\' or newline, so it needs no escaping. */
static void
put_family_header(FILE *out, const char *name, const char *type,
                  const char *help)
{
    assert(strchr(help, '\\') == NULL && strchr(help, '\n') == NULL);
    (void)fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes `name="value"`, preceded by a comma unless it is the first. */
static void
put_label(FILE *out, const char *name, const char *value, bool is_first)
{
    if (!is_first)
        (void)putc(',', out);
    (void)fputs(name, out);
    (void)fputs("=\"", out);
    escape_prom_label_write(out, span_make(value, strlen(value)));
    (void)putc('"', out);
}

struct visit_ctx {
    FILE *out;
    const struct export_names *names;
};

static int
put_outcome(void *ctx_, const struct counter_key *key, uint64_t count)
{
    const struct visit_ctx *const ctx = ctx_;
    FILE *const out = ctx->out;
    struct key_text kt;

    key_text_fill(&kt, key, ctx->names);
    (void)fputs("smtpclass_outcomes_total{", out);
    put_label(out, "mta", kt.mta, true);
    put_label(out, "event", kt.event, false);
    put_label(out, "class", kt.cls, false);
    put_label(out, "reply_code", kt.reply, false);
    put_label(out, "enhanced_code", kt.enhanced, false);
    put_label(out, "category", kt.category, false);
    (void)fprintf(out, "} %" PRIu64 "\n", count);
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

/* ---- per class and per category (pre-initialised) ---- */

/* Indexable by any uint8_t class or category, named or not. */
#define N_ENUM_SLOTS 256

struct class_sums {
    uint64_t by_class[N_ENUM_SLOTS];
    uint64_t by_category[N_ENUM_SLOTS];
};

static int
sum_outcome(void *ctx, const struct counter_key *key, uint64_t count)
{
    struct class_sums *const s = ctx;

    s->by_class[key->cls] += count;
    s->by_category[key->category] += count;
    return 0;
}

/*
 * One sample per value of a closed set: the named values always (at 0
 * before any line), others (none, out of range) when they have lines.
 */
static void
put_enum_family(FILE *out, const char *family, const char *label,
                const uint64_t sums[N_ENUM_SLOTS], unsigned n_named,
                const char *(*name_of)(unsigned))
{
    for (unsigned v = 0; v < N_ENUM_SLOTS; v++) {
        char buf[NUM_BUF];
        const bool is_named = v >= 1 && v < n_named;
        if (!is_named && sums[v] == 0)
            continue;
        (void)fputs(family, out);
        (void)putc('{', out);
        put_label(out, label, enum_text(name_of(v), v, buf), true);
        (void)fprintf(out, "} %" PRIu64 "\n", sums[v]);
    }
}

static const char *
class_name_of(unsigned v)
{
    return taxonomy_class_name((enum sc_class)v);
}

static const char *
category_name_of(unsigned v)
{
    return taxonomy_category_name((enum sc_category)v);
}

/* ---- label families ---- */

struct label_ctx {
    FILE *out;
    const char *family;
    const char *label;
};

static int
put_label_row(void *ctx_, const struct toplabels_row *row)
{
    const struct label_ctx *const ctx = ctx_;

    for (unsigned cls = 0; cls < TOPLABELS_N_CLASSES; cls++) {
        char buf[NUM_BUF];
        if (!toplabels_row_shows_class(row, cls))
            continue;
        (void)fputs(ctx->family, ctx->out);
        (void)putc('{', ctx->out);
        put_label(ctx->out, ctx->label, row->value, true);
        put_label(ctx->out, "class",
                  enum_text(taxonomy_class_name((enum sc_class)cls), cls, buf),
                  false);
        (void)fprintf(ctx->out, "} %" PRIu64 "\n", row->counts[cls]);
    }
    return ferror(ctx->out) ? -1 : 0;
}

static const struct {
    const char *family; /* the metric */
    const char *label;  /* its value's label */
    const char *name;   /* the family in label_values_dropped_total */
    const char *help;
} label_families[COUNTER_FAMILY_COUNT] = {
    [COUNTER_FAMILY_RCPT_DOMAIN] =
        {"smtpclass_recipient_domain_lines_total", "domain", "recipient_domain",
         "Lines with an outcome by recipient domain and class; the --top "
         "largest domains are labelled, the rest are __other__."},
    [COUNTER_FAMILY_RELAY] =
        {"smtpclass_relay_lines_total", "relay", "relay",
         "Lines with an outcome by relay host and class; the --top largest "
         "relays are labelled, the rest are __other__."},
};

static const char *const drop_reasons[TOPLABELS_DROP_COUNT] = {
    [TOPLABELS_DROP_UNLABELLED] = "unlabelled",
    [TOPLABELS_DROP_INVALID] = "invalid",
};

static int
put_label_families(FILE *out, const struct counters *c)
{
    uint64_t dropped[COUNTER_FAMILY_COUNT][TOPLABELS_DROP_COUNT];

    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++) {
        struct label_ctx ctx = {out, label_families[f].family,
                                label_families[f].label};
        put_family_header(out, label_families[f].family, "counter",
                          label_families[f].help);
        if (toplabels_visit(counters_labels(c, f), put_label_row, &ctx,
                            dropped[f]) != 0)
            return -1;
    }
    put_family_header(out, "smtpclass_label_values_dropped_total", "counter",
                      "Lines counted under __other__ by label family and "
                      "reason: unlabelled (the value has no label: --top "
                      "reached, or not seen often enough yet) or invalid "
                      "(not a hostname).");
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++) {
        for (unsigned d = 0; d < TOPLABELS_DROP_COUNT; d++) {
            (void)fputs("smtpclass_label_values_dropped_total{", out);
            put_label(out, "family", label_families[f].name, true);
            put_label(out, "reason", drop_reasons[d], false);
            (void)fprintf(out, "} %" PRIu64 "\n", dropped[f][d]);
        }
    }
    return ferror(out) ? -1 : 0;
}

/* ---- delay histograms ---- */

static void
put_delay_labels(FILE *out, const struct key_text *kt)
{
    put_label(out, "mta", kt->mta, true);
    put_label(out, "event", kt->event, false);
}

static int
put_delay(void *ctx_, const struct counter_delay *d)
{
    const struct visit_ctx *const ctx = ctx_;
    FILE *const out = ctx->out;
    const struct counter_key key = {.mta = d->mta, .event = d->event};
    struct key_text kt;
    char num[NUMFMT_BUF];
    uint64_t cumulative = 0;

    key_text_fill(&kt, &key, ctx->names);
    for (size_t b = 0; b < COUNTERS_DELAY_N_BUCKETS; b++) {
        cumulative += d->buckets[b];
        (void)fputs("smtpclass_delivery_delay_seconds_bucket{", out);
        put_delay_labels(out, &kt);
        put_label(out, "le",
                  b < COUNTERS_DELAY_N_BOUNDS
                      ? numfmt_ms_seconds(num, counters_delay_bounds_ms[b])
                      : "+Inf",
                  false);
        (void)fprintf(out, "} %" PRIu64 "\n", cumulative);
    }
    (void)fputs("smtpclass_delivery_delay_seconds_sum{", out);
    put_delay_labels(out, &kt);
    (void)fprintf(out, "} %s\n", numfmt_ms_seconds(num, d->sum_ms));
    (void)fputs("smtpclass_delivery_delay_seconds_count{", out);
    put_delay_labels(out, &kt);
    (void)fprintf(out, "} %" PRIu64 "\n", d->count);
    return ferror(out) ? -1 : 0;
}

static int
count_delay(void *ctx, const struct counter_delay *d)
{
    (void)d;
    (*(size_t *)ctx)++;
    return 0;
}

static int
put_delays(FILE *out, const struct counters *c,
           const struct export_names *names)
{
    struct visit_ctx ctx = {out, names};
    size_t n = 0;

    (void)counters_visit_delays(c, count_delay, &n);
    if (n == 0)
        return 0;
    put_family_header(out, "smtpclass_delivery_delay_seconds", "histogram",
                      "Delivery delay by MTA and event: Postfix and Sendmail "
                      "delay=, Exim QT= (else DT=).");
    return counters_visit_delays(c, put_delay, &ctx);
}

/* ---- process figures (live mode) ---- */

static void
put_process(FILE *out, const struct counter_process *p)
{
    const struct {
        const char *name;
        const char *help;
        uint64_t value;
    } counts[] = {
        {"smtpclass_rules_reloads_total", "Rule reloads attempted (SIGHUP).",
         p->rules_reloads},
        {"smtpclass_rules_reload_failures_total",
         "Rule reloads that failed (the old rules stay).",
         p->rules_reload_failures},
        {"smtpclass_file_rotations_total",
         "Followed files replaced under their name.", p->file_rotations},
        {"smtpclass_file_truncations_total",
         "Followed files truncated below the read offset.",
         p->file_truncations},
        {"smtpclass_input_open_errors_total",
         "Failures to open a followed file.", p->input_open_errors},
        {"smtpclass_textfile_write_errors_total",
         "Failed rewrites of the --stats-file.", p->textfile_write_errors},
    };
    const struct {
        const char *name;
        const char *help;
        double value;
    } gauges[] = {
        {"smtpclass_last_line_timestamp_seconds",
         "When the last line was read, in seconds since the epoch (0: none "
         "yet).",
         p->last_line_timestamp},
        {"smtpclass_last_write_timestamp_seconds",
         "When the counters were last written, in seconds since the epoch.",
         p->last_write_timestamp},
    };
    char num[NUMFMT_BUF];

    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        put_family_header(out, counts[i].name, "counter", counts[i].help);
        (void)fprintf(out, "%s %" PRIu64 "\n", counts[i].name, counts[i].value);
        if (i == 1) {
            put_family_header(out, "smtpclass_rules_last_reload_success",
                              "gauge",
                              "1 when the last rule reload succeeded (or "
                              "none was tried), else 0.");
            (void)fprintf(out, "smtpclass_rules_last_reload_success %d\n",
                          p->rules_last_reload_ok ? 1 : 0);
        }
    }
    for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
        put_family_header(out, gauges[i].name, "gauge", gauges[i].help);
        (void)fprintf(out, "%s %s\n", gauges[i].name,
                      numfmt_double(num, gauges[i].value, false));
    }
}

/* ---- build information ---- */

/* PCRE2's version as the library reports it, without the date. */
static const char *
pcre2_version(char *buf, size_t cap)
{
    PCRE2_UCHAR v[64];

    buf[0] = '\0';
    if (pcre2_config(PCRE2_CONFIG_VERSION, v) < 0)
        return buf;
    size_t n = 0;
    while (n + 1 < cap && v[n] != '\0' && v[n] != ' ') {
        buf[n] = (char)v[n];
        n++;
    }
    buf[n] = '\0';
    return buf;
}

static void
put_build_info(FILE *out, const struct export_names *names)
{
    char pcre2[32];
    char xxh[NUM_BUF];
    const unsigned xv = XXH_versionNumber();

    (void)snprintf(xxh, sizeof xxh, "%u.%u.%u", xv / 10000, xv / 100 % 100,
                   xv % 100);
    put_family_header(out, "smtpclass_build_info", "gauge",
                      "Build information; the value is always 1.");
    (void)fputs("smtpclass_build_info{", out);
    put_label(out, "version", names->version ? names->version : "", true);
    put_label(out, "pcre2", pcre2_version(pcre2, sizeof pcre2), false);
    put_label(out, "xxhash", xxh, false);
    (void)fputs("} 1\n", out);
}

int
export_prom_write(FILE *out, const struct counters *c,
                  const struct export_names *names)
{
    const struct counter_totals *const t = counters_totals_const(c);
    const struct {
        const char *name;
        const char *help;
        uint64_t value;
    } totals[] = {
        {"smtpclass_lines_read_total", "Lines read from all inputs.",
         t->lines_read},
        {"smtpclass_lines_with_outcome_total",
         "Lines classified with a delivery outcome.", t->lines_with_outcome},
        {"smtpclass_lines_without_outcome_total",
         "Lines without a reply code, enhanced code or delivery outcome.",
         t->lines_without_outcome},
        {"smtpclass_lines_unknown_category_total",
         "Lines with an outcome whose category could not be decided.",
         t->lines_unknown_category},
        {"smtpclass_lines_overlong_total",
         "Lines longer than the classification window.", t->lines_overlong},
        {"smtpclass_lines_regex_limit_total",
         "Lines on which a rule's regex hit a resource limit (tagged "
         "unknown).",
         t->lines_regex_limit},
        {"smtpclass_lines_series_folded_total",
         "Lines whose enhanced code was counted as __other__ because the "
         "outcome series reached their cap.",
         t->lines_series_folded},
        {"smtpclass_bytes_read_total", "Bytes read from all inputs.",
         t->bytes_read},
    };
    struct visit_ctx ctx = {out, names};
    struct class_sums sums;

    assert(out != NULL && names != NULL);
    memset(&sums, 0, sizeof sums);
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        put_family_header(out, totals[i].name, "counter", totals[i].help);
        (void)fprintf(out, "%s %" PRIu64 "\n", totals[i].name, totals[i].value);
    }
    (void)counters_visit_sorted(c, sum_outcome, &sums);
    put_family_header(out, "smtpclass_outcomes_by_class_total", "counter",
                      "Lines with an outcome by class.");
    put_enum_family(out, "smtpclass_outcomes_by_class_total", "class",
                    sums.by_class, CLASS_COUNT, class_name_of);
    put_family_header(out, "smtpclass_outcomes_by_category_total", "counter",
                      "Lines with an outcome by category.");
    put_enum_family(out, "smtpclass_outcomes_by_category_total", "category",
                    sums.by_category, CAT_COUNT, category_name_of);
    put_family_header(out, "smtpclass_outcomes_total", "counter",
                      "Lines with an outcome by MTA, event, class, reply "
                      "code, enhanced status code and category.");
    /* A visitor stops only on a write error, which finish() reports. */
    if (counters_visit_sorted(c, put_outcome, &ctx) != 0 ||
        put_label_families(out, c) != 0 || put_delays(out, c, names) != 0)
        return finish(out);
    if (names->process != NULL)
        put_process(out, names->process);
    put_build_info(out, names);
    return finish(out);
}

/*
 * export_text.c: the counters as aligned tables for people: the run totals,
 * a per-category summary, one row per series in counters_visit_sorted()
 * order, then the labelled recipient domains and relays and a summary of
 * the delivery delays (when there are any), and the process figures in
 * live mode. Absent values print as "-". Not meant for parsing: scripts
 * should use the JSON or Prometheus exporters, whose formats are stable.
 */
#include "export_text.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "numfmt.h"
#include "taxonomy.h"
#include "toplabels.h"

/* Room for any unsigned up to 2^64 in decimal, or "65535.65535.65535". */
#define NUM_BUF 24

/* Indexable by any uint8_t category, named or not. */
#define N_CATEGORY_SLOTS 256

/* Columns of the outcomes table after the count, in print order. */
enum text_col {
    COL_CLASS,
    COL_CATEGORY,
    COL_REPLY,
    COL_ENHANCED,
    COL_MTA,
    COL_EVENT,
    COL_COUNT
};

static const char *const col_titles[COL_COUNT] = {
    [COL_CLASS] = "class", [COL_CATEGORY] = "category",
    [COL_REPLY] = "reply", [COL_ENHANCED] = "enhanced",
    [COL_MTA] = "mta",     [COL_EVENT] = "event",
};

/*
 * A key's values as cells. Absent values (0 in the key) are "-"; values
 * without a name (out of range) are their number. The strings point into
 * bufs or into static tables.
 */
struct key_text {
    const char *cols[COL_COUNT];
    char bufs[COL_COUNT][NUM_BUF];
};

static const char *
enum_text(const char *name, unsigned v, char *buf)
{
    if (v == 0)
        return "-";
    if (name[0] != '\0')
        return name;
    (void)snprintf(buf, NUM_BUF, "%u", v);
    return buf;
}

static const char *
category_text(unsigned category, char *buf)
{
    return enum_text(taxonomy_category_name((enum sc_category)category),
                     category, buf);
}

static void
key_text_fill(struct key_text *kt, const struct counter_key *key,
              const struct export_names *names)
{
    if (names->mta != NULL && key->mta < names->n_mta &&
        names->mta[key->mta] != NULL) {
        kt->cols[COL_MTA] = names->mta[key->mta];
    } else {
        (void)snprintf(kt->bufs[COL_MTA], NUM_BUF, "%u", (unsigned)key->mta);
        kt->cols[COL_MTA] = kt->bufs[COL_MTA];
    }
    kt->cols[COL_EVENT] = enum_text(taxonomy_event_name(key->event), key->event,
                                    kt->bufs[COL_EVENT]);
    kt->cols[COL_CLASS] =
        enum_text(taxonomy_class_name(key->cls), key->cls, kt->bufs[COL_CLASS]);
    kt->cols[COL_CATEGORY] =
        category_text(key->category, kt->bufs[COL_CATEGORY]);
    kt->cols[COL_REPLY] = "-";
    if (key->reply != 0) {
        (void)snprintf(kt->bufs[COL_REPLY], NUM_BUF, "%u",
                       (unsigned)key->reply);
        kt->cols[COL_REPLY] = kt->bufs[COL_REPLY];
    }
    kt->cols[COL_ENHANCED] = "-";
    if (key->enh_class == COUNTER_ENH_OTHER) {
        kt->cols[COL_ENHANCED] = "other";
    } else if (key->enh_class != 0) {
        (void)snprintf(kt->bufs[COL_ENHANCED], NUM_BUF, "%u.%u.%u",
                       (unsigned)key->enh_class, (unsigned)key->enh_subject,
                       (unsigned)key->enh_detail);
        kt->cols[COL_ENHANCED] = kt->bufs[COL_ENHANCED];
    }
}

static int
n_digits(uint64_t v)
{
    int n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static int
max_int(int a, int b)
{
    return a > b ? a : b;
}

/* What the first pass learns: column widths and per-category sums. */
struct layout {
    const struct export_names *names;
    int count_width;
    int col_widths[COL_COUNT];
    uint64_t category_sums[N_CATEGORY_SLOTS];
};

static int
measure_outcome(void *ctx, const struct counter_key *key, uint64_t count)
{
    struct layout *const lay = ctx;
    struct key_text kt;

    key_text_fill(&kt, key, lay->names);
    for (size_t i = 0; i < COL_COUNT; i++)
        lay->col_widths[i] =
            max_int(lay->col_widths[i], (int)strlen(kt.cols[i]));
    lay->category_sums[key->category] += count;
    lay->count_width =
        max_int(lay->count_width, n_digits(lay->category_sums[key->category]));
    return 0;
}

/* Left-aligned cell followed by the column gap; the last one is not padded. */
static void
put_cell(FILE *out, const char *s, int width, bool is_last)
{
    (void)fputs(s, out);
    if (is_last) {
        (void)putc('\n', out);
        return;
    }
    for (int i = (int)strlen(s); i < width + 2; i++)
        (void)putc(' ', out);
}

static void
put_totals(FILE *out, const struct counter_totals *t)
{
    const struct {
        const char *label;
        uint64_t value;
    } rows[] = {
        {"lines read", t->lines_read},
        {"lines with outcome", t->lines_with_outcome},
        {"lines without outcome", t->lines_without_outcome},
        {"lines unknown category", t->lines_unknown_category},
        {"lines overlong", t->lines_overlong},
        {"lines regex limit", t->lines_regex_limit},
        {"lines series folded", t->lines_series_folded},
        {"bytes read", t->bytes_read},
    };
    const size_t n_rows = sizeof rows / sizeof rows[0];
    int label_width = 0;
    int value_width = 1;

    for (size_t i = 0; i < n_rows; i++) {
        label_width = max_int(label_width, (int)strlen(rows[i].label));
        value_width = max_int(value_width, n_digits(rows[i].value));
    }
    (void)fputs("totals\n", out);
    for (size_t i = 0; i < n_rows; i++) {
        (void)fputs("  ", out);
        put_cell(out, rows[i].label, label_width, false);
        (void)fprintf(out, "%*" PRIu64 "\n", value_width, rows[i].value);
    }
}

struct category_row {
    unsigned category;
    uint64_t count;
};

/* Most frequent first; ties in taxonomy order, so output is stable. */
static int
cmp_category_rows(const void *pa, const void *pb)
{
    const struct category_row *const a = pa;
    const struct category_row *const b = pb;

    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return (a->category > b->category) - (a->category < b->category);
}

static void
put_categories(FILE *out, const struct layout *lay, uint64_t n_with_outcome)
{
    struct category_row rows[N_CATEGORY_SLOTS];
    size_t n_rows = 0;

    for (unsigned i = 0; i < N_CATEGORY_SLOTS; i++)
        if (lay->category_sums[i] > 0)
            rows[n_rows++] = (struct category_row){i, lay->category_sums[i]};
    qsort(rows, n_rows, sizeof rows[0], cmp_category_rows);
    (void)fprintf(out, "\ncategories\n  %*s   share  category\n",
                  lay->count_width, "count");
    for (size_t i = 0; i < n_rows; i++) {
        char buf[NUM_BUF];

        (void)fprintf(out, "  %*" PRIu64 "  ", lay->count_width, rows[i].count);
        if (n_with_outcome > 0)
            (void)fprintf(out, "%5.1f%%  ",
                          100.0 * (double)rows[i].count /
                              (double)n_with_outcome);
        else
            (void)fputs("     -  ", out);
        put_cell(out, category_text(rows[i].category, buf), 0, true);
    }
}

struct row_ctx {
    FILE *out;
    const struct layout *lay;
};

static int
put_outcome(void *ctx_, const struct counter_key *key, uint64_t count)
{
    const struct row_ctx *const ctx = ctx_;
    struct key_text kt;

    key_text_fill(&kt, key, ctx->lay->names);
    (void)fprintf(ctx->out, "  %*" PRIu64 "  ", ctx->lay->count_width, count);
    for (size_t i = 0; i < COL_COUNT; i++)
        put_cell(ctx->out, kt.cols[i], ctx->lay->col_widths[i],
                 i + 1 == COL_COUNT);
    return ferror(ctx->out) ? -1 : 0;
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

/* The classes shown as columns; the count column has them all. */
static const unsigned label_cols[] = {CLASS_SUCCESS, CLASS_TRANSIENT,
                                      CLASS_PERMANENT};
#define N_LABEL_COLS (sizeof label_cols / sizeof label_cols[0])

struct label_layout {
    FILE *out;
    int count_width;
    int col_widths[N_LABEL_COLS];
    uint64_t total;
};

static int
measure_label_row(void *ctx, const struct toplabels_row *row)
{
    struct label_layout *const lay = ctx;

    lay->count_width = max_int(lay->count_width, n_digits(row->total));
    for (size_t i = 0; i < N_LABEL_COLS; i++)
        lay->col_widths[i] =
            max_int(lay->col_widths[i], n_digits(row->counts[label_cols[i]]));
    lay->total += row->total;
    return 0;
}

static int
put_label_row(void *ctx, const struct toplabels_row *row)
{
    const struct label_layout *const lay = ctx;

    (void)fprintf(lay->out, "  %*" PRIu64, lay->count_width, row->total);
    for (size_t i = 0; i < N_LABEL_COLS; i++)
        (void)fprintf(lay->out, "  %*" PRIu64, lay->col_widths[i],
                      row->counts[label_cols[i]]);
    (void)fprintf(lay->out, "  %s\n", row->value);
    return ferror(lay->out) ? -1 : 0;
}

/* A family's table, when it counted any line. */
static void
put_label_family(FILE *out, const struct toplabels *t, const char *title,
                 const char *value_title)
{
    struct label_layout lay = {.out = out, .count_width = (int)strlen("count")};

    for (size_t i = 0; i < N_LABEL_COLS; i++)
        lay.col_widths[i] =
            (int)strlen(taxonomy_class_name((enum sc_class)label_cols[i]));
    (void)toplabels_visit(t, measure_label_row, &lay, NULL);
    if (lay.total == 0)
        return;
    (void)fprintf(out, "\n%s (top %u)\n  %*s", title, toplabels_top_n(t),
                  lay.count_width, "count");
    for (size_t i = 0; i < N_LABEL_COLS; i++)
        (void)fprintf(out, "  %*s", lay.col_widths[i],
                      taxonomy_class_name((enum sc_class)label_cols[i]));
    (void)fprintf(out, "  %s\n", value_title);
    (void)toplabels_visit(t, put_label_row, &lay, NULL);
}

/* ---- delay summary ---- */

/* "<=B" for the bucket holding quantile q (0 < q <= 1) of d's delays. */
static const char *
delay_quantile(const struct counter_delay *d, unsigned percent, char *buf)
{
    const uint64_t rank = (d->count * percent + 99) / 100;
    uint64_t cumulative = 0;
    char num[NUMFMT_BUF];

    for (size_t b = 0; b < COUNTERS_DELAY_N_BOUNDS; b++) {
        cumulative += d->buckets[b];
        if (cumulative >= rank) {
            (void)snprintf(buf, NUMFMT_BUF, "<=%s",
                           numfmt_ms_seconds(num, counters_delay_bounds_ms[b]));
            return buf;
        }
    }
    (void)snprintf(
        buf, NUMFMT_BUF, ">%s",
        numfmt_ms_seconds(
            num, counters_delay_bounds_ms[COUNTERS_DELAY_N_BOUNDS - 1]));
    return buf;
}

enum delay_col {
    DCOL_COUNT,
    DCOL_MEAN,
    DCOL_P50,
    DCOL_P90,
    DCOL_MTA,
    DCOL_EVENT,
    N_DCOLS
};

static const char *const delay_titles[N_DCOLS] = {"count", "mean", "p50",
                                                  "p90",   "mta",  "event"};

struct delay_layout {
    FILE *out;
    const struct export_names *names;
    int widths[N_DCOLS];
    bool is_measuring;
};

static int
delay_row(void *ctx, const struct counter_delay *d)
{
    struct delay_layout *const lay = ctx;
    char cells[N_DCOLS][NUMFMT_BUF];
    const char *text[N_DCOLS];
    const struct counter_key key = {.mta = d->mta, .event = d->event};
    struct key_text kt;

    key_text_fill(&kt, &key, lay->names);
    (void)snprintf(cells[DCOL_COUNT], NUMFMT_BUF, "%" PRIu64, d->count);
    text[DCOL_COUNT] = cells[DCOL_COUNT];
    text[DCOL_MEAN] = numfmt_ms_seconds(
        cells[DCOL_MEAN], d->count > 0 ? d->sum_ms / d->count : 0);
    text[DCOL_P50] = delay_quantile(d, 50, cells[DCOL_P50]);
    text[DCOL_P90] = delay_quantile(d, 90, cells[DCOL_P90]);
    text[DCOL_MTA] = kt.cols[COL_MTA];
    text[DCOL_EVENT] = kt.cols[COL_EVENT];
    if (lay->is_measuring) {
        for (size_t i = 0; i < N_DCOLS; i++)
            lay->widths[i] = max_int(lay->widths[i], (int)strlen(text[i]));
        return 0;
    }
    (void)fprintf(lay->out, "  %*s  ", lay->widths[DCOL_COUNT],
                  text[DCOL_COUNT]);
    for (size_t i = DCOL_MEAN; i < N_DCOLS; i++)
        put_cell(lay->out, text[i], lay->widths[i], i + 1 == N_DCOLS);
    return ferror(lay->out) ? -1 : 0;
}

/* Stops the walk at the first histogram: there is one. */
static int
has_delay(void *ctx, const struct counter_delay *d)
{
    (void)ctx;
    (void)d;
    return 1;
}

static void
put_delays(FILE *out, const struct counters *c,
           const struct export_names *names)
{
    struct delay_layout lay = {
        .out = out, .names = names, .is_measuring = true};

    for (size_t i = 0; i < N_DCOLS; i++)
        lay.widths[i] = (int)strlen(delay_titles[i]);
    (void)counters_visit_delays(c, delay_row, &lay);
    lay.is_measuring = false;
    (void)fprintf(out,
                  "\ndelivery delays (seconds; p50, p90: bucket bounds)\n"
                  "  %*s  ",
                  lay.widths[DCOL_COUNT], "count");
    for (size_t i = DCOL_MEAN; i < N_DCOLS; i++)
        put_cell(out, delay_titles[i], lay.widths[i], i + 1 == N_DCOLS);
    (void)counters_visit_delays(c, delay_row, &lay);
}

static void
put_process(FILE *out, const struct counter_process *p)
{
    char a[NUMFMT_BUF], b[NUMFMT_BUF];

    (void)fprintf(
        out,
        "\nprocess\n"
        "  rules reloads          %" PRIu64 " (%" PRIu64 " failed, last %s)\n"
        "  file rotations         %" PRIu64 "\n"
        "  file truncations       %" PRIu64 "\n"
        "  input open errors      %" PRIu64 "\n"
        "  textfile write errors  %" PRIu64 "\n"
        "  last line at           %s\n"
        "  last write at          %s\n",
        p->rules_reloads, p->rules_reload_failures,
        p->rules_last_reload_ok ? "ok" : "failed", p->file_rotations,
        p->file_truncations, p->input_open_errors, p->textfile_write_errors,
        numfmt_double(a, p->last_line_timestamp, false),
        numfmt_double(b, p->last_write_timestamp, false));
}

int
export_text_write(FILE *out, const struct counters *c,
                  const struct export_names *names)
{
    const struct counter_totals *const t = counters_totals_const(c);
    struct layout lay = {.names = names, .count_width = (int)strlen("count")};
    struct row_ctx ctx = {out, &lay};

    assert(out != NULL && names != NULL);
    for (size_t i = 0; i < COL_COUNT; i++)
        lay.col_widths[i] = (int)strlen(col_titles[i]);
    (void)counters_visit_sorted(c, measure_outcome, &lay);

    put_totals(out, t);
    put_categories(out, &lay, t->lines_with_outcome);
    (void)fprintf(out, "\noutcomes\n  %*s  ", lay.count_width, "count");
    for (size_t i = 0; i < COL_COUNT; i++)
        put_cell(out, col_titles[i], lay.col_widths[i], i + 1 == COL_COUNT);
    /* A visitor stops only on a write error, which finish() reports. */
    if (counters_visit_sorted(c, put_outcome, &ctx) != 0)
        return finish(out);
    put_label_family(out, counters_labels(c, COUNTER_FAMILY_RCPT_DOMAIN),
                     "recipient domains", "domain");
    put_label_family(out, counters_labels(c, COUNTER_FAMILY_RELAY), "relays",
                     "relay");
    if (counters_visit_delays(c, has_delay, NULL) != 0)
        put_delays(out, c, names);
    if (names->process != NULL)
        put_process(out, names->process);
    return finish(out);
}

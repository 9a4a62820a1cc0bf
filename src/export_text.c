/*
 * export_text.c: the counters as aligned tables for people: the run totals,
 * a per-category summary, then one row per series in counters_visit_sorted()
 * order. Absent values print as "-". Not meant for parsing: scripts should
 * use the JSON or Prometheus exporters, whose formats are stable.
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
#include "taxonomy.h"

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
    if (key->enh_class != 0) {
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
    (void)counters_visit_sorted(c, put_outcome, &ctx);
    return finish(out);
}

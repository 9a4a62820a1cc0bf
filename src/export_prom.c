/*
 * export_prom.c: the counters in the Prometheus text exposition format
 * 0.0.4, as scraped or read by node_exporter's textfile collector. Each
 * family is written contiguously with one HELP and one TYPE line; absent
 * label values are empty strings; every label value goes through
 * escape_prom_label_write(), so hostile bytes cannot break the format.
 */
#include "export_prom.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "counters.h"
#include "escape.h"
#include "span.h"
#include "taxonomy.h"

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
    if (key->enh_class != 0) {
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
        {"smtpclass_bytes_read_total", "Bytes read from all inputs.",
         t->bytes_read},
    };
    struct visit_ctx ctx = {out, names};

    assert(out != NULL && names != NULL);
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        put_family_header(out, totals[i].name, "counter", totals[i].help);
        (void)fprintf(out, "%s %" PRIu64 "\n", totals[i].name, totals[i].value);
    }
    put_family_header(out, "smtpclass_outcomes_total", "counter",
                      "Lines with an outcome by MTA, event, class, reply "
                      "code, enhanced status code and category.");
    /* A visitor stops only on a write error, which finish() reports. */
    if (counters_visit_sorted(c, put_outcome, &ctx) != 0)
        return finish(out);
    put_family_header(out, "smtpclass_build_info", "gauge",
                      "Build information; the value is always 1.");
    (void)fputs("smtpclass_build_info{", out);
    put_label(out, "version", names->version ? names->version : "", true);
    (void)fputs("} 1\n", out);
    return finish(out);
}

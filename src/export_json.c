/*
 * export_json.c: the counters as one JSON object (RFC 8259): version,
 * totals, and a flat "outcomes" array with one object per series, one per
 * line, in counters_visit_sorted() order. Flat so that files from several
 * runs can be merged by summing "count" over identical keys. Absent values
 * are null. Sees only the counters iteration API and the names it is given.
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
#include "span.h"
#include "taxonomy.h"

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
    if (key->enh_class != 0) {
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
                  "    \"bytes_read\": %" PRIu64 "\n"
                  "  },\n  \"outcomes\": [",
                  t->lines_read, t->lines_with_outcome,
                  t->lines_without_outcome, t->lines_unknown_category,
                  t->lines_overlong, t->lines_regex_limit, t->bytes_read);
    /* A visitor stops only on a write error, which finish() reports. */
    if (counters_visit_sorted(c, put_outcome, &ctx) == 0)
        (void)fputs(ctx.is_first ? "]\n}\n" : "\n  ]\n}\n", out);
    return finish(out);
}

/*
 * jsonline.c: the object is written as the line streams by: "line" first
 * (so a long line needs no buffering), the outcome's keys after it.
 */
#include "jsonline.h"

#include <string.h>

#include "escape.h"
#include "explain.h"

static void
key(FILE *out, const char *k)
{
    (void)fputs(",\"", out);
    (void)fputs(k, out);
    (void)fputs("\":", out);
}

static void
str_or_null(FILE *out, const char *k, const char *v)
{
    key(out, k);
    if (v == NULL || v[0] == '\0') {
        (void)fputs("null", out);
        return;
    }
    (void)escape_json_write(out, span_make(v, strlen(v)));
}

static void
span_or_null(FILE *out, const char *k, struct span v)
{
    key(out, k);
    if (v.p == NULL || v.len == 0)
        (void)fputs("null", out);
    else
        (void)escape_json_write(out, v);
}

static void
write_outcome(FILE *out, const struct outcome *o, const struct ruleset *rs,
              enum rules_lang lang)
{
    const bool has = o != NULL && o->has_outcome;
    char buf[16];

    str_or_null(out, "mta",
                o != NULL && (has || o->mta != rs->generic_mta)
                    ? rs->mtas[o->mta].name
                    : NULL);
    span_or_null(out, "program",
                 o != NULL ? o->ll.program : span_make(NULL, 0));
    str_or_null(out, "event", has ? taxonomy_event_name(o->event) : NULL);
    key(out, "reply_code");
    if (has && o->reply != 0)
        (void)fwrite(buf, 1, smtpcode_format_reply(o->reply, buf), out);
    else
        (void)fputs("null", out);
    key(out, "enhanced_code");
    if (has && o->enh.cls != 0) {
        const size_t n = smtpcode_format_enhanced(&o->enh, buf);
        (void)fputc('"', out);
        (void)fwrite(buf, 1, n, out);
        (void)fputc('"', out);
    } else {
        (void)fputs("null", out);
    }
    str_or_null(out, "class", has ? taxonomy_class_name(o->cls) : NULL);
    str_or_null(out, "category",
                has ? taxonomy_category_name(o->category) : NULL);
    key(out, "explanation");
    const char *parts[EXPLAIN_MAX_PARTS];
    const size_t n =
        has ? explain_parts(rs, lang, o->category, o->reply, &o->enh, parts)
            : 0;
    if (n == 0) {
        (void)fputs("null", out);
    } else {
        (void)fputc('"', out);
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                (void)fputc(' ', out);
            escape_json_chars(out, span_make(parts[i], strlen(parts[i])));
        }
        (void)fputc('"', out);
    }
    str_or_null(out, "reply_kind",
                has && o->reply ? taxonomy_reply_kind_name(o->reply) : NULL);
    str_or_null(out, "enhanced_subject",
                has && o->enh.cls
                    ? taxonomy_enhanced_subject_name(o->enh.subject)
                    : NULL);
    key(out, "hard_bounce");
    (void)fputs(has && taxonomy_is_hard_bounce(o->cls, o->category) ? "true"
                                                                    : "false",
                out);
    const struct span none = span_make(NULL, 0);
    span_or_null(out, "queue_id", has ? o->queue_id : none);
    span_or_null(out, "sender_domain", has ? o->sender_domain : none);
    span_or_null(out, "rcpt_domain", has ? o->rcpt_domain : none);
    span_or_null(out, "relay", has ? o->relay : none);
    span_or_null(out, "client", has ? o->client : none);
}

void
jsonline_write_piece(FILE *out, const struct line_piece *pc,
                     const struct outcome *o, const struct ruleset *rs,
                     enum rules_lang lang, bool *is_lossy)
{
    if (pc->is_first) {
        *is_lossy = false;
        (void)fputs("{\"line\":\"", out);
    }
    if (escape_json_chars(out, pc->text))
        *is_lossy = true;
    if (!pc->is_last)
        return;
    (void)fputc('"', out);
    if (*is_lossy && pc->is_first) {
        (void)fputs(",\"line_base64\":\"", out);
        escape_base64_write(out, pc->text);
        (void)fputc('"', out);
    }
    write_outcome(out, o, rs, lang);
    (void)fputs("}\n", out);
}

/*
 * tag.c: writes spans with fwrite, never printf of log data. Tag values
 * that come from the input (queue id, domains, relay) go through the logfmt
 * escaper; our own names are safe by construction.
 */
#include "tag.h"

#include <string.h>

#include "escape.h"
#include "explain.h"

static void
put_str(FILE *out, const char *s)
{
    (void)fputs(s, out);
}

static void
put_span_tag(FILE *out, const char *key, struct span v)
{
    if (v.p == NULL || v.len == 0)
        return;
    (void)fputc(' ', out);
    put_str(out, key);
    (void)fputc('=', out);
    escape_logfmt_write(out, v);
}

void
tag_write_tags(FILE *out, const struct outcome *o, const struct ruleset *rs,
               enum rules_lang lang)
{
    char buf[16];
    const char *parts[EXPLAIN_MAX_PARTS];

    put_str(out, "class=");
    put_str(out, o->cls != CLASS_NONE ? taxonomy_class_name(o->cls) : "none");
    if (o->reply != 0) {
        put_str(out, " reply=");
        (void)fwrite(buf, 1, smtpcode_format_reply(o->reply, buf), out);
    }
    if (o->enh.cls != 0) {
        const size_t n = smtpcode_format_enhanced(&o->enh, buf);
        put_str(out, " enhanced=");
        (void)fwrite(buf, 1, n, out);
    }
    if (o->category != CAT_NONE) {
        put_str(out, " category=");
        put_str(out, taxonomy_category_name(o->category));
    }
    put_str(out, " mta=");
    put_str(out, rs->mtas[o->mta].name);
    if (o->event != EVENT_NONE) {
        put_str(out, " event=");
        put_str(out, taxonomy_event_name(o->event));
    }
    put_span_tag(out, "queue_id", o->queue_id);
    put_span_tag(out, "sender_domain", o->sender_domain);
    put_span_tag(out, "rcpt_domain", o->rcpt_domain);
    put_span_tag(out, "relay", o->relay);
    put_span_tag(out, "client", o->client);
    const size_t n =
        explain_parts(rs, lang, o->category, o->reply, &o->enh, parts);
    if (n > 0) {
        put_str(out, " explain=\"");
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                (void)fputc(' ', out);
            /* Our own sentences: only '"' and '\' need care. */
            escape_logfmt_chars(out, span_make(parts[i], strlen(parts[i])));
        }
        (void)fputc('"', out);
    }
}

void
tag_write_piece(FILE *out, const struct line_piece *pc, const struct outcome *o,
                const struct ruleset *rs, enum rules_lang lang)
{
    struct span text = pc->text;
    const bool want_tags = pc->is_last && o != NULL && o->has_outcome;
    bool has_cr = false;

    if (want_tags && text.len > 0 && text.p[text.len - 1] == '\r') {
        has_cr = true;
        text.len--;
    }
    if (text.len > 0)
        (void)fwrite(text.p, 1, text.len, out);
    if (want_tags) {
        (void)fputc('\t', out);
        tag_write_tags(out, o, rs, lang);
        if (has_cr)
            (void)fputc('\r', out);
    }
    if (pc->has_newline)
        (void)fputc('\n', out);
}

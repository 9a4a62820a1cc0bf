/*
 * tag.c: writes spans with fwrite, never printf of log data. Tag values
 * that come from the input (queue id, domains, relay) go through the logfmt
 * escaper; our own names are safe by construction. A tagged line is built
 * in an outbuf and reaches stdio in one fwrite, not one call per tag.
 */
#include "tag.h"

#include <string.h>

#include "escape.h"
#include "explain.h"

static void
put_span_tag(struct outbuf *b, const char *key, struct span v)
{
    if (v.p == NULL || v.len == 0)
        return;
    outbuf_putc(b, ' ');
    outbuf_puts(b, key);
    outbuf_putc(b, '=');
    escape_logfmt_append(b, v);
}

static void
append_tags(struct outbuf *b, const struct outcome *o, const struct ruleset *rs,
            enum rules_lang lang)
{
    char buf[16];
    const char *parts[EXPLAIN_MAX_PARTS];

    outbuf_puts(b, "class=");
    outbuf_puts(b, o->cls != CLASS_NONE ? taxonomy_class_name(o->cls) : "none");
    if (o->reply != 0) {
        outbuf_puts(b, " reply=");
        outbuf_put(b, buf, smtpcode_format_reply(o->reply, buf));
    }
    if (o->enh.cls != 0) {
        const size_t n = smtpcode_format_enhanced(&o->enh, buf);
        outbuf_puts(b, " enhanced=");
        outbuf_put(b, buf, n);
    }
    if (o->category != CAT_NONE) {
        outbuf_puts(b, " category=");
        outbuf_puts(b, taxonomy_category_name(o->category));
    }
    outbuf_puts(b, " mta=");
    outbuf_puts(b, rs->mtas[o->mta].name);
    if (o->event != EVENT_NONE) {
        outbuf_puts(b, " event=");
        outbuf_puts(b, taxonomy_event_name(o->event));
    }
    put_span_tag(b, "queue_id", o->queue_id);
    put_span_tag(b, "sender_domain", o->sender_domain);
    put_span_tag(b, "rcpt_domain", o->rcpt_domain);
    put_span_tag(b, "relay", o->relay);
    put_span_tag(b, "client", o->client);
    const size_t n =
        explain_parts(rs, lang, o->category, o->reply, &o->enh, parts);
    if (n > 0) {
        outbuf_puts(b, " explain=\"");
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                outbuf_putc(b, ' ');
            /* Our own sentences: only '"' and '\' need care. */
            escape_logfmt_append_chars(b,
                                       span_make(parts[i], strlen(parts[i])));
        }
        outbuf_putc(b, '"');
    }
}

void
tag_write_piece(FILE *out, const struct line_piece *pc, const struct outcome *o,
                const struct ruleset *rs, enum rules_lang lang)
{
    struct span text = pc->text;
    const bool want_tags = pc->is_last && o != NULL && o->has_outcome;
    bool has_cr = false;
    struct outbuf b;

    if (want_tags && text.len > 0 && text.p[text.len - 1] == '\r') {
        has_cr = true;
        text.len--;
    }
    /* The text is copied too (a line longer than the buffer is written
     * directly): one fwrite per line costs less than one per piece. */
    outbuf_init(&b, out);
    outbuf_put(&b, text.p, text.len);
    if (want_tags) {
        outbuf_putc(&b, '\t');
        append_tags(&b, o, rs, lang);
        if (has_cr)
            outbuf_putc(&b, '\r');
    }
    if (pc->has_newline)
        outbuf_putc(&b, '\n');
    outbuf_flush(&b);
}

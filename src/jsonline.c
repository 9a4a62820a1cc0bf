/*
 * jsonline.c: the object is written as the line streams by: "line" first
 * (so a long line needs no buffering beyond outbuf's), the outcome's
 * keys after it. Each piece is built in an outbuf and reaches stdio in
 * one fwrite (more only for a piece longer than the buffer).
 */
#include "jsonline.h"

#include <string.h>

#include "escape.h"
#include "explain.h"

/*
 * Append a literal: its length is known at compile time, so this is a
 * short copy with no strlen. Most of an object is literals (the keys, and
 * on the many lines without an outcome mostly null).
 */
#define JSONLINE_PUT_LIT(b, lit) outbuf_put((b), (lit), sizeof(lit) - 1)

/* Append ,"k": for the literal key k. */
#define JSONLINE_PUT_KEY(b, k) JSONLINE_PUT_LIT((b), ",\"" k "\":")

static void
str_or_null(struct outbuf *b, const char *v)
{
    if (v == NULL || v[0] == '\0')
        JSONLINE_PUT_LIT(b, "null");
    else
        (void)escape_json_append(b, span_make(v, strlen(v)));
}

static void
span_or_null(struct outbuf *b, struct span v)
{
    if (v.p == NULL || v.len == 0)
        JSONLINE_PUT_LIT(b, "null");
    else
        (void)escape_json_append(b, v);
}

static void
append_outcome(struct outbuf *b, const struct outcome *o,
               const struct ruleset *rs, enum rules_lang lang)
{
    const bool has = o != NULL && o->has_outcome;
    char buf[16];

    JSONLINE_PUT_KEY(b, "mta");
    str_or_null(b, o != NULL && (has || o->mta != rs->generic_mta)
                       ? rs->mtas[o->mta].name
                       : NULL);
    JSONLINE_PUT_KEY(b, "program");
    span_or_null(b, o != NULL ? o->ll.program : span_make(NULL, 0));
    JSONLINE_PUT_KEY(b, "event");
    str_or_null(b, has ? taxonomy_event_name(o->event) : NULL);
    JSONLINE_PUT_KEY(b, "reply_code");
    if (has && o->reply != 0)
        outbuf_put(b, buf, smtpcode_format_reply(o->reply, buf));
    else
        JSONLINE_PUT_LIT(b, "null");
    JSONLINE_PUT_KEY(b, "enhanced_code");
    if (has && o->enh.cls != 0) {
        const size_t n = smtpcode_format_enhanced(&o->enh, buf);
        outbuf_putc(b, '"');
        outbuf_put(b, buf, n);
        outbuf_putc(b, '"');
    } else {
        JSONLINE_PUT_LIT(b, "null");
    }
    JSONLINE_PUT_KEY(b, "class");
    str_or_null(b, has ? taxonomy_class_name(o->cls) : NULL);
    JSONLINE_PUT_KEY(b, "category");
    str_or_null(b, has ? taxonomy_category_name(o->category) : NULL);
    JSONLINE_PUT_KEY(b, "explanation");
    const char *parts[EXPLAIN_MAX_PARTS];
    const size_t n =
        has ? explain_parts(rs, lang, o->category, o->reply, &o->enh, parts)
            : 0;
    if (n == 0) {
        JSONLINE_PUT_LIT(b, "null");
    } else {
        outbuf_putc(b, '"');
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                outbuf_putc(b, ' ');
            (void)escape_json_append_chars(
                b, span_make(parts[i], strlen(parts[i])));
        }
        outbuf_putc(b, '"');
    }
    JSONLINE_PUT_KEY(b, "reply_kind");
    str_or_null(b, has && o->reply ? taxonomy_reply_kind_name(o->reply) : NULL);
    JSONLINE_PUT_KEY(b, "enhanced_subject");
    str_or_null(b, has && o->enh.cls
                       ? taxonomy_enhanced_subject_name(o->enh.subject)
                       : NULL);
    JSONLINE_PUT_KEY(b, "hard_bounce");
    outbuf_puts(b, has && taxonomy_is_hard_bounce(o->cls, o->category)
                       ? "true"
                       : "false");
    const struct span none = span_make(NULL, 0);
    JSONLINE_PUT_KEY(b, "queue_id");
    span_or_null(b, has ? o->queue_id : none);
    JSONLINE_PUT_KEY(b, "sender_domain");
    span_or_null(b, has ? o->sender_domain : none);
    JSONLINE_PUT_KEY(b, "rcpt_domain");
    span_or_null(b, has ? o->rcpt_domain : none);
    JSONLINE_PUT_KEY(b, "relay");
    span_or_null(b, has ? o->relay : none);
    JSONLINE_PUT_KEY(b, "client");
    span_or_null(b, has ? o->client : none);
}

void
jsonline_write_piece(FILE *out, const struct line_piece *pc,
                     const struct outcome *o, const struct ruleset *rs,
                     enum rules_lang lang, bool *is_lossy)
{
    struct outbuf b;

    outbuf_init(&b, out);
    if (pc->is_first) {
        *is_lossy = false;
        JSONLINE_PUT_LIT(&b, "{\"line\":\"");
    }
    if (escape_json_append_chars(&b, pc->text))
        *is_lossy = true;
    if (pc->is_last) {
        outbuf_putc(&b, '"');
        if (*is_lossy && pc->is_first) {
            JSONLINE_PUT_LIT(&b, ",\"line_base64\":\"");
            escape_base64_append(&b, pc->text);
            outbuf_putc(&b, '"');
        }
        append_outcome(&b, o, rs, lang);
        JSONLINE_PUT_LIT(&b, "}\n");
    }
    outbuf_flush(&b);
}

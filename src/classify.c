/*
 * classify.c: combines the stages: prefix (logline), event rules (match),
 * codes (smtpcode), then the category: reason rules on the diagnostic text
 * first, the enhanced code's table entry next, the reply code's last, and
 * `unknown` when a code is present but nothing decided. Lines with an
 * outcome also get their relay host and delay (fields).
 */
#include "classify.h"

#include <string.h>

#include "fields.h"

static struct span
domain_of(struct span addr)
{
    if (addr.p == NULL)
        return addr;
    for (size_t i = addr.len; i > 0; i--)
        if (addr.p[i - 1] == '@')
            return span_make(addr.p + i, addr.len - i);
    return span_make(NULL, 0);
}

enum sc_category
classify_category_from_codes(const struct ruleset *rs, uint16_t reply,
                             const struct smtp_enhanced *e)
{
    bool is_wildcard;

    /* Success is success whatever the detail: 250 2.1.5, 235 2.7.0. */
    if (reply / 100 == 2 || (reply == 0 && e->cls == 2))
        return CAT_DELIVERED;
    if (e->cls != 0) {
        const struct explanation *const ex =
            rules_find_enhanced(rs, e, &is_wildcard);
        if (ex != NULL && ex->category != CAT_NONE)
            return ex->category;
    }
    if (reply >= 100 && reply < 600 && rs->reply[reply].category != CAT_NONE)
        return rs->reply[reply].category;
    return CAT_NONE;
}

static enum sc_event
event_of(const struct event_rule *r, const struct match_result *res,
         enum sc_class cls)
{
    switch (r->event_mode) {
    case EVMODE_LITERAL:
        return r->event;
    case EVMODE_STATUS: {
        const struct span st = res->group[GRP_STATUS];
        char low[24];
        if (st.p == NULL || st.len >= sizeof(low))
            return EVENT_NONE;
        for (size_t i = 0; r->map_from != NULL && r->map_from[i] != NULL; i++)
            if (span_eq_str(st, r->map_from[i]))
                return r->map_to[i];
        for (size_t i = 0; i < st.len; i++) {
            const char c = st.p[i];
            low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32)
                     : c == '-'             ? '_'
                                            : c;
        }
        return taxonomy_event_lookup(span_make(low, st.len));
    }
    case EVMODE_BY_CLASS:
        return cls == CLASS_SUCCESS     ? EVENT_SENT
               : cls == CLASS_TRANSIENT ? EVENT_DEFERRED
               : cls == CLASS_PERMANENT ? EVENT_BOUNCED
                                        : EVENT_NONE;
    }
    return EVENT_NONE;
}

static enum sc_class
class_of_event(enum sc_event e)
{
    switch (e) {
    case EVENT_SENT:
    case EVENT_RECEIVED:
        return CLASS_SUCCESS;
    case EVENT_DEFERRED:
        return CLASS_TRANSIENT;
    case EVENT_BOUNCED:
    case EVENT_EXPIRED:
    case EVENT_REJECTED:
    case EVENT_AUTH_FAILED:
        return CLASS_PERMANENT;
    default:
        return CLASS_NONE;
    }
}

/* Codes of the line: explicit groups first, then the extractor. */
static void
find_codes(const struct match_result *res, struct span msg, struct outcome *out)
{
    struct smtp_codes sc;
    const struct span reply = res->group[GRP_REPLY];
    const struct span enh = res->group[GRP_ENHANCED];

    if (reply.p != NULL)
        (void)smtpcode_parse_reply(reply, &out->reply);
    if (enh.p != NULL)
        (void)smtpcode_parse_enhanced(enh, &out->enh);
    if (out->reply == 0 && out->enh.cls == 0) {
        /* Where the codes are: `codes`, else `reason`, else the message. */
        const struct span text =
            res->group[GRP_CODES].p != NULL    ? res->group[GRP_CODES]
            : res->group[GRP_REASON].p != NULL ? res->group[GRP_REASON]
                                               : msg;
        if (smtpcode_scan(text, &sc)) {
            out->reply = sc.reply;
            out->enh = sc.enh;
        }
        /*
         * "5.3.0 - Other mail system problem 550-'Unknown user'": a wrapper
         * may give the enhanced code before the quoted reply.
         */
        if (out->reply != 0 && out->enh.cls == 0 &&
            res->group[GRP_CODES].p != NULL &&
            smtpcode_scan(
                span_make(msg.p, (size_t)(res->group[GRP_CODES].p - msg.p)),
                &sc) &&
            sc.reply == 0)
            out->enh = sc.enh;
    }
    if (out->enh.cls == 0 && res->group[GRP_DSN].p != NULL)
        (void)smtpcode_parse_enhanced(res->group[GRP_DSN], &out->enh);
}

/* Reset *out and parse the line's prefix within the window. */
static void
begin_outcome(struct span line, size_t window, struct outcome *out)
{
    memset(out, 0, sizeof(*out));
    out->event_rule = -1;
    out->reason_rule = -1;
    if (line.len > window)
        line.len = window;
    if (line.len > 0 && line.p[line.len - 1] == '\r')
        line.len--;
    logline_parse(line, &out->ll);
}

static void
classify_core(struct matcher *m, struct span line, size_t window,
              struct outcome *out)
{
    const struct ruleset *const rs = m->rs;
    struct match_result res;

    begin_outcome(line, window, out);
    matcher_run(m, &out->ll, &res);
    out->mta = res.mta;
    out->event_rule = res.rule_idx;
    if (res.rule_idx < 0)
        return;
    const struct event_rule *const r = &rs->events[res.rule_idx];

    find_codes(&res, out->ll.msg, out);
    enum sc_class cls = CLASS_NONE;
    if (out->reply != 0)
        cls = taxonomy_class_of_reply(out->reply);
    else if (out->enh.cls != 0)
        cls = taxonomy_class_of_enhanced(out->enh.cls);
    enum sc_event event = event_of(r, &res, cls);
    if (cls == CLASS_NONE)
        cls = r->implied_class != CLASS_NONE ? r->implied_class
                                             : class_of_event(event);
    if (r->event_mode == EVMODE_BY_CLASS)
        event = event_of(r, &res, cls);
    if (cls == CLASS_NONE && event == EVENT_NONE)
        return; /* recognised, but nothing to report (e.g. no code found) */

    out->has_outcome = true;
    out->event = event;
    out->cls = cls;
    out->queue_id = res.group[GRP_QUEUE_ID];
    out->sender_domain = domain_of(res.group[GRP_SENDER]);
    out->rcpt_domain = domain_of(res.group[GRP_RCPT]);
    out->relay = res.group[GRP_RELAY];
    out->relay_host = fields_relay_host(out->relay);
    out->has_delay = fields_delay_ms(out->ll.msg, &out->delay_ms);
    out->client = res.group[GRP_CLIENT];
    /*
     * The text that decides the category: `reason`, else the whole message
     * (text around a quoted reply, "unknown recipient -> 550", often says
     * why).
     */
    out->reason =
        res.group[GRP_REASON].p != NULL ? res.group[GRP_REASON] : out->ll.msg;

    /* Success is `delivered` whatever the text says. */
    if (cls == CLASS_SUCCESS) {
        out->category = CAT_DELIVERED;
        return;
    }
    out->reason_rule = matcher_reason(m, out->reason, cls, event);
    if (out->reason_rule >= 0)
        out->category = rs->reasons[out->reason_rule].category;
    else
        out->category = classify_category_from_codes(rs, out->reply, &out->enh);
    /*
     * A notification record names no reason and no code: the reason was
     * counted on the delivery line it reports, so it gets no category
     * rather than inflating `unknown`.
     */
    if (out->category == CAT_NONE && event == EVENT_NOTIFIED &&
        out->reply == 0 && out->enh.cls == 0)
        return;
    if (out->category == CAT_NONE)
        out->category = cls == CLASS_SUCCESS ? CAT_DELIVERED : CAT_UNKNOWN;
}

void
classify_line(struct matcher *m, struct span line, size_t window,
              struct outcome *out)
{
    classify_core(m, line, window, out);
    /*
     * A rule that ran out of its regex budget could not say whether it
     * applies, so nothing decided after it can be trusted: the line is
     * reported, with the codes found, as an outcome of unknown category.
     */
    if (m->limit_rule != NULL) {
        out->limit_rule = m->limit_rule;
        out->has_outcome = true;
        out->category = CAT_UNKNOWN;
    }
}

void
classify_line_without_outcome(struct matcher *m, struct span line,
                              size_t window, struct outcome *out)
{
    begin_outcome(line, window, out);
    out->mta = matcher_mta(m, &out->ll);
}

void
classify_counter_key(const struct outcome *o, struct counter_key *key)
{
    memset(key, 0, sizeof(*key));
    key->mta = o->mta;
    key->reply = o->reply;
    key->enh_class = o->enh.cls;
    key->enh_subject = o->enh.subject;
    key->enh_detail = o->enh.detail;
    key->event = (uint8_t)o->event;
    key->cls = (uint8_t)o->cls;
    key->category = (uint8_t)o->category;
}

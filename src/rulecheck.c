/*
 * rulecheck.c: an event rule's example must be recognised by that very
 * rule and give what its `expect` line says; a reason rule's example must
 * end in the rule's category through the whole ordered list (so ordering
 * mistakes show); near misses must not match the rule.
 */
#include "rulecheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "match.h"

struct checker {
    const struct ruleset *rs;
    struct matcher m;
    rules_report_fn *report;
    void *ctx;
    size_t n_failures;
};

static void SC_PRINTF(4, 5) fail(struct checker *c, const char *file,
                                 unsigned line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->n_failures++;
    c->report(c->ctx, file, line, msg);
}

/* The value of one expect key as the outcome has it, into buf. */
static void
actual_value(const struct checker *c, const struct outcome *o, const char *key,
             char *buf, size_t cap)
{
    struct span v = span_make(NULL, 0);

    buf[0] = '\0';
    if (strcmp(key, "event") == 0)
        (void)snprintf(buf, cap, "%s", taxonomy_event_name(o->event));
    else if (strcmp(key, "class") == 0)
        (void)snprintf(buf, cap, "%s", taxonomy_class_name(o->cls));
    else if (strcmp(key, "category") == 0)
        (void)snprintf(buf, cap, "%s", taxonomy_category_name(o->category));
    else if (strcmp(key, "mta") == 0)
        (void)snprintf(buf, cap, "%s", c->rs->mtas[o->mta].name);
    else if (strcmp(key, "reply") == 0) {
        if (o->reply != 0)
            (void)snprintf(buf, cap, "%u", (unsigned)o->reply);
    } else if (strcmp(key, "enhanced") == 0) {
        if (o->enh.cls != 0)
            buf[smtpcode_format_enhanced(&o->enh, buf)] = '\0';
    } else if (strcmp(key, "queue_id") == 0)
        v = o->queue_id;
    else if (strcmp(key, "rcpt_domain") == 0)
        v = o->rcpt_domain;
    else if (strcmp(key, "sender_domain") == 0)
        v = o->sender_domain;
    else if (strcmp(key, "relay") == 0)
        v = o->relay;
    else if (strcmp(key, "client") == 0)
        v = o->client;
    else
        (void)snprintf(buf, cap, "?unknown key?");
    if (v.p != NULL)
        (void)snprintf(buf, cap, "%.*s", (int)v.len, v.p);
}

static void
check_expect(struct checker *c, const struct event_rule *r,
             const struct rule_example *ex, const struct outcome *o)
{
    char want[256], have[256];
    const char *p = ex->expect;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *const w = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
        if (p == w)
            break;
        const char *const eq = memchr(w, '=', (size_t)(p - w));
        if (eq == NULL) {
            fail(c, r->origin.file, ex->expect_line,
                 "event '%s': expect item '%.*s' is not key=value", r->name,
                 (int)(p - w), w);
            continue;
        }
        char key[32];
        (void)snprintf(key, sizeof(key), "%.*s", (int)(eq - w), w);
        (void)snprintf(want, sizeof(want), "%.*s", (int)(p - eq - 1), eq + 1);
        if (strcmp(want, "-") == 0)
            want[0] = '\0';
        actual_value(c, o, key, have, sizeof(have));
        if (strcmp(want, have) != 0)
            fail(c, r->origin.file, ex->expect_line,
                 "event '%s': example gives %s='%s', expected '%s'", r->name,
                 key, have, want);
    }
}

static void
check_event_rule(struct checker *c, size_t idx)
{
    const struct event_rule *const r = &c->rs->events[idx];
    struct outcome o;

    for (size_t i = 0; i < r->examples.n; i++) {
        const struct rule_example *const ex = &r->examples.v[i];
        classify_line(&c->m, span_make(ex->text, ex->len), ex->len + 1, &o);
        const bool is_this = o.event_rule == (int)idx;
        if (ex->must_match && !is_this) {
            fail(c, r->origin.file, ex->line,
                 "event '%s': example not recognised by this rule (%s)",
                 r->name,
                 o.event_rule >= 0 ? c->rs->events[o.event_rule].name
                                   : "no rule matched");
            continue;
        }
        if (!ex->must_match && is_this) {
            fail(c, r->origin.file, ex->line,
                 "event '%s': near miss is recognised by this rule", r->name);
            continue;
        }
        if (ex->must_match && !o.has_outcome)
            fail(c, r->origin.file, ex->line,
                 "event '%s': example recognised but gives no outcome",
                 r->name);
        else if (ex->must_match && ex->expect != NULL)
            check_expect(c, r, ex, &o);
    }
}

static unsigned
first_bit(uint32_t mask)
{
    for (unsigned b = 1; b < 32; b++)
        if (mask & (1u << b))
            return b;
    return 0;
}

static void
check_reason_rule(struct checker *c, size_t idx)
{
    const struct reason_rule *const r = &c->rs->reasons[idx];
    const enum sc_class cls = r->class_mask
                                  ? (enum sc_class)first_bit(r->class_mask)
                                  : CLASS_PERMANENT;
    const enum sc_event ev =
        r->event_mask ? (enum sc_event)first_bit(r->event_mask) : EVENT_NONE;

    for (size_t i = 0; i < r->examples.n; i++) {
        const struct rule_example *const ex = &r->examples.v[i];
        const struct span text = span_make(ex->text, ex->len);
        if (!ex->must_match) {
            if (r->re != NULL && matcher_exec(&c->m, r->re, text))
                fail(c, r->origin.file, ex->line,
                     "reason '%s': near miss matches", r->name);
            continue;
        }
        if (r->re != NULL && !matcher_exec(&c->m, r->re, text)) {
            fail(c, r->origin.file, ex->line,
                 "reason '%s': example does not match", r->name);
            continue;
        }
        const int got = matcher_reason(&c->m, text, cls, ev);
        if (got >= 0 && c->rs->reasons[got].category != r->category)
            fail(c, r->origin.file, ex->line,
                 "reason '%s': example ends in '%s' through earlier rule "
                 "'%s' (%s:%u)",
                 r->name, taxonomy_category_name(c->rs->reasons[got].category),
                 c->rs->reasons[got].name, c->rs->reasons[got].origin.file,
                 c->rs->reasons[got].origin.line);
    }
}

size_t
rulecheck_run(const struct ruleset *rs, rules_report_fn *report, void *ctx)
{
    struct checker c;

    memset(&c, 0, sizeof(c));
    c.rs = rs;
    c.report = report;
    c.ctx = ctx;
    matcher_init(&c.m, rs);
    for (size_t i = 0; i < rs->n_events; i++)
        check_event_rule(&c, i);
    for (size_t i = 0; i < rs->n_reasons; i++)
        check_reason_rule(&c, i);
    /* TAXONOMY.md: every category is explained (both languages: rules.c). */
    for (int k = 1; k < CAT_COUNT; k++)
        if (rs->category[k].text[LANG_EN] == NULL)
            fail(&c, "(rules)", 0, "category '%s' has no explanation",
                 taxonomy_category_name((enum sc_category)k));
    matcher_fini(&c.m);
    return c.n_failures;
}

/*
 * rules.c: the rule-file parser and compiler. Two passes: text → stanzas
 * (syntax only), then stanzas → ruleset (meaning, regex compilation). Every
 * problem is reported with file:line and loading goes on, so one run shows
 * them all. Examples are stored here but checked by rulecheck.c, which
 * needs the whole classifier.
 */
#include "rules.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

/* A rule file larger than this is refused: rules are small, hand-written. */
#define RULES_FILE_MAX (4u << 20)

static const char *const group_names[GRP_COUNT] = {
    [GRP_QUEUE_ID] = "queue_id", [GRP_SENDER] = "sender",
    [GRP_RCPT] = "rcpt",         [GRP_RELAY] = "relay",
    [GRP_CLIENT] = "client",     [GRP_REPLY] = "reply",
    [GRP_ENHANCED] = "enhanced", [GRP_REASON] = "reason",
    [GRP_STATUS] = "status",     [GRP_DSN] = "dsn",
    [GRP_CODES] = "codes",
};

const char *
rules_group_name(enum rule_group g)
{
    return g < GRP_COUNT ? group_names[g] : "";
}

/* ---- pass 1: syntax ---------------------------------------------------- */

struct field {
    char *key;
    char *value;
    size_t value_len;
    unsigned line;
};

struct stanza {
    char *kind;
    char *name;
    unsigned line;
    const char *file;
    unsigned layer;
    size_t order; /* position across all sources */
    struct field *fields;
    size_t n_fields;
    size_t cap_fields;
};

struct loader {
    struct stanza *st;
    size_t n_st;
    size_t cap_st;
    rules_report_fn *report;
    void *report_ctx;
    unsigned n_problems;
    unsigned flags; /* RULES_LOAD_* */
    struct ruleset *rs;
};

static void SC_PRINTF(4, 0) vreport(struct loader *ld, const char *file,
                                    unsigned line, const char *fmt, va_list ap)
{
    char msg[512];

    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    if (ld->report != NULL)
        ld->report(ld->report_ctx, file, line, msg);
}

/* A problem: the rules do not load. */
static void SC_PRINTF(4, 5) problem(struct loader *ld, const char *file,
                                    unsigned line, const char *fmt, ...)
{
    va_list ap;

    ld->n_problems++;
    va_start(ap, fmt);
    vreport(ld, file, line, fmt, ap);
    va_end(ap);
}

/* Reported like a problem, but the rules still load. */
static void SC_PRINTF(4, 5) warning(struct loader *ld, const char *file,
                                    unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(ld, file, line, fmt, ap);
    va_end(ap);
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void
add_field(struct stanza *st, const char *key, size_t key_len, const char *value,
          size_t value_len, unsigned line)
{
    if (st->n_fields == st->cap_fields) {
        st->cap_fields = st->cap_fields ? st->cap_fields * 2 : 8;
        st->fields = xrealloc(st->fields, st->cap_fields * sizeof(*st->fields));
    }
    struct field *const f = &st->fields[st->n_fields++];
    f->key = xmemdup0(key, key_len);
    f->value = xmemdup0(value, value_len);
    f->value_len = value_len;
    f->line = line;
}

static void
parse_source(struct loader *ld, const struct rules_source *src,
             const char *file)
{
    const char *p = src->data;
    const char *const end = src->data + src->len;
    unsigned line_no = 0;
    struct stanza *cur = NULL;

    /* A UTF-8 byte order mark is not part of the first line. */
    if (src->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *const next = nl ? nl + 1 : end;
        line_no++;
        if (eol > p && eol[-1] == '\r')
            eol--;
        if (eol > p && memchr(p, 0, (size_t)(eol - p)) != NULL) {
            problem(ld, file, line_no, "NUL byte in rule file");
            p = next;
            continue;
        }
        const char *s = p;
        while (s < eol && is_blank(*s))
            s++;
        const char *e = eol;
        while (e > s && is_blank(e[-1]))
            e--;
        if (s == e || *s == '#') {
            p = next;
            continue;
        }
        const char *const key = s;
        while (s < e && !is_blank(*s))
            s++;
        const size_t key_len = (size_t)(s - key);
        while (s < e && is_blank(*s))
            s++;
        if (s == p + (key - p) + key_len && key != p) {
            /* indented key with no value: handled below */
        }
        if (key == p) {
            /* Column 0: a new stanza "KIND NAME". */
            if (s == e) {
                problem(ld, file, line_no, "stanza '%.*s' has no name",
                        (int)key_len, key);
                cur = NULL;
                p = next;
                continue;
            }
            if (ld->n_st == ld->cap_st) {
                ld->cap_st = ld->cap_st ? ld->cap_st * 2 : 64;
                ld->st = xrealloc(ld->st, ld->cap_st * sizeof(*ld->st));
            }
            cur = &ld->st[ld->n_st];
            memset(cur, 0, sizeof(*cur));
            cur->kind = xmemdup0(key, key_len);
            cur->name = xmemdup0(s, (size_t)(e - s));
            cur->line = line_no;
            cur->file = file;
            cur->layer = src->layer;
            cur->order = ld->n_st;
            ld->n_st++;
        } else if (cur == NULL) {
            problem(ld, file, line_no, "field '%.*s' outside of a stanza",
                    (int)key_len, key);
        } else if (s == e) {
            problem(ld, file, line_no, "field '%.*s' has no value",
                    (int)key_len, key);
        } else {
            add_field(cur, key, key_len, s, (size_t)(e - s), line_no);
        }
        p = next;
    }
}

static void
stanza_fini(struct stanza *st)
{
    for (size_t i = 0; i < st->n_fields; i++) {
        free(st->fields[i].key);
        free(st->fields[i].value);
    }
    free(st->fields);
    free(st->kind);
    free(st->name);
}

/* ---- pass 2: meaning ---------------------------------------------------- */

static pcre2_code *
compile_regex(struct loader *ld, const struct stanza *st, const struct field *f)
{
    int errcode;
    PCRE2_SIZE erroff;
    if ((ld->flags & RULES_LOAD_NO_REGEX) != 0)
        return NULL;
    /* Byte mode: log lines are bytes, not text (RELIABILITY RC-39). */
    const uint32_t opts = PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C;
    pcre2_code *const re = pcre2_compile((PCRE2_SPTR)f->value, f->value_len,
                                         opts, &errcode, &erroff, NULL);
    if (re == NULL) {
        PCRE2_UCHAR buf[256];
        (void)pcre2_get_error_message(errcode, buf, sizeof(buf));
        problem(ld, st->file, f->line,
                "%s '%s': cannot compile regex: %s at offset %zu", st->kind,
                st->name, (const char *)buf, (size_t)erroff);
        return NULL;
    }
    /* JIT failure is not fatal: the interpreter gives the same results,
     * but a quadratic pattern costs seconds per long line there. */
    size_t jit_size = 0;
    const bool want_jit = (ld->flags & RULES_LOAD_NO_JIT) == 0;
    if (want_jit &&
        (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0 ||
         pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jit_size) != 0 ||
         jit_size == 0))
        warning(ld, st->file, f->line,
                "%s '%s': regex runs without the JIT (slow on long lines)",
                st->kind, st->name);

    uint32_t n_caps = 0;
    (void)pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &n_caps);
    if (n_caps + 1 > ld->rs->max_groups)
        ld->rs->max_groups = n_caps + 1;
    return re;
}

/* True when re (NULL: not compiled) can match the empty string. */
static bool
can_match_empty(const pcre2_code *re)
{
    uint32_t min_len = 1;
    return re != NULL &&
           pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &min_len) == 0 &&
           min_len == 0;
}

static void
add_example(struct rule_examples *ex, const struct field *f, bool must_match)
{
    ex->v = xrealloc(ex->v, (ex->n + 1) * sizeof(*ex->v));
    struct rule_example *const e = &ex->v[ex->n++];
    memset(e, 0, sizeof(*e));
    e->text = xmemdup0(f->value, f->value_len);
    e->len = f->value_len;
    e->line = f->line;
    e->must_match = must_match;
}

/* Examples that must match (near misses do not count). */
static size_t
count_examples(const struct rule_examples *ex)
{
    size_t n = 0;
    for (size_t i = 0; i < ex->n; i++)
        n += ex->v[i].must_match;
    return n;
}

static void
examples_fini(struct rule_examples *ex)
{
    for (size_t i = 0; i < ex->n; i++) {
        free(ex->v[i].text);
        free(ex->v[i].expect);
    }
    free(ex->v);
}

/* Split a space-separated list into a NULL-terminated owned array. */
static char **
split_words(const char *s)
{
    size_t n = 0;
    char **v = xcalloc(1, sizeof(*v));
    while (*s != '\0') {
        while (is_blank(*s))
            s++;
        const char *const w = s;
        while (*s != '\0' && !is_blank(*s))
            s++;
        if (s > w) {
            v = xrealloc(v, (n + 2) * sizeof(*v));
            v[n++] = xmemdup0(w, (size_t)(s - w));
            v[n] = NULL;
        }
    }
    return v;
}

static void
free_words(char **v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* Parse a list of class or event names into a bit mask; 0 on error. */
static uint32_t
parse_mask(struct loader *ld, const struct stanza *st, const struct field *f,
           bool is_event)
{
    char **const words = split_words(f->value);
    uint32_t mask = 0;
    for (size_t i = 0; words[i] != NULL; i++) {
        const struct span w = span_make(words[i], strlen(words[i]));
        const unsigned v = is_event ? (unsigned)taxonomy_event_lookup(w)
                                    : (unsigned)taxonomy_class_lookup(w);
        if (v == 0) {
            problem(ld, st->file, f->line, "%s '%s': unknown %s '%s'", st->kind,
                    st->name, is_event ? "event" : "class", words[i]);
            mask = 0;
            break;
        }
        mask |= 1u << v;
    }
    free_words(words);
    return mask;
}

static void
build_mta(struct loader *ld, const struct stanza *st)
{
    struct ruleset *const rs = ld->rs;

    for (size_t i = 0; i < rs->n_mtas; i++)
        if (strcmp(rs->mtas[i].name, st->name) == 0) {
            problem(ld, st->file, st->line, "mta '%s' defined twice", st->name);
            return;
        }
    rs->mtas = xrealloc(rs->mtas, (rs->n_mtas + 1) * sizeof(*rs->mtas));
    struct mta_def *const m = &rs->mtas[rs->n_mtas++];
    memset(m, 0, sizeof(*m));
    m->name = xstrdup(st->name);
    m->origin = (struct rule_origin){st->file, st->line};
    m->daemon_group = -1;
    for (size_t i = 0; i < st->n_fields; i++) {
        const struct field *const f = &st->fields[i];
        if (strcmp(f->key, "program") == 0 && m->program_re == NULL) {
            m->program_re = compile_regex(ld, st, f);
            if (m->program_re != NULL)
                m->daemon_group = pcre2_substring_number_from_name(
                    m->program_re, (PCRE2_SPTR) "daemon");
            if (m->daemon_group < 0)
                m->daemon_group = -1;
        } else if (strcmp(f->key, "line") == 0 && m->line_re == NULL) {
            m->line_re = compile_regex(ld, st, f);
            m->line_pattern = xmemdup0(f->value, f->value_len);
        } else if (strcmp(f->key, "shape") == 0) {
            if (strcmp(f->value, "exim") != 0)
                problem(ld, st->file, f->line, "mta '%s': unknown shape '%s'",
                        st->name, f->value);
            m->has_exim_shape = true;
        } else {
            problem(ld, st->file, f->line, "mta '%s': unknown key '%s'",
                    st->name, f->key);
        }
    }
}

/* "map reject=rejected discard=discarded": status word → event. */
static void
parse_map(struct loader *ld, const struct stanza *st, const struct field *f,
          struct event_rule *r)
{
    char **const words = split_words(f->value);
    size_t n = 0;

    while (words[n] != NULL)
        n++;
    free_words(r->map_from);
    free(r->map_to);
    r->map_from = xcalloc(n + 1, sizeof(*r->map_from));
    r->map_to = xcalloc(n + 1, sizeof(*r->map_to));
    for (size_t i = 0; i < n; i++) {
        char *const eq = strchr(words[i], '=');
        const enum sc_event ev =
            eq ? taxonomy_event_lookup(span_make(eq + 1, strlen(eq + 1)))
               : EVENT_NONE;
        if (eq == NULL || eq == words[i] || ev == EVENT_NONE) {
            problem(ld, st->file, f->line,
                    "event '%s': map item '%s' is not word=event", st->name,
                    words[i]);
            continue;
        }
        r->map_from[i] = xmemdup0(words[i], (size_t)(eq - words[i]));
        r->map_to[i] = ev;
    }
    /* Keep the array NULL-terminated even when items were skipped. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (r->map_from[i] != NULL) {
            r->map_from[k] = r->map_from[i];
            r->map_to[k++] = r->map_to[i];
        }
    r->map_from[k] = NULL;
    free_words(words);
}

static void
build_event(struct loader *ld, const struct stanza *st, struct event_rule *r)
{
    struct ruleset *const rs = ld->rs;
    const struct field *match = NULL;
    bool has_event = false;
    struct rule_example *last_example = NULL;

    memset(r, 0, sizeof(*r));
    r->name = xstrdup(st->name);
    r->origin = (struct rule_origin){st->file, st->line};
    r->mta = UINT16_MAX;
    for (size_t g = 0; g < GRP_COUNT; g++)
        r->group[g] = -1;
    for (size_t i = 0; i < st->n_fields; i++) {
        const struct field *const f = &st->fields[i];
        if (strcmp(f->key, "mta") == 0) {
            const int idx = rules_find_mta(rs, f->value);
            if (idx < 0)
                problem(ld, st->file, f->line,
                        "event '%s': unknown mta '%s' (define it first)",
                        st->name, f->value);
            else
                r->mta = (uint16_t)idx;
        } else if (strcmp(f->key, "daemon") == 0) {
            free_words(r->daemons);
            r->daemons = split_words(f->value);
        } else if (strcmp(f->key, "need") == 0) {
            if (strcmp(f->value, "<code>") == 0) {
                r->needs_code = true;
            } else {
                r->needs =
                    xrealloc(r->needs, (r->n_needs + 1) * sizeof(char *));
                r->need_lens =
                    xrealloc(r->need_lens, (r->n_needs + 1) * sizeof(size_t));
                r->needs[r->n_needs] = xmemdup0(f->value, f->value_len);
                r->need_lens[r->n_needs++] = f->value_len;
            }
        } else if (strcmp(f->key, "match") == 0) {
            if (match != NULL)
                problem(ld, st->file, f->line, "event '%s': second 'match'",
                        st->name);
            match = f;
        } else if (strcmp(f->key, "event") == 0) {
            has_event = true;
            if (strcmp(f->value, "$status") == 0) {
                r->event_mode = EVMODE_STATUS;
            } else if (strcmp(f->value, "by-class") == 0) {
                r->event_mode = EVMODE_BY_CLASS;
            } else if (strcmp(f->value, "none") == 0) {
                r->event_mode = EVMODE_LITERAL;
                r->event = EVENT_NONE;
            } else {
                r->event_mode = EVMODE_LITERAL;
                r->event =
                    taxonomy_event_lookup(span_make(f->value, f->value_len));
                if (r->event == EVENT_NONE)
                    problem(ld, st->file, f->line,
                            "event '%s': unknown event '%s'", st->name,
                            f->value);
            }
        } else if (strcmp(f->key, "scope") == 0) {
            if (strcmp(f->value, "unclaimed") == 0)
                r->is_unclaimed_only = true;
            else if (strcmp(f->value, "all") != 0)
                problem(ld, st->file, f->line,
                        "event '%s': scope must be 'all' or 'unclaimed'",
                        st->name);
        } else if (strcmp(f->key, "map") == 0) {
            parse_map(ld, st, f, r);
        } else if (strcmp(f->key, "class") == 0) {
            r->implied_class =
                taxonomy_class_lookup(span_make(f->value, f->value_len));
            if (r->implied_class == CLASS_NONE)
                problem(ld, st->file, f->line, "event '%s': unknown class '%s'",
                        st->name, f->value);
        } else if (strcmp(f->key, "example") == 0) {
            add_example(&r->examples, f, true);
            last_example = &r->examples.v[r->examples.n - 1];
        } else if (strcmp(f->key, "expect") == 0) {
            if (last_example == NULL || last_example->expect != NULL)
                problem(ld, st->file, f->line,
                        "event '%s': 'expect' must follow an 'example'",
                        st->name);
            else {
                last_example->expect = xmemdup0(f->value, f->value_len);
                last_example->expect_line = f->line;
            }
        } else if (strcmp(f->key, "not") == 0) {
            add_example(&r->examples, f, false);
            last_example = NULL;
        } else {
            problem(ld, st->file, f->line, "event '%s': unknown key '%s'",
                    st->name, f->key);
        }
    }
    if (r->mta == UINT16_MAX && rules_find_mta(rs, "generic") >= 0 &&
        ld->n_problems == 0)
        problem(ld, st->file, st->line, "event '%s': no 'mta'", st->name);
    if (match == NULL) {
        problem(ld, st->file, st->line, "event '%s': no 'match'", st->name);
        return;
    }
    if (!has_event)
        problem(ld, st->file, st->line, "event '%s': no 'event'", st->name);
    r->re = compile_regex(ld, st, match);
    if (r->re == NULL)
        return;
    for (size_t g = 0; g < GRP_COUNT; g++) {
        const int n =
            pcre2_substring_number_from_name(r->re, (PCRE2_SPTR)group_names[g]);
        r->group[g] = n > 0 ? n : -1;
    }
    if (r->event_mode == EVMODE_STATUS && r->group[GRP_STATUS] < 0)
        problem(ld, st->file, match->line,
                "event '%s': 'event $status' needs a (?<status>...) group",
                st->name);
    if (count_examples(&r->examples) == 0)
        problem(ld, st->file, st->line, "event '%s': no 'example'", st->name);
    if (r->n_needs == 0 && !r->needs_code && can_match_empty(r->re))
        warning(ld, st->file, st->line,
                "event '%s': regex can match the empty string and there is "
                "no 'need', so it matches every line of its MTA",
                st->name);
}

static void
build_reason(struct loader *ld, const struct stanza *st, struct reason_rule *r)
{
    const struct field *match = NULL;

    memset(r, 0, sizeof(*r));
    r->name = xstrdup(st->name);
    r->origin = (struct rule_origin){st->file, st->line};
    for (size_t i = 0; i < st->n_fields; i++) {
        const struct field *const f = &st->fields[i];
        if (strcmp(f->key, "category") == 0) {
            r->category =
                taxonomy_category_lookup(span_make(f->value, f->value_len));
            if (r->category == CAT_NONE)
                problem(ld, st->file, f->line,
                        "reason '%s': unknown category '%s'", st->name,
                        f->value);
        } else if (strcmp(f->key, "match") == 0) {
            if (match != NULL)
                problem(ld, st->file, f->line, "reason '%s': second 'match'",
                        st->name);
            match = f;
        } else if (strcmp(f->key, "class") == 0) {
            r->class_mask = parse_mask(ld, st, f, false);
        } else if (strcmp(f->key, "event") == 0) {
            r->event_mask = parse_mask(ld, st, f, true);
        } else if (strcmp(f->key, "example") == 0) {
            add_example(&r->examples, f, true);
        } else if (strcmp(f->key, "not") == 0) {
            add_example(&r->examples, f, false);
        } else {
            problem(ld, st->file, f->line, "reason '%s': unknown key '%s'",
                    st->name, f->key);
        }
    }
    if (r->category == CAT_NONE && ld->n_problems == 0)
        problem(ld, st->file, st->line, "reason '%s': no 'category'", st->name);
    if (match == NULL) {
        problem(ld, st->file, st->line, "reason '%s': no 'match'", st->name);
        return;
    }
    r->re = compile_regex(ld, st, match);
    r->pattern = xmemdup0(match->value, match->value_len);
    /* "match ^" is how a reason scoped to events or classes says "all of
     * them"; unscoped, it would take every outcome before later rules. */
    if (r->event_mask == 0 && r->class_mask == 0 && can_match_empty(r->re))
        warning(ld, st->file, match->line,
                "reason '%s': regex can match the empty string, so it "
                "matches every reason text",
                st->name);
    if (count_examples(&r->examples) == 0)
        problem(ld, st->file, st->line, "reason '%s': no 'example'", st->name);
}

static void
build_explanation(struct loader *ld, const struct stanza *st,
                  struct explanation *ex, bool may_have_category)
{
    if (ex->text[LANG_EN] != NULL || ex->text[LANG_DE] != NULL) {
        /* A later layer overrides an earlier one; one file must not. */
        if (ex->origin.file == st->file) {
            problem(ld, st->file, st->line,
                    "%s '%s' defined twice (first at line %u)", st->kind,
                    st->name, ex->origin.line);
            return;
        }
        free(ex->text[LANG_EN]);
        free(ex->text[LANG_DE]);
        memset(ex, 0, sizeof(*ex));
    }
    ex->origin = (struct rule_origin){st->file, st->line};
    for (size_t i = 0; i < st->n_fields; i++) {
        const struct field *const f = &st->fields[i];
        if (strcmp(f->key, "en") == 0 || strcmp(f->key, "de") == 0) {
            const int lang = f->key[0] == 'e' ? LANG_EN : LANG_DE;
            free(ex->text[lang]);
            ex->text[lang] = xmemdup0(f->value, f->value_len);
        } else if (may_have_category && strcmp(f->key, "category") == 0) {
            ex->category =
                taxonomy_category_lookup(span_make(f->value, f->value_len));
            if (ex->category == CAT_NONE)
                problem(ld, st->file, f->line, "%s '%s': unknown category '%s'",
                        st->kind, st->name, f->value);
        } else {
            problem(ld, st->file, f->line, "%s '%s': unknown key '%s'",
                    st->kind, st->name, f->key);
        }
    }
    if (ex->text[LANG_EN] == NULL || ex->text[LANG_DE] == NULL)
        problem(ld, st->file, st->line, "%s '%s': needs both 'en' and 'de'",
                st->kind, st->name);
}

uint32_t
rules_enhanced_key(unsigned cls, unsigned subject, unsigned detail)
{
    return (uint32_t)cls << 28 | (uint32_t)(subject & 0xFFF) << 16 |
           (detail & 0xFFFF);
}

/* "X.1.1", "5.7.606" or "X.4.*" → key; false when malformed. */
static bool
parse_enhanced_name(const char *s, uint32_t *key)
{
    unsigned cls;
    if (s[0] == 'X')
        cls = 0;
    else if (s[0] == '2' || s[0] == '4' || s[0] == '5')
        cls = (unsigned)(s[0] - '0');
    else
        return false;
    if (s[1] != '.' || s[2] < '0' || s[2] > '7' || s[3] != '.')
        return false;
    const unsigned subject = (unsigned)(s[2] - '0');
    if (strcmp(s + 4, "*") == 0) {
        if (cls != 0)
            return false;
        *key = rules_enhanced_key(0, subject, RULES_DETAIL_WILDCARD);
        return true;
    }
    unsigned detail = 0;
    size_t nd = 0;
    for (const char *d = s + 4; *d != '\0'; d++, nd++) {
        if (*d < '0' || *d > '9' || nd == 3)
            return false;
        detail = detail * 10 + (unsigned)(*d - '0');
    }
    if (nd == 0)
        return false;
    *key = rules_enhanced_key(cls, subject, (unsigned)detail);
    return true;
}

static void
build_enhanced(struct loader *ld, const struct stanza *st)
{
    struct ruleset *const rs = ld->rs;
    uint32_t key;

    if (!parse_enhanced_name(st->name, &key)) {
        problem(ld, st->file, st->line,
                "enhanced '%s': expected X.S.D, C.S.D or X.S.*", st->name);
        return;
    }
    for (size_t i = 0; i < rs->n_enhanced; i++)
        if (rs->enhanced[i].key == key) {
            build_explanation(ld, st, &rs->enhanced[i].ex, true);
            return;
        }
    rs->enhanced =
        xrealloc(rs->enhanced, (rs->n_enhanced + 1) * sizeof(*rs->enhanced));
    struct enhanced_entry *const e = &rs->enhanced[rs->n_enhanced++];
    memset(e, 0, sizeof(*e));
    e->key = key;
    build_explanation(ld, st, &e->ex, true);
}

static void
build_reply(struct loader *ld, const struct stanza *st)
{
    const char *const n = st->name;
    /* Exactly three digits, 100..599 (1yz and 3yz replies included). */
    if (strlen(n) != 3 || n[0] < '1' || n[0] > '5' || n[1] < '0' ||
        n[1] > '9' || n[2] < '0' || n[2] > '9') {
        problem(ld, st->file, st->line, "reply '%s': expected a code 100..599",
                st->name);
        return;
    }
    const unsigned code = (unsigned)(n[0] - '0') * 100 +
                          (unsigned)(n[1] - '0') * 10 + (unsigned)(n[2] - '0');
    build_explanation(ld, st, &ld->rs->reply[code], true);
}

static int
compare_enhanced(const void *a, const void *b)
{
    const uint32_t x = ((const struct enhanced_entry *)a)->key;
    const uint32_t y = ((const struct enhanced_entry *)b)->key;
    return (x > y) - (x < y);
}

/* Later layers first, file order within a layer (stable). */
static int
compare_stanza_order(const void *a, const void *b)
{
    const struct stanza *const x = a, *const y = b;
    if (x->layer != y->layer)
        return x->layer > y->layer ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static bool
is_kind(const struct stanza *st, const char *kind)
{
    return strcmp(st->kind, kind) == 0;
}

static void
build_all(struct loader *ld)
{
    struct ruleset *const rs = ld->rs;

    /* MTAs first, in file order, so events can name them. */
    for (size_t i = 0; i < ld->n_st; i++)
        if (is_kind(&ld->st[i], "mta"))
            build_mta(ld, &ld->st[i]);
    if (rules_find_mta(rs, "generic") < 0) {
        struct stanza gen = {0};
        gen.kind = (char *)(uintptr_t) "mta";
        gen.name = (char *)(uintptr_t) "generic";
        gen.file = "(built-in)";
        build_mta(ld, &gen);
    }
    rs->generic_mta = (size_t)rules_find_mta(rs, "generic");

    /* Events and reasons in priority order: later layers first. */
    struct stanza **order = xcalloc(ld->n_st, sizeof(*order));
    struct stanza *sorted = xcalloc(ld->n_st, sizeof(*sorted));
    memcpy(sorted, ld->st, ld->n_st * sizeof(*sorted));
    qsort(sorted, ld->n_st, sizeof(*sorted), compare_stanza_order);
    for (size_t i = 0; i < ld->n_st; i++)
        order[i] = &sorted[i];

    for (size_t i = 0; i < ld->n_st; i++) {
        const struct stanza *const st = order[i];
        if (is_kind(st, "event")) {
            bool replaced = false;
            for (size_t j = 0; j < rs->n_events; j++)
                if (strcmp(rs->events[j].name, st->name) == 0) {
                    problem(ld, st->file, st->line,
                            "event '%s' defined twice (also %s:%u)", st->name,
                            rs->events[j].origin.file,
                            rs->events[j].origin.line);
                    replaced = true;
                }
            if (replaced)
                continue;
            rs->events =
                xrealloc(rs->events, (rs->n_events + 1) * sizeof(*rs->events));
            build_event(ld, st, &rs->events[rs->n_events++]);
        } else if (is_kind(st, "reason")) {
            rs->reasons = xrealloc(rs->reasons,
                                   (rs->n_reasons + 1) * sizeof(*rs->reasons));
            build_reason(ld, st, &rs->reasons[rs->n_reasons++]);
        }
    }
    /* Explanations: earlier layers first, so later ones override. */
    for (size_t i = 0; i < ld->n_st; i++) {
        const struct stanza *const st = &ld->st[i];
        if (is_kind(st, "reply")) {
            build_reply(ld, st);
        } else if (is_kind(st, "enhanced")) {
            build_enhanced(ld, st);
        } else if (is_kind(st, "category")) {
            const enum sc_category c =
                taxonomy_category_lookup(span_make(st->name, strlen(st->name)));
            if (c == CAT_NONE)
                problem(ld, st->file, st->line, "unknown category '%s'",
                        st->name);
            else
                build_explanation(ld, st, &rs->category[c], false);
        } else if (is_kind(st, "class")) {
            const enum sc_class c =
                taxonomy_class_lookup(span_make(st->name, strlen(st->name)));
            if (c == CLASS_NONE)
                problem(ld, st->file, st->line, "unknown class '%s'", st->name);
            else
                build_explanation(ld, st, &rs->cls[c], false);
        } else if (!is_kind(st, "mta") && !is_kind(st, "event") &&
                   !is_kind(st, "reason")) {
            problem(ld, st->file, st->line, "unknown stanza kind '%s'",
                    st->kind);
        }
    }
    free(order);
    free(sorted);

    if (rs->n_enhanced > 1)
        qsort(rs->enhanced, rs->n_enhanced, sizeof(*rs->enhanced),
              compare_enhanced);

    /* Per-MTA event lists keep the priority order. */
    for (size_t i = 0; i < rs->n_events; i++) {
        const struct event_rule *const r = &rs->events[i];
        if (r->mta >= rs->n_mtas)
            continue;
        struct mta_def *const m = &rs->mtas[r->mta];
        m->events = xrealloc(m->events, (m->n_events + 1) * sizeof(size_t));
        m->events[m->n_events++] = i;
    }
    rs->mta_names = xcalloc(rs->n_mtas, sizeof(*rs->mta_names));
    for (size_t i = 0; i < rs->n_mtas; i++)
        rs->mta_names[i] = rs->mtas[i].name;
}

int
rules_load(const struct rules_source *src, size_t n_src, struct ruleset **out,
           rules_report_fn *report, void *ctx)
{
    return rules_load_flags(src, n_src, 0, out, report, ctx);
}

int
rules_load_flags(const struct rules_source *src, size_t n_src, unsigned flags,
                 struct ruleset **out, rules_report_fn *report, void *ctx)
{
    struct loader ld;
    struct ruleset *const rs = xcalloc(1, sizeof(*rs));

    memset(&ld, 0, sizeof(ld));
    ld.flags = flags;
    ld.report = report;
    ld.report_ctx = ctx;
    ld.rs = rs;
    rs->max_groups = 1;
    rs->files = xcalloc(n_src ? n_src : 1, sizeof(*rs->files));
    for (size_t i = 0; i < n_src; i++) {
        rs->files[rs->n_files] = xstrdup(src[i].name);
        if (src[i].len > RULES_FILE_MAX) {
            problem(&ld, src[i].name, 0, "rule file larger than %u bytes",
                    RULES_FILE_MAX);
            rs->n_files++;
            continue;
        }
        parse_source(&ld, &src[i], rs->files[rs->n_files++]);
    }
    if (ld.n_st == 0 && ld.n_problems == 0)
        problem(&ld, n_src ? src[0].name : "(rules)", 0, "no rules found");
    if (ld.n_problems == 0 || ld.n_st > 0)
        build_all(&ld);
    for (size_t i = 0; i < ld.n_st; i++)
        stanza_fini(&ld.st[i]);
    free(ld.st);
    if (ld.n_problems > 0) {
        rules_free(rs);
        *out = NULL;
        return -1;
    }
    *out = rs;
    return 0;
}

static void
explanation_fini(struct explanation *ex)
{
    free(ex->text[LANG_EN]);
    free(ex->text[LANG_DE]);
}

void
rules_free(struct ruleset *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n_mtas; i++) {
        free(rs->mtas[i].name);
        pcre2_code_free(rs->mtas[i].program_re);
        pcre2_code_free(rs->mtas[i].line_re);
        free(rs->mtas[i].line_pattern);
        free(rs->mtas[i].events);
    }
    free(rs->mtas);
    for (size_t i = 0; i < rs->n_events; i++) {
        struct event_rule *const r = &rs->events[i];
        free(r->name);
        free_words(r->daemons);
        free_words(r->map_from);
        free(r->map_to);
        for (size_t k = 0; k < r->n_needs; k++)
            free(r->needs[k]);
        free(r->needs);
        free(r->need_lens);
        pcre2_code_free(r->re);
        examples_fini(&r->examples);
    }
    free(rs->events);
    for (size_t i = 0; i < rs->n_reasons; i++) {
        free(rs->reasons[i].name);
        free(rs->reasons[i].pattern);
        pcre2_code_free(rs->reasons[i].re);
        examples_fini(&rs->reasons[i].examples);
    }
    free(rs->reasons);
    for (size_t i = 0; i < 600; i++)
        explanation_fini(&rs->reply[i]);
    for (size_t i = 0; i < rs->n_enhanced; i++)
        explanation_fini(&rs->enhanced[i].ex);
    free(rs->enhanced);
    for (size_t i = 0; i < CAT_COUNT; i++)
        explanation_fini(&rs->category[i]);
    for (size_t i = 0; i < CLASS_COUNT; i++)
        explanation_fini(&rs->cls[i]);
    for (size_t i = 0; i < rs->n_files; i++)
        free(rs->files[i]);
    free(rs->files);
    free(rs->mta_names);
    free(rs);
}

int
rules_find_mta(const struct ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->n_mtas; i++)
        if (strcmp(rs->mtas[i].name, name) == 0)
            return (int)i;
    return -1;
}

static const struct enhanced_entry *
find_key(const struct ruleset *rs, uint32_t key)
{
    const struct enhanced_entry probe = {key,
                                         {{NULL, NULL}, CAT_NONE, {NULL, 0}}};
    if (rs->n_enhanced == 0)
        return NULL;
    return bsearch(&probe, rs->enhanced, rs->n_enhanced, sizeof(*rs->enhanced),
                   compare_enhanced);
}

const struct explanation *
rules_find_enhanced(const struct ruleset *rs, const struct smtp_enhanced *e,
                    bool *is_wildcard)
{
    const struct enhanced_entry *hit;

    *is_wildcard = false;
    if (e->cls == 0)
        return NULL;
    if ((hit = find_key(
             rs, rules_enhanced_key(e->cls, e->subject, e->detail))) != NULL ||
        (hit = find_key(rs, rules_enhanced_key(0, e->subject, e->detail))) !=
            NULL)
        return &hit->ex;
    hit =
        find_key(rs, rules_enhanced_key(0, e->subject, RULES_DETAIL_WILDCARD));
    if (hit != NULL)
        *is_wildcard = true;
    return hit ? &hit->ex : NULL;
}

/* ---- reading a directory ------------------------------------------------ */

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_rules_suffix(const char *name)
{
    const size_t n = strlen(name);
    return n > 6 && strcmp(name + n - 6, ".rules") == 0 && name[0] != '.';
}

static int
read_whole_file(const char *path, char **data, size_t *len, struct sc_err *err)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;

    if (fd < 0) {
        sc_err_set(err, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        (size_t)sb.st_size > RULES_FILE_MAX) {
        sc_err_set(err, path, 0, "%s",
                   !S_ISREG(sb.st_mode) ? "not a regular file"
                                        : "rule file too large");
        (void)close(fd);
        return -1;
    }
    char *buf = xmalloc((size_t)sb.st_size + 1);
    size_t got = 0;
    for (;;) {
        const ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sc_err_set(err, path, 0, "cannot read: %s", strerror(errno));
            free(buf);
            (void)close(fd);
            return -1;
        }
        if (n == 0 || (got += (size_t)n) == (size_t)sb.st_size)
            break;
    }
    (void)close(fd);
    *data = buf;
    *len = got;
    return 0;
}

int
rules_read_dir(const char *dir, unsigned layer, struct rules_source **src,
               size_t *n_src, struct sc_err *err)
{
    DIR *const d = opendir(dir);
    char **names = NULL;
    size_t n_names = 0;
    const struct dirent *ent;
    int rc = 0;

    if (d == NULL) {
        sc_err_set(err, dir, 0, "cannot open rules directory: %s",
                   strerror(errno));
        return -1;
    }
    while ((ent = readdir(d)) != NULL) {
        if (!has_rules_suffix(ent->d_name))
            continue;
        names = xrealloc(names, (n_names + 1) * sizeof(*names));
        names[n_names++] = xstrdup(ent->d_name);
    }
    (void)closedir(d);
    if (n_names == 0) {
        sc_err_set(err, dir, 0, "no *.rules files in rules directory");
        free(names);
        return -1;
    }
    qsort(names, n_names, sizeof(*names), compare_names);
    for (size_t i = 0; i < n_names && rc == 0; i++) {
        const size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *const path = xmalloc(plen);
        (void)snprintf(path, plen, "%s/%s", dir, names[i]);
        char *data;
        size_t len;
        if (read_whole_file(path, &data, &len, err) != 0) {
            free(path);
            rc = -1;
            break;
        }
        *src = xrealloc(*src, (*n_src + 1) * sizeof(**src));
        (*src)[*n_src] = (struct rules_source){path, data, len, layer};
        (*n_src)++;
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    return rc;
}

void
rules_sources_free(struct rules_source *src, size_t n_src)
{
    for (size_t i = 0; i < n_src; i++) {
        free((void *)(uintptr_t)src[i].name);
        free((void *)(uintptr_t)src[i].data);
    }
    free(src);
}

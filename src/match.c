/*
 * match.c: the regex stage. Finds the line's MTA from its program tag,
 * then tries that MTA's event rules in order, then the generic ones. A
 * regex that hits a resource limit counts as "no match" for that rule and
 * is counted, so one hostile line can cost at most the configured budget.
 */
#include "match.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "xalloc.h"

void
matcher_use_prefilter(struct matcher *m, const struct prefilter *pf)
{
    assert(m->pf == NULL);
    m->pf = pf;
    m->pf_scratch = prefilter_scratch_new(pf);
    m->reason_hits = xcalloc(prefilter_reason_words(pf) + 1, sizeof(uint64_t));
    m->claim_hits = xcalloc(prefilter_claim_words(pf) + 1, sizeof(uint64_t));
}

void
matcher_init(struct matcher *m, const struct ruleset *rs)
{
    memset(m, 0, sizeof(*m));
    m->rs = rs;
    m->md = pcre2_match_data_create(rs->max_groups, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    m->jit_stack = pcre2_jit_stack_create(32 * 1024, MATCH_JIT_STACK_MAX, NULL);
    if (m->md == NULL || m->mctx == NULL)
        sc_die("out of memory");
    (void)pcre2_set_match_limit(m->mctx, MATCH_LIMIT_DEFAULT);
    (void)pcre2_set_depth_limit(m->mctx, MATCH_LIMIT_DEFAULT);
    (void)pcre2_set_heap_limit(m->mctx, MATCH_HEAP_LIMIT_KIB);
    if (m->jit_stack != NULL)
        pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
    matcher_forget_programs(m);
}

void
matcher_fini(struct matcher *m)
{
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    pcre2_jit_stack_free(m->jit_stack);
    prefilter_scratch_free(m->pf_scratch);
    free(m->reason_hits);
    free(m->claim_hits);
    memset(m, 0, sizeof(*m));
}

bool
matcher_exec(struct matcher *m, const pcre2_code *re, struct span subject)
{
    const int rc = pcre2_match(re, (PCRE2_SPTR)subject.p, subject.len, 0, 0,
                               m->md, m->mctx);
    if (rc >= 0)
        return true;
    if (rc != PCRE2_ERROR_NOMATCH) {
        /* Match, depth or heap limit, JIT stack: the rule cannot say. */
        m->n_limit_hits++;
        m->is_limit_hit = true;
    }
    return false;
}

static struct span
group_span(const struct matcher *m, struct span subject, int group)
{
    const PCRE2_SIZE *const ov = pcre2_get_ovector_pointer(m->md);
    if (group < 0 || ov[2 * group] == PCRE2_UNSET)
        return span_make(NULL, 0);
    return span_make(subject.p + ov[2 * group],
                     ov[2 * group + 1] - ov[2 * group]);
}

void
matcher_forget_programs(struct matcher *m)
{
    for (size_t i = 0; i < MATCH_PROGRAM_SLOTS; i++)
        m->programs[i].program_len = 0;
    m->cur_daemon = NULL;
    m->cur_daemon_len = 0;
}

/* The MTA whose program regex takes prog, its daemon into daemon[]. */
static int
mta_of_program(struct matcher *m, struct span prog, char *daemon,
               size_t *daemon_len)
{
    const struct ruleset *const rs = m->rs;

    *daemon_len = 0;
    for (size_t i = 0; i < rs->n_mtas; i++) {
        const struct mta_def *const mta = &rs->mtas[i];
        if (mta->program_re == NULL || !matcher_exec(m, mta->program_re, prog))
            continue;
        const struct span d = group_span(m, prog, mta->daemon_group);
        if (d.p != NULL && d.len <= MATCH_DAEMON_MAX) {
            memcpy(daemon, d.p, d.len);
            *daemon_len = d.len;
        }
        return (int)i;
    }
    return (int)rs->generic_mta;
}

/*
 * The MTA of a line, and its daemon in cur_daemon. A line with a program
 * tag is looked up in the program cache first; one without is claimed by
 * the first MTA whose `line` pattern matches it.
 */
static int
find_mta(struct matcher *m, const struct logline *ll)
{
    const struct ruleset *const rs = m->rs;
    const struct span prog = ll->program;

    if (prog.len == 0) {
        m->cur_daemon_len = 0;
        /*
         * Logs of their own (CSV, records, rspamd's and Haraka's files):
         * claimed by shape, before the Exim main.log shape they may share
         * a time stamp with.
         */
        if (m->pf != NULL)
            prefilter_claims(m->pf, m->pf_scratch, ll->msg, m->claim_hits);
        for (size_t i = 0; i < rs->n_mtas; i++)
            if (rs->mtas[i].line_re != NULL &&
                (m->pf == NULL || (m->claim_hits[i / 64] >> (i % 64) & 1)) &&
                matcher_exec(m, rs->mtas[i].line_re, ll->msg))
                return (int)i;
        if (ll->shape == SHAPE_EXIM)
            for (size_t i = 0; i < rs->n_mtas; i++)
                if (rs->mtas[i].has_exim_shape)
                    return (int)i;
        return (int)rs->generic_mta;
    }
    if (prog.len > MATCH_PROGRAM_MAX) {
        m->cur_daemon = m->daemon_buf;
        return mta_of_program(m, prog, m->daemon_buf, &m->cur_daemon_len);
    }
    struct program_slot *const slot =
        &m->programs[XXH3_64bits(prog.p, prog.len) & (MATCH_PROGRAM_SLOTS - 1)];
    if (slot->program_len != prog.len ||
        memcmp(slot->program, prog.p, prog.len) != 0) {
        size_t daemon_len;
        slot->mta =
            (uint16_t)mta_of_program(m, prog, slot->daemon, &daemon_len);
        slot->daemon_len = (uint8_t)daemon_len;
        memcpy(slot->program, prog.p, prog.len);
        slot->program_len = (uint8_t)prog.len;
    }
    m->cur_daemon = slot->daemon;
    m->cur_daemon_len = slot->daemon_len;
    return slot->mta;
}

static bool
daemon_allowed(const struct matcher *m, const struct event_rule *r)
{
    if (r->daemons == NULL)
        return true;
    for (size_t i = 0; r->daemons[i] != NULL; i++)
        if (span_eq_str(span_make(m->cur_daemon, m->cur_daemon_len),
                        r->daemons[i]))
            return true;
    return false;
}

/* memmem is not in POSIX; a first-byte memchr loop is enough here. */
static bool
contains(struct span hay, const char *needle, size_t n)
{
    if (n == 0)
        return true;
    const char *p = hay.p;
    const char *const end = hay.p + hay.len;
    while ((size_t)(end - p) >= n) {
        p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (p == NULL)
            return false;
        if (memcmp(p, needle, n) == 0)
            return true;
        p++;
    }
    return false;
}

/* Remember the first rule that hit a limit on this line. */
static void
note_limit(struct matcher *m, const char *rule)
{
    if (m->is_limit_hit && m->limit_rule == NULL)
        m->limit_rule = rule;
}

static bool
needs_met(const struct event_rule *r, struct span msg)
{
    if (r->n_needs == 0 && !r->needs_code)
        return true;
    for (size_t i = 0; i < r->n_needs; i++)
        if (contains(msg, r->needs[i], r->need_lens[i]))
            return true;
    return r->needs_code && smtpcode_has_token(msg);
}

static bool
try_events(struct matcher *m, const struct mta_def *mta,
           const struct logline *ll, bool is_claimed, struct match_result *res)
{
    const struct ruleset *const rs = m->rs;

    for (size_t k = 0; k < mta->n_events; k++) {
        const size_t idx = mta->events[k];
        const struct event_rule *const r = &rs->events[idx];
        if (r->re == NULL || (is_claimed && r->is_unclaimed_only) ||
            !daemon_allowed(m, r) || !needs_met(r, ll->msg))
            continue;
        if (!matcher_exec(m, r->re, ll->msg)) {
            note_limit(m, r->name);
            continue;
        }
        res->rule_idx = (int)idx;
        for (size_t g = 0; g < GRP_COUNT; g++)
            res->group[g] = group_span(m, ll->msg, r->group[g]);
        return true;
    }
    return false;
}

uint16_t
matcher_mta(struct matcher *m, const struct logline *ll)
{
    return (uint16_t)find_mta(m, ll);
}

void
matcher_run(struct matcher *m, const struct logline *ll,
            struct match_result *res)
{
    const struct ruleset *const rs = m->rs;
    const int mta = find_mta(m, ll);

    memset(res, 0, sizeof(*res));
    res->rule_idx = -1;
    m->limit_rule = NULL;
    m->is_limit_hit = false;
    res->mta = (uint16_t)mta;
    const bool is_claimed = (size_t)mta != rs->generic_mta;
    if (try_events(m, &rs->mtas[mta], ll, false, res))
        return;
    if (is_claimed)
        (void)try_events(m, &rs->mtas[rs->generic_mta], ll, true, res);
}

int
matcher_reason(struct matcher *m, struct span text, enum sc_class cls,
               enum sc_event event)
{
    const struct ruleset *const rs = m->rs;

    if (m->pf != NULL)
        prefilter_reasons(m->pf, m->pf_scratch, text, m->reason_hits);
    for (size_t i = 0; i < rs->n_reasons; i++) {
        const struct reason_rule *const r = &rs->reasons[i];
        if (m->pf != NULL) {
            /* Skip whole words of rules the prefilter ruled out. */
            const uint64_t word = m->reason_hits[i / 64] >> (i % 64);
            if (word == 0) {
                i |= 63;
                continue;
            }
            if ((word & 1) == 0)
                continue;
        }
        if (r->re == NULL)
            continue;
        if (r->class_mask != 0 && (r->class_mask & (1u << cls)) == 0)
            continue;
        if (r->event_mask != 0 && (r->event_mask & (1u << event)) == 0)
            continue;
        if (matcher_exec(m, r->re, text))
            return (int)i;
        note_limit(m, r->name);
    }
    return -1;
}

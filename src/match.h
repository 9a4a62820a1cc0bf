/*
 * match.h: run a ruleset on one line. Owns the PCRE2 match data, match
 * context (resource limits) and JIT stack, all created once and reused for
 * every line and every rule.
 */
#ifndef SMTPCLASS_MATCH_H
#define SMTPCLASS_MATCH_H

#include <stdint.h>

#include "logline.h"
#include "prefilter.h"
#include "rules.h"

/* Per-line regex budget (RELIABILITY RC-34..37). */
#define MATCH_LIMIT_DEFAULT 20000u
#define MATCH_HEAP_LIMIT_KIB 16384u
#define MATCH_JIT_STACK_MAX (1u << 20)

/* What the event rules found in one line; spans borrow from the line. */
struct match_result {
    int rule_idx; /* index into ruleset.events, -1 when none matched */
    uint16_t mta; /* the line's MTA (generic when none claimed it) */
    struct span group[GRP_COUNT]; /* .p == NULL when the group did not set */
};

/*
 * A log interleaves a few dozen program tags (postfix/smtpd, postfix/qmgr,
 * exim, sendmail ...): a direct-mapped cache keyed by the tag's hash saves
 * the program regexes of every MTA on all but a tag's first line.
 */
#define MATCH_PROGRAM_SLOTS 64 /* a power of two */
#define MATCH_PROGRAM_MAX 64   /* longer tags are not cached */
#define MATCH_DAEMON_MAX 32

struct program_slot {
    uint8_t program_len; /* 0: empty slot */
    uint8_t daemon_len;
    uint16_t mta;
    char program[MATCH_PROGRAM_MAX];
    char daemon[MATCH_DAEMON_MAX];
};

struct matcher {
    const struct ruleset *rs;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    uint64_t n_limit_hits; /* regex runs stopped by a resource limit */
    /* The first rule whose regex hit a limit on the current line (NULL:
     * none); reset by matcher_run. */
    const char *limit_rule;
    bool is_limit_hit;
    const struct prefilter *pf;           /* optional, borrowed */
    struct prefilter_scratch *pf_scratch; /* owned when pf is set */
    uint64_t *reason_hits;                /* owned when pf is set */
    uint64_t *claim_hits;                 /* owned when pf is set */
    /* Program tag → MTA and daemon (matcher_forget_programs empties it). */
    struct program_slot programs[MATCH_PROGRAM_SLOTS];
    char daemon_buf[MATCH_DAEMON_MAX]; /* the daemon of an uncached tag */
    const char *cur_daemon;            /* the current line's daemon */
    size_t cur_daemon_len;             /* 0: none */
};

/* Set up for rs (borrowed; must outlive the matcher): the plain path. */
void matcher_init(struct matcher *m, const struct ruleset *rs);

/* Empty the program tag cache, as a fresh matcher has it. */
void matcher_forget_programs(struct matcher *m);

/*
 * Use pf (built from the same ruleset; borrowed, must outlive the matcher)
 * to skip reason rules that cannot match. Results do not change, with one
 * exception: a line on which the plain path runs out of regex budget
 * (limit_rule) may get a decided category here, because the prefilter
 * proves some rules cannot match without running them.
 */
void matcher_use_prefilter(struct matcher *m, const struct prefilter *pf);
void matcher_fini(struct matcher *m);

/*
 * Find the MTA of ll and the first event rule that recognises ll->msg
 * (the MTA's rules first, then the generic ones).
 */
void matcher_run(struct matcher *m, const struct logline *ll,
                 struct match_result *res);

/* The MTA of a parsed line (generic when no MTA claims its program). */
uint16_t matcher_mta(struct matcher *m, const struct logline *ll);

/* Run one regex on subject; true on a match (md holds the offsets). */
bool matcher_exec(struct matcher *m, const pcre2_code *re, struct span subject);

/*
 * The first reason rule that applies to (cls, event) and matches text;
 * returns its index or -1.
 */
int matcher_reason(struct matcher *m, struct span text, enum sc_class cls,
                   enum sc_event event);

#endif

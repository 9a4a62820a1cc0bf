/*
 * rules.h: the rule files (rules/FORMAT.md) → a read-only, compiled
 * ruleset: MTAs, event rules, reason rules and the explanation tables.
 * Built once at start-up; nothing here runs per line.
 */
#ifndef SMTPCLASS_RULES_H
#define SMTPCLASS_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "smtpcode.h"
#include "taxonomy.h"

/* Named groups an event rule's regex may set. */
enum rule_group {
    GRP_QUEUE_ID,
    GRP_SENDER,
    GRP_RCPT,
    GRP_RELAY,
    GRP_CLIENT,
    GRP_REPLY,
    GRP_ENHANCED,
    GRP_REASON,
    GRP_STATUS,
    GRP_DSN,
    GRP_CODES,
    GRP_COUNT
};

/* The group names as written in rules ("queue_id", ...). */
const char *rules_group_name(enum rule_group g);

enum rule_event_mode {
    EVMODE_LITERAL, /* event is fixed */
    EVMODE_STATUS,  /* from the status group */
    EVMODE_BY_CLASS /* sent / deferred / bounced from the class */
};

/* An example (must match) or near miss (must not), with its source line. */
struct rule_example {
    char *text;
    size_t len;
    unsigned line;
    char *expect; /* NULL or "key=value ..." (event rules only) */
    unsigned expect_line;
    bool must_match;
};

struct rule_examples {
    struct rule_example *v;
    size_t n;
};

/* Where a stanza came from; file is owned by the ruleset. */
struct rule_origin {
    const char *file;
    unsigned line;
};

struct event_rule {
    char *name;
    struct rule_origin origin;
    uint16_t mta;
    char **daemons; /* NULL-terminated, or NULL for any daemon */
    /*
     * Pre-checks: the message must contain one of the literals needs[i]
     * (need_lens[i] bytes), or a code-like token when needs_code is set
     * (`need <code>`). No need at all: the rule runs on every line.
     */
    char **needs;
    size_t *need_lens;
    size_t n_needs;
    bool needs_code;
    pcre2_code *re;
    int group[GRP_COUNT]; /* capture numbers, -1 when the regex lacks it */
    enum rule_event_mode event_mode;
    enum sc_event event;
    enum sc_class implied_class;
    bool is_unclaimed_only; /* `scope unclaimed`: generic rule that skips
                               lines of a known MTA */
    /* `map`: status words that are not event names ("reject=rejected") */
    char **map_from; /* NULL-terminated, or NULL */
    enum sc_event *map_to;
    struct rule_examples examples;
};

struct reason_rule {
    char *name;
    struct rule_origin origin;
    enum sc_category category;
    pcre2_code *re;
    char *pattern;       /* the regex source, for the prefilter */
    uint32_t class_mask; /* bit per enum sc_class; 0 = any */
    uint32_t event_mask; /* bit per enum sc_event; 0 = any */
    struct rule_examples examples;
};

struct mta_def {
    char *name;
    struct rule_origin origin;
    pcre2_code *program_re; /* NULL for generic */
    pcre2_code *line_re;    /* `line`: claims lines without a program */
    char *line_pattern;     /* its source, for the prefilter */
    int daemon_group;       /* capture number of "daemon", or -1 */
    bool has_exim_shape;
    size_t *events; /* indices into ruleset.events, in order */
    size_t n_events;
};

struct explanation {
    char *text[2];             /* [0] English, [1] German; NULL when absent */
    enum sc_category category; /* default category, CAT_NONE if none */
    struct rule_origin origin;
};

enum rules_lang { LANG_EN = 0, LANG_DE = 1 };

struct enhanced_entry {
    uint32_t key; /* see rules_enhanced_key() */
    struct explanation ex;
};

/*
 * Invariants: every event's mta < n_mtas; generic_mta < n_mtas; the
 * enhanced table is sorted by key; all regexes compiled (and JIT-compiled
 * where the platform allows).
 */
struct ruleset {
    struct mta_def *mtas;
    size_t n_mtas;
    size_t generic_mta;
    struct event_rule *events;
    size_t n_events;
    struct reason_rule *reasons;
    size_t n_reasons;
    struct explanation reply[600]; /* by reply code */
    struct enhanced_entry *enhanced;
    size_t n_enhanced;
    struct explanation category[CAT_COUNT];
    struct explanation cls[CLASS_COUNT];
    char **files; /* owned file names, for origins */
    size_t n_files;
    uint32_t max_groups;    /* largest capture count of any regex, plus one */
    const char **mta_names; /* n_mtas names, for exporters */
};

/* One input to the loader: a rule file's name and bytes (borrowed). */
struct rules_source {
    const char *name;
    const char *data;
    size_t len;
    unsigned layer; /* later layers' rules are tried first */
};

/* Receives each problem found while loading; msg has no newline. */
typedef void rules_report_fn(void *ctx, const char *file, unsigned line,
                             const char *msg);

/*
 * Parse and compile the sources (in the given order). Every problem is
 * reported; returns 0 and sets *out (owned, rules_free) when there was
 * none, else -1 and *out is NULL.
 */
int rules_load(const struct rules_source *src, size_t n_src,
               struct ruleset **out, rules_report_fn *report, void *ctx);

/*
 * rules_load with flags, for modes that never match a line (explain,
 * merge): RULES_LOAD_NO_JIT compiles (and so checks) every regex but
 * leaves out the JIT, which is most of the start-up time;
 * RULES_LOAD_NO_REGEX compiles no regex at all (every `re` stays NULL),
 * for the built-in rules, which the build has checked already.
 */
#define RULES_LOAD_NO_JIT 1u
#define RULES_LOAD_NO_REGEX 2u
int rules_load_flags(const struct rules_source *src, size_t n_src,
                     unsigned flags, struct ruleset **out,
                     rules_report_fn *report, void *ctx);
void rules_free(struct ruleset *rs);

/*
 * Read every "*.rules" file of dir, sorted by name, as sources of the given
 * layer, appending to *src / *n_src (owned: rules_sources_free). Returns 0,
 * or -1 with err filled.
 */
int rules_read_dir(const char *dir, unsigned layer, struct rules_source **src,
                   size_t *n_src, struct sc_err *err);
void rules_sources_free(struct rules_source *src, size_t n_src);

/* The rules embedded at build time (generated rules_embedded.c). */
extern const struct rules_source rules_embedded[];
extern const size_t rules_embedded_count;

/* Key for the enhanced table: cls 0 stands for "X" (any class). */
uint32_t rules_enhanced_key(unsigned cls, unsigned subject, unsigned detail);
#define RULES_DETAIL_WILDCARD 0xFFFFu

/*
 * The explanation of an enhanced code: class-specific entry, then "X.S.D",
 * then the subject's wildcard "X.S.*". Borrowed; NULL when none.
 * *is_wildcard tells whether the wildcard entry was used.
 */
const struct explanation *rules_find_enhanced(const struct ruleset *rs,
                                              const struct smtp_enhanced *e,
                                              bool *is_wildcard);

/* An MTA's index by name, or -1. */
int rules_find_mta(const struct ruleset *rs, const char *name);

#endif

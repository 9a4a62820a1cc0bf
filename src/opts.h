/*
 * opts.h: the command line → struct opts. Every value is validated here;
 * a usage error is reported and gives SC_EXIT_ERROR.
 */
#ifndef SMTPCLASS_OPTS_H
#define SMTPCLASS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

enum opts_format { FORMAT_TAGGED, FORMAT_JSON, FORMAT_NONE };
enum opts_stats { STATS_TEXT, STATS_JSON, STATS_PROM, STATS_NONE };
enum opts_mode { MODE_FILTER, MODE_EXPLAIN, MODE_CHECK_RULES, MODE_MERGE };

/* One --only selector. */
struct only_item {
    enum {
        ONLY_CLASS,
        ONLY_CATEGORY,
        ONLY_REPLY,
        ONLY_REPLY_CLASS,
        ONLY_ENHANCED
    } kind;
    unsigned value;           /* class/category enum, reply code or digit */
    struct smtp_enhanced enh; /* ONLY_ENHANCED */
};

struct opts {
    enum opts_mode mode;
    enum opts_format format;
    enum opts_stats stats;
    bool is_stats_explicit;
    bool want_count; /* -c: no lines, counters to stdout */
    bool want_line_buffered;
    bool want_reference;         /* --reference: plain path, no prefilters */
    const char *write_prefilter; /* build use: serialize the prefilter */
    const char
        *unmatched; /* --unmatched: where unknown texts go ("-": stdout) */
    enum rules_lang lang;
    const char *rules_dir;  /* --rules: replaces the built-in rules */
    const char **rules_add; /* --rules-add: layered over them */
    size_t n_rules_add;
    size_t max_line; /* classification window in bytes */
    /* Live monitoring (issue 4). */
    bool want_follow;        /* --follow/-F: follow the files by name */
    bool want_from_start;    /* --from-start: read what is there first */
    const char *stats_file;  /* --stats-file: rewritten atomically */
    unsigned stats_interval; /* --stats-interval seconds (default 15) */
    const char *listen;      /* --listen [ADDR:]PORT: HTTP /metrics */
    unsigned top_n;          /* --top N: labelled domains/relays (20) */
    /* Batch (issue 3). */
    unsigned jobs; /* -j N; 0: the number of cores */
    enum { PROGRESS_AUTO, PROGRESS_ON, PROGRESS_OFF } progress;
    struct only_item *only; /* owned */
    size_t n_only;
    char **operands; /* borrowed from argv */
    size_t n_operands;
};

enum opts_result { OPTS_RUN, OPTS_EXIT_OK, OPTS_EXIT_USAGE };

/*
 * Parse argv. OPTS_EXIT_OK after --help/--version (already printed);
 * OPTS_EXIT_USAGE after a usage error (already reported).
 */
enum opts_result opts_parse(int argc, char **argv, struct opts *o);
void opts_fini(struct opts *o);

/* True when an outcome passes the --only selectors (or there are none). */
bool opts_only_selects(const struct opts *o, enum sc_class cls,
                       enum sc_category cat, uint16_t reply,
                       const struct smtp_enhanced *enh);

#endif

/*
 * ruleload.c: rules and prefilter for a run, from the embedded sources,
 * --rules and --rules-add; problems reported as file:line: message.
 */
#include "ruleload.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"

#ifndef SMTPCLASS_VERSION
#define SMTPCLASS_VERSION "0.0.0"
#endif

struct export_names
export_names_of(const struct ruleset *rs)
{
    const struct export_names names = {rs->mta_names, rs->n_mtas,
                                       SMTPCLASS_VERSION, NULL};
    return names;
}

void
report_rule_problem(void *ctx, const char *file, unsigned line, const char *msg)
{
    (void)ctx;
    if (line > 0)
        sc_warnx("%s:%u: %s", file, line, msg);
    else
        sc_warnx("%s: %s", file, msg);
}

/* Built-in rules, or --rules DIR, plus --rules-add layers. */
struct ruleset *
load_rules(const struct opts *o, const char *check_dir)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;
    struct ruleset *rs = NULL;
    const char *const base = check_dir != NULL ? check_dir : o->rules_dir;
    /*
     * Explaining codes and merging snapshots match no line: they need the
     * tables, and regexes only checked (not even that for the built-in
     * rules, which the build checked).
     */
    const bool is_tables_only =
        o->mode == MODE_EXPLAIN || o->mode == MODE_MERGE;
    const unsigned flags = !is_tables_only ? 0
                           : base == NULL && o->n_rules_add == 0
                               ? RULES_LOAD_NO_REGEX
                               : RULES_LOAD_NO_JIT;
    int rc = 0;

    if (base != NULL)
        rc = rules_read_dir(base, 0, &src, &n_src, &err);
    for (size_t i = 0; rc == 0 && i < o->n_rules_add; i++)
        rc = rules_read_dir(o->rules_add[i], (unsigned)i + 1, &src, &n_src,
                            &err);
    if (rc != 0) {
        sc_warn_err(&err);
        rules_sources_free(src, n_src);
        return NULL;
    }
    if (base == NULL) {
        /* Borrowed embedded sources go first, as layer 0. */
        struct rules_source *all =
            calloc(rules_embedded_count + n_src, sizeof(*all));
        if (all == NULL)
            sc_die("out of memory");
        memcpy(all, rules_embedded, rules_embedded_count * sizeof(*all));
        if (n_src > 0)
            memcpy(all + rules_embedded_count, src, n_src * sizeof(*src));
        (void)rules_load_flags(all, rules_embedded_count + n_src, flags, &rs,
                               report_rule_problem, NULL);
        free(all);
    } else {
        (void)rules_load_flags(src, n_src, flags, &rs, report_rule_problem,
                               NULL);
    }
    rules_sources_free(src, n_src);
    return rs;
}

/* Built-in rules use the build-time databases; others compile now. */
struct prefilter *
load_prefilter(const struct opts *o, const struct ruleset *rs,
               const struct prefilter_blob *blob)
{
    struct sc_err err;
    struct prefilter *pf = NULL;

    if (o->want_reference)
        return NULL;
    if (o->rules_dir == NULL && o->n_rules_add == 0 && blob->len > 0)
        pf = prefilter_new_serialized(
            rs, prefilter_fingerprint(rules_embedded, rules_embedded_count),
            blob->bytes, blob->len, &err);
    if (pf == NULL)
        pf = prefilter_new(rs, &err);
    if (pf == NULL)
        sc_warnx("%s; using the slower plain path", err.msg);
    return pf;
}

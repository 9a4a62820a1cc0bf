/*
 * ruleload.h: the rules a run uses: the built-in ones (embedded at build
 * time) or --rules DIR, plus --rules-add layers; and their prefilter
 * databases (precompiled for the built-in rules, compiled now otherwise).
 */
#ifndef SMTPCLASS_RULELOAD_H
#define SMTPCLASS_RULELOAD_H

#include <stddef.h>

#include "export_names.h"
#include "opts.h"
#include "prefilter.h"
#include "rules.h"

/* The build-time prefilter of the built-in rules (empty in stage 1). */
struct prefilter_blob {
    const unsigned char *bytes;
    size_t len;
};

/* Prints a rules problem as "file:line: message" (a rules_report_fn). */
void report_rule_problem(void *ctx, const char *file, unsigned line,
                         const char *msg);

/*
 * Built-in rules, or --rules DIR (check_dir replaces both when given),
 * plus the --rules-add layers. NULL after reporting the problems.
 */
struct ruleset *load_rules(const struct opts *o, const char *check_dir);

/*
 * The prefilter for rs: blob when rs are the built-in rules, else
 * compiled. NULL with --reference, or after a warning (the plain path
 * then gives the same results, slower).
 */
struct prefilter *load_prefilter(const struct opts *o, const struct ruleset *rs,
                                 const struct prefilter_blob *blob);

/* How exporters name the rules' MTAs; no process figures (batch). */
struct export_names export_names_of(const struct ruleset *rs);

#endif

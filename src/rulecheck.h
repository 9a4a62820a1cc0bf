/*
 * rulecheck.h: run every rule's examples and near misses through the real
 * classifier, so a rule set proves itself (`--check-rules`, tests).
 */
#ifndef SMTPCLASS_RULECHECK_H
#define SMTPCLASS_RULECHECK_H

#include <stddef.h>

#include "rules.h"

/* Report each failing example via report; returns the number of failures. */
size_t rulecheck_run(const struct ruleset *rs, rules_report_fn *report,
                     void *ctx);

#endif

/*
 * filter.h: the filter mode: every input through the main loop (or the -j
 * runner, or follow mode), the live outputs kept current, the signals
 * acted on, the counters printed at the end. Returns the exit status.
 */
#ifndef SMTPCLASS_FILTER_H
#define SMTPCLASS_FILTER_H

#include "opts.h"
#include "ruleload.h"
#include "rules.h"

/* rs is borrowed (a reload may replace it inside, never freeing it). */
int filter_run(const struct opts *o, struct ruleset *rs,
               const struct prefilter_blob *blob);

#endif

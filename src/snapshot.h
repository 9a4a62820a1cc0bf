/*
 * snapshot.h: read back a JSON counters snapshot (the output of
 * `--stats=json`) and add it to a counters table, so that snapshots from
 * many hosts or archives can be summed exactly (`smtpclass merge`).
 */
#ifndef SMTPCLASS_SNAPSHOT_H
#define SMTPCLASS_SNAPSHOT_H

#include "counters.h"
#include "msg.h"
#include "rules.h"

/*
 * Parse the snapshot in path and add every total, series, label family row
 * and delay histogram to c (label families: the largest "top_n" of the
 * inputs wins, see toplabels_merge). The "process" object is per instance
 * and ignored. MTA names must be known to rs (borrowed). Returns 0, or -1
 * with err filled (nothing is added then).
 */
int snapshot_add_file(const char *path, const struct ruleset *rs,
                      struct counters *c, struct sc_err *err);

#endif

/*
 * parallel.h: -j N and the progress line. Files (and parts of a large plain
 * file) are processed on N threads; output comes out in input order, byte
 * for byte as with -j 1, and the counters are the same.
 */
#ifndef SMTPCLASS_PARALLEL_H
#define SMTPCLASS_PARALLEL_H

#include <stdbool.h>
#include <stddef.h>

#include "opts.h"
#include "prefilter.h"
#include "run.h"

/*
 * Default bytes per work unit of a plain file in count mode (a half of it
 * for tagged output, a quarter for JSON). The environment variable
 * SMTPCLASS_UNIT_BYTES overrides it (for tests: tiny units put boundaries
 * everywhere).
 */
#define PARALLEL_UNIT_BYTES (4u << 20)

/*
 * True when parallel_run() should process inputs[0..n) rather than the
 * sequential loop: the inputs are named files (no stdin), not in follow
 * mode, with no live outputs (--stats-file, --listen) and either more than
 * one thread has work or the progress line is wanted. Stats the files.
 */
bool parallel_is_wanted(const struct opts *o, char *const *inputs, size_t n);

/*
 * Process inputs[0..n) (borrowed) on o->jobs worker threads (0: one per
 * online core; 1 with --unmatched, whose groups depend on the order of
 * lines) and write their lines to run->out in input order. run (set up by
 * run_init) receives the sum of the counters and the flags (has_selected,
 * has_error, is_output_closed, has_write_error); its unmatched table, if
 * any, is filled. rs and pf are borrowed as in run_init. Problems are
 * reported on stderr as by run_input(). Stops early when *run->stop is set
 * or the output is gone. Returns false when the run must stop, like
 * run_input().
 */
bool parallel_run(struct run *run, const struct prefilter *pf,
                  char *const *inputs, size_t n);

#endif

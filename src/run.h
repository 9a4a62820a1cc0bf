/*
 * run.h: the main loop: inputs → lines → classification → output and
 * counters. One struct run per run; inputs are processed in order.
 */
#ifndef SMTPCLASS_RUN_H
#define SMTPCLASS_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "counters.h"
#include "match.h"
#include "opts.h"
#include "prefilter.h"
#include "reader.h"
#include "rules.h"

struct run {
    const struct opts *o;        /* borrowed */
    const struct ruleset *rs;    /* borrowed */
    struct counters *ctr;        /* owned */
    struct reader *reader;       /* owned */
    struct decomp *decomp;       /* the current input's decoder, owned */
    struct unmatched *unmatched; /* optional, borrowed: unknown texts */
    struct matcher m;
    FILE *out;                              /* line output, borrowed */
    const struct prefilter *pf;             /* NULL: the plain per-line path */
    struct prefilter_scratch *gate_scratch; /* owned when pf is set */
    const volatile sig_atomic_t *stop;      /* set by a signal handler */
    bool has_selected;      /* some line was classified (or selected) */
    bool has_error;         /* an input could not be read */
    bool is_output_closed;  /* the reader of our output went away (EPIPE) */
    bool has_write_error;   /* another write error (already reported) */
    const char *warned[64]; /* rules already warned about (regex limits) */
    size_t n_warned;
};

/*
 * pf (borrowed, may be NULL) lets the run skip lines that cannot carry an
 * outcome without running any regex on them; results are the same.
 */
void run_init(struct run *run, const struct opts *o, const struct ruleset *rs,
              const struct prefilter *pf, FILE *out,
              const volatile sig_atomic_t *stop);
void run_fini(struct run *run);

/*
 * Process one input: "-" is stdin, anything else a file path. Problems are
 * reported on stderr and recorded in run (has_error, ...). Returns false
 * when the run must stop (output gone, write error, signal).
 */
bool run_input(struct run *run, const char *path);

/* Flush the line output; records and reports a write error. */
void run_flush(struct run *run);

#endif

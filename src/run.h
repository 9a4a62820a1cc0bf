/*
 * run.h: the main loop: inputs → lines → classification → output and
 * counters. One struct run per run; inputs are processed in order.
 */
#ifndef SMTPCLASS_RUN_H
#define SMTPCLASS_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "counters.h"
#include "match.h"
#include "opts.h"
#include "prefilter.h"
#include "reader.h"
#include "rules.h"

struct run;

/* What the main loop tells its owner about (see run.hook). */
enum run_event {
    RUN_IDLE,     /* the input paused; output was just flushed */
    RUN_PERIODIC, /* every few thousand lines while the input flows */
    RUN_SIGNAL    /* *pending was set by a signal handler */
};

/*
 * The owner's hook. Returns false to stop: what is buffered is still
 * processed (a held partial line comes out as it is), then the input ends.
 */
typedef bool run_hook_fn(void *ctx, struct run *run, enum run_event ev);

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
    /* Set by any signal handler; interrupts blocked reads (default: stop) */
    const volatile sig_atomic_t *pending;
    run_hook_fn *hook; /* optional; without it, pending means stop */
    void *hook_ctx;
    bool is_stopping; /* the input is being drained after a stop */
    /* The output when it is a regular file: an input that is the same
     * file would read our own output back, without end. */
    bool is_out_file;
    dev_t out_dev;
    ino_t out_ino;
    /* The current input's pipe, drained without blocking after a stop. */
    int pipe_fd; /* -1: not a pipe */
    reader_read_fn *drain_fn;
    void *drain_ctx;
    struct timespec drain_deadline;
    bool has_selected;     /* some line was classified (or selected) */
    bool has_error;        /* an input could not be read */
    bool is_output_closed; /* the reader of our output went away (EPIPE) */
    bool has_write_error;  /* another write error (already reported) */
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

/*
 * Process one input read through fn (e.g. follow_read), named name in
 * messages; no decompression. Returns like run_input().
 */
bool run_input_source(struct run *run, const char *name, reader_read_fn *fn,
                      void *ctx);

/*
 * Use other rules from the next line on (a reload); rs and pf are
 * borrowed like run_init()'s.
 */
void run_set_rules(struct run *run, const struct ruleset *rs,
                   const struct prefilter *pf);

/* Flush the line output; records and reports a write error. */
void run_flush(struct run *run);

#endif

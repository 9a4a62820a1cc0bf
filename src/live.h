/*
 * live.h: the monitoring side of a run: the Prometheus endpoint
 * (--listen), the counters file (--stats-file) and the process figures
 * (reloads, rotations, staleness). The main thread renders the counters
 * and hands the text over; nothing here reads counters from another
 * thread, so every snapshot is consistent.
 */
#ifndef SMTPCLASS_LIVE_H
#define SMTPCLASS_LIVE_H

#include <stdbool.h>

#include "counters.h"
#include "export_names.h"
#include "msg.h"
#include "opts.h"

struct live;

/*
 * Open the stats file (taking its lock) and start the endpoint, as o asks.
 * Returns NULL with err set when either cannot be set up (exit 2).
 * Call before other threads exist: signals are blocked in the endpoint's
 * thread so they reach the main thread's blocked read.
 */
struct live *live_new(const struct opts *o, struct sc_err *err);
void live_free(struct live *l);

/* True when there is an endpoint or a stats file to keep up to date. */
bool live_is_active(const struct live *l);

/* The process figures, for the caller to update (reloads, rotations). */
struct counter_process *live_process(struct live *l);

/*
 * Render the counters for the endpoint if they changed since the last
 * call (or always with force). names->process is set here.
 */
void live_publish(struct live *l, const struct counters *c,
                  const struct export_names *names, bool force);

/* Publish, then rewrite the stats file now (interval, SIGUSR1, exit). */
void live_write_file(struct live *l, const struct counters *c,
                     const struct export_names *names);

/*
 * The input paused. True when the endpoint was brought up to date less
 * than 100 ms ago: then a timer raises SIGNAL_PUBLISH at the end of those
 * 100 ms, and the caller publishes on that signal instead of now. False:
 * publish now.
 */
bool live_publish_later(struct live *l);

/* Seconds since the last publish (CLOCK_MONOTONIC). */
double live_since_publish(const struct live *l);

#endif

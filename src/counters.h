/*
 * counters.h: aggregated outcome counts in a hash table keyed with XXH3,
 * plus the run's totals, the bounded label families (recipient domain,
 * relay; toplabels.h) and the delivery delay histograms. Adding a key that
 * exists allocates nothing; a new key may grow the table (geometrically),
 * so steady-state lines allocate nothing.
 */
#ifndef SMTPCLASS_COUNTERS_H
#define SMTPCLASS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"
#include "toplabels.h"

/*
 * One counter series. All fields are small integers: names come from
 * taxonomy.h (event, cls, category) and from the ruleset (mta index).
 * reply == 0 means "no reply code"; enh_class == 0 means "no enhanced code".
 * The struct has no padding, so it is hashed and compared as bytes.
 */
struct counter_key {
    uint16_t mta;
    uint16_t reply;
    uint16_t enh_subject;
    uint16_t enh_detail;
    uint8_t event;
    uint8_t cls;
    uint8_t enh_class;
    uint8_t category;
};
_Static_assert(sizeof(struct counter_key) == 12, "counter_key has padding");

/*
 * Run totals. Invariant kept by the caller (main):
 * lines_read == lines_with_outcome + lines_without_outcome, and
 * lines_with_outcome == the sum of all series counts.
 */
struct counter_totals {
    uint64_t lines_read;
    uint64_t lines_with_outcome;
    uint64_t lines_without_outcome;
    uint64_t lines_unknown_category;
    uint64_t lines_overlong;
    uint64_t lines_regex_limit;   /* a rule hit a PCRE2 resource limit */
    uint64_t lines_series_folded; /* counted under COUNTER_ENH_OTHER */
    uint64_t bytes_read;
};

/*
 * Enhanced codes come from the log, so a hostile log could create a series
 * per code. Past COUNTERS_SERIES_CAP series, a new key's enhanced code is
 * folded into enh_class COUNTER_ENH_OTHER (exported as "__other__"); the
 * other key fields come from the rules and are bounded by them.
 */
#define COUNTERS_SERIES_CAP 10000u
#define COUNTER_ENH_OTHER 0xffu

struct counters;

/* Owned; release with counters_free(). */
struct counters *counters_new(void);
void counters_free(struct counters *c);

/* Add n to the series for key, creating it at 0 first if needed. */
void counters_add(struct counters *c, const struct counter_key *key,
                  uint64_t n);

/* Count of one series (0 if absent). */
uint64_t counters_get(const struct counters *c, const struct counter_key *key);

/* Number of distinct series. */
size_t counters_size(const struct counters *c);

/* The totals, borrowed for the lifetime of c; main updates them in place. */
struct counter_totals *counters_totals(struct counters *c);
const struct counter_totals *counters_totals_const(const struct counters *c);

/*
 * Add every series, total, label family and histogram of src to dst (for
 * merging per-thread tables and snapshots). Label families: see
 * toplabels_merge(); the export keeps the largest top_n values.
 */
void counters_merge(struct counters *dst, const struct counters *src);

/*
 * Visit every series in a stable order: by class, category, reply, enhanced
 * code (class, subject, detail), mta, event. The key pointer is borrowed
 * for the duration of the call. A visitor returning non-zero stops the walk
 * and that value is returned. Allocates a temporary index.
 */
typedef int counters_visit_fn(void *ctx, const struct counter_key *key,
                              uint64_t count);
int counters_visit_sorted(const struct counters *c, counters_visit_fn *fn,
                          void *ctx);

/* Debug check of the table's invariants; aborts on a violation. */
void counters_check(const struct counters *c);

/* ---- Label families with values from the input (toplabels.h) ---- */

enum counter_family {
    COUNTER_FAMILY_RCPT_DOMAIN, /* recipient domain of the outcome */
    COUNTER_FAMILY_RELAY,       /* relay host of the outcome */
    COUNTER_FAMILY_COUNT
};

/* --top's default: labelled values per family. */
#define COUNTERS_TOP_N_DEFAULT 20

/*
 * Labelled values per family (top_n) and how values are admitted
 * (toplabels.h): is_live keeps labels sticky for Prometheus (a pool of
 * top_n, a value gets a free slot at its second sighting); batch pools
 * COUNTERS_BATCH_POOL_MIN or 4 * top_n values, whichever is more, at their
 * first line and exports the top_n largest. A new table is batch with
 * COUNTERS_TOP_N_DEFAULT. Changing the setting is allowed only while no
 * label was added; setting it again is a no-op and cheap.
 */
#define COUNTERS_BATCH_POOL_MIN 1024
void counters_configure_labels(struct counters *c, unsigned top_n,
                               bool is_live);

/* Count one line with an outcome of class cls under value (raw input). */
void counters_add_label(struct counters *c, enum counter_family f,
                        struct span value, unsigned cls);

/* The family's table, borrowed for the lifetime of c. */
const struct toplabels *counters_labels(const struct counters *c,
                                        enum counter_family f);
struct toplabels *counters_labels_mut(struct counters *c,
                                      enum counter_family f);

/* ---- Delivery delay histograms, per (mta, event) ---- */

/*
 * Upper bounds of the finite buckets in milliseconds (0.1 s ... 1 day);
 * the last bucket, COUNTERS_DELAY_N_BOUNDS, is +Inf. Delays are integer
 * milliseconds, so sums are exact and merges are order-independent.
 */
#define COUNTERS_DELAY_N_BOUNDS 12
#define COUNTERS_DELAY_N_BUCKETS (COUNTERS_DELAY_N_BOUNDS + 1)
extern const uint64_t counters_delay_bounds_ms[COUNTERS_DELAY_N_BOUNDS];

/*
 * One histogram. buckets[] are not cumulative: buckets[i] counts delays d
 * with bounds[i-1] < d <= bounds[i]. count == the sum of buckets.
 * sum_ms wraps after 5.8 * 10^8 years of summed delay.
 */
struct counter_delay {
    uint16_t mta;
    uint8_t event;
    uint64_t count;
    uint64_t sum_ms;
    uint64_t buckets[COUNTERS_DELAY_N_BUCKETS];
};

/* Record one delay. */
void counters_add_delay(struct counters *c, uint16_t mta, uint8_t event,
                        uint64_t delay_ms);

/* Add a whole histogram (d->mta, d->event name it), e.g. from a snapshot. */
void counters_add_delay_histogram(struct counters *c,
                                  const struct counter_delay *d);

/*
 * Visit every histogram by mta, then event; d is borrowed for the call.
 * Stops when the visitor returns non-zero, returning that value.
 */
typedef int counters_delay_visit_fn(void *ctx, const struct counter_delay *d);
int counters_visit_delays(const struct counters *c, counters_delay_visit_fn *fn,
                          void *ctx);

/*
 * The process's own figures in live mode (follow, --stats-file, --listen):
 * filled by main, rendered when export_names.process is set.
 */
struct counter_process {
    uint64_t rules_reloads;
    uint64_t rules_reload_failures;
    bool rules_last_reload_ok;
    uint64_t file_rotations;
    uint64_t file_truncations;
    uint64_t input_open_errors;
    uint64_t textfile_write_errors;
    double last_line_timestamp; /* seconds since the epoch, 0 = no line yet */
    double last_write_timestamp;
};

#endif

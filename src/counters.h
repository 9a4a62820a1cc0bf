/*
 * counters.h: aggregated outcome counts in a hash table keyed with XXH3,
 * plus the run's totals. Adding a key that exists allocates nothing; a new
 * key may grow the table (geometrically), so steady-state lines allocate
 * nothing.
 */
#ifndef SMTPCLASS_COUNTERS_H
#define SMTPCLASS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    uint64_t lines_regex_limit; /* a rule hit a PCRE2 resource limit */
    uint64_t bytes_read;
};

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

/* Add every series and total of src to dst (for merging per-thread tables). */
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

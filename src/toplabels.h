/*
 * toplabels.h: one label family whose values come from the input
 * (recipient domains, relay hosts), counted per class, with a fixed
 * ceiling: the export labels at most top_n values, the ones with the most
 * lines, and counts everything else under TOPLABELS_OTHER. A log with a
 * million distinct values creates no more series and uses no more memory
 * than one with pool values.
 *
 * Values are tracked in a pool of at most `pool` slots; a value in the
 * pool is counted exactly from the line it entered on, and never leaves.
 * Two ways to use it:
 *
 * - Live (pool == top_n, admit_after 2): every pooled value is exported,
 *   so a labelled value stays labelled and the other row never goes down
 *   (Prometheus counters must be monotonic). While slots are free, a value
 *   gets one once it has been seen admit_after times while it was a
 *   candidate in a Space-Saving sketch of 4 * pool values: one-off values
 *   do not hold slots for the life of the process. Lines of a value before
 *   it got its slot stay under other (they may already have been exported).
 * - Batch (pool >= top_n, admit_after 1): the first pool distinct values
 *   get slots at their first line, and the export picks the top_n with the
 *   most lines. With no more than pool distinct values the figures are
 *   exact, and merging tables of parts of the input (threads) gives what
 *   the whole input gives.
 *
 * Once all slots are taken the sketch is dropped and a line costs one hash
 * lookup. Keys are hashed with XXH3 into an open-addressing index whose
 * probe sequences are cut at TOPLABELS_PROBE_MAX: a value that finds no
 * slot within that many probes is counted under other, so even a flood of
 * keys that all collide costs a bounded amount of work per line (RC-80).
 */
#ifndef SMTPCLASS_TOPLABELS_H
#define SMTPCLASS_TOPLABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* Classes are small integers below this (taxonomy's enum sc_class). */
#define TOPLABELS_N_CLASSES 8
/* Longest label value; longer values are invalid (counted under other). */
#define TOPLABELS_VALUE_MAX 128
/* Probes before a lookup or an insertion gives up. */
#define TOPLABELS_PROBE_MAX 16
/* The label value of everything not labelled: not a hostname, so no
 * input value can ever be printed as it. */
#define TOPLABELS_OTHER "__other__"

/* Why a line was counted under other. */
enum toplabels_drop {
    TOPLABELS_DROP_UNLABELLED, /* no slot: full, or not admitted yet */
    TOPLABELS_DROP_INVALID,    /* not a sane hostname (or too long) */
    TOPLABELS_DROP_COUNT
};

struct toplabels;

/* Hash function for the index (tests replace it to force collisions). */
typedef uint64_t toplabels_hash_fn(const void *p, size_t len);

/*
 * Owned; release with toplabels_free(). Memory is allocated here, once,
 * and depends only on pool (merges may grow it; see toplabels_merge).
 * pool >= top_n; admit_after >= 1.
 */
struct toplabels *toplabels_new(unsigned top_n, unsigned pool,
                                unsigned admit_after);
void toplabels_free(struct toplabels *t);

/* Replace the hash function; only on an empty table. For tests. */
void toplabels_set_hash(struct toplabels *t, toplabels_hash_fn *fn);

unsigned toplabels_top_n(const struct toplabels *t);
unsigned toplabels_pool(const struct toplabels *t);
unsigned toplabels_admit_after(const struct toplabels *t);

/* True when nothing was ever added. */
bool toplabels_is_empty(const struct toplabels *t);

/*
 * Normalise a value from the input: ASCII lowercased, one trailing dot
 * dropped; then it must be 1..TOPLABELS_VALUE_MAX bytes of [a-z0-9.-_:]
 * and not TOPLABELS_OTHER. Writes the result (not NUL-terminated) to out.
 */
bool toplabels_normalize(struct span in, char out[TOPLABELS_VALUE_MAX],
                         size_t *out_len);

/*
 * Count one line with value (raw, from the input) and class cls. An
 * invalid value, or one without a slot, is counted under other. Allocates
 * nothing.
 */
void toplabels_add(struct toplabels *t, struct span value, unsigned cls);

/*
 * Add n lines of class cls to value as a pooled value, whatever pool
 * says (merging; the export caps). Returns false, adding nothing, when
 * the value is not valid (toplabels_normalize). A value that finds no
 * slot in the index is counted under other instead.
 */
bool toplabels_add_labelled(struct toplabels *t, struct span value,
                            unsigned cls, uint64_t n);
void toplabels_add_other(struct toplabels *t, unsigned cls, uint64_t n);
void toplabels_add_dropped(struct toplabels *t, enum toplabels_drop why,
                           uint64_t n);

/*
 * Add all of src to dst: pooled values are summed per value and class
 * (dst may then hold more than pool of them: the export keeps the top_n
 * largest), other and dropped are summed. top_n and pool become the larger
 * of the two; an empty src does not count, and an empty dst takes src's.
 */
void toplabels_merge(struct toplabels *dst, const struct toplabels *src);

/* One row of the export; value is NUL-terminated, borrowed for the call. */
struct toplabels_row {
    const char *value; /* TOPLABELS_OTHER for the other row */
    bool is_other;
    uint64_t total;
    uint64_t counts[TOPLABELS_N_CLASSES];
};
typedef int toplabels_visit_fn(void *ctx, const struct toplabels_row *row);

/*
 * Whether an exporter writes row's count for class cls: when it is not 0,
 * and always for the other row of success, transient and permanent, so
 * those series exist (at 0) from the start.
 */
bool toplabels_row_shows_class(const struct toplabels_row *row, unsigned cls);

/*
 * Visit at most top_n pooled values, most lines first (ties by value),
 * then the other row, always, holding the lines of every value beyond
 * top_n too. dropped (may be NULL) receives the drop counts as exported:
 * lines of values beyond top_n count as unlabelled. A visitor returning
 * non-zero stops the walk; that value is returned. Allocates a temporary
 * index.
 */
int toplabels_visit(const struct toplabels *t, toplabels_visit_fn *fn,
                    void *ctx, uint64_t dropped[TOPLABELS_DROP_COUNT]);

/* Pooled values held (may exceed pool after a merge). */
size_t toplabels_n_labelled(const struct toplabels *t);

/* Debug check of the invariants; aborts on a violation. */
void toplabels_check(const struct toplabels *t);

#endif

/*
 * prefilter.h: Hyperscan databases built from the ruleset, so that the
 * regex work per line does not grow with the number of rules. Three uses:
 *  - the gate: one scan over a whole buffer of lines finds the lines that
 *    could carry an outcome (they contain an event rule's `need` literal or
 *    a code-like token); all other lines are counted and passed on without
 *    any per-line regex;
 *  - the reason filter: one scan of a diagnostic text gives the reason
 *    rules that could match; only those are confirmed with PCRE2.
 *  - the claim filter: the same for the MTAs' `line` patterns, which
 *    claim lines that carry no program tag.
 * Patterns are compiled in Hyperscan's prefilter mode, which may report
 * more than PCRE2 would match but never less, so results stay exact.
 */
#ifndef SMTPCLASS_PREFILTER_H
#define SMTPCLASS_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "rules.h"
#include "span.h"

struct prefilter;
struct prefilter_scratch;

/*
 * Build the databases for rs (borrowed; must outlive the prefilter).
 * Returns NULL with err filled when Hyperscan cannot be used (unsupported
 * CPU, compile failure): callers then take the plain path.
 */
struct prefilter *prefilter_new(const struct ruleset *rs, struct sc_err *err);
void prefilter_free(struct prefilter *pf);

/*
 * Serialize pf for embedding (owned bytes, free()); fingerprint names the
 * rule sources pf was built from. Returns 0, or -1 with err filled.
 */
int prefilter_serialize(const struct prefilter *pf, uint64_t fingerprint,
                        char **bytes, size_t *len, struct sc_err *err);

/*
 * Rebuild a prefilter for rs from prefilter_serialize() bytes. Returns NULL
 * (err filled) when the bytes do not fit: other fingerprint, other
 * Hyperscan version or CPU. The caller then uses prefilter_new().
 */
struct prefilter *prefilter_new_serialized(const struct ruleset *rs,
                                           uint64_t fingerprint,
                                           const void *bytes, size_t len,
                                           struct sc_err *err);

/* A fingerprint of rule sources (names and bytes, in order). */
uint64_t prefilter_fingerprint(const struct rules_source *src, size_t n_src);

/* Per-thread working memory; owned, release with prefilter_scratch_free. */
struct prefilter_scratch *prefilter_scratch_new(const struct prefilter *pf);
void prefilter_scratch_free(struct prefilter_scratch *s);

/* True when the gate is usable: every event rule has a pre-check. */
bool prefilter_has_gate(const struct prefilter *pf);

/*
 * Scan block (complete lines) and mark candidate lines: *starts receives
 * the offsets of the first byte of each candidate line, ascending, without
 * duplicates. The array is owned by the scratch and valid until the next
 * call. Returns the number of candidates.
 */
size_t prefilter_gate(const struct prefilter *pf, struct prefilter_scratch *s,
                      struct span block, const size_t **starts);

/*
 * The reason rules that may match text: sets bit i of hits (an array of
 * rules_reason_words(rs) uint64_t) for every candidate rule i. Rules the
 * prefilter cannot judge are always set.
 */
void prefilter_reasons(const struct prefilter *pf, struct prefilter_scratch *s,
                       struct span text, uint64_t *hits);

/* Words of 64 bits needed for one bit per reason rule. */
size_t prefilter_reason_words(const struct prefilter *pf);

/*
 * The MTAs whose `line` pattern may match text (a line without a program
 * tag): sets bit i of hits (prefilter_claim_words() words) for each
 * candidate MTA i, as prefilter_reasons() does for reason rules.
 */
void prefilter_claims(const struct prefilter *pf, struct prefilter_scratch *s,
                      struct span text, uint64_t *hits);
size_t prefilter_claim_words(const struct prefilter *pf);

#endif

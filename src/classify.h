/*
 * classify.h: one log line → its outcome: MTA, event, reply code, enhanced
 * code, class, category and the fields worth counting. The whole per-line
 * pipeline behind one call; no allocation.
 */
#ifndef SMTPCLASS_CLASSIFY_H
#define SMTPCLASS_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "logline.h"
#include "match.h"
#include "smtpcode.h"
#include "taxonomy.h"

/*
 * has_outcome is false for lines without a code or an event; then only
 * mta and the logline are meaningful. Spans borrow from the line.
 */
struct outcome {
    bool has_outcome;
    uint16_t mta;
    enum sc_event event;
    enum sc_class cls;
    enum sc_category category;
    uint16_t reply;           /* 0 when absent */
    struct smtp_enhanced enh; /* cls 0 when absent */
    int event_rule;  /* the event rule that matched (even without outcome) */
    int reason_rule; /* index into ruleset.reasons, or -1 */
    /* A rule whose regex hit a resource limit on this line, or NULL; the
     * line is then reported with category unknown. */
    const char *limit_rule;
    struct logline ll;
    struct span queue_id, sender_domain, rcpt_domain, relay, client, reason;
    /* The relay's host name (or address) alone (fields_relay_host). */
    struct span relay_host;
    /* The delivery delay, when the line gives one (fields_delay_ms). */
    bool has_delay;
    uint64_t delay_ms;
};

/*
 * Classify one line (without '\n'; a trailing '\r' is ignored). window
 * bounds how many bytes the rules look at (the rest is not read).
 */
void classify_line(struct matcher *m, struct span line, size_t window,
                   struct outcome *out);

/*
 * For a line known to carry no outcome (the gate ruled it out): only the
 * prefix and the MTA, as classify_line would give them.
 */
void classify_line_without_outcome(struct matcher *m, struct span line,
                                   size_t window, struct outcome *out);

/*
 * The category the codes alone give (enhanced code first, then the reply
 * code), CAT_NONE when they give none. Used by classify_line and by
 * `smtpclass explain`.
 */
enum sc_category classify_category_from_codes(const struct ruleset *rs,
                                              uint16_t reply,
                                              const struct smtp_enhanced *e);

/* The counter key of an outcome. */
void classify_counter_key(const struct outcome *o, struct counter_key *key);

#endif

/*
 * signals.h: what the signal handlers tell the main loop. Handlers only set
 * these flags; every signal also sets signals_pending, which interrupts a
 * blocked read (no SA_RESTART), so the loop acts at once.
 */
#ifndef SMTPCLASS_SIGNALS_H
#define SMTPCLASS_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t stop_requested;   /* TERM, INT */
extern volatile sig_atomic_t reload_requested; /* HUP */
extern volatile sig_atomic_t dump_requested;   /* USR1 */
extern volatile sig_atomic_t tick_requested;   /* ALRM: --stats-interval */
extern volatile sig_atomic_t signal_pending;   /* any of them */

/*
 * TERM and INT always (a second one kills); with is_filter also HUP, USR1
 * and ALRM. SIGPIPE is ignored: a closed output shows as EPIPE.
 */
void signals_install(bool is_filter);

#endif

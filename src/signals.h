/*
 * signals.h: what the signal handlers tell the main loop. Handlers only set
 * these flags; every signal also sets signal_pending. Reads wait in poll(),
 * which a signal interrupts even with SA_RESTART, so the loop acts at once.
 */
#ifndef SMTPCLASS_SIGNALS_H
#define SMTPCLASS_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t stop_requested;    /* TERM, INT */
extern volatile sig_atomic_t reload_requested;  /* HUP */
extern volatile sig_atomic_t dump_requested;    /* USR1 */
extern volatile sig_atomic_t tick_requested;    /* ALRM: --stats-interval */
extern volatile sig_atomic_t publish_requested; /* SIGNAL_PUBLISH */
extern volatile sig_atomic_t signal_pending;    /* any of them */

/*
 * The endpoint's deferred publish (live.c's timer). A real-time signal, so
 * it is never merged with a pending ALRM of the --stats-file timer.
 */
#define SIGNAL_PUBLISH SIGRTMIN

/*
 * TERM and INT always (a second one kills); with is_filter also HUP, USR1,
 * ALRM and SIGNAL_PUBLISH. SIGPIPE is ignored: a closed output shows as
 * EPIPE.
 */
void signals_install(bool is_filter);

#endif

/*
 * signals.c: the handlers. Async-signal-safe: they set flags, and a second
 * TERM/INT restores the default action and raises it again.
 */
#include "signals.h"

#include <string.h>

volatile sig_atomic_t stop_requested;
volatile sig_atomic_t reload_requested;
volatile sig_atomic_t dump_requested;
volatile sig_atomic_t tick_requested;
volatile sig_atomic_t signal_pending;

static void
on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
        if (stop_requested) {
            /* A second one: the user means it; die by the signal. */
            (void)signal(sig, SIG_DFL);
            (void)raise(sig);
        }
        stop_requested = 1;
        break;
    case SIGHUP:
        reload_requested = 1;
        break;
    case SIGUSR1:
        dump_requested = 1;
        break;
    case SIGALRM:
        tick_requested = 1;
        break;
    default:
        break;
    }
    signal_pending = 1;
}

void
signals_install(bool is_filter)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    /* No SA_RESTART: a blocked read must return so we can act. */
    sa.sa_handler = on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    if (is_filter) {
        /* HUP reloads the rules (a hung-up terminal no longer kills a
         * pipeline), USR1 writes the counters, ALRM paces --stats-file. */
        (void)sigaction(SIGHUP, &sa, NULL);
        (void)sigaction(SIGUSR1, &sa, NULL);
        (void)sigaction(SIGALRM, &sa, NULL);
    }
    /* A closed output pipe shows as EPIPE, handled like ripgrep does. */
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
}

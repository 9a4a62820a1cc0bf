/*
 * signals.c: the handlers. Async-signal-safe: they set flags, and a second
 * TERM/INT (a second or more after the first) restores the default action
 * and raises it again.
 */
#include "signals.h"

#include <string.h>
#include <time.h>

volatile sig_atomic_t stop_requested;
volatile sig_atomic_t reload_requested;
volatile sig_atomic_t dump_requested;
volatile sig_atomic_t tick_requested;
volatile sig_atomic_t publish_requested;
volatile sig_atomic_t signal_pending;

/* When the first TERM/INT came (CLOCK_MONOTONIC, whole seconds). */
static volatile sig_atomic_t stop_second;

/*
 * Whole seconds on CLOCK_MONOTONIC; clock_gettime is async-signal-safe.
 */
static long
now_seconds(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long)ts.tv_sec;
}

static void
on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
        /*
         * A second one a second or more later: the user means it; die by
         * the signal. One right after the first is the same request sent
         * twice (timeout(1) signals the child and its process group; a
         * terminal's ^C reaches every process of the pipeline).
         */
        if (stop_requested && now_seconds() - (long)stop_second >= 1) {
            (void)signal(sig, SIG_DFL);
            (void)raise(sig);
        }
        if (!stop_requested)
            stop_second = (sig_atomic_t)now_seconds();
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
        /* SIGRTMIN is not a constant: no case label for it. */
        if (sig == SIGNAL_PUBLISH)
            publish_requested = 1;
        break;
    }
    signal_pending = 1;
}

void
signals_install(bool is_filter)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    /*
     * SA_RESTART: a write blocked on a slow reader goes on after the
     * handler. Without it the write fails with EINTR and stdio drops the
     * rest of its buffer, so output would be lost. Blocking reads are
     * preceded by poll() (reader_read_fd, follow.c), which a signal
     * interrupts even with SA_RESTART, so we can still act at once.
     */
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    if (is_filter) {
        /* HUP reloads the rules (a hung-up terminal no longer kills a
         * pipeline), USR1 writes the counters, ALRM paces --stats-file,
         * SIGNAL_PUBLISH brings the endpoint up to date. */
        (void)sigaction(SIGHUP, &sa, NULL);
        (void)sigaction(SIGUSR1, &sa, NULL);
        (void)sigaction(SIGALRM, &sa, NULL);
        (void)sigaction(SIGNAL_PUBLISH, &sa, NULL);
    }
    /* A closed output pipe shows as EPIPE, handled like ripgrep does. */
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
}

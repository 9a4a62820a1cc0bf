/*
 * live.c: render → publish. The counters are rendered on the main thread
 * (they are only ever touched there) into memory, then copied to the
 * endpoint and written to the stats file. The stats file gets the --stats
 * format (prometheus by default in live use), the endpoint always the
 * Prometheus text format.
 */
#include "live.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export_json.h"
#include "export_prom.h"
#include "export_text.h"
#include "httpd.h"
#include "msg.h"
#include "signals.h"
#include "statsfile.h"
#include "xalloc.h"

/*
 * The endpoint is brought up to date when the input pauses, but at most
 * this often: a pipe that cat fills "pauses" after nearly every read, and
 * each rendering of the counters costs as much as classifying some 300
 * lines (about 0.3 ms on the 765k-line test log).
 */
#define LIVE_PUBLISH_GAP_NS 100000000L /* 100 ms */

struct live {
    enum opts_stats file_format;
    struct statsfile *file; /* NULL without --stats-file */
    struct httpd *httpd;    /* NULL without --listen */
    struct counter_process process;
    uint64_t lines_at_publish; /* lines_read when last published */
    bool has_published;
    struct timespec published_at; /* CLOCK_MONOTONIC */
    bool has_timer;
    timer_t publish_timer; /* one-shot, raises SIGNAL_PUBLISH */
};

static double
now_realtime(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct live *
live_new(const struct opts *o, struct sc_err *err)
{
    struct live *const l = xcalloc(1, sizeof(*l));

    l->process.rules_last_reload_ok = true;
    l->file_format = o->stats == STATS_NONE ? STATS_PROM : o->stats;
    if (o->stats_file != NULL &&
        (l->file = statsfile_open(o->stats_file, err)) == NULL) {
        live_free(l);
        return NULL;
    }
    if (o->listen != NULL) {
        /* The endpoint's thread inherits this mask: our signals must
         * interrupt the main thread's blocked read, not land there. */
        sigset_t block, old;
        (void)sigemptyset(&block);
        (void)sigaddset(&block, SIGTERM);
        (void)sigaddset(&block, SIGINT);
        (void)sigaddset(&block, SIGHUP);
        (void)sigaddset(&block, SIGUSR1);
        (void)sigaddset(&block, SIGALRM);
        (void)sigaddset(&block, SIGNAL_PUBLISH);
        (void)pthread_sigmask(SIG_BLOCK, &block, &old);
        l->httpd = httpd_start(o->listen, err);
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (l->httpd == NULL) {
            live_free(l);
            return NULL;
        }
        struct sigevent sev;
        memset(&sev, 0, sizeof(sev));
        sev.sigev_notify = SIGEV_SIGNAL;
        sev.sigev_signo = SIGNAL_PUBLISH;
        l->has_timer =
            timer_create(CLOCK_MONOTONIC, &sev, &l->publish_timer) == 0;
        if (!l->has_timer) /* every pause publishes then */
            sc_warn("timer_create");
    }
    return l;
}

void
live_free(struct live *l)
{
    if (l == NULL)
        return;
    if (l->has_timer)
        (void)timer_delete(l->publish_timer);
    httpd_stop(l->httpd);
    statsfile_close(l->file);
    free(l);
}

bool
live_is_active(const struct live *l)
{
    return l != NULL && (l->file != NULL || l->httpd != NULL);
}

struct counter_process *
live_process(struct live *l)
{
    return &l->process;
}

double
live_since_publish(const struct live *l)
{
    struct timespec now;

    if (!l->has_published)
        return 1e9;
    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - l->published_at.tv_sec) +
           (double)(now.tv_nsec - l->published_at.tv_nsec) / 1e9;
}

bool
live_publish_later(struct live *l)
{
    if (l == NULL || l->httpd == NULL || !l->has_timer ||
        live_since_publish(l) >= LIVE_PUBLISH_GAP_NS / 1e9)
        return false;
    struct itimerspec due;
    memset(&due, 0, sizeof(due));
    due.it_value = l->published_at;
    due.it_value.tv_nsec += LIVE_PUBLISH_GAP_NS;
    if (due.it_value.tv_nsec >= 1000000000L) {
        due.it_value.tv_sec++;
        due.it_value.tv_nsec -= 1000000000L;
    }
    /* An absolute time: arming again for the same gap changes nothing,
     * and a time already past fires at once. */
    return timer_settime(l->publish_timer, TIMER_ABSTIME, &due, NULL) == 0;
}

/* The counters in fmt, in memory; NULL when out of memory. */
static char *
render(enum opts_stats fmt, const struct counters *c,
       const struct export_names *names, size_t *len)
{
    char *text = NULL;
    FILE *const f = open_memstream(&text, len);
    int rc = 0;

    if (f == NULL)
        return NULL;
    switch (fmt) {
    case STATS_JSON:
        rc = export_json_write(f, c, names);
        break;
    case STATS_TEXT:
        rc = export_text_write(f, c, names);
        break;
    case STATS_PROM:
    case STATS_NONE:
        rc = export_prom_write(f, c, names);
        break;
    }
    if (fclose(f) != 0 || rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Staleness: the wall-clock time at which lines were last seen. */
static void
note_progress(struct live *l, const struct counters *c)
{
    const uint64_t lines = counters_totals_const(c)->lines_read;

    if (lines != l->lines_at_publish) {
        l->lines_at_publish = lines;
        l->process.last_line_timestamp = now_realtime();
    }
    if (l->file != NULL)
        l->process.textfile_write_errors = statsfile_errors(l->file);
}

void
live_publish(struct live *l, const struct counters *c,
             const struct export_names *names, bool force)
{
    const uint64_t lines = counters_totals_const(c)->lines_read;

    if (l == NULL || l->httpd == NULL ||
        (!force && l->has_published && lines == l->lines_at_publish))
        return;
    note_progress(l, c);
    struct export_names with_process = *names;
    with_process.process = &l->process;
    size_t len = 0;
    char *const text = render(STATS_PROM, c, &with_process, &len);
    if (text != NULL)
        httpd_publish(l->httpd, text, len);
    free(text);
    l->has_published = true;
    (void)clock_gettime(CLOCK_MONOTONIC, &l->published_at);
}

void
live_write_file(struct live *l, const struct counters *c,
                const struct export_names *names)
{
    if (l == NULL)
        return;
    live_publish(l, c, names, true);
    if (l->file == NULL)
        return;
    note_progress(l, c);
    l->process.last_write_timestamp = now_realtime();
    struct export_names with_process = *names;
    with_process.process = &l->process;
    size_t len = 0;
    char *const text = render(l->file_format, c, &with_process, &len);
    if (text == NULL) {
        sc_warnx("out of memory rendering the counters");
        return;
    }
    (void)statsfile_write(l->file, text, len);
    free(text);
}

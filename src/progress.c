/*
 * progress.c: the progress line of a batch run. Workers only add to an
 * atomic byte count; the drawing thread formats the line from that count and
 * the time since the start (average speed, so the estimate does not jump).
 * It does not decide whether to show a line at all (parallel.c does).
 */
#include "progress.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "xalloc.h"

/*
 * Invariants: len_drawn is the visible length of the line now on out (0:
 * nothing drawn, or erased); last_ns is when it was drawn.
 */
struct progress {
    FILE *out;
    bool is_tty;
    bool has_drawn;
    uint64_t total;
    atomic_uint_fast64_t done;
    uint64_t start_ns;
    uint64_t last_ns;
    size_t len_drawn;
};

static uint64_t
now_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct progress *
progress_new(FILE *out, bool is_tty, uint64_t total)
{
    struct progress *const p = xcalloc(1, sizeof(*p));

    p->out = out;
    p->is_tty = is_tty;
    p->total = total;
    atomic_init(&p->done, 0);
    p->start_ns = now_ns();
    return p;
}

void
progress_free(struct progress *p)
{
    if (p == NULL)
        return;
    progress_clear(p);
    free(p);
}

void
progress_add(struct progress *p, uint64_t n)
{
    if (p != NULL && n > 0)
        atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed);
}

/* Decimal units, as MB/s is everywhere else (bench.sh, RESULTS.md). */
static void
format_bytes(char *buf, size_t cap, uint64_t n)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;

    while (v >= 1000.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        (void)snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        (void)snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

static void
format_duration(char *buf, size_t cap, uint64_t s)
{
    if (s >= 3600)
        (void)snprintf(buf, cap, "%llu:%02u:%02u",
                       (unsigned long long)(s / 3600), (unsigned)(s / 60 % 60),
                       (unsigned)(s % 60));
    else
        (void)snprintf(buf, cap, "%u:%02u", (unsigned)(s / 60),
                       (unsigned)(s % 60));
}

static void
draw(struct progress *p, uint64_t now)
{
    const uint64_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
    const double secs = (double)(now - p->start_ns) / 1e9;
    const double rate = secs > 0.0 ? (double)done / secs : 0.0;
    char line[160], d[24], t[24], left[24];
    int len;

    format_bytes(d, sizeof(d), done);
    if (p->total > 0) {
        const uint64_t pct = done >= p->total ? 100 : done * 100 / p->total;
        format_bytes(t, sizeof(t), p->total);
        if (done >= p->total)
            (void)snprintf(left, sizeof(left), "0:00");
        else if (rate > 0.0)
            format_duration(left, sizeof(left),
                            (uint64_t)((double)(p->total - done) / rate + 0.5));
        else
            (void)snprintf(left, sizeof(left), "-:--");
        len = snprintf(line, sizeof(line),
                       "%s: %s / %s (%u%%), %.1f MB/s, %s left", sc_progname(),
                       d, t, (unsigned)pct, rate / 1e6, left);
    } else {
        len = snprintf(line, sizeof(line), "%s: %s, %.1f MB/s", sc_progname(),
                       d, rate / 1e6);
    }
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(line))
        len = (int)sizeof(line) - 1;
    /* A shorter line must not leave the end of the last one behind. */
    const size_t pad =
        p->len_drawn > (size_t)len ? p->len_drawn - (size_t)len : 0;
    (void)fprintf(p->out, "\r%s%*s", line, (int)pad, "");
    if (pad > 0)
        (void)fprintf(p->out, "\r%s", line);
    (void)fflush(p->out);
    p->len_drawn = (size_t)len;
    p->has_drawn = true;
    p->last_ns = now;
}

void
progress_tick(struct progress *p)
{
    if (p == NULL)
        return;
    const uint64_t now = now_ns();
    if (!p->has_drawn || now - p->last_ns >= 1000000000u / PROGRESS_HZ)
        draw(p, now);
}

void
progress_clear(struct progress *p)
{
    if (p == NULL || p->len_drawn == 0)
        return;
    if (p->is_tty)
        (void)fputs("\r\033[K", p->out);
    else
        (void)fprintf(p->out, "\r%*s\r", (int)p->len_drawn, "");
    (void)fflush(p->out);
    p->len_drawn = 0;
    /* Redraw at the next tick rather than waiting a whole period. */
    p->has_drawn = false;
}

/*
 * readahead.c: a ring of RA_DEPTH chunks between one producer thread and
 * the consumer. The producer fills the slot after the last full one
 * without holding the lock (the consumer never touches slots beyond
 * count), so the lock is held only to move counters.
 */
#include "readahead.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define RA_DEPTH 4
#define RA_CHUNK (256u * 1024u)

struct readahead {
    reader_read_fn *fn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t has_data; /* count > 0, or the producer ended */
    pthread_cond_t has_room; /* count < RA_DEPTH, or want_stop */
    char *buf[RA_DEPTH];
    size_t len[RA_DEPTH];
    unsigned head;  /* the consumer's slot */
    unsigned count; /* full slots from head on */
    size_t pos;     /* consumed bytes of buf[head] */
    bool is_ended;  /* the producer saw the end or an error */
    int err;        /* its errno when it failed, else 0 */
    bool want_stop;
};

static void *
produce(void *arg)
{
    struct readahead *const r = arg;

    (void)pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->count == RA_DEPTH && !r->want_stop)
            (void)pthread_cond_wait(&r->has_room, &r->mu);
        if (r->want_stop)
            break;
        const unsigned slot = (r->head + r->count) % RA_DEPTH;
        (void)pthread_mutex_unlock(&r->mu);
        ssize_t n;
        do
            n = r->fn(r->ctx, r->buf[slot], RA_CHUNK);
        while (n < 0 && errno == EINTR);
        const int err = errno;
        (void)pthread_mutex_lock(&r->mu);
        if (n > 0) {
            r->len[slot] = (size_t)n;
            r->count++;
        } else {
            r->is_ended = true;
            r->err = n < 0 ? err : 0;
        }
        (void)pthread_cond_signal(&r->has_data);
        if (r->is_ended)
            break;
    }
    (void)pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct readahead *
readahead_new(reader_read_fn *fn, void *ctx)
{
    struct readahead *const r = xcalloc(1, sizeof(*r));
    sigset_t all, old;

    r->fn = fn;
    r->ctx = ctx;
    for (unsigned i = 0; i < RA_DEPTH; i++)
        r->buf[i] = xmalloc(RA_CHUNK);
    (void)pthread_mutex_init(&r->mu, NULL);
    (void)pthread_cond_init(&r->has_data, NULL);
    (void)pthread_cond_init(&r->has_room, NULL);
    /* Signals must reach the main thread, whose reads they interrupt. */
    (void)sigfillset(&all);
    (void)pthread_sigmask(SIG_BLOCK, &all, &old);
    const int rc = pthread_create(&r->thread, NULL, produce, r);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        r->want_stop = true; /* nothing to join */
        readahead_free(r);
        return NULL;
    }
    return r;
}

void
readahead_free(struct readahead *r)
{
    if (r == NULL)
        return;
    (void)pthread_mutex_lock(&r->mu);
    const bool is_running = !r->want_stop;
    r->want_stop = true;
    (void)pthread_cond_signal(&r->has_room);
    (void)pthread_mutex_unlock(&r->mu);
    if (is_running)
        (void)pthread_join(r->thread, NULL);
    (void)pthread_cond_destroy(&r->has_room);
    (void)pthread_cond_destroy(&r->has_data);
    (void)pthread_mutex_destroy(&r->mu);
    for (unsigned i = 0; i < RA_DEPTH; i++)
        free(r->buf[i]);
    free(r);
}

ssize_t
readahead_read(void *ctx, char *buf, size_t cap)
{
    struct readahead *const r = ctx;
    ssize_t n = 0;

    (void)pthread_mutex_lock(&r->mu);
    while (r->count == 0 && !r->is_ended)
        (void)pthread_cond_wait(&r->has_data, &r->mu);
    if (r->count > 0) {
        const size_t avail = r->len[r->head] - r->pos;
        const size_t take = avail < cap ? avail : cap;
        memcpy(buf, r->buf[r->head] + r->pos, take);
        r->pos += take;
        if (r->pos == r->len[r->head]) {
            r->head = (r->head + 1) % RA_DEPTH;
            r->count--;
            r->pos = 0;
            (void)pthread_cond_signal(&r->has_room);
        }
        n = (ssize_t)take;
    } else if (r->err != 0) {
        errno = r->err;
        r->err = 0; /* reported once; then the end */
        n = -1;
    }
    (void)pthread_mutex_unlock(&r->mu);
    return n;
}

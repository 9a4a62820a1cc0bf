/*
 * parallel.c: -j N. The inputs become work units, in input order: a byte
 * range of a plain file (cut at line starts), or a whole compressed or
 * special file. N worker threads each own a struct run (matcher, reader,
 * Hyperscan scratch) and take units in order; the calling thread makes the
 * units and writes their output in order; the workers' counters are
 * summed at the end. Output and counters equal -j 1's (after a stop, the
 * counters also hold lines processed past the last one written). Stdin and
 * follow mode stay sequential (main).
 *
 * Output: a unit whose predecessors are all written (the head) writes
 * straight to the line output; the others fill a memory buffer, switching
 * to direct output once they become the head. A unit waits when its buffer
 * is full and it is not the head, and N + 1 units' worth of input are in
 * flight (more units when they are small files, to keep the threads busy),
 * so memory stays bounded and the head never waits.
 */
#include "parallel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "decomp.h"
#include "msg.h"
#include "progress.h"
#include "reader.h"
#include "xalloc.h"

#define UNIT_TO_EOF UINT64_MAX /* a file's last unit reads to its end */
#define NO_LINE UINT64_MAX     /* no line starts in a unit's range */
#define SCAN_CAP (64u * 1024u) /* bytes per read when finding a line start */
#define MAX_JOBS 256u
#define TICK_NS (1000000000L / PROGRESS_HZ)

enum unit_kind { UNIT_RANGE, UNIT_STREAM, UNIT_FAILED };

/*
 * One input file. fd is opened by the planner and shared by the file's
 * units (pread leaves the offset alone); it is closed once the file is
 * planned and n_live is 0. fd is -1 for a special file (FIFO, device,
 * directory), which the worker opens: opening a FIFO may block.
 */
struct pfile {
    const char *path; /* borrowed from argv */
    int fd;
    size_t n_live;   /* units made and not yet retired */
    bool is_planned; /* every unit of the file is made */
    /*
     * Where a range unit met the end of the file before its planned end:
     * the file was truncated while we read it (RELIABILITY RC-25). Like
     * -j 1, we treat that as the end: later units of the file are dropped,
     * their output and their counts. UINT64_MAX: not cut. Under the lock.
     */
    uint64_t cut_at;
};

/*
 * A range unit owns the lines that start in [begin, end). The worker sets
 * the results; the main thread reads them once is_done is set (under the
 * lock). buf/len: the buffered output (NULL once the unit writes directly).
 */
struct unit {
    struct pfile *file;
    enum unit_kind kind;
    uint64_t begin;
    uint64_t end;
    int err;         /* errno to report when the unit is written */
    uint64_t weight; /* input bytes, at most unit_bytes: for the window */
    bool is_done;
    bool is_direct;
    FILE *mem;
    char *buf;
    size_t len;
    bool has_selected;
    bool has_error;
    bool is_output_closed;
    bool has_write_error;
    /* A range unit's own counts, added at its turn unless it is dropped. */
    struct counters *ctr;
    bool is_dropped; /* it lies after a cut (see pfile.cut_at) */
};

/*
 * Invariants: n_emitted <= n_taken <= n_made <= n_emitted + cap; unit seq
 * lives in ring[seq % cap]. The planner fields (files, next_input, cur,
 * cur_begin, cur_size) and weight_in_flight belong to the main thread.
 */
struct parallel {
    FILE *out; /* the line output, or NULL (-c) */
    struct progress *progress;
    uint64_t unit_bytes;
    size_t max_buffered;
    size_t n_inputs;
    struct pfile *files;
    size_t next_input;
    struct pfile *cur; /* the plain file being cut into units */
    uint64_t cur_begin;
    uint64_t cur_size;
    pthread_mutex_t lock;
    pthread_cond_t cv_work; /* workers: a unit to take, or the end */
    pthread_cond_t cv_done; /* main: a unit is done */
    pthread_cond_t cv_head; /* workers with a full buffer: the head moved */
    struct unit *ring;
    size_t cap;
    size_t n_workers;
    uint64_t weight_in_flight; /* of the units made and not yet retired */
    uint64_t n_made;
    uint64_t n_taken;
    uint64_t n_emitted;
    bool is_all_made;
    /*
     * Stop: workers take no more units, and their reads end the input
     * (under the lock, in read_unit(): no flag is shared unlocked).
     */
    bool abort;
};

/* A worker thread and the unit it is processing. */
struct worker {
    struct parallel *p;
    struct run run;
    pthread_t tid;
    char *scan; /* SCAN_CAP bytes, owned */
    struct unit *u;
    uint64_t seq;
    int fd;
    uint64_t pos; /* range: the next offset to read */
    bool is_range_done;
    struct decomp *decomp; /* stream: owned while the unit runs */
    bool is_counted;       /* stream: a regular file, progress by offset */
    uint64_t stream_pos;
};

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static unsigned
effective_jobs(const struct opts *o)
{
    /* --unmatched keeps the first UNMATCHED_MAX_GROUPS texts in line
     * order; per-thread tables cannot be merged into the same groups. */
    if (o->unmatched != NULL)
        return 1;
    if (o->jobs > 0)
        return o->jobs;
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)MAX_JOBS ? MAX_JOBS : (unsigned)n;
}

/*
 * By default only on a terminal, and not when lines go to a terminal too
 * (the line would be drawn between them). Never in follow mode.
 */
static bool
want_progress(const struct opts *o)
{
    if (o->want_follow || o->progress == PROGRESS_OFF)
        return false;
    return o->progress == PROGRESS_ON ||
           (isatty(STDERR_FILENO) &&
            (o->format == FORMAT_NONE || !isatty(STDOUT_FILENO)));
}

/*
 * Output waits in memory until its unit's turn, and JSON is about 3.5
 * times its input, tagged lines a little more than theirs: smaller units
 * keep the peak memory of -j near that of count mode.
 */
static uint64_t
unit_bytes(const struct opts *o)
{
    const char *const s = getenv("SMTPCLASS_UNIT_BYTES");
    const uint64_t dflt = o->format == FORMAT_JSON     ? PARALLEL_UNIT_BYTES / 4
                          : o->format == FORMAT_TAGGED ? PARALLEL_UNIT_BYTES / 2
                                                       : PARALLEL_UNIT_BYTES;
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return dflt;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > (1ull << 40))
        return dflt;
    return v;
}

/* Units the inputs will make (a guess: files may change), and their bytes. */
static uint64_t
estimate_units(char *const *inputs, size_t n, uint64_t unit,
               uint64_t *total_bytes)
{
    uint64_t n_units = 0, total = 0;
    struct stat st;

    for (size_t i = 0; i < n; i++) {
        if (stat(inputs[i], &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_size <= 0) {
            n_units++;
            continue;
        }
        const uint64_t size = (uint64_t)st.st_size;
        total += size;
        n_units += (size + unit - 1) / unit;
    }
    if (total_bytes != NULL)
        *total_bytes = total;
    return n_units;
}

bool
parallel_is_wanted(const struct opts *o, char *const *inputs, size_t n)
{
    if (n == 0 || o->want_follow || o->stats_file != NULL || o->listen != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(inputs[i], "-") == 0)
            return false;
    if (want_progress(o))
        return true;
    return effective_jobs(o) > 1 &&
           (n > 1 || estimate_units(inputs, n, unit_bytes(o), NULL) > 1);
}

static struct unit *
slot(const struct parallel *p, uint64_t seq)
{
    return &p->ring[seq % p->cap];
}

/* ---- the planner (main thread) -------------------------------------- */

/* The first unit of f: a failure, a whole-file stream, or a first range. */
static void
plan_file(struct parallel *p, struct pfile *f, struct unit *u)
{
    struct stat st;

    f->fd = -1;
    if (stat(f->path, &st) != 0) {
        u->kind = UNIT_FAILED;
        u->err = errno;
        return;
    }
    u->weight = S_ISREG(st.st_mode) && st.st_size >= 0
                    ? min_u64((uint64_t)st.st_size, p->unit_bytes)
                    : p->unit_bytes;
    if (!S_ISREG(st.st_mode)) {
        u->kind = UNIT_STREAM;
        return;
    }
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        u->kind = UNIT_FAILED;
        u->err = errno;
        return;
    }
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        decomp_file_is_compressed(f->fd)) {
        u->kind = UNIT_STREAM;
        return;
    }
    u->kind = UNIT_RANGE;
    p->cur = f;
    p->cur_begin = 0;
    p->cur_size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
}

/* Fill u (a free slot) with the next unit; the inputs must not be done. */
static void
make_unit(struct parallel *p, struct unit *u)
{
    memset(u, 0, sizeof(*u));
    if (p->cur == NULL) {
        struct pfile *const f = &p->files[p->next_input++];
        u->file = f;
        f->n_live++;
        plan_file(p, f, u);
        if (u->kind != UNIT_RANGE) {
            f->is_planned = true;
            return;
        }
    } else {
        u->file = p->cur;
        u->kind = UNIT_RANGE;
        p->cur->n_live++;
    }
    u->begin = p->cur_begin;
    u->weight = min_u64(p->cur_size - u->begin, p->unit_bytes);
    if (p->cur_size - u->begin <= p->unit_bytes) {
        /* The last unit reads to the end, even of a file still growing. */
        u->end = UNIT_TO_EOF;
        p->cur->is_planned = true;
        p->cur = NULL;
    } else {
        u->end = u->begin + p->unit_bytes;
        p->cur_begin = u->end;
    }
}

static void
retire(struct unit *u)
{
    struct pfile *const f = u->file;

    if (u->mem != NULL)
        (void)fclose(u->mem);
    free(u->buf);
    counters_free(u->ctr);
    if (f != NULL && --f->n_live == 0 && f->is_planned && f->fd >= 0) {
        (void)close(f->fd);
        f->fd = -1;
    }
    memset(u, 0, sizeof(*u));
}

/* ---- the workers ---------------------------------------------------- */

/* Write the buffered output and go on writing straight to the output. */
static void
go_direct(struct worker *w)
{
    struct unit *const u = w->u;

    if (fclose(u->mem) != 0)
        sc_die("out of memory");
    u->mem = NULL;
    if (u->len > 0)
        (void)fwrite(u->buf, 1, u->len, w->p->out);
    free(u->buf);
    u->buf = NULL;
    u->len = 0;
    w->run.out = w->p->out;
    u->is_direct = true;
}

/*
 * Before each read: become direct when the unit is the head, or wait while
 * its buffer is full. False when the run is stopping.
 */
static bool
sync_output(struct worker *w)
{
    struct parallel *const p = w->p;
    struct unit *const u = w->u;
    size_t buffered = 0;
    bool is_head = false;

    if (u->mem != NULL) {
        (void)fflush(u->mem); /* updates u->len */
        buffered = u->len;
    }
    pthread_mutex_lock(&p->lock);
    if (u->kind == UNIT_RANGE && u->begin >= u->file->cut_at)
        u->is_dropped = true;
    while (!p->abort && !u->is_dropped) {
        is_head = p->n_emitted == w->seq;
        if (u->mem == NULL || is_head || buffered < p->max_buffered)
            break;
        pthread_cond_wait(&p->cv_head, &p->lock);
    }
    const bool go_on = !p->abort && !u->is_dropped;
    pthread_mutex_unlock(&p->lock);
    if (go_on && is_head && u->mem != NULL)
        go_direct(w);
    return go_on;
}

/* The file ended at pos, before this range unit's planned end. */
static void
note_cut(struct worker *w, uint64_t pos)
{
    struct pfile *const f = w->u->file;

    pthread_mutex_lock(&w->p->lock);
    if (pos < f->cut_at)
        f->cut_at = pos;
    pthread_mutex_unlock(&w->p->lock);
}

/*
 * A range unit's bytes: from its first line start on, through the '\n'
 * that ends the line holding byte end - 1 (that line starts before end).
 */
static ssize_t
read_range(struct worker *w, char *buf, size_t cap)
{
    const uint64_t end = w->u->end;

    if (w->is_range_done)
        return 0;
    const ssize_t n = pread(w->fd, buf, cap, (off_t)w->pos);
    if (n == 0 && end != UNIT_TO_EOF)
        note_cut(w, w->pos);
    if (n <= 0)
        return n;
    size_t len = (size_t)n;
    if (end != UNIT_TO_EOF && w->pos + len >= end) {
        const size_t from = end - 1 > w->pos ? (size_t)(end - 1 - w->pos) : 0;
        const char *const nl = memchr(buf + from, '\n', len - from);
        if (nl != NULL) {
            len = (size_t)(nl - buf) + 1;
            w->is_range_done = true;
        }
    }
    /* Bytes past end are the next unit's to count. */
    progress_add(w->p->progress,
                 min_u64(w->pos + len, end) - min_u64(w->pos, end));
    w->pos += len;
    return (ssize_t)len;
}

/*
 * The reader callback of every unit (ctx: the worker). After a stop it
 * reports the end of the input: what is buffered is still processed (a
 * held partial line comes out as it is), as a stopped -j 1 run does.
 */
static ssize_t
read_unit(void *ctx, char *buf, size_t cap)
{
    struct worker *const w = ctx;

    if (!sync_output(w))
        return 0;
    if (w->u->kind == UNIT_RANGE)
        return read_range(w, buf, cap);
    const ssize_t n = decomp_read(w->decomp, buf, cap);
    if (n >= 0 && w->is_counted) {
        /* Compressed bytes consumed: the file offset. */
        const off_t pos = lseek(w->fd, 0, SEEK_CUR);
        if (pos > 0 && (uint64_t)pos > w->stream_pos) {
            progress_add(w->p->progress, (uint64_t)pos - w->stream_pos);
            w->stream_pos = (uint64_t)pos;
        }
    }
    return n;
}

/*
 * The first line start at or after a: just after the first '\n' at or
 * after a - 1. NO_LINE when none is before end (or the file ends first);
 * sets u->err on a read error.
 */
static uint64_t
find_line_start(struct worker *w, uint64_t a, uint64_t end)
{
    /* A line starting before end needs its '\n' before end - 1. */
    const uint64_t limit = end == UNIT_TO_EOF ? UNIT_TO_EOF : end - 1;
    uint64_t pos = a - 1;

    if (a == 0)
        return 0;
    while (pos < limit) {
        const size_t want = (size_t)min_u64(SCAN_CAP, limit - pos);
        const ssize_t n = pread(w->fd, w->scan, want, (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            w->u->err = errno;
            return NO_LINE;
        }
        if (n == 0) {
            note_cut(w, pos);
            break;
        }
        const char *const nl = memchr(w->scan, '\n', (size_t)n);
        if (nl != NULL) {
            const uint64_t start = pos + (uint64_t)(nl - w->scan) + 1;
            progress_add(w->p->progress, min_u64(start, end) - a);
            return start;
        }
        pos += (uint64_t)n;
    }
    /* Bytes [a, pos) were scanned; at the limit, the whole range was. */
    progress_add(w->p->progress,
                 pos < limit ? (pos > a ? pos - a : 0) : end - a);
    return NO_LINE;
}

static void
do_range(struct worker *w)
{
    struct unit *const u = w->u;

    w->fd = u->file->fd;
    const uint64_t start = find_line_start(w, u->begin, u->end);
    if (start == NO_LINE)
        return;
    w->pos = start;
    w->is_range_done = false;
    (void)run_input_source(&w->run, u->file->path, read_unit, w);
}

static void
do_stream(struct worker *w)
{
    struct unit *const u = w->u;
    const bool is_own = u->file->fd < 0;
    struct stat st;

    w->fd = is_own ? open(u->file->path, O_RDONLY | O_CLOEXEC) : u->file->fd;
    if (w->fd < 0) {
        u->err = errno;
        return;
    }
    w->is_counted =
        w->p->progress != NULL && fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode);
    w->stream_pos = 0;
    w->decomp = decomp_new(w->fd);
    w->run.decomp = w->decomp; /* names decoding errors in messages */
    (void)run_input_source(&w->run, u->file->path, read_unit, w);
    w->run.decomp = NULL;
    decomp_free(w->decomp);
    w->decomp = NULL;
    if (is_own)
        (void)close(w->fd);
}

/*
 * Process one unit into its output buffer, counting into the worker's
 * counters (per-unit ones would cost a table allocation per unit).
 */
static void
do_unit(struct worker *w)
{
    struct parallel *const p = w->p;
    struct unit *const u = w->u;
    struct run *const run = &w->run;

    if (u->kind == UNIT_FAILED)
        return;
    run->has_selected = false;
    run->has_error = false;
    run->is_output_closed = false;
    run->has_write_error = false;
    run->out = NULL;
    if (p->out != NULL) {
        u->mem = open_memstream(&u->buf, &u->len);
        if (u->mem == NULL)
            sc_die("out of memory");
        run->out = u->mem;
    }
    struct counters *const worker_ctr = run->ctr;
    if (u->kind == UNIT_RANGE) {
        u->ctr = counters_new();
        run->ctr = u->ctr;
        do_range(w);
        run->ctr = worker_ctr;
    } else {
        do_stream(w);
    }
    if (u->mem != NULL) {
        if (fclose(u->mem) != 0)
            sc_die("out of memory");
        u->mem = NULL;
    }
    u->has_selected = run->has_selected;
    u->has_error = run->has_error;
    u->is_output_closed = run->is_output_closed;
    u->has_write_error = run->has_write_error;
    run->out = NULL;
}

static void *
worker_main(void *arg)
{
    struct worker *const w = arg;
    struct parallel *const p = w->p;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->abort && p->n_taken == p->n_made && !p->is_all_made)
            pthread_cond_wait(&p->cv_work, &p->lock);
        if (p->abort || p->n_taken == p->n_made)
            break;
        w->seq = p->n_taken++;
        w->u = slot(p, w->seq);
        pthread_mutex_unlock(&p->lock);
        do_unit(w);
        pthread_mutex_lock(&p->lock);
        w->u->is_done = true;
        w->u = NULL;
        /* The main thread waits for the head only; later units it finds
         * done once it gets to them. */
        if (w->seq == p->n_emitted)
            pthread_cond_signal(&p->cv_done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- output in order (main thread) ---------------------------------- */

/* Under the lock: a range unit that starts after its file's cut. */
static void
mark_dropped(struct unit *u)
{
    if (u->kind == UNIT_RANGE && u->begin >= u->file->cut_at)
        u->is_dropped = true;
}

/* Write a done unit and add its results to run. False: stop. */
static bool
emit(struct parallel *p, struct run *run, struct unit *u)
{
    if (u->is_dropped)
        return true;
    if (u->ctr != NULL)
        counters_merge(run->ctr, u->ctr);
    if (u->err != 0) {
        progress_clear(p->progress);
        errno = u->err;
        sc_warn("%s", u->file->path);
        run->has_error = true;
    }
    run->has_selected |= u->has_selected;
    run->has_error |= u->has_error;
    /* A direct unit's worker has reported its write error already. */
    run->is_output_closed |= u->is_output_closed;
    run->has_write_error |= u->has_write_error;
    if (u->len > 0 && run->out != NULL && !run->is_output_closed &&
        !run->has_write_error) {
        (void)fwrite(u->buf, 1, u->len, run->out);
        run_flush(run);
    }
    return !run->is_output_closed && !run->has_write_error;
}

static void
deadline_after(struct timespec *ts, long ns)
{
    (void)clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += ns;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += ts->tv_nsec / 1000000000L;
        ts->tv_nsec %= 1000000000L;
    }
}

/*
 * Room for another unit: N + 1 units at least, more while their input adds
 * up to less than N + 1 full units (many small files).
 */
static bool
has_room(const struct parallel *p)
{
    const uint64_t n = p->n_made - p->n_emitted;

    return n < p->cap &&
           (n <= p->n_workers ||
            p->weight_in_flight < (p->n_workers + 1) * p->unit_bytes);
}

static void
stop_workers(struct parallel *p)
{
    p->abort = true;
    pthread_cond_broadcast(&p->cv_work);
    pthread_cond_broadcast(&p->cv_head);
}

/*
 * Make units while the window has room, write done units in order, draw
 * the progress line; until everything is written or the run stops.
 */
static void
main_loop(struct parallel *p, struct run *run)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (!p->abort && run->stop != NULL && *run->stop)
            stop_workers(p);
        if (p->abort)
            break;
        if (!p->is_all_made && has_room(p)) {
            struct unit *const u = slot(p, p->n_made);
            pthread_mutex_unlock(&p->lock);
            make_unit(p, u); /* may open and read: not under the lock */
            p->weight_in_flight += u->weight;
            pthread_mutex_lock(&p->lock);
            p->n_made++;
            p->is_all_made = p->next_input == p->n_inputs && p->cur == NULL;
            if (p->is_all_made)
                pthread_cond_broadcast(&p->cv_work); /* idle ones end */
            else
                pthread_cond_signal(&p->cv_work);
            continue;
        }
        if (p->n_emitted < p->n_made && slot(p, p->n_emitted)->is_done) {
            struct unit *const u = slot(p, p->n_emitted);
            mark_dropped(u);
            pthread_mutex_unlock(&p->lock);
            const bool go_on = emit(p, run, u);
            p->weight_in_flight -= u->weight;
            retire(u);
            progress_tick(p->progress);
            pthread_mutex_lock(&p->lock);
            p->n_emitted++;
            pthread_cond_broadcast(&p->cv_head);
            if (!go_on)
                stop_workers(p);
            continue;
        }
        if (p->is_all_made && p->n_emitted == p->n_made)
            break;
        if (p->progress != NULL) {
            pthread_mutex_unlock(&p->lock);
            progress_tick(p->progress);
            pthread_mutex_lock(&p->lock);
            if (p->n_emitted < p->n_made && slot(p, p->n_emitted)->is_done)
                continue;
        }
        /* Timed: a signal does not wake a condition wait. */
        struct timespec ts;
        deadline_after(&ts, TICK_NS);
        (void)pthread_cond_timedwait(&p->cv_done, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
}

static void
parallel_fini(struct parallel *p)
{
    for (uint64_t seq = p->n_emitted; seq < p->n_made; seq++)
        retire(slot(p, seq));
    for (size_t i = 0; i < p->n_inputs; i++)
        if (p->files[i].fd >= 0)
            (void)close(p->files[i].fd);
    free(p->files);
    free(p->ring);
    progress_free(p->progress);
    pthread_cond_destroy(&p->cv_head);
    pthread_cond_destroy(&p->cv_done);
    pthread_cond_destroy(&p->cv_work);
    pthread_mutex_destroy(&p->lock);
}

static void
parallel_init(struct parallel *p, struct run *run, char *const *inputs,
              size_t n, unsigned n_workers, uint64_t total)
{
    pthread_condattr_t ca;

    memset(p, 0, sizeof(*p));
    p->out = run->out;
    p->unit_bytes = unit_bytes(run->o);
    /* Room for a unit's JSON output (about 3.5 times its input) before a
     * worker that is not the head must wait. */
    p->max_buffered = (size_t)min_u64(8 * p->unit_bytes, SIZE_MAX / 2);
    p->n_inputs = n;
    p->files = xcalloc(n, sizeof(*p->files));
    for (size_t i = 0; i < n; i++) {
        p->files[i].path = inputs[i];
        p->files[i].fd = -1;
        p->files[i].cut_at = UINT64_MAX;
    }
    p->n_workers = n_workers;
    p->cap = 32 * (size_t)n_workers;
    p->ring = xcalloc(p->cap, sizeof(*p->ring));
    p->is_all_made = n == 0;
    if (want_progress(run->o))
        p->progress = progress_new(stderr, isatty(STDERR_FILENO), total);
    if (pthread_mutex_init(&p->lock, NULL) != 0 ||
        pthread_cond_init(&p->cv_work, NULL) != 0 ||
        pthread_cond_init(&p->cv_head, NULL) != 0 ||
        pthread_condattr_init(&ca) != 0 ||
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&p->cv_done, &ca) != 0)
        sc_die("cannot set up threads");
    (void)pthread_condattr_destroy(&ca);
}

bool
parallel_run(struct run *run, const struct prefilter *pf, char *const *inputs,
             size_t n)
{
    struct parallel p;
    uint64_t total = 0;
    const uint64_t n_units =
        estimate_units(inputs, n, unit_bytes(run->o), &total);
    unsigned n_workers = effective_jobs(run->o);
    sigset_t all, old;

    if (n_units < n_workers)
        n_workers = n_units > 0 ? (unsigned)n_units : 1;
    parallel_init(&p, run, inputs, n, n_workers, total);
    struct worker *const w = xcalloc(n_workers, sizeof(*w));
    for (unsigned i = 0; i < n_workers; i++) {
        w[i].p = &p;
        w[i].scan = xmalloc(SCAN_CAP);
        /* No signal flag: read_unit() ends the input on a stop. */
        run_init(&w[i].run, run->o, run->rs, pf, NULL, NULL);
    }
    if (n_workers == 1)
        w[0].run.unmatched = run->unmatched; /* units come in order */
    /* Signals go to this thread, which watches run->stop. */
    (void)sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    unsigned n_started = 0;
    while (n_started < n_workers &&
           pthread_create(&w[n_started].tid, NULL, worker_main,
                          &w[n_started]) == 0)
        n_started++;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (n_started == 0)
        sc_die("cannot start threads");
    main_loop(&p, run);
    pthread_mutex_lock(&p.lock);
    const bool is_stopped = p.abort;
    stop_workers(&p);
    pthread_mutex_unlock(&p.lock);
    for (unsigned i = 0; i < n_started; i++)
        (void)pthread_join(w[i].tid, NULL);
    /* After a signal, the head's lines so far still come out, as with
     * -j 1; after a write problem nothing more does. */
    if (is_stopped && p.n_emitted < p.n_taken && !run->is_output_closed &&
        !run->has_write_error && slot(&p, p.n_emitted)->is_done) {
        mark_dropped(slot(&p, p.n_emitted)); /* the workers are gone */
        (void)emit(&p, run, slot(&p, p.n_emitted));
        retire(slot(&p, p.n_emitted));
        p.n_emitted++;
    }
    /* Sums do not depend on the order; label tables are exact as long as
     * they have room (toplabels.h). Like the workers' tables (run.c),
     * run's is batch-style here: live outputs never come this way. */
    counters_configure_labels(run->ctr, run->o->top_n, false);
    for (unsigned i = 0; i < n_workers; i++) {
        counters_merge(run->ctr, w[i].run.ctr);
        w[i].run.unmatched = NULL;
        run_fini(&w[i].run);
        free(w[i].scan);
    }
    free(w);
    parallel_fini(&p);
    return !is_stopped && !run->is_output_closed && !run->has_write_error;
}

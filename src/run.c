/*
 * run.c: the hot loop. Per line: classify once (on the line's first piece),
 * count, write. No allocation, no printf of log data, no strlen on lines.
 * Output is flushed when the input pauses (a short read), so a live pipe
 * sees each line at once without a flush per line.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "decomp.h"
#include "jsonline.h"
#include "linesplit.h"
#include "readahead.h"
#include "msg.h"
#include "tag.h"
#include "unmatched.h"
#include "xalloc.h"

/* Big enough for throughput, and at least two windows (see linesplit.h). */
#define RUN_BUF_MIN (512u * 1024u)

void
run_init(struct run *run, const struct opts *o, const struct ruleset *rs,
         const struct prefilter *pf, FILE *out,
         const volatile sig_atomic_t *stop)
{
    memset(run, 0, sizeof(*run));
    run->o = o;
    run->out = out;
    run->stop = stop;
    run->pending = stop;
    run->pipe_fd = -1;
    run->ctr = counters_new();
    const size_t cap =
        o->max_line * 2 > RUN_BUF_MIN ? o->max_line * 2 : RUN_BUF_MIN;
    run->reader = reader_new(cap);
    run->reader->stop = stop;
    struct stat st;
    if (out != NULL && fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode)) {
        run->is_out_file = true;
        run->out_dev = st.st_dev;
        run->out_ino = st.st_ino;
    }
    run_set_rules(run, rs, pf);
}

void
run_set_rules(struct run *run, const struct ruleset *rs,
              const struct prefilter *pf)
{
    if (run->rs != NULL)
        matcher_fini(&run->m);
    prefilter_scratch_free(run->gate_scratch);
    run->gate_scratch = NULL;
    run->pf = NULL;
    run->rs = rs;
    matcher_init(&run->m, rs);
    if (pf != NULL) {
        matcher_use_prefilter(&run->m, pf);
        if (prefilter_has_gate(pf)) {
            run->pf = pf;
            run->gate_scratch = prefilter_scratch_new(pf);
        }
    }
}

void
run_fini(struct run *run)
{
    matcher_fini(&run->m);
    prefilter_scratch_free(run->gate_scratch);
    reader_free(run->reader);
    counters_free(run->ctr);
    memset(run, 0, sizeof(*run));
}

/* Record a failed write once; EPIPE means our reader is done. */
static void
check_output(struct run *run)
{
    if (run->out == NULL || !ferror(run->out) || run->is_output_closed ||
        run->has_write_error)
        return;
    if (errno == EPIPE) {
        run->is_output_closed = true;
    } else {
        sc_warn("write error");
        run->has_write_error = true;
    }
}

void
run_flush(struct run *run)
{
    if (run->out != NULL && fflush(run->out) != 0)
        check_output(run);
    check_output(run);
}

/*
 * One warning per rule that hits a regex limit, not one per line, and not
 * one per -j worker: the set of rules warned about is the process's.
 * Names are copied: a reload frees the old rules.
 */
#define WARNED_MAX 64
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char *warned[WARNED_MAX];
static size_t n_warned;
/* The series cap is said once per process too. */
static atomic_bool has_warned_fold;

static void
warn_limit(const char *rule)
{
    bool is_new = true;

    (void)pthread_mutex_lock(&warned_lock);
    for (size_t i = 0; i < n_warned && is_new; i++)
        is_new = strcmp(warned[i], rule) != 0;
    /* Past WARNED_MAX rules the counter alone tells (no flood). */
    is_new = is_new && n_warned < WARNED_MAX;
    if (is_new)
        warned[n_warned++] = xstrdup(rule);
    (void)pthread_mutex_unlock(&warned_lock);
    if (is_new)
        sc_warnx("rule '%s': regex stopped by a resource limit; such lines "
                 "are tagged unknown and counted in lines_regex_limit",
                 rule);
}

static void
count_line(struct run *run, const struct outcome *oc, bool is_overlong)
{
    struct counter_totals *const t = counters_totals(run->ctr);

    t->lines_read++;
    if (oc->limit_rule != NULL) {
        t->lines_regex_limit++;
        warn_limit(oc->limit_rule);
    }
    if (is_overlong)
        t->lines_overlong++;
    if (!oc->has_outcome) {
        t->lines_without_outcome++;
        return;
    }
    t->lines_with_outcome++;
    if (oc->category == CAT_UNKNOWN) {
        t->lines_unknown_category++;
        if (run->unmatched != NULL)
            unmatched_add(run->unmatched, oc->reason);
    }
    struct counter_key key;
    classify_counter_key(oc, &key);
    const uint64_t folded_before = t->lines_series_folded;
    counters_add(run->ctr, &key, 1);
    if (folded_before == 0 && t->lines_series_folded > 0 &&
        !atomic_exchange(&has_warned_fold, true))
        sc_warnx("more than %u outcome series: the enhanced codes of new ones "
                 "are counted as __other__ (lines_series_folded)",
                 COUNTERS_SERIES_CAP);
    /*
     * The label tables take their size from the options (a cheap no-op
     * once set). Live output keeps labels sticky (counters.h).
     */
    const struct opts *const o = run->o;
    counters_configure_labels(run->ctr, o->top_n,
                              o->want_follow || o->stats_file != NULL ||
                                  o->listen != NULL);
    if (oc->rcpt_domain.len > 0)
        counters_add_label(run->ctr, COUNTER_FAMILY_RCPT_DOMAIN,
                           oc->rcpt_domain, oc->cls);
    if (oc->relay_host.len > 0)
        counters_add_label(run->ctr, COUNTER_FAMILY_RELAY, oc->relay_host,
                           oc->cls);
    if (oc->has_delay)
        counters_add_delay(run->ctr, oc->mta, (uint8_t)oc->event, oc->delay_ms);
}

/* Per-line state that spans the pieces of one line. */
struct line_state {
    struct outcome oc;
    bool is_selected;
    bool is_lossy;
};

/* Classify (on the first piece), count, and write one piece of a line. */
static void
process_piece(struct run *run, const struct line_piece *pc,
              struct line_state *ls)
{
    const struct opts *const o = run->o;

    counters_totals(run->ctr)->bytes_read +=
        pc->text.len + (pc->has_newline ? 1 : 0);
    if (pc->is_first) {
        classify_line(&run->m, pc->text, o->max_line, &ls->oc);
        count_line(run, &ls->oc, !pc->is_last || pc->text.len > o->max_line);
        ls->is_selected =
            o->n_only == 0 || (ls->oc.has_outcome &&
                               opts_only_selects(o, ls->oc.cls, ls->oc.category,
                                                 ls->oc.reply, &ls->oc.enh));
        if (ls->oc.has_outcome && ls->is_selected)
            run->has_selected = true;
    }
    if (ls->is_selected && o->format == FORMAT_TAGGED)
        tag_write_piece(run->out, pc, &ls->oc, run->rs, o->lang);
    else if (ls->is_selected && o->format == FORMAT_JSON)
        jsonline_write_piece(run->out, pc, &ls->oc, run->rs, o->lang,
                             &ls->is_lossy);
}

/*
 * Lines the gate ruled out carry no outcome: count them (and their
 * overlong ones) and pass them on in one write, or as JSON objects.
 */
static void
pass_lines(struct run *run, struct span lines, struct line_state *ls)
{
    const struct opts *const o = run->o;
    struct counter_totals *const t = counters_totals(run->ctr);
    const char *p = lines.p;
    const char *const end = lines.p + lines.len;

    if (lines.len == 0)
        return;
    const bool want_json = o->format == FORMAT_JSON && o->n_only == 0;
    t->bytes_read += lines.len;
    while (p < end) {
        const char *const nl = memchr(p, '\n', (size_t)(end - p));
        if ((size_t)(nl - p) > o->max_line)
            t->lines_overlong++;
        t->lines_read++;
        t->lines_without_outcome++;
        if (want_json) {
            const struct line_piece pc = {span_make(p, (size_t)(nl - p)), true,
                                          true, true};
            classify_line_without_outcome(&run->m, pc.text, o->max_line,
                                          &ls->oc);
            jsonline_write_piece(run->out, &pc, &ls->oc, run->rs, o->lang,
                                 &ls->is_lossy);
        }
        p = nl + 1;
    }
    if (o->format == FORMAT_TAGGED && o->n_only == 0)
        (void)fwrite(lines.p, 1, lines.len, run->out);
}

/* A block of complete lines: the gate picks the lines worth classifying. */
static void
process_block(struct run *run, struct span block, struct line_state *ls)
{
    const size_t *starts;
    const size_t n = prefilter_gate(run->pf, run->gate_scratch, block, &starts);
    size_t pos = 0;

    for (size_t k = 0; k < n; k++) {
        pass_lines(run, span_make(block.p + pos, starts[k] - pos), ls);
        const char *const line = block.p + starts[k];
        const char *const nl = memchr(line, '\n', block.len - starts[k]);
        const struct line_piece pc = {span_make(line, (size_t)(nl - line)),
                                      true, true, true};
        process_piece(run, &pc, ls);
        pos = (size_t)(nl - block.p) + 1;
    }
    pass_lines(run, span_make(block.p + pos, block.len - pos), ls);
}

static bool
is_pending(const struct run *run)
{
    return run->pending != NULL && *run->pending;
}

/*
 * After a stop, a pipe is read on as long as data is waiting (at most
 * DRAIN_SECONDS), so nothing already written upstream is lost.
 */
#define DRAIN_SECONDS 2

static ssize_t
drain_read(void *ctx, char *buf, size_t cap)
{
    struct run *const run = ctx;
    struct pollfd pfd = {run->pipe_fd, POLLIN, 0};
    struct timespec now;

    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > run->drain_deadline.tv_sec ||
        (now.tv_sec == run->drain_deadline.tv_sec &&
         now.tv_nsec >= run->drain_deadline.tv_nsec))
        return 0;
    if (poll(&pfd, 1, 0) <= 0 || (pfd.revents & POLLIN) == 0)
        return 0;
    return run->drain_fn(run->drain_ctx, buf, cap);
}

/* Read nothing more than what waits; what is buffered still comes out. */
static void
start_stopping(struct run *run, struct linesplit *ls)
{
    run->is_stopping = true;
    if (run->pipe_fd < 0) {
        ls->at_eof = true;
        return;
    }
    run->drain_fn = run->reader->read_fn;
    run->drain_ctx = run->reader->read_ctx;
    (void)clock_gettime(CLOCK_MONOTONIC, &run->drain_deadline);
    run->drain_deadline.tv_sec += DRAIN_SECONDS;
    run->reader->read_fn = drain_read;
    run->reader->read_ctx = run;
}

/* A signal arrived: the owner handles it; without an owner it means stop. */
static void
handle_pending(struct run *run, struct linesplit *ls)
{
    const bool go_on = run->hook != NULL
                           ? run->hook(run->hook_ctx, run, RUN_SIGNAL)
                           : run->stop == NULL || !*run->stop;
    if (!go_on && !run->is_stopping)
        start_stopping(run, ls);
}

/* Process the pieces of one input until EOF, error or stop. */
static bool
process(struct run *run, const char *name)
{
    struct linesplit ls;
    struct line_piece pc;
    struct span block;
    struct line_state st;
    bool is_block = false;
    unsigned since_check = 0;

    memset(&st, 0, sizeof(st));
    linesplit_init(&ls, run->reader);
    ls.want_stop_at_short_read = true;
    for (;;) {
        const enum linesplit_status rc =
            run->pf != NULL ? linesplit_next_block(&ls, &block, &is_block, &pc)
                            : linesplit_next(&ls, &pc);
        if (rc == LINESPLIT_IDLE) {
            run_flush(run);
            if (run->is_output_closed || run->has_write_error)
                return false;
            if (run->hook != NULL && !run->hook(run->hook_ctx, run, RUN_IDLE))
                start_stopping(run, &ls);
            continue;
        }
        if (rc == LINESPLIT_EOF)
            return !run->is_stopping;
        if (rc == LINESPLIT_ERR) {
            if (errno == EINTR && is_pending(run)) {
                handle_pending(run, &ls);
                continue;
            }
            if (run->decomp != NULL && decomp_error(run->decomp)[0] != '\0')
                sc_warnx("%s: %s", name, decomp_error(run->decomp));
            else
                sc_warn("%s", name);
            run->has_error = true;
            /* Every complete line before the damage has been processed;
             * what is left of the last one still comes out as it is. */
            ls.at_eof = true;
            continue;
        }
        if (is_block) {
            process_block(run, block, &st);
            since_check += 4096;
        } else {
            process_piece(run, &pc, &st);
        }
        if (++since_check >= 4096) {
            since_check = 0;
            check_output(run);
            if (run->is_output_closed || run->has_write_error)
                return false;
            if (is_pending(run))
                handle_pending(run, &ls);
            else if (run->hook != NULL &&
                     !run->hook(run->hook_ctx, run, RUN_PERIODIC))
                start_stopping(run, &ls);
        }
    }
}

bool
run_input(struct run *run, const char *path)
{
    const bool is_stdin = strcmp(path, "-") == 0;
    const char *const name = is_stdin ? "(standard input)" : path;
    int fd = STDIN_FILENO;

    if (!is_stdin) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            sc_warn("%s", path);
            run->has_error = true;
            return true;
        }
    }
    struct stat st;
    if (fstat(fd, &st) != 0)
        memset(&st, 0, sizeof(st));
    if (run->is_out_file && S_ISREG(st.st_mode) && st.st_dev == run->out_dev &&
        st.st_ino == run->out_ino) {
        sc_warnx("%s: input file is also the output", name);
        run->has_error = true;
        if (!is_stdin)
            (void)close(fd);
        return true;
    }
    run->pipe_fd = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ? fd : -1;
    reader_widen_pipe(fd);
    /* A compressed file is inflated on another core, a few chunks ahead
     * (not a pipe: its reads must stay interruptible by signals). */
    const bool is_file_compressed = run->pipe_fd < 0 && S_ISREG(st.st_mode) &&
                                    decomp_file_is_compressed(fd);
    /* gzip and zstd are recognised by their magic bytes, also on stdin. */
    run->decomp = decomp_new(fd);
    struct readahead *const ra =
        is_file_compressed ? readahead_new(decomp_read, run->decomp) : NULL;
    const bool go_on =
        ra != NULL ? run_input_source(run, name, readahead_read, ra)
                   : run_input_source(run, name, decomp_read, run->decomp);
    readahead_free(ra);
    run->pipe_fd = -1;
    decomp_free(run->decomp);
    run->decomp = NULL;
    if (!is_stdin)
        (void)close(fd);
    return go_on;
}

bool
run_input_source(struct run *run, const char *name, reader_read_fn *fn,
                 void *ctx)
{
    reader_attach(run->reader, fn, ctx);
    const bool go_on = process(run, name);
    check_output(run);
    return go_on && !run->is_output_closed && !run->has_write_error;
}

/*
 * filter.c: the filter mode around the main loop (run.c): live outputs,
 * signals (reload, dump, stop), the stats timer, the exit status.
 */
#include "filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "export_json.h"
#include "export_prom.h"
#include "export_text.h"
#include "follow.h"
#include "live.h"
#include "msg.h"
#include "parallel.h"
#include "run.h"
#include "signals.h"
#include "unmatched.h"

static int
write_stats(const struct opts *o, const struct run *run,
            const struct ruleset *rs)
{
    FILE *const out = o->want_count ? stdout : stderr;
    const struct export_names names = export_names_of(rs);
    int rc = 0;

    switch (o->stats) {
    case STATS_TEXT:
        rc = export_text_write(out, run->ctr, &names);
        break;
    case STATS_JSON:
        rc = export_json_write(out, run->ctr, &names);
        break;
    case STATS_PROM:
        rc = export_prom_write(out, run->ctr, &names);
        break;
    case STATS_NONE:
        break;
    }
    if (fflush(out) != 0)
        rc = -1;
    return rc;
}

/* --unmatched: the grouped texts to a file, or stdout for "-". */
static int
write_unmatched(const char *path, const struct unmatched *u)
{
    const bool is_stdout = strcmp(path, "-") == 0;
    FILE *const f = is_stdout ? stdout : fopen(path, "w");

    if (f == NULL) {
        sc_warn("%s", path);
        return -1;
    }
    int rc = unmatched_write(u, f);
    if (!is_stdout && fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        sc_warn("%s: write error", path);
    return rc;
}

/* What the main loop's hook needs: the live outputs and the rules. */
struct filter_state {
    const struct opts *o;
    struct ruleset *rs;   /* owned from the first reload on */
    struct prefilter *pf; /* owned */
    bool owns_rs;
    struct live *live;     /* NULL in plain batch use */
    struct follow *follow; /* NULL unless --follow */
    const struct prefilter_blob *blob;
};

static void
update_follow_figures(struct filter_state *fs)
{
    struct follow_stats st;

    if (fs->follow == NULL || fs->live == NULL)
        return;
    follow_get_stats(fs->follow, &st);
    struct counter_process *const p = live_process(fs->live);
    p->file_rotations = st.rotations;
    p->file_truncations = st.truncations;
    p->input_open_errors = st.open_errors;
}

/*
 * Counters are keyed by the index of their MTA in the rules, so a reload
 * may add MTAs but must keep the existing ones in place.
 */
static bool
keeps_mta_names(const struct ruleset *old, const struct ruleset *new)
{
    if (new->n_mtas < old->n_mtas)
        return false;
    for (size_t i = 0; i < old->n_mtas; i++)
        if (strcmp(old->mta_names[i], new->mta_names[i]) != 0)
            return false;
    return true;
}

/* SIGHUP: load the rules again; a broken set leaves the old one running. */
static void
reload_rules(struct filter_state *fs, struct run *run)
{
    struct counter_process *const p =
        fs->live != NULL ? live_process(fs->live) : NULL;
    struct ruleset *const rs = load_rules(fs->o, NULL);
    bool is_ok = rs != NULL;

    if (rs != NULL && !keeps_mta_names(fs->rs, rs)) {
        sc_warnx("reload: the new rules change the list of MTAs; restart "
                 "smtpclass to use them");
        rules_free(rs);
        is_ok = false;
    }
    if (!is_ok) {
        sc_warnx("reload failed; the previous rules stay in use");
    } else {
        struct prefilter *const pf = load_prefilter(fs->o, rs, fs->blob);
        run_set_rules(run, rs, pf);
        prefilter_free(fs->pf);
        if (fs->owns_rs)
            rules_free(fs->rs);
        fs->rs = rs;
        fs->pf = pf;
        fs->owns_rs = true;
        sc_warnx("rules reloaded");
    }
    if (p != NULL) {
        p->rules_reloads += is_ok;
        p->rules_reload_failures += !is_ok;
        p->rules_last_reload_ok = is_ok;
    }
}

static void
write_live_file(struct filter_state *fs, struct run *run)
{
    const struct export_names names = export_names_of(fs->rs);

    update_follow_figures(fs);
    live_write_file(fs->live, run->ctr, &names);
}

/* Bring the endpoint up to date: if lines came since the last time, or
 * always with force. */
static void
publish(struct filter_state *fs, struct run *run, bool force)
{
    const struct export_names names = export_names_of(fs->rs);

    update_follow_figures(fs);
    live_publish(fs->live, run->ctr, &names, force);
}

/* The main loop's hook: signals, and keeping the endpoint current. */
static bool
on_run_event(void *ctx, struct run *run, enum run_event ev)
{
    struct filter_state *const fs = ctx;
    bool go_on = true;

    if (ev == RUN_SIGNAL) {
        signal_pending = 0; /* before reading the flags: none is missed */
        if (reload_requested) {
            reload_requested = 0;
            reload_rules(fs, run);
            /* The reload figures changed even if no line came. */
            publish(fs, run, true);
        }
        if (dump_requested || tick_requested) {
            dump_requested = 0;
            tick_requested = 0;
            write_live_file(fs, run);
        }
        if (publish_requested) {
            publish_requested = 0;
            publish(fs, run, false);
        }
        if (stop_requested) {
            /* A followed file is drained without waiting; any other
             * input ends after what is buffered. */
            if (fs->follow != NULL)
                follow_finish(fs->follow);
            else
                go_on = false;
        }
        return go_on;
    }
    if (!live_is_active(fs->live) ||
        (ev == RUN_PERIODIC && live_since_publish(fs->live) < 1.0) ||
        (ev == RUN_IDLE && live_publish_later(fs->live)))
        return true;
    publish(fs, run, false);
    return true;
}

/* --stats-file is rewritten every --stats-interval seconds (SIGALRM). */
static void
start_stats_timer(const struct opts *o)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    it.it_interval.tv_sec = (time_t)o->stats_interval;
    it.it_value = it.it_interval;
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        sc_warn("setitimer");
}

static void
stop_stats_timer(void)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    (void)setitimer(ITIMER_REAL, &it, NULL);
}

int
filter_run(const struct opts *o, struct ruleset *rs,
           const struct prefilter_blob *blob)
{
    struct run run;
    struct sc_err err;
    static char *const stdin_only[] = {"-"};
    char *const *inputs = o->n_operands ? o->operands : stdin_only;
    const size_t n_inputs = o->n_operands ? o->n_operands : 1;
    struct filter_state fs = {o, rs, NULL, false, NULL, NULL, blob};

    /* A parent may leave O_NONBLOCK on a shared stdout; stdio would then
     * fail with EAGAIN when the reader is slow. Block while we run and
     * give the flag back at the end. */
    const int out_flags = fcntl(STDOUT_FILENO, F_GETFL);
    if (out_flags >= 0 && (out_flags & O_NONBLOCK) != 0)
        (void)fcntl(STDOUT_FILENO, F_SETFL, out_flags & ~O_NONBLOCK);
    /*
     * glibc ignores the size when setvbuf gets no buffer and uses
     * st_blksize (4 KiB on a pipe): one write, and one wake-up of the
     * reader, per 4 KiB. Our own buffer makes it one per 256 KiB. It is
     * static because stdout is flushed after main returns.
     */
    static char stdout_buf[1 << 18];
    if (o->want_line_buffered || isatty(STDOUT_FILENO))
        (void)setvbuf(stdout, NULL, _IOLBF, 0);
    else
        (void)setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
    reader_widen_pipe(STDOUT_FILENO);
    if (o->stats_file != NULL || o->listen != NULL) {
        if ((fs.live = live_new(o, &err)) == NULL) {
            sc_warn_err(&err);
            return SC_EXIT_ERROR;
        }
    }
    if (o->want_follow && (fs.follow = follow_new(
                               inputs, n_inputs, o->want_from_start)) == NULL) {
        live_free(fs.live);
        return SC_EXIT_ERROR;
    }
    fs.pf = load_prefilter(o, rs, blob);
    run_init(&run, o, rs, fs.pf, o->format == FORMAT_NONE ? NULL : stdout,
             &stop_requested);
    run.pending = &signal_pending;
    run.reader->stop = &signal_pending;
    run.hook = on_run_event;
    run.hook_ctx = &fs;
    run.unmatched = o->unmatched != NULL ? unmatched_new() : NULL;
    if (fs.live != NULL) {
        write_live_file(&fs, &run); /* the file exists from the start */
        if (o->stats_file != NULL)
            start_stats_timer(o);
    }
    if (fs.follow != NULL) {
        (void)run_input_source(&run, "followed files", follow_read, fs.follow);
    } else if (parallel_is_wanted(o, inputs, n_inputs)) {
        (void)parallel_run(&run, fs.pf, inputs, n_inputs);
    } else {
        for (size_t i = 0; i < n_inputs && !stop_requested; i++)
            if (!run_input(&run, inputs[i]))
                break;
    }
    run_flush(&run);
    if (fs.live != NULL) {
        stop_stats_timer();
        write_live_file(&fs, &run);
    }
    const int stats_rc = write_stats(o, &run, fs.rs);
    if (run.unmatched != NULL &&
        write_unmatched(o->unmatched, run.unmatched) != 0)
        run.has_write_error = true;
    unmatched_free(run.unmatched);
    run.unmatched = NULL;
    int status = run.has_selected ? SC_EXIT_MATCH : SC_EXIT_NOMATCH;
    /* Stopped by SIGTERM/SIGINT is a clean end (systemd's stop). */
    if (stop_requested || fs.follow != NULL)
        status = SC_EXIT_MATCH;
    if (run.has_error || run.has_write_error)
        status = SC_EXIT_ERROR;
    if (stats_rc != 0 && !(o->want_count && errno == EPIPE)) {
        sc_warn("write error");
        status = SC_EXIT_ERROR;
    }
    if (out_flags >= 0 && (out_flags & O_NONBLOCK) != 0) {
        (void)fflush(stdout);
        (void)fcntl(STDOUT_FILENO, F_SETFL, out_flags);
    }
    run_fini(&run);
    prefilter_free(fs.pf);
    follow_free(fs.follow);
    live_free(fs.live);
    if (fs.owns_rs)
        rules_free(fs.rs);
    return status;
}

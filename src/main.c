/*
 * main.c: wiring only. Parse options, load the rules, then either explain
 * codes, check the rules, or run the filter over the inputs and print the
 * counters. Owns the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "explain.h"
#include "follow.h"
#include "live.h"
#include "export_json.h"
#include "export_prom.h"
#include "export_text.h"
#include "msg.h"
#include "opts.h"
#include "parallel.h"
#include "prefilter.h"
#include "rulecheck.h"
#include "rules.h"
#include "run.h"
#include "snapshot.h"
#include "unmatched.h"

#ifndef SMTPCLASS_VERSION
#define SMTPCLASS_VERSION "0.0.0"
#endif

/*
 * The prefilter databases of the built-in rules, compiled at build time
 * (prefilter_blob.c, generated; empty in the first build stage).
 */
extern const unsigned char prefilter_blob[];
extern const size_t prefilter_blob_len;

/*
 * Signal flags. Handlers only set flags; every signal also sets
 * signal_pending, which interrupts a blocked read (no SA_RESTART) so the
 * main loop calls on_run_event() at once.
 */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t dump_requested;
static volatile sig_atomic_t tick_requested;
static volatile sig_atomic_t signal_pending;

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

static void
install_signals(bool is_filter)
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

/* How exporters name the rules' MTAs; batch output has no process figures. */
static struct export_names
names_of(const struct ruleset *rs)
{
    const struct export_names names = {rs->mta_names, rs->n_mtas,
                                       SMTPCLASS_VERSION, NULL};
    return names;
}

static void
report_problem(void *ctx, const char *file, unsigned line, const char *msg)
{
    (void)ctx;
    if (line > 0)
        sc_warnx("%s:%u: %s", file, line, msg);
    else
        sc_warnx("%s: %s", file, msg);
}

/* Built-in rules, or --rules DIR, plus --rules-add layers. */
static struct ruleset *
load_rules(const struct opts *o, const char *check_dir)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;
    struct ruleset *rs = NULL;
    const char *const base = check_dir != NULL ? check_dir : o->rules_dir;
    int rc = 0;

    if (base != NULL)
        rc = rules_read_dir(base, 0, &src, &n_src, &err);
    for (size_t i = 0; rc == 0 && i < o->n_rules_add; i++)
        rc = rules_read_dir(o->rules_add[i], (unsigned)i + 1, &src, &n_src,
                            &err);
    if (rc != 0) {
        sc_warn_err(&err);
        rules_sources_free(src, n_src);
        return NULL;
    }
    if (base == NULL) {
        /* Borrowed embedded sources go first, as layer 0. */
        struct rules_source *all =
            calloc(rules_embedded_count + n_src, sizeof(*all));
        if (all == NULL)
            sc_die("out of memory");
        memcpy(all, rules_embedded, rules_embedded_count * sizeof(*all));
        if (n_src > 0)
            memcpy(all + rules_embedded_count, src, n_src * sizeof(*src));
        (void)rules_load(all, rules_embedded_count + n_src, &rs, report_problem,
                         NULL);
        free(all);
    } else {
        (void)rules_load(src, n_src, &rs, report_problem, NULL);
    }
    rules_sources_free(src, n_src);
    return rs;
}

static int
explain_codes(const struct opts *o, const struct ruleset *rs)
{
    int status = SC_EXIT_MATCH;

    for (size_t i = 0; i < o->n_operands; i++) {
        const char *p = o->operands[i];
        uint16_t reply = 0;
        struct smtp_enhanced enh = {0, 0, 0};
        bool is_ok = true;
        while (*p != '\0' && is_ok) {
            while (*p == ' ')
                p++;
            const size_t n = strcspn(p, " ");
            if (n == 0)
                break;
            const struct span w = span_make(p, n);
            is_ok = (reply == 0 && smtpcode_parse_reply(w, &reply)) ||
                    (enh.cls == 0 && smtpcode_parse_enhanced(w, &enh));
            p += n;
        }
        if (!is_ok || (reply == 0 && enh.cls == 0)) {
            sc_warnx("explain: '%s' is not a reply code or enhanced code",
                     o->operands[i]);
            status = SC_EXIT_ERROR;
            continue;
        }
        const enum sc_category cat =
            classify_category_from_codes(rs, reply, &enh);
        const enum sc_class cls = reply ? taxonomy_class_of_reply(reply)
                                        : taxonomy_class_of_enhanced(enh.cls);
        const char *parts[EXPLAIN_MAX_PARTS];
        const size_t n =
            explain_parts(rs, o->lang, cat == CAT_NONE ? CAT_UNKNOWN : cat,
                          reply, &enh, parts);
        (void)printf(
            "%s: class=%s category=%s\n", o->operands[i],
            taxonomy_class_name(cls),
            taxonomy_category_name(cat == CAT_NONE ? CAT_UNKNOWN : cat));
        for (size_t k = 0; k < n; k++)
            (void)printf("  %s\n", parts[k]);
    }
    return status;
}

static int
write_stats(const struct opts *o, const struct run *run,
            const struct ruleset *rs)
{
    FILE *const out = o->want_count ? stdout : stderr;
    const struct export_names names = names_of(rs);
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

/* Built-in rules use the build-time databases; others compile now. */
static struct prefilter *
load_prefilter(const struct opts *o, const struct ruleset *rs)
{
    struct sc_err err;
    struct prefilter *pf = NULL;

    if (o->want_reference)
        return NULL;
    if (o->rules_dir == NULL && o->n_rules_add == 0 && prefilter_blob_len > 0)
        pf = prefilter_new_serialized(
            rs, prefilter_fingerprint(rules_embedded, rules_embedded_count),
            prefilter_blob, prefilter_blob_len, &err);
    if (pf == NULL)
        pf = prefilter_new(rs, &err);
    if (pf == NULL)
        sc_warnx("%s; using the slower plain path", err.msg);
    return pf;
}

/* --write-prefilter: the build's first stage serializes the databases. */
static int
write_prefilter(const struct opts *o, const struct ruleset *rs)
{
    struct sc_err err;
    char *bytes;
    size_t len;
    struct prefilter *const pf = prefilter_new(rs, &err);
    FILE *f;

    if (pf == NULL ||
        prefilter_serialize(
            pf, prefilter_fingerprint(rules_embedded, rules_embedded_count),
            &bytes, &len, &err) != 0) {
        sc_warn_err(&err);
        prefilter_free(pf);
        return SC_EXIT_ERROR;
    }
    prefilter_free(pf);
    if ((f = fopen(o->write_prefilter, "wb")) == NULL ||
        fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        sc_warn("%s", o->write_prefilter);
        free(bytes);
        return SC_EXIT_ERROR;
    }
    free(bytes);
    return SC_EXIT_MATCH;
}

/* `smtpclass merge`: sum snapshots; nothing is printed when one is bad. */
static int
merge_snapshots(const struct opts *o, const struct ruleset *rs)
{
    struct counters *const sum = counters_new();
    const struct export_names names = names_of(rs);
    struct sc_err err;
    int status = SC_EXIT_MATCH, rc = 0;

    for (size_t i = 0; i < o->n_operands; i++)
        if (snapshot_add_file(o->operands[i], rs, sum, &err) != 0) {
            sc_warn_err(&err);
            status = SC_EXIT_ERROR;
        }
    if (status == SC_EXIT_MATCH) {
        switch (o->stats) {
        case STATS_JSON:
            rc = export_json_write(stdout, sum, &names);
            break;
        case STATS_PROM:
            rc = export_prom_write(stdout, sum, &names);
            break;
        case STATS_TEXT:
            rc = export_text_write(stdout, sum, &names);
            break;
        case STATS_NONE:
            break;
        }
        if (rc != 0) {
            sc_warn("write error");
            status = SC_EXIT_ERROR;
        }
    }
    counters_free(sum);
    return status;
}

/* What the main loop's hook needs: the live outputs and the rules. */
struct filter_state {
    const struct opts *o;
    struct ruleset *rs;   /* owned from the first reload on */
    struct prefilter *pf; /* owned */
    bool owns_rs;
    struct live *live;     /* NULL in plain batch use */
    struct follow *follow; /* NULL unless --follow */
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
        struct prefilter *const pf = load_prefilter(fs->o, rs);
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
    const struct export_names names = names_of(fs->rs);

    update_follow_figures(fs);
    live_write_file(fs->live, run->ctr, &names);
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
        }
        if (dump_requested || tick_requested) {
            dump_requested = 0;
            tick_requested = 0;
            write_live_file(fs, run);
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
        (ev == RUN_PERIODIC && live_since_publish(fs->live) < 1.0))
        return true;
    const struct export_names names = names_of(fs->rs);
    update_follow_figures(fs);
    live_publish(fs->live, run->ctr, &names, false);
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

static int
filter(const struct opts *o, struct ruleset *rs)
{
    struct run run;
    struct sc_err err;
    static char *const stdin_only[] = {"-"};
    char *const *inputs = o->n_operands ? o->operands : stdin_only;
    const size_t n_inputs = o->n_operands ? o->n_operands : 1;
    struct filter_state fs = {o, rs, NULL, false, NULL, NULL};

    /* A parent may leave O_NONBLOCK on a shared stdout; stdio would then
     * fail with EAGAIN when the reader is slow. Block while we run and
     * give the flag back at the end. */
    const int out_flags = fcntl(STDOUT_FILENO, F_GETFL);
    if (out_flags >= 0 && (out_flags & O_NONBLOCK) != 0)
        (void)fcntl(STDOUT_FILENO, F_SETFL, out_flags & ~O_NONBLOCK);
    if (o->want_line_buffered || isatty(STDOUT_FILENO))
        (void)setvbuf(stdout, NULL, _IOLBF, 0);
    else
        (void)setvbuf(stdout, NULL, _IOFBF, 1 << 16);
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
    fs.pf = load_prefilter(o, rs);
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

int
main(int argc, char **argv)
{
    struct opts o;
    int status;

    switch (opts_parse(argc, argv, &o)) {
    case OPTS_EXIT_OK:
        return fclose(stdout) == 0 ? SC_EXIT_MATCH : SC_EXIT_ERROR;
    case OPTS_EXIT_USAGE:
        opts_fini(&o);
        return SC_EXIT_ERROR;
    case OPTS_RUN:
        break;
    }
    install_signals(o.mode == MODE_FILTER && o.write_prefilter == NULL);
    const char *const check_dir =
        o.mode == MODE_CHECK_RULES && o.n_operands > 0 ? o.operands[0] : NULL;
    struct ruleset *const rs = load_rules(&o, check_dir);
    if (rs == NULL) {
        opts_fini(&o);
        return SC_EXIT_ERROR;
    }
    switch (o.mode) {
    case MODE_EXPLAIN:
        status = explain_codes(&o, rs);
        break;
    case MODE_MERGE:
        status = merge_snapshots(&o, rs);
        break;
    case MODE_CHECK_RULES:
        status = rulecheck_run(rs, report_problem, NULL) == 0 ? SC_EXIT_MATCH
                                                              : SC_EXIT_ERROR;
        break;
    default:
        status = o.write_prefilter != NULL ? write_prefilter(&o, rs)
                                           : filter(&o, rs);
        break;
    }
    rules_free(rs);
    opts_fini(&o);
    if (fflush(stdout) != 0 && errno != EPIPE) {
        sc_warn("write error");
        status = SC_EXIT_ERROR;
    }
    return status;
}

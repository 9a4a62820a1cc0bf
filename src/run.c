/*
 * run.c: the hot loop. Per line: classify once (on the line's first piece),
 * count, write. No allocation, no printf of log data, no strlen on lines.
 * Output is flushed when the input pauses (a short read), so a live pipe
 * sees each line at once without a flush per line.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "jsonline.h"
#include "linesplit.h"
#include "msg.h"
#include "tag.h"

/* Big enough for throughput, and at least two windows (see linesplit.h). */
#define RUN_BUF_MIN (512u * 1024u)

void
run_init(struct run *run, const struct opts *o, const struct ruleset *rs,
         FILE *out, const volatile sig_atomic_t *stop)
{
    memset(run, 0, sizeof(*run));
    run->o = o;
    run->rs = rs;
    run->out = out;
    run->stop = stop;
    run->ctr = counters_new();
    const size_t cap =
        o->max_line * 2 > RUN_BUF_MIN ? o->max_line * 2 : RUN_BUF_MIN;
    run->reader = reader_new(cap);
    run->reader->stop = stop;
    matcher_init(&run->m, rs);
}

void
run_fini(struct run *run)
{
    matcher_fini(&run->m);
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

static void
count_line(struct run *run, const struct outcome *oc, bool is_overlong)
{
    struct counter_totals *const t = counters_totals(run->ctr);

    t->lines_read++;
    if (is_overlong)
        t->lines_overlong++;
    if (!oc->has_outcome) {
        t->lines_without_outcome++;
        return;
    }
    t->lines_with_outcome++;
    if (oc->category == CAT_UNKNOWN)
        t->lines_unknown_category++;
    struct counter_key key;
    classify_counter_key(oc, &key);
    counters_add(run->ctr, &key, 1);
}

/* Process the pieces of one input until EOF, error or stop. */
static bool
process(struct run *run, const char *name)
{
    const struct opts *const o = run->o;
    struct linesplit ls;
    struct line_piece pc;
    struct outcome oc;
    bool is_selected = false, is_lossy = false;
    unsigned since_check = 0;

    linesplit_init(&ls, run->reader);
    ls.want_stop_at_short_read = true;
    oc.has_outcome = false;
    for (;;) {
        const enum linesplit_status st = linesplit_next(&ls, &pc);
        if (st == LINESPLIT_IDLE) {
            run_flush(run);
            if (run->is_output_closed || run->has_write_error)
                return false;
            continue;
        }
        if (st == LINESPLIT_EOF)
            return true;
        if (st == LINESPLIT_ERR) {
            if (errno == EINTR && run->stop != NULL && *run->stop)
                return false;
            sc_warn("%s", name);
            run->has_error = true;
            return true;
        }
        counters_totals(run->ctr)->bytes_read +=
            pc.text.len + (pc.has_newline ? 1 : 0);
        if (pc.is_first) {
            classify_line(&run->m, pc.text, o->max_line, &oc);
            count_line(run, &oc, !pc.is_last || pc.text.len > o->max_line);
            if (o->n_only == 0) {
                is_selected = true;
            } else {
                is_selected =
                    oc.has_outcome && opts_only_selects(o, oc.cls, oc.category,
                                                        oc.reply, &oc.enh);
            }
            if (oc.has_outcome && is_selected)
                run->has_selected = true;
        }
        if (is_selected && o->format == FORMAT_TAGGED)
            tag_write_piece(run->out, &pc, &oc, run->rs, o->lang);
        else if (is_selected && o->format == FORMAT_JSON)
            jsonline_write_piece(run->out, &pc, &oc, run->rs, o->lang,
                                 &is_lossy);
        if (++since_check >= 4096) {
            since_check = 0;
            check_output(run);
            if (run->is_output_closed || run->has_write_error)
                return false;
            if (run->stop != NULL && *run->stop)
                return false;
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
    reader_attach(run->reader, reader_read_fd, &fd);
    const bool go_on = process(run, name);
    if (!is_stdin)
        (void)close(fd);
    check_output(run);
    return go_on && !run->is_output_closed && !run->has_write_error;
}

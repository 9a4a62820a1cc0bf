/*
 * linesplit.c: finds '\n' with memchr in the reader's buffer and hands out
 * borrowed spans. A partial last line is kept for the next read; a line that
 * fills the whole buffer leaves in pieces so memory stays bounded.
 */
#include "linesplit.h"

#include <assert.h>
#include <string.h>

void
linesplit_init(struct linesplit *ls, struct reader *r)
{
    memset(ls, 0, sizeof(*ls));
    ls->r = r;
}

static void
set_piece(struct linesplit *ls, struct line_piece *out, const char *p,
          size_t len, bool is_last, bool has_newline)
{
    out->text = span_make(p, len);
    out->is_first = !ls->in_long_line;
    out->is_last = is_last;
    out->has_newline = has_newline;
    ls->in_long_line = !is_last;
}

enum linesplit_status
linesplit_next(struct linesplit *ls, struct line_piece *out)
{
    struct reader *const r = ls->r;

    for (;;) {
        const char *const data = r->buf + ls->pos;
        const size_t avail = r->len - ls->pos;
        const char *const nl = avail ? memchr(data, '\n', avail) : NULL;

        if (nl != NULL) {
            const size_t len = (size_t)(nl - data);
            set_piece(ls, out, data, len, true, true);
            ls->pos += len + 1;
            return LINESPLIT_PIECE;
        }
        if (ls->at_eof) {
            if (avail == 0) {
                if (ls->in_long_line) {
                    /* The line's last piece ended exactly at EOF. */
                    set_piece(ls, out, data, 0, true, false);
                    return LINESPLIT_PIECE;
                }
                return LINESPLIT_EOF;
            }
            set_piece(ls, out, data, avail, true, false);
            ls->pos += avail;
            return LINESPLIT_PIECE;
        }
        /* No complete line buffered: make room, then read. */
        if (ls->pos > 0) {
            reader_consume(r, ls->pos);
            ls->pos = 0;
        }
        if (r->len == r->cap) {
            /* A line as long as the buffer: hand out what we hold. */
            set_piece(ls, out, r->buf, r->len, false, false);
            ls->pos = r->len;
            return LINESPLIT_PIECE;
        }
        if (ls->want_stop_at_short_read && ls->short_read) {
            ls->short_read = false;
            return LINESPLIT_IDLE;
        }
        const size_t before = r->len;
        const size_t room = r->cap - r->len;
        switch (reader_fill(r)) {
        case READER_OK:
            ls->short_read = r->len - before < room;
            break;
        case READER_EOF:
            ls->at_eof = true;
            break;
        case READER_ERR:
            return LINESPLIT_ERR;
        }
    }
}

enum linesplit_status
linesplit_next_block(struct linesplit *ls, struct span *block, bool *is_block,
                     struct line_piece *out)
{
    struct reader *const r = ls->r;

    *is_block = false;
    if (!ls->in_long_line) {
        const char *const data = r->buf + ls->pos;
        size_t avail = r->len - ls->pos;
        while (avail > 0 && data[avail - 1] != '\n')
            avail--;
        if (avail > 0) {
            *block = span_make(data, avail);
            *is_block = true;
            ls->pos += avail;
            return LINESPLIT_PIECE;
        }
    }
    return linesplit_next(ls, out);
}

/*
 * linesplit.h: a reader's buffer → lines. Lines of any length: a line that
 * does not fit the buffer comes out in pieces, the first piece at least as
 * long as the buffer, so classification sees a full window at once.
 * Only '\n' ends a line; a final line without '\n' is still a line.
 */
#ifndef SMTPCLASS_LINESPLIT_H
#define SMTPCLASS_LINESPLIT_H

#include <stdbool.h>

#include "reader.h"
#include "span.h"

/*
 * One piece of a line. text excludes the '\n'; has_newline tells whether one
 * followed in the input. is_first / is_last mark the line's first and last
 * pieces (both true for an ordinary line). text is borrowed from the
 * reader's buffer and valid until the next linesplit_next().
 */
struct line_piece {
    struct span text;
    bool is_first;
    bool is_last;
    bool has_newline;
};

/* State between calls: where the next line starts in the reader's buffer. */
struct linesplit {
    struct reader *r;
    size_t pos;        /* start of the unread part in r->buf */
    bool in_long_line; /* a line's earlier pieces have been returned */
    bool at_eof;
    bool want_stop_at_short_read; /* see linesplit_next */
    bool short_read; /* last fill returned fewer bytes than asked */
};

void linesplit_init(struct linesplit *ls, struct reader *r);

enum linesplit_status {
    LINESPLIT_PIECE = 0, /* *out holds a piece */
    LINESPLIT_EOF = 1,   /* input exhausted */
    LINESPLIT_ERR = -1,  /* read error; errno is set */
    LINESPLIT_IDLE = 2   /* no complete line buffered and the last read was
                            short: the caller may flush output; calling
                            again blocks in read */
};

/*
 * Next piece. Reads from the reader when needed. When
 * want_stop_at_short_read is set, returns LINESPLIT_IDLE once before a
 * read that would follow a short read, so a caller can flush output
 * before it may block.
 */
enum linesplit_status linesplit_next(struct linesplit *ls,
                                     struct line_piece *out);

/*
 * Like linesplit_next, but when the buffer holds complete lines, return them
 * all at once in *block (from the next line's start through the last '\n',
 * borrowed like a piece) and set *is_block. Otherwise behaves as
 * linesplit_next and fills *out. For callers that can skip most lines
 * without looking at them one by one.
 */
enum linesplit_status linesplit_next_block(struct linesplit *ls,
                                           struct span *block, bool *is_block,
                                           struct line_piece *out);

#endif

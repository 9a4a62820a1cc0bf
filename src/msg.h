/*
 * msg.h: diagnostics in the form "smtpclass: where: what[: strerror]" and the
 * exit codes, which follow grep.
 */
#ifndef SMTPCLASS_MSG_H
#define SMTPCLASS_MSG_H

#include "compat.h"

enum sc_exit {
    SC_EXIT_MATCH = 0,   /* at least one line classified or selected */
    SC_EXIT_NOMATCH = 1, /* input read without error, nothing classified */
    SC_EXIT_ERROR = 2    /* usage, rules, input, output or memory error */
};

/*
 * A module's error report: filled by the module, printed by main.
 * file is empty and line 0 when they do not apply.
 */
struct sc_err {
    char msg[256];
    char file[256];
    unsigned line;
};

void sc_err_set(struct sc_err *err, const char *file, unsigned line,
                const char *fmt, ...) SC_PRINTF(4, 5);

/* Set the program name used as the message prefix (default "smtpclass"). */
void sc_set_progname(const char *name);
const char *sc_progname(void);

/* Like warn(3): appends ": strerror(errno)". */
void sc_warn(const char *fmt, ...) SC_PRINTF(1, 2);
/* Like warnx(3): no errno text. */
void sc_warnx(const char *fmt, ...) SC_PRINTF(1, 2);
/* warnx, then exit(SC_EXIT_ERROR). */
SC_NORETURN void sc_die(const char *fmt, ...) SC_PRINTF(1, 2);
/* Print a struct sc_err as "smtpclass: file:line: msg". */
void sc_warn_err(const struct sc_err *err);

#endif

/*
 * msg.c: the one place that formats diagnostics for stderr. Other modules
 * fill a struct sc_err; main decides what to print.
 */
#include "msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *progname = "smtpclass";

void
sc_set_progname(const char *name)
{
    progname = name;
}

const char *
sc_progname(void)
{
    return progname;
}

void
sc_err_set(struct sc_err *err, const char *file, unsigned line, const char *fmt,
           ...)
{
    va_list ap;

    if (err == NULL)
        return;
    (void)snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    va_start(ap, fmt);
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static void SC_PRINTF(1, 0)
    vwarn_common(const char *fmt, va_list ap, int errnum)
{
    (void)fprintf(stderr, "%s: ", progname);
    (void)vfprintf(stderr, fmt, ap);
    if (errnum != 0)
        (void)fprintf(stderr, ": %s", strerror(errnum));
    (void)fputc('\n', stderr);
}

void
sc_warn(const char *fmt, ...)
{
    const int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(fmt, ap, saved);
    va_end(ap);
    errno = saved;
}

void
sc_warnx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(fmt, ap, 0);
    va_end(ap);
}

void
sc_die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(fmt, ap, 0);
    va_end(ap);
    exit(SC_EXIT_ERROR);
}

void
sc_warn_err(const struct sc_err *err)
{
    if (err->file[0] != '\0' && err->line > 0)
        sc_warnx("%s:%u: %s", err->file, err->line, err->msg);
    else if (err->file[0] != '\0')
        sc_warnx("%s: %s", err->file, err->msg);
    else
        sc_warnx("%s", err->msg);
}

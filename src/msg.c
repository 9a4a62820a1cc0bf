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

/* Longest message text kept; longer ones end in "...". */
#define MSG_MAX 1024

/*
 * Messages quote file names, rule texts and log bytes: control bytes are
 * written as \xNN so that a hostile name cannot drive the terminal (the
 * line itself goes out in one write, so threads do not interleave).
 */
static void SC_PRINTF(1, 0)
    vwarn_common(const char *fmt, va_list ap, int errnum)
{
    char text[MSG_MAX];
    char out[MSG_MAX * 4 + 64];
    size_t n = 0;

    const int len = vsnprintf(text, sizeof(text), fmt, ap);
    for (const char *p = text; *p != '\0'; p++) {
        const unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "\\x%02x", c);
        else
            out[n++] = (char)c;
    }
    if (len >= (int)sizeof(text))
        n += (size_t)snprintf(out + n, sizeof(out) - n, "...");
    out[n] = '\0';
    if (errnum != 0)
        (void)fprintf(stderr, "%s: %s: %s\n", progname, out, strerror(errnum));
    else
        (void)fprintf(stderr, "%s: %s\n", progname, out);
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

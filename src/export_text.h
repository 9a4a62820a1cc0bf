/*
 * export_text.h: the counters in one output format, through the counters
 * iteration API only.
 */
#ifndef SMTPCLASS_EXPORT_TEXT_H
#define SMTPCLASS_EXPORT_TEXT_H

#include <stdio.h>

#include "export_names.h"

struct counters;

/*
 * Write all totals and series to out. Returns 0, or -1 when a write to out
 * failed (errno is set).
 */
int export_text_write(FILE *out, const struct counters *c,
                      const struct export_names *names);

#endif

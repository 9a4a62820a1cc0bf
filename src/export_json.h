/*
 * export_json.h: the counters in one output format, through the counters
 * iteration API only.
 */
#ifndef SMTPCLASS_EXPORT_JSON_H
#define SMTPCLASS_EXPORT_JSON_H

#include <stdio.h>

#include "counters.h"
#include "export_names.h"
#include "toplabels.h"

/*
 * The JSON names of the label families and drop reasons: written here,
 * read back by snapshot.c (merge), so both take them from this one table.
 */
struct export_json_family {
    const char *array; /* the key of the family's array of rows */
    const char *key;   /* the key of the value in each row */
    const char *name;  /* the family in "label_values_dropped" */
};
extern const struct export_json_family
    export_json_families[COUNTER_FAMILY_COUNT];
extern const char *const export_json_drop_reasons[TOPLABELS_DROP_COUNT];

/*
 * Write all totals and series to out. Returns 0, or -1 when a write to out
 * failed (errno is set).
 */
int export_json_write(FILE *out, const struct counters *c,
                      const struct export_names *names);

#endif

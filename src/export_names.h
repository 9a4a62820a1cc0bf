/*
 * export_names.h: what an exporter needs to turn counter keys into names.
 * MTA names come from the loaded rules; everything else from taxonomy.h.
 */
#ifndef SMTPCLASS_EXPORT_NAMES_H
#define SMTPCLASS_EXPORT_NAMES_H

#include <stddef.h>

/* Borrowed arrays; they outlive the export call. */
struct export_names {
    const char *const *mta; /* mta[key.mta], n_mta entries */
    size_t n_mta;
    const char *version; /* program version, for build info */
    /* Live mode's process figures; NULL: not rendered (batch output). */
    const struct counter_process *process;
};

#endif

/*
 * explain.h: plain-language sentences for an outcome or for bare codes,
 * from the ruleset's tables, in English or German.
 */
#ifndef SMTPCLASS_EXPLAIN_H
#define SMTPCLASS_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "smtpcode.h"

#define EXPLAIN_MAX_PARTS 3

/*
 * Sentences for (category, reply, enhanced): the category's, the reply
 * code's and the enhanced code's (exact entry, else its subject's), each
 * only when known. Returns how many were stored in parts (borrowed from
 * rs).
 */
size_t explain_parts(const struct ruleset *rs, enum rules_lang lang,
                     enum sc_category category, uint16_t reply,
                     const struct smtp_enhanced *enh,
                     const char *parts[EXPLAIN_MAX_PARTS]);

/* LANG_DE when the locale variables (LC_ALL, LC_MESSAGES, LANG) say de*. */
enum rules_lang explain_lang_from_env(void);

#endif

/*
 * explain.c: looks sentences up; never formats or allocates, so it is
 * cheap enough for every tagged line.
 */
#include "explain.h"

#include <stdlib.h>
#include <string.h>

static const char *
text_of(const struct explanation *ex, enum rules_lang lang)
{
    if (ex == NULL)
        return NULL;
    return ex->text[lang] != NULL ? ex->text[lang] : ex->text[LANG_EN];
}

size_t
explain_parts(const struct ruleset *rs, enum rules_lang lang,
              enum sc_category category, uint16_t reply,
              const struct smtp_enhanced *enh,
              const char *parts[EXPLAIN_MAX_PARTS])
{
    size_t n = 0;
    const char *t;
    bool is_wildcard;

    if (category != CAT_NONE &&
        (t = text_of(&rs->category[category], lang)) != NULL)
        parts[n++] = t;
    if (reply >= 100 && reply < 600 &&
        (t = text_of(&rs->reply[reply], lang)) != NULL)
        parts[n++] = t;
    if (enh->cls != 0 &&
        (t = text_of(rules_find_enhanced(rs, enh, &is_wildcard), lang)) != NULL)
        parts[n++] = t;
    return n;
}

enum rules_lang
explain_lang_from_env(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *const v = getenv(vars[i]);
        if (v == NULL || v[0] == '\0')
            continue;
        return strncmp(v, "de", 2) == 0 ? LANG_DE : LANG_EN;
    }
    return LANG_EN;
}

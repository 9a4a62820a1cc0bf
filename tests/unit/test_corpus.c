/*
 * test_corpus.c: every line of the shared corpus (tests/data/corpus) and of
 * the per-MTA and per-provider files (tests/data/<name>/) through the
 * classifier with the built-in rules, against the expectation written by
 * reading the line (tests/data/corpus/README.md). Any disagreement fails and
 * is printed as file:line with both values; agreement per field is printed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "match.h"
#include "rules.h"
#include "sample_files.h"

/* Paths under tests/data: the shared corpus, then the per-MTA and
 * per-provider files (each "F" with its "F.expect"). */
static const char *const corpus_files[] = {
    "corpus/postfix.log",
    "corpus/exim.log",
    "corpus/sendmail.log",
    "corpus/courier.log",
    "corpus/domino.log",
    "corpus/kerio.log",
    "corpus/oracle-ims.log",
    "corpus/assp.log",
    "corpus/qmail.log",
    "corpus/exchange.log",
    "corpus/bounce-dsn-lines.txt",
    "qmail/lines.log",
    "opensmtpd/lines.log",
    "exchange/lines.log",
    "courier/lines.log",
    "domino/lines.log",
    "kerio/lines.log",
    "oracle_ims/lines.log",
    "haraka/lines.log",
    "dovecot/lines.log",
    "policyd_spf/lines.log",
    "amavis/lines.log",
    "rspamd/lines.log",
    "postgrey/lines.log",
    "opendmarc/lines.log",
    "providers/google.log",
    "providers/microsoft.log",
    "providers/yahoo_aol.log",
    "providers/apple.log",
    "providers/united_internet.log",
    "providers/telekom_freenet.log",
    "providers/filtering.log",
};

enum field { F_MTA, F_EVENT, F_REPLY, F_ENHANCED, F_CATEGORY, F_COUNT };
static const char *const field_names[F_COUNT] = {"mta", "event", "reply",
                                                 "enhanced", "category"};

/* Split in place at '\n'; returns the number of lines (a final unterminated
 * line counts). */
static size_t
split_lines(char *buf, size_t len, char ***out)
{
    size_t n = 0, cap = 256;
    char **v = malloc(cap * sizeof(*v));
    char *p = buf;
    while (p < buf + len) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof(*v));
        v[n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    *out = v;
    return n;
}

static void
actual_fields(const struct ruleset *rs, const struct outcome *o,
              char vals[F_COUNT][32])
{
    for (int i = 0; i < F_COUNT; i++)
        strcpy(vals[i], "-");
    if (!o->has_outcome)
        return;
    snprintf(vals[F_MTA], 32, "%s", rs->mtas[o->mta].name);
    if (o->event != EVENT_NONE)
        snprintf(vals[F_EVENT], 32, "%s", taxonomy_event_name(o->event));
    if (o->reply)
        snprintf(vals[F_REPLY], 32, "%u", (unsigned)o->reply);
    if (o->enh.cls)
        vals[F_ENHANCED][smtpcode_format_enhanced(&o->enh, vals[F_ENHANCED])] =
            '\0';
    if (o->category != CAT_NONE)
        snprintf(vals[F_CATEGORY], 32, "%s",
                 taxonomy_category_name(o->category));
}

/* Parse "mta=.. event=.. reply=.. enhanced=.. category=..  # note". */
static bool
expected_fields(const char *line, char vals[F_COUNT][32], bool *has_outcome)
{
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", line);
    char *hash = strstr(copy, "  #");
    if (hash)
        *hash = '\0';
    for (int i = 0; i < F_COUNT; i++)
        strcpy(vals[i], "-");
    char *save = NULL;
    char *tok = strtok_r(copy, " ", &save);
    if (tok == NULL)
        return false;
    if (strcmp(tok, "-") == 0) {
        *has_outcome = false;
        return true;
    }
    *has_outcome = true;
    for (int i = 0; i < F_COUNT; i++, tok = strtok_r(NULL, " ", &save)) {
        const size_t klen = strlen(field_names[i]);
        if (tok == NULL || strncmp(tok, field_names[i], klen) != 0 ||
            tok[klen] != '=')
            return false;
        snprintf(vals[i], 32, "%s", tok + klen + 1);
    }
    return true;
}

Test(corpus, every_line_matches_its_expectation, .timeout = 60)
{
    struct rules_source *src = NULL;
    size_t n_src = 0;
    struct sc_err err;
    struct ruleset *rs;
    struct matcher m;
    unsigned agree[F_COUNT] = {0}, total = 0, failures = 0;

    cr_assert_eq(0,
                 rules_read_dir(SC_SOURCE_DIR "/rules", 0, &src, &n_src, &err),
                 "%s", err.msg);
    cr_assert_eq(0, rules_load(src, n_src, &rs, NULL, NULL));
    matcher_init(&m, rs);
    for (size_t fi = 0; fi < sizeof(corpus_files) / sizeof(*corpus_files);
         fi++) {
        char path[512], epath[600];
        size_t len, elen;
        char **lines, **exps;
        snprintf(path, sizeof(path), SC_SOURCE_DIR "/tests/data/%s",
                 corpus_files[fi]);
        snprintf(epath, sizeof(epath), "%s.expect", path);
        char *const buf = slurp(path, &len);
        char *const ebuf = slurp(epath, &elen);
        const size_t n = split_lines(buf, len, &lines);
        const size_t ne = split_lines(ebuf, elen, &exps);
        cr_assert_eq(n, ne, "%s: %zu lines but %zu expectations",
                     corpus_files[fi], n, ne);
        for (size_t i = 0; i < n; i++) {
            char want[F_COUNT][32], have[F_COUNT][32];
            bool want_outcome;
            struct outcome o;
            cr_assert(expected_fields(exps[i], want, &want_outcome),
                      "%s.expect:%zu: malformed expectation", corpus_files[fi],
                      i + 1);
            classify_line(&m, span_make(lines[i], strlen(lines[i])), 65536, &o);
            actual_fields(rs, &o, have);
            total++;
            bool ok = want_outcome == o.has_outcome;
            for (int f = 0; f < F_COUNT; f++) {
                if (strcmp(want[f], have[f]) == 0)
                    agree[f]++;
                else
                    ok = false;
            }
            if (!ok) {
                failures++;
                fprintf(stderr,
                        "%s:%zu: expected %s %s %s %s %s, got %s %s %s %s "
                        "%s\n",
                        corpus_files[fi], i + 1, want[0], want[1], want[2],
                        want[3], want[4], have[0], have[1], have[2], have[3],
                        have[4]);
            }
        }
        free(lines);
        free(exps);
        free(buf);
        free(ebuf);
    }
    fprintf(stderr, "corpus: %u lines;", total);
    for (int f = 0; f < F_COUNT; f++)
        fprintf(stderr, " %s %.1f%%", field_names[f],
                100.0 * agree[f] / (total ? total : 1));
    fprintf(stderr, "; %u lines disagree\n", failures);
    matcher_fini(&m);
    rules_free(rs);
    rules_sources_free(src, n_src);
    cr_assert_eq(0, failures, "%u corpus lines disagree with their expectation",
                 failures);
}

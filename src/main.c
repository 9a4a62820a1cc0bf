/*
 * main.c: wiring only. Parse options, load the rules, then explain codes,
 * check the rules, merge snapshots or run the filter (filter.c). Owns the
 * exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "explain.h"
#include "filter.h"
#include "export_json.h"
#include "export_prom.h"
#include "export_text.h"
#include "msg.h"
#include "opts.h"
#include "prefilter.h"
#include "rulecheck.h"
#include "ruleload.h"
#include "rules.h"
#include "signals.h"
#include "snapshot.h"

#ifndef SMTPCLASS_VERSION
#define SMTPCLASS_VERSION "0.0.0"
#endif

/*
 * The prefilter databases of the built-in rules, compiled at build time
 * (prefilter_blob.c, generated; empty in the first build stage).
 */
extern const unsigned char prefilter_blob[];
extern const size_t prefilter_blob_len;

static int
explain_codes(const struct opts *o, const struct ruleset *rs)
{
    int status = SC_EXIT_MATCH;

    for (size_t i = 0; i < o->n_operands; i++) {
        const char *p = o->operands[i];
        uint16_t reply = 0;
        struct smtp_enhanced enh = {0, 0, 0};
        bool is_ok = true;
        while (*p != '\0' && is_ok) {
            while (*p == ' ')
                p++;
            const size_t n = strcspn(p, " ");
            if (n == 0)
                break;
            const struct span w = span_make(p, n);
            is_ok = (reply == 0 && smtpcode_parse_reply(w, &reply)) ||
                    (enh.cls == 0 && smtpcode_parse_enhanced(w, &enh));
            p += n;
        }
        if (!is_ok || (reply == 0 && enh.cls == 0)) {
            sc_warnx("explain: '%s' is not a reply code or enhanced code",
                     o->operands[i]);
            status = SC_EXIT_ERROR;
            continue;
        }
        const enum sc_category cat =
            classify_category_from_codes(rs, reply, &enh);
        const enum sc_class cls = reply ? taxonomy_class_of_reply(reply)
                                        : taxonomy_class_of_enhanced(enh.cls);
        const char *parts[EXPLAIN_MAX_PARTS];
        const size_t n =
            explain_parts(rs, o->lang, cat == CAT_NONE ? CAT_UNKNOWN : cat,
                          reply, &enh, parts);
        (void)printf(
            "%s: class=%s category=%s\n", o->operands[i],
            taxonomy_class_name(cls),
            taxonomy_category_name(cat == CAT_NONE ? CAT_UNKNOWN : cat));
        for (size_t k = 0; k < n; k++)
            (void)printf("  %s\n", parts[k]);
    }
    return status;
}

/* --write-prefilter: the build's first stage serializes the databases. */
static int
write_prefilter(const struct opts *o, const struct ruleset *rs)
{
    struct sc_err err;
    char *bytes;
    size_t len;
    struct prefilter *const pf = prefilter_new(rs, &err);
    FILE *f;

    if (pf == NULL ||
        prefilter_serialize(
            pf, prefilter_fingerprint(rules_embedded, rules_embedded_count),
            &bytes, &len, &err) != 0) {
        sc_warn_err(&err);
        prefilter_free(pf);
        return SC_EXIT_ERROR;
    }
    prefilter_free(pf);
    if ((f = fopen(o->write_prefilter, "wb")) == NULL ||
        fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        sc_warn("%s", o->write_prefilter);
        free(bytes);
        return SC_EXIT_ERROR;
    }
    free(bytes);
    return SC_EXIT_MATCH;
}

/* `smtpclass merge`: sum snapshots; nothing is printed when one is bad. */
static int
merge_snapshots(const struct opts *o, const struct ruleset *rs)
{
    struct counters *const sum = counters_new();
    const struct export_names names = export_names_of(rs);
    struct sc_err err;
    int status = SC_EXIT_MATCH, rc = 0;

    for (size_t i = 0; i < o->n_operands; i++)
        if (snapshot_add_file(o->operands[i], rs, sum, &err) != 0) {
            sc_warn_err(&err);
            status = SC_EXIT_ERROR;
        }
    if (status == SC_EXIT_MATCH) {
        switch (o->stats) {
        case STATS_JSON:
            rc = export_json_write(stdout, sum, &names);
            break;
        case STATS_PROM:
            rc = export_prom_write(stdout, sum, &names);
            break;
        case STATS_TEXT:
            rc = export_text_write(stdout, sum, &names);
            break;
        case STATS_NONE:
            break;
        }
        if (rc != 0) {
            sc_warn("write error");
            status = SC_EXIT_ERROR;
        }
    }
    counters_free(sum);
    return status;
}

int
main(int argc, char **argv)
{
    const struct prefilter_blob blob = {prefilter_blob, prefilter_blob_len};
    struct opts o;
    int status;

    switch (opts_parse(argc, argv, &o)) {
    case OPTS_EXIT_OK:
        return fclose(stdout) == 0 ? SC_EXIT_MATCH : SC_EXIT_ERROR;
    case OPTS_EXIT_USAGE:
        opts_fini(&o);
        return SC_EXIT_ERROR;
    case OPTS_RUN:
        break;
    }
    signals_install(o.mode == MODE_FILTER && o.write_prefilter == NULL);
    const char *const check_dir =
        o.mode == MODE_CHECK_RULES && o.n_operands > 0 ? o.operands[0] : NULL;
    struct ruleset *const rs = load_rules(&o, check_dir);
    if (rs == NULL) {
        opts_fini(&o);
        return SC_EXIT_ERROR;
    }
    switch (o.mode) {
    case MODE_EXPLAIN:
        status = explain_codes(&o, rs);
        break;
    case MODE_MERGE:
        status = merge_snapshots(&o, rs);
        break;
    case MODE_CHECK_RULES:
        status = rulecheck_run(rs, report_rule_problem, NULL) == 0
                     ? SC_EXIT_MATCH
                     : SC_EXIT_ERROR;
        break;
    default:
        status = o.write_prefilter != NULL ? write_prefilter(&o, rs)
                                           : filter_run(&o, rs, &blob);
        break;
    }
    rules_free(rs);
    opts_fini(&o);
    if (fflush(stdout) != 0 && errno != EPIPE) {
        sc_warn("write error");
        status = SC_EXIT_ERROR;
    }
    return status;
}

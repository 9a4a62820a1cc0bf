/*
 * test_export.c: the three exporters on a small known table (exact JSON and
 * Prometheus text, key lines of the text table), on an empty table, on a
 * table with hostile names (checked by promtool and jq, which must be on
 * PATH), and on a failing stream.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counters.h"
#include "export_json.h"
#include "export_names.h"
#include "export_prom.h"
#include "export_text.h"
#include "taxonomy.h"
#include "toplabels.h"

static struct counters *c;

static void
setup(void)
{
    c = counters_new();
}

static void
teardown(void)
{
    counters_free(c);
    c = NULL;
}

TestSuite(export, .init = setup, .fini = teardown);

static const char *const mta_names[] = {"postfix", "exim"};
static const struct export_names names = {mta_names, 2, "1.2.3", NULL};

/* Four series over three classes, with absent event, reply and enhanced. */
static void
fill_known_table(void)
{
    const struct counter_key bounced = {
        .mta = 0,
        .event = EVENT_BOUNCED,
        .cls = CLASS_PERMANENT,
        .reply = 550,
        .enh_class = 5,
        .enh_subject = 1,
        .enh_detail = 1,
        .category = CAT_USER_UNKNOWN,
    };
    const struct counter_key sent = {
        .mta = 0,
        .event = EVENT_SENT,
        .cls = CLASS_SUCCESS,
        .reply = 250,
        .enh_class = 2,
        .category = CAT_DELIVERED,
    };
    const struct counter_key exim_no_event = {
        .mta = 1,
        .cls = CLASS_TRANSIENT,
        .enh_class = 4,
        .enh_subject = 4,
        .enh_detail = 1,
        .category = CAT_NETWORK_ERROR,
    };
    const struct counter_key greylisted = {
        .mta = 0,
        .event = EVENT_DEFERRED,
        .cls = CLASS_TRANSIENT,
        .reply = 451,
        .category = CAT_GREYLISTED,
    };
    const struct counter_totals totals = {
        .lines_read = 15,
        .lines_with_outcome = 11,
        .lines_without_outcome = 4,
        .lines_unknown_category = 0,
        .lines_overlong = 1,
        .bytes_read = 1234,
    };

    counters_add(c, &bounced, 3);
    counters_add(c, &sent, 5);
    counters_add(c, &exim_no_event, 1);
    counters_add(c, &greylisted, 2);
    *counters_totals(c) = totals;
}

typedef int export_fn(FILE *out, const struct counters *c,
                      const struct export_names *names);

/* Export to memory; the result is owned, release with free(). */
static char *
export_to_string(export_fn *fn, const struct export_names *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *const f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    cr_assert_eq(0, fn(f, c, n));
    cr_assert_eq(0, fclose(f));
    cr_assert_eq(len, strlen(buf), "no NUL bytes in export output");
    return buf;
}

Test(export, json_writes_known_table_exactly)
{
    const char *const want =
        "{\n"
        "  \"version\": \"1.2.3\",\n"
        "  \"totals\": {\n"
        "    \"lines_read\": 15,\n"
        "    \"lines_with_outcome\": 11,\n"
        "    \"lines_without_outcome\": 4,\n"
        "    \"lines_unknown_category\": 0,\n"
        "    \"lines_overlong\": 1,\n"
        "    \"lines_regex_limit\": 0,\n"
        "    \"lines_series_folded\": 0,\n"
        "    \"bytes_read\": 1234\n"
        "  },\n"
        "  \"outcomes\": [\n"
        "    {\"mta\": \"postfix\", \"event\": \"sent\", \"class\": "
        "\"success\", "
        "\"reply_code\": 250, \"enhanced_code\": \"2.0.0\", "
        "\"category\": \"delivered\", \"count\": 5},\n"
        "    {\"mta\": \"postfix\", \"event\": \"deferred\", "
        "\"class\": \"transient\", \"reply_code\": 451, "
        "\"enhanced_code\": null, \"category\": \"greylisted\", "
        "\"count\": 2},\n"
        "    {\"mta\": \"exim\", \"event\": null, \"class\": \"transient\", "
        "\"reply_code\": null, \"enhanced_code\": \"4.4.1\", "
        "\"category\": \"network_error\", \"count\": 1},\n"
        "    {\"mta\": \"postfix\", \"event\": \"bounced\", "
        "\"class\": \"permanent\", \"reply_code\": 550, "
        "\"enhanced_code\": \"5.1.1\", \"category\": \"user_unknown\", "
        "\"count\": 3}\n"
        "  ],\n"
        "  \"top_n\": 20,\n"
        "  \"recipient_domains\": [\n"
        "    {\"domain\": \"__other__\", \"class\": \"success\", \"count\": "
        "0},\n"
        "    {\"domain\": \"__other__\", \"class\": \"transient\", \"count\": "
        "0},\n"
        "    {\"domain\": \"__other__\", \"class\": \"permanent\", \"count\": "
        "0}\n"
        "  ],\n"
        "  \"relays\": [\n"
        "    {\"relay\": \"__other__\", \"class\": \"success\", \"count\": "
        "0},\n"
        "    {\"relay\": \"__other__\", \"class\": \"transient\", \"count\": "
        "0},\n"
        "    {\"relay\": \"__other__\", \"class\": \"permanent\", \"count\": "
        "0}\n"
        "  ],\n"
        "  \"label_values_dropped\": [\n"
        "    {\"family\": \"recipient_domain\", \"reason\": \"unlabelled\", "
        "\"count\": 0},\n"
        "    {\"family\": \"recipient_domain\", \"reason\": \"invalid\", "
        "\"count\": 0},\n"
        "    {\"family\": \"relay\", \"reason\": \"unlabelled\", \"count\": "
        "0},\n"
        "    {\"family\": \"relay\", \"reason\": \"invalid\", \"count\": 0}\n"
        "  ],\n"
        "  \"delay_buckets_seconds\": [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, "
        "3600, 21600, 86400],\n"
        "  \"delivery_delays\": []\n"
        "}\n";
    char *got;

    fill_known_table();
    got = export_to_string(export_json_write, &names);
    cr_assert_str_eq(want, got);
    free(got);
}

Test(export, json_writes_empty_table_with_empty_outcomes)
{
    const char *const want =
        "{\n"
        "  \"version\": \"1.2.3\",\n"
        "  \"totals\": {\n"
        "    \"lines_read\": 0,\n"
        "    \"lines_with_outcome\": 0,\n"
        "    \"lines_without_outcome\": 0,\n"
        "    \"lines_unknown_category\": 0,\n"
        "    \"lines_overlong\": 0,\n"
        "    \"lines_regex_limit\": 0,\n"
        "    \"lines_series_folded\": 0,\n"
        "    \"bytes_read\": 0\n"
        "  },\n"
        "  \"outcomes\": [],\n"
        "  \"top_n\": 20,\n"
        "  \"recipient_domains\": [\n"
        "    {\"domain\": \"__other__\", \"class\": \"success\", \"count\": "
        "0},\n"
        "    {\"domain\": \"__other__\", \"class\": \"transient\", \"count\": "
        "0},\n"
        "    {\"domain\": \"__other__\", \"class\": \"permanent\", \"count\": "
        "0}\n"
        "  ],\n"
        "  \"relays\": [\n"
        "    {\"relay\": \"__other__\", \"class\": \"success\", \"count\": "
        "0},\n"
        "    {\"relay\": \"__other__\", \"class\": \"transient\", \"count\": "
        "0},\n"
        "    {\"relay\": \"__other__\", \"class\": \"permanent\", \"count\": "
        "0}\n"
        "  ],\n"
        "  \"label_values_dropped\": [\n"
        "    {\"family\": \"recipient_domain\", \"reason\": \"unlabelled\", "
        "\"count\": 0},\n"
        "    {\"family\": \"recipient_domain\", \"reason\": \"invalid\", "
        "\"count\": 0},\n"
        "    {\"family\": \"relay\", \"reason\": \"unlabelled\", \"count\": "
        "0},\n"
        "    {\"family\": \"relay\", \"reason\": \"invalid\", \"count\": 0}\n"
        "  ],\n"
        "  \"delay_buckets_seconds\": [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, "
        "3600, 21600, 86400],\n"
        "  \"delivery_delays\": []\n"
        "}\n";
    char *const got = export_to_string(export_json_write, &names);

    cr_assert_str_eq(want, got);
    free(got);
}

Test(export, json_prints_full_uint64_counts)
{
    const struct counter_key k = {.cls = CLASS_SUCCESS,
                                  .category = CAT_DELIVERED};
    char *got;

    counters_add(c, &k, UINT64_MAX);
    counters_totals(c)->bytes_read = UINT64_MAX;
    got = export_to_string(export_json_write, &names);
    cr_assert_not_null(strstr(got, "\"bytes_read\": 18446744073709551615\n"));
    cr_assert_not_null(strstr(got, "\"count\": 18446744073709551615}"));
    free(got);
}

/* Append to a growing expected text. */
static void
append(char **buf, size_t *len, const char *s)
{
    const size_t n = strlen(s);

    *buf = realloc(*buf, *len + n + 1);
    cr_assert_not_null(*buf);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

Test(export, prom_writes_known_table_exactly)
{
    const char *const want_totals =
        "# HELP smtpclass_lines_read_total Lines read from all inputs.\n"
        "# TYPE smtpclass_lines_read_total counter\n"
        "smtpclass_lines_read_total 15\n"
        "# HELP smtpclass_lines_with_outcome_total Lines classified with a "
        "delivery outcome.\n"
        "# TYPE smtpclass_lines_with_outcome_total counter\n"
        "smtpclass_lines_with_outcome_total 11\n"
        "# HELP smtpclass_lines_without_outcome_total Lines without a reply "
        "code, enhanced code or delivery outcome.\n"
        "# TYPE smtpclass_lines_without_outcome_total counter\n"
        "smtpclass_lines_without_outcome_total 4\n"
        "# HELP smtpclass_lines_unknown_category_total Lines with an outcome "
        "whose category could not be decided.\n"
        "# TYPE smtpclass_lines_unknown_category_total counter\n"
        "smtpclass_lines_unknown_category_total 0\n"
        "# HELP smtpclass_lines_overlong_total Lines longer than the "
        "classification window.\n"
        "# TYPE smtpclass_lines_overlong_total counter\n"
        "smtpclass_lines_overlong_total 1\n"
        "# HELP smtpclass_lines_regex_limit_total Lines on which a rule's "
        "regex hit a resource limit (tagged unknown).\n"
        "# TYPE smtpclass_lines_regex_limit_total counter\n"
        "smtpclass_lines_regex_limit_total 0\n"
        "# HELP smtpclass_lines_series_folded_total Lines whose enhanced code "
        "was counted as __other__ because the outcome series reached their "
        "cap.\n"
        "# TYPE smtpclass_lines_series_folded_total counter\n"
        "smtpclass_lines_series_folded_total 0\n"
        "# HELP smtpclass_bytes_read_total Bytes read from all inputs.\n"
        "# TYPE smtpclass_bytes_read_total counter\n"
        "smtpclass_bytes_read_total 1234\n"
        "# HELP smtpclass_outcomes_by_class_total Lines with an outcome by "
        "class.\n"
        "# TYPE smtpclass_outcomes_by_class_total counter\n"
        "smtpclass_outcomes_by_class_total{class=\"preliminary\"} 0\n"
        "smtpclass_outcomes_by_class_total{class=\"success\"} 5\n"
        "smtpclass_outcomes_by_class_total{class=\"intermediate\"} 0\n"
        "smtpclass_outcomes_by_class_total{class=\"transient\"} 3\n"
        "smtpclass_outcomes_by_class_total{class=\"permanent\"} 3\n"
        "# HELP smtpclass_outcomes_by_category_total Lines with an outcome by "
        "category.\n"
        "# TYPE smtpclass_outcomes_by_category_total counter\n";
    const char *const want_outcomes =
        "# HELP smtpclass_outcomes_total Lines with an outcome by MTA, event, "
        "class, reply code, enhanced status code and category.\n"
        "# TYPE smtpclass_outcomes_total counter\n"
        "smtpclass_outcomes_total{mta=\"postfix\",event=\"sent\","
        "class=\"success\",reply_code=\"250\",enhanced_code=\"2.0.0\","
        "category=\"delivered\"} 5\n"
        "smtpclass_outcomes_total{mta=\"postfix\",event=\"deferred\","
        "class=\"transient\",reply_code=\"451\",enhanced_code=\"\","
        "category=\"greylisted\"} 2\n"
        "smtpclass_outcomes_total{mta=\"exim\",event=\"\","
        "class=\"transient\",reply_code=\"\",enhanced_code=\"4.4.1\","
        "category=\"network_error\"} 1\n"
        "smtpclass_outcomes_total{mta=\"postfix\",event=\"bounced\","
        "class=\"permanent\",reply_code=\"550\",enhanced_code=\"5.1.1\","
        "category=\"user_unknown\"} 3\n";
    const char *const want_labels =
        "# HELP smtpclass_recipient_domain_lines_total Lines with an outcome "
        "by recipient domain and class; the --top largest domains are "
        "labelled, the rest are __other__.\n"
        "# TYPE smtpclass_recipient_domain_lines_total counter\n"
        "smtpclass_recipient_domain_lines_total{domain=\"__other__\","
        "class=\"success\"} 0\n"
        "smtpclass_recipient_domain_lines_total{domain=\"__other__\","
        "class=\"transient\"} 0\n"
        "smtpclass_recipient_domain_lines_total{domain=\"__other__\","
        "class=\"permanent\"} 0\n"
        "# HELP smtpclass_relay_lines_total Lines with an outcome by relay "
        "host and class; the --top largest relays are labelled, the rest are "
        "__other__.\n"
        "# TYPE smtpclass_relay_lines_total counter\n"
        "smtpclass_relay_lines_total{relay=\"__other__\",class=\"success\"} "
        "0\n"
        "smtpclass_relay_lines_total{relay=\"__other__\",class=\"transient\"} "
        "0\n"
        "smtpclass_relay_lines_total{relay=\"__other__\",class=\"permanent\"} "
        "0\n"
        "# HELP smtpclass_label_values_dropped_total Lines counted under "
        "__other__ by label family and reason: unlabelled (the value has no "
        "label: --top reached, or not seen often enough yet) or invalid (not "
        "a hostname).\n"
        "# TYPE smtpclass_label_values_dropped_total counter\n"
        "smtpclass_label_values_dropped_total{family=\"recipient_domain\","
        "reason=\"unlabelled\"} 0\n"
        "smtpclass_label_values_dropped_total{family=\"recipient_domain\","
        "reason=\"invalid\"} 0\n"
        "smtpclass_label_values_dropped_total{family=\"relay\","
        "reason=\"unlabelled\"} 0\n"
        "smtpclass_label_values_dropped_total{family=\"relay\","
        "reason=\"invalid\"} 0\n"
        "# HELP smtpclass_build_info Build information; the value is always "
        "1.\n"
        "# TYPE smtpclass_build_info gauge\n"
        "smtpclass_build_info{version=\"1.2.3\",pcre2=\"";
    char *want = NULL;
    size_t want_len = 0;
    char *got;

    append(&want, &want_len, want_totals);
    /* Every named category, at 0 when it has no lines (RC-72). */
    for (unsigned cat = 1; cat < CAT_COUNT; cat++) {
        char line[128];
        const unsigned n = cat == CAT_DELIVERED       ? 5
                           : cat == CAT_USER_UNKNOWN  ? 3
                           : cat == CAT_GREYLISTED    ? 2
                           : cat == CAT_NETWORK_ERROR ? 1
                                                      : 0;
        (void)snprintf(line, sizeof line,
                       "smtpclass_outcomes_by_category_total{category=\"%s\"} "
                       "%u\n",
                       taxonomy_category_name((enum sc_category)cat), n);
        append(&want, &want_len, line);
    }
    append(&want, &want_len, want_outcomes);
    append(&want, &want_len, want_labels);
    fill_known_table();
    got = export_to_string(export_prom_write, &names);
    cr_assert_eq(0, strncmp(want, got, want_len), "got:\n%s", got);
    /* The library versions differ between machines: only their shape. */
    cr_assert_not_null(strstr(got + want_len, "\",xxhash=\""));
    cr_assert_str_eq("\"} 1\n", got + strlen(got) - 5);
    free(want);
    free(got);
}

Test(export, text_shows_totals_summary_and_rows_with_dashes)
{
    char *got;

    fill_known_table();
    got = export_to_string(export_text_write, &names);
    cr_assert_not_null(strstr(got, "  lines read                15\n"));
    cr_assert_not_null(strstr(got, "  bytes read              1234\n"));
    cr_assert_not_null(strstr(got, "      5   45.5%  delivered\n"));
    cr_assert_not_null(strstr(got, "      1    9.1%  network_error\n"));
    cr_assert_not_null(strstr(got, "  count  class      category       reply"
                                   "  enhanced  mta      event\n"));
    cr_assert_not_null(strstr(got, "      1  transient  network_error  -    "
                                   "  4.4.1     exim     -\n"));
    /* Rows follow the visit order: success before transient before 5yz. */
    cr_assert_lt(strstr(got, "  success  "), strstr(got, "  transient  "));
    cr_assert_lt(strstr(got, "  transient  "), strstr(got, "  permanent  "));
    free(got);
}

Test(export, unnamed_values_print_as_numbers)
{
    const struct counter_key k = {
        .mta = 9,
        .event = 200,
        .cls = CLASS_PERMANENT,
        .reply = 554,
        .category = 201,
    };
    char *got;

    counters_add(c, &k, 1);
    got = export_to_string(export_prom_write, &names);
    cr_assert_not_null(strstr(got,
                              "{mta=\"9\",event=\"200\",class=\"permanent\""
                              ",reply_code=\"554\",enhanced_code=\"\","
                              "category=\"201\"} 1\n"));
    free(got);
}

Test(export, write_failure_returns_minus_one_with_errno)
{
    FILE *const full = fopen("/dev/full", "w");

    cr_assert_not_null(full, "cannot open /dev/full");
    fill_known_table();
    errno = 0;
    cr_assert_eq(-1, export_json_write(full, c, &names));
    cr_assert_eq(ENOSPC, errno);
    clearerr(full);
    errno = 0;
    cr_assert_eq(-1, export_prom_write(full, c, &names));
    cr_assert_eq(ENOSPC, errno);
    clearerr(full);
    errno = 0;
    cr_assert_eq(-1, export_text_write(full, c, &names));
    cr_assert_eq(ENOSPC, errno);
    (void)fclose(full);
}

/* Names that try to break out of quotes, lines and encodings. */
static const char *const hostile_mta[] = {
    "ev\"il\\\n\tx\r\x01\xff\xc0\x80",
    "}\n# TYPE smtpclass_outcomes_total gauge\nx{a=\"",
    "\xed\xa0\x80\xf4\x90\x80\x80 \xe2\x82",
};
static const struct export_names hostile_names = {hostile_mta, 3,
                                                  "1.0\"} 2\n\\\xfe", NULL};

static void
fill_hostile_table(void)
{
    for (uint16_t i = 0; i < 4; i++) {
        const struct counter_key k = {
            .mta = i, /* 3 has no name */
            .event = EVENT_BOUNCED,
            .cls = CLASS_PERMANENT,
            .reply = 550,
            .enh_class = 5,
            .enh_subject = i,
            .category = CAT_USER_UNKNOWN,
        };
        counters_add(c, &k, i + 1u);
    }
    counters_totals(c)->lines_read = 10;
    counters_totals(c)->lines_with_outcome = 10;
}

/*
 * Run cmd with the export on its stdin; returns the exit status. A shell
 * status of 127 means the tool is missing, which skips the test.
 */
static int
pipe_to(const char *cmd, export_fn *fn, const struct export_names *n)
{
    FILE *const p = popen(cmd, "w");
    int status;

    cr_assert_not_null(p, "popen %s", cmd);
    cr_assert_eq(0, fn(p, c, n));
    status = pclose(p);
    cr_assert(WIFEXITED(status), "%s did not exit", cmd);
    /* A missing tool is a failure, never a skip: tests/setup.sh installs it. */
    cr_assert_neq(127, WEXITSTATUS(status),
                  "%s: not found (run tests/setup.sh --test)", cmd);
    return WEXITSTATUS(status);
}

Test(export, promtool_accepts_output_with_hostile_labels)
{
    fill_hostile_table();
    cr_assert_eq(0, pipe_to("promtool check metrics", export_prom_write,
                            &hostile_names));
}

Test(export, promtool_accepts_output_of_empty_table)
{
    cr_assert_eq(0,
                 pipe_to("promtool check metrics", export_prom_write, &names));
}

/*
 * promtool does not notice a family split in two, so check that here: each
 * HELP and TYPE appears once, and every sample belongs to the family whose
 * TYPE came last (a histogram's samples add _bucket, _sum and _count).
 * Also: the output ends with a newline. Returns the number of families.
 */
static size_t
check_families(char *got)
{
    char *line;
    char *next;
    char families[64][64];
    bool is_histogram[64];
    size_t n_families = 0;
    size_t n_help = 0;

    cr_assert_eq('\n', got[strlen(got) - 1]);
    for (line = got; *line != '\0'; line = next) {
        char *const nl = strchr(line, '\n');
        size_t name_len;

        cr_assert_not_null(nl);
        *nl = '\0';
        next = nl + 1;
        if (strncmp(line, "# HELP ", 7) == 0) {
            n_help++;
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            const char *const name = line + 7;
            name_len = strcspn(name, " ");
            cr_assert_lt(name_len, sizeof families[0]);
            for (size_t i = 0; i < n_families; i++)
                cr_assert(strncmp(families[i], name, name_len) != 0 ||
                              families[i][name_len] != '\0',
                          "family %s typed twice", families[i]);
            cr_assert_lt(n_families, 64);
            memcpy(families[n_families], name, name_len);
            families[n_families][name_len] = '\0';
            is_histogram[n_families] =
                strcmp(name + name_len, " histogram") == 0;
            n_families++;
            cr_assert_eq(n_families, n_help, "one HELP before each TYPE");
            continue;
        }
        cr_assert_neq('#', line[0], "unexpected comment: %s", line);
        cr_assert_gt(n_families, 0);
        const char *const family = families[n_families - 1];
        const size_t family_len = strlen(family);
        name_len = strcspn(line, "{ ");
        cr_assert_eq(0, strncmp(family, line, family_len),
                     "sample outside its family: %s", line);
        if (is_histogram[n_families - 1] && name_len != family_len) {
            const char *const suffix = line + family_len;
            const size_t n = name_len - family_len;
            cr_assert((n == 7 && strncmp(suffix, "_bucket", 7) == 0) ||
                          (n == 4 && strncmp(suffix, "_sum", 4) == 0) ||
                          (n == 6 && strncmp(suffix, "_count", 6) == 0),
                      "not a histogram sample: %s", line);
        } else {
            cr_assert_eq(family_len, name_len, "%s", line);
        }
    }
    return n_families;
}

Test(export, prom_families_are_contiguous_with_one_help_and_type)
{
    char *got;

    fill_hostile_table();
    got = export_to_string(export_prom_write, &hostile_names);
    /* 8 totals, by class, by category, outcomes, 2 label families and
     * their drops, build info. */
    cr_assert_eq(15, check_families(got));
    free(got);
}

/* Everything: labels (one invalid), delays of two MTAs, process figures. */
static const struct counter_process full_process = {
    .rules_reloads = 3,
    .rules_reload_failures = 1,
    .rules_last_reload_ok = true,
    .file_rotations = 2,
    .file_truncations = 1,
    .input_open_errors = 4,
    .textfile_write_errors = 5,
    .last_line_timestamp = 1700000000.25,
    .last_write_timestamp = 1700000001,
};
static const struct export_names full_names = {mta_names, 2, "1.2.3",
                                               &full_process};

static void
fill_full_table(void)
{
    fill_known_table();
    for (unsigned i = 0; i < 3; i++)
        counters_add_label(c, COUNTER_FAMILY_RCPT_DOMAIN,
                           SPAN_LIT("Example.ORG"), CLASS_PERMANENT);
    counters_add_label(c, COUNTER_FAMILY_RCPT_DOMAIN, SPAN_LIT("example.net"),
                       CLASS_SUCCESS);
    counters_add_label(c, COUNTER_FAMILY_RCPT_DOMAIN, SPAN_LIT("bad\"domain\n"),
                       CLASS_TRANSIENT);
    counters_add_label(c, COUNTER_FAMILY_RELAY, SPAN_LIT("mx.example.net"),
                       CLASS_TRANSIENT);
    counters_add_delay(c, 0, EVENT_SENT, 50);
    counters_add_delay(c, 0, EVENT_SENT, 100);
    counters_add_delay(c, 0, EVENT_SENT, 101);
    counters_add_delay(c, 0, EVENT_SENT, 86400001);
    counters_add_delay(c, 1, EVENT_DEFERRED, 1250);
}

Test(export, prom_families_of_full_table_are_contiguous)
{
    char *got;

    fill_full_table();
    got = export_to_string(export_prom_write, &full_names);
    /* 15 as above, the delay histogram, 9 process families. */
    cr_assert_eq(25, check_families(got));
    free(got);
}

Test(export, promtool_accepts_full_table)
{
    fill_full_table();
    cr_assert_eq(
        0, pipe_to("promtool check metrics", export_prom_write, &full_names));
}

Test(export, prom_writes_labels_histograms_and_process)
{
    char *got;

    fill_full_table();
    got = export_to_string(export_prom_write, &full_names);
    cr_assert_not_null(
        strstr(got, "smtpclass_recipient_domain_lines_total{domain=\"example."
                    "org\",class=\"permanent\"} 3\n"
                    "smtpclass_recipient_domain_lines_total{domain=\"example."
                    "net\",class=\"success\"} 1\n"
                    "smtpclass_recipient_domain_lines_total{domain=\"__other__"
                    "\",class=\"success\"} 0\n"
                    "smtpclass_recipient_domain_lines_total{domain=\"__other__"
                    "\",class=\"transient\"} 1\n"),
        "%s", got);
    cr_assert_not_null(strstr(got, "{family=\"recipient_domain\","
                                   "reason=\"invalid\"} 1\n"));
    cr_assert_not_null(strstr(got, "smtpclass_relay_lines_total{relay=\"mx."
                                   "example.net\",class=\"transient\"} 1\n"));
    /* Cumulative buckets; le includes the bound; exact decimal sum. */
    cr_assert_not_null(
        strstr(got, "smtpclass_delivery_delay_seconds_bucket{mta=\"postfix\","
                    "event=\"sent\",le=\"0.1\"} 2\n"
                    "smtpclass_delivery_delay_seconds_bucket{mta=\"postfix\","
                    "event=\"sent\",le=\"0.5\"} 3\n"));
    cr_assert_not_null(
        strstr(got, "smtpclass_delivery_delay_seconds_bucket{mta=\"postfix\","
                    "event=\"sent\",le=\"86400\"} 3\n"
                    "smtpclass_delivery_delay_seconds_bucket{mta=\"postfix\","
                    "event=\"sent\",le=\"+Inf\"} 4\n"
                    "smtpclass_delivery_delay_seconds_sum{mta=\"postfix\","
                    "event=\"sent\"} 86400.252\n"
                    "smtpclass_delivery_delay_seconds_count{mta=\"postfix\","
                    "event=\"sent\"} 4\n"));
    cr_assert_not_null(
        strstr(got, "smtpclass_delivery_delay_seconds_sum{mta=\"exim\","
                    "event=\"deferred\"} 1.25\n"));
    cr_assert_not_null(strstr(got, "\nsmtpclass_rules_reloads_total 3\n"));
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_rules_reload_failures_total 1\n"));
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_rules_last_reload_success 1\n"));
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_textfile_write_errors_total 5\n"));
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_last_line_timestamp_seconds 1700000000.25\n"));
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_last_write_timestamp_seconds 1700000001\n"));
    free(got);
}

Test(export, process_figures_only_when_given)
{
    char *got;

    fill_full_table();
    got = export_to_string(export_prom_write, &names);
    cr_assert_null(strstr(got, "smtpclass_rules_reloads_total"));
    cr_assert_null(strstr(got, "last_line_timestamp"));
    free(got);
    got = export_to_string(export_json_write, &names);
    cr_assert_null(strstr(got, "\"process\""));
    free(got);
    got = export_to_string(export_text_write, &names);
    cr_assert_null(strstr(got, "\nprocess\n"));
    free(got);
}

Test(export, non_finite_gauges_are_nan_in_prom_and_null_in_json)
{
    struct counter_process p = full_process;
    const struct export_names n = {mta_names, 2, "1.2.3", &p};
    char *got;

    p.last_line_timestamp = 0.0 / 0.0;
    p.last_write_timestamp = -1.0 / 0.0;
    got = export_to_string(export_prom_write, &n);
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_last_line_timestamp_seconds NaN\n"));
    cr_assert_not_null(
        strstr(got, "\nsmtpclass_last_write_timestamp_seconds -Inf\n"));
    free(got);
    got = export_to_string(export_json_write, &n);
    cr_assert_not_null(strstr(got, "\"last_line_timestamp\": null,\n"));
    cr_assert_not_null(strstr(got, "\"last_write_timestamp\": null\n"));
    free(got);
    cr_assert_eq(0, pipe_to("promtool check metrics", export_prom_write, &n));
    cr_assert_eq(0, pipe_to("jq -e '.process.last_line_timestamp == null' "
                            ">/dev/null",
                            export_json_write, &n));
}

Test(export, jq_reads_labels_histograms_and_process_from_json)
{
    fill_full_table();
    cr_assert_eq(
        0, pipe_to("jq -e '.top_n == 20 and "
                   "(.recipient_domains[0] == {\"domain\": \"example.org\", "
                   "\"class\": \"permanent\", \"count\": 3}) and "
                   "([.label_values_dropped[].count] | add) == 1 and "
                   "(.delivery_delays[0] | .mta == \"postfix\" and "
                   ".count == 4 and .sum_seconds == 86400.252 and "
                   ".buckets == [2,1,0,0,0,0,0,0,0,0,0,0,1]) and "
                   ".process.rules_reloads == 3 and "
                   ".process.rules_last_reload_ok == true and "
                   ".process.last_line_timestamp == 1700000000.25' >/dev/null",
                   export_json_write, &full_names));
}

Test(export, text_shows_top_labels_delays_and_process)
{
    char *got;

    fill_full_table();
    got = export_to_string(export_text_write, &full_names);
    cr_assert_not_null(strstr(got, "\nrecipient domains (top 20)\n"
                                   "  count  success  transient  permanent"
                                   "  domain\n"
                                   "      3        0          0          3"
                                   "  example.org\n"),
                       "%s", got);
    cr_assert_not_null(strstr(got, "      1        0          1          0"
                                   "  __other__\n"));
    cr_assert_not_null(strstr(got, "\nrelays (top 20)\n"));
    cr_assert_not_null(strstr(got, "\ndelivery delays (seconds; p50, p90: "
                                   "bucket bounds)\n"
                                   "  count  mean       p50    p90     mta"
                                   "      event\n"
                                   "      4  21600.063  <=0.1  >86400  "
                                   "postfix  sent\n"),
                       "%s", got);
    cr_assert_not_null(strstr(got, "\nprocess\n  rules reloads          3 "
                                   "(1 failed, last ok)\n"));
    free(got);
}

/* RC-70: counts print exactly, never through a double. */
Test(export, counts_print_exactly_in_every_format)
{
    static const uint64_t values[] = {UINT64_C(999999), UINT64_C(9999999),
                                      (UINT64_C(1) << 53) + 1, UINT64_MAX - 1};
    static const char *const texts[] = {"999999", "9999999", "9007199254740993",
                                        "18446744073709551614"};
    export_fn *const fns[] = {export_prom_write, export_json_write,
                              export_text_write};

    for (size_t i = 0; i < 4; i++) {
        const struct counter_key k = {.cls = CLASS_SUCCESS,
                                      .category = CAT_DELIVERED,
                                      .reply = (uint16_t)(250 + i)};
        counters_add(c, &k, values[i]);
    }
    counters_totals(c)->lines_read = values[3];
    counters_totals(c)->bytes_read = values[2];
    cr_assert(toplabels_add_labelled(
        counters_labels_mut(c, COUNTER_FAMILY_RCPT_DOMAIN),
        SPAN_LIT("big.example"), CLASS_PERMANENT, values[1]));
    toplabels_add_other(counters_labels_mut(c, COUNTER_FAMILY_RELAY),
                        CLASS_SUCCESS, values[0]);
    const struct counter_delay d = {.mta = 0,
                                    .event = EVENT_SENT,
                                    .count = values[2],
                                    .sum_ms = values[3],
                                    .buckets = {[12] = values[2]}};
    counters_add_delay_histogram(c, &d);
    for (size_t f = 0; f < 3; f++) {
        char *const got = export_to_string(fns[f], &names);
        for (size_t i = 0; i < 4; i++)
            cr_assert_not_null(strstr(got, texts[i]), "format %zu: %s", f,
                               texts[i]);
        cr_assert_null(strstr(got, "e+"), "format %zu: an exponent", f);
        if (f == 0) {
            cr_assert_not_null(strstr(
                got, "smtpclass_delivery_delay_seconds_sum{mta=\"postfix\","
                     "event=\"sent\"} 18446744073709551.614\n"));
            cr_assert_not_null(strstr(
                got, "{domain=\"big.example\",class=\"permanent\"} 9999999\n"));
        }
        free(got);
    }
}

Test(export, jq_parses_json_with_hostile_names)
{
    fill_hostile_table();
    cr_assert_eq(0, pipe_to("jq -e '(.outcomes | length) == 4 and "
                            ".totals.lines_read == 10 and "
                            "([.outcomes[].count] | add) == 10' >/dev/null",
                            export_json_write, &hostile_names));
}

Test(export, jq_parses_json_of_empty_table)
{
    cr_assert_eq(0, pipe_to("jq -e '.outcomes == []' >/dev/null",
                            export_json_write, &names));
}

/* jq and promtool repair or tolerate some bad UTF-8; iconv does not. */
Test(export, outputs_with_hostile_names_are_valid_utf8)
{
    fill_hostile_table();
    cr_assert_eq(0, pipe_to("iconv -f UTF-8 -t UTF-8 >/dev/null",
                            export_json_write, &hostile_names));
    cr_assert_eq(0, pipe_to("iconv -f UTF-8 -t UTF-8 >/dev/null",
                            export_prom_write, &hostile_names));
}

Test(export, json_round_trips_hostile_name_with_replacements)
{
    char path[] = "/tmp/test_export_XXXXXX";
    const int fd = mkstemp(path);
    const char want[] =
        "ev\"il\\\n\tx\r\x01\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD";
    char cmd[128];
    char got[64];
    size_t n;
    FILE *f;
    FILE *p;

    cr_assert_neq(-1, fd);
    f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fill_hostile_table();
    cr_assert_eq(0, export_json_write(f, c, &hostile_names));
    cr_assert_eq(0, fclose(f));
    (void)snprintf(cmd, sizeof cmd, "jq -j '.outcomes[0].mta' < %s", path);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    n = fread(got, 1, sizeof got, p);
    const int status = pclose(p);
    (void)unlink(path);
    cr_assert(!(WIFEXITED(status) && WEXITSTATUS(status) == 127),
              "jq: not found (run tests/setup.sh --test)");
    cr_assert_eq(0, status);
    cr_assert_eq(sizeof want - 1, n);
    cr_assert_arr_eq(want, got, n);
}

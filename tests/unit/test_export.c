/*
 * test_export.c: the three exporters on a small known table (exact JSON and
 * Prometheus text, key lines of the text table), on an empty table, on a
 * table with hostile names (checked by promtool and jq, which must be on
 * PATH), and on a failing stream.
 */
#include <criterion/criterion.h>
#include <errno.h>
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
static const struct export_names names = {mta_names, 2, "1.2.3"};

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
        "  ]\n"
        "}\n";
    char *got;

    fill_known_table();
    got = export_to_string(export_json_write, &names);
    cr_assert_str_eq(want, got);
    free(got);
}

Test(export, json_writes_empty_table_with_empty_outcomes)
{
    const char *const want = "{\n"
                             "  \"version\": \"1.2.3\",\n"
                             "  \"totals\": {\n"
                             "    \"lines_read\": 0,\n"
                             "    \"lines_with_outcome\": 0,\n"
                             "    \"lines_without_outcome\": 0,\n"
                             "    \"lines_unknown_category\": 0,\n"
                             "    \"lines_overlong\": 0,\n"
                             "    \"lines_regex_limit\": 0,\n"
                             "    \"bytes_read\": 0\n"
                             "  },\n"
                             "  \"outcomes\": []\n"
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

Test(export, prom_writes_known_table_exactly)
{
    const char *const want =
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
        "# HELP smtpclass_bytes_read_total Bytes read from all inputs.\n"
        "# TYPE smtpclass_bytes_read_total counter\n"
        "smtpclass_bytes_read_total 1234\n"
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
        "category=\"user_unknown\"} 3\n"
        "# HELP smtpclass_build_info Build information; the value is always "
        "1.\n"
        "# TYPE smtpclass_build_info gauge\n"
        "smtpclass_build_info{version=\"1.2.3\"} 1\n";
    char *got;

    fill_known_table();
    got = export_to_string(export_prom_write, &names);
    cr_assert_str_eq(want, got);
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
                                                  "1.0\"} 2\n\\\xfe"};

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
 * TYPE came last. Also: the output ends with a newline.
 */
Test(export, prom_families_are_contiguous_with_one_help_and_type)
{
    char *got;
    char *line;
    char *next;
    char families[16][64];
    size_t n_families = 0;
    size_t n_help = 0;

    fill_hostile_table();
    got = export_to_string(export_prom_write, &hostile_names);
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
            cr_assert_lt(n_families, 16);
            memcpy(families[n_families], name, name_len);
            families[n_families][name_len] = '\0';
            n_families++;
            cr_assert_eq(n_families, n_help, "one HELP before each TYPE");
            continue;
        }
        cr_assert_neq('#', line[0], "unexpected comment: %s", line);
        cr_assert_gt(n_families, 0);
        name_len = strcspn(line, "{ ");
        cr_assert_eq(strlen(families[n_families - 1]), name_len, "%s", line);
        cr_assert_eq(0, strncmp(families[n_families - 1], line, name_len),
                     "sample outside its family: %s", line);
    }
    cr_assert_eq(9, n_families); /* 7 totals, outcomes, build info */
    free(got);
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

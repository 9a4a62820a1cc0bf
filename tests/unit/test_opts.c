/*
 * test_opts.c: argv → struct opts: defaults, every option's accepted and
 * rejected values, -c implying --format=none, --only parsing, the
 * --max-line range, the explain and check-rules modes, --help/--version,
 * and opts_only_selects. Usage errors print to stderr; that is expected.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

static struct opts o;

static void
teardown(void)
{
    opts_fini(&o);
}

TestSuite(opts, .fini = teardown, .timeout = 10);

/* Parse a NULL-terminated argv and return the result. */
static enum opts_result
parse(char **argv, int argc)
{
    return opts_parse(argc, argv, &o);
}

Test(opts, defaults_without_arguments)
{
    char *argv[] = {"smtpclass", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(MODE_FILTER, o.mode);
    cr_assert_eq(FORMAT_TAGGED, o.format);
    cr_assert_eq(STATS_TEXT, o.stats);
    cr_assert_not(o.is_stats_explicit);
    cr_assert_not(o.want_count);
    cr_assert_not(o.want_line_buffered);
    cr_assert_null(o.rules_dir);
    cr_assert_eq(0, o.n_rules_add);
    cr_assert_eq(65536, o.max_line);
    cr_assert_eq(0, o.n_only);
    cr_assert_eq(0, o.n_operands);
}

Test(opts, default_language_comes_from_the_locale)
{
    char *argv[] = {"smtpclass", NULL};

    cr_assert_eq(0, unsetenv("LC_ALL"));
    cr_assert_eq(0, unsetenv("LC_MESSAGES"));
    cr_assert_eq(0, setenv("LANG", "de_DE.UTF-8", 1));
    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(LANG_DE, o.lang);
    opts_fini(&o);
    cr_assert_eq(0, setenv("LC_ALL", "C", 1));
    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(LANG_EN, o.lang, "LC_ALL wins over LANG");
}

Test(opts, operands_keep_their_order)
{
    char *argv[] = {"smtpclass", "--format=json", "a.log", "-", "b.log", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(3, o.n_operands);
    cr_assert_str_eq("a.log", o.operands[0]);
    cr_assert_str_eq("-", o.operands[1]);
    cr_assert_str_eq("b.log", o.operands[2]);
    cr_assert_eq(&argv[2], o.operands, "operands are borrowed from argv");
}

Test(opts, format_values)
{
    static const struct {
        const char *arg;
        enum opts_format want;
    } cases[] = {
        {"--format=tagged", FORMAT_TAGGED},
        {"--format=json", FORMAT_JSON},
        {"--format=none", FORMAT_NONE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"smtpclass", (char *)(uintptr_t)cases[i].arg, NULL};
        cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)), "%s", cases[i].arg);
        cr_assert_eq(cases[i].want, o.format, "%s", cases[i].arg);
        opts_fini(&o);
    }
}

Test(opts, format_in_two_words)
{
    char *argv[] = {"smtpclass", "--format", "json", "x.log", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(FORMAT_JSON, o.format);
    cr_assert_eq(1, o.n_operands);
}

Test(opts, unknown_format_is_a_usage_error)
{
    char *argv[] = {"smtpclass", "--format=xml", NULL};

    cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)));
}

Test(opts, missing_option_value_is_a_usage_error)
{
    char *argv[] = {"smtpclass", "--format", NULL};

    cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)));
}

Test(opts, stats_values)
{
    static const struct {
        const char *arg;
        enum opts_stats want;
    } cases[] = {
        {"--stats=text", STATS_TEXT},       {"--stats=json", STATS_JSON},
        {"--stats=prometheus", STATS_PROM}, {"--stats=prom", STATS_PROM},
        {"--stats=none", STATS_NONE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"smtpclass", (char *)(uintptr_t)cases[i].arg, NULL};
        cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)), "%s", cases[i].arg);
        cr_assert_eq(cases[i].want, o.stats, "%s", cases[i].arg);
        cr_assert(o.is_stats_explicit, "%s", cases[i].arg);
        opts_fini(&o);
    }
}

Test(opts, unknown_stats_is_a_usage_error)
{
    char *argv[] = {"smtpclass", "--stats=csv", NULL};

    cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)));
}

Test(opts, count_implies_format_none)
{
    char *argv[] = {"smtpclass", "--format=json", "-c", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(o.want_count);
    cr_assert_eq(FORMAT_NONE, o.format);
}

Test(opts, long_count_implies_format_none)
{
    char *argv[] = {"smtpclass", "--count", "--format=tagged", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(o.want_count);
    cr_assert_eq(FORMAT_NONE, o.format);
}

Test(opts, only_parses_each_kind_of_selector)
{
    char *argv[] = {"smtpclass", "--only=permanent,user_unknown,550,5xx,5.1.1",
                    NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(5, o.n_only);
    cr_assert_eq(ONLY_CLASS, o.only[0].kind);
    cr_assert_eq(CLASS_PERMANENT, o.only[0].value);
    cr_assert_eq(ONLY_CATEGORY, o.only[1].kind);
    cr_assert_eq(CAT_USER_UNKNOWN, o.only[1].value);
    cr_assert_eq(ONLY_REPLY, o.only[2].kind);
    cr_assert_eq(550, o.only[2].value);
    cr_assert_eq(ONLY_REPLY_CLASS, o.only[3].kind);
    cr_assert_eq(5, o.only[3].value);
    cr_assert_eq(ONLY_ENHANCED, o.only[4].kind);
    cr_assert_eq(5, o.only[4].enh.cls);
    cr_assert_eq(1, o.only[4].enh.subject);
    cr_assert_eq(1, o.only[4].enh.detail);
}

Test(opts, only_given_twice_accumulates)
{
    char *argv[] = {"smtpclass", "--only=transient", "--only", "4.2.2", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(2, o.n_only);
    cr_assert_eq(ONLY_CLASS, o.only[0].kind);
    cr_assert_eq(CLASS_TRANSIENT, o.only[0].value);
    cr_assert_eq(ONLY_ENHANCED, o.only[1].kind);
    cr_assert_eq(4, o.only[1].enh.cls);
    cr_assert_eq(2, o.only[1].enh.subject);
    cr_assert_eq(2, o.only[1].enh.detail);
}

Test(opts, only_rejects_unknown_words)
{
    static const char *const bad[] = {
        "--only=bogus",     "--only=permanent,bogus",
        "--only=550,",      "--only=",
        "--only=6xx",       "--only=1xx",
        "--only=5.9.1",     "--only=5500",
        "--only=Permanent", "--only=user-unknown",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"smtpclass", (char *)(uintptr_t)bad[i], NULL};
        cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)), "%s", bad[i]);
        opts_fini(&o);
    }
}

Test(opts, only_usage_error_names_the_word, .init = cr_redirect_stderr)
{
    char *argv[] = {"smtpclass", "--only=permanent,bogus", NULL};
    char buf[1024];

    cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)));
    fflush(stderr);
    FILE *const err = cr_get_redirected_stderr();
    const size_t n = fread(buf, 1, sizeof(buf) - 1, err);
    buf[n] = '\0';
    cr_assert_not_null(strstr(buf, "smtpclass: "), "got '%s'", buf);
    cr_assert_not_null(strstr(buf, "'bogus'"), "got '%s'", buf);
    cr_assert_not_null(strstr(buf, "usage: smtpclass"), "got '%s'", buf);
}

Test(opts, lang_values)
{
    char *en[] = {"smtpclass", "--lang=en", NULL};
    char *de[] = {"smtpclass", "--lang=de", NULL};
    char *fr[] = {"smtpclass", "--lang=fr", NULL};

    cr_assert_eq(0, setenv("LC_ALL", "de_DE.UTF-8", 1));
    cr_assert_eq(OPTS_RUN, parse(en, ARGC(en)));
    cr_assert_eq(LANG_EN, o.lang, "--lang wins over the locale");
    opts_fini(&o);
    cr_assert_eq(0, setenv("LC_ALL", "C", 1));
    cr_assert_eq(OPTS_RUN, parse(de, ARGC(de)));
    cr_assert_eq(LANG_DE, o.lang);
    opts_fini(&o);
    cr_assert_eq(OPTS_EXIT_USAGE, parse(fr, ARGC(fr)));
}

Test(opts, max_line_accepts_the_range_ends)
{
    static const struct {
        const char *arg;
        size_t want;
    } cases[] = {
        {"--max-line=256", 256},
        {"--max-line=4096", 4096},
        {"--max-line=16777216", 16777216},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"smtpclass", (char *)(uintptr_t)cases[i].arg, NULL};
        cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)), "%s", cases[i].arg);
        cr_assert_eq(cases[i].want, o.max_line, "%s", cases[i].arg);
        opts_fini(&o);
    }
}

Test(opts, max_line_rejects_out_of_range_and_garbage)
{
    static const char *const bad[] = {
        "--max-line=255",
        "--max-line=16777217",
        "--max-line=0",
        "--max-line=-1",
        "--max-line=",
        "--max-line=abc",
        "--max-line=64k",
        "--max-line=4096 ",
        "--max-line=99999999999999999999",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"smtpclass", (char *)(uintptr_t)bad[i], NULL};
        cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)), "%s", bad[i]);
        opts_fini(&o);
    }
}

Test(opts, explain_mode_takes_the_codes_as_operands)
{
    char *argv[] = {"smtpclass", "explain", "550", "5.1.1", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(MODE_EXPLAIN, o.mode);
    cr_assert_eq(2, o.n_operands);
    cr_assert_str_eq("550", o.operands[0]);
    cr_assert_str_eq("5.1.1", o.operands[1]);
}

Test(opts, explain_with_one_quoted_operand)
{
    char *argv[] = {"smtpclass", "--lang=de", "explain", "550 5.1.1", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(MODE_EXPLAIN, o.mode);
    cr_assert_eq(LANG_DE, o.lang);
    cr_assert_eq(1, o.n_operands);
    cr_assert_str_eq("550 5.1.1", o.operands[0]);
}

Test(opts, explain_without_a_code_is_a_usage_error)
{
    char *argv[] = {"smtpclass", "explain", NULL};

    cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)));
}

Test(opts, explain_as_a_later_operand_is_a_file_name)
{
    char *argv[] = {"smtpclass", "a.log", "explain", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(MODE_FILTER, o.mode);
    cr_assert_eq(2, o.n_operands);
}

Test(opts, check_rules_mode_with_a_directory)
{
    char *argv[] = {"smtpclass", "--check-rules", "rules", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_eq(MODE_CHECK_RULES, o.mode);
    cr_assert_eq(1, o.n_operands);
    cr_assert_str_eq("rules", o.operands[0]);
}

Test(opts, rules_and_rules_add)
{
    char *argv[] = {"smtpclass",
                    "--rules=/etc/sc",
                    "--rules-add=/a",
                    "--rules-add",
                    "/b",
                    "--line-buffered",
                    NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert_str_eq("/etc/sc", o.rules_dir);
    cr_assert_eq(2, o.n_rules_add);
    cr_assert_str_eq("/a", o.rules_add[0]);
    cr_assert_str_eq("/b", o.rules_add[1]);
    cr_assert(o.want_line_buffered);
}

Test(opts, unknown_options_are_usage_errors)
{
    static const char *const bad[] = {"--bogus", "-x", "--only"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"smtpclass", (char *)(uintptr_t)bad[i], NULL};
        cr_assert_eq(OPTS_EXIT_USAGE, parse(argv, ARGC(argv)), "%s", bad[i]);
        opts_fini(&o);
    }
}

Test(opts, help_prints_to_stdout_and_exits_ok, .init = cr_redirect_stdout)
{
    char *argv[] = {"smtpclass", "--help", NULL};
    char buf[8192];

    cr_assert_eq(OPTS_EXIT_OK, parse(argv, ARGC(argv)));
    fflush(stdout);
    const size_t n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
    buf[n] = '\0';
    cr_assert_not_null(strstr(buf, "--format"), "got '%s'", buf);
    cr_assert_not_null(strstr(buf, "--max-line"), "got '%s'", buf);
}

Test(opts, version_prints_the_version, .init = cr_redirect_stdout)
{
    char *argv[] = {"smtpclass", "-V", NULL};
    char buf[256];

    cr_assert_eq(OPTS_EXIT_OK, parse(argv, ARGC(argv)));
    fflush(stdout);
    const size_t n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
    buf[n] = '\0';
    cr_assert_eq(0, strncmp("smtpclass ", buf, 10), "got '%s'", buf);
}

Test(opts, fini_zeroes_and_accepts_a_zeroed_struct)
{
    char *argv[] = {"smtpclass", "--only=5xx", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    opts_fini(&o);
    cr_assert_null(o.only);
    cr_assert_eq(0, o.n_only);
    opts_fini(&o);
}

/* ---- opts_only_selects ------------------------------------------------- */

static const struct smtp_enhanced no_enh = {0, 0, 0};
static const struct smtp_enhanced enh_511 = {5, 1, 1};
static const struct smtp_enhanced enh_422 = {4, 2, 2};

Test(opts, without_only_everything_is_selected)
{
    char *argv[] = {"smtpclass", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(opts_only_selects(&o, CLASS_NONE, CAT_NONE, 0, &no_enh));
    cr_assert(opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 550,
                                &enh_511));
}

Test(opts, only_class_selects_that_class)
{
    char *argv[] = {"smtpclass", "--only=permanent", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(opts_only_selects(&o, CLASS_PERMANENT, CAT_UNKNOWN, 0, &no_enh));
    cr_assert_not(
        opts_only_selects(&o, CLASS_TRANSIENT, CAT_GREYLISTED, 450, &no_enh));
}

Test(opts, only_category_selects_that_category)
{
    char *argv[] = {"smtpclass", "--only=mailbox_full", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(opts_only_selects(&o, CLASS_TRANSIENT, CAT_MAILBOX_FULL, 452,
                                &enh_422));
    cr_assert_not(opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 550,
                                    &enh_511));
}

Test(opts, only_reply_selects_that_exact_code)
{
    char *argv[] = {"smtpclass", "--only=550", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 550,
                                &enh_511));
    cr_assert_not(opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 551,
                                    &enh_511));
    cr_assert_not(
        opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 0, &enh_511));
}

Test(opts, only_reply_class_selects_by_first_digit)
{
    char *argv[] = {"smtpclass", "--only=5xx", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(
        opts_only_selects(&o, CLASS_PERMANENT, CAT_UNKNOWN, 500, &no_enh));
    cr_assert(
        opts_only_selects(&o, CLASS_PERMANENT, CAT_UNKNOWN, 554, &no_enh));
    cr_assert_not(
        opts_only_selects(&o, CLASS_TRANSIENT, CAT_UNKNOWN, 450, &no_enh));
    cr_assert_not(opts_only_selects(&o, CLASS_NONE, CAT_NONE, 0, &no_enh),
                  "no reply code is not 0xx");
}

Test(opts, only_enhanced_selects_that_exact_code)
{
    char *argv[] = {"smtpclass", "--only=5.1.1", NULL};
    const struct smtp_enhanced enh_512 = {5, 1, 2};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(
        opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 0, &enh_511));
    cr_assert_not(opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 550,
                                    &enh_512));
    cr_assert_not(opts_only_selects(&o, CLASS_NONE, CAT_NONE, 0, &no_enh));
}

Test(opts, only_list_selects_any_match)
{
    char *argv[] = {"smtpclass", "--only=greylisted,5.1.1", NULL};

    cr_assert_eq(OPTS_RUN, parse(argv, ARGC(argv)));
    cr_assert(
        opts_only_selects(&o, CLASS_TRANSIENT, CAT_GREYLISTED, 450, &no_enh));
    cr_assert(opts_only_selects(&o, CLASS_PERMANENT, CAT_USER_UNKNOWN, 550,
                                &enh_511));
    cr_assert_not(opts_only_selects(&o, CLASS_TRANSIENT, CAT_MAILBOX_FULL, 452,
                                    &enh_422));
}

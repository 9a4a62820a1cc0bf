/*
 * opts.c: getopt_long-based parsing; the only other module (with main and
 * msg) that prints. Defaults follow the README: tagged lines on stdout,
 * a text summary on stderr.
 */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "msg.h"
#include "xalloc.h"

#ifndef SMTPCLASS_VERSION
#define SMTPCLASS_VERSION "0.0.0"
#endif

#define MAX_LINE_DEFAULT (64u * 1024u)
#define MAX_LINE_MIN 256u
#define MAX_LINE_MAX (16u * 1024u * 1024u)

static const char synopsis[] =
    "usage: smtpclass [-chV] [--format=tagged|json|none] "
    "[--stats=text|json|prometheus|none] [--only=LIST] [--lang=en|de] "
    "[--rules=DIR] [--rules-add=DIR] [--max-line=BYTES] [--line-buffered] "
    "[--unmatched=FILE] [-j N] [--progress|--no-progress] "
    "[file ...]\n"
    "       smtpclass -F [--from-start] [--stats-file=PATH] "
    "[--stats-interval=SEC] [--listen=[ADDR:]PORT] [--top=N] file ...\n"
    "       smtpclass explain CODE ...\n"
    "       smtpclass merge SNAPSHOT.json ... [--stats=json|prometheus|text]\n"
    "       smtpclass test-rules [DIR ...]\n"
    "       smtpclass --check-rules [DIR]";

static const char help_text[] =
    "smtpclass: classify SMTP outcomes in mail server logs\n"
    "\n"
    "Reads log files (or stdin when none or '-') and writes every line\n"
    "back; lines with an SMTP outcome get a TAB and tags with the class,\n"
    "category, codes and an explanation. A summary of counters follows\n"
    "at the end (stderr, or stdout with -c).\n"
    "\n"
    "Output:\n"
    "  --format=FMT       tagged (default), json (one object per line), none\n"
    "  --unmatched=FILE   write the texts of lines whose category stayed\n"
    "                     unknown to FILE ('-': stdout), grouped and\n"
    "                     counted, most frequent first: the rules to add\n"
    "  --only=LIST        pass only lines whose outcome matches one of LIST:\n"
    "                     classes, categories, reply codes (550, 5xx) or\n"
    "                     enhanced codes (5.1.1), comma-separated\n"
    "  --stats=FMT        text (default), json, prometheus, none\n"
    "  -c, --count        print no lines, only the counters (to stdout)\n"
    "  --lang=LANG        en or de (default: from LC_ALL, LC_MESSAGES, LANG)\n"
    "  --line-buffered    flush after every line\n"
    "  --reference        classify every line with the plain path (no\n"
    "                     Hyperscan prefilters); for testing, same results\n"
    "\n"
    "Batch:\n"
    "  -j, --jobs=N       process files (and parts of a large plain file) on\n"
    "                     N threads; output stays in input order (default:\n"
    "                     the number of cores; stdin is read sequentially)\n"
    "  --progress, --no-progress  a progress line on stderr (default: when\n"
    "                     stderr is a terminal; never in follow mode)\n"
    "\n"
    "Monitoring:\n"
    "  -F, --follow       follow the files by name across rotation, like\n"
    "                     tail -F (starts at their end)\n"
    "  --from-start       with -F: read what the files hold first\n"
    "  --stats-file=PATH  rewrite the counters to PATH atomically, every\n"
    "                     --stats-interval and at exit, in the --stats\n"
    "                     format (prometheus for node_exporter's textfile\n"
    "                     collector, or json)\n"
    "  --stats-interval=SEC  seconds between --stats-file writes (15)\n"
    "  --listen=[ADDR:]PORT  serve Prometheus metrics on "
    "http://ADDR:PORT/metrics\n"
    "                     (ADDR defaults to 127.0.0.1)\n"
    "  --top=N            label at most N recipient domains and N relays;\n"
    "                     the rest count as \"other\" (default 20, 0: none)\n"
    "  Signals: TERM/INT flush and exit 0, HUP reloads the rules (a broken\n"
    "  set is reported and the old one kept), USR1 writes the counters now.\n"
    "\n"
    "Rules:\n"
    "  --rules=DIR        use the *.rules files of DIR instead of the\n"
    "                     built-in rules\n"
    "  --rules-add=DIR    layer DIR's rules over the others (tried first)\n"
    "  --check-rules [DIR] compile the rules and run their examples;\n"
    "                     problems as file:line: message, exit 2\n"
    "  --max-line=BYTES   classify at most the first BYTES of a line\n"
    "                     (default 65536); longer lines pass unchanged\n"
    "\n"
    "Commands:\n"
    "  explain CODE...    explain reply codes, enhanced codes or both\n"
    "                     (\"550 5.1.1\")\n"
    "  test-rules [DIR...] layer each DIR's rules over the built-in ones\n"
    "                     and run every rule's examples and near misses;\n"
    "                     problems as file:line: message, exit 2\n"
    "  merge FILE...      sum JSON counter snapshots (--stats=json output)\n"
    "                     from many hosts or archives; prints the sum in\n"
    "                     the --stats format (default json)\n"
    "\n"
    "  -h, --help         this text;  -V, --version   the version\n"
    "\n"
    "Exit status: 0 a line was classified (or selected), 1 none, 2 error.\n";

enum {
    OPT_FORMAT = 256,
    OPT_STATS,
    OPT_ONLY,
    OPT_LANG,
    OPT_RULES,
    OPT_RULES_ADD,
    OPT_CHECK_RULES,
    OPT_MAX_LINE,
    OPT_LINE_BUFFERED,
    OPT_REFERENCE,
    OPT_WRITE_PREFILTER,
    OPT_UNMATCHED,
    OPT_FROM_START,
    OPT_STATS_FILE,
    OPT_STATS_INTERVAL,
    OPT_LISTEN,
    OPT_TOP,
    OPT_PROGRESS,
    OPT_NO_PROGRESS
};

static const struct option long_opts[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"stats", required_argument, NULL, OPT_STATS},
    {"only", required_argument, NULL, OPT_ONLY},
    {"lang", required_argument, NULL, OPT_LANG},
    {"rules", required_argument, NULL, OPT_RULES},
    {"rules-add", required_argument, NULL, OPT_RULES_ADD},
    {"check-rules", no_argument, NULL, OPT_CHECK_RULES},
    {"max-line", required_argument, NULL, OPT_MAX_LINE},
    {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
    {"reference", no_argument, NULL, OPT_REFERENCE},
    {"unmatched", required_argument, NULL, OPT_UNMATCHED},
    {"write-prefilter", required_argument, NULL, OPT_WRITE_PREFILTER},
    {"follow", no_argument, NULL, 'F'},
    {"from-start", no_argument, NULL, OPT_FROM_START},
    {"stats-file", required_argument, NULL, OPT_STATS_FILE},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"top", required_argument, NULL, OPT_TOP},
    {"jobs", required_argument, NULL, 'j'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"count", no_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static enum opts_result SC_PRINTF(1, 2) usage_error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sc_warnx("%s", msg);
    (void)fprintf(stderr, "%s\n", synopsis);
    return OPTS_EXIT_USAGE;
}

static bool
parse_only_item(const char *s, size_t len, struct only_item *it)
{
    const struct span w = span_make(s, len);
    uint16_t reply;

    memset(it, 0, sizeof(*it));
    if ((it->value = taxonomy_class_lookup(w)) != 0) {
        it->kind = ONLY_CLASS;
        return true;
    }
    if ((it->value = taxonomy_category_lookup(w)) != 0) {
        it->kind = ONLY_CATEGORY;
        return true;
    }
    if (smtpcode_parse_reply(w, &reply)) {
        it->kind = ONLY_REPLY;
        it->value = reply;
        return true;
    }
    if (len == 3 && s[0] >= '2' && s[0] <= '5' && s[1] == 'x' && s[2] == 'x') {
        it->kind = ONLY_REPLY_CLASS;
        it->value = (unsigned)(s[0] - '0');
        return true;
    }
    if (smtpcode_parse_enhanced(w, &it->enh)) {
        it->kind = ONLY_ENHANCED;
        return true;
    }
    return false;
}

static enum opts_result
parse_only(struct opts *o, const char *arg)
{
    const char *p = arg;
    for (;;) {
        const char *const comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        struct only_item it;
        char word[64];
        if (len == 0 || len >= sizeof(word) || !parse_only_item(p, len, &it)) {
            (void)snprintf(word, sizeof(word), "%.*s", (int)len, p);
            return usage_error("--only: unknown class, category or code '%s'",
                               word);
        }
        o->only = xrealloc(o->only, (o->n_only + 1) * sizeof(*o->only));
        o->only[o->n_only++] = it;
        if (comma == NULL)
            return OPTS_RUN;
        p = comma + 1;
    }
}

/* A decimal number in [lo, hi], or false. */
static bool
parse_unsigned(const char *arg, unsigned lo, unsigned hi, unsigned *v)
{
    char *end;

    errno = 0;
    const unsigned long long n = strtoull(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || n < lo ||
        n > hi)
        return false;
    *v = (unsigned)n;
    return true;
}

static void
add_rules_dir(struct opts *o, const char *dir)
{
    o->rules_add =
        xrealloc(o->rules_add, (o->n_rules_add + 1) * sizeof(char *));
    o->rules_add[o->n_rules_add++] = dir;
}

/* A subcommand as the first operand: consume it and say so. */
static bool
take_command(struct opts *o, const char *name)
{
    if (o->mode != MODE_FILTER || o->n_operands == 0 ||
        strcmp(o->operands[0], name) != 0)
        return false;
    o->operands++;
    o->n_operands--;
    return true;
}

enum opts_result
opts_parse(int argc, char **argv, struct opts *o)
{
    int c;

    memset(o, 0, sizeof(*o));
    o->max_line = MAX_LINE_DEFAULT;
    o->lang = explain_lang_from_env();
    o->stats_interval = 15;
    o->top_n = 20;
    opterr = 0;
    optind = 1;
    /* Options may follow operands ("smtpclass file --stats=none"). */
    while ((c = getopt_long(argc, argv, "cFhj:V", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            if (strcmp(optarg, "tagged") == 0)
                o->format = FORMAT_TAGGED;
            else if (strcmp(optarg, "json") == 0)
                o->format = FORMAT_JSON;
            else if (strcmp(optarg, "none") == 0)
                o->format = FORMAT_NONE;
            else
                return usage_error("unknown --format '%s'", optarg);
            break;
        case OPT_STATS:
            o->is_stats_explicit = true;
            if (strcmp(optarg, "text") == 0)
                o->stats = STATS_TEXT;
            else if (strcmp(optarg, "json") == 0)
                o->stats = STATS_JSON;
            else if (strcmp(optarg, "prometheus") == 0 ||
                     strcmp(optarg, "prom") == 0)
                o->stats = STATS_PROM;
            else if (strcmp(optarg, "none") == 0)
                o->stats = STATS_NONE;
            else
                return usage_error("unknown --stats '%s'", optarg);
            break;
        case OPT_ONLY:
            if (parse_only(o, optarg) != OPTS_RUN)
                return OPTS_EXIT_USAGE;
            break;
        case OPT_LANG:
            if (strcmp(optarg, "en") == 0)
                o->lang = LANG_EN;
            else if (strcmp(optarg, "de") == 0)
                o->lang = LANG_DE;
            else
                return usage_error("unknown --lang '%s' (en or de)", optarg);
            break;
        case OPT_RULES:
            o->rules_dir = optarg;
            break;
        case OPT_RULES_ADD:
            add_rules_dir(o, optarg);
            break;
        case OPT_CHECK_RULES:
            o->mode = MODE_CHECK_RULES;
            break;
        case OPT_MAX_LINE: {
            char *end;
            errno = 0;
            const unsigned long long v = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' ||
                v < MAX_LINE_MIN || v > MAX_LINE_MAX)
                return usage_error("--max-line '%s': expected a number of "
                                   "bytes from 256 to 16777216",
                                   optarg);
            o->max_line = (size_t)v;
            break;
        }
        case OPT_LINE_BUFFERED:
            o->want_line_buffered = true;
            break;
        case OPT_REFERENCE:
            o->want_reference = true;
            break;
        case OPT_UNMATCHED:
            o->unmatched = optarg;
            break;
        case OPT_WRITE_PREFILTER: /* used by the build, not documented */
            o->write_prefilter = optarg;
            break;
        case 'c':
            o->want_count = true;
            break;
        case 'F':
            o->want_follow = true;
            break;
        case OPT_FROM_START:
            o->want_from_start = true;
            break;
        case OPT_STATS_FILE:
            if (optarg[0] == '\0')
                return usage_error("%s", "--stats-file: empty path");
            o->stats_file = optarg;
            break;
        case OPT_STATS_INTERVAL:
            if (!parse_unsigned(optarg, 1, 86400, &o->stats_interval))
                return usage_error("--stats-interval '%s': expected seconds "
                                   "from 1 to 86400",
                                   optarg);
            break;
        case OPT_LISTEN:
            if (optarg[0] == '\0')
                return usage_error("%s", "--listen: empty address");
            o->listen = optarg;
            break;
        case OPT_TOP:
            if (!parse_unsigned(optarg, 0, 10000, &o->top_n))
                return usage_error("--top '%s': expected a number from 0 to "
                                   "10000",
                                   optarg);
            break;
        case 'j':
            if (!parse_unsigned(optarg, 1, 256, &o->jobs))
                return usage_error("-j '%s': expected a number of threads "
                                   "from 1 to 256",
                                   optarg);
            break;
        case OPT_PROGRESS:
            o->progress = PROGRESS_ON;
            break;
        case OPT_NO_PROGRESS:
            o->progress = PROGRESS_OFF;
            break;
        case 'h':
            (void)fputs(help_text, stdout);
            return OPTS_EXIT_OK;
        case 'V':
            (void)printf("smtpclass %s\n", SMTPCLASS_VERSION);
            return OPTS_EXIT_OK;
        default:
            return usage_error("unknown or incomplete option '%s'",
                               argv[optind - 1]);
        }
    }
    o->operands = argv + optind;
    o->n_operands = (size_t)(argc - optind);
    if (take_command(o, "test-rules")) {
        /* Each DIR layers over the built-in (or --rules) set, as with
         * --rules-add, and every rule's examples run on the result. */
        o->mode = MODE_CHECK_RULES;
        for (size_t i = 0; i < o->n_operands; i++)
            add_rules_dir(o, o->operands[i]);
        o->operands += o->n_operands;
        o->n_operands = 0;
    } else if (take_command(o, "merge")) {
        o->mode = MODE_MERGE;
        if (o->n_operands == 0)
            return usage_error("%s", "merge: no snapshot given");
        if (!o->is_stats_explicit)
            o->stats = STATS_JSON;
    } else if (take_command(o, "explain")) {
        o->mode = MODE_EXPLAIN;
        if (o->n_operands == 0)
            return usage_error("%s", "explain: no code given");
    }
    if (o->want_count)
        o->format = FORMAT_NONE;
    if (o->mode == MODE_FILTER && o->want_follow) {
        if (o->n_operands == 0)
            return usage_error("%s", "--follow: name the files to follow "
                                     "(for stdin use tail -n0 -F FILE | "
                                     "smtpclass)");
        for (size_t i = 0; i < o->n_operands; i++)
            if (strcmp(o->operands[i], "-") == 0)
                return usage_error("%s", "--follow: cannot follow stdin");
    }
    if (o->want_from_start && !o->want_follow)
        return usage_error("%s", "--from-start needs --follow");
    return OPTS_RUN;
}

void
opts_fini(struct opts *o)
{
    free(o->only);
    free(o->rules_add);
    memset(o, 0, sizeof(*o));
}

bool
opts_only_selects(const struct opts *o, enum sc_class cls, enum sc_category cat,
                  uint16_t reply, const struct smtp_enhanced *enh)
{
    if (o->n_only == 0)
        return true;
    for (size_t i = 0; i < o->n_only; i++) {
        const struct only_item *const it = &o->only[i];
        switch (it->kind) {
        case ONLY_CLASS:
            if (it->value == (unsigned)cls)
                return true;
            break;
        case ONLY_CATEGORY:
            if (it->value == (unsigned)cat)
                return true;
            break;
        case ONLY_REPLY:
            if (it->value == reply)
                return true;
            break;
        case ONLY_REPLY_CLASS:
            if (reply != 0 && it->value == reply / 100u)
                return true;
            break;
        case ONLY_ENHANCED:
            if (enh->cls == it->enh.cls && enh->subject == it->enh.subject &&
                enh->detail == it->enh.detail)
                return true;
            break;
        }
    }
    return false;
}

/*
 * gen_maillog: writes a deterministic, seeded synthetic mail log for
 * bench.sh. Postfix (BSD and RFC 3339 stamps), Exim main.log and Sendmail
 * sessions are interleaved as a busy relay logs them, with the usual share
 * of outcome lines and the traps real logs hold (digits in host names,
 * OpenSSL error strings, flattened multi-line replies, size=550). Names use
 * example domains and the documentation address ranges only. It is not a
 * test oracle: it knows nothing of smtpclass. Lines are built with memcpy
 * into one large buffer and written in big chunks, so 1 GiB takes seconds.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct str {
    const char *p;
    size_t len;
};
#define S(lit)                                                                 \
    {                                                                          \
        "" lit, sizeof(lit) - 1                                                \
    }
#define SL(lit) ((struct str)S(lit))
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum {
    OUT_BUF_CAP = 8u << 20, /* bytes per fwrite */
    LINE_MAX_BYTES = 4096,  /* no generated line is longer */
    N_SLOTS = 48,           /* sessions in flight at once */
    MAX_RCPT = 5,
    MAX_OPS = 48,
    N_LOCALPARTS = 2048,
    N_HOSTS = 1536,
    ARENA_CAP = 1u << 20
};

/* splitmix64: tiny, fast, and the same stream on every platform. */
struct rng {
    uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift (Lemire), no division. */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static bool
rng_permille(struct rng *r, uint32_t p)
{
    return rng_below(r, 1000) < p;
}

/* ---- word lists (all invented; domains end in reserved names) ---- */

static const struct str dom_a[] = {
    S("acme"),   S("alder"),  S("amber"),   S("apex"),    S("arbor"),
    S("aspen"),  S("atlas"),  S("azure"),   S("birch"),   S("blue"),
    S("bright"), S("cedar"),  S("clear"),   S("coral"),   S("crest"),
    S("delta"),  S("east"),   S("ember"),   S("fair"),    S("fern"),
    S("forest"), S("gold"),   S("granite"), S("green"),   S("harbor"),
    S("hazel"),  S("iron"),   S("ivy"),     S("lake"),    S("laurel"),
    S("linden"), S("maple"),  S("meadow"),  S("north"),   S("oak"),
    S("ocean"),  S("olive"),  S("pine"),    S("prairie"), S("quartz"),
    S("red"),    S("river"),  S("rock"),    S("sage"),    S("silver"),
    S("south"),  S("spruce"), S("stone"),   S("summit"),  S("west")};
static const struct str dom_b[] = {
    S("analytics"), S("arts"),     S("bakery"),    S("bank"),
    S("bikes"),     S("books"),    S("brewing"),   S("builders"),
    S("cafe"),      S("capital"),  S("clinic"),    S("college"),
    S("consult"),   S("dental"),   S("design"),    S("digital"),
    S("energy"),    S("farm"),     S("finance"),   S("fitness"),
    S("foods"),     S("freight"),  S("games"),     S("garden"),
    S("group"),     S("health"),   S("homes"),     S("hotel"),
    S("insurance"), S("labs"),     S("law"),       S("logistics"),
    S("media"),     S("medical"),  S("motors"),    S("music"),
    S("network"),   S("news"),     S("office"),    S("partners"),
    S("pharma"),    S("photo"),    S("press"),     S("realty"),
    S("research"),  S("retail"),   S("school"),    S("security"),
    S("shop"),      S("software"), S("solutions"), S("sports"),
    S("studio"),    S("systems"),  S("tech"),      S("tours"),
    S("trading"),   S("travel"),   S("ventures"),  S("works")};
static const struct str dom_tld[] = {S(".example.com"), S(".example.net"),
                                     S(".example.org"), S(".example")};

/* Big mailbox providers get a third of all outbound mail; [0] answers
 * like Gmail (flattened multi-line replies, "- gsmtp"). */
static const struct str providers[] = {
    S("mail-provider.example"), S("freemail.example.net"),
    S("webmail.example.com"),   S("inbox.example.org"),
    S("post.example"),          S("mx-hosting.example.net")};
static const struct str our_domains[] = {
    S("example.org"), S("corp.example.org"), S("lists.example.org"),
    S("staff.example.net"), S("shop.example.com")};

static const struct str first_names[] = {
    S("anna"),  S("bob"),   S("carl"),  S("dora"),  S("emil"),  S("frida"),
    S("gus"),   S("hanna"), S("ivan"),  S("jana"),  S("karl"),  S("lena"),
    S("max"),   S("nora"),  S("otto"),  S("paula"), S("quinn"), S("rosa"),
    S("sven"),  S("tina"),  S("uwe"),   S("vera"),  S("walt"),  S("xenia"),
    S("yusuf"), S("zoe"),   S("ali"),   S("bea"),   S("chen"),  S("dev"),
    S("eva"),   S("finn"),  S("greta"), S("hugo"),  S("ines"),  S("jon"),
    S("kim"),   S("lars"),  S("mia"),   S("nils")};
static const struct str last_names[] = {
    S("adams"),   S("berg"),   S("costa"),  S("dubois"),  S("eklund"),
    S("fischer"), S("garcia"), S("hansen"), S("ito"),     S("jensen"),
    S("keller"),  S("lopez"),  S("meyer"),  S("novak"),   S("olsen"),
    S("petrov"),  S("quist"),  S("rossi"),  S("schmidt"), S("tanaka"),
    S("ulrich"),  S("vogel"),  S("weber"),  S("xu"),      S("young"),
    S("zimmer"),  S("brown"),  S("klein"),  S("moreau"),  S("silva")};
static const struct str role_names[] = {
    S("info"),    S("sales"),      S("support"),    S("billing"),
    S("noreply"), S("newsletter"), S("postmaster"), S("admin"),
    S("jobs"),    S("office"),     S("contact"),    S("abuse")};
static const struct str bad_helos[] = {
    S("WIN-5N8GBBS0R5I"), S("User"),
    S("ylmf-pc"),         S("localhost"),
    S("WIN-6A0KEE6QVP5"), S("USER-KVI9FGS9KP"),
    S("gkzwsoju"),        S("DESKTOP-4R2J1QO")};

static const char mon_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char hexu[] = "0123456789ABCDEF";

/* ---- sessions ---- */

enum kind {
    K_PF_IN,      /* inbound, delivered by LMTP, sometimes via amavis */
    K_PF_OUT,     /* submission, relayed to remote MXs */
    K_PF_REJECT,  /* NOQUEUE reject by smtpd */
    K_PF_SCREEN,  /* postscreen: DNSBL reject or pass */
    K_PF_SASL,    /* password guessing */
    K_PF_TLSFAIL, /* OpenSSL errors, no SMTP code */
    K_PF_LOST,    /* lost connection, noise */
    K_PF_MILTER,  /* milter-reject at end of data */
    K_EX_IN,
    K_EX_OUT,
    K_EX_REJECT,
    K_EX_AUTH,
    K_EX_NOISE,
    K_SM_IN,
    K_SM_OUT,
    K_SM_REJECT,
    K_SM_AUTH,
    K_SM_NOISE,
    K_OTHER, /* dovecot, cron, kernel, anvil: one line each */
    N_KINDS
};

/* Per-recipient outcome of a remote delivery attempt. */
enum outcome {
    O_SENT,
    O_SENT_QP,
    O_SENT_MS,
    O_DEF_GREY,
    O_DEF_GREY2,
    O_DEF_TIMEOUT,
    O_DEF_LOST,
    O_DEF_421,
    O_DEF_FULL,
    O_DEF_TLS,
    O_DEF_DNS,
    O_BNC_UNKNOWN,
    O_BNC_FULL,
    O_BNC_POLICY,
    O_BNC_SPAM,
    O_BNC_DMARC,
    O_BNC_NXDOMAIN,
    N_OUTCOMES
};

static const uint16_t outcome_weight[N_OUTCOMES] = {
    [O_SENT] = 700,    [O_SENT_QP] = 60,    [O_SENT_MS] = 60,
    [O_DEF_GREY] = 30, [O_DEF_GREY2] = 15,  [O_DEF_TIMEOUT] = 20,
    [O_DEF_LOST] = 8,  [O_DEF_421] = 10,    [O_DEF_FULL] = 6,
    [O_DEF_TLS] = 5,   [O_DEF_DNS] = 6,     [O_BNC_UNKNOWN] = 45,
    [O_BNC_FULL] = 8,  [O_BNC_POLICY] = 8,  [O_BNC_SPAM] = 5,
    [O_BNC_DMARC] = 4, [O_BNC_NXDOMAIN] = 5};

static bool
outcome_is_sent(enum outcome o)
{
    return o <= O_SENT_MS;
}

static bool
outcome_is_bounce(enum outcome o)
{
    return o >= O_BNC_UNKNOWN;
}

/* Line operations. Each emits exactly one line. */
enum { P_RETRY = 8 }; /* a flag above every recipient index */
_Static_assert((int)MAX_RCPT < (int)P_RETRY,
               "P_RETRY must not clash with an index");

enum op {
    P_CONNECT,
    P_TLS_IN,
    P_CLIENT,
    P_CLEANUP,
    P_MILTER_INFO,
    P_QMGR_FROM,
    P_DELIVER,   /* arg: recipient index | P_RETRY */
    P_TLS_OUT,   /* arg: recipient index */
    P_HOST_SAID, /* arg: recipient index */
    P_BOUNCE,
    P_REMOVED,
    P_DISCONNECT,
    P_REJECT,
    P_PS_CONNECT,
    P_PS_DNSBL,
    P_PS_REJECT,
    P_PS_PASS,
    P_PS_DISCONNECT,
    P_SASL,
    P_LOST,
    P_TLS_LIB,
    P_SSL_ACCEPT,
    P_RESOLVE_WARN,
    P_AMAVIS,
    P_AMAVIS_CONNECT,
    P_AMAVIS_CLIENT,
    P_AMAVIS_DISCONNECT,
    P_MILTER_REJECT,
    P_PICKUP,
    P_EXPIRED,
    E_CONNECT,
    E_RECV,
    E_DELIVER, /* arg: recipient index */
    E_BOUNCE_RECV,
    E_COMPLETED,
    E_CLOSED,
    E_REJECT,
    E_AUTH,
    E_TLS_ERR,
    E_NOMAIL,
    E_NOHOST,
    E_QUEUE_RUN,
    M_FROM,
    M_STARTTLS_S,
    M_TO, /* arg: recipient index */
    M_STARTTLS_C,
    M_DSN,
    M_REJECT,
    M_REFUSED,
    M_AUTH,
    M_LOST,
    M_NOMAIL,
    M_TLS_ERR,
    M_RATE,
    O_LINE
};

/* A mail's conversation in flight: ops[pc..n_ops) are still to be logged.
 * Every index points into the pools of struct gen. */
struct session {
    uint8_t ops[MAX_OPS];
    uint8_t args[MAX_OPS];
    uint8_t n_ops;
    uint8_t pc;
    uint8_t kind;
    uint8_t inst;    /* postfix: 0 = mx1 (BSD stamps), 1 = mx2 (RFC 3339) */
    uint8_t variant; /* reject reason, noise line, ... */
    uint8_t n_rcpt;
    uint8_t is_amavis;
    uint8_t helo; /* 0: the client's name, else bad_helos[helo - 1] */
    uint32_t pid;
    uint32_t port;
    uint32_t client; /* hosts[] */
    uint32_t size;
    uint32_t sender_lp;
    struct str sender_dom;
    uint32_t rcpt_lp[MAX_RCPT];
    struct str rcpt_dom[MAX_RCPT];
    uint8_t out[MAX_RCPT];
    uint8_t rcpt_prov[MAX_RCPT]; /* 1 + providers[] index, 0 = other */
    char qid[16];
    char qid2[16];
    uint8_t qid_len;
    uint8_t qid2_len;
};

enum line_flag {
    LF_OUTCOME = 1, /* a delivery, deferral, bounce, reject, auth failure */
    LF_CODE = 2     /* and it carries a reply or enhanced status code */
};

struct gen {
    struct rng rng;
    /* output: len <= cap; lines are appended whole */
    char *buf;
    size_t len;
    size_t cap;
    FILE *out;
    uint64_t n_flushed;
    uint64_t n_lines;
    uint64_t n_outcome;
    uint64_t n_coded;
    unsigned line_flags;
    /* clock: local time at +01:00, microseconds since the epoch */
    uint64_t now_us;
    uint64_t stamp_sec;
    char bsd[15]; /* "Nov 22 10:00:01" */
    char iso[19]; /* "2026-11-22T10:00:01" */
    /* pools, all pointing into arena */
    char *arena;
    size_t arena_len;
    struct str domains[N_ELEMS(dom_a) * N_ELEMS(dom_b)];
    struct str localparts[N_LOCALPARTS];
    struct str host_name[N_HOSTS];
    struct str host_ip[N_HOSTS];
    struct str ips[3 * 254];
    uint32_t pf_pids[2][8]; /* qmgr, cleanup x3, smtp x2, lmtp, bounce */
    uint32_t sm_pid;
    uint32_t kind_weight[N_KINDS];
    uint32_t kind_total;
    uint32_t outcome_total;
};

/* ---- output ---- */

static void
flush_out(struct gen *g)
{
    if (g->len > 0 && fwrite(g->buf, 1, g->len, g->out) != g->len) {
        fprintf(stderr, "gen_maillog: write error: %s\n", strerror(errno));
        exit(2);
    }
    g->n_flushed += g->len;
    g->len = 0;
}

static void
put(struct gen *g, const char *p, size_t n)
{
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

#define PUTL(g, lit) put((g), "" lit, sizeof(lit) - 1)
/* PUTL of one of two literals */
#define PUT_IF(g, cond, a, b) put_s((g), (cond) ? SL(a) : SL(b))

static void
put_s(struct gen *g, struct str s)
{
    put(g, s.p, s.len);
}

static void
put_c(struct gen *g, char c)
{
    g->buf[g->len++] = c;
}

static void
put_u(struct gen *g, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        g->buf[g->len++] = tmp[--n];
}

static void
put_u0(struct gen *g, uint64_t v, size_t width)
{
    char *const p = g->buf + g->len;
    for (size_t i = width; i > 0; i--) {
        p[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    g->len += width;
}

/* Random characters from a set; uses 6 bits of the draw per character. */
static void
put_rand(struct gen *g, const char *set, uint32_t set_len, size_t n)
{
    uint64_t r = rng_next(&g->rng);
    for (size_t i = 0; i < n; i++) {
        if (i % 10 == 9)
            r = rng_next(&g->rng);
        g->buf[g->len++] = set[(uint32_t)((r & 63) * set_len) >> 6];
        r >>= 6;
    }
}

/* Postfix delay: "0.12", "1.2", "30" (milliseconds in). */
static void
put_delay(struct gen *g, uint32_t ms)
{
    if (ms < 1000) {
        PUTL(g, "0.");
        put_u0(g, ms / 10, 2);
    } else if (ms < 10000) {
        put_u(g, ms / 1000);
        put_c(g, '.');
        put_u(g, ms / 100 % 10);
    } else {
        put_u(g, ms / 1000);
    }
}

/* ---- clock and timestamps ---- */

/* Howard Hinnant's civil_from_days; days since 1970-01-01. */
static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + (uint64_t)era * 400 + (*m <= 2));
}

static void
stamp_update(struct gen *g)
{
    const uint64_t sec = g->now_us / 1000000;
    if (sec == g->stamp_sec)
        return;
    g->stamp_sec = sec;
    int y;
    unsigned m, d;
    civil_from_days((int64_t)(sec / 86400), &y, &m, &d);
    const unsigned sod = (unsigned)(sec % 86400);
    const unsigned hh = sod / 3600, mm = sod / 60 % 60, ss = sod % 60;
    char *b = g->bsd;
    memcpy(b, mon_names[m - 1], 3);
    b[3] = ' ';
    b[4] = d < 10 ? ' ' : (char)('0' + d / 10);
    b[5] = (char)('0' + d % 10);
    b[6] = ' ';
    b[7] = (char)('0' + hh / 10);
    b[8] = (char)('0' + hh % 10);
    b[9] = ':';
    b[10] = (char)('0' + mm / 10);
    b[11] = (char)('0' + mm % 10);
    b[12] = ':';
    b[13] = (char)('0' + ss / 10);
    b[14] = (char)('0' + ss % 10);
    char *i = g->iso;
    i[0] = (char)('0' + y / 1000 % 10);
    i[1] = (char)('0' + y / 100 % 10);
    i[2] = (char)('0' + y / 10 % 10);
    i[3] = (char)('0' + y % 10);
    i[4] = '-';
    i[5] = (char)('0' + m / 10);
    i[6] = (char)('0' + m % 10);
    i[7] = '-';
    i[8] = (char)('0' + d / 10);
    i[9] = (char)('0' + d % 10);
    i[10] = 'T';
    memcpy(i + 11, b + 7, 8);
}

static void
put_bsd_prefix(struct gen *g, struct str host)
{
    put(g, g->bsd, sizeof g->bsd);
    put_c(g, ' ');
    put_s(g, host);
    put_c(g, ' ');
}

/* The syslog prefix of the Postfix hosts up to the program name:
 * "Nov 22 10:00:01 mx1 " or "2026-11-22T10:00:01.123456+01:00 mx2 ". */
static void
put_host_prefix(struct gen *g, const struct session *s)
{
    if (s->inst == 0) {
        put(g, g->bsd, sizeof g->bsd);
        PUTL(g, " mx1 ");
    } else {
        put(g, g->iso, sizeof g->iso);
        put_c(g, '.');
        put_u0(g, g->now_us % 1000000, 6);
        PUTL(g, "+01:00 mx2 ");
    }
}

/* "<prog>[<pid>]: " */
static void
put_prog(struct gen *g, struct str prog, uint32_t pid)
{
    put_s(g, prog);
    put_c(g, '[');
    put_u(g, pid);
    PUTL(g, "]: ");
}

static void
put_pf_prefix(struct gen *g, const struct session *s, struct str prog,
              uint32_t pid)
{
    put_host_prefix(g, s);
    PUTL(g, "postfix/");
    put_prog(g, prog, pid);
}

static void
put_exim_prefix(struct gen *g)
{
    put(g, g->iso, 10);
    put_c(g, ' ');
    put(g, g->iso + 11, 8);
    put_c(g, ' ');
}

static void
put_sm_prefix(struct gen *g, const struct session *s)
{
    put(g, g->bsd, sizeof g->bsd);
    if (s->variant & 0x80)
        PUTL(g, " mx3 sendmail[");
    else
        PUTL(g, " mx3 sm-mta[");
    put_u(g, s->pid);
    PUTL(g, "]: ");
}

/* ---- building pools (start-up only, not the hot path) ---- */

static struct str
arena_take(struct gen *g, size_t start)
{
    const struct str s = {g->arena + start, g->arena_len - start};
    return s;
}

static void
arena_cat(struct gen *g, struct str s)
{
    if (g->arena_len + s.len > ARENA_CAP) {
        fprintf(stderr, "gen_maillog: internal arena too small\n");
        exit(2);
    }
    memcpy(g->arena + g->arena_len, s.p, s.len);
    g->arena_len += s.len;
}

static void
arena_catz(struct gen *g, const char *z)
{
    const struct str s = {z, strlen(z)};
    arena_cat(g, s);
}

static void
arena_num(struct gen *g, unsigned v)
{
    char tmp[16];
    const int n = snprintf(tmp, sizeof tmp, "%u", v);
    const struct str s = {tmp, (size_t)n};
    arena_cat(g, s);
}

/* A last octet for a host number in a dynamic name; likes reply codes. */
static unsigned
trap_octet(struct gen *g)
{
    static const unsigned traps[] = {250, 251, 421, 450, 451,
                                     452, 550, 552, 553, 554};
    if (rng_permille(&g->rng, 300))
        return traps[rng_below(&g->rng, N_ELEMS(traps))] % 256;
    return 1 + rng_below(&g->rng, 254);
}

static void
build_pools(struct gen *g)
{
    static const char *const ranges[3] = {"192.0.2.", "198.51.100.",
                                          "203.0.113."};
    size_t start;

    for (unsigned r = 0; r < 3; r++) {
        for (unsigned o = 1; o <= 254; o++) {
            start = g->arena_len;
            arena_catz(g, ranges[r]);
            arena_num(g, o);
            g->ips[r * 254 + o - 1] = arena_take(g, start);
        }
    }

    const size_t n_a = N_ELEMS(dom_a), n_b = N_ELEMS(dom_b);
    for (size_t i = 0; i < n_a * n_b; i++) {
        const size_t a = i % n_a, b = i / n_a;
        start = g->arena_len;
        arena_cat(g, dom_a[a]);
        if (i % 9 == 4)
            arena_catz(g, "-");
        arena_cat(g, dom_b[b]);
        if (i % 13 == 7)
            arena_num(g, (unsigned)(i % 97) + 1);
        arena_cat(g, dom_tld[(a + b) % N_ELEMS(dom_tld)]);
        g->domains[i] = arena_take(g, start);
    }
    /* Shuffle, so that the skewed pick below favours random names. */
    for (size_t i = N_ELEMS(g->domains) - 1; i > 0; i--) {
        const size_t j = rng_below(&g->rng, (uint32_t)i + 1);
        const struct str t = g->domains[i];
        g->domains[i] = g->domains[j];
        g->domains[j] = t;
    }

    for (size_t i = 0; i < N_LOCALPARTS; i++) {
        const struct str f =
            first_names[rng_below(&g->rng, N_ELEMS(first_names))];
        const struct str l =
            last_names[rng_below(&g->rng, N_ELEMS(last_names))];
        start = g->arena_len;
        switch (rng_below(&g->rng, 8)) {
        case 0:
            arena_cat(g, role_names[rng_below(&g->rng, N_ELEMS(role_names))]);
            break;
        case 1:
            arena_cat(g, f);
            arena_num(g, 1 + rng_below(&g->rng, 99));
            break;
        case 2:
            arena_cat(g, f);
            arena_catz(g, "_");
            arena_cat(g, l);
            break;
        case 3: {
            const struct str initial = {f.p, 1};
            arena_cat(g, initial);
            arena_catz(g, ".");
            arena_cat(g, l);
            break;
        }
        case 4:
            arena_cat(g, f);
            break;
        default:
            arena_cat(g, f);
            arena_catz(g, ".");
            arena_cat(g, l);
            break;
        }
        g->localparts[i] = arena_take(g, start);
    }

    for (size_t i = 0; i < N_HOSTS; i++) {
        const uint32_t ip_idx = rng_below(&g->rng, N_ELEMS(g->ips));
        const struct str dom =
            g->domains[rng_below(&g->rng, N_ELEMS(g->domains))];
        g->host_ip[i] = g->ips[ip_idx];
        start = g->arena_len;
        switch (rng_below(&g->rng, 20)) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
            arena_catz(g, "unknown");
            break;
        case 5:
        case 6:
            /* "250-1-2-3.dyn.example.com" */
            arena_num(g, trap_octet(g));
            arena_catz(g, "-");
            arena_num(g, 1 + rng_below(&g->rng, 254));
            arena_catz(g, "-");
            arena_num(g, 1 + rng_below(&g->rng, 254));
            arena_catz(g, "-");
            arena_num(g, 1 + rng_below(&g->rng, 254));
            arena_catz(g, rng_permille(&g->rng, 500) ? ".dyn.example.com"
                                                     : ".pool.example.net");
            break;
        case 7:
        case 8:
            /* "mx550.example.net" */
            arena_catz(g, "mx");
            arena_num(g, trap_octet(g));
            arena_catz(g, ".");
            arena_cat(g, dom);
            break;
        case 9:
            arena_catz(g, "smtp-out");
            arena_num(g, 1 + rng_below(&g->rng, 60));
            arena_catz(g, ".");
            arena_cat(g, providers[rng_below(&g->rng, N_ELEMS(providers))]);
            break;
        case 10:
            arena_catz(g, "o");
            arena_num(g, rng_below(&g->rng, 30));
            arena_catz(g, ".mail.");
            arena_cat(g, dom);
            break;
        default:
            arena_catz(g, rng_permille(&g->rng, 600) ? "mail." : "smtp.");
            arena_cat(g, dom);
            break;
        }
        g->host_name[i] = arena_take(g, start);
    }

    for (unsigned inst = 0; inst < 2; inst++)
        for (unsigned k = 0; k < 8; k++)
            g->pf_pids[inst][k] = 700 + rng_below(&g->rng, 60000);
    g->sm_pid = 1000 + rng_below(&g->rng, 60000);
}

/* ---- picks ---- */

static struct str
pick_ext_domain(struct gen *g, uint8_t *prov)
{
    if (rng_permille(&g->rng, 330)) {
        const uint32_t p = rng_below(&g->rng, N_ELEMS(providers));
        *prov = (uint8_t)(p + 1);
        return providers[p];
    }
    *prov = 0;
    /* skewed: low indices are much more popular */
    const uint32_t n = (uint32_t)N_ELEMS(g->domains);
    return g->domains[rng_below(&g->rng, rng_below(&g->rng, n) + 1)];
}

static struct str
pick_our_domain(struct gen *g)
{
    return our_domains[rng_below(&g->rng, N_ELEMS(our_domains))];
}

static enum outcome
pick_outcome(struct gen *g)
{
    uint32_t r = rng_below(&g->rng, g->outcome_total);
    for (unsigned o = 0; o < N_OUTCOMES; o++) {
        if (r < outcome_weight[o])
            return (enum outcome)o;
        r -= outcome_weight[o];
    }
    return O_SENT;
}

static void
make_qid_postfix(struct gen *g, char *dst, uint8_t *len, bool is_long)
{
    const size_t save = g->len;
    if (is_long) {
        /* long queue ids: 4 digits of time, then base52-ish */
        put_rand(g, b62 + 10, 52, 1);
        put_rand(g, b62, 62, 13);
    } else {
        put_rand(g, hexu, 16, 10);
    }
    *len = (uint8_t)(g->len - save);
    memcpy(dst, g->buf + save, *len);
    g->len = save;
}

static void
make_qid_exim(struct gen *g, char *dst, uint8_t *len)
{
    const size_t save = g->len;
    PUTL(g, "1t");
    put_rand(g, b62, 62, 4);
    put_c(g, '-');
    PUTL(g, "00");
    put_rand(g, b62, 62, 4);
    put_c(g, '-');
    put_rand(g, b62, 62, 2);
    *len = (uint8_t)(g->len - save);
    memcpy(dst, g->buf + save, *len);
    g->len = save;
}

static void
make_qid_sendmail(struct gen *g, char *dst, uint8_t *len, uint32_t pid)
{
    const size_t save = g->len;
    PUTL(g, "5AM");
    put_rand(g, b62, 62, 5);
    put_u0(g, pid % 1000000, 6);
    *len = (uint8_t)(g->len - save);
    memcpy(dst, g->buf + save, *len);
    g->len = save;
}

/* ---- common fragments ---- */

static void
put_addr(struct gen *g, uint32_t lp, struct str dom)
{
    put_s(g, g->localparts[lp]);
    put_c(g, '@');
    put_s(g, dom);
}

static void
put_sender(struct gen *g, const struct session *s)
{
    put_addr(g, s->sender_lp, s->sender_dom);
}

static void
put_rcpt(struct gen *g, const struct session *s, unsigned i)
{
    put_addr(g, s->rcpt_lp[i], s->rcpt_dom[i]);
}

static void
put_client(struct gen *g, const struct session *s)
{
    put_s(g, g->host_name[s->client]);
    put_c(g, '[');
    put_s(g, g->host_ip[s->client]);
    put_c(g, ']');
}

/* Exim's H=name (helo) [ip] form. */
static void
put_exim_client(struct gen *g, const struct session *s)
{
    const struct str name = g->host_name[s->client];
    if (!(name.len == 7 && memcmp(name.p, "unknown", 7) == 0)) {
        put_s(g, name);
        put_c(g, ' ');
    }
    if (s->helo != 0) {
        put_c(g, '(');
        put_s(g, bad_helos[s->helo - 1]);
        PUTL(g, ") ");
    }
    put_c(g, '[');
    put_s(g, g->host_ip[s->client]);
    put_c(g, ']');
}

static void
put_helo(struct gen *g, const struct session *s)
{
    const struct str name = g->host_name[s->client];
    if (s->helo != 0)
        put_s(g, bad_helos[s->helo - 1]);
    else if (name.len == 7 && memcmp(name.p, "unknown", 7) == 0) {
        put_c(g, '[');
        put_s(g, g->host_ip[s->client]);
        put_c(g, ']');
    } else
        put_s(g, name);
}

static void
put_qid(struct gen *g, const struct session *s)
{
    put(g, s->qid, s->qid_len);
}

static void
put_msgid(struct gen *g, const struct session *s, bool want_brackets)
{
    if (want_brackets)
        put_c(g, '<');
    if (s->size & 1) {
        PUTL(g, "2026112");
        put_rand(g, b62, 10, 7);
        put_c(g, '.');
        put_rand(g, hexu, 16, 8);
        put_c(g, '@');
        put_s(g, s->sender_dom);
    } else {
        PUTL(g, "CA");
        put_rand(g, b62, 62, 24);
        PUTL(g, "@mail.");
        put_s(g, providers[0]);
    }
    if (want_brackets)
        put_c(g, '>');
}

/* The remote MX of recipient i: "mx1.dom" and a stable address. */
static void
put_mx_name(struct gen *g, const struct session *s, unsigned i)
{
    if (s->rcpt_prov[i] == 1) {
        PUTL(g, "mx-in.l.");
        put_s(g, providers[0]);
        return;
    }
    PUTL(g, "mx");
    put_c(g, (char)('1' + (s->rcpt_dom[i].len & 1)));
    put_c(g, '.');
    put_s(g, s->rcpt_dom[i]);
}

/* Hashes the name, not its address: addresses change from run to run. */
static struct str
mx_ip(const struct gen *g, const struct session *s, unsigned i)
{
    const struct str d = s->rcpt_dom[i];
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t k = 0; k < d.len; k++)
        h = (h ^ (unsigned char)d.p[k]) * 16777619u;
    return g->ips[h % N_ELEMS(g->ips)];
}

static void
put_mx(struct gen *g, const struct session *s, unsigned i)
{
    put_mx_name(g, s, i);
    put_c(g, '[');
    put_s(g, mx_ip(g, s, i));
    put_c(g, ']');
}

static void
put_gmail_id(struct gen *g)
{
    PUTL(g, "41be03b00d2f7-");
    put_rand(g, b62 + 36, 26, 3);
    put_rand(g, b62, 36, 7);
    PUTL(g, "si");
    put_u(g, 1000000 + rng_below(&g->rng, 8000000));
    put_c(g, '.');
    put_u(g, rng_below(&g->rng, 999));
    PUTL(g, " - gsmtp");
}

/* The remote reply for outcome o of recipient i, as the remote server
 * said it (code and text). Returns false for outcomes without a reply
 * (timeouts, DNS errors), which each MTA words itself. */
static bool
put_reply(struct gen *g, const struct session *s, unsigned i, enum outcome o)
{
    const bool is_gmail = s->rcpt_prov[i] == 1;
    switch (o) {
    case O_SENT:
        if (is_gmail) {
            PUTL(g, "250 2.0.0 OK  17638");
            put_u0(g, rng_below(&g->rng, 100000), 5);
            put_c(g, ' ');
            put_gmail_id(g);
        } else {
            PUTL(g, "250 2.0.0 Ok: queued as ");
            put_rand(g, hexu, 16, 10 + rng_below(&g->rng, 3));
        }
        return true;
    case O_SENT_QP:
        PUTL(g, "250 ok 17638");
        put_u0(g, rng_below(&g->rng, 100000), 5);
        PUTL(g, " qp ");
        put_u(g, 1000 + rng_below(&g->rng, 60000));
        return true;
    case O_SENT_MS:
        PUTL(g, "250 2.6.0 <");
        put_rand(g, b62, 62, 20);
        PUTL(g, "@");
        put_s(g, s->sender_dom);
        PUTL(g, "> [InternalId=");
        put_u(g, 1000000000000u + rng_next(&g->rng) % 9000000000000u);
        PUTL(g, ", Hostname=AM");
        put_u(g, rng_below(&g->rng, 9) + 1);
        PUTL(g, "PR0");
        put_u(g, rng_below(&g->rng, 9) + 1);
        PUTL(g, "MB");
        put_u0(g, rng_below(&g->rng, 10000), 4);
        PUTL(g, ".eurprd0");
        put_u(g, rng_below(&g->rng, 9) + 1);
        PUTL(g, ".prod.outlook.example.com] ");
        put_u(g, s->size + 550);
        PUTL(g, " bytes in 0.");
        put_u0(g, rng_below(&g->rng, 1000), 3);
        PUTL(g, ", ");
        put_u(g, 20 + rng_below(&g->rng, 500));
        put_c(g, '.');
        put_u0(g, rng_below(&g->rng, 1000), 3);
        PUTL(g, " KB/sec Queued mail for delivery");
        return true;
    case O_DEF_GREY:
        PUTL(g, "450 4.2.0 <");
        put_rcpt(g, s, i);
        PUTL(g, ">: Recipient address rejected: Greylisted, see "
                "http://postgrey.schweikert.ch/help/");
        put_s(g, s->rcpt_dom[i]);
        PUTL(g, ".html");
        return true;
    case O_DEF_GREY2:
        PUTL(g, "451 4.7.1 Greylisting in action, please come back later");
        return true;
    case O_DEF_421:
        if (is_gmail) {
            PUTL(g, "421-4.7.28 Gmail has detected an unusual rate of "
                    "unsolicited mail. To protect 421-4.7.28 our users "
                    "from spam, mail has been temporarily rate limited. "
                    "421 4.7.28 For more information, go to "
                    "https://support.google.com/mail/"
                    "?p=UnsolicitedRateLimitError ");
            put_gmail_id(g);
        } else {
            PUTL(g,
                 "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily "
                 "deferred due to unexpected volume or user complaints - "
                 "4.16.55.1; see https://postmaster.example.com/error-codes");
        }
        return true;
    case O_DEF_FULL:
        PUTL(g, "452 4.2.2 <");
        put_rcpt(g, s, i);
        PUTL(g, ">: Mailbox full");
        return true;
    case O_BNC_UNKNOWN:
        if (is_gmail) {
            PUTL(g,
                 "550-5.1.1 The email account that you tried to reach "
                 "does not exist. Please try 550-5.1.1 double-checking "
                 "the recipient's email address for typos or 550-5.1.1 "
                 "unnecessary spaces. For more information, go to "
                 "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser ");
            put_gmail_id(g);
        } else if (s->size & 2) {
            PUTL(g, "550 5.1.1 <");
            put_rcpt(g, s, i);
            PUTL(g, ">: Recipient address rejected: User unknown in "
                    "virtual mailbox table");
        } else {
            PUTL(g, "550 5.1.1 <");
            put_rcpt(g, s, i);
            PUTL(g, ">... User unknown");
        }
        return true;
    case O_BNC_FULL:
        if (is_gmail) {
            PUTL(g, "552-5.2.2 The recipient's inbox is out of storage "
                    "space. Please direct the 552-5.2.2 recipient to 552 "
                    "5.2.2  https://support.google.com/mail/?p=OverQuotaPerm ");
            put_gmail_id(g);
        } else {
            PUTL(g, "552 5.2.2 <");
            put_rcpt(g, s, i);
            PUTL(g, ">: Mailbox full: user quota exceeded (size=550 of "
                    "1024000 kB)");
        }
        return true;
    case O_BNC_POLICY:
        PUTL(g, "550 5.7.1 Message rejected due to local policy. Contact "
                "postmaster@");
        put_s(g, s->rcpt_dom[i]);
        return true;
    case O_BNC_SPAM:
        PUTL(g, "554 5.7.1 [P4] Message blocked due to spam content in the "
                "message (score 12.5/5.0, 550 points)");
        return true;
    case O_BNC_DMARC:
        PUTL(g, "550-5.7.26 Unauthenticated email from ");
        put_s(g, s->sender_dom);
        PUTL(g, " is not accepted due to 550-5.7.26 domain's DMARC policy. "
                "Please contact the administrator of 550-5.7.26 ");
        put_s(g, s->sender_dom);
        PUTL(g, " domain if this was a legitimate mail. 550 5.7.26 "
                "To learn about the DMARC initiative, go to 550 5.7.26  "
                "https://support.google.com/mail/?p=DmarcRejection ");
        put_gmail_id(g);
        return true;
    default:
        return false;
    }
}

static const struct str dsn_of[N_OUTCOMES] = {
    [O_SENT] = S("2.0.0"),        [O_SENT_QP] = S("2.0.0"),
    [O_SENT_MS] = S("2.6.0"),     [O_DEF_GREY] = S("4.2.0"),
    [O_DEF_GREY2] = S("4.7.1"),   [O_DEF_TIMEOUT] = S("4.4.1"),
    [O_DEF_LOST] = S("4.4.2"),    [O_DEF_421] = S("4.7.0"),
    [O_DEF_FULL] = S("4.2.2"),    [O_DEF_TLS] = S("4.7.5"),
    [O_DEF_DNS] = S("4.4.3"),     [O_BNC_UNKNOWN] = S("5.1.1"),
    [O_BNC_FULL] = S("5.2.2"),    [O_BNC_POLICY] = S("5.7.1"),
    [O_BNC_SPAM] = S("5.7.1"),    [O_BNC_DMARC] = S("5.7.26"),
    [O_BNC_NXDOMAIN] = S("5.4.4")};

static const struct str smtp_stage_of[N_OUTCOMES] = {
    [O_DEF_GREY] = S("RCPT TO"),       [O_DEF_GREY2] = S("RCPT TO"),
    [O_DEF_421] = S("MAIL FROM"),      [O_DEF_FULL] = S("RCPT TO"),
    [O_BNC_UNKNOWN] = S("RCPT TO"),    [O_BNC_FULL] = S("RCPT TO"),
    [O_BNC_POLICY] = S("end of DATA"), [O_BNC_SPAM] = S("end of DATA"),
    [O_BNC_DMARC] = S("end of DATA")};

/* ---- Postfix lines ---- */

static const struct str pf_smtpd = S("smtpd");
static const struct str pf_sub_smtpd = S("submission/smtpd");

static struct str
pf_smtpd_of(const struct session *s)
{
    return s->kind == K_PF_OUT || s->kind == K_PF_SASL ? pf_sub_smtpd
                                                       : pf_smtpd;
}

static void
pf_disconnect_counts(struct gen *g, const struct session *s)
{
    switch (s->kind) {
    case K_PF_IN:
    case K_PF_OUT:
    case K_PF_MILTER:
        PUTL(g, " ehlo=2 starttls=1");
        if (s->kind == K_PF_OUT)
            PUTL(g, " auth=1");
        PUTL(g, " mail=1 rcpt=");
        put_u(g, s->n_rcpt);
        if (s->kind == K_PF_MILTER)
            PUTL(g, " data=0/1 quit=1 commands=");
        else
            PUTL(g, " data=1 quit=1 commands=");
        put_u(g, 6u + s->n_rcpt + (s->kind == K_PF_OUT));
        if (s->kind == K_PF_MILTER)
            PUTL(g, "/7");
        break;
    case K_PF_REJECT:
        PUTL(g, " ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4");
        break;
    case K_PF_SASL:
        PUTL(g, " ehlo=1 auth=0/1 commands=1/2");
        break;
    case K_PF_TLSFAIL:
        PUTL(g, " ehlo=1 starttls=0/1 commands=1/2");
        break;
    default:
        PUTL(g, " ehlo=1 quit=1 commands=2");
        break;
    }
}

static void
pf_deliver(struct gen *g, struct session *s, unsigned i, enum outcome o)
{
    uint32_t ms = 200 + rng_below(&g->rng, 3000);

    if (s->kind == K_PF_IN) {
        /* local delivery: to amavis, or LMTP to dovecot */
        if (s->is_amavis && s->qid2_len == 0) {
            put_pf_prefix(g, s, SL("smtp"), g->pf_pids[s->inst][4]);
            put_qid(g, s);
            PUTL(g, ": to=<");
            put_rcpt(g, s, i);
            PUTL(g, ">, relay=127.0.0.1[127.0.0.1]:10024, delay=");
            put_delay(g, ms);
            PUTL(g, ", delays=0.1/0/0/");
            put_delay(g, ms - 100);
            PUTL(g, ", dsn=2.0.0, status=sent (250 2.0.0 from "
                    "MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ");
            make_qid_postfix(g, s->qid2, &s->qid2_len, s->inst == 1);
            put(g, s->qid2, s->qid2_len);
            put_c(g, ')');
            g->line_flags = LF_OUTCOME | LF_CODE;
            return;
        }
        put_pf_prefix(g, s, SL("lmtp"), g->pf_pids[s->inst][6]);
        if (s->qid2_len != 0)
            put(g, s->qid2, s->qid2_len);
        else
            put_qid(g, s);
        PUTL(g, ": to=<");
        put_rcpt(g, s, i);
        PUTL(g, ">, relay=mail.example.org[private/dovecot-lmtp], delay=");
        put_delay(g, ms / 10);
        PUTL(g, ", delays=0.02/0.01/0.01/0.04, ");
        if (o == O_BNC_UNKNOWN) {
            PUTL(g, "dsn=5.1.1, status=bounced (host mail.example.org"
                    "[private/dovecot-lmtp] said: 550 5.1.1 <");
            put_rcpt(g, s, i);
            PUTL(g, "> User doesn't exist: ");
            put_rcpt(g, s, i);
            PUTL(g, " (in reply to RCPT TO command))");
        } else if (o == O_DEF_FULL || o == O_BNC_FULL) {
            PUTL(g, "dsn=4.2.2, status=deferred (host mail.example.org"
                    "[private/dovecot-lmtp] said: 452 4.2.2 <");
            put_rcpt(g, s, i);
            PUTL(g, "> Quota exceeded (mailbox for user is full) "
                    "(in reply to end of DATA command))");
        } else {
            PUTL(g, "dsn=2.0.0, status=sent (250 2.0.0 <");
            put_rcpt(g, s, i);
            PUTL(g, "> ");
            put_rand(g, b62, 62, 22);
            PUTL(g, " Saved)");
        }
        g->line_flags = LF_OUTCOME | LF_CODE;
        return;
    }

    /* remote delivery */
    put_pf_prefix(g, s, SL("smtp"), g->pf_pids[s->inst][4 + (i & 1)]);
    put_qid(g, s);
    PUTL(g, ": to=<");
    put_rcpt(g, s, i);
    PUTL(g, ">, relay=");
    const bool has_relay =
        o != O_DEF_TIMEOUT && o != O_DEF_DNS && o != O_BNC_NXDOMAIN;
    if (has_relay) {
        put_mx(g, s, i);
        PUTL(g, ":25");
    } else {
        PUTL(g, "none");
        ms = 30000 + rng_below(&g->rng, 300000);
    }
    PUTL(g, ", delay=");
    put_delay(g, ms);
    PUTL(g, ", delays=0.1/0.02/");
    put_delay(g, ms / 3);
    put_c(g, '/');
    put_delay(g, ms / 2);
    PUTL(g, ", dsn=");
    put_s(g, dsn_of[o]);
    if (outcome_is_sent(o))
        PUTL(g, ", status=sent (");
    else if (outcome_is_bounce(o))
        PUTL(g, ", status=bounced (");
    else
        PUTL(g, ", status=deferred (");
    g->line_flags = LF_OUTCOME | LF_CODE;
    if (outcome_is_sent(o)) {
        put_reply(g, s, i, o);
    } else if (smtp_stage_of[o].len != 0) {
        PUTL(g, "host ");
        put_mx(g, s, i);
        PUTL(g, " said: ");
        put_reply(g, s, i, o);
        PUTL(g, " (in reply to ");
        put_s(g, smtp_stage_of[o]);
        PUTL(g, " command)");
    } else {
        switch (o) {
        case O_DEF_TIMEOUT:
            PUTL(g, "connect to ");
            put_mx(g, s, i);
            PUTL(g, ":25: Connection timed out");
            break;
        case O_DEF_LOST:
            PUTL(g, "conversation with ");
            put_mx(g, s, i);
            PUTL(g, " timed out while receiving the initial server "
                    "greeting");
            break;
        case O_DEF_TLS:
            PUTL(g, "Cannot start TLS: handshake failure");
            break;
        case O_DEF_DNS:
            PUTL(g, "Host or domain name not found. Name service error for "
                    "name=");
            put_s(g, s->rcpt_dom[i]);
            PUTL(g, " type=MX: Host not found, try again");
            break;
        default:
            PUTL(g, "Host or domain name not found. Name service error for "
                    "name=");
            put_s(g, s->rcpt_dom[i]);
            PUTL(g, " type=A: Host not found");
            break;
        }
    }
    put_c(g, ')');
}

static const struct str pf_rbls[] = {
    S("zen.spamhaus.org"), S("b.barracudacentral.org"), S("bl.spamcop.net"),
    S("dnsbl.example.net")};

static void
pf_reject(struct gen *g, const struct session *s)
{
    put_pf_prefix(g, s, pf_smtpd, s->pid);
    PUTL(g, "NOQUEUE: reject: RCPT from ");
    put_client(g, s);
    PUTL(g, ": ");
    const struct str ip = g->host_ip[s->client];
    switch (s->variant) {
    case 0:
    case 1:
    case 2:
        PUTL(g, "554 5.7.1 Service unavailable; Client host [");
        put_s(g, ip);
        PUTL(g, "] blocked using ");
        put_s(g, pf_rbls[s->variant]);
        if (s->variant == 0) {
            PUTL(g, "; https://www.spamhaus.org/query/ip/");
            put_s(g, ip);
        }
        break;
    case 3:
        PUTL(g, "504 5.5.2 <");
        put_helo(g, s);
        PUTL(g, ">: Helo command rejected: need fully-qualified hostname");
        break;
    case 4:
        PUTL(g, "450 4.7.1 <");
        put_helo(g, s);
        PUTL(g, ">: Helo command rejected: Host not found");
        break;
    case 5:
        PUTL(g, "554 5.7.1 <");
        put_rcpt(g, s, 0);
        PUTL(g, ">: Relay access denied");
        break;
    case 6:
        PUTL(g, "550 5.1.1 <");
        put_rcpt(g, s, 0);
        PUTL(g, ">: Recipient address rejected: User unknown in local "
                "recipient table");
        break;
    case 7:
        PUTL(g, "450 4.2.0 <");
        put_rcpt(g, s, 0);
        PUTL(g, ">: Recipient address rejected: Greylisted, see "
                "http://postgrey.schweikert.ch/help/");
        put_s(g, s->rcpt_dom[0]);
        PUTL(g, ".html");
        break;
    case 8:
        PUTL(g, "450 4.7.25 Client host rejected: cannot find your "
                "hostname, [");
        put_s(g, ip);
        put_c(g, ']');
        break;
    default:
        PUTL(g, "450 4.1.8 <");
        put_sender(g, s);
        PUTL(g, ">: Sender address rejected: Domain not found");
        break;
    }
    PUTL(g, "; from=<");
    put_sender(g, s);
    PUTL(g, "> to=<");
    put_rcpt(g, s, 0);
    PUTL(g, "> proto=ESMTP helo=<");
    put_helo(g, s);
    put_c(g, '>');
    g->line_flags = LF_OUTCOME | LF_CODE;
}

static void
pf_qmgr_from(struct gen *g, const struct session *s, bool is_second)
{
    put_pf_prefix(g, s, SL("qmgr"), g->pf_pids[s->inst][0]);
    if (is_second)
        put(g, s->qid2, s->qid2_len);
    else
        put_qid(g, s);
    PUTL(g, ": from=<");
    put_sender(g, s);
    PUTL(g, ">, size=");
    put_u(g, s->size + (is_second ? 1210 : 0));
    PUTL(g, ", nrcpt=");
    put_u(g, s->n_rcpt);
    PUTL(g, " (queue active)");
}

static void
emit_postfix(struct gen *g, struct session *s, enum op op, unsigned arg)
{
    const struct str smtpd = pf_smtpd_of(s);
    switch (op) {
    case P_CONNECT:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "connect from ");
        put_client(g, s);
        break;
    case P_TLS_IN:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "Anonymous TLS connection established from ");
        put_client(g, s);
        PUTL(g, ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
                "bits) key-exchange X25519 server-signature RSA-PSS (2048 "
                "bits) server-digest SHA256");
        break;
    case P_CLIENT:
        put_pf_prefix(g, s, smtpd, s->pid);
        put_qid(g, s);
        PUTL(g, ": client=");
        put_client(g, s);
        if (s->kind == K_PF_OUT) {
            PUTL(g, ", sasl_method=PLAIN, sasl_username=");
            put_sender(g, s);
        }
        break;
    case P_CLEANUP:
        put_pf_prefix(g, s, SL("cleanup"), g->pf_pids[s->inst][1 + arg]);
        if (arg == 2)
            put(g, s->qid2, s->qid2_len);
        else
            put_qid(g, s);
        PUTL(g, ": message-id=");
        put_msgid(g, s, true);
        break;
    case P_MILTER_INFO:
        if (arg == 0) {
            put_host_prefix(g, s);
            put_prog(g, SL("opendkim"), g->pf_pids[s->inst][7] + 3);
            put_qid(g, s);
            PUTL(g, ": DKIM verification successful");
        } else {
            put_host_prefix(g, s);
            put_prog(g, SL("opendmarc"), g->pf_pids[s->inst][7] + 5);
            put_qid(g, s);
            PUTL(g, ": ");
            put_s(g, s->sender_dom);
            PUTL(g, " pass");
        }
        break;
    case P_QMGR_FROM:
        pf_qmgr_from(g, s, arg != 0);
        break;
    case P_DELIVER:
        /* arg: recipient index, plus P_RETRY when this is the retry */
        pf_deliver(g, s, arg & (P_RETRY - 1),
                   (arg & P_RETRY) ? O_SENT
                                   : (enum outcome)s->out[arg & (P_RETRY - 1)]);
        break;
    case P_TLS_OUT:
        put_pf_prefix(g, s, SL("smtp"), g->pf_pids[s->inst][4 + (arg & 1)]);
        PUT_IF(g, s->rcpt_prov[arg], "Trusted", "Untrusted");
        PUTL(g, " TLS connection established to ");
        put_mx(g, s, arg);
        PUTL(g, ":25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
                "bits) key-exchange X25519 server-signature ECDSA (P-256) "
                "server-digest SHA256");
        break;
    case P_HOST_SAID:
        /* the first MX refused; the delivery line is for the next one */
        put_pf_prefix(g, s, SL("smtp"), g->pf_pids[s->inst][4 + (arg & 1)]);
        put_qid(g, s);
        PUTL(g, ": host ");
        put_mx(g, s, arg);
        PUTL(g, " said: 421 4.3.2 Service not available, closing "
                "transmission channel (in reply to MAIL FROM command)");
        g->line_flags = LF_OUTCOME | LF_CODE;
        break;
    case P_BOUNCE:
        put_pf_prefix(g, s, SL("bounce"), g->pf_pids[s->inst][7]);
        put_qid(g, s);
        PUTL(g, ": sender non-delivery notification: ");
        put_rand(g, hexu, 16, s->qid_len);
        g->line_flags = LF_OUTCOME;
        break;
    case P_REMOVED:
        put_pf_prefix(g, s, SL("qmgr"), g->pf_pids[s->inst][0]);
        if (arg)
            put(g, s->qid2, s->qid2_len);
        else
            put_qid(g, s);
        PUTL(g, ": removed");
        break;
    case P_DISCONNECT:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "disconnect from ");
        put_client(g, s);
        pf_disconnect_counts(g, s);
        break;
    case P_REJECT:
        pf_reject(g, s);
        break;
    case P_PS_CONNECT:
        put_pf_prefix(g, s, SL("postscreen"), g->pf_pids[s->inst][7] + 1);
        PUTL(g, "CONNECT from [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        PUTL(g, " to [192.0.2.10]:25");
        break;
    case P_PS_DNSBL:
        put_pf_prefix(g, s, SL("postscreen"), g->pf_pids[s->inst][7] + 1);
        PUTL(g, "DNSBL rank ");
        put_u(g, 2 + s->variant % 5);
        PUTL(g, " for [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        break;
    case P_PS_REJECT:
        put_pf_prefix(g, s, SL("postscreen"), g->pf_pids[s->inst][7] + 1);
        PUTL(g, "NOQUEUE: reject: RCPT from [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        PUTL(g, ": 550 5.7.1 Service unavailable; client [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "] blocked using ");
        put_s(g, pf_rbls[s->variant % N_ELEMS(pf_rbls)]);
        PUTL(g, "; from=<");
        put_sender(g, s);
        PUTL(g, ">, to=<");
        put_rcpt(g, s, 0);
        PUTL(g, ">, proto=ESMTP, helo=<");
        put_helo(g, s);
        put_c(g, '>');
        g->line_flags = LF_OUTCOME | LF_CODE;
        break;
    case P_PS_PASS:
        put_pf_prefix(g, s, SL("postscreen"), g->pf_pids[s->inst][7] + 1);
        PUT_IF(g, s->variant & 1, "PASS NEW [", "PASS OLD [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        break;
    case P_PS_DISCONNECT:
        put_pf_prefix(g, s, SL("postscreen"), g->pf_pids[s->inst][7] + 1);
        PUTL(g, "DISCONNECT [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        break;
    case P_SASL:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "warning: ");
        put_client(g, s);
        PUT_IF(g, s->variant & 1,
               ": SASL LOGIN authentication failed: "
               "UGFzc3dvcmQ6",
               ": SASL PLAIN authentication failed: "
               "(reason unavailable), sasl_username=");
        if (!(s->variant & 1))
            put_rcpt(g, s, 0);
        g->line_flags = LF_OUTCOME;
        break;
    case P_LOST:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "lost connection after ");
        if (s->kind == K_PF_SASL)
            PUTL(g, "AUTH");
        else if (s->kind == K_PF_TLSFAIL)
            PUTL(g, "STARTTLS");
        else
            PUTL(g, "CONNECT");
        PUTL(g, " from ");
        put_client(g, s);
        break;
    case P_TLS_LIB:
        put_pf_prefix(g, s, smtpd, s->pid);
        if (s->variant & 1)
            PUTL(g, "warning: TLS library problem: error:0A000418:SSL "
                    "routines::tlsv1 alert unknown ca:../ssl/record/"
                    "rec_layer_s3.c:1584:SSL alert number 48:");
        else
            PUTL(g, "warning: TLS library problem: error:0A00006C:SSL "
                    "routines::bad key share:../ssl/statem/extensions_srvr.c"
                    ":550:");
        break;
    case P_SSL_ACCEPT:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "SSL_accept error from ");
        put_client(g, s);
        PUTL(g, ": -1");
        break;
    case P_RESOLVE_WARN:
        put_pf_prefix(g, s, smtpd, s->pid);
        PUTL(g, "warning: hostname ");
        put_u(g, 250 + (s->variant & 1) * 300);
        put_c(g, '-');
        put_u(g, 1 + s->port % 200);
        PUTL(g, "-2-3.dyn.example.com does not resolve to address ");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, ": Name or service not known");
        break;
    case P_AMAVIS:
        put_host_prefix(g, s);
        put_prog(g, SL("amavis"), g->pf_pids[s->inst][7] + 11);
        put_c(g, '(');
        put_u0(g, g->pf_pids[s->inst][7] + 11, 5);
        put_c(g, '-');
        put_u0(g, 1 + s->port % 20, 2);
        PUTL(g, ") Passed CLEAN {RelayedInbound}, [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "] <");
        put_sender(g, s);
        PUTL(g, "> -> <");
        put_rcpt(g, s, 0);
        PUTL(g, ">, Queue-ID: ");
        put_qid(g, s);
        PUTL(g, ", Message-ID: ");
        put_msgid(g, s, true);
        PUTL(g, ", mail_id: ");
        put_rand(g, b62, 62, 12);
        PUTL(g, ", Hits: -");
        put_u(g, s->port % 4);
        put_c(g, '.');
        put_u(g, s->port % 10);
        PUTL(g, ", size: ");
        put_u(g, s->size);
        PUTL(g, ", queued_as: ");
        put(g, s->qid2, s->qid2_len);
        PUTL(g, ", ");
        put_u(g, 150 + s->port % 3000);
        PUTL(g, " ms");
        break;
    case P_AMAVIS_CONNECT:
        put_pf_prefix(g, s, SL("smtpd"), s->pid + 1);
        PUTL(g, "connect from localhost[127.0.0.1]");
        break;
    case P_AMAVIS_CLIENT:
        put_pf_prefix(g, s, SL("smtpd"), s->pid + 1);
        put(g, s->qid2, s->qid2_len);
        PUTL(g, ": client=localhost[127.0.0.1]");
        break;
    case P_AMAVIS_DISCONNECT:
        put_pf_prefix(g, s, SL("smtpd"), s->pid + 1);
        PUTL(g, "disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=");
        put_u(g, s->n_rcpt);
        PUTL(g, " data=1 quit=1 commands=");
        put_u(g, 4u + s->n_rcpt);
        break;
    case P_MILTER_REJECT:
        put_pf_prefix(g, s, SL("cleanup"), g->pf_pids[s->inst][1]);
        put_qid(g, s);
        PUTL(g, ": milter-reject: END-OF-MESSAGE from ");
        put_client(g, s);
        PUT_IF(g, s->variant & 1,
               ": 5.7.1 Rejected by SPAM filter (score 15.2); from=<",
               ": 4.7.1 Try again later; from=<");
        put_sender(g, s);
        PUTL(g, "> to=<");
        put_rcpt(g, s, 0);
        PUTL(g, "> proto=ESMTP helo=<");
        put_helo(g, s);
        put_c(g, '>');
        g->line_flags = LF_OUTCOME | LF_CODE;
        break;
    case P_PICKUP:
        put_pf_prefix(g, s, SL("pickup"), g->pf_pids[s->inst][7] + 2);
        put_qid(g, s);
        PUTL(g, ": uid=");
        put_u(g, 1000 + s->variant);
        PUTL(g, " from=<");
        put_s(g, g->localparts[s->sender_lp]);
        put_c(g, '>');
        break;
    case P_EXPIRED:
        put_pf_prefix(g, s, SL("qmgr"), g->pf_pids[s->inst][0]);
        put_rand(g, hexu, 16, 10);
        PUTL(g, ": from=<");
        put_sender(g, s);
        PUTL(g, ">, status=expired, returned to sender");
        g->line_flags = LF_OUTCOME;
        break;
    default:
        assert(0 && "not a postfix op");
    }
}

/* ---- Exim lines ---- */

static void
ex_deliver(struct gen *g, struct session *s, unsigned i)
{
    const enum outcome o = (enum outcome)s->out[i];
    put_exim_prefix(g);
    put_qid(g, s);
    g->line_flags = LF_OUTCOME;
    if (s->kind == K_EX_IN) {
        if (o == O_BNC_UNKNOWN) {
            PUTL(g, " ** ");
            put_rcpt(g, s, i);
            PUTL(g, " R=virtual_aliases: No such person at this address.");
            return;
        }
        PUTL(g, " => ");
        put_s(g, g->localparts[s->rcpt_lp[i]]);
        PUTL(g, " <");
        put_rcpt(g, s, i);
        PUTL(g, "> R=local_user T=mail_spool");
        return;
    }
    if (outcome_is_sent(o)) {
        /* a second recipient at the same host is logged with -> */
        const bool is_same = i > 0 &&
                             s->rcpt_dom[i].p == s->rcpt_dom[i - 1].p &&
                             outcome_is_sent((enum outcome)s->out[i - 1]);
        PUT_IF(g, is_same, " -> ", " => ");
        put_rcpt(g, s, i);
        PUTL(g, " R=dnslookup T=remote_smtp H=");
        put_mx_name(g, s, i);
        PUTL(g, " [");
        put_s(g, mx_ip(g, s, i));
        PUTL(g, "] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"");
        put_reply(g, s, i, o);
        PUTL(g, "\" QT=");
        put_u(g, 1 + s->port % 9);
        PUTL(g, "s DT=");
        put_u(g, s->port % 3);
        put_c(g, 's');
        g->line_flags = LF_OUTCOME | LF_CODE;
        return;
    }
    const bool is_bounce = outcome_is_bounce(o);
    PUT_IF(g, is_bounce, " ** ", " == ");
    put_rcpt(g, s, i);
    if (o == O_BNC_NXDOMAIN) {
        PUTL(g, ": Unrouteable address");
        return;
    }
    PUTL(g, " R=dnslookup T=remote_smtp");
    if (smtp_stage_of[o].len == 0) {
        switch (o) {
        case O_DEF_TIMEOUT:
            PUTL(g, " defer (110): Connection timed out");
            break;
        case O_DEF_LOST:
            PUTL(g, " defer (-18) H=");
            put_mx_name(g, s, i);
            PUTL(g, " [");
            put_s(g, mx_ip(g, s, i));
            PUTL(g, "]: Remote host closed connection in response to "
                    "initial connection");
            break;
        case O_DEF_TLS:
            PUTL(g, " defer (-37) H=");
            put_mx_name(g, s, i);
            PUTL(g, " [");
            put_s(g, mx_ip(g, s, i));
            PUTL(g, "]: TLS session: (SSL_connect): error:0A000086:SSL "
                    "routines::certificate verify failed");
            break;
        default:
            PUTL(g, " defer (-1): host lookup did not complete");
            break;
        }
        return;
    }
    if (!is_bounce)
        PUTL(g, " defer (-44)");
    PUTL(g, " H=");
    put_mx_name(g, s, i);
    PUTL(g, " [");
    put_s(g, mx_ip(g, s, i));
    PUTL(g, "]: SMTP error from remote mail server after ");
    if (smtp_stage_of[o].p[0] == 'R') {
        PUTL(g, "RCPT TO:<");
        put_rcpt(g, s, i);
        PUTL(g, ">: ");
    } else if (smtp_stage_of[o].p[0] == 'M') {
        PUTL(g, "MAIL FROM:<");
        put_sender(g, s);
        PUTL(g, "> SIZE=");
        put_u(g, s->size);
        PUTL(g, ": ");
    } else {
        PUTL(g, "end of data: ");
    }
    put_reply(g, s, i, o);
    g->line_flags = LF_OUTCOME | LF_CODE;
}

static void
emit_exim(struct gen *g, struct session *s, enum op op, unsigned arg)
{
    switch (op) {
    case E_CONNECT:
        put_exim_prefix(g);
        PUTL(g, "SMTP connection from ");
        put_exim_client(g, s);
        put_c(g, ':');
        put_u(g, s->port);
        PUTL(g, " I=[192.0.2.4]:25 (TCP/IP connection count = ");
        put_u(g, 1 + s->port % 7);
        put_c(g, ')');
        break;
    case E_RECV:
        put_exim_prefix(g);
        put_qid(g, s);
        PUTL(g, " <= ");
        put_sender(g, s);
        if (s->kind == K_EX_OUT && (s->variant & 1)) {
            PUTL(g, " U=www-data P=local S=");
        } else {
            PUTL(g, " H=");
            put_exim_client(g, s);
            put_c(g, ':');
            put_u(g, s->port);
            if (s->kind == K_EX_OUT) {
                PUTL(g, " I=[192.0.2.4]:587 P=esmtpsa X=TLS1.3:"
                        "TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:");
                put_sender(g, s);
                PUTL(g, " S=");
            } else {
                PUTL(g, " I=[192.0.2.4]:25 P=esmtps X=TLS1.3:"
                        "TLS_AES_256_GCM_SHA384:256 CV=no S=");
            }
        }
        put_u(g, s->size);
        PUTL(g, " id=");
        put_msgid(g, s, false);
        break;
    case E_DELIVER:
        ex_deliver(g, s, arg);
        break;
    case E_BOUNCE_RECV:
        put_exim_prefix(g);
        put(g, s->qid2, s->qid2_len);
        PUTL(g, " <= <> R=");
        put_qid(g, s);
        PUTL(g, " U=Debian-exim P=local S=");
        put_u(g, 2000 + s->size % 5000);
        break;
    case E_COMPLETED:
        put_exim_prefix(g);
        if (arg)
            put(g, s->qid2, s->qid2_len);
        else
            put_qid(g, s);
        PUTL(g, " Completed");
        break;
    case E_CLOSED:
        put_exim_prefix(g);
        PUTL(g, "SMTP connection from ");
        put_exim_client(g, s);
        PUTL(g, " closed by QUIT");
        break;
    case E_REJECT:
        put_exim_prefix(g);
        PUTL(g, "H=");
        put_exim_client(g, s);
        put_c(g, ':');
        put_u(g, s->port);
        PUTL(g, " I=[192.0.2.4]:25 F=<");
        put_sender(g, s);
        PUTL(g, "> ");
        g->line_flags = LF_OUTCOME;
        switch (s->variant % 6) {
        case 0:
            PUTL(g, "rejected RCPT <");
            put_rcpt(g, s, 0);
            PUTL(g, ">: relay not permitted");
            break;
        case 1:
            PUTL(g, "rejected RCPT <");
            put_rcpt(g, s, 0);
            PUTL(g, ">: Unknown user");
            break;
        case 2:
            PUTL(g, "rejected RCPT <");
            put_rcpt(g, s, 0);
            PUTL(g, ">: JunkMail rejected - ");
            put_exim_client(g, s);
            PUTL(g, " is listed at zen.spamhaus.org: "
                    "https://www.spamhaus.org/query/ip/");
            put_s(g, g->host_ip[s->client]);
            break;
        case 3:
            PUTL(g, "temporarily rejected RCPT <");
            put_rcpt(g, s, 0);
            PUTL(g, ">: greylisted");
            break;
        case 4:
            PUTL(g, "rejected RCPT <");
            put_rcpt(g, s, 0);
            PUTL(g, ">: Sender verify failed");
            break;
        default:
            PUTL(g, "rejected after DATA: This message contains a virus "
                    "(Sanesecurity.Junk.39934.UNOFFICIAL).");
            break;
        }
        break;
    case E_AUTH:
        put_exim_prefix(g);
        PUTL(g, "dovecot_login authenticator failed for (");
        put_s(g, bad_helos[s->variant % N_ELEMS(bad_helos)]);
        PUTL(g, ") [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "]:");
        put_u(g, s->port);
        PUTL(g, " I=[192.0.2.4]:465 Ci=");
        put_u(g, s->pid);
        PUTL(g, ": 535 Incorrect authentication data (set_id=");
        put_rcpt(g, s, 0);
        put_c(g, ')');
        g->line_flags = LF_OUTCOME | LF_CODE;
        break;
    case E_TLS_ERR:
        put_exim_prefix(g);
        PUTL(g, "TLS error on connection from ");
        put_exim_client(g, s);
        put_c(g, ':');
        put_u(g, s->port);
        PUTL(g, " I=[192.0.2.4]:25 (SSL_accept): error:0A000418:SSL "
                "routines::tlsv1 alert unknown ca");
        break;
    case E_NOMAIL:
        put_exim_prefix(g);
        PUTL(g, "no MAIL in SMTP connection from ");
        put_exim_client(g, s);
        put_c(g, ':');
        put_u(g, s->port);
        PUTL(g, " I=[192.0.2.4]:25 D=");
        put_u(g, s->port % 60);
        PUTL(g, "s C=EHLO,STARTTLS,QUIT");
        break;
    case E_NOHOST:
        put_exim_prefix(g);
        PUTL(g, "no host name found for IP address ");
        put_s(g, g->host_ip[s->client]);
        break;
    case E_QUEUE_RUN:
        put_exim_prefix(g);
        PUT_IF(g, s->variant & 1,
               "End queue run: pid=", "Start queue run: pid=");
        put_u(g, s->pid);
        break;
    default:
        assert(0 && "not an exim op");
    }
}

/* ---- Sendmail lines ---- */

static void
put_sm_delay(struct gen *g, uint32_t sec)
{
    put_u0(g, sec / 3600 % 100, 2);
    put_c(g, ':');
    put_u0(g, sec / 60 % 60, 2);
    put_c(g, ':');
    put_u0(g, sec % 60, 2);
}

static void
sm_to(struct gen *g, struct session *s, unsigned i)
{
    const enum outcome o = (enum outcome)s->out[i];
    put_sm_prefix(g, s);
    put_qid(g, s);
    PUTL(g, ": to=<");
    put_rcpt(g, s, i);
    g->line_flags = LF_OUTCOME | LF_CODE;
    if (s->kind == K_SM_IN) {
        PUTL(g, ">, delay=00:00:01, xdelay=00:00:00, mailer=local, pri=");
        put_u(g, 30000 + s->size % 9000);
        if (o == O_BNC_UNKNOWN)
            PUTL(g, ", dsn=5.1.1, stat=User unknown");
        else
            PUTL(g, ", dsn=2.0.0, stat=Sent");
        return;
    }
    PUTL(g, ">, ctladdr=<");
    put_sender(g, s);
    PUTL(g, "> (1000/1000), delay=");
    const uint32_t sec = o >= O_DEF_GREY && !outcome_is_bounce(o)
                             ? 300 + s->port % 3000
                             : 1 + s->port % 5;
    put_sm_delay(g, sec);
    PUTL(g, ", xdelay=");
    put_sm_delay(g, sec);
    PUTL(g, ", mailer=esmtp, pri=");
    put_u(g, 120000 + s->size % 90000);
    PUTL(g, ", relay=");
    put_mx_name(g, s, i);
    PUTL(g, ". [");
    put_s(g, mx_ip(g, s, i));
    PUTL(g, "], dsn=");
    put_s(g, dsn_of[o]);
    PUTL(g, ", stat=");
    if (outcome_is_sent(o)) {
        /* sendmail keeps the reply text, without the code */
        PUTL(g, "Sent (");
        const size_t start = g->len;
        put_reply(g, s, i, o);
        const size_t skip = g->buf[start + 4] == '2' ? 10 : 4;
        memmove(g->buf + start, g->buf + start + skip, g->len - start - skip);
        g->len -= skip;
        put_c(g, ')');
        return;
    }
    switch (o) {
    case O_DEF_TIMEOUT:
        PUTL(g, "Deferred: Connection timed out with ");
        put_mx_name(g, s, i);
        put_c(g, '.');
        g->line_flags = LF_OUTCOME;
        return;
    case O_DEF_LOST:
    case O_DEF_DNS:
        PUTL(g, "Deferred: Connection refused by ");
        put_mx_name(g, s, i);
        put_c(g, '.');
        g->line_flags = LF_OUTCOME;
        return;
    case O_DEF_TLS:
        PUTL(g, "Deferred: 403 4.7.0 TLS handshake failed.");
        return;
    case O_BNC_UNKNOWN:
        PUTL(g, "User unknown");
        return;
    case O_BNC_NXDOMAIN:
        PUTL(g, "Host unknown (Name server: ");
        put_s(g, s->rcpt_dom[i]);
        PUTL(g, ".: host not found)");
        return;
    default:
        break;
    }
    if (outcome_is_bounce(o)) {
        PUTL(g, "Service unavailable");
    } else {
        PUTL(g, "Deferred: ");
        put_reply(g, s, i, o);
    }
}

static void
emit_sendmail(struct gen *g, struct session *s, enum op op, unsigned arg)
{
    if (op == M_TO) {
        sm_to(g, s, arg);
        return;
    }
    put_sm_prefix(g, s);
    switch (op) {
    case M_FROM:
        put_qid(g, s);
        PUTL(g, ": from=<");
        put_sender(g, s);
        PUTL(g, ">, size=");
        put_u(g, s->size);
        PUTL(g, ", class=0, nrcpts=");
        put_u(g, s->n_rcpt);
        PUTL(g, ", msgid=");
        put_msgid(g, s, true);
        if (s->kind == K_SM_OUT) {
            PUTL(g, ", relay=");
            put_s(g, g->localparts[s->sender_lp]);
            PUTL(g, "@localhost");
        } else {
            PUTL(g, ", bodytype=8BITMIME, proto=ESMTPS, daemon=MTA, "
                    "tls_verify=NO, auth=NONE, relay=");
            put_s(g, g->host_name[s->client]);
            PUTL(g, " [");
            put_s(g, g->host_ip[s->client]);
            put_c(g, ']');
        }
        break;
    case M_STARTTLS_S:
        PUTL(g, "STARTTLS=server, relay=");
        put_s(g, g->host_name[s->client]);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "], version=TLSv1.3, verify=NO, "
                "cipher=TLS_AES_256_GCM_SHA384, bits=256/256");
        break;
    case M_STARTTLS_C:
        PUTL(g, "STARTTLS=client, relay=");
        put_mx_name(g, s, arg);
        PUTL(g, ", version=TLSv1.3, verify=");
        PUT_IF(g, s->rcpt_prov[arg], "OK", "FAIL");
        PUTL(g, ", cipher=TLS_AES_256_GCM_SHA384, bits=256/256");
        break;
    case M_DSN:
        put_qid(g, s);
        PUTL(g, ": ");
        put(g, s->qid2, s->qid2_len);
        PUTL(g, ": DSN: ");
        PUT_IF(g, s->out[arg] == O_BNC_UNKNOWN, "User unknown",
               "Service unavailable");
        g->line_flags = LF_OUTCOME;
        break;
    case M_REJECT:
        put_qid(g, s);
        PUTL(g, ": ruleset=check_rcpt, arg1=<");
        put_rcpt(g, s, 0);
        PUTL(g, ">, relay=");
        put_s(g, g->host_name[s->client]);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        PUT_IF(g, s->variant & 2, "] (may be forged), reject=", "], reject=");
        switch (s->variant % 4) {
        case 0:
            PUTL(g, "550 5.7.1 <");
            put_rcpt(g, s, 0);
            PUTL(g, ">... Relaying denied. Proper authentication "
                    "required.");
            break;
        case 1:
            PUTL(g, "550 5.7.1 <");
            put_rcpt(g, s, 0);
            PUTL(g, ">... Rejected: ");
            put_s(g, g->host_ip[s->client]);
            PUTL(g, " listed at zen.spamhaus.org");
            break;
        case 2:
            PUTL(g, "553 5.1.8 <");
            put_rcpt(g, s, 0);
            PUTL(g, ">... Domain of sender address ");
            put_sender(g, s);
            PUTL(g, " does not exist");
            break;
        default:
            PUTL(g, "451 4.1.8 Domain of sender address ");
            put_sender(g, s);
            PUTL(g, " does not resolve");
            break;
        }
        g->line_flags = LF_OUTCOME | LF_CODE;
        break;
    case M_REFUSED:
        put_qid(g, s);
        PUTL(g, ": <");
        put_rcpt(g, s, 0);
        PUTL(g, ">... User unknown");
        g->line_flags = LF_OUTCOME;
        break;
    case M_AUTH:
        put_qid(g, s);
        PUTL(g, ": AUTH failure (LOGIN): authentication failure (-13) "
                "SASL(-13): authentication failure: checkpass failed, user=");
        put_s(g, g->localparts[s->rcpt_lp[0]]);
        PUTL(g, ", relay=[");
        put_s(g, g->host_ip[s->client]);
        put_c(g, ']');
        g->line_flags = LF_OUTCOME;
        break;
    case M_LOST:
        put_qid(g, s);
        PUTL(g, ": lost input channel from ");
        put_s(g, g->host_name[s->client]);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "] to MTA after rcpt");
        break;
    case M_NOMAIL:
        put_qid(g, s);
        PUTL(g, ": ");
        put_s(g, g->host_name[s->client]);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "] did not issue MAIL/EXPN/VRFY/ETRN during connection to "
                "MTA");
        break;
    case M_TLS_ERR:
        PUTL(g, "STARTTLS=server, error: accept failed=-1, reason=unknown "
                "ca, SSL_error=1, errno=0, retry=-1, relay=");
        put_s(g, g->host_name[s->client]);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        put_c(g, ']');
        break;
    case M_RATE:
        PUTL(g, "ruleset=check_relay, arg1=");
        put_s(g, g->host_name[s->client]);
        PUTL(g, ", arg2=");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, ", relay=");
        put_s(g, g->host_name[s->client]);
        PUTL(g, " [");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, "], reject=421 4.3.2 Connection rate limit exceeded.");
        g->line_flags = LF_OUTCOME | LF_CODE;
        break;
    default:
        assert(0 && "not a sendmail op");
    }
}

/* ---- other programs: one line each, none with an outcome ---- */

static void
emit_other(struct gen *g, struct session *s)
{
    static const struct str host = S("mx1");
    put_bsd_prefix(g, host);
    switch (s->variant % 8) {
    case 0:
    case 1:
        PUTL(g, "dovecot: imap-login: Login: user=<");
        put_rcpt(g, s, 0);
        PUTL(g, ">, method=PLAIN, rip=");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, ", lip=192.0.2.10, mpid=");
        put_u(g, s->pid);
        PUTL(g, ", TLS, session=<");
        put_rand(g, b62, 62, 16);
        put_c(g, '>');
        break;
    case 2:
        PUTL(g, "dovecot: imap(");
        put_rcpt(g, s, 0);
        PUTL(g, ")<");
        put_u(g, s->pid);
        PUTL(g, "><");
        put_rand(g, b62, 62, 16);
        PUTL(g, ">: Disconnected: Logged out in=");
        put_u(g, s->size % 900);
        PUTL(g, " out=");
        put_u(g, s->size);
        PUTL(g, " deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 "
                "body_count=0 body_bytes=0");
        break;
    case 3:
        PUTL(g, "postfix/anvil[");
        put_u(g, g->pf_pids[0][7] + 7);
        PUTL(g, "]: statistics: max connection rate ");
        put_u(g, 1 + s->port % 30);
        PUTL(g, "/60s for (smtp:");
        put_s(g, g->host_ip[s->client]);
        PUTL(g, ") at ");
        put(g, g->bsd, sizeof g->bsd);
        break;
    case 4:
        PUTL(g, "CRON[");
        put_u(g, s->pid);
        PUTL(g, "]: (root) CMD (/usr/lib/sa/sa1 1 1)");
        break;
    case 5:
        PUTL(g, "kernel: [");
        put_u(g, 500 + s->port % 200);
        put_c(g, '.');
        put_u0(g, s->pid % 1000000, 6);
        PUTL(g, "] nf_conntrack: nf_conntrack: table full, dropping packet");
        break;
    case 6:
        PUTL(g, "postfix/smtpd[");
        put_u(g, s->pid);
        PUTL(g, "]: warning: ");
        put_client(g, s);
        PUTL(g, ": SASL LOGIN authentication aborted after ");
        put_u(g, 250 + s->port % 2);
        PUTL(g, " ms");
        break;
    default:
        PUTL(g, "systemd[1]: Started session-");
        put_u(g, s->pid);
        PUTL(g, ".scope - Session ");
        put_u(g, s->pid);
        PUTL(g, " of User root.");
        break;
    }
}

/* ---- session scripts ---- */

static void
add_op(struct session *s, enum op op, unsigned arg)
{
    assert(s->n_ops < MAX_OPS);
    s->ops[s->n_ops] = (uint8_t)op;
    s->args[s->n_ops] = (uint8_t)arg;
    s->n_ops++;
}

static enum kind
pick_kind(struct gen *g)
{
    uint32_t r = rng_below(&g->rng, g->kind_total);
    for (unsigned k = 0; k < N_KINDS; k++) {
        if (r < g->kind_weight[k])
            return (enum kind)k;
        r -= g->kind_weight[k];
    }
    return K_OTHER;
}

static uint32_t
pick_size(struct gen *g)
{
    if (rng_permille(&g->rng, 20)) {
        static const uint32_t traps[] = {550, 250, 421, 5500, 25000, 4500};
        return traps[rng_below(&g->rng, N_ELEMS(traps))];
    }
    const uint32_t r = rng_below(&g->rng, 100);
    if (r < 60)
        return 1500 + rng_below(&g->rng, 20000);
    if (r < 95)
        return 20000 + rng_below(&g->rng, 200000);
    return 200000 + rng_below(&g->rng, 20000000);
}

static void
session_new(struct gen *g, struct session *s)
{
    memset(s, 0, offsetof(struct session, qid));
    s->qid_len = 0;
    s->qid2_len = 0;
    s->kind = (uint8_t)pick_kind(g);
    s->inst = rng_permille(&g->rng, 400) ? 1 : 0;
    s->variant = (uint8_t)rng_below(&g->rng, 256);
    s->pid = 1000 + rng_below(&g->rng, 64000);
    s->port = 1024 + rng_below(&g->rng, 64000);
    s->client = rng_below(&g->rng, N_HOSTS);
    s->size = pick_size(g);
    s->helo = 0;
    const struct str cname = g->host_name[s->client];
    if ((cname.len == 7 && cname.p[0] == 'u') || rng_permille(&g->rng, 80))
        s->helo = (uint8_t)(1 + rng_below(&g->rng, N_ELEMS(bad_helos)));

    const bool is_outbound =
        s->kind == K_PF_OUT || s->kind == K_EX_OUT || s->kind == K_SM_OUT;
    s->sender_lp = rng_below(&g->rng, N_LOCALPARTS);
    if (is_outbound) {
        s->sender_dom = pick_our_domain(g);
    } else {
        uint8_t prov;
        s->sender_dom = pick_ext_domain(g, &prov);
    }
    const uint32_t r = rng_below(&g->rng, 100);
    s->n_rcpt = r < 82 ? 1 : r < 93 ? 2 : r < 98 ? 3 : MAX_RCPT;
    for (unsigned i = 0; i < s->n_rcpt; i++) {
        s->rcpt_lp[i] = rng_below(&g->rng, N_LOCALPARTS);
        if (is_outbound) {
            s->rcpt_dom[i] = i > 0 && rng_permille(&g->rng, 300)
                                 ? s->rcpt_dom[i - 1]
                                 : pick_ext_domain(g, &s->rcpt_prov[i]);
            if (i > 0 && s->rcpt_dom[i].p == s->rcpt_dom[i - 1].p)
                s->rcpt_prov[i] = s->rcpt_prov[i - 1];
            s->out[i] = (uint8_t)pick_outcome(g);
        } else {
            s->rcpt_dom[i] = pick_our_domain(g);
            s->out[i] = rng_permille(&g->rng, 40)   ? O_BNC_UNKNOWN
                        : rng_permille(&g->rng, 10) ? O_DEF_FULL
                                                    : O_SENT;
        }
    }
    switch (s->kind) {
    case K_PF_IN:
    case K_PF_OUT:
    case K_PF_MILTER:
    case K_PF_REJECT:
    case K_PF_SCREEN:
    case K_PF_SASL:
    case K_PF_TLSFAIL:
    case K_PF_LOST:
        make_qid_postfix(g, s->qid, &s->qid_len, s->inst == 1);
        break;
    case K_EX_IN:
    case K_EX_OUT:
        make_qid_exim(g, s->qid, &s->qid_len);
        make_qid_exim(g, s->qid2, &s->qid2_len);
        break;
    default:
        make_qid_sendmail(g, s->qid, &s->qid_len, s->pid);
        make_qid_sendmail(g, s->qid2, &s->qid2_len, s->pid);
        break;
    }

    bool has_bounce = false;
    switch (s->kind) {
    case K_PF_IN:
        s->is_amavis = rng_permille(&g->rng, 450);
        if (s->variant < 40)
            add_op(s, P_RESOLVE_WARN, 0);
        add_op(s, P_CONNECT, 0);
        if (s->variant & 1)
            add_op(s, P_TLS_IN, 0);
        add_op(s, P_CLIENT, 0);
        add_op(s, P_CLEANUP, 0);
        if (s->variant & 2) {
            add_op(s, P_MILTER_INFO, 0);
            add_op(s, P_MILTER_INFO, 1);
        }
        add_op(s, P_QMGR_FROM, 0);
        add_op(s, P_DISCONNECT, 0);
        if (s->is_amavis) {
            add_op(s, P_DELIVER, 0); /* to amavis; all recipients */
            add_op(s, P_AMAVIS_CONNECT, 0);
            add_op(s, P_AMAVIS_CLIENT, 0);
            add_op(s, P_CLEANUP, 2);
            add_op(s, P_QMGR_FROM, 1);
            add_op(s, P_AMAVIS_DISCONNECT, 0);
            add_op(s, P_AMAVIS, 0);
            add_op(s, P_REMOVED, 0);
        }
        for (unsigned i = 0; i < s->n_rcpt; i++)
            add_op(s, P_DELIVER, i);
        add_op(s, P_REMOVED, s->is_amavis);
        break;
    case K_PF_OUT:
        if (s->variant < 60) {
            add_op(s, P_PICKUP, 0);
        } else {
            add_op(s, P_CONNECT, 0);
            add_op(s, P_TLS_IN, 0);
            add_op(s, P_CLIENT, 0);
        }
        add_op(s, P_CLEANUP, 0);
        add_op(s, P_QMGR_FROM, 0);
        if (s->variant >= 60)
            add_op(s, P_DISCONNECT, 0);
        for (unsigned i = 0; i < s->n_rcpt; i++) {
            const enum outcome o = (enum outcome)s->out[i];
            if (o == O_SENT && rng_permille(&g->rng, 15))
                add_op(s, P_HOST_SAID, i);
            if (o != O_DEF_TIMEOUT && o != O_DEF_DNS && o != O_BNC_NXDOMAIN &&
                o != O_DEF_LOST && o != O_DEF_TLS && rng_permille(&g->rng, 500))
                add_op(s, P_TLS_OUT, i);
            add_op(s, P_DELIVER, i);
            has_bounce |= outcome_is_bounce(o);
            if (outcome_is_sent(o) || outcome_is_bounce(o))
                continue;
            /* a deferral is retried later, usually with success */
            if (rng_permille(&g->rng, 700))
                add_op(s, P_DELIVER, i | P_RETRY);
        }
        if (has_bounce)
            add_op(s, P_BOUNCE, 0);
        add_op(s, P_REMOVED, 0);
        if (s->variant > 252)
            add_op(s, P_EXPIRED, 0);
        break;
    case K_PF_MILTER:
        add_op(s, P_CONNECT, 0);
        add_op(s, P_TLS_IN, 0);
        add_op(s, P_CLIENT, 0);
        add_op(s, P_CLEANUP, 0);
        add_op(s, P_MILTER_REJECT, 0);
        add_op(s, P_DISCONNECT, 0);
        break;
    case K_PF_REJECT:
        s->variant %= 10;
        if (s->variant == 8)
            add_op(s, P_RESOLVE_WARN, 0);
        add_op(s, P_CONNECT, 0);
        add_op(s, P_REJECT, 0);
        add_op(s, P_DISCONNECT, 0);
        break;
    case K_PF_SCREEN:
        add_op(s, P_PS_CONNECT, 0);
        if (s->variant & 1) {
            add_op(s, P_PS_DNSBL, 0);
            add_op(s, P_PS_REJECT, 0);
            add_op(s, P_PS_DISCONNECT, 0);
        } else {
            add_op(s, P_PS_PASS, 0);
            add_op(s, P_CONNECT, 0);
            add_op(s, P_LOST, 0);
            add_op(s, P_DISCONNECT, 0);
        }
        break;
    case K_PF_SASL:
        add_op(s, P_CONNECT, 0);
        add_op(s, P_SASL, 0);
        add_op(s, P_LOST, 0);
        add_op(s, P_DISCONNECT, 0);
        break;
    case K_PF_TLSFAIL:
        add_op(s, P_CONNECT, 0);
        add_op(s, P_SSL_ACCEPT, 0);
        add_op(s, P_TLS_LIB, 0);
        add_op(s, P_LOST, 0);
        add_op(s, P_DISCONNECT, 0);
        break;
    case K_PF_LOST:
        add_op(s, P_CONNECT, 0);
        add_op(s, P_LOST, 0);
        add_op(s, P_DISCONNECT, 0);
        break;
    case K_EX_IN:
        add_op(s, E_CONNECT, 0);
        add_op(s, E_RECV, 0);
        for (unsigned i = 0; i < s->n_rcpt; i++)
            add_op(s, E_DELIVER, i);
        add_op(s, E_COMPLETED, 0);
        add_op(s, E_CLOSED, 0);
        break;
    case K_EX_OUT:
        add_op(s, E_RECV, 0);
        for (unsigned i = 0; i < s->n_rcpt; i++) {
            add_op(s, E_DELIVER, i);
            has_bounce |= outcome_is_bounce((enum outcome)s->out[i]);
        }
        if (has_bounce)
            add_op(s, E_BOUNCE_RECV, 0);
        add_op(s, E_COMPLETED, 0);
        if (has_bounce)
            add_op(s, E_COMPLETED, 1);
        break;
    case K_EX_REJECT:
        if (s->variant < 50)
            add_op(s, E_NOHOST, 0);
        add_op(s, E_CONNECT, 0);
        add_op(s, E_REJECT, 0);
        add_op(s, E_CLOSED, 0);
        break;
    case K_EX_AUTH:
        add_op(s, E_AUTH, 0);
        if (s->variant & 1)
            add_op(s, E_AUTH, 0);
        break;
    case K_EX_NOISE:
        add_op(s, E_CONNECT, 0);
        if (s->variant & 1)
            add_op(s, E_TLS_ERR, 0);
        add_op(s, E_NOMAIL, 0);
        if (s->variant < 20)
            add_op(s, E_QUEUE_RUN, 0);
        break;
    case K_SM_IN:
        add_op(s, M_STARTTLS_S, 0);
        add_op(s, M_FROM, 0);
        for (unsigned i = 0; i < s->n_rcpt; i++)
            add_op(s, M_TO, i);
        break;
    case K_SM_OUT:
        add_op(s, M_FROM, 0);
        for (unsigned i = 0; i < s->n_rcpt; i++) {
            if (rng_permille(&g->rng, 400))
                add_op(s, M_STARTTLS_C, i);
            add_op(s, M_TO, i);
            if (outcome_is_bounce((enum outcome)s->out[i]))
                add_op(s, M_DSN, i);
        }
        break;
    case K_SM_REJECT:
        if (s->variant % 4 == 3 && (s->variant & 16)) {
            add_op(s, M_RATE, 0);
            break;
        }
        if (s->variant & 4)
            add_op(s, M_STARTTLS_S, 0);
        add_op(s, (s->variant & 8) ? M_REFUSED : M_REJECT, 0);
        add_op(s, M_LOST, 0);
        break;
    case K_SM_AUTH:
        add_op(s, M_AUTH, 0);
        add_op(s, M_NOMAIL, 0);
        break;
    case K_SM_NOISE:
        if (s->variant & 1)
            add_op(s, M_TLS_ERR, 0);
        add_op(s, M_NOMAIL, 0);
        break;
    default:
        add_op(s, O_LINE, 0);
        break;
    }
}

static void
session_step(struct gen *g, struct session *s)
{
    assert(s->pc < s->n_ops);
    const enum op op = (enum op)s->ops[s->pc];
    const unsigned arg = s->args[s->pc];
    s->pc++;
    if (op <= P_EXPIRED)
        emit_postfix(g, s, op, arg);
    else if (op <= E_QUEUE_RUN)
        emit_exim(g, s, op, arg);
    else if (op <= M_RATE)
        emit_sendmail(g, s, op, arg);
    else
        emit_other(g, s);
}

/* ---- mixes ---- */

struct mix {
    const char *name;
    uint16_t weight[N_KINDS];
};

/* Weights are per session; a session writes 1 to ~20 lines. */
static const struct mix mixes[] = {
    {"default",
     {[K_PF_IN] = 230,
      [K_PF_OUT] = 150,
      [K_PF_REJECT] = 110,
      [K_PF_SCREEN] = 50,
      [K_PF_SASL] = 45,
      [K_PF_TLSFAIL] = 20,
      [K_PF_LOST] = 40,
      [K_PF_MILTER] = 10,
      [K_EX_IN] = 70,
      [K_EX_OUT] = 70,
      [K_EX_REJECT] = 45,
      [K_EX_AUTH] = 15,
      [K_EX_NOISE] = 25,
      [K_SM_IN] = 50,
      [K_SM_OUT] = 45,
      [K_SM_REJECT] = 30,
      [K_SM_AUTH] = 8,
      [K_SM_NOISE] = 20,
      [K_OTHER] = 90}},
    {"postfix",
     {[K_PF_IN] = 230,
      [K_PF_OUT] = 150,
      [K_PF_REJECT] = 110,
      [K_PF_SCREEN] = 50,
      [K_PF_SASL] = 45,
      [K_PF_TLSFAIL] = 20,
      [K_PF_LOST] = 40,
      [K_PF_MILTER] = 10}},
    {"exim",
     {[K_EX_IN] = 70,
      [K_EX_OUT] = 70,
      [K_EX_REJECT] = 45,
      [K_EX_AUTH] = 15,
      [K_EX_NOISE] = 25}},
    {"sendmail",
     {[K_SM_IN] = 50,
      [K_SM_OUT] = 45,
      [K_SM_REJECT] = 30,
      [K_SM_AUTH] = 8,
      [K_SM_NOISE] = 20}},
};

/* ---- command line ---- */

static void
usage(FILE *fp)
{
    fputs("usage: gen_maillog [--seed N] [--size BYTES|--lines N] "
          "[--mix default|postfix|exim|sendmail]\n",
          fp);
}

static void
help(void)
{
    usage(stdout);
    fputs("\nWrites a deterministic synthetic mail log to stdout: the same "
          "seed, size and\nmix give the same bytes. BYTES takes a K, M or G "
          "suffix (powers of 1024);\nthe output ends at the last whole line "
          "that fits. Default: --seed 1 --size 10M.\nA summary goes to "
          "stderr.\n",
          stdout);
}

/* Parses "123", "10M", "1G"; returns false on junk or overflow. */
static bool
parse_count(const char *s, bool want_suffix, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    unsigned shift = 0;
    if (want_suffix && *end != '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            return false;
        }
        end++;
        if (*end == 'i' || *end == 'B')
            end++;
        if (end[-1] == 'i' && *end == 'B')
            end++;
    }
    if (*end != '\0')
        return false;
    if (shift != 0 && v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

int
main(int argc, char **argv)
{
    uint64_t seed = 1, max_bytes = 10u << 20, max_lines = 0;
    const struct mix *mix = &mixes[0];

    for (int i = 1; i < argc; i++) {
        const char *const a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help();
            return 0;
        }
        const char *const eq = strchr(a, '=');
        const size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[i + 1];
        bool ok = val != NULL;
        if (name_len == 6 && strncmp(a, "--seed", 6) == 0) {
            ok = ok && parse_count(val, false, &seed);
        } else if (name_len == 6 && strncmp(a, "--size", 6) == 0) {
            ok = ok && parse_count(val, true, &max_bytes) && max_bytes > 0;
            max_lines = 0;
        } else if (name_len == 7 && strncmp(a, "--lines", 7) == 0) {
            ok = ok && parse_count(val, true, &max_lines) && max_lines > 0;
            max_bytes = 0;
        } else if (name_len == 5 && strncmp(a, "--mix", 5) == 0) {
            const struct mix *found = NULL;
            for (size_t k = 0; ok && k < N_ELEMS(mixes); k++)
                if (strcmp(val, mixes[k].name) == 0)
                    found = &mixes[k];
            ok = found != NULL;
            mix = found ? found : mix;
        } else {
            fprintf(stderr, "gen_maillog: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "gen_maillog: bad or missing value for '%.*s'\n",
                    (int)name_len, a);
            usage(stderr);
            return 2;
        }
        if (!eq)
            i++;
    }

    static struct gen gen;
    struct gen *const g = &gen;
    struct timespec t0, t1;
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);

    g->rng.s = seed * UINT64_C(0xD1B54A32D192ED03) + 0x5EED;
    g->out = stdout;
    g->cap = OUT_BUF_CAP;
    g->buf = malloc(g->cap);
    g->arena = malloc(ARENA_CAP);
    if (g->buf == NULL || g->arena == NULL) {
        fprintf(stderr, "gen_maillog: out of memory\n");
        return 2;
    }
    for (unsigned k = 0; k < N_KINDS; k++) {
        g->kind_weight[k] = mix->weight[k];
        g->kind_total += mix->weight[k];
    }
    for (unsigned o = 0; o < N_OUTCOMES; o++)
        g->outcome_total += outcome_weight[o];
    build_pools(g);
    /* 2026-11-22 00:00:00 local time (+01:00) */
    g->now_us = UINT64_C(1795305600) * 1000000;
    g->stamp_sec = UINT64_MAX;
    stamp_update(g);

    static struct session slots[N_SLOTS];
    for (unsigned i = 0; i < N_SLOTS; i++)
        session_new(g, &slots[i]);

    for (;;) {
        if (g->cap - g->len < LINE_MAX_BYTES)
            flush_out(g);
        /* a line every 25 ms on average; never backwards */
        g->now_us += rng_below(&g->rng, 50000);
        stamp_update(g);
        struct session *const s = &slots[rng_below(&g->rng, N_SLOTS)];
        const size_t start = g->len;
        g->line_flags = 0;
        session_step(g, s);
        put_c(g, '\n');
        assert(g->len - start < LINE_MAX_BYTES);
        if (max_bytes != 0 && g->n_flushed + g->len > max_bytes) {
            g->len = start;
            break;
        }
        g->n_lines++;
        g->n_outcome += (g->line_flags & LF_OUTCOME) != 0;
        g->n_coded += (g->line_flags & LF_CODE) != 0;
        if (s->pc == s->n_ops)
            session_new(g, s);
        if (max_lines != 0 && g->n_lines == max_lines)
            break;
    }
    flush_out(g);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gen_maillog: write error: %s\n", strerror(errno));
        return 2;
    }
    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    const double secs = (double)(t1.tv_sec - t0.tv_sec) +
                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const double n = g->n_lines ? (double)g->n_lines : 1.0;
    fprintf(stderr,
            "gen_maillog: seed %llu, mix %s: %llu bytes, %llu lines, "
            "%llu outcome lines (%.1f %%), %llu with a reply or enhanced "
            "code (%.1f %%), %.2f s, %.0f MB/s\n",
            (unsigned long long)seed, mix->name,
            (unsigned long long)g->n_flushed, (unsigned long long)g->n_lines,
            (unsigned long long)g->n_outcome, 100.0 * (double)g->n_outcome / n,
            (unsigned long long)g->n_coded, 100.0 * (double)g->n_coded / n,
            secs, secs > 0 ? (double)g->n_flushed / 1e6 / secs : 0.0);
    free(g->arena);
    free(g->buf);
    return 0;
}

/*
 * prefilter.c: the Hyperscan side. It does not decide anything: it only
 * narrows which lines and which reason rules PCRE2 has to look at. Every
 * pattern Hyperscan cannot compile, even in prefilter mode, is treated as
 * "always a candidate", so correctness never depends on Hyperscan.
 */
#include "prefilter.h"

#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "smtpcode.h"
#include "xalloc.h"

/* Gate pattern ids: the code-token pattern, then one per need literal. */
#define GATE_ID_CODE 0u

struct prefilter {
    const struct ruleset *rs;
    hs_database_t *gate;
    hs_database_t *reasons;
    bool has_gate;
    size_t n_words;
    uint64_t *always;       /* reason rules Hyperscan could not compile */
    unsigned *reason_of_id; /* database id → reason rule index */
    hs_database_t *claims;  /* the MTAs' `line` patterns */
    size_t n_claim_words;
    uint64_t *claim_always; /* MTAs whose `line` Hyperscan could not take */
    unsigned *mta_of_id;    /* claims database id → MTA index */
};

struct prefilter_scratch {
    hs_scratch_t *hs;
    size_t *starts;
    size_t n_starts;
    size_t cap_starts;
    size_t *merged; /* starts ∪ reply-token lines, cap_starts entries */
    struct span block;
    size_t line_end; /* offset after the last marked line's '\n' */
    uint64_t *hits;
};

/* "abc.d" → "abc\x2ed": a literal as a Hyperscan regex. */
static char *
escape_literal(const char *s, size_t len)
{
    char *const out = xmalloc(len * 4 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == ' ' || c == '_')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, 5, "\\x%02x", c);
    }
    out[n] = '\0';
    return out;
}

/*
 * Compile pats into db. A pattern that fails is dropped and reported
 * through *failed (indices into pats), so the caller can treat it as
 * always matching. Returns 0, or -1 when nothing could be compiled.
 */
static int
compile_all(const char *const *pats, const unsigned *flags, const unsigned *ids,
            size_t n, hs_database_t **db, bool *failed)
{
    const char **p = xcalloc(n ? n : 1, sizeof(*p));
    unsigned *f = xcalloc(n ? n : 1, sizeof(*f));
    unsigned *id = xcalloc(n ? n : 1, sizeof(*id));
    size_t *orig = xcalloc(n ? n : 1, sizeof(*orig));
    size_t m = 0;
    int rc = -1;

    for (size_t i = 0; i < n; i++)
        failed[i] = false;
    for (;;) {
        m = 0;
        for (size_t i = 0; i < n; i++)
            if (!failed[i]) {
                p[m] = pats[i];
                f[m] = flags[i];
                id[m] = ids[i];
                orig[m++] = i;
            }
        if (m == 0)
            break;
        hs_compile_error_t *err = NULL;
        if (hs_compile_multi(p, f, id, (unsigned)m, HS_MODE_BLOCK, NULL, db,
                             &err) == HS_SUCCESS) {
            rc = 0;
            break;
        }
        const int bad = err != NULL ? err->expression : -1;
        hs_free_compile_error(err);
        if (bad < 0 || (size_t)bad >= m)
            break; /* a database-level failure: give up on Hyperscan */
        failed[orig[bad]] = true;
    }
    free(p);
    free(f);
    free(id);
    free(orig);
    return rc;
}

static bool
build_gate(struct prefilter *pf)
{
    const struct ruleset *const rs = pf->rs;
    size_t n = 1;

    for (size_t i = 0; i < rs->n_events; i++) {
        const struct event_rule *const r = &rs->events[i];
        if (r->n_needs == 0 && !r->needs_code)
            return false; /* a rule that runs on every line: no gate */
        n += r->n_needs;
    }
    char **pats = xcalloc(n, sizeof(*pats));
    unsigned *flags = xcalloc(n, sizeof(*flags));
    unsigned *ids = xcalloc(n, sizeof(*ids));
    bool *failed = xcalloc(n, sizeof(*failed));
    size_t k = 0;
    /* The same enhanced-code tokens as smtpcode_has_token(). */
    /*
     * Enhanced-code tokens; reply-code tokens are found by
     * smtpcode_find_reply_token(), which is faster than a regex for them.
     */
    pats[k] = xstrdup("(?:^|[ \\t(<'\";,>\\[#=:-])[245]\\.[0-7]\\.[0-9]");
    flags[k] = HS_FLAG_MULTILINE;
    ids[k] = GATE_ID_CODE;
    k++;
    for (size_t i = 0; i < rs->n_events; i++) {
        const struct event_rule *const r = &rs->events[i];
        for (size_t j = 0; j < r->n_needs; j++, k++) {
            pats[k] = escape_literal(r->needs[j], r->need_lens[j]);
            flags[k] = 0;
            ids[k] = (unsigned)k;
        }
    }
    const bool ok = compile_all((const char *const *)pats, flags, ids, k,
                                &pf->gate, failed) == 0;
    bool all = ok;
    for (size_t i = 0; i < k; i++) {
        if (failed[i])
            all = false;
        free(pats[i]);
    }
    free(pats);
    free(flags);
    free(ids);
    free(failed);
    return all;
}

/*
 * One prefilter-mode database over n optional patterns (NULL: none): bit i
 * of *always is set for a pattern that cannot be judged (NULL, or refused
 * by Hyperscan), *index_of maps database ids back to i.
 */
static void
build_filter(const char *const *patterns, size_t n, hs_database_t **db,
             size_t *n_words, uint64_t **always, unsigned **index_of)
{
    const char **pats = xcalloc(n ? n : 1, sizeof(*pats));
    unsigned *flags = xcalloc(n ? n : 1, sizeof(*flags));
    unsigned *ids = xcalloc(n ? n : 1, sizeof(*ids));
    bool *failed = xcalloc(n ? n : 1, sizeof(*failed));
    size_t m = 0;

    *n_words = (n + 63) / 64;
    *always = xcalloc(*n_words ? *n_words : 1, sizeof(uint64_t));
    *index_of = xcalloc(n ? n : 1, sizeof(unsigned));
    for (size_t i = 0; i < n; i++) {
        if (patterns[i] == NULL) {
            (*always)[i / 64] |= 1ull << (i % 64);
            continue;
        }
        pats[m] = patterns[i];
        flags[m] = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
        ids[m] = (unsigned)m;
        (*index_of)[m] = (unsigned)i;
        m++;
    }
    if (m > 0 && compile_all(pats, flags, ids, m, db, failed) != 0)
        for (size_t j = 0; j < m; j++)
            failed[j] = true;
    for (size_t j = 0; j < m; j++)
        if (failed[j]) {
            const unsigned i = (*index_of)[j];
            (*always)[i / 64] |= 1ull << (i % 64);
        }
    free(pats);
    free(flags);
    free(ids);
    free(failed);
}

static void
build_reasons(struct prefilter *pf)
{
    const struct ruleset *const rs = pf->rs;
    const char **pats = xcalloc(rs->n_reasons + 1, sizeof(*pats));

    for (size_t i = 0; i < rs->n_reasons; i++)
        pats[i] = rs->reasons[i].pattern;
    build_filter(pats, rs->n_reasons, &pf->reasons, &pf->n_words, &pf->always,
                 &pf->reason_of_id);
    free(pats);
}

/*
 * Lines without a program tag are claimed by the first MTA whose `line`
 * pattern matches; one scan narrows the PCRE2 runs to the MTAs that may.
 */
static void
build_claims(struct prefilter *pf)
{
    const struct ruleset *const rs = pf->rs;
    const char **pats = xcalloc(rs->n_mtas + 1, sizeof(*pats));

    for (size_t i = 0; i < rs->n_mtas; i++)
        pats[i] = rs->mtas[i].line_re != NULL ? rs->mtas[i].line_pattern : NULL;
    build_filter(pats, rs->n_mtas, &pf->claims, &pf->n_claim_words,
                 &pf->claim_always, &pf->mta_of_id);
    free(pats);
}

struct prefilter *
prefilter_new(const struct ruleset *rs, struct sc_err *err)
{
    if (hs_valid_platform() != HS_SUCCESS) {
        sc_err_set(err, NULL, 0, "Hyperscan does not support this CPU");
        return NULL;
    }
    struct prefilter *const pf = xcalloc(1, sizeof(*pf));
    pf->rs = rs;
    pf->has_gate = build_gate(pf);
    build_reasons(pf);
    build_claims(pf);
    return pf;
}

void
prefilter_free(struct prefilter *pf)
{
    if (pf == NULL)
        return;
    hs_free_database(pf->gate);
    hs_free_database(pf->reasons);
    hs_free_database(pf->claims);
    free(pf->always);
    free(pf->reason_of_id);
    free(pf->claim_always);
    free(pf->mta_of_id);
    free(pf);
}

struct prefilter_scratch *
prefilter_scratch_new(const struct prefilter *pf)
{
    struct prefilter_scratch *const s = xcalloc(1, sizeof(*s));

    if ((pf->gate != NULL &&
         hs_alloc_scratch(pf->gate, &s->hs) != HS_SUCCESS) ||
        (pf->reasons != NULL &&
         hs_alloc_scratch(pf->reasons, &s->hs) != HS_SUCCESS) ||
        (pf->claims != NULL &&
         hs_alloc_scratch(pf->claims, &s->hs) != HS_SUCCESS))
        sc_die("out of memory");
    s->cap_starts = 1024;
    s->starts = xcalloc(s->cap_starts, sizeof(*s->starts));
    s->merged = xcalloc(s->cap_starts, sizeof(*s->merged));
    s->hits = xcalloc(pf->n_words ? pf->n_words : 1, sizeof(uint64_t));
    return s;
}

void
prefilter_scratch_free(struct prefilter_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->hs);
    free(s->starts);
    free(s->merged);
    free(s->hits);
    free(s);
}

bool
prefilter_has_gate(const struct prefilter *pf)
{
    return pf != NULL && pf->has_gate;
}

size_t
prefilter_reason_words(const struct prefilter *pf)
{
    return pf->n_words;
}

/*
 * The start of the line holding byte at (not before floor). Hits sit a
 * line's length after its start, so 16 bytes are looked at per step.
 */
static size_t
line_start(const char *p, size_t at, size_t floor)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    while (at >= floor + 16) {
        const __m128i v =
            _mm_loadu_si128((const __m128i *)(const void *)(p + at - 16));
        const unsigned mask =
            (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        if (mask != 0)
            return at - 16 + (size_t)(32 - __builtin_clz(mask));
        at -= 16;
    }
#endif
    while (at > floor && p[at - 1] != '\n')
        at--;
    return at;
}

/* Mark the line holding the byte before `to`; skip further hits in it. */
static int
on_gate_match(unsigned id, unsigned long long from, unsigned long long to,
              unsigned flags, void *ctx)
{
    struct prefilter_scratch *const s = ctx;
    (void)id;
    (void)from;
    (void)flags;

    if (to <= s->line_end)
        return 0;
    size_t start = (size_t)to - (to > 0 ? 1 : 0);
    if (start < s->line_end)
        start = s->line_end;
    start = line_start(s->block.p, start, s->line_end);
    const char *const nl =
        memchr(s->block.p + to, '\n', s->block.len - (size_t)to);
    s->line_end = nl ? (size_t)(nl - s->block.p) + 1 : s->block.len;
    if (s->n_starts == s->cap_starts) {
        s->cap_starts *= 2;
        s->starts = xrealloc(s->starts, s->cap_starts * sizeof(*s->starts));
        s->merged = xrealloc(s->merged, s->cap_starts * sizeof(*s->merged));
    }
    s->starts[s->n_starts++] = start;
    return 0;
}

size_t
prefilter_gate(const struct prefilter *pf, struct prefilter_scratch *s,
               struct span block, const size_t **starts)
{
    s->n_starts = 0;
    s->line_end = 0;
    s->block = block;
    if (block.len == 0) {
        *starts = s->starts;
        return 0;
    }
    if (hs_scan(pf->gate, block.p, (unsigned)block.len, 0, s->hs, on_gate_match,
                s) != HS_SUCCESS)
        sc_die("hyperscan: scan failed");
    /* Merge in the lines with a reply-code token, keeping the order. */
    size_t n = 0, k = 0, prev_end = 0;
    size_t pos = smtpcode_find_reply_token(block.p, block.len, 0);
    while (pos < block.len || k < s->n_starts) {
        size_t start;
        if (pos < block.len &&
            (k == s->n_starts ||
             line_start(block.p, pos, prev_end) < s->starts[k])) {
            start = line_start(block.p, pos, prev_end);
        } else {
            start = s->starts[k++];
        }
        if (n == 0 || start != s->merged[n - 1]) {
            if (n == s->cap_starts) {
                s->cap_starts *= 2;
                s->starts =
                    xrealloc(s->starts, s->cap_starts * sizeof(*s->starts));
                s->merged =
                    xrealloc(s->merged, s->cap_starts * sizeof(*s->merged));
            }
            s->merged[n++] = start;
        }
        const char *const nl = memchr(block.p + start, '\n', block.len - start);
        prev_end = nl ? (size_t)(nl - block.p) + 1 : block.len;
        while (k < s->n_starts && s->starts[k] < prev_end)
            k++;
        if (pos < prev_end)
            pos = smtpcode_find_reply_token(block.p, block.len, prev_end);
    }
    *starts = s->merged;
    return n;
}

struct filter_ctx {
    const unsigned *index_of;
    uint64_t *hits;
};

static int
on_filter_match(unsigned id, unsigned long long from, unsigned long long to,
                unsigned flags, void *ctx)
{
    const struct filter_ctx *const fc = ctx;
    (void)from;
    (void)to;
    (void)flags;
    const unsigned i = fc->index_of[id];
    fc->hits[i / 64] |= 1ull << (i % 64);
    return 0;
}

static void
scan_filter(const hs_database_t *db, const unsigned *index_of,
            const uint64_t *always, size_t n_words, struct prefilter_scratch *s,
            struct span text, uint64_t *hits)
{
    struct filter_ctx fc = {index_of, hits};

    memcpy(hits, always, n_words * sizeof(uint64_t));
    if (db != NULL && hs_scan(db, text.len ? text.p : "", (unsigned)text.len, 0,
                              s->hs, on_filter_match, &fc) != HS_SUCCESS)
        sc_die("hyperscan: scan failed");
}

void
prefilter_reasons(const struct prefilter *pf, struct prefilter_scratch *s,
                  struct span text, uint64_t *hits)
{
    scan_filter(pf->reasons, pf->reason_of_id, pf->always, pf->n_words, s, text,
                hits);
}

void
prefilter_claims(const struct prefilter *pf, struct prefilter_scratch *s,
                 struct span text, uint64_t *hits)
{
    scan_filter(pf->claims, pf->mta_of_id, pf->claim_always, pf->n_claim_words,
                s, text, hits);
}

size_t
prefilter_claim_words(const struct prefilter *pf)
{
    return pf->n_claim_words;
}

/*
 * Serialized form: magic, fingerprint, n_reasons, n_mtas, has_gate, the
 * `always` words, reason_of_id, the `claim_always` words, mta_of_id, then
 * each database (gate, reasons, claims) as (length, bytes); all integers
 * as little-endian-agnostic native uint64_t, since the bytes only ever go
 * back into the same build.
 */
#define PREFILTER_MAGIC 0x32665070636d7473ull /* "stmcpPf2" */

struct writer {
    char *buf;
    size_t len;
};

static void
put(struct writer *w, const void *p, size_t n)
{
    w->buf = xrealloc(w->buf, w->len + n);
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void
put_u64(struct writer *w, uint64_t v)
{
    put(w, &v, sizeof(v));
}

static int
put_db(struct writer *w, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t n = 0;
    if (db != NULL && hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
        return -1;
    put_u64(w, n);
    if (n > 0)
        put(w, bytes, n);
    free(bytes);
    return 0;
}

int
prefilter_serialize(const struct prefilter *pf, uint64_t fingerprint,
                    char **bytes, size_t *len, struct sc_err *err)
{
    struct writer w = {NULL, 0};
    const size_t n = pf->rs->n_reasons;

    put_u64(&w, PREFILTER_MAGIC);
    put_u64(&w, fingerprint);
    put_u64(&w, n);
    put_u64(&w, pf->rs->n_mtas);
    put_u64(&w, pf->has_gate);
    for (size_t i = 0; i < pf->n_words; i++)
        put_u64(&w, pf->always[i]);
    for (size_t i = 0; i < n; i++)
        put_u64(&w, pf->reason_of_id[i]);
    for (size_t i = 0; i < pf->n_claim_words; i++)
        put_u64(&w, pf->claim_always[i]);
    for (size_t i = 0; i < pf->rs->n_mtas; i++)
        put_u64(&w, pf->mta_of_id[i]);
    if (put_db(&w, pf->gate) != 0 || put_db(&w, pf->reasons) != 0 ||
        put_db(&w, pf->claims) != 0) {
        free(w.buf);
        sc_err_set(err, NULL, 0, "cannot serialize the Hyperscan databases");
        return -1;
    }
    *bytes = w.buf;
    *len = w.len;
    return 0;
}

struct reader_pos {
    const unsigned char *p;
    size_t left;
};

static bool
get_u64(struct reader_pos *r, uint64_t *v)
{
    if (r->left < sizeof(*v))
        return false;
    memcpy(v, r->p, sizeof(*v));
    r->p += sizeof(*v);
    r->left -= sizeof(*v);
    return true;
}

static bool
get_db(struct reader_pos *r, hs_database_t **db)
{
    uint64_t n;
    if (!get_u64(r, &n) || n > r->left)
        return false;
    if (n > 0 && hs_deserialize_database((const char *)r->p, (size_t)n, db) !=
                     HS_SUCCESS)
        return false;
    r->p += n;
    r->left -= (size_t)n;
    return true;
}

struct prefilter *
prefilter_new_serialized(const struct ruleset *rs, uint64_t fingerprint,
                         const void *bytes, size_t len, struct sc_err *err)
{
    struct reader_pos r = {bytes, len};
    uint64_t magic, fp, n, n_mtas, has_gate;

    if (hs_valid_platform() != HS_SUCCESS || !get_u64(&r, &magic) ||
        magic != PREFILTER_MAGIC || !get_u64(&r, &fp) || fp != fingerprint ||
        !get_u64(&r, &n) || n != rs->n_reasons || !get_u64(&r, &n_mtas) ||
        n_mtas != rs->n_mtas || !get_u64(&r, &has_gate)) {
        sc_err_set(err, NULL, 0, "embedded prefilter does not fit");
        return NULL;
    }
    struct prefilter *const pf = xcalloc(1, sizeof(*pf));
    pf->rs = rs;
    pf->has_gate = has_gate != 0;
    pf->n_words = ((size_t)n + 63) / 64;
    pf->always = xcalloc(pf->n_words ? pf->n_words : 1, sizeof(uint64_t));
    pf->reason_of_id = xcalloc(n ? (size_t)n : 1, sizeof(unsigned));
    bool ok = true;
    for (size_t i = 0; ok && i < pf->n_words; i++)
        ok = get_u64(&r, &pf->always[i]);
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t v;
        ok = get_u64(&r, &v) && v < n;
        if (ok)
            pf->reason_of_id[i] = (unsigned)v;
    }
    pf->n_claim_words = ((size_t)n_mtas + 63) / 64;
    pf->claim_always =
        xcalloc(pf->n_claim_words ? pf->n_claim_words : 1, sizeof(uint64_t));
    pf->mta_of_id = xcalloc(n_mtas ? (size_t)n_mtas : 1, sizeof(unsigned));
    for (size_t i = 0; ok && i < pf->n_claim_words; i++)
        ok = get_u64(&r, &pf->claim_always[i]);
    for (size_t i = 0; ok && i < n_mtas; i++) {
        uint64_t v;
        ok = get_u64(&r, &v) && v < n_mtas;
        if (ok)
            pf->mta_of_id[i] = (unsigned)v;
    }
    if (!ok || !get_db(&r, &pf->gate) || !get_db(&r, &pf->reasons) ||
        !get_db(&r, &pf->claims) || r.left != 0) {
        prefilter_free(pf);
        sc_err_set(err, NULL, 0, "embedded prefilter is damaged");
        return NULL;
    }
    return pf;
}

uint64_t
prefilter_fingerprint(const struct rules_source *src, size_t n_src)
{
    XXH3_state_t *const st = XXH3_createState();
    if (st == NULL)
        sc_die("out of memory");
    (void)XXH3_64bits_reset(st);
    const char *const hs_ver = hs_version();
    (void)XXH3_64bits_update(st, hs_ver, strlen(hs_ver));
    for (size_t i = 0; i < n_src; i++) {
        (void)XXH3_64bits_update(st, src[i].name, strlen(src[i].name) + 1);
        (void)XXH3_64bits_update(st, src[i].data, src[i].len);
    }
    const uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

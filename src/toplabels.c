/*
 * toplabels.c: a bounded, sticky table of label values with per-class
 * counts, a Space-Saving sketch of candidates (Metwally, Agrawal and El
 * Abbadi, 2005) deciding which values get the free slots, and an
 * open-addressing index with bounded probing over both. counters.c owns
 * one per family; the exporters read it back through toplabels_visit().
 * It does not know what the values mean.
 */
#include "toplabels.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "compat.h"
#include "taxonomy.h"
#include "xalloc.h"

/* A fixed seed, as in counters.c: the bounded probing, not a secret,
 * is what keeps colliding keys cheap (xxHash issue #180). */
#define TOPLABELS_HASH_SEED UINT64_C(0x746f706c6162656c) /* "toplabel" */

/* Candidates per slot: a value with more than 1/(4 pool) of the lines
 * seen since the sketch started is always among them. */
#define CANDIDATES_PER_SLOT 4

#define INDEX_CAP_MIN 16

#define TOPLABELS_CHECK(x)                                                     \
    do {                                                                       \
        assert(x);                                                             \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

/* Invariant: total == the sum of counts; value[len] == '\0'. */
struct label {
    uint64_t hash;
    uint64_t total;
    uint64_t counts[TOPLABELS_N_CLASSES];
    uint8_t len;
    char value[TOPLABELS_VALUE_MAX + 1];
};

/*
 * A Space-Saving counter: count over-estimates the value's sightings
 * since it entered the sketch by at most err; count - err sightings are
 * certain. heap[heap_pos] is this candidate's index.
 */
struct cand {
    uint64_t hash;
    uint64_t count;
    uint64_t err;
    uint32_t heap_pos;
    uint8_t len;
    char value[TOPLABELS_VALUE_MAX];
};

enum slot_kind { SLOT_EMPTY = 0, SLOT_LABEL, SLOT_CAND };

struct slot {
    uint64_t hash;
    uint32_t ref; /* index into labels or cands */
    uint32_t kind;
};

/*
 * Invariants: index_cap is a power of two; the index holds exactly the
 * n_labels labels and n_cands candidates, each at most TOPLABELS_PROBE_MAX
 * - 1 slots past its home and reachable from it without crossing an empty
 * slot; n_cands == 0 unless admit_after > 1 and n_labels < pool; heap is
 * a min-heap of candidates by count.
 */
struct toplabels {
    unsigned top_n;
    unsigned pool;
    unsigned admit_after;
    toplabels_hash_fn *hash;
    struct label *labels;
    size_t n_labels;
    size_t cap_labels;
    struct cand *cands;
    uint32_t *heap;
    size_t n_cands;
    size_t cap_cands;
    struct slot *index;
    size_t index_cap;
    uint64_t other[TOPLABELS_N_CLASSES];
    uint64_t dropped[TOPLABELS_DROP_COUNT];
    bool has_data;
};

static uint64_t
hash_default(const void *p, size_t len)
{
    return XXH3_64bits_withSeed(p, len, TOPLABELS_HASH_SEED);
}

static size_t
pow2_at_least(size_t n)
{
    size_t c = INDEX_CAP_MIN;

    while (c < n)
        c *= 2;
    return c;
}

struct toplabels *
toplabels_new(unsigned top_n, unsigned pool, unsigned admit_after)
{
    struct toplabels *const t = xcalloc(1, sizeof *t);

    assert(admit_after >= 1 && pool >= top_n);
    t->top_n = top_n;
    t->pool = pool;
    t->admit_after = admit_after;
    t->hash = hash_default;
    t->cap_labels = pool;
    t->labels = pool > 0 ? xcalloc(pool, sizeof *t->labels) : NULL;
    t->cap_cands =
        admit_after > 1 ? (size_t)pool * CANDIDATES_PER_SLOT : (size_t)0;
    if (t->cap_cands > 0) {
        t->cands = xcalloc(t->cap_cands, sizeof *t->cands);
        t->heap = xcalloc(t->cap_cands, sizeof *t->heap);
    }
    t->index_cap = pow2_at_least(2 * ((size_t)pool + t->cap_cands));
    t->index = xcalloc(t->index_cap, sizeof *t->index);
    return t;
}

void
toplabels_free(struct toplabels *t)
{
    if (t == NULL)
        return;
    free(t->labels);
    free(t->cands);
    free(t->heap);
    free(t->index);
    free(t);
}

void
toplabels_set_hash(struct toplabels *t, toplabels_hash_fn *fn)
{
    assert(toplabels_is_empty(t) && t->n_labels == 0);
    t->hash = fn;
}

unsigned
toplabels_top_n(const struct toplabels *t)
{
    return t->top_n;
}

unsigned
toplabels_pool(const struct toplabels *t)
{
    return t->pool;
}

unsigned
toplabels_admit_after(const struct toplabels *t)
{
    return t->admit_after;
}

bool
toplabels_is_empty(const struct toplabels *t)
{
    return !t->has_data;
}

size_t
toplabels_n_labelled(const struct toplabels *t)
{
    return t->n_labels;
}

bool
toplabels_normalize(struct span in, char out[TOPLABELS_VALUE_MAX],
                    size_t *out_len)
{
    size_t n = in.len;

    if (n > 0 && in.p[n - 1] == '.')
        n--;
    if (n == 0 || n > TOPLABELS_VALUE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = in.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == '_' || c == ':'))
            return false;
        out[i] = c;
    }
    if (n == sizeof(TOPLABELS_OTHER) - 1 &&
        memcmp(out, TOPLABELS_OTHER, n) == 0)
        return false;
    *out_len = n;
    return true;
}

/* ---- the index ---- */

enum probe_result { PROBE_FOUND, PROBE_EMPTY, PROBE_FULL };

static bool
slot_matches(const struct toplabels *t, const struct slot *s, uint64_t hash,
             const char *v, size_t len)
{
    if (s->hash != hash)
        return false;
    if (s->kind == SLOT_LABEL) {
        const struct label *const l = &t->labels[s->ref];
        return l->len == len && memcmp(l->value, v, len) == 0;
    }
    const struct cand *const c = &t->cands[s->ref];
    return c->len == len && memcmp(c->value, v, len) == 0;
}

/*
 * The slot holding (v, len), or the empty slot where it belongs, within
 * TOPLABELS_PROBE_MAX probes; PROBE_FULL when neither is there.
 */
static enum probe_result
probe(const struct toplabels *t, uint64_t hash, const char *v, size_t len,
      size_t *pos)
{
    const size_t mask = t->index_cap - 1;
    size_t idx = (size_t)hash & mask;

    for (unsigned i = 0; i < TOPLABELS_PROBE_MAX; i++) {
        const struct slot *const s = &t->index[idx];
        if (s->kind == SLOT_EMPTY) {
            *pos = idx;
            return PROBE_EMPTY;
        }
        if (slot_matches(t, s, hash, v, len)) {
            *pos = idx;
            return PROBE_FOUND;
        }
        idx = (idx + 1) & mask;
    }
    return PROBE_FULL;
}

/*
 * Empty slot pos by shifting later entries of its cluster back (no
 * tombstones); entries only move towards their home.
 */
static void
slot_delete(struct toplabels *t, size_t pos)
{
    const size_t mask = t->index_cap - 1;
    size_t i = pos;

    for (;;) {
        size_t j = i;
        t->index[i].kind = SLOT_EMPTY;
        for (;;) {
            j = (j + 1) & mask;
            if (t->index[j].kind == SLOT_EMPTY)
                return;
            const size_t home = (size_t)t->index[j].hash & mask;
            /* The entry at j may move to i when i is in [home, j). */
            if (((j - home) & mask) >= ((j - i) & mask))
                break;
        }
        t->index[i] = t->index[j];
        i = j;
    }
}

/* The slot of an entry known to be in the index. */
static size_t
slot_of(const struct toplabels *t, uint64_t hash, const char *v, size_t len)
{
    size_t pos = 0;
    const enum probe_result r = probe(t, hash, v, len, &pos);

    (void)r;
    assert(r == PROBE_FOUND);
    return pos;
}

/* ---- the candidates' min-heap, by count ---- */

static void
heap_set(struct toplabels *t, size_t pos, uint32_t cand)
{
    t->heap[pos] = cand;
    t->cands[cand].heap_pos = (uint32_t)pos;
}

static void
sift_down(struct toplabels *t, size_t pos)
{
    const size_t n = t->n_cands;
    const uint32_t moving = t->heap[pos];
    const uint64_t count = t->cands[moving].count;

    for (;;) {
        size_t child = 2 * pos + 1;
        if (child >= n)
            break;
        if (child + 1 < n &&
            t->cands[t->heap[child + 1]].count < t->cands[t->heap[child]].count)
            child++;
        if (t->cands[t->heap[child]].count >= count)
            break;
        heap_set(t, pos, t->heap[child]);
        pos = child;
    }
    heap_set(t, pos, moving);
}

static void
sift_up(struct toplabels *t, size_t pos)
{
    const uint32_t moving = t->heap[pos];
    const uint64_t count = t->cands[moving].count;

    while (pos > 0) {
        const size_t parent = (pos - 1) / 2;
        if (t->cands[t->heap[parent]].count <= count)
            break;
        heap_set(t, pos, t->heap[parent]);
        pos = parent;
    }
    heap_set(t, pos, moving);
}

/*
 * Remove candidate idx from the heap and the array (the last candidate
 * takes its place; its index slot is updated). Its own index slot is the
 * caller's business.
 */
static void
cand_remove(struct toplabels *t, uint32_t idx)
{
    const size_t hpos = t->cands[idx].heap_pos;
    const size_t last_h = t->n_cands - 1;

    /* Out of the heap: the last heap entry fills the hole. */
    t->n_cands--;
    if (hpos != last_h) {
        const uint32_t filler = t->heap[last_h];
        heap_set(t, hpos, filler);
        sift_down(t, hpos);
        sift_up(t, t->cands[filler].heap_pos);
    }
    /* Out of the array: the last candidate moves into idx. */
    const uint32_t last = (uint32_t)t->n_cands;
    if (idx != last) {
        struct cand *const moved = &t->cands[last];
        const size_t s = slot_of(t, moved->hash, moved->value, moved->len);
        t->index[s].ref = idx;
        t->cands[idx] = *moved;
        t->heap[t->cands[idx].heap_pos] = idx;
    }
}

/* All slots are taken: candidates can never get in, so drop them all. */
static void
purge_candidates(struct toplabels *t)
{
    while (t->n_cands > 0) {
        const struct cand *const c = &t->cands[t->n_cands - 1];
        slot_delete(t, slot_of(t, c->hash, c->value, c->len));
        t->n_cands--;
    }
}

/* ---- adding ---- */

static void
fold(struct toplabels *t, unsigned cls, uint64_t n, enum toplabels_drop why)
{
    t->other[cls] += n;
    t->dropped[why] += n;
}

/* A new label in the empty slot pos; returns it. */
static struct label *
label_insert(struct toplabels *t, size_t pos, uint64_t hash, const char *v,
             size_t len)
{
    if (t->n_labels == t->cap_labels) {
        t->cap_labels = t->cap_labels < 8 ? 8 : t->cap_labels * 2;
        t->labels = xrealloc(t->labels, t->cap_labels * sizeof *t->labels);
    }
    struct label *const l = &t->labels[t->n_labels];
    memset(l, 0, sizeof *l);
    l->hash = hash;
    l->len = (uint8_t)len;
    memcpy(l->value, v, len);
    l->value[len] = '\0';
    t->index[pos] = (struct slot){hash, (uint32_t)t->n_labels, SLOT_LABEL};
    t->n_labels++;
    if (t->n_labels >= t->pool)
        purge_candidates(t);
    return l;
}

static void
label_count(struct label *l, unsigned cls, uint64_t n)
{
    l->counts[cls] += n;
    l->total += n;
}

/* Candidate at slot pos becomes a label in the same slot. */
static struct label *
promote(struct toplabels *t, size_t pos)
{
    const uint32_t idx = t->index[pos].ref;
    char v[TOPLABELS_VALUE_MAX];
    const size_t len = t->cands[idx].len;
    const uint64_t hash = t->cands[idx].hash;

    memcpy(v, t->cands[idx].value, len);
    cand_remove(t, idx);
    return label_insert(t, pos, hash, v, len);
}

/* A new candidate for (v, len), which has no slot; the line is folded. */
static void
sketch_insert(struct toplabels *t, size_t pos, uint64_t hash, const char *v,
              size_t len)
{
    uint32_t idx;
    uint64_t count = 1, err = 0;
    const bool is_replacement = t->n_cands == t->cap_cands;

    if (!is_replacement) {
        idx = (uint32_t)t->n_cands++;
        t->cands[idx].heap_pos = (uint32_t)idx;
        t->heap[idx] = idx;
    } else {
        /* Space-Saving: the newcomer replaces the least counted and
         * inherits its count as the error bound. */
        idx = t->heap[0];
        struct cand *const victim = &t->cands[idx];
        err = victim->count;
        count = err + 1;
        slot_delete(t, slot_of(t, victim->hash, victim->value, victim->len));
        /* Deleting only moves entries back: pos's window still has room. */
        const enum probe_result r = probe(t, hash, v, len, &pos);
        (void)r;
        assert(r == PROBE_EMPTY);
    }
    struct cand *const c = &t->cands[idx];
    c->hash = hash;
    c->count = count;
    c->err = err;
    c->len = (uint8_t)len;
    memcpy(c->value, v, len);
    t->index[pos] = (struct slot){hash, idx, SLOT_CAND};
    if (is_replacement)
        sift_down(t, c->heap_pos); /* its count went up */
    else
        sift_up(t, c->heap_pos);
}

/*
 * Rebuild the index with capacity cap over the labels (candidates must be
 * gone). A label that finds no slot within the probe limit is folded into
 * other; that needs keys crafted to collide.
 */
static void
reindex(struct toplabels *t, size_t cap)
{
    assert(t->n_cands == 0);
    free(t->index);
    t->index_cap = cap;
    t->index = xcalloc(t->index_cap, sizeof *t->index);
    for (size_t i = 0; i < t->n_labels;) {
        struct label *const l = &t->labels[i];
        size_t pos = 0;
        if (probe(t, l->hash, l->value, l->len, &pos) == PROBE_EMPTY) {
            t->index[pos] = (struct slot){l->hash, (uint32_t)i, SLOT_LABEL};
            i++;
            continue;
        }
        for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
            fold(t, c, l->counts[c], TOPLABELS_DROP_UNLABELLED);
        /* The last label (not yet placed) takes its place. */
        t->labels[i] = t->labels[--t->n_labels];
    }
}

/* Double the index: after merges only, since a table never outgrows the
 * index sized for its pool at creation. */
static void
grow_index(struct toplabels *t)
{
    reindex(t, t->index_cap * 2);
}

void
toplabels_add(struct toplabels *t, struct span value, unsigned cls)
{
    char v[TOPLABELS_VALUE_MAX];
    size_t len = 0;
    size_t pos = 0;

    assert(cls < TOPLABELS_N_CLASSES);
    t->has_data = true;
    if (!toplabels_normalize(value, v, &len)) {
        fold(t, cls, 1, TOPLABELS_DROP_INVALID);
        return;
    }
    const uint64_t hash = t->hash(v, len);
    const enum probe_result r = probe(t, hash, v, len, &pos);
    if (r == PROBE_FOUND && t->index[pos].kind == SLOT_LABEL) {
        label_count(&t->labels[t->index[pos].ref], cls, 1);
        return;
    }
    if (r == PROBE_FOUND) {
        struct cand *const c = &t->cands[t->index[pos].ref];
        c->count++;
        sift_down(t, c->heap_pos);
        if (c->count - c->err >= t->admit_after)
            label_count(promote(t, pos), cls, 1);
        else
            fold(t, cls, 1, TOPLABELS_DROP_UNLABELLED);
        return;
    }
    if (r == PROBE_FULL || t->n_labels >= t->pool) {
        fold(t, cls, 1, TOPLABELS_DROP_UNLABELLED);
        return;
    }
    /* Only after a merge raised pool can the index be short of room. */
    if (SC_UNLIKELY(2 * (t->n_labels + t->n_cands + 1) > t->index_cap)) {
        purge_candidates(t);
        grow_index(t);
        if (probe(t, hash, v, len, &pos) != PROBE_EMPTY ||
            t->n_labels >= t->pool) {
            fold(t, cls, 1, TOPLABELS_DROP_UNLABELLED);
            return;
        }
    }
    if (t->admit_after <= 1) {
        label_count(label_insert(t, pos, hash, v, len), cls, 1);
        return;
    }
    sketch_insert(t, pos, hash, v, len);
    fold(t, cls, 1, TOPLABELS_DROP_UNLABELLED);
}

bool
toplabels_add_labelled(struct toplabels *t, struct span value, unsigned cls,
                       uint64_t n)
{
    char v[TOPLABELS_VALUE_MAX];
    size_t len = 0;
    size_t pos = 0;

    assert(cls < TOPLABELS_N_CLASSES);
    if (!toplabels_normalize(value, v, &len))
        return false;
    t->has_data = true;
    purge_candidates(t);
    const uint64_t hash = t->hash(v, len);
    enum probe_result r = probe(t, hash, v, len, &pos);
    if (r == PROBE_EMPTY && 2 * (t->n_labels + 1) > t->index_cap) {
        grow_index(t);
        r = probe(t, hash, v, len, &pos);
    }
    if (r == PROBE_FOUND)
        label_count(&t->labels[t->index[pos].ref], cls, n);
    else if (r == PROBE_EMPTY)
        label_count(label_insert(t, pos, hash, v, len), cls, n);
    else
        fold(t, cls, n, TOPLABELS_DROP_UNLABELLED);
    return true;
}

void
toplabels_add_other(struct toplabels *t, unsigned cls, uint64_t n)
{
    assert(cls < TOPLABELS_N_CLASSES);
    t->has_data = true;
    t->other[cls] += n;
}

void
toplabels_add_dropped(struct toplabels *t, enum toplabels_drop why, uint64_t n)
{
    assert(why < TOPLABELS_DROP_COUNT);
    t->has_data = true;
    t->dropped[why] += n;
}

static void prune(struct toplabels *t);

void
toplabels_merge(struct toplabels *dst, const struct toplabels *src)
{
    assert(dst != src);
    /* An empty destination takes the source's size, even from an empty
     * source (a configured snapshot without rows); an empty source adds
     * nothing else. */
    if (!dst->has_data) {
        dst->top_n = src->top_n;
        dst->pool = src->pool;
    } else if (src->has_data) {
        if (src->top_n > dst->top_n)
            dst->top_n = src->top_n;
        if (src->pool > dst->pool)
            dst->pool = src->pool;
    }
    if (!src->has_data)
        return;
    dst->has_data = true;
    for (size_t i = 0; i < src->n_labels; i++) {
        const struct label *const l = &src->labels[i];
        for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
            if (l->counts[c] != 0)
                (void)toplabels_add_labelled(dst, span_make(l->value, l->len),
                                             c, l->counts[c]);
    }
    for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
        dst->other[c] += src->other[c];
    for (unsigned d = 0; d < TOPLABELS_DROP_COUNT; d++)
        dst->dropped[d] += src->dropped[d];
    if (dst->n_labels > 2 * (size_t)dst->pool)
        prune(dst);
}

/* ---- reading ---- */

/* Most lines first, then by value: a total order (values are unique). */
static int
cmp_labels(const void *pa, const void *pb)
{
    const struct label *const a = *(const struct label *const *)pa;
    const struct label *const b = *(const struct label *const *)pb;

    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    return strcmp(a->value, b->value);
}

/*
 * Merges add values without limit; past 2 * pool of them, keep the pool
 * values with the most lines and fold the rest into other, so that merging
 * any number of tables (the -j threads' chunks, snapshots) takes bounded
 * memory. Exact as long as the union of the values fits.
 */
static void
prune(struct toplabels *t)
{
    const size_t keep = t->pool < t->n_labels ? t->pool : t->n_labels;
    const struct label **order = xmalloc(t->n_labels * sizeof *order);
    struct label *const kept = keep > 0 ? xmalloc(keep * sizeof *kept) : NULL;

    assert(t->n_labels > 0 && t->n_cands == 0);
    for (size_t i = 0; i < t->n_labels; i++)
        order[i] = &t->labels[i];
    qsort(order, t->n_labels, sizeof *order, cmp_labels);
    for (size_t i = 0; i < t->n_labels; i++) {
        if (i < keep) {
            kept[i] = *order[i];
            continue;
        }
        for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
            fold(t, c, order[i]->counts[c], TOPLABELS_DROP_UNLABELLED);
    }
    free(order);
    free(t->labels);
    t->labels = kept;
    t->n_labels = keep;
    t->cap_labels = keep;
    reindex(t, t->index_cap);
}

int
toplabels_visit(const struct toplabels *t, toplabels_visit_fn *fn, void *ctx,
                uint64_t dropped[TOPLABELS_DROP_COUNT])
{
    const struct label **order = NULL;
    struct toplabels_row row;
    int rc = 0;

    if (t->n_labels > 0) {
        order = xmalloc(t->n_labels * sizeof *order);
        for (size_t i = 0; i < t->n_labels; i++)
            order[i] = &t->labels[i];
        qsort(order, t->n_labels, sizeof *order, cmp_labels);
    }
    const size_t n_shown = t->n_labels < t->top_n ? t->n_labels : t->top_n;
    for (size_t i = 0; i < n_shown && rc == 0; i++) {
        memset(&row, 0, sizeof row);
        row.value = order[i]->value;
        row.total = order[i]->total;
        memcpy(row.counts, order[i]->counts, sizeof row.counts);
        rc = fn(ctx, &row);
    }
    /* The other row: other, plus labels beyond top_n (after a merge). */
    memset(&row, 0, sizeof row);
    row.value = TOPLABELS_OTHER;
    row.is_other = true;
    memcpy(row.counts, t->other, sizeof row.counts);
    uint64_t beyond = 0;
    for (size_t i = n_shown; i < t->n_labels; i++) {
        for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
            row.counts[c] += order[i]->counts[c];
        beyond += order[i]->total;
    }
    for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
        row.total += row.counts[c];
    if (dropped != NULL) {
        memcpy(dropped, t->dropped, sizeof t->dropped);
        dropped[TOPLABELS_DROP_UNLABELLED] += beyond;
    }
    if (rc == 0)
        rc = fn(ctx, &row);
    free(order);
    return rc;
}

void
toplabels_check(const struct toplabels *t)
{
    const size_t mask = t->index_cap - 1;
    size_t n_label_slots = 0, n_cand_slots = 0;

    TOPLABELS_CHECK(t != NULL && t->index != NULL);
    TOPLABELS_CHECK(t->index_cap >= INDEX_CAP_MIN);
    TOPLABELS_CHECK((t->index_cap & mask) == 0);
    TOPLABELS_CHECK(t->n_labels <= t->cap_labels);
    TOPLABELS_CHECK(t->n_cands <= t->cap_cands);
    TOPLABELS_CHECK(t->n_cands == 0 ||
                    (t->admit_after > 1 && t->n_labels < t->pool));
    TOPLABELS_CHECK(t->pool >= t->top_n);
    TOPLABELS_CHECK(2 * (t->n_labels + t->n_cands) <= t->index_cap);
    for (size_t i = 0; i < t->index_cap; i++) {
        const struct slot *const s = &t->index[i];
        const char *v;
        size_t len, pos = SIZE_MAX;
        if (s->kind == SLOT_EMPTY)
            continue;
        TOPLABELS_CHECK(s->kind == SLOT_LABEL || s->kind == SLOT_CAND);
        if (s->kind == SLOT_LABEL) {
            n_label_slots++;
            TOPLABELS_CHECK(s->ref < t->n_labels);
            TOPLABELS_CHECK(t->labels[s->ref].hash == s->hash);
            v = t->labels[s->ref].value;
            len = t->labels[s->ref].len;
        } else {
            n_cand_slots++;
            TOPLABELS_CHECK(s->ref < t->n_cands);
            TOPLABELS_CHECK(t->cands[s->ref].hash == s->hash);
            v = t->cands[s->ref].value;
            len = t->cands[s->ref].len;
        }
        TOPLABELS_CHECK(((i - (size_t)s->hash) & mask) < TOPLABELS_PROBE_MAX);
        TOPLABELS_CHECK(t->hash(v, len) == s->hash);
        /* Findable, and this is the first copy: no duplicates. */
        TOPLABELS_CHECK(probe(t, s->hash, v, len, &pos) == PROBE_FOUND);
        TOPLABELS_CHECK(pos == i);
    }
    TOPLABELS_CHECK(n_label_slots == t->n_labels);
    TOPLABELS_CHECK(n_cand_slots == t->n_cands);
    for (size_t i = 0; i < t->n_labels; i++) {
        const struct label *const l = &t->labels[i];
        char v[TOPLABELS_VALUE_MAX];
        size_t len = 0;
        uint64_t sum = 0;
        TOPLABELS_CHECK(l->value[l->len] == '\0');
        TOPLABELS_CHECK(
            toplabels_normalize(span_make(l->value, l->len), v, &len));
        TOPLABELS_CHECK(len == l->len && memcmp(v, l->value, len) == 0);
        for (unsigned c = 0; c < TOPLABELS_N_CLASSES; c++)
            sum += l->counts[c];
        TOPLABELS_CHECK(sum == l->total);
    }
    for (size_t i = 0; i < t->n_cands; i++) {
        const struct cand *const c = &t->cands[i];
        TOPLABELS_CHECK(c->heap_pos < t->n_cands);
        TOPLABELS_CHECK(t->heap[c->heap_pos] == i);
        TOPLABELS_CHECK(c->err < c->count);
        TOPLABELS_CHECK(c->count - c->err < t->admit_after);
        if (c->heap_pos > 0)
            TOPLABELS_CHECK(t->cands[t->heap[(c->heap_pos - 1) / 2]].count <=
                            c->count);
    }
}

bool
toplabels_row_shows_class(const struct toplabels_row *row, unsigned cls)
{
    return row->counts[cls] != 0 ||
           (row->is_other && (cls == CLASS_SUCCESS || cls == CLASS_TRANSIENT ||
                              cls == CLASS_PERMANENT));
}

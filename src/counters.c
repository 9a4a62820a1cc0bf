/*
 * counters.c: outcome counts in an open-addressing hash table (linear
 * probing, power-of-two capacity, at most half full) keyed by the 12-byte
 * struct counter_key, the label families (toplabels.c) and the delay
 * histograms. main feeds it one key per classified line; exporters read it
 * back through counters_visit_sorted() and friends. It knows nothing about
 * names.
 */
#include "counters.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "compat.h"
#include "taxonomy.h"
#include "xalloc.h"

/*
 * A fixed seed: output is sorted, so hash order never shows, and a fixed
 * seed keeps runs reproducible under a debugger. Keys are small integers
 * from closed sets, so flooding needs a cardinality cap upstream, not a
 * secret seed here.
 */
#define SC_HASH_SEED UINT64_C(0x736d7470636c6173) /* "smtpclas" */

/* Small start: a typical log produces a few dozen series. */
#define COUNTERS_CAP_INITIAL 64

/*
 * Checks that stay on in release builds: counters_check() promises to abort
 * on a violation, and tests may run with NDEBUG.
 */
#define COUNTERS_CHECK(x)                                                      \
    do {                                                                       \
        assert(x);                                                             \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

/* is_used == false means the slot is empty; then the other fields are 0. */
struct counter_entry {
    uint64_t hash;
    uint64_t count;
    struct counter_key key;
    uint32_t is_used;
};

/*
 * Invariants: cap is a power of two >= COUNTERS_CAP_INITIAL; size <= cap / 2;
 * size equals the number of used slots; every used entry's hash is the hash
 * of its key, and probing from hash & (cap - 1) reaches it before any empty
 * slot; no key is stored twice.
 */
struct counters {
    struct counter_entry *slots;
    size_t cap;
    size_t size;
    struct counter_totals totals;
    struct toplabels *labels[COUNTER_FAMILY_COUNT];
    unsigned labels_top_n; /* as last configured, for a quick no-op */
    bool is_labels_live;
    /* Histograms, and an index over them keyed by mta << 8 | event with
     * linear probing, at most half full (keys come from closed sets). */
    struct counter_delay *delays;
    size_t n_delays;
    size_t cap_delays;
    uint32_t *delay_index; /* delays index + 1; 0: empty */
    size_t delay_index_cap;
};

const uint64_t counters_delay_bounds_ms[COUNTERS_DELAY_N_BOUNDS] = {
    100,   500,    1000,   5000,    10000,    30000,
    60000, 300000, 900000, 3600000, 21600000, 86400000,
};

_Static_assert(CLASS_COUNT <= TOPLABELS_N_CLASSES,
               "every class fits a label table");

static const struct counter_delay *find_delay(const struct counters *c,
                                              uint16_t mta, uint8_t event);

static uint64_t
hash_key(const struct counter_key *key)
{
    return XXH3_64bits_withSeed(key, sizeof *key, SC_HASH_SEED);
}

/*
 * The slot holding key, or the empty slot where it belongs. Terminates
 * because the table is never more than half full.
 */
static size_t
probe(const struct counter_entry *slots, size_t cap, uint64_t hash,
      const struct counter_key *key)
{
    const size_t mask = cap - 1;
    size_t idx = (size_t)hash & mask;

    while (slots[idx].is_used) {
        const struct counter_entry *const e = &slots[idx];
        if (e->hash == hash && memcmp(&e->key, key, sizeof *key) == 0)
            return idx;
        idx = (idx + 1) & mask;
    }
    return idx;
}

/* Doubles the capacity and reinserts; invalidates pointers into slots. */
static void
grow(struct counters *c)
{
    const size_t new_cap = c->cap * 2;
    struct counter_entry *const fresh = xcalloc(new_cap, sizeof *fresh);

    assert(new_cap > c->cap);
    for (size_t i = 0; i < c->cap; i++) {
        const struct counter_entry *const e = &c->slots[i];
        if (!e->is_used)
            continue;
        fresh[probe(fresh, new_cap, e->hash, &e->key)] = *e;
    }
    free(c->slots);
    c->slots = fresh;
    c->cap = new_cap;
}

struct counters *
counters_new(void)
{
    struct counters *const c = xcalloc(1, sizeof *c);

    c->cap = COUNTERS_CAP_INITIAL;
    c->slots = xcalloc(c->cap, sizeof *c->slots);
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++)
        c->labels[f] = NULL;
    counters_configure_labels(c, COUNTERS_TOP_N_DEFAULT, false);
    c->delay_index_cap = 16;
    c->delay_index = xcalloc(c->delay_index_cap, sizeof *c->delay_index);
    return c;
}

void
counters_free(struct counters *c)
{
    if (c == NULL)
        return;
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++)
        toplabels_free(c->labels[f]);
    free(c->delays);
    free(c->delay_index);
    free(c->slots);
    free(c);
}

void
counters_add(struct counters *c, const struct counter_key *key, uint64_t n)
{
    const uint64_t hash = hash_key(key);
    size_t idx = probe(c->slots, c->cap, hash, key);

    if (c->slots[idx].is_used) {
        c->slots[idx].count += n;
        return;
    }
    if (c->size >= COUNTERS_SERIES_CAP && key->enh_class != 0 &&
        key->enh_class != COUNTER_ENH_OTHER) {
        struct counter_key folded = *key;
        folded.enh_class = COUNTER_ENH_OTHER;
        folded.enh_subject = 0;
        folded.enh_detail = 0;
        c->totals.lines_series_folded += n;
        counters_add(c, &folded, n);
        return;
    }
    /* A new key: grow first so the table stays at most half full. */
    if (c->size + 1 > c->cap / 2) {
        grow(c);
        idx = probe(c->slots, c->cap, hash, key);
    }
    c->slots[idx] = (struct counter_entry){
        .hash = hash,
        .count = n,
        .key = *key,
        .is_used = 1,
    };
    c->size++;
}

uint64_t
counters_get(const struct counters *c, const struct counter_key *key)
{
    const size_t idx = probe(c->slots, c->cap, hash_key(key), key);

    return c->slots[idx].is_used ? c->slots[idx].count : 0;
}

size_t
counters_size(const struct counters *c)
{
    return c->size;
}

struct counter_totals *
counters_totals(struct counters *c)
{
    return &c->totals;
}

const struct counter_totals *
counters_totals_const(const struct counters *c)
{
    return &c->totals;
}

void
counters_merge(struct counters *dst, const struct counters *src)
{
    assert(dst != src);
    for (size_t i = 0; i < src->cap; i++) {
        const struct counter_entry *const e = &src->slots[i];
        if (e->is_used)
            counters_add(dst, &e->key, e->count);
    }
    dst->totals.lines_read += src->totals.lines_read;
    dst->totals.lines_with_outcome += src->totals.lines_with_outcome;
    dst->totals.lines_without_outcome += src->totals.lines_without_outcome;
    dst->totals.lines_unknown_category += src->totals.lines_unknown_category;
    dst->totals.lines_overlong += src->totals.lines_overlong;
    dst->totals.lines_regex_limit += src->totals.lines_regex_limit;
    dst->totals.lines_series_folded += src->totals.lines_series_folded;
    dst->totals.bytes_read += src->totals.bytes_read;
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++)
        toplabels_merge(dst->labels[f], src->labels[f]);
    for (size_t i = 0; i < src->n_delays; i++)
        counters_add_delay_histogram(dst, &src->delays[i]);
}

/* Three-way comparison of two unsigned values. */
static int
cmp_u(unsigned a, unsigned b)
{
    return (a > b) - (a < b);
}

/* The order documented in counters.h; keys are unique, so it is total. */
static int
cmp_entries(const void *pa, const void *pb)
{
    const struct counter_key *const a =
        &(*(const struct counter_entry *const *)pa)->key;
    const struct counter_key *const b =
        &(*(const struct counter_entry *const *)pb)->key;
    const int by_field[] = {
        cmp_u(a->cls, b->cls),
        cmp_u(a->category, b->category),
        cmp_u(a->reply, b->reply),
        cmp_u(a->enh_class, b->enh_class),
        cmp_u(a->enh_subject, b->enh_subject),
        cmp_u(a->enh_detail, b->enh_detail),
        cmp_u(a->mta, b->mta),
        cmp_u(a->event, b->event),
    };

    for (size_t i = 0; i < sizeof by_field / sizeof by_field[0]; i++)
        if (by_field[i] != 0)
            return by_field[i];
    return 0;
}

int
counters_visit_sorted(const struct counters *c, counters_visit_fn *fn,
                      void *ctx)
{
    const struct counter_entry **order;
    size_t n = 0;
    int rc = 0;

    if (c->size == 0)
        return 0;
    order = xmalloc(c->size * sizeof *order);
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].is_used)
            order[n++] = &c->slots[i];
    assert(n == c->size);
    qsort(order, n, sizeof *order, cmp_entries);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ctx, &order[i]->key, order[i]->count);
    free(order);
    return rc;
}

void
counters_check(const struct counters *c)
{
    size_t n_used = 0;

    COUNTERS_CHECK(c != NULL);
    COUNTERS_CHECK(c->slots != NULL);
    COUNTERS_CHECK(c->cap >= COUNTERS_CAP_INITIAL);
    COUNTERS_CHECK((c->cap & (c->cap - 1)) == 0);
    COUNTERS_CHECK(c->size <= c->cap / 2);
    for (size_t i = 0; i < c->cap; i++) {
        const struct counter_entry *const e = &c->slots[i];
        if (!e->is_used)
            continue;
        n_used++;
        COUNTERS_CHECK(e->is_used == 1);
        COUNTERS_CHECK(e->hash == hash_key(&e->key));
        /* Findable, and the first copy found is this one: no duplicates. */
        COUNTERS_CHECK(probe(c->slots, c->cap, e->hash, &e->key) == i);
    }
    COUNTERS_CHECK(n_used == c->size);
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++)
        toplabels_check(c->labels[f]);
    COUNTERS_CHECK(2 * c->n_delays <= c->delay_index_cap);
    for (size_t i = 0; i < c->n_delays; i++) {
        const struct counter_delay *const d = &c->delays[i];
        uint64_t n = 0;
        for (size_t b = 0; b < COUNTERS_DELAY_N_BUCKETS; b++)
            n += d->buckets[b];
        COUNTERS_CHECK(n == d->count);
        COUNTERS_CHECK(find_delay(c, d->mta, d->event) == d);
    }
}

/* ---- label families ---- */

/* The pool and admission threshold of a family (counters.h). */
static void
label_policy(unsigned top_n, bool is_live, unsigned *pool,
             unsigned *admit_after)
{
    if (is_live) {
        *pool = top_n;
        *admit_after = 2;
        return;
    }
    *admit_after = 1;
    *pool = 0;
    if (top_n > 0)
        *pool = top_n > UINT_MAX / 4                  ? top_n
                : top_n * 4 > COUNTERS_BATCH_POOL_MIN ? top_n * 4
                                                      : COUNTERS_BATCH_POOL_MIN;
}

void
counters_configure_labels(struct counters *c, unsigned top_n, bool is_live)
{
    unsigned pool, admit_after;

    if (SC_LIKELY(c->labels[0] != NULL && c->labels_top_n == top_n &&
                  c->is_labels_live == is_live))
        return;
    c->labels_top_n = top_n;
    c->is_labels_live = is_live;
    label_policy(top_n, is_live, &pool, &admit_after);
    for (unsigned f = 0; f < COUNTER_FAMILY_COUNT; f++) {
        struct toplabels *const t = c->labels[f];
        if (t != NULL && toplabels_top_n(t) == top_n &&
            toplabels_pool(t) == pool &&
            toplabels_admit_after(t) == admit_after)
            continue;
        assert(t == NULL || toplabels_is_empty(t));
        toplabels_free(t);
        c->labels[f] = toplabels_new(top_n, pool, admit_after);
    }
}

void
counters_add_label(struct counters *c, enum counter_family f, struct span value,
                   unsigned cls)
{
    assert(f < COUNTER_FAMILY_COUNT);
    toplabels_add(c->labels[f], value, cls);
}

const struct toplabels *
counters_labels(const struct counters *c, enum counter_family f)
{
    assert(f < COUNTER_FAMILY_COUNT);
    return c->labels[f];
}

struct toplabels *
counters_labels_mut(struct counters *c, enum counter_family f)
{
    assert(f < COUNTER_FAMILY_COUNT);
    return c->labels[f];
}

/* ---- delay histograms ---- */

static size_t
delay_home(const struct counters *c, uint16_t mta, uint8_t event)
{
    const uint32_t key = (uint32_t)mta << 8 | event;

    /* Fibonacci hashing spreads the small keys over the index. */
    return (size_t)((key * UINT32_C(2654435769)) >> 8) &
           (c->delay_index_cap - 1);
}

/* The histogram of (mta, event), or NULL; *slot gets where it is or goes. */
static struct counter_delay *
find_delay_slot(const struct counters *c, uint16_t mta, uint8_t event,
                size_t *slot)
{
    const size_t mask = c->delay_index_cap - 1;
    size_t idx = delay_home(c, mta, event);

    while (c->delay_index[idx] != 0) {
        struct counter_delay *const d = &c->delays[c->delay_index[idx] - 1];
        if (d->mta == mta && d->event == event) {
            *slot = idx;
            return d;
        }
        idx = (idx + 1) & mask;
    }
    *slot = idx;
    return NULL;
}

static const struct counter_delay *
find_delay(const struct counters *c, uint16_t mta, uint8_t event)
{
    size_t slot;

    return find_delay_slot(c, mta, event, &slot);
}

/* The histogram of (mta, event), created empty if needed. */
static struct counter_delay *
get_delay(struct counters *c, uint16_t mta, uint8_t event)
{
    size_t slot;
    struct counter_delay *d = find_delay_slot(c, mta, event, &slot);

    if (d != NULL)
        return d;
    if (2 * (c->n_delays + 1) > c->delay_index_cap) {
        free(c->delay_index);
        c->delay_index_cap *= 2;
        c->delay_index = xcalloc(c->delay_index_cap, sizeof *c->delay_index);
        for (size_t i = 0; i < c->n_delays; i++) {
            (void)find_delay_slot(c, c->delays[i].mta, c->delays[i].event,
                                  &slot);
            c->delay_index[slot] = (uint32_t)i + 1;
        }
        (void)find_delay_slot(c, mta, event, &slot);
    }
    if (c->n_delays == c->cap_delays) {
        c->cap_delays = c->cap_delays == 0 ? 8 : c->cap_delays * 2;
        c->delays = xrealloc(c->delays, c->cap_delays * sizeof *c->delays);
    }
    d = &c->delays[c->n_delays++];
    memset(d, 0, sizeof *d);
    d->mta = mta;
    d->event = event;
    c->delay_index[slot] = (uint32_t)c->n_delays;
    return d;
}

void
counters_add_delay(struct counters *c, uint16_t mta, uint8_t event,
                   uint64_t delay_ms)
{
    struct counter_delay *const d = get_delay(c, mta, event);
    size_t b = 0;

    while (b < COUNTERS_DELAY_N_BOUNDS &&
           delay_ms > counters_delay_bounds_ms[b])
        b++;
    d->buckets[b]++;
    d->count++;
    d->sum_ms += delay_ms;
}

void
counters_add_delay_histogram(struct counters *c, const struct counter_delay *h)
{
    struct counter_delay *const d = get_delay(c, h->mta, h->event);

    for (size_t b = 0; b < COUNTERS_DELAY_N_BUCKETS; b++)
        d->buckets[b] += h->buckets[b];
    d->count += h->count;
    d->sum_ms += h->sum_ms;
}

static int
cmp_delays(const void *pa, const void *pb)
{
    const struct counter_delay *const a =
        *(const struct counter_delay *const *)pa;
    const struct counter_delay *const b =
        *(const struct counter_delay *const *)pb;

    if (a->mta != b->mta)
        return a->mta < b->mta ? -1 : 1;
    return (a->event > b->event) - (a->event < b->event);
}

int
counters_visit_delays(const struct counters *c, counters_delay_visit_fn *fn,
                      void *ctx)
{
    const struct counter_delay **order;
    int rc = 0;

    if (c->n_delays == 0)
        return 0;
    order = xmalloc(c->n_delays * sizeof *order);
    for (size_t i = 0; i < c->n_delays; i++)
        order[i] = &c->delays[i];
    qsort(order, c->n_delays, sizeof *order, cmp_delays);
    for (size_t i = 0; i < c->n_delays && rc == 0; i++)
        rc = fn(ctx, order[i]);
    free(order);
    return rc;
}

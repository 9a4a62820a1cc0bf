/*
 * counters.c: outcome counts in an open-addressing hash table (linear
 * probing, power-of-two capacity, at most half full) keyed by the 12-byte
 * struct counter_key. main feeds it one key per classified line; exporters
 * read it back through counters_visit_sorted(). It knows nothing about names.
 */
#include "counters.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

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
};

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
    return c;
}

void
counters_free(struct counters *c)
{
    if (c == NULL)
        return;
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
    dst->totals.bytes_read += src->totals.bytes_read;
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
}

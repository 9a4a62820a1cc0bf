/*
 * unmatched.c: an open-addressing table of normalised texts keyed by XXH3,
 * like counters.c but with string keys. Only lines whose category is
 * unknown get here, so this is off the hot path.
 */
#include "unmatched.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "xalloc.h"

#define UNMATCHED_SEED 0x736d7470636c6173ull

struct group {
    uint64_t hash;
    char *text; /* owned, NUL-terminated; NULL: free slot */
    uint64_t count;
};

/* Invariant: n_groups <= UNMATCHED_MAX_GROUPS < cap / 2; cap a power of 2. */
struct unmatched {
    struct group *slots;
    size_t cap;
    size_t n_groups;
    uint64_t n_other;
};

struct unmatched *
unmatched_new(void)
{
    struct unmatched *const u = xcalloc(1, sizeof(*u));
    u->cap = 32768; /* > 2 * UNMATCHED_MAX_GROUPS: never grows */
    u->slots = xcalloc(u->cap, sizeof(*u->slots));
    return u;
}

void
unmatched_free(struct unmatched *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->cap; i++)
        free(u->slots[i].text);
    free(u->slots);
    free(u);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_word(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_' || c == '-' || c == '.';
}

static size_t
put(char *out, size_t n, size_t cap, const char *s, size_t len)
{
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        out[n++] = s[i];
    return n;
}

size_t
unmatched_normalise(struct span text, char *out, size_t cap)
{
    size_t n = 0, i = 0;

    if (cap == 0)
        return 0;
    /* Indentation and trailing blanks do not make texts different. */
    while (i < text.len && (text.p[i] == ' ' || text.p[i] == '\t'))
        i++;
    while (text.len > i &&
           (text.p[text.len - 1] == ' ' || text.p[text.len - 1] == '\t' ||
            text.p[text.len - 1] == '\r'))
        text.len--;
    while (i < text.len && n + 1 < cap) {
        const char c = text.p[i];
        if (c == '<') { /* <address> */
            const char *const gt = memchr(text.p + i, '>', text.len - i);
            if (gt != NULL &&
                memchr(text.p + i, '@', (size_t)(gt - text.p) - i)) {
                n = put(out, n, cap, "<ADDR>", 6);
                i = (size_t)(gt - text.p) + 1;
                continue;
            }
        }
        if (is_word(c) && (i == 0 || !is_word(text.p[i - 1]))) {
            /* A whole token: an address, an IP, an id or a long number. */
            size_t j = i, n_digits = 0, n_dots = 0;
            bool has_at = false;
            while (j < text.len && (is_word(text.p[j]) || text.p[j] == '@')) {
                n_digits += is_digit(text.p[j]);
                n_dots += text.p[j] == '.';
                has_at |= text.p[j] == '@';
                j++;
            }
            /* A sentence's full stop is not part of the token. */
            while (j > i + 1 && text.p[j - 1] == '.') {
                j--;
                n_dots--;
            }
            const size_t len = j - i;
            const bool is_code =
                (len == 3 && n_digits == 3) ||
                (n_dots == 2 && n_digits + 2 == len && len <= 9);
            if (has_at) {
                n = put(out, n, cap, "ADDR", 4);
            } else if (n_dots == 3 && n_digits + 3 == len) {
                n = put(out, n, cap, "IP", 2);
            } else if (n_dots > 0 && !is_code && n_digits + n_dots < len) {
                n = put(out, n, cap, "HOST", 4); /* mx.example.net */
            } else if (!is_code && n_digits >= 4) {
                n = put(out, n, cap, n_digits == len ? "N" : "ID",
                        n_digits == len ? 1 : 2);
            } else {
                n = put(out, n, cap, text.p + i, len);
            }
            i = j;
            continue;
        }
        /* Control bytes would break the one-line-per-group output. */
        out[n++] = (unsigned char)c < 0x20 ? ' ' : c;
        i++;
    }
    out[n] = '\0';
    return n;
}

void
unmatched_add(struct unmatched *u, struct span text)
{
    char buf[UNMATCHED_MAX_TEXT];
    const size_t len = unmatched_normalise(text, buf, sizeof(buf));
    const uint64_t h = XXH3_64bits_withSeed(buf, len, UNMATCHED_SEED);

    for (size_t i = (size_t)h & (u->cap - 1);; i = (i + 1) & (u->cap - 1)) {
        struct group *const g = &u->slots[i];
        if (g->text == NULL) {
            if (u->n_groups == UNMATCHED_MAX_GROUPS) {
                u->n_other++;
                return;
            }
            g->hash = h;
            g->text = xmemdup0(buf, len);
            g->count = 1;
            u->n_groups++;
            return;
        }
        if (g->hash == h && strcmp(g->text, buf) == 0) {
            g->count++;
            return;
        }
    }
}

static int
by_count(const void *a, const void *b)
{
    const struct group *const x = *(const struct group *const *)a;
    const struct group *const y = *(const struct group *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

int
unmatched_write(const struct unmatched *u, FILE *out)
{
    const struct group **v = xcalloc(u->n_groups + 1, sizeof(*v));
    size_t n = 0;

    for (size_t i = 0; i < u->cap; i++)
        if (u->slots[i].text != NULL)
            v[n++] = &u->slots[i];
    qsort(v, n, sizeof(*v), by_count);
    for (size_t i = 0; i < n; i++)
        (void)fprintf(out, "%llu\t%s\n", (unsigned long long)v[i]->count,
                      v[i]->text);
    if (u->n_other > 0)
        (void)fprintf(out, "%llu\t(other texts, beyond %u groups)\n",
                      (unsigned long long)u->n_other, UNMATCHED_MAX_GROUPS);
    free(v);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

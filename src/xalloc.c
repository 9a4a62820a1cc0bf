/*
 * xalloc.c: the only caller of malloc in smtpclass. Counts calls so a unit
 * test can show that allocations do not grow with the number of lines.
 */
#include "xalloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static atomic_uint_fast64_t n_allocs;

static void *
checked(void *p)
{
    if (p == NULL)
        sc_die("out of memory");
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return p;
}

void *
xmalloc(size_t n)
{
    return checked(malloc(n ? n : 1));
}

void *
xcalloc(size_t nmemb, size_t size)
{
    return checked(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *
xrealloc(void *p, size_t n)
{
    return checked(realloc(p, n ? n : 1));
}

char *
xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

char *
xmemdup0(const void *p, size_t n)
{
    char *const d = xmalloc(n + 1);
    if (n > 0)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

uint64_t
xalloc_count(void)
{
    return atomic_load_explicit(&n_allocs, memory_order_relaxed);
}

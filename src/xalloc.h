/*
 * xalloc.h: checked allocation. Out of memory cannot be recovered in a filter,
 * so these print "smtpclass: out of memory" and exit 2. The counters let tests
 * prove the hot loop allocates nothing.
 */
#ifndef SMTPCLASS_XALLOC_H
#define SMTPCLASS_XALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Owned results; release with free(). Never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
/* May move the block: pointers into the old block become invalid. */
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copy n bytes and add a NUL terminator. */
char *xmemdup0(const void *p, size_t n);

/* Number of successful xmalloc/xcalloc/xrealloc calls so far. */
uint64_t xalloc_count(void);

#endif

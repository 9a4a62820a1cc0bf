/*
 * sample_files.h: what several unit tests share to read the repository's
 * sample logs (tests/data). Header-only: each test is its own program.
 */
#ifndef SMTPCLASS_TEST_SAMPLE_FILES_H
#define SMTPCLASS_TEST_SAMPLE_FILES_H

#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

/* The whole file, NUL-terminated (owned, free()); its length in *len. */
static inline char *
slurp(const char *path, size_t *len)
{
    FILE *const f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(0, fseek(f, 0, SEEK_END));
    const long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *const buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq((size_t)n, fread(buf, 1, (size_t)n, f));
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Every sample log: the corpus logs and texts, and the logs in tests/data. */
static inline void
glob_sample_logs(glob_t *g)
{
    cr_assert_eq(0, glob(SC_SOURCE_DIR "/tests/data/corpus/*.log", 0, NULL, g));
    cr_assert_eq(0, glob(SC_SOURCE_DIR "/tests/data/corpus/*.txt", GLOB_APPEND,
                         NULL, g));
    cr_assert_eq(0,
                 glob(SC_SOURCE_DIR "/tests/data/*.log", GLOB_APPEND, NULL, g));
}

#endif

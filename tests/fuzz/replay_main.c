/*
 * replay_main.c: runs a fuzz harness without a fuzz engine, on every file
 * named on the command line (directories: every file in them, sorted, dot
 * files skipped), so the seed corpus and the regression inputs are plain
 * tests in every build, sanitizer builds included. Exit 0 when every input
 * ran (a harness that finds a violation aborts), 2 when an input could not
 * be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the harness on one file; returns 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
    FILE *const f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        (void)fclose(f);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *const nbuf = realloc(buf, cap * 2);
            if (nbuf == NULL) {
                free(buf);
                (void)fclose(f);
                return -1;
            }
            buf = nbuf;
            cap *= 2;
        }
        const size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    const int is_error = ferror(f);
    (void)fclose(f);
    if (is_error) {
        perror(path);
        free(buf);
        return -1;
    }
    /* An exact-size copy, so ASan sees any read past the input. */
    uint8_t *const data = malloc(len ? len : 1);
    if (data == NULL) {
        free(buf);
        return -1;
    }
    if (len > 0)
        memcpy(data, buf, len);
    free(buf);
    (void)LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file of dir, in name order; returns the number of errors. */
static int
run_dir(const char *dir, size_t *n_run)
{
    DIR *const d = opendir(dir);
    if (d == NULL) {
        perror(dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int n_errors = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **const nn = realloc(names, cap * sizeof(*names));
            if (nn == NULL) {
                n_errors++;
                break;
            }
            names = nn;
        }
        const size_t len = strlen(dir) + 1 + strlen(de->d_name) + 1;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            n_errors++;
            break;
        }
        (void)snprintf(names[n], len, "%s/%s", dir, de->d_name);
        n++;
    }
    (void)closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) != 0)
                n_errors++;
            else
                (*n_run)++;
        }
        free(names[i]);
    }
    free(names);
    return n_errors;
}

int
main(int argc, char **argv)
{
    size_t n_run = 0;
    int n_errors = 0;

    (void)LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            n_errors++;
        } else if (S_ISDIR(st.st_mode)) {
            n_errors += run_dir(argv[i], &n_run);
        } else if (run_file(argv[i]) != 0) {
            n_errors++;
        } else {
            n_run++;
        }
    }
    printf("replayed %zu inputs, %d unreadable\n", n_run, n_errors);
    return n_errors ? 2 : 0;
}

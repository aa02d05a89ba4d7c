/* Replays fuzz corpora without libFuzzer, so that every build (gcc, plain or sanitized) runs them in
 * ctest: calls LLVMFuzzerTestOneInput on every file of the directories (and files) given, in name
 * order. A crash, sanitizer report or abort fails the test; otherwise exits 0. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "cannot read '%s'\n", path);
        free(buf);
        return -1;
    }
    fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
    /* A private copy of exactly n bytes, so that ASan catches reads past the input. */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    size_t files = 0;
    int failed = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st)) {
            perror(argv[a]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= run_file(argv[a]) != 0;
            files++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[a], &names, NULL, NULL);
        if (n < 0) {
            perror(argv[a]);
            return 1;
        }
        char **paths = calloc((size_t)n + 1, sizeof *paths);
        size_t m = 0;
        for (int i = 0; i < n; i++) {
            if (names[i]->d_name[0] != '.') {
                size_t len = strlen(argv[a]) + strlen(names[i]->d_name) + 2;
                paths[m] = malloc(len);
                snprintf(paths[m], len, "%s/%s", argv[a], names[i]->d_name);
                if (stat(paths[m], &st) == 0 && S_ISREG(st.st_mode))
                    m++;
                else
                    free(paths[m]);
            }
            free(names[i]);
        }
        free(names);
        qsort(paths, m, sizeof *paths, by_name);
        for (size_t i = 0; i < m; i++) {
            failed |= run_file(paths[i]) != 0;
            free(paths[i]);
        }
        free(paths);
        files += m;
    }
    printf("replayed %zu inputs\n", files);
    return failed || files == 0;
}

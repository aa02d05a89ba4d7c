/* Shared by the integration tests: a tiny search configuration on a shipped data set, temporary
 * directories, and running the CLI with its output captured. */
#ifndef EVOTUNE_TEST_SUPPORT_H
#define EVOTUNE_TEST_SUPPORT_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A small but complete search on iris: every gene kind free, a few seconds at most; TINY_CONFIG adds a
 * generational GA of 4 generations of 8, without finalists (tests of finalists turn them on). */
#define TINY_SPACE                                                                                 \
    "data = { train = \"" EVOTUNE_SOURCE_DIR "/datasets/iris.csv\"; label = \"label\"; };\n"        \
    "search = { learning_rate = { min = 1e-3; max = 0.1; log = true; };\n"                          \
    "           epochs = { min = 2; max = 6; };\n"                                                  \
    "           batch_size = { choice = [8, 16, 32]; };\n"                                          \
    "           hidden_layers = { min = 0; max = 2; };\n"                                           \
    "           neurons = { min = 4; max = 32; log = true; };\n"                                    \
    "           activation = { choice = [\"relu\", \"tanh\", \"sigmoid\"]; };\n"                    \
    "           optimizer = { choice = [\"sgd\", \"momentum\", \"adam\"]; };\n"                     \
    "           weight_decay = { min = 1e-6; max = 1e-2; log = true; };\n"                          \
    "           dropout = { min = 0.0; max = 0.3; }; };\n"
#define TINY_CONFIG                                                                                \
    TINY_SPACE                                                                                     \
    "ga = { population = 8; generations = 4; tournament = 3; crossover = 0.9; mutation = 0.3; elitism = 2; };\n" \
    "run = { strategy = \"generational\"; seed = 7; threads = 1; };\n"                           \
    "finalists = { count = 0; };\n"

/* Creates a fresh directory under /tmp and returns its path (static storage per call site). */
static inline char *support_tempdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/evotune-test-XXXXXX");
    return mkdtemp(buf);
}

static inline void support_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        abort();
    }
    fputs(text, f);
    fclose(f);
}

/* Reads a whole file into a NUL-terminated heap string (empty string when missing). */
static inline char *support_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = calloc(1, 1);
    size_t n = 0;
    if (!f)
        return s;
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        s = realloc(s, n + k + 1);
        memcpy(s + n, chunk, k);
        n += k;
        s[n] = '\0';
    }
    fclose(f);
    return s;
}

/* Runs `EVOTUNE_BINARY args` through the shell with stdout/stderr sent to files in dir; returns the
 * exit code (or -1 when it did not exit normally). *out_text and *err_text, where not NULL, receive
 * stdout and stderr (free them). */
static inline int support_run(const char *dir, const char *args, char **out_text, char **err_text)
{
    char cmd[8192], out[600], err[600];
    snprintf(out, sizeof out, "%s/stdout.txt", dir);
    snprintf(err, sizeof err, "%s/stderr.txt", dir);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s </dev/null", EVOTUNE_BINARY, args, out, err);
    int st = system(cmd);
    if (out_text)
        *out_text = support_read(out);
    if (err_text)
        *err_text = support_read(err);
    unlink(out);
    unlink(err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* support_run with its arguments formatted printf-style; a formatted line longer than 4 KiB aborts. */
static inline int support_runf(const char *dir, char **out_text, char **err_text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int support_runf(const char *dir, char **out_text, char **err_text, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof args) {
        fprintf(stderr, "support_runf: arguments longer than %zu bytes: %.80s...\n", sizeof args, args);
        abort();
    }
    return support_run(dir, args, out_text, err_text);
}

static inline int support_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static inline void support_rmdir(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}
#endif

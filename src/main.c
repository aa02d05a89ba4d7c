/* The evotune command line: argument parsing, progress output and exit codes. The only file that
 * exits; everything it does is a call into the core library. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evotune/config.h"
#include "evotune/error.h"
#include "evotune/ga.h"
#include "evotune/h5.h"
#include "evotune/mem.h"

static const char usage_text[] =
    "usage: evotune run CONFIG [--set PATH=VALUE]... [--out FILE] [--threads N] [--seed S] [--quiet]\n"
    "       evotune config CONFIG [--set PATH=VALUE]...   print the effective configuration\n"
    "       evotune config --template | --reference       print the default config | the key reference\n"
    "       evotune --help | --version\n"
    "\n"
    "Evolves hyperparameters of multilayer perceptrons with a genetic algorithm and records every\n"
    "trained network in one HDF5 file (run.output, default results/<config name>.h5).\n"
    "\n"
    "options of run:\n"
    "  --set PATH=VALUE  override a configuration key, VALUE in libconfig syntax; repeatable, applied\n"
    "                    in order (--set ga.population=48 --set search.optimizer='\"adam\"')\n"
    "  --out FILE        results file (same as --set run.output=\"FILE\")\n"
    "  --threads N       training threads, 0 = all cores (same as --set run.threads=N)\n"
    "  --seed S          run seed (same as --set run.seed=S)\n"
    "  --quiet           no progress lines on stderr (errors and the final summary remain)\n"
    "\n"
    "exit codes:\n"
    "  0  success\n"
    "  1  runtime failure (cannot write the results file, out of resources)\n"
    "  2  bad usage, configuration or data\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "evotune: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'evotune --help')\n");
    return 2;
}

/* A libconfig string literal for s: quotes and backslashes escaped. */
static char *quote(const char *s)
{
    char *q = evo_mem_alloc(2 * strlen(s) + 3), *p = q;
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '"';
    *p = '\0';
    return q;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

struct run_args {
    const char *config;
    const char **sets;   /* every override, the option forms turned into --set form */
    char **owned;        /* the strings of sets that we allocated */
    size_t n_sets, n_owned;
    int quiet;
};

static void add_set(struct run_args *a, const char *set, int owned)
{
    a->sets = evo_mem_realloc(a->sets, (a->n_sets + 1) * sizeof *a->sets);
    a->sets[a->n_sets++] = set;
    if (owned) {
        a->owned = evo_mem_realloc(a->owned, (a->n_owned + 1) * sizeof *a->owned);
        a->owned[a->n_owned++] = (char *)set;
    }
}

static char *format_set(const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 2;
    char *s = evo_mem_alloc(n);
    snprintf(s, n, "%s=%s", key, value);
    return s;
}

static void release_args(struct run_args *a)
{
    for (size_t i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->sets);
}

/* Parses argv[first..argc) of `run` or `config`; returns 0 or an exit code. */
static int parse_run_args(int argc, char **argv, int first, int allow_run_options, struct run_args *a)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(arg, "--set")) {
            if (!has_value)
                return usage_error("option '%s' needs PATH=VALUE", arg);
            add_set(a, argv[++i], 0);
        } else if (!strncmp(arg, "--set=", 6)) {
            add_set(a, arg + 6, 0);
        } else if (allow_run_options && !strcmp(arg, "--out")) {
            if (!has_value)
                return usage_error("option '%s' needs a file name", arg);
            char *q = quote(argv[++i]);
            add_set(a, format_set("run.output", q), 1);
            free(q);
        } else if (allow_run_options && (!strcmp(arg, "--threads") || !strcmp(arg, "--seed"))) {
            long v;
            if (!has_value || parse_long(argv[i + 1], &v))
                return usage_error("option '%s' needs an integer", arg);
            add_set(a, format_set(!strcmp(arg, "--threads") ? "run.threads" : "run.seed", argv[++i]), 1);
        } else if (allow_run_options && !strcmp(arg, "--quiet")) {
            a->quiet = 1;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (!a->config) {
            a->config = arg;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    if (!a->config)
        return usage_error("%s", "missing CONFIG file");
    return 0;
}

struct progress {
    const char *output;
    int quiet;
    double t_start;
    struct evo_error *err;
};

static void format_duration(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* After each generation: publish the results file, then report. */
static int on_generation(const struct evo_ga *ga, void *user)
{
    struct progress *p = user;
    int rc = evo_h5_write(ga, p->output, p->err);
    if (rc || p->quiet || ga->finished)
        return rc;
    const struct evo_generation *g = &ga->gens[ga->n_gens - 1];
    double elapsed = omp_get_wtime() - p->t_start;
    double remaining = elapsed / (double)ga->n_gens * (double)(ga->cfg->generations - (long)ga->n_gens);
    char eta[32];
    format_duration(eta, sizeof eta, remaining);
    fprintf(stderr, "generation %d/%ld  best %.4f  mean %.4f  %d evaluations in %.1f s (%.2f/s)  "
            "%d failed  ETA %s\n", g->generation + 1, ga->cfg->generations, g->best_fitness,
            g->mean_fitness, g->evaluations, g->wall_seconds, g->evaluations / fmax(g->wall_seconds, 1e-9),
            g->failures, eta);
    return EVO_OK;
}

static void print_summary(const struct evo_ga *ga, const char *output, double seconds)
{
    char eta[32], v[64];
    format_duration(eta, sizeof eta, seconds);
    printf("best individual %lld (generation %d): validation accuracy %.4f, test accuracy %.4f\n",
           (long long)ga->best.id, ga->best.generation, ga->best.val_accuracy, ga->test_accuracy);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        evo_genome_format(v, sizeof v, g, ga->best.genome.g[g]);
        printf("  %-14s %s\n", evo_genome_gene(g)->name, v);
    }
    printf("%zu networks trained in %s on %d threads; results in %s\n", ga->n_rows, eta, ga->threads,
           output);
}

static int cmd_run(int argc, char **argv)
{
    struct run_args a = {0};
    int code = parse_run_args(argc, argv, 2, 1, &a);
    if (code) {
        release_args(&a);
        return code;
    }
    struct evo_error err = {0};
    struct evo_config cfg;
    int rc = evo_config_load(&cfg, a.config, a.sets, a.n_sets, &err);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        release_args(&a);
        return evo_error_exit_code(rc);
    }
    struct evo_ga ga;
    double t0 = omp_get_wtime();
    rc = evo_ga_init(&ga, &cfg, &err);
    if (!rc) {
        if (!a.quiet)
            fprintf(stderr,
                    "evotune: %s: %zu train, %zu validation, %zu test rows, %zu features, %d classes; "
                    "%ld individuals x %ld generations on %d threads -> %s\n",
                    cfg.train, ga.train.n, ga.validation.n, ga.test.n, ga.train.d, ga.train.n_classes,
                    cfg.population, cfg.generations, ga.threads, cfg.output);
        struct progress p = {cfg.output, a.quiet, t0, &err};
        rc = evo_ga_run(&ga, on_generation, &p, &err);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    else
        print_summary(&ga, cfg.output, omp_get_wtime() - t0);
    evo_ga_release(&ga); /* safe after a failed init, which leaves ga zeroed */
    evo_config_release(&cfg);
    release_args(&a);
    return evo_error_exit_code(rc);
}

static int cmd_config(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[2], "--template")) {
        evo_config_write_template(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[2], "--reference")) {
        evo_config_write_reference(stdout);
        return 0;
    }
    struct run_args a = {0};
    int code = parse_run_args(argc, argv, 2, 0, &a);
    if (!code) {
        struct evo_error err = {0};
        struct evo_config cfg;
        int rc = evo_config_load(&cfg, a.config, a.sets, a.n_sets, &err);
        if (rc) {
            fprintf(stderr, "evotune: %s\n", err.msg);
        } else {
            fputs(cfg.text, stdout);
            evo_config_release(&cfg);
        }
        code = evo_error_exit_code(rc);
    }
    release_args(&a);
    return code;
}

int main(int argc, char **argv)
{
    evo_h5_init();
    if (argc < 2)
        return usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("evotune %s\n", EVOTUNE_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv);
    if (!strcmp(cmd, "config"))
        return cmd_config(argc, argv);
    return usage_error("unknown command '%s'", cmd);
}

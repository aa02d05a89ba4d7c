/* The evotune command line: argument parsing, progress output and exit codes. The only file that
 * exits; everything it does is a call into the core library. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "evotune/config.h"
#include "evotune/error.h"
#include "evotune/fault.h"
#include "evotune/file.h"
#include "evotune/search.h"
#include "evotune/h5.h"
#include "evotune/journal.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "evotune/apply.h"
#include "evotune/progress.h"
#include "evotune/promote.h"
#include "evotune/report.h"
#include "evotune/results.h"

static const char usage_text[] =
    "usage: evotune run CONFIG [--set PATH=VALUE]... [--out FILE] [--threads N] [--seed S] [--strategy NAME]\n"
    "                   [--max-trials N] [--max-epochs N] [--time-limit T] [--quiet|--verbose]\n"
    "       evotune resume FILE [--max-trials N | --generations N] [--max-epochs N] [--time-limit T] [--threads N]\n"
    "                   [--quiet|--verbose]\n"
    "       evotune info FILE                               state of a results file\n"
    "       evotune export FILE (--csv DIR | --jsonl OUT | --split NAME --out OUT.csv)\n"
    "       evotune predict FILE DATA [--labels IDX_LABELS] [--out predictions.csv]\n"
    "       evotune report FILE [-o report.html]\n"
    "       evotune config CONFIG [--set PATH=VALUE]...   print the effective configuration\n"
    "       evotune config --template | --reference       print the default config | the key reference\n"
    "       evotune --help | --version\n"
    "\n"
    "Searches hyperparameters of multilayer perceptrons (steady-state evolution, a generational GA,\n"
    "TPE or random search) and records every trained network in one HDF5 file (run.output, default\n"
    "results/<config name>.h5). Results are the same for any thread count.\n"
    "\n"
    "options of run:\n"
    "  --set PATH=VALUE  override a configuration key, VALUE in libconfig syntax; repeatable, applied\n"
    "                    in order (--set ga.population=48 --set search.optimizer='\"adam\"')\n"
    "  --out FILE        results file (same as --set run.output=\"FILE\")\n"
    "  --threads N       training threads, 0 = all cores (same as --set run.threads=N)\n"
    "  --seed S          run seed (same as --set run.seed=S)\n"
    "  --strategy NAME   steady_state, generational, tpe or random (same as --set run.strategy=\"NAME\")\n"
    "  --max-trials N    networks to train, all but generational (same as --set run.max_trials=N)\n"
    "  --max-epochs N    a budget of training epochs, all but generational (--set run.max_epochs=N)\n"
    "  --time-limit T    no new network after T of running: 8h, 90m, 45s (--set run.time_limit=\"T\")\n"
    "  --quiet           no progress on stderr (errors and the final summary remain)\n"
    "  --verbose         also a line per trained network (its genes, fitness and time)\n"
    "Progress goes to stderr: on a terminal a live bar (networks done, best, evaluations/s, ETA), and a\n"
    "line per new best (per generation for generational), which is all a redirected log gets.\n"
    "\n"
    "resume continues a stopped, killed or finished run from what FILE holds (configuration,\n"
    "every finished network) and ends with the same results as an uninterrupted run:\n"
    "  --max-trials N    new budget of networks (all but generational), e.g. to extend a finished run\n"
    "  --max-epochs N    new budget of training epochs (all but generational)\n"
    "  --generations N   new budget of generations (generational)\n"
    "  --time-limit T    new wall-clock limit, counted over every resume (8h, 90m, 45s)\n"
    "  --threads N       training threads, 0 = all cores\n"
    "\n"
    "export writes the tables of a results file for tools that read neither HDF5 nor the file's enums:\n"
    "  --csv DIR         DIR/individuals.csv and DIR/generations.csv (header row, choices as names),\n"
    "                    and DIR/folds.csv for a cross-validated run\n"
    "  --jsonl OUT       one JSON object per individual (OUT '-' for stdout)\n"
    "  --split NAME      the train, validation or test split the run used, unstandardised, as CSV\n"
    "\n"
    "predict applies the best model of FILE, with the standardisation recorded at training time, to\n"
    "DATA (CSV, or IDX images with --labels); writes the predicted class and the class probabilities\n"
    "as CSV (stdout unless --out), or for a regression model the predicted value; when DATA has\n"
    "labels, prints accuracy, log-loss and the confusion matrix (regression: RMSE, MAE and R2).\n"
    "\n"
    "report writes one self-contained HTML page (inline SVG plots, no network) about FILE, finished\n"
    "or still running: fitness over trials and time, each gene against fitness, the top networks, the\n"
    "best's ancestry and its test metrics; default output FILE with .h5 replaced by .html.\n"
    "\n"
    "The results file is saved as networks finish, always whole.\n"
    "SIGINT (Ctrl-C) or SIGTERM: stop handing out networks, abandon those in training, save, exit\n"
    "(130 or 143); a second signal exits at once, leaving the last saved file.\n"
    "\n"
    "exit codes:\n"
    "  0    success\n"
    "  1    runtime failure (cannot write the results file, out of resources); the previous file is intact\n"
    "  2    bad usage, configuration or data; not an evotune file, incompatible format or changed data\n"
    "  130  stopped by SIGINT, 143 stopped by SIGTERM (saved; continue with 'evotune resume FILE')\n";

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
    int quiet, verbose;
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
        } else if (allow_run_options && (!strcmp(arg, "--max-trials") || !strcmp(arg, "--max-epochs"))) {
            long v;
            if (!has_value || parse_long(argv[i + 1], &v))
                return usage_error("option '%s' needs an integer", arg);
            add_set(a, format_set(!strcmp(arg, "--max-trials") ? "run.max_trials" : "run.max_epochs", argv[++i]), 1);
        } else if (allow_run_options && (!strcmp(arg, "--strategy") || !strcmp(arg, "--time-limit"))) {
            if (!has_value)
                return usage_error("option '%s' needs a value", arg);
            char *q = quote(argv[++i]);
            add_set(a, format_set(!strcmp(arg, "--strategy") ? "run.strategy" : "run.time_limit", q), 1);
            free(q);
        } else if (allow_run_options && !strcmp(arg, "--quiet")) {
            a->quiet = 1;
        } else if (allow_run_options && !strcmp(arg, "--verbose")) {
            a->verbose = 1;
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

/* Signals: the first sets stop_signal, which the search polls; a second exits at once. The file at
 * `output` is whole at every moment (file layer), so only its temporary file, named in temp_path
 * before any thread starts, can be left over; the signal and out-of-memory handlers remove it. */
static volatile sig_atomic_t stop_signal;
static char temp_path[PATH_MAX + 64];

/* Out of memory (mem.h), on any thread: one line, the temporary file removed, exit code 1. Inside the
 * parallel region other threads still run, so the process ends with _exit: exit's handlers (stdio,
 * OpenMP's runtime, LSan's leak check) must not run under their feet. On the main thread alone, exit
 * flushes stdout and lets LSan check that nothing leaked. Later callers on other threads wait for the
 * first one to end the process. */
static void on_out_of_memory(size_t size)
{
    static atomic_flag entered = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&entered))
        for (;;)
            pause();
    if (temp_path[0])
        unlink(temp_path);
    char msg[96];
    int n = snprintf(msg, sizeof msg, "evotune: out of memory allocating %zu bytes\n", size);
    if (write(STDERR_FILENO, msg, (size_t)n) < 0) {
        /* stderr is gone: the exit code still tells */
    }
    if (omp_in_parallel()) {
        fflush(stdout);
        _exit(1);
    }
    exit(1);
}

static void on_signal(int sig)
{
    if (stop_signal) {
        static const char msg[] = "evotune: second signal, exiting at once; the results file keeps its last saved state\n";
        if (temp_path[0])
            unlink(temp_path);
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* nothing more can be done in a signal handler */
        }
        _exit(128 + sig);
    }
    stop_signal = sig;
}

static void install_signals(const char *output)
{
    evo_file_temp_name(temp_path, sizeof temp_path, output);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

struct progress {
    const char *output;
    int quiet;
    struct evo_progress report;
    struct evo_journal journal;   /* how the results reach `output`: snapshots and a journal */
    struct evo_error *err;
};

/* Ends the process now, from inside the search: the results file is complete, and waiting for the
 * networks still in training could take minutes. */
static void exit_now(int code)
{
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

/* Publishes the results file at every event; reports progress, stops, and write failures. */
static int on_event(const struct evo_search *sr, int event, void *user)
{
    struct progress *p = user;
    int rc = evo_journal_save(&p->journal, &sr->log, event != EVO_SEARCH_PROGRESS, p->err);
    if (rc) {
        evo_progress_clear(&p->report);
        if (access(p->output, F_OK) == 0)
            fprintf(stderr, "evotune: %s; '%s' keeps its last complete state: once the cause is fixed, "
                    "continue with: evotune resume %s\n", p->err->msg, p->output, p->output);
        else
            fprintf(stderr, "evotune: %s\n", p->err->msg);
        exit_now(1);
    }
    if (event == EVO_SEARCH_STOPPED) {
        evo_progress_clear(&p->report);
        fprintf(stderr, "evotune: stopped by %s; %zu of %ld networks saved in '%s'\n"
                "evotune: continue with: evotune resume %s\n",
                stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", sr->log.n_rows, evo_search_budget(sr), p->output,
                p->output);
        exit_now(128 + (stop_signal == SIGTERM ? SIGTERM : SIGINT));
    }
    if (!p->quiet)
        evo_progress_event(&p->report, sr, event);
    return EVO_OK;
}

/* j: the journal that saved the run (its snapshots are counted), or NULL when nothing ran. */
static void print_summary(const struct evo_search *sr, const struct evo_journal *j, const char *output,
                          double seconds)
{
    const struct evo_runlog *log = &sr->log;
    char eta[32], v[64];
    evo_progress_duration(eta, sizeof eta, seconds);
    if (log->time_up) {
        char limit[32], ran[32];
        evo_progress_duration(limit, sizeof limit, sr->cfg->time_limit);
        evo_progress_duration(ran, sizeof ran, log->elapsed);
        printf("run.time_limit %s reached: no network started after it (running time %s, the networks in "
               "flight finished or abandoned)\n", limit, ran);
    }
    if (!log->has_best && !log->n_rows) {
        printf("no network finished before the time limit; results in %s\n", output);
        return;
    }
    if (!log->has_best) {
        printf("no network trained successfully: all %zu failed (diverged or too_large); results in %s\n",
               log->n_rows, output);
        return;
    }
    const struct evo_metrics *t = &log->test_metrics;
    if (sr->problem.train.target)
        printf("best network %lld (generation %d): validation RMSE %.4g, R2 %.4f; test RMSE %.4g, "
               "MAE %.4g, R2 %.4f\n", (long long)log->best.id, log->best.generation, log->best.val_rmse,
               log->best.val_r2, t->rmse, t->mae, t->r2);
    else
        printf("best network %lld (generation %d): validation accuracy %.4f, test accuracy %.4f\n",
               (long long)log->best.id, log->best.generation, log->best.val_accuracy, t->accuracy);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        if (!evo_genome_active(&log->best.genome, g))
            continue; /* a layer the network does not have */
        evo_genome_format(v, sizeof v, g, log->best.genome.g[g]);
        printf("  %-20s %s\n", evo_genome_gene(g)->name, v);
    }
    printf("%zu networks trained (%s) in %s on %d threads (the search itself: %.1f s, %.1f %% of the "
           "threads' time busy", log->n_rows, evo_config_strategy_name(sr->cfg->strategy), eta, sr->threads,
           sr->run_seconds, sr->run_seconds > 0 ? 100.0 * sr->busy_seconds / (sr->threads * sr->run_seconds) : 0.0);
    if (j)
        printf("; %ld snapshots of the file, the last %.2f s, and %ld journal appends", j->snapshots,
               j->snapshot_cost, j->appends);
    printf("); results in %s\n", output);
}

/* Runs or continues the search sr, publishing `output` at every event; prints the summary. */
static int search(struct evo_search *sr, const char *output, int quiet, int verbose, double t0,
                  struct evo_error *err)
{
    struct progress p = {output, quiet, {0}, {0}, err};
    evo_journal_init(&p.journal, output);
    evo_progress_init(&p.report, stderr, verbose, sr);
    sr->stop = &stop_signal;
    if (evo_fault_active())
        sr->save_interval_min = 0; /* every write is reached, whatever the machine's speed */
    evo_file_remove_stale_temps(output);
    int rc = evo_search_run(sr, on_event, &p, err);
    evo_progress_release(&p.report);
    if (!rc)
        print_summary(sr, &p.journal, output, omp_get_wtime() - t0);
    evo_journal_release(&p.journal);
    return rc;
}

/* "240 networks", "10 generations of 24", with the time limit when one is set. */
static void describe_budget(char *buf, size_t n, const struct evo_search *sr)
{
    const struct evo_config *cfg = sr->cfg;
    if (cfg->strategy == EVO_STRATEGY_GENERATIONAL)
        snprintf(buf, n, "%ld generations of %ld", cfg->generations, cfg->population);
    else
        snprintf(buf, n, "%lld networks", (long long)cfg->max_trials);
    if (cfg->strategy != EVO_STRATEGY_GENERATIONAL && cfg->max_epochs > 0)
        snprintf(buf + strlen(buf), n - strlen(buf), " or %lld epochs", (long long)cfg->max_epochs);
    if (cfg->time_limit > 0)
        snprintf(buf + strlen(buf), n - strlen(buf), " or %s", cfg->time_limit_text);
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
    struct evo_search sr;
    double t0 = omp_get_wtime();
    install_signals(cfg.output);
    rc = evo_search_init(&sr, &cfg, &err);
    if (!rc) {
        char budget[96];
        describe_budget(budget, sizeof budget, &sr);
        if (!a.quiet)
            fprintf(stderr,
                    "evotune: %s: %zu train, %zu validation, %zu test rows, %zu features, %d classes; "
                    "%s, %s, %d virtual workers, on %d threads -> %s\n",
                    cfg.train, sr.problem.train.n, sr.problem.validation.n, sr.problem.n_test, sr.problem.train.d,
                    sr.problem.train.n_classes, evo_config_strategy_name(cfg.strategy), budget, sr.workers,
                    sr.threads, cfg.output);
        if (!a.quiet && cfg.strategy != EVO_STRATEGY_GENERATIONAL && sr.workers < 2 * sr.threads)
            fprintf(stderr, "evotune: note: run.workers = %d is too few to keep %d threads busy; about 3 x threads "
                    "(--set run.workers=%d) would (results depend on run.workers, never on run.threads)\n",
                    sr.workers, sr.threads, 3 * sr.threads);
        rc = search(&sr, cfg.output, a.quiet, a.verbose, t0, &err);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    evo_search_release(&sr); /* safe after a failed init, which leaves sr zeroed */
    evo_config_release(&cfg);
    release_args(&a);
    return evo_error_exit_code(rc);
}

/* evotune resume FILE [--max-trials N | --generations N] [--max-epochs N] [--time-limit T] [--threads N] [--quiet]
 * [--verbose] */
static int cmd_resume(int argc, char **argv)
{
    const char *path = NULL, *time_limit = NULL;
    long generations = -1, threads = -1, max_trials = -1, max_epochs = -1;
    int quiet = 0, verbose = 0;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--generations") || !strcmp(arg, "--threads") || !strcmp(arg, "--max-trials") ||
            !strcmp(arg, "--max-epochs")) {
            long v;
            if (i + 1 >= argc || parse_long(argv[i + 1], &v) || v < 0)
                return usage_error("option '%s' needs a non-negative integer", arg);
            *(!strcmp(arg, "--threads")       ? &threads
              : !strcmp(arg, "--generations") ? &generations
              : !strcmp(arg, "--max-epochs")  ? &max_epochs
                                              : &max_trials) = v;
            i++;
        } else if (!strcmp(arg, "--time-limit")) {
            double secs;
            if (i + 1 >= argc || evo_config_parse_duration(argv[i + 1], &secs))
                return usage_error("option '%s' needs a duration such as 8h, 90m or 45s", arg);
            time_limit = argv[++i];
        } else if (!strcmp(arg, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(arg, "--verbose")) {
            verbose = 1;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (!path) {
            path = arg;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    if (!path)
        return usage_error("%s", "missing results FILE");
    struct evo_error err = {0};
    struct evo_h5_summary s;
    int rc = evo_h5_summary_read(&s, path, &err);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return 2;
    }
    if (s.writer_alive) {
        fprintf(stderr, "evotune: '%s' is being written by process %lld; stop it before resuming\n", path,
                (long long)s.writer_pid);
        evo_h5_summary_release(&s);
        return 2;
    }
    /* a budget of the other kind: said in the options' own terms, not as the keys they stand for */
    int is_generational = !strcmp(s.strategy, "generational");
    if ((generations >= 0 && !is_generational) || ((max_trials >= 0 || max_epochs >= 0) && is_generational)) {
        fprintf(stderr, "evotune: %s: '%s' is a %s run, whose budget is %s\n",
                generations >= 0 ? "--generations" : max_trials >= 0 ? "--max-trials" : "--max-epochs", path, s.strategy,
                is_generational ? "--generations N" : "--max-trials N");
        evo_h5_summary_release(&s);
        return 2;
    }
    if (generations >= 0 && generations < s.generations_done) {
        fprintf(stderr, "evotune: --generations %ld: '%s' already holds %lld generations\n", generations, path,
                (long long)s.generations_done);
        evo_h5_summary_release(&s);
        return 2;
    }
    if (max_trials >= 0 && max_trials < s.n_search) {
        fprintf(stderr, "evotune: --max-trials %ld: '%s' already holds %lld networks\n", max_trials, path,
                (long long)s.n_search);
        evo_h5_summary_release(&s);
        return 2;
    }
    char set_g[64], set_t[64], set_m[64], set_e[64], *set_l = NULL;
    const char *sets[5];
    size_t n_sets = 0;
    if (generations >= 0) {
        snprintf(set_g, sizeof set_g, "ga.generations=%ld", generations);
        sets[n_sets++] = set_g;
    }
    if (max_trials >= 0) {
        snprintf(set_m, sizeof set_m, "run.max_trials=%ld", max_trials);
        sets[n_sets++] = set_m;
    }
    if (max_epochs >= 0) {
        snprintf(set_e, sizeof set_e, "run.max_epochs=%ld", max_epochs);
        sets[n_sets++] = set_e;
    }
    if (threads >= 0) {
        snprintf(set_t, sizeof set_t, "run.threads=%ld", threads);
        sets[n_sets++] = set_t;
    }
    if (time_limit) {
        char *q = quote(time_limit);
        set_l = format_set("run.time_limit", q);
        free(q);
        sets[n_sets++] = set_l;
    }
    struct evo_config cfg;
    rc = evo_config_load_string(&cfg, s.config, path, sets, n_sets, &err);
    evo_h5_summary_release(&s);
    free(set_l);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return evo_error_exit_code(rc);
    }
    struct evo_search sr;
    double t0 = omp_get_wtime();
    install_signals(path);
    rc = evo_search_init(&sr, &cfg, &err);
    size_t journaled = 0;
    if (!rc)
        rc = evo_h5_load(&sr.log, path, &err);
    if (!rc) /* what finished after the file's last snapshot */
        rc = evo_journal_recover(&sr.log, path, &journaled, &err);
    /* a finished run goes on when its new budget leaves room: more networks, or more time */
    int64_t last_epochs;
    int room = !rc && evo_search_done(&sr) < evo_search_budget(&sr) &&
               (cfg.time_limit <= 0 || sr.log.elapsed < cfg.time_limit) &&
               (cfg.max_epochs <= 0 || evo_search_epochs(&sr, &last_epochs) < cfg.max_epochs);
    if (!rc && sr.log.finished && !room) {
        printf("'%s' is already finished (%zu networks); extend it with --max-trials N, --generations N, "
               "--max-epochs N or --time-limit T\n", path, sr.log.n_rows);
        print_summary(&sr, NULL, path, 0.0);
    } else if (!rc) {
        if (sr.log.finished)
            evo_runlog_unfinish(&sr.log);
        char budget[96];
        describe_budget(budget, sizeof budget, &sr);
        if (!quiet)
            fprintf(stderr, "evotune: resuming '%s' (%s): %zu networks saved (%zu of them from its journal), "
                    "%zu were in flight; budget %s; %d threads\n", path, evo_config_strategy_name(cfg.strategy),
                    sr.log.n_rows, journaled, sr.log.n_in_flight, budget, sr.threads);
        rc = search(&sr, path, quiet, verbose, t0, &err);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    evo_search_release(&sr);
    evo_config_release(&cfg);
    return evo_error_exit_code(rc);
}

/* info's lines on how the best was chosen: cross-validation's folds and the best network's final
 * training; the finalists' winner: its validation score in the search, its mean and spread over the
 * finalist runs, the run kept as /best (whose test score the best line gives). */
static void print_evaluation(const char *path, const char *fitness, long folds)
{
    struct evo_results r;
    struct evo_error err = {0};
    if (evo_results_open(&r, path, &err) != EVO_OK)
        return;
    if (folds)
        printf("folds:        %ld, of the %lld rows that are not test rows; fitness the mean over a trial's folds%s",
               folds, (long long)r.n_train, r.final_epochs ? "" : "\n");
    if (folds && r.final_epochs)
        printf("; best network trained on all %lld for %lld epochs\n", (long long)r.final_rows,
               (long long)r.final_epochs);
    struct evo_finalist *fs;
    size_t n = evo_results_finalists(&r, &fs);
    if (n) {
        int runs = 0;
        for (size_t i = 0; i < n; i++)
            runs += fs[i].runs;
        printf("finalists:    %zu genomes, %d runs; winner: network %lld, %s %.4f in the search, %.4f +- %.4f "
               "over its %d runs", n, runs, (long long)fs[0].id, fitness, fs[0].fitness, fs[0].mean, fs[0].spread,
               fs[0].runs);
        if (fs[0].chosen >= 0)
            printf("; best is its run %lld, the closest to that mean", (long long)fs[0].chosen);
        if (r.has_best && !r.regression && isfinite(r.test_accuracy)) /* the three side by side */
            printf("; test accuracy %.4f", r.test_accuracy);
        else if (r.has_best && r.regression && isfinite(r.test_rmse))
            printf("; test RMSE %.4g", r.test_rmse);
        printf("\n");
    }
    free(fs);
    evo_results_release(&r);
}

/* evotune info FILE */
static int cmd_info(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] == '-')
        return usage_error("%s", argc < 3 ? "missing results FILE" : "usage: evotune info FILE");
    const char *path = argv[2];
    struct evo_error err = {0};
    struct evo_h5_summary s;
    if (evo_h5_summary_read(&s, path, &err)) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return 2;
    }
    const char *state = s.state;
    char why[96] = "";
    if (!strcmp(s.state, "running") && !s.writer_alive) {
        state = "interrupted";
        snprintf(why, sizeof why, " (its writer, process %lld, is gone)", (long long)s.writer_pid);
    } else if (!strcmp(s.state, "running")) {
        snprintf(why, sizeof why, " (process %lld)", (long long)s.writer_pid);
    }
    printf("file:         %s (evotune results, format %lld, written %s)\n", path, (long long)s.format_version,
           s.written_at);
    printf("state:        %s%s\n", state, why);
    printf("strategy:     %s, %lld virtual workers: %s\n", s.strategy, (long long)s.workers, s.strategy_state);
    printf("networks:     %lld finished, %lld in flight\n", (long long)s.n_individuals, (long long)s.n_in_flight);
    struct evo_config cfg; /* the stored configuration's promotion and epoch budget */
    struct evo_error cerr = {0};
    int max_epochs = 0;
    long finalists = 0, folds = 0;
    if (evo_config_load_string(&cfg, s.config, path, NULL, 0, &cerr) == EVO_OK) {
        finalists = cfg.finalists;
        folds = cfg.folds;
        if (cfg.promotion) {
            int rungs[EVO_PROMOTE_MAX_RUNGS], n = evo_promote_rungs(&cfg, rungs);
            printf("promotion:    eta %ld, rungs of", cfg.eta);
            for (int k = 0; k < n; k++)
                printf("%s%d", k ? "/" : " ", rungs[k]);
            printf(" epochs\n");
        }
        if (cfg.strategy != EVO_STRATEGY_GENERATIONAL && cfg.max_epochs > 0)
            printf("epoch budget: %lld\n", (long long)cfg.max_epochs);
        max_epochs = cfg.strategy != EVO_STRATEGY_GENERATIONAL && cfg.max_epochs > 0;
        evo_config_release(&cfg);
    }
    if (s.generations_done)
        printf("generations:  %lld done\n", (long long)s.generations_done);
    char spent[32], limit[32];
    evo_progress_duration(spent, sizeof spent, s.elapsed);
    evo_progress_duration(limit, sizeof limit, s.time_limit);
    printf("running time: %s%s%s\n", spent, s.time_limit > 0 ? " of the limit " : "", s.time_limit > 0 ? limit : "");
    if (s.has_best) {
        printf("best:         id %lld (generation %lld), fitness (%s) %.4f", (long long)s.best_id,
               (long long)s.best_generation, s.fitness, s.best_fitness);
        if (!strcmp(s.task, "regression") && !isnan(s.test.rmse))
            printf("; test RMSE %.4g, MAE %.4g, R2 %.4f", s.test.rmse, s.test.mae, s.test.r2);
        else if (!isnan(s.test.accuracy))
            printf("; test accuracy %.4f", s.test.accuracy);
        printf("\n");
    }
    if (finalists > 0 || folds > 0)
        print_evaluation(path, s.fitness, folds);
    if (strcmp(state, "finished"))
        printf("resume with:  evotune resume %s\n", path);
    else
        printf("extend with:  evotune resume %s %s%s%s\n", path,
               !strcmp(s.strategy, "generational") ? "--generations N" : "--max-trials N",
               max_epochs ? " or --max-epochs N" : "", s.time_limit > 0 ? " or --time-limit T" : "");
    evo_h5_summary_release(&s);
    return 0;
}

/* `--name VALUE` options of a command, and where their values go. */
struct option {
    const char *name, *alias;
    const char **value;
};

/* Parses argv[2..] into the options and up to n_pos positional arguments (pos[k] stays NULL when
 * absent); returns 0 or the usage exit code. */
static int parse_options(int argc, char **argv, const struct option *opts, size_t n_opts,
                         const char **pos, size_t n_pos)
{
    size_t k = 0;
    for (int i = 2; i < argc; i++) {
        const struct option *o = NULL;
        for (size_t j = 0; j < n_opts && !o; j++)
            if (!strcmp(argv[i], opts[j].name) || (opts[j].alias && !strcmp(argv[i], opts[j].alias)))
                o = &opts[j];
        if (o && i + 1 < argc)
            *o->value = argv[++i];
        else if (o)
            return usage_error("option '%s' needs a value", argv[i]);
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("unknown option '%s'", argv[i]);
        else if (k < n_pos)
            pos[k++] = argv[i];
        else
            return usage_error("unexpected argument '%s'", argv[i]);
    }
    return 0;
}

/* The status of an export writer (0 or -1 with errno), as the file layer wants it. */
static int written(int rc, struct evo_error *err)
{
    return rc ? evo_error_set(err, EVO_EIO, "cannot write the export: %s", strerror(errno ? errno : EIO)) : EVO_OK;
}

static int write_csv_table(void *t, FILE *f, struct evo_error *err) { return written(evo_results_write_csv(t, f), err); }
static int write_jsonl_table(void *t, FILE *f, struct evo_error *err) { return written(evo_results_write_jsonl(t, f), err); }
static int write_dataset(void *ds, FILE *f, struct evo_error *err) { return written(evo_data_write_csv(ds, f), err); }

/* Writes an export through the file layer, so that it is never left half-written; "-" is stdout. */
static int write_file(const char *path, evo_file_writer fn, const void *what)
{
    struct evo_error err = {0};
    int rc;
    if (strcmp(path, "-"))
        rc = evo_file_save(path, fn, (void *)what, &err);
    else if (!(rc = fn((void *)what, stdout, &err)))
        rc = written(fflush(stdout), &err);
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    return rc;
}

/* The raw split `name` of the run in `path`, made again from its configuration and data files. */
static int export_split(const char *path, const char *name, const char *out)
{
    struct evo_error err = {0};
    struct evo_results r;
    if (strcmp(name, "train") && strcmp(name, "validation") && strcmp(name, "test"))
        return usage_error("--split '%s': expected train, validation or test", name);
    if (evo_results_open(&r, path, &err)) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return 2;
    }
    const char *raw = "data.standardize = false";
    struct evo_config cfg;
    struct evo_problem pb;
    int rc = evo_config_load_string(&cfg, r.config, path, &raw, 1, &err);
    if (!rc) {
        rc = evo_problem_load(&pb, &cfg, &err);
        if (!rc && pb.n_folds && !strcmp(name, "validation")) {
            rc = evo_error_set(&err, EVO_EUSAGE, "'%s' is cross-validated (data.folds = %zu): it has no "
                               "validation split; its folds share the rows of --split train", path, pb.n_folds);
            evo_problem_release(&pb);
        } else if (!rc) {
            const struct evo_dataset *ds = !strcmp(name, "train") ? &pb.train
                                           : !strcmp(name, "validation") ? &pb.validation : evo_problem_test(&pb);
            rc = write_file(out, write_dataset, ds) ? EVO_EIO : EVO_OK;
            evo_problem_release(&pb);
        }
        evo_config_release(&cfg);
    }
    if (rc && rc != EVO_EIO)
        fprintf(stderr, "evotune: %s\n", err.msg);
    evo_results_release(&r);
    return evo_error_exit_code(rc);
}

static int cmd_export(int argc, char **argv)
{
    const char *path = NULL, *csv = NULL, *jsonl = NULL, *split = NULL, *out = NULL;
    const struct option opts[] = {{"--csv", NULL, &csv}, {"--jsonl", NULL, &jsonl}, {"--split", NULL, &split},
                                  {"--out", "-o", &out}};
    int code = parse_options(argc, argv, opts, 4, &path, 1);
    if (code)
        return code;
    if (!path)
        return usage_error("%s", "missing results FILE");
    if (!!csv + !!jsonl + !!split != 1)
        return usage_error("%s", "export needs exactly one of --csv DIR, --jsonl OUT, --split NAME");
    if (split && !out)
        return usage_error("%s", "--split needs --out OUT.csv");
    if (split)
        return export_split(path, split, out);
    struct evo_error err = {0};
    struct evo_results r;
    if (evo_results_open(&r, path, &err)) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return 2;
    }
    int rc = 0;
    if (jsonl) {
        rc = write_file(jsonl, write_jsonl_table, &r.individuals);
    } else {
        size_t n = strlen(csv) + 32;
        char *p = evo_mem_alloc(n);
        if (mkdir(csv, 0777) && errno != EEXIST) {
            fprintf(stderr, "evotune: cannot create '%s': %s\n", csv, strerror(errno));
            rc = -1;
        }
        snprintf(p, n, "%s/individuals.csv", csv);
        rc = rc ? rc : write_file(p, write_csv_table, &r.individuals);
        snprintf(p, n, "%s/generations.csv", csv);
        rc = rc ? rc : write_file(p, write_csv_table, &r.generations);
        if (r.folds.n_cols) { /* cross-validated runs */
            snprintf(p, n, "%s/folds.csv", csv);
            rc = rc ? rc : write_file(p, write_csv_table, &r.folds);
        }
        free(p);
    }
    evo_results_release(&r);
    return rc ? 1 : 0;
}

static void print_metrics(FILE *f, const struct evo_apply_summary *s, const char *data)
{
    if (s->regression) {
        fprintf(f, "%s: %zu rows, RMSE %.6g, MAE %.6g, R2 %.4f\n", data, s->n, s->rmse, s->mae, s->r2);
        return;
    }
    fprintf(f, "%s: %zu rows, accuracy %.4f, log-loss %.4f\n", data, s->n, s->accuracy, s->log_loss);
    fprintf(f, "confusion matrix (rows: true class, columns: predicted)\n%12s", "");
    for (int c = 0; c < s->n_classes; c++)
        fprintf(f, " %8.8s", s->class_names[c]);
    fputc('\n', f);
    for (int a = 0; a < s->n_classes; a++) {
        fprintf(f, "%12.12s", s->class_names[a]);
        for (int c = 0; c < s->n_classes; c++)
            fprintf(f, " %8lld", (long long)s->confusion[a * s->n_classes + c]);
        fputc('\n', f);
    }
}

struct predict_args {
    const char *model, *data, *labels;
    struct evo_apply_summary *s;
};

static int write_predictions(void *ctx, FILE *f, struct evo_error *err)
{
    const struct predict_args *p = ctx;
    return evo_apply_file(p->model, p->data, p->labels, f, p->s, err);
}

static int cmd_predict(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *labels = NULL, *out = NULL;
    const struct option opts[] = {{"--labels", NULL, &labels}, {"--out", "-o", &out}};
    int code = parse_options(argc, argv, opts, 2, pos, 2);
    if (code)
        return code;
    const char *model = pos[0], *data = pos[1];
    if (!model || !data)
        return usage_error("%s", "usage: evotune predict FILE DATA [--labels IDX_LABELS] [--out predictions.csv]");
    struct evo_error err = {0};
    struct evo_apply_summary s;
    struct predict_args p = {model, data, labels, &s};
    memset(&s, 0, sizeof s);
    int rc = out ? evo_file_save(out, write_predictions, &p, &err) : write_predictions(&p, stdout, &err);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        evo_apply_summary_release(&s); /* filled when only the publication failed */
        return evo_error_exit_code(rc);
    }
    if (s.labelled)
        print_metrics(out ? stdout : stderr, &s, data);
    evo_apply_summary_release(&s);
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    const struct option opts[] = {{"--out", "-o", &out}};
    int code = parse_options(argc, argv, opts, 1, &path, 1);
    if (code)
        return code;
    if (!path)
        return usage_error("%s", "missing results FILE");
    char *derived = out ? NULL : evo_report_default_path(path);
    if (!out)
        out = derived;
    struct evo_error err = {0};
    struct evo_results r;
    int rc = evo_results_open(&r, path, &err);
    if (!rc) {
        rc = evo_report_save(&r, out, &err);
        evo_results_release(&r);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    else
        printf("%s\n", out);
    free(derived);
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

/* The commands, git's way: `evotune NAME ...` runs fn(argc, argv) with argv[1] = NAME. */
static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", cmd_run},         {"resume", cmd_resume},   {"info", cmd_info},     {"config", cmd_config},
    {"export", cmd_export},   {"predict", cmd_predict}, {"report", cmd_report},
};

int main(int argc, char **argv)
{
    evo_h5_init();
    evo_mem_set_oom_handler(on_out_of_memory);
    struct evo_error ferr;
    if (evo_fault_init(&ferr)) {
        fprintf(stderr, "evotune: %s\n", ferr.msg);
        return evo_error_exit_code(ferr.status);
    }
    struct evo_error kerr; /* the kernel table, chosen once before any thread starts */
    int krc = evo_kernels_init(&kerr);
    if (krc != EVO_OK) {
        fprintf(stderr, "evotune: %s\n", kerr.msg);
        return evo_error_exit_code(krc);
    }
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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc, argv);
    return usage_error("unknown command '%s'", cmd);
}

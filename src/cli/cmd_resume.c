/* evotune resume FILE [options]: continues a stopped, killed or finished run from what its results
 * file holds, with a new budget or time limit when the options give one. */
#include <omp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/config.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "evotune/runlog.h"
#include "evotune/search.h"
#include "cli.h"

struct resume_args {
    const char *path, *time_limit;
    long max_trials, max_epochs, generations, threads; /* -1: not given */
    int quiet, verbose;
};

#define FIELD(f) offsetof(struct resume_args, f)
static const struct cli_option options[] = {
    {"--max-trials", NULL, CLI_COUNT, FIELD(max_trials), NULL, "N",
     "new budget of networks (all but generational), e.g. to extend a finished run"},
    {"--max-epochs", NULL, CLI_COUNT, FIELD(max_epochs), NULL, "N",
     "new budget of training epochs (all but generational)"},
    {"--generations", NULL, CLI_COUNT, FIELD(generations), NULL, "N", "new budget of generations (generational)"},
    {"--time-limit", NULL, CLI_DURATION, FIELD(time_limit), NULL, "T",
     "new wall-clock limit, counted over every resume (8h, 90m, 45s)"},
    {"--threads", NULL, CLI_COUNT, FIELD(threads), NULL, "N", "training threads, 0 = all cores"},
    {"--quiet", NULL, CLI_FLAG, FIELD(quiet), NULL, NULL, NULL},
    {"--verbose", NULL, CLI_FLAG, FIELD(verbose), NULL, NULL, NULL},
    {NULL},
};

/* evotune resume FILE [--max-trials N | --generations N] [--max-epochs N] [--time-limit T] [--threads N] [--quiet]
 * [--verbose] */
static int cmd_resume(int argc, char **argv)
{
    struct resume_args a = {NULL, NULL, -1, -1, -1, -1, 0, 0};
    int code = cli_parse(argc, argv, options, &a, &a.path, 1);
    if (code)
        return code;
    const char *path = a.path, *time_limit = a.time_limit;
    long generations = a.generations, threads = a.threads, max_trials = a.max_trials, max_epochs = a.max_epochs;
    int quiet = a.quiet, verbose = a.verbose;
    if (!path)
        return cli_usage_error("missing results FILE");
    struct evo_error err = {0};
    struct evo_h5_summary s;
    int rc = evo_h5_summary_read(&s, path, &err);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return CLI_EXIT_USAGE;
    }
    if (s.writer_alive) {
        fprintf(stderr, "evotune: '%s' is being written by process %lld; stop it before resuming\n", path,
                (long long)s.writer_pid);
        evo_h5_summary_release(&s);
        return CLI_EXIT_USAGE;
    }
    /* a budget of the other kind: said in the options' own terms, not as the keys they stand for */
    int is_generational = !strcmp(s.strategy, "generational");
    if ((generations >= 0 && !is_generational) || ((max_trials >= 0 || max_epochs >= 0) && is_generational)) {
        fprintf(stderr, "evotune: %s: '%s' is a %s run, whose budget is %s\n",
                generations >= 0 ? "--generations" : max_trials >= 0 ? "--max-trials" : "--max-epochs", path, s.strategy,
                is_generational ? "--generations N" : "--max-trials N");
        evo_h5_summary_release(&s);
        return CLI_EXIT_USAGE;
    }
    if (generations >= 0 && generations < s.generations_done) {
        fprintf(stderr, "evotune: --generations %ld: '%s' already holds %lld generations\n", generations, path,
                (long long)s.generations_done);
        evo_h5_summary_release(&s);
        return CLI_EXIT_USAGE;
    }
    if (max_trials >= 0 && max_trials < s.n_search) {
        fprintf(stderr, "evotune: --max-trials %ld: '%s' already holds %lld networks\n", max_trials, path,
                (long long)s.n_search);
        evo_h5_summary_release(&s);
        return CLI_EXIT_USAGE;
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
        char *q = cli_quote(time_limit);
        size_t n = strlen(q) + sizeof "run.time_limit=";
        set_l = evo_mem_alloc(n);
        snprintf(set_l, n, "run.time_limit=%s", q);
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
    cli_install_signals(path);
    rc = evo_search_init(&sr, &cfg, &err);
    if (!rc)
        rc = evo_h5_load(&sr.log, path, &err);
    size_t journaled = 0;
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
        cli_print_summary(&sr, NULL, path, 0.0);
    } else if (!rc) {
        if (sr.log.finished)
            evo_runlog_unfinish(&sr.log);
        char budget[96];
        cli_describe_budget(budget, sizeof budget, &sr);
        if (!quiet)
            fprintf(stderr, "evotune: resuming '%s' (%s): %zu networks saved (%zu of them from its journal), "
                    "%zu were in flight; budget %s; %d threads\n", path, evo_config_strategy_name(cfg.strategy),
                    sr.log.n_rows, journaled, sr.log.n_in_flight, budget, sr.threads);
        rc = cli_search(&sr, path, quiet, verbose, t0, &err);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    evo_search_release(&sr);
    evo_config_release(&cfg);
    return evo_error_exit_code(rc);
}

const struct cli_command cli_cmd_resume = {
    "resume", cmd_resume, options,
    "resume continues a stopped, killed or finished run from what FILE holds (configuration,\n"
    "every finished network) and ends with the same results as an uninterrupted run:\n",
    NULL,
};

/* evotune run CONFIG [options]: loads the configuration with the options' overrides, and runs the
 * search into its results file. */
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include "evotune/config.h"
#include "evotune/search.h"
#include "cli.h"

struct run_args {
    const char *config;
    struct cli_sets sets; /* --set and the options that stand for a key, in command-line order */
    int quiet, verbose;
};

#define SETS offsetof(struct run_args, sets)
static const struct cli_option options[] = {
    {"--set", NULL, CLI_SET, SETS, NULL, "PATH=VALUE",
     "override a configuration key, VALUE in libconfig syntax; repeatable, applied\n"
     "in order (--set ga.population=48 --set search.optimizer='\"adam\"')"},
    {"--out", NULL, CLI_SET_TEXT, SETS, "run.output", "FILE", "results file (same as --set run.output=\"FILE\")"},
    {"--threads", NULL, CLI_SET_INTEGER, SETS, "run.threads", "N",
     "training threads, 0 = all cores (same as --set run.threads=N)"},
    {"--seed", NULL, CLI_SET_INTEGER, SETS, "run.seed", "S", "run seed (same as --set run.seed=S)"},
    {"--strategy", NULL, CLI_SET_TEXT, SETS, "run.strategy", "NAME",
     "steady_state, generational, tpe or random (same as --set run.strategy=\"NAME\")"},
    {"--max-trials", NULL, CLI_SET_INTEGER, SETS, "run.max_trials", "N",
     "networks to train, all but generational (same as --set run.max_trials=N)"},
    {"--max-epochs", NULL, CLI_SET_INTEGER, SETS, "run.max_epochs", "N",
     "a budget of training epochs, all but generational (--set run.max_epochs=N)"},
    {"--time-limit", NULL, CLI_SET_TEXT, SETS, "run.time_limit", "T",
     "no new network after T of running: 8h, 90m, 45s (--set run.time_limit=\"T\")"},
    {"--quiet", NULL, CLI_FLAG, offsetof(struct run_args, quiet), NULL, NULL,
     "no progress on stderr (errors and the final summary remain)"},
    {"--verbose", NULL, CLI_FLAG, offsetof(struct run_args, verbose), NULL, NULL,
     "also a line per trained network (its genes, fitness and time)"},
    {NULL},
};

static int cmd_run(int argc, char **argv)
{
    struct run_args a = {0};
    int code = cli_parse(argc, argv, options, &a, &a.config, 1);
    if (!code && !a.config)
        code = cli_usage_error("missing CONFIG file");
    if (code) {
        cli_sets_release(&a.sets);
        return code;
    }
    struct evo_error err = {0};
    struct evo_config cfg;
    int rc = evo_config_load(&cfg, a.config, a.sets.v, a.sets.n, &err);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        cli_sets_release(&a.sets);
        return evo_error_exit_code(rc);
    }
    struct evo_search sr;
    double t0 = omp_get_wtime();
    cli_install_signals(cfg.output);
    rc = evo_search_init(&sr, &cfg, &err);
    if (!rc) {
        char budget[96];
        cli_describe_budget(budget, sizeof budget, &sr);
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
        rc = cli_search(&sr, cfg.output, a.quiet, a.verbose, t0, &err);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    evo_search_release(&sr); /* safe after a failed init, which leaves sr zeroed */
    evo_config_release(&cfg);
    cli_sets_release(&a.sets);
    return evo_error_exit_code(rc);
}

const struct cli_command cli_cmd_run = {
    "run", cmd_run, options, "options of run:\n",
    "Progress goes to stderr: on a terminal a live bar (networks done, best, evaluations/s, ETA), and a\n"
    "line per new best (per generation for generational), which is all a redirected log gets.\n",
};

/* evotune info FILE: the state of a results file, finished or still being written: its strategy,
 * networks, budget, best, the finalists and folds, and the command that resumes or extends it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/config.h"
#include "evotune/h5.h"
#include "evotune/journal.h"
#include "evotune/progress.h"
#include "evotune/promote.h"
#include "evotune/results.h"
#include "cli.h"

static const struct cli_option options[] = {{NULL}};

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
        if (r.has_best && !r.regression && isfinite(r.test.accuracy)) /* the three side by side */
            printf("; test accuracy %.4f", r.test.accuracy);
        else if (r.has_best && r.regression && isfinite(r.test.rmse))
            printf("; test RMSE %.4g", r.test.rmse);
        printf("\n");
    }
    free(fs);
    evo_results_release(&r);
}

static int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int code = cli_parse(argc, argv, options, NULL, &path, 1);
    if (code)
        return code;
    if (!path)
        return cli_usage_error("missing results FILE");
    struct evo_error err = {0};
    struct evo_h5_summary s;
    if (evo_h5_summary_read(&s, path, &err)) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return CLI_EXIT_USAGE;
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
    size_t pending = evo_journal_pending(path);
    if (pending)
        printf("journal:      %zu more finished since this snapshot, in '%s.journal' (resume reads them)\n",
               pending, path);
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
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_info = {"info", cmd_info, options, NULL, NULL};

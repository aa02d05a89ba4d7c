/* A synthetic results file of any size, for the report's scale test (test_report, report_render.sh)
 * and its benchmark (bench/bench_report.c): the rows of a generational search of configs/default.cfg
 * on digits, made up instead of trained, written by evo_h5_write as a real run's are. Genomes are
 * drawn from the space and bred from the previous generation's (tournament, crossover, mutation);
 * the fitness is synthetic.h's plus noise; about 2 % of the trials diverge; each successful trial has
 * a learning curve of its epochs gene; the best has an (untrained) network, test metrics and a
 * confusion matrix, so that every section of a report has something to show. */
#ifndef EVOTUNE_TEST_SYNTHETIC_RESULTS_H
#define EVOTUNE_TEST_SYNTHETIC_RESULTS_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "evotune/config.h"
#include "evotune/genome.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "evotune/mlp.h"
#include "evotune/problem.h"
#include "evotune/rng.h"
#include "evotune/runlog.h"
#include "evotune/trial.h"
#include "synthetic.h"

#define SYNTHETIC_RESULTS_GENERATIONS 10

/* The row of trial id of generation gen, bred from rows[0..id) (the earlier generations). */
static inline void synthetic_results_trial(struct evo_individual *t, const struct evo_config *cfg,
                                           const struct evo_individual *rows, size_t pop, size_t id)
{
    struct evo_rng rng;
    size_t gen = id / pop;
    evo_rng_seed(&rng, (uint64_t)cfg->seed, gen, id, 0);
    memset(t, 0, sizeof *t);
    t->generation = (int32_t)gen;
    t->id = (int64_t)id;
    t->parent_a = t->parent_b = -1;
    if (gen == 0) {
        evo_genome_sample(&t->genome, &cfg->space, &rng);
    } else {
        size_t first = (gen - 1) * pop, pick[2];
        for (int p = 0; p < 2; p++) { /* tournaments of 3 in the previous generation */
            pick[p] = first + (size_t)evo_rng_below(&rng, pop);
            for (int k = 1; k < 3; k++) {
                size_t c = first + (size_t)evo_rng_below(&rng, pop);
                if (evo_trial_better(&rows[c], &rows[pick[p]]))
                    pick[p] = c;
            }
        }
        evo_genome_crossover(&t->genome, &rows[pick[0]].genome, &rows[pick[1]].genome, &rng);
        evo_genome_mutate(&t->genome, &cfg->space, 0.2, &rng);
        t->parent_a = (int64_t)pick[0];
        t->parent_b = (int64_t)pick[1];
    }
    t->purpose = EVO_PURPOSE_SEARCH;
    t->budget = (int32_t)t->genome.g[EVO_GENE_EPOCHS];
    t->origin = t->id;
    t->train_seconds = 0.02 + 0.3 * evo_rng_uniform(&rng);
    if (evo_rng_uniform(&rng) < 0.02) {
        t->status = EVO_TRAIN_DIVERGED;
        t->fitness = evo_trial_failed_fitness(cfg->fitness);
        t->epochs_run = 1 + (int32_t)evo_rng_below(&rng, (uint64_t)t->budget);
        t->val.accuracy = t->val.loss = t->val.macro_f1 = t->val.log_loss = t->train_loss = NAN;
    } else {
        double f = 0.5 + 0.42 * synthetic_fitness(&cfg->space, &t->genome) + 0.02 * evo_rng_normal(&rng);
        t->status = EVO_TRAIN_OK;
        t->fitness = f < 0 ? 0 : f > 1 ? 1 : f;
        t->epochs_run = t->budget;
        t->val.accuracy = t->fitness;
        t->val.macro_f1 = t->fitness * 0.99;
        t->val.log_loss = t->val.loss = 2.3 * (1 - t->fitness) + 0.05;
        t->train_loss = 0.8 * t->val.loss;
    }
    t->val.rmse = t->val.mae = t->val.r2 = NAN;
}

/* Writes a synthetic results file of n trials (n >= 10) to path: configs/default.cfg of source_dir
 * with ga.population = n / 10 (rounded up), its generations all done. Returns EVO_OK or the error of
 * the configuration, the data or the write (in err). Single-threaded; allocates about 1 KiB a trial
 * besides what evo_h5_write needs. */
static inline int synthetic_results_write(const char *path, size_t n, const char *source_dir,
                                          struct evo_error *err)
{
    size_t pop = (n + SYNTHETIC_RESULTS_GENERATIONS - 1) / SYNTHETIC_RESULTS_GENERATIONS;
    char cfg_path[512], train[600], population[64], generations[64];
    snprintf(cfg_path, sizeof cfg_path, "%s/configs/default.cfg", source_dir);
    snprintf(train, sizeof train, "data.train=\"%s/datasets/digits.csv\"", source_dir);
    snprintf(population, sizeof population, "ga.population=%zu", pop);
    snprintf(generations, sizeof generations, "ga.generations=%d", SYNTHETIC_RESULTS_GENERATIONS);
    const char *sets[] = {train, population, generations, "finalists.count=0", "run.strategy=\"generational\""};
    struct evo_config cfg;
    struct evo_problem pb;
    int rc = evo_config_load(&cfg, cfg_path, sets, sizeof sets / sizeof *sets, err);
    if (rc)
        return rc;
    if ((rc = evo_problem_load(&pb, &cfg, err))) {
        evo_config_release(&cfg);
        return rc;
    }
    struct evo_runlog log;
    evo_runlog_init(&log, &cfg, &pb);
    log.threads = 2;
    size_t n_gens = (n + pop - 1) / pop;
    struct evo_generation *gens = evo_mem_calloc(n_gens, sizeof *gens);
    struct evo_epoch_metrics curve[128];
    size_t best = 0;
    double clock = 0, sum = 0, sum2 = 0;
    size_t finite = 0;
    for (size_t i = 0; i < n; i++) {
        struct evo_individual t;
        synthetic_results_trial(&t, &cfg, log.rows, pop, i);
        for (int32_t e = 0; e < t.epochs_run && e < 128; e++) {
            double u = 1 - exp(-(e + 1) / 3.0);
            curve[e] = (struct evo_epoch_metrics){t.train_loss / u, t.val.loss / u, t.fitness * u};
        }
        clock += t.train_seconds / log.threads;
        t.finished_at = clock;
        evo_runlog_add(&log, &t, t.status == EVO_TRAIN_OK ? curve : NULL);
        if (evo_trial_better(&t, &log.rows[best]))
            best = i;
        struct evo_generation *g = &gens[t.generation];
        g->generation = t.generation;
        g->evaluations++;
        g->failures += t.status != EVO_TRAIN_OK;
        g->wall_seconds += t.train_seconds;
        if (g->evaluations == 1 || t.fitness > g->best_fitness)
            g->best_fitness = t.fitness;
        if (isfinite(t.fitness)) {
            sum += t.fitness;
            sum2 += t.fitness * t.fitness;
            finite++;
        }
        if (i + 1 == n || (i + 1) % pop == 0) { /* the generation's last trial */
            g->mean_fitness = finite ? sum / (double)finite : NAN;
            g->std_fitness = finite ? sqrt(fmax(0, sum2 / (double)finite - g->mean_fitness * g->mean_fitness)) : NAN;
            sum = sum2 = 0;
            finite = 0;
        }
    }
    log.gens = gens;
    log.n_gens = n_gens;
    log.trials_decided = (int64_t)n;
    log.elapsed = clock;
    snprintf(log.strategy_state, sizeof log.strategy_state, "all %zu generations of %zu done", n_gens, pop);

    /* the best: an untrained network of its genome, made-up test metrics */
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)cfg.seed, 0, best, 1);
    evo_genome_decode(&log.rows[best].genome, pb.train.d, evo_problem_outputs(&pb), &arch, &tp);
    rc = evo_mlp_init(&log.best_net, &arch, &rng, err);
    if (!rc) {
        log.has_best = 1;
        log.best = log.rows[best];
        log.finished = 1;
        int64_t C = pb.train.n_classes;
        log.confusion = evo_mem_calloc((size_t)(C * C), sizeof *log.confusion);
        for (int64_t k = 0; k < C; k++) {
            log.confusion[k * C + k] = 17;
            log.confusion[k * C + (k + 1) % C] = k % 3;
        }
        log.test_metrics.accuracy = log.best.fitness - 0.01;
        log.test_metrics.loss = log.test_metrics.log_loss = log.best.val.loss + 0.02;
        log.test_metrics.macro_f1 = log.test_metrics.accuracy - 0.005;
        rc = evo_h5_write(&log, path, err);
    }
    log.gens = NULL;
    free(gens);
    evo_runlog_release(&log);
    evo_problem_release(&pb);
    evo_config_release(&cfg);
    return rc;
}

#endif

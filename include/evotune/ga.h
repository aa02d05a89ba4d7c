/* The search: data preparation, then a generational genetic algorithm whose individuals are trained
 * in parallel (OpenMP over the population, the only parallel region in evotune). Every random draw comes
 * from a stream of (seed, generation, individual, purpose) and statistics are reduced in index order
 * after the parallel region, so every result except the measured times is bit-identical for any
 * thread count. */
#ifndef EVOTUNE_GA_H
#define EVOTUNE_GA_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/config.h"
#include "evotune/data.h"
#include "evotune/error.h"
#include "evotune/genome.h"
#include "evotune/mlp.h"

/* One trained (or carried-over) individual: a row of /individuals. */
struct evo_individual {
    int32_t generation;      /* generation it was trained in */
    int64_t id;              /* unique in the run, in training order: 0, 1, 2, ... */
    int64_t parent_a;        /* ids of its parents, -1 when none (random, or no crossover) */
    int64_t parent_b;
    struct evo_genome genome;
    double fitness;          /* validation accuracy; 0 when training failed */
    double val_accuracy;
    double val_loss;
    double train_loss;
    double train_seconds;    /* wall time of its training and validation: the one non-reproducible field */
    int32_t status;          /* enum evo_train_status */
};

/* A row of /generations. */
struct evo_generation {
    int32_t generation;
    int32_t evaluations;     /* individuals trained in this generation (elites are carried, not retrained) */
    int32_t failures;        /* of those, how many failed (diverged) */
    double best_fitness;     /* over the whole population of this generation, elites included */
    double mean_fitness;
    double std_fitness;      /* population standard deviation */
    double wall_seconds;     /* wall time of the generation: breeding, training, reduction */
};

struct evo_ga {
    const struct evo_config *cfg;          /* borrowed; must outlive the search */
    struct evo_dataset train, validation, test;
    float *feature_mean, *feature_std;     /* [d] standardisation applied to all splits (0 and 1 when off) */
    uint64_t data_hash;                    /* evo_data_hash of the unsplit, unstandardised training file */
    int threads;                           /* threads used by the parallel loop */
    struct evo_individual *rows;           /* every trained individual, in id order */
    size_t n_rows, cap_rows;
    struct evo_generation *gens;           /* one per generation done */
    size_t n_gens;
    struct evo_individual *population;     /* [cfg->population] the current generation, in index order */
    int has_best;
    struct evo_individual best;            /* best of every individual trained so far */
    struct evo_mlp best_net;               /* its trained weights */
    int finished;                          /* 1 once every generation ran and the test split was scored */
    double test_accuracy;                  /* of best_net on the test split, NaN until finished */
    double test_loss;
};

/* Called after every generation and once more when the search has finished (ga->finished set), from
 * the main thread outside the parallel region, e.g. to write the results file and print progress.
 * A non-zero return stops the search with that status. */
typedef int (*evo_ga_hook)(const struct evo_ga *ga, void *user);

/* Loads the data named by cfg, checks it, splits it (stratified, seeded by run.seed) and
 * standardises it; run.threads 0 means all cores. Errors: EVO_EDATA (naming the file). On error ga is
 * left released. */
int evo_ga_init(struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err);

/* Runs every generation of cfg->generations, calling hook after each, then scores the best network
 * once on the test split and sets finished. Returns EVO_OK, the hook's status, or an error. */
int evo_ga_run(struct evo_ga *ga, evo_ga_hook hook, void *user, struct evo_error *err);

/* Frees everything ga owns. */
void evo_ga_release(struct evo_ga *ga);

/* Ordering used for selection and for "best": 1 when a ranks above b (successful before failed,
 * higher fitness, then lower id). */
int evo_ga_better(const struct evo_individual *a, const struct evo_individual *b);

#endif

/* The search: data preparation, then a generational genetic algorithm whose individuals are trained
 * in parallel (OpenMP over the population, the only parallel region in evotune). Every random draw comes
 * from a stream of (seed, generation, individual, purpose) and statistics are reduced in index order
 * after the parallel region, so every result except the measured times is bit-identical for any
 * thread count. */
#ifndef EVOTUNE_GA_H
#define EVOTUNE_GA_H
#include <signal.h>
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
    double fitness;          /* the validation score named by ga.fitness, larger is better; when
                             * training failed (status not ok): 0 for accuracy and macro_f1, -inf
                             * for the others */
    double val_accuracy;     /* validation metrics of the task (metrics.h), NaN for the other task's */
    double val_loss;         /* mean of the loss gene's loss */
    double val_macro_f1, val_log_loss;
    double val_rmse, val_mae, val_r2;
    double train_loss;
    int32_t epochs_run;      /* epochs trained (fewer than the epochs gene: early stopping, divergence) */
    double train_seconds;    /* wall time of its training and validation: the one non-reproducible field */
    int32_t status;          /* enum evo_train_status */
};

/* A row of /curves: one epoch of one individual's learning curve. */
struct evo_curve_row {
    int64_t id;              /* the individual */
    int32_t epoch;           /* 0-based */
    double train_loss, val_loss;
    double val_fitness;      /* the fitness metric's validation score after the epoch */
};

/* A row of /generations. */
struct evo_generation {
    int32_t generation;
    int32_t evaluations;     /* individuals trained in this generation (elites are carried, not retrained) */
    int32_t failures;        /* of those, how many failed (status diverged or too_large) */
    double best_fitness;     /* over the whole population of this generation, elites included */
    double mean_fitness;     /* over its finite fitnesses (a failed regression individual's -inf is
                              * left out); NaN when there are none */
    double std_fitness;      /* population standard deviation, likewise */
    double wall_seconds;     /* wall time of the generation: breeding, training, reduction */
};

/* Where each member of the current population stands (/population_state in the results file). */
enum evo_member_state {
    EVO_MEMBER_PENDING = 0,  /* bred, not trained yet (or its training was abandoned) */
    EVO_MEMBER_TRAINED,      /* trained in the current generation; its results are final */
    EVO_MEMBER_CARRIED,      /* an elite carried unchanged from an earlier generation */
    EVO_MEMBER_STATE_COUNT
};

/* Why the hook is called. */
enum evo_ga_event {
    EVO_GA_PROGRESS,    /* individuals finished during a generation (throttled, see evo_ga_run) */
    EVO_GA_GENERATION,  /* a generation was completed and reduced */
    EVO_GA_FINISHED,    /* every generation ran and the best, if any, was scored (ga->finished set) */
    EVO_GA_STOPPED,     /* *ga->stop was raised: nothing more will be recorded (ga->stopped set) */
};

struct evo_ga {
    const struct evo_config *cfg;          /* borrowed; must outlive the search */
    struct evo_dataset train, validation, test;
    float *feature_mean, *feature_std;     /* [d] standardisation applied to all splits (0 and 1 when off) */
    double target_mean, target_std;        /* regression: the training targets' standardisation, which
                                            * every network's output undoes (0 and 1 when off) */
    uint64_t data_hash;                    /* evo_data_hash of the unsplit, unstandardised training file */
    uint64_t test_data_hash;               /* evo_data_hash of the separate test file, 0 when none */
    int threads;                           /* threads used by the parallel loop */
    struct evo_individual *rows;           /* every trained individual, in id order */
    size_t n_rows, cap_rows;
    struct evo_curve_row *curves;          /* learning curves of the individuals in rows, in (id, epoch)
                                            * order */
    size_t n_curves, cap_curves;
    struct evo_epoch_metrics *member_curves; /* [population][max_epochs]: the curve of each member of
                                            * the current generation, epochs_run points, valid where
                                            * the member is TRAINED */
    size_t max_epochs;                     /* largest epochs gene of the space: member_curves' stride */
    struct evo_generation *gens;           /* one per generation done */
    size_t n_gens;
    struct evo_individual *population;     /* [cfg->population] the current generation, in index order */
    uint8_t *member_state;                 /* [cfg->population] enum evo_member_state of each member */
    int32_t population_generation;         /* generation `population` belongs to; -1 before the first.
                                            * Equal to n_gens while that generation is in progress. */
    int has_best;                          /* 0 until a member trains successfully (status ok) */
    struct evo_individual best;            /* best of every individual trained successfully so far */
    struct evo_mlp best_net;               /* its trained weights */
    int finished;                          /* 1 once every generation ran and the test split was scored */
    int stopped;                           /* 1 once the search stopped on *stop */
    volatile sig_atomic_t *stop;           /* optional, set by the caller: non-zero asks the search to stop
                                            * (e.g. from a signal handler); read by the main thread only */
    double save_interval_min;              /* EVO_GA_PROGRESS throttle, see evo_ga_run (default 0.05 s) */
    struct evo_metrics test_metrics;       /* of best_net on the test split (the accuracy is the trace of
                                            * confusion / n_test), NaN until finished */
    int64_t *confusion;                    /* [n_classes, n_classes] test confusion matrix (rows: true
                                            * class, columns: predicted), NULL until finished and for
                                            * regression */
};

/* Called from the main thread (the process's initial thread) with the state consistent: every member
 * whose member_state is TRAINED or CARRIED holds final results and is in `best`; no worker changes
 * ga during the call. Used to write the results file and print progress. A non-zero return stops
 * the search with that status. The hook may also end the process (main.c does on EVO_GA_STOPPED). */
typedef int (*evo_ga_hook)(const struct evo_ga *ga, int event, void *user);

/* Loads the data named by cfg, checks it, splits it (stratified, seeded by run.seed; at random for
 * regression) and standardises it (regression: the targets too, with the training split's mean and
 * standard deviation); run.threads 0 means all cores. Errors: EVO_EDATA (naming the file);
 * EVO_ECONFIG when the threads' workspaces and the population's buffers would exceed cfg->max_memory
 * (checked before they are allocated, naming the keys). On error ga is left released. */
int evo_ga_init(struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err);

/* Runs the generations from where ga stands (a fresh search, or one restored by evo_h5_load, possibly
 * in the middle of a generation: only its PENDING members are trained) up to cfg->generations, then
 * scores the best network once on the test split (when some member trained successfully) and sets
 * finished. A member whose network has more than cfg->max_params parameters is not allocated or
 * trained: status EVO_TRAIN_TOO_LARGE, fitness evo_ga_failed_fitness. The hook is called:
 * - EVO_GA_PROGRESS when members finished since the last call, at most once per
 *   max(save_interval_min, 10 x the duration of the previous hook call) during a generation;
 * - EVO_GA_GENERATION after each generation, EVO_GA_FINISHED at the end;
 * - EVO_GA_STOPPED once when *stop is seen non-zero: no member is handed out any more, members in
 *   training are abandoned (their results discarded, they stay PENDING), stopped is set.
 * Training runs on ga->threads worker threads; the main thread only coordinates and calls the hook.
 * Everything but measured times is identical for any thread count and any sequence of stops and
 * resumes. Returns EVO_OK (also when stopped), the hook's status, or an error. */
int evo_ga_run(struct evo_ga *ga, evo_ga_hook hook, void *user, struct evo_error *err);

/* Appends ind to ga->rows, growing it (also used when a search is restored from a file). */
void evo_ga_append_row(struct evo_ga *ga, const struct evo_individual *ind);

/* Makes room for n more rows in ga->curves. */
void evo_ga_reserve_curves(struct evo_ga *ga, size_t n);

/* Appends the curve of the individual `id` (n points) to ga->curves. */
void evo_ga_append_curve(struct evo_ga *ga, int64_t id, const struct evo_epoch_metrics *curve, size_t n);

/* Frees everything ga owns. */
void evo_ga_release(struct evo_ga *ga);

/* The fitness of an individual whose training failed under fitness f: the worst score (0 for accuracy
 * and macro_f1, -inf for the unbounded ones). */
double evo_ga_failed_fitness(int f);

/* Ordering used for selection and for "best": 1 when a ranks above b (successful before failed,
 * higher fitness, then lower id). */
int evo_ga_better(const struct evo_individual *a, const struct evo_individual *b);

#endif

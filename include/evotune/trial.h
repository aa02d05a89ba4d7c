/* Trials: what a strategy proposes (an id, parents, a genome, a purpose and a budget) and what an
 * evaluator makes of it (validation metrics, learning curve, timing). The seam between search and
 * evaluation carries these and nothing else, so an evaluation can run on any thread, in another
 * process or not at all (a synthetic fitness in tests, a sleep in the scheduler benchmark). */
#ifndef EVOTUNE_TRIAL_H
#define EVOTUNE_TRIAL_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/genome.h"
#include "evotune/metrics.h"

/* Why a trial is evaluated. Values are stable (stored). The seam is meant for the filed follow-ups
 * too: a finalist re-evaluated or a cross-validation fold is a trial with its own purpose (its training
 * stream is keyed by purpose as well as id, so it differs from the search trial it repeats); a
 * promotion (promote.h) continues a paused training as a row of its own, whose parent_a is the row it
 * continues; a finalist (finalist.h) repeats a search row's genome with fresh streams; an evaluation
 * in another process (an MPI rank) needs nothing but
 * the trial's fields, which are plain data, and sends back the results below. */
enum evo_trial_purpose {
    EVO_PURPOSE_SEARCH = 0,   /* a candidate of the search: trained, scored on validation */
    EVO_PURPOSE_FINALIST,     /* a finalist trained again (finalist.h): parent_a is the search row it
                               * repeats, origin its own id */
    EVO_PURPOSE_COUNT
};

/* Stored name of enum evo_trial_purpose p ("search", "finalist"). */
const char *evo_trial_purpose_name(int p);

/* One trial and, once evaluated, its results: a row of /individuals. */
struct evo_individual {
    int32_t generation;      /* the strategy's cohort: the generation (generational), the lineage depth
                              * (steady_state: 0 for a random trial, else 1 + its first parent's), 0
                              * (random) */
    int64_t id;              /* unique in the run, in the order trials were decided: 0, 1, 2, ... */
    int64_t parent_a;        /* ids of its parents, -1 when none (random, or no crossover) */
    int64_t parent_b;
    struct evo_genome genome;
    int32_t purpose;         /* enum evo_trial_purpose */
    int32_t budget;          /* epochs its training reaches at this row: the epochs gene, or under
                              * promotion its rung's budget (at most the gene); 0 when asked: the
                              * search sets the epochs gene */
    int32_t rung;            /* promotion rung (promote.h), 0 for a trial's first row */
    int32_t from_epoch;      /* epochs its training had before this row: 0, or a promotion's parent's
                              * budget (this row trains epochs from_epoch .. budget - 1) */
    int64_t origin;          /* the row whose training this one continues from the start: its own id
                              * at rung 0; the training's random stream is keyed by it */
    double fitness;          /* the validation score named by ga.fitness, larger is better; when
                              * training failed (status not ok): 0 for accuracy and macro_f1, -inf
                              * for the others */
    struct evo_metrics val;  /* validation metrics of the task (metrics.h; loss: the mean of the loss
                              * gene's loss), NaN for the other task's */
    double train_loss;
    int32_t epochs_run;      /* epochs its training has run, from_epoch's included (fewer than budget:
                              * early stopping, divergence) */
    int32_t paused;          /* 1: its training stopped at budget and can go on (promotion only) */
    double train_seconds;    /* wall time of its training and validation (a timing field: not reproducible) */
    double finished_at;      /* seconds of the run's running time (log.elapsed) when its result arrived
                              * (a timing field) */
    int32_t status;          /* enum evo_train_status */
};

/* A row of /curves: one epoch of one trial's learning curve. */
struct evo_curve_row {
    int64_t id;              /* the trial */
    int32_t epoch;           /* 0-based */
    double train_loss, val_loss;
    double val_fitness;      /* the fitness metric's validation score after the epoch */
};

/* A row of /folds: one fold of a cross-validated trial (problem.h), whose row's fitness and validation
 * metrics are the means over its folds. */
struct evo_fold_row {
    int64_t id;              /* the trial */
    int32_t fold;            /* 0 .. data.folds - 1 */
    int8_t status;           /* enum evo_train_status of the fold's training */
    double fitness;          /* its score on the fold held out (the failed fitness when it failed) */
    double val_loss;
    int32_t epochs_run;
    int32_t epochs_kept;     /* epochs its kept weights had trained (early stopping's best epoch + 1) */
};

/* A row of /generations (the generational strategy's summary of each generation). */
struct evo_generation {
    int32_t generation;
    int32_t evaluations;     /* trials of this generation (elites are carried, not retrained) */
    int32_t failures;        /* of those, how many failed (status diverged or too_large) */
    double best_fitness;     /* over the whole population of this generation, elites included */
    double mean_fitness;     /* over its finite fitnesses (a failed regression trial's -inf is left
                              * out); NaN when there are none */
    double std_fitness;      /* population standard deviation, likewise */
    double wall_seconds;     /* train_seconds of the generation's trials, summed (a timing field) */
};

/* The fitness of a trial whose training failed under fitness f: the worst score (0 for accuracy
 * and macro_f1, -inf for the unbounded ones). */
double evo_trial_failed_fitness(int f);

/* The order used for selection and for "best": 1 when a ranks above b (successful before failed,
 * higher fitness, then lower id). A total order, so a maximum does not depend on arrival order. */
int evo_trial_better(const struct evo_individual *a, const struct evo_individual *b);

/* Clears the results of t (metrics NaN, status ok, 0 epochs), keeping the trial fields. */
void evo_trial_clear_results(struct evo_individual *t);

/* 1 when a[0..n) and b[0..n) agree in everything a search decides and scores — id, parents,
 * generation, genome, purpose, rung, budget, origin, fitness — timings aside; else 0. */
int evo_trials_same(const struct evo_individual *a, const struct evo_individual *b, size_t n);

#endif

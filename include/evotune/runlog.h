/* The run log: everything a search has decided and learnt, as plain rows that storage writes and
 * reads (h5.h) — finished trials with their curves in id order, the trials decided and not finished
 * (in flight), the best network, the strategy's summary rows, the run's state. It holds no strategy
 * state: resume rebuilds that by replaying the strategy over the logged results (search.h). */
#ifndef EVOTUNE_RUNLOG_H
#define EVOTUNE_RUNLOG_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/config.h"
#include "evotune/metrics.h"
#include "evotune/mlp.h"
#include "evotune/problem.h"
#include "evotune/trial.h"

struct evo_runlog {
    const struct evo_config *cfg;          /* borrowed: the run's configuration */
    const struct evo_problem *problem;     /* borrowed: its data */
    int threads;                           /* threads the evaluator runs (recorded, not a result) */
    struct evo_individual *rows;           /* finished trials, in id order */
    size_t n_rows, cap_rows;
    int64_t *arrived;                      /* the ids of rows, in the order evo_runlog_add logged them
                                            * (what a journal appends since its last record: journal.h) */
    size_t n_arrived, cap_arrived;
    uint64_t truncations;                  /* calls of evo_runlog_truncate: rows were forgotten */
    struct evo_curve_row *curves;          /* their learning curves, in (id, epoch) order: each row's
                                            * epochs from_epoch .. epochs_run - 1 */
    size_t n_curves, cap_curves;
    struct evo_fold_row *fold_rows;        /* cross-validation: every finished trial's folds, in (id, fold)
                                            * order */
    size_t n_fold_rows, cap_fold_rows;
    int32_t final_epochs;                  /* cross-validation: the epochs best_net was trained for on the
                                            * whole pool (0 until then) */
    struct evo_individual *in_flight;      /* decided and not finished, in id order (genomes whole) */
    size_t n_in_flight, cap_in_flight;
    int64_t trials_decided;                /* ids below this were decided */
    const struct evo_generation *gens;     /* the strategy's summary rows (generational), borrowed */
    size_t n_gens;
    size_t gens_restored;                  /* n_gens of the file this log was restored from (until the
                                            * replay rebuilds the rows themselves) */
    char strategy_state[256];              /* the strategy's own line on where it stands */
    int has_best;                          /* 0 until a trial trains successfully (status ok) */
    struct evo_individual best;            /* best of every trial trained successfully so far */
    struct evo_mlp best_net;               /* its trained weights (owned) */
    struct evo_metrics test_metrics;       /* of best_net on the test split, NaN until finished */
    int64_t *confusion;                    /* [n_classes, n_classes] test confusion matrix (rows: true
                                            * class), NULL until finished and for regression */
    int finished;                          /* 1 once the budget is spent and the test split scored */
    int stopped;                           /* 1 once the search stopped on a request (signal) */
    double elapsed;                        /* seconds this run has spent running, over every resume:
                                            * what run.time_limit counts */
    int time_up;                           /* 1 once run.time_limit stopped the search from asking */
};

/* Starts an empty log of the run cfg on problem p. */
void evo_runlog_init(struct evo_runlog *log, const struct evo_config *cfg, const struct evo_problem *p);

/* Inserts the finished trial t with its curve (curve[e] for the epochs e it trained, from_epoch to
 * epochs_run - 1; NULL: none) at its place in id order.
 * Returns 0, or -1 when a row with that id is already logged (nothing is changed). */
int evo_runlog_add(struct evo_runlog *log, const struct evo_individual *t, const struct evo_epoch_metrics *curve);

/* Inserts the fold rows rows[0..n) of one trial (in fold order) at their place in id order. */
void evo_runlog_add_folds(struct evo_runlog *log, const struct evo_fold_row *rows, size_t n);

/* The fold rows of the trial id (*n of them, 0 when none). */
const struct evo_fold_row *evo_runlog_folds(const struct evo_runlog *log, int64_t id, size_t *n);

/* Appends rows of curves (already in order), for a log restored from a file. */
void evo_runlog_append_curves(struct evo_runlog *log, const struct evo_curve_row *rows, size_t n);

/* The logged row with this id, or NULL. */
const struct evo_individual *evo_runlog_find(const struct evo_runlog *log, int64_t id);

/* The curve rows of the trial id (*n of them, 0 when none). */
const struct evo_curve_row *evo_runlog_curve(const struct evo_runlog *log, int64_t id, size_t *n);

/* Replaces the in-flight list by trials[0..n). */
void evo_runlog_set_in_flight(struct evo_runlog *log, const struct evo_individual *trials, size_t n);

/* 1 when the finished trial t would be taken as the best (evo_runlog_offer_best). */
int evo_runlog_ranks_best(const struct evo_runlog *log, const struct evo_individual *t);

/* Offers a finished trial and its network as the best: takes it (swapping net into best_net, so the
 * caller's net receives the previous best's storage) when it trained successfully and ranks above the
 * best so far. Returns 1 when taken. */
int evo_runlog_offer_best(struct evo_runlog *log, const struct evo_individual *t, struct evo_mlp *net);

/* Takes t and its network as the best whatever its rank (swapping net into best_net, as
 * evo_runlog_offer_best does): a winner chosen otherwise (finalist.h). */
void evo_runlog_set_best(struct evo_runlog *log, const struct evo_individual *t, struct evo_mlp *net);

/* The best row of the given purpose (enum evo_trial_purpose) that trained successfully
 * (evo_trial_better), or NULL. */
const struct evo_individual *evo_runlog_best_row(const struct evo_runlog *log, int purpose);

/* Forgets every row, curve row, fold row and trial in flight of id >= id; a best among them gives way to the
 * best row left, without its network (best_net empty until a better row or a winner brings one). */
void evo_runlog_truncate(struct evo_runlog *log, int64_t id);

/* Makes a finished log unfinished again (a resumed run given a larger budget): no test metrics, no
 * confusion matrix. */
void evo_runlog_unfinish(struct evo_runlog *log);

/* Frees what log owns and zeroes it. */
void evo_runlog_release(struct evo_runlog *log);

#endif

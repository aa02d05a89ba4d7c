/* The mini-batch trainer of a network (mlp.h) on a data set, with the optimizers (optim.h) and the
 * epoch's row order (batch.h). Single-threaded, reentrant, allocation-free: a per-thread workspace. */
#ifndef EVOTUNE_TRAIN_H
#define EVOTUNE_TRAIN_H
#include "evotune/mlp.h"
#include "evotune/optim.h"
#include "evotune/rng.h"

/* Trains for at most tp->epochs epochs over `train` in mini-batches (a fresh order from rng each
 * epoch, chosen by tp->batch_selection; the last, partial batch is used too; training rows are
 * augmented after the gather, in the batch copy, when train is an image set), the rate set per epoch by tp->lr_schedule, then
 * evaluates on `validation`. With early stopping, stops after tp->patience epochs without
 * improvement of the validation loss and restores the best epoch's parameters. Stops early with
 * status EVO_TRAIN_DIVERGED when the loss is not finite. Without `validation` (NULL), early stopping
 * and the plateau schedule see no improvement signal and are inert, and curves hold NaN validation
 * metrics. Allocates nothing. Returns EVO_OK (even when diverged), or an error when the parameters
 * are unusable (batch 0, batch or data larger than the workspace, unknown optimizer, schedule or batch selection,
 * negative augmentation ranges, labels outside the workspace's classes under stratified or balanced
 * selection, a loss that does not fit the data's task). Regression data (train->target set) trains a
 * regression network; it has no classes, so stratified and balanced selection fall back to shuffle.
 * rng is advanced past the training's draws. evo_train_begin and evo_train_continue to tp->epochs. */
int evo_train_run(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                  const struct evo_dataset *train, const struct evo_dataset *validation,
                  struct evo_rng *rng, struct evo_train_result *res, struct evo_error *err);

/* Where a training stands between epochs: with the network (its parameters, optimizer moments, step
 * count and best-epoch copy, all in its slab), everything that continuing it needs. Plain data: a
 * copy continues as the original would. */
struct evo_train_state {
    int epoch;                  /* epochs trained */
    int done;                   /* 1: training ended (its epochs, early stopping, divergence) */
    int status;                 /* enum evo_train_status so far */
    struct evo_rng rng;         /* the training's stream: batch order, dropout, augmentation */
    struct evo_optim_lr sched;  /* the schedule's position, plateau state included */
    int wait, best_e;           /* early stopping: epochs without improvement, best epoch (-1: none) */
    double best_loss, best_train;
    struct evo_metrics best_val, val; /* the best epoch's and the last epoch's validation metrics */
    int evaluated;              /* val holds the current parameters' metrics */
    double train_loss;          /* the last epoch's */
    int swapped;                /* paused with the best epoch's weights in params, the current ones
                                 * in best (evo_train_continue swaps them back) */
};

/* Starts the state of a training with parameters tp (the schedule is laid over all tp->epochs) and
 * a copy of the stream rng. The network is initialised by the caller (evo_mlp_init). */
void evo_train_begin(struct evo_train_state *st, const struct evo_train_params *tp, const struct evo_rng *rng);

/* Trains from st on until `until` epochs (at most tp->epochs; tp must be the parameters st began
 * with), then reports as if training ended there: res->val and net->params are the weights a
 * finished training would keep at this point (the best epoch's under early stopping). When
 * res->paused, a later call with a larger `until` goes on, and the result is the same, bit for bit,
 * as one call with that `until`: pausing changes nothing. Else training ended (st->done). Errors
 * and cancellation as evo_train_run. */
int evo_train_continue(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                       const struct evo_dataset *train, const struct evo_dataset *validation,
                       struct evo_train_state *st, int until, struct evo_train_result *res,
                       struct evo_error *err);

/* Name of a training status ("ok", "diverged", "too_large", "too_small"; "unknown" outside the enum). */
const char *evo_train_status_name(int status);

#endif

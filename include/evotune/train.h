/* The mini-batch trainer of a network (mlp.h) on a data set, with the optimizers (optim.h) and the
 * epoch's row order (batch.h). Single-threaded, reentrant, allocation-free: a per-thread workspace. */
#ifndef EVOTUNE_TRAIN_H
#define EVOTUNE_TRAIN_H
#include "evotune/mlp.h"

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
 * regression network; it has no classes, so stratified and balanced selection fall back to shuffle. */
int evo_train_run(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                  const struct evo_dataset *train, const struct evo_dataset *validation,
                  struct evo_rng *rng, struct evo_train_result *res, struct evo_error *err);

/* Name of a training status ("ok", "diverged", "too_large", "too_small"; "unknown" outside the enum). */
const char *evo_train_status_name(int status);

#endif

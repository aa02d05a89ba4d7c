/* The rows of an epoch and their cut into mini-batches (enum evo_batch_selection, in mlp.h with the
 * training parameters). Single-threaded, allocation-free: every array is the workspace's. */
#ifndef EVOTUNE_BATCH_H
#define EVOTUNE_BATCH_H
#include "evotune/mlp.h"

/* Fills ws->order[0..train->n) with the rows of one epoch under `selection` (enum
 * evo_batch_selection) for batches of batch_size rows, drawing from rng (shuffle: exactly one
 * evo_rng_shuffle of 0..n-1). Stratified and balanced need labels in [0, ws->n_out). Batches are
 * consecutive runs of batch_size entries, the last one possibly shorter. Regression data (train->target
 * set) has no classes: every selection is shuffle there. Allocates nothing. Exposed
 * for tests; evo_train_run calls it once per epoch. */
void evo_batch_order(struct evo_mlp_workspace *ws, int selection, const struct evo_dataset *train,
                         size_t batch_size, struct evo_rng *rng);

/* The batch selections' stored names by enum value ("shuffle", "stratified", "balanced"), and the
 * name of one ("unknown" outside the enum). */
extern const char *const evo_batch_selection_names[EVO_BATCH_COUNT];
const char *evo_batch_selection_name(int selection);

#endif

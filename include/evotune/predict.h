/* Applying a trained network: class probabilities, predicted classes and the confusion matrix. The
 * search scores the final best on the test split with these functions and `evotune predict` applies the
 * stored model with the same ones, so a prediction run reproduces the recorded test accuracy exactly. */
#ifndef EVOTUNE_PREDICT_H
#define EVOTUNE_PREDICT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "evotune/mlp.h"

/* probs[n, n_out] = the network's class probabilities for x[n, n_in] (caller-allocated), and
 * classes[n] = the first arg-max of each row. ws must fit the network. Single-threaded. */
void evo_predict_classes(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                         size_t n, float *probs, int32_t *classes);

/* evo_predict_classes over the rows of ds (floats or bytes, read through evo_data_rows) in batches of
 * ws->max_batch rows from the first, the batches evo_mlp_predict would cut: the result is the same,
 * bit for bit, as predicting ds->x of the set held as floats. probs[ds->n, n_out], classes[ds->n]. */
void evo_predict_data(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_dataset *ds,
                      float *probs, int32_t *classes);

/* counts[C, C] = number of rows with true class i (row) predicted as j (column). Returns the
 * accuracy, trace / n (NaN when n is 0). */
double evo_predict_confusion(int64_t *counts, const int32_t *truth, const int32_t *predicted, size_t n,
                             int C);

#endif

/* What a network predicts: the classes of a batch of rows or of a whole data set (the arg-max of
 * metrics.h), and the confusion matrix of predictions against labels. */
#include "evotune/predict.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"
#include "evotune/metrics.h"

void evo_predict_classes(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                         size_t n, float *probs, int32_t *classes)
{
    size_t C = net->arch.n_out;
    evo_mlp_predict(net, ws, x, n, probs);
    for (size_t i = 0; i < n; i++)
        classes[i] = (int32_t)evo_metrics_argmax(probs + i * C, C);
}

void evo_predict_data(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_dataset *ds,
                      float *probs, int32_t *classes)
{
    size_t chunk = ws->max_batch ? ws->max_batch : 1, C = net->arch.n_out;
    float *buf = ds->bytes ? evo_mem_alloc(evo_mem_mul(evo_mem_mul(chunk, ds->d), sizeof *buf)) : NULL;
    for (size_t start = 0; start < ds->n; start += chunk) {
        size_t B = ds->n - start < chunk ? ds->n - start : chunk;
        evo_predict_classes(net, ws, evo_data_rows(ds, NULL, B, start, buf), B, probs + start * C,
                            classes + start);
    }
    free(buf);
}

double evo_predict_confusion(int64_t *counts, const int32_t *truth, const int32_t *predicted, size_t n,
                             int C)
{
    memset(counts, 0, (size_t)C * (size_t)C * sizeof *counts);
    int64_t right = 0;
    for (size_t i = 0; i < n; i++) {
        counts[(size_t)truth[i] * (size_t)C + (size_t)predicted[i]]++;
        right += truth[i] == predicted[i];
    }
    return n ? (double)right / (double)n : NAN;
}

/* Classification and regression metrics, accumulated over batches in double in row order, and the
 * fitness chosen among them. The one definition used by training (validation scores), the GA (test
 * scores) and `evotune predict`. */
#include "evotune/metrics.h"
#include <math.h>
#include <stddef.h>
#include <string.h>

#define METRIC_FIELD(m) {#m, "val_" #m, "test_" #m, offsetof(struct evo_metrics, m)},
const struct evo_metric_field evo_metrics_fields[EVO_METRIC_COUNT] = {EVO_METRICS_LIST(METRIC_FIELD)};
_Static_assert(sizeof(struct evo_metrics) == EVO_METRIC_COUNT * sizeof(double),
               "every field of struct evo_metrics is in EVO_METRICS_LIST");

const char *const evo_metrics_fitness_names[EVO_FITNESS_COUNT + 1] = {"accuracy", "macro_f1", "neg_log_loss",
                                                                     "neg_rmse", "neg_mae", "r2", NULL};

void evo_metrics_acc_init(struct evo_metrics_acc *a, size_t n_classes, size_t *counts)
{
    memset(a, 0, sizeof *a);
    a->n_classes = n_classes;
    if (n_classes) {
        memset(counts, 0, 3 * n_classes * sizeof *counts);
        a->tp = counts;
        a->n_true = counts + n_classes;
        a->n_pred = counts + 2 * n_classes;
    }
}

size_t evo_metrics_argmax(const float *p, size_t C)
{
    size_t best = 0;
    for (size_t c = 1; c < C; c++)
        if (p[c] > p[best])
            best = c;
    return best;
}

void evo_metrics_add_classes(struct evo_metrics_acc *a, const float *probs, const int32_t *y, size_t B,
                             double loss)
{
    size_t C = a->n_classes;
    for (size_t r = 0; r < B; r++) {
        const float *p = probs + r * C;
        size_t best = evo_metrics_argmax(p, C), t = (size_t)y[r];
        a->correct += best == t;
        a->tp[t] += best == t;
        a->n_true[t]++;
        a->n_pred[best]++;
        a->log_loss_sum -= log(fmax((double)p[t], 1e-30));
    }
    a->loss_sum += loss * (double)B;
    a->n += B;
}

void evo_metrics_add_values(struct evo_metrics_acc *a, const float *pred, const float *t, size_t B,
                            double loss)
{
    for (size_t r = 0; r < B; r++) {
        double e = (double)pred[r] - (double)t[r];
        a->sse += e * e;
        a->sae += fabs(e);
        /* Welford: one pass, no cancellation between a large sum of squares and n mean^2 */
        size_t k = a->n + r + 1;
        double dev = (double)t[r] - a->t_mean;
        a->t_mean += dev / (double)k;
        a->t_m2 += dev * ((double)t[r] - a->t_mean);
    }
    a->loss_sum += loss * (double)B;
    a->n += B;
}

void evo_metrics_nan(struct evo_metrics *m)
{
    m->loss = m->accuracy = m->macro_f1 = m->log_loss = m->rmse = m->mae = m->r2 = NAN;
}

void evo_metrics_finish(const struct evo_metrics_acc *a, struct evo_metrics *m)
{
    evo_metrics_nan(m);
    if (!a->n)
        return;
    double n = (double)a->n;
    m->loss = a->loss_sum / n;
    if (a->n_classes) {
        m->accuracy = (double)a->correct / n;
        m->log_loss = a->log_loss_sum / n;
        /* classes that occur neither as label nor as prediction have no F1 (sklearn's default) */
        double sum = 0;
        size_t k = 0;
        for (size_t c = 0; c < a->n_classes; c++) {
            size_t den = a->n_true[c] + a->n_pred[c];
            if (!den)
                continue;
            sum += 2.0 * (double)a->tp[c] / (double)den;
            k++;
        }
        m->macro_f1 = k ? sum / (double)k : NAN;
    } else {
        m->rmse = sqrt(a->sse / n);
        m->mae = a->sae / n;
        m->r2 = a->t_m2 > 0 ? 1.0 - a->sse / a->t_m2 : NAN;
    }
}

double evo_metrics_fitness(const struct evo_metrics *m, int f)
{
    double v;
    switch (f) {
    case EVO_FITNESS_ACCURACY: v = m->accuracy; break;
    case EVO_FITNESS_MACRO_F1: v = m->macro_f1; break;
    case EVO_FITNESS_NEG_LOG_LOSS: v = -m->log_loss; break;
    case EVO_FITNESS_NEG_RMSE: v = -m->rmse; break;
    case EVO_FITNESS_NEG_MAE: v = -m->mae; break;
    case EVO_FITNESS_R2: v = m->r2; break;
    default: v = NAN;
    }
    return isnan(v) ? -INFINITY : v;
}

int evo_metrics_is_regression(int f)
{
    return f == EVO_FITNESS_NEG_RMSE || f == EVO_FITNESS_NEG_MAE || f == EVO_FITNESS_R2;
}

const char *evo_metrics_fitness_name(int f)
{
    return f >= 0 && f < EVO_FITNESS_COUNT ? evo_metrics_fitness_names[f] : "unknown";
}

int evo_metrics_fitness_find(const char *name)
{
    for (int f = 0; f < EVO_FITNESS_COUNT; f++)
        if (!strcmp(name, evo_metrics_fitness_names[f]))
            return f;
    return -1;
}

/* Scores of a network's predictions: the classification metrics (accuracy, macro-F1, log-loss) from
 * class probabilities and labels, the regression metrics (RMSE, MAE, R^2) from predicted and true
 * values, accumulated batch by batch into caller-owned counters, and the fitness a search maximises,
 * chosen among them. Pure functions; no allocation, reentrant. */
#ifndef EVOTUNE_METRICS_H
#define EVOTUNE_METRICS_H
#include <stddef.h>
#include <stdint.h>

/* What a search maximises (config key ga.fitness). Values are stable: stored in results files. */
enum evo_fitness {
    EVO_FITNESS_ACCURACY,     /* classification: fraction of rows whose arg-max class is the label */
    EVO_FITNESS_MACRO_F1,     /* classification: unweighted mean over classes of F1 */
    EVO_FITNESS_NEG_LOG_LOSS, /* classification: minus the mean -log p(label) */
    EVO_FITNESS_NEG_RMSE,     /* regression: minus the root mean squared error (target units) */
    EVO_FITNESS_NEG_MAE,      /* regression: minus the mean absolute error (target units) */
    EVO_FITNESS_R2,           /* regression: coefficient of determination */
    EVO_FITNESS_COUNT
};

/* The metrics of one data set; NaN where the task has no such metric (or the set is empty). */
struct evo_metrics {
    double loss;       /* mean of the training loss function (the loss gene's; standardised target
                        * units for regression) */
    double accuracy;   /* classification */
    double macro_f1;   /* mean over the classes that occur as label or prediction of
                        * 2 TP / (2 TP + FP + FN); a class never predicted scores 0 */
    double log_loss;   /* mean -log max(p(label), 1e-30) of the class probabilities, nats */
    double rmse;       /* regression, in target units */
    double mae;
    double r2;         /* 1 - SSE / SST, SST about the set's own mean (NaN when SST is 0) */
};

/* The metrics of struct evo_metrics as results files store them, in the order of /individuals'
 * columns: the one list the writer, the readers, the report and the exports take their names from. A
 * metric m is the column val_<m> of /individuals and the attribute test_<m> of /best. */
#define EVO_METRICS_LIST(X) X(accuracy) X(loss) X(macro_f1) X(log_loss) X(rmse) X(mae) X(r2)
#define EVO_METRIC_COUNT 7
struct evo_metric_field {
    const char *name;      /* "accuracy" */
    const char *val_name;  /* "val_accuracy" */
    const char *test_name; /* "test_accuracy" */
    size_t offset;         /* in struct evo_metrics */
};
extern const struct evo_metric_field evo_metrics_fields[EVO_METRIC_COUNT];

/* The value of metric field k of m. */
static inline double evo_metrics_get(const struct evo_metrics *m, size_t k)
{
    return *(const double *)(const void *)((const char *)m + evo_metrics_fields[k].offset);
}

/* Sets metric field k of m. */
static inline void evo_metrics_set(struct evo_metrics *m, size_t k, double v)
{
    *(double *)(void *)((char *)m + evo_metrics_fields[k].offset) = v;
}

/* Running sums behind struct evo_metrics. counts is caller storage of 3 * n_classes entries (NULL for
 * regression). */
struct evo_metrics_acc {
    size_t n;                 /* rows added */
    size_t n_classes;         /* 0: regression */
    size_t correct;
    double loss_sum, log_loss_sum, sse, sae;
    double t_mean, t_m2;      /* Welford's mean and sum of squared deviations of the targets */
    size_t *tp, *n_true, *n_pred; /* [n_classes] each, carved from counts */
};

/* Starts an accumulation: n_classes > 0 for classification (counts[3 n_classes] zeroed here), 0 for
 * regression (counts may be NULL). */
void evo_metrics_acc_init(struct evo_metrics_acc *a, size_t n_classes, size_t *counts);

/* The class a row of probabilities p[C] predicts: its first arg-max (the one definition, which
 * evo_metrics_add_classes and predict.h use). */
size_t evo_metrics_argmax(const float *p, size_t C);

/* Adds B classified rows: probs[B, n_classes] class probabilities, y[B] labels in [0, n_classes),
 * loss the batch's mean training loss. The predicted class is the first arg-max of a row. */
void evo_metrics_add_classes(struct evo_metrics_acc *a, const float *probs, const int32_t *y, size_t B,
                             double loss);

/* Adds B regression rows: pred[B] predicted and t[B] true values (target units), loss the batch's mean
 * training loss. */
void evo_metrics_add_values(struct evo_metrics_acc *a, const float *pred, const float *t, size_t B,
                            double loss);

/* The metrics of everything added (every field NaN when nothing was). */
void evo_metrics_finish(const struct evo_metrics_acc *a, struct evo_metrics *m);

/* Every field NaN. */
void evo_metrics_nan(struct evo_metrics *m);

/* The value of fitness f in m, oriented so that larger is better (NaN becomes -inf, so that a score
 * without a value ranks last and orders totally). */
double evo_metrics_fitness(const struct evo_metrics *m, int f);

/* 1 when f is a regression metric. */
int evo_metrics_is_regression(int f);

/* The fitnesses' names by enum value ("accuracy", "macro_f1", "neg_log_loss", "neg_rmse", "neg_mae",
 * "r2"), NULL-terminated: the one list that the configuration and the results file use. */
extern const char *const evo_metrics_fitness_names[EVO_FITNESS_COUNT + 1];

/* Name of a fitness (evo_metrics_fitness_names), or "unknown"; and the id of a name, or -1. */
const char *evo_metrics_fitness_name(int f);
int evo_metrics_fitness_find(const char *name);

#endif

/* Applying the best model of a results file to a data file: predictions written as CSV, and metrics
 * when the data carry labels (`evotune predict`). Above storage: it reads results files. */
#ifndef EVOTUNE_APPLY_H
#define EVOTUNE_APPLY_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "evotune/error.h"
#include "evotune/predict.h"

/* What a prediction run found. */
struct evo_apply_summary {
    size_t n;            /* rows predicted */
    int labelled;        /* the data carried labels: the metrics below are set */
    int n_classes;       /* 0 for a regression model */
    int regression;      /* the model predicts values: rmse, mae and r2 are set, not the others */
    double rmse, mae, r2; /* against the data's targets, in their units */
    double accuracy;     /* fraction of rows whose predicted class is the label */
    double log_loss;     /* mean cross-entropy of the predicted probabilities (nats) */
    int64_t *confusion;  /* [n_classes, n_classes] rows: true class, columns: predicted (free()) */
    char **class_names;  /* [n_classes] the model's class names (owned) */
};

/* Applies the best model stored in the results file `model` to the data file `data` (CSV, or IDX
 * images with `labels` as their IDX label file or NULL), after the standardisation recorded at
 * training time, and writes one CSV row per data row to out: the predicted class name, then the
 * probability of each class (columns p_<class>), preceded by the true label when the data has one; for
 * a regression model the predicted value (column `predicted`), preceded by the true one.
 * A CSV is labelled when its header has the model's label column; its classes are matched to the
 * model's by name. Errors (EVO_EDATA, one line): unreadable model or data, feature count or feature
 * names that differ from the model's (naming the first difference), labels the model never saw. */
int evo_apply_file(const char *model, const char *data, const char *labels, FILE *out,
                     struct evo_apply_summary *s, struct evo_error *err);

void evo_apply_summary_release(struct evo_apply_summary *s);

#endif

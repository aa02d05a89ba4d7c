/* `evotune predict`: the best model of a results file applied to a data file (apply.h). */
#include "evotune/apply.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/config.h"
#include "evotune/data.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "evotune/results.h"

static int load_data(struct evo_dataset *ds, const char *data, const char *labels, const char *label,
                     int regression, int *labelled, struct evo_error *err)
{
    int has = 0;
    int rc = labels ? EVO_OK : evo_data_csv_has_column(data, label, &has, err);
    if (rc)
        return rc;
    *labelled = labels || has;
    if (labels)
        return evo_data_load_idx(ds, data, labels, err);
    if (!has)
        return evo_data_load_unlabelled(ds, data, err);
    rc = evo_data_load_csv(ds, data, label, err);
    return rc || !regression ? rc : evo_data_to_regression(ds, data, err);
}

/* Same features, same order: a model applied to shuffled columns gives confident nonsense. */
static int check_features(const struct evo_dataset *ds, const struct evo_results *r, const char *data,
                          struct evo_error *err)
{
    if ((int64_t)ds->d != r->n_features)
        return evo_error_set(err, EVO_EDATA, "%s: %zu features, the model in '%s' expects %lld", data,
                             ds->d, r->path, (long long)r->n_features);
    for (size_t j = 0; j < ds->d; j++)
        if (strcmp(ds->feature_names[j], r->feature_names[j]))
            return evo_error_set(err, EVO_EDATA,
                                 "%s: feature %zu is '%s', the model in '%s' expects '%s'", data, j + 1,
                                 ds->feature_names[j], r->path, r->feature_names[j]);
    return EVO_OK;
}

void evo_apply_summary_release(struct evo_apply_summary *s)
{
    free(s->confusion);
    for (int c = 0; s->class_names && c < s->n_classes; c++)
        free(s->class_names[c]);
    free(s->class_names);
    memset(s, 0, sizeof *s);
}

int evo_apply_file(const char *model, const char *data, const char *labels, FILE *out,
                     struct evo_apply_summary *s, struct evo_error *err)
{
    memset(s, 0, sizeof *s);
    struct evo_results r;
    struct evo_config cfg;
    struct evo_mlp net;
    struct evo_individual best;
    struct evo_dataset ds = {0};
    struct evo_mlp_workspace ws = {0};
    float *probs = NULL;
    int32_t *pred = NULL;
    int rc = evo_results_open(&r, model, err);
    if (rc)
        return rc;
    memset(&net, 0, sizeof net);
    memset(&cfg, 0, sizeof cfg);
    if (!r.feature_mean || !r.feature_std || !r.feature_names) {
        rc = evo_error_set(err, EVO_EDATA, "'%s': damaged or incomplete evotune results file", model);
        goto out;
    }
    if ((rc = evo_h5_load_model(&net, &best, model, err)))
        goto out;
    /* The search scored its test split in batches of the space's largest batch size; predicting in
     * the same batches makes the arithmetic, and so the result, identical. */
    if ((rc = evo_config_load_string(&cfg, r.config, model, NULL, 0, err)))
        goto out;
    size_t max_hidden, max_width, max_batch;
    evo_genome_space_limits(&cfg.space, &max_hidden, &max_width, &max_batch);
    if (!r.label) {
        rc = evo_error_set(err, EVO_EDATA, "'%s': damaged or incomplete evotune results file", model);
        goto out;
    }
    int labelled = 0;
    int regression = net.arch.regression;
    if ((rc = load_data(&ds, data, labels, r.label, regression, &labelled, err)) ||
        (rc = check_features(&ds, &r, data, err)))
        goto out;
    if (labelled && !regression) {
        struct evo_dataset ref = {.d = (size_t)r.n_features, .n_classes = (int)r.n_classes,
                                  .class_names = r.class_names};
        if ((rc = evo_data_align(&ds, &ref, data, err)))
            goto out;
    }
    evo_data_apply_standardize(&ds, r.feature_mean, r.feature_std);
    size_t C = net.arch.n_out;
    evo_mlp_workspace_init_for(&ws, &net.arch, max_batch, 1); /* the network bounds its own scratch */
    probs = evo_mem_alloc(evo_mem_mul(evo_mem_mul(ds.n ? ds.n : 1, C), sizeof *probs));
    pred = evo_mem_alloc(evo_mem_mul(ds.n ? ds.n : 1, sizeof *pred));
    evo_predict_data(&net, &ws, &ds, probs, pred);

    s->n = ds.n;
    s->labelled = labelled;
    if (regression) {
        s->regression = 1;
        if (labelled)
            fprintf(out, "%s,", r.label);
        fprintf(out, "predicted\n");
        for (size_t i = 0; i < ds.n; i++) {
            if (labelled)
                fprintf(out, "%.9g,", (double)ds.target[i]);
            fprintf(out, "%.9g\n", (double)probs[i]);
        }
        if (ferror(out)) {
            rc = evo_error_set(err, EVO_EIO, "cannot write the predictions: %s", strerror(errno));
            goto out;
        }
        if (labelled) {
            struct evo_metrics m;
            struct evo_metrics_acc acc;
            evo_metrics_acc_init(&acc, 0, NULL);
            evo_metrics_add_values(&acc, probs, ds.target, ds.n, NAN);
            evo_metrics_finish(&acc, &m);
            s->rmse = m.rmse;
            s->mae = m.mae;
            s->r2 = m.r2;
        }
        rc = EVO_OK;
        goto out;
    }

    /* the table */
    if (labelled)
        fprintf(out, "label,");
    fprintf(out, "predicted");
    for (size_t c = 0; c < C; c++)
        fprintf(out, ",p_%s", r.class_names[c]);
    fputc('\n', out);
    for (size_t i = 0; i < ds.n; i++) {
        if (labelled)
            fprintf(out, "%s,", r.class_names[ds.y[i]]);
        fprintf(out, "%s", r.class_names[pred[i]]);
        for (size_t c = 0; c < C; c++)
            fprintf(out, ",%.6g", (double)probs[i * C + c]);
        fputc('\n', out);
    }
    if (ferror(out)) {
        rc = evo_error_set(err, EVO_EIO, "cannot write the predictions: %s", strerror(errno));
        goto out;
    }

    s->n_classes = (int)C;
    s->class_names = evo_mem_calloc(C, sizeof *s->class_names);
    for (size_t c = 0; c < C; c++)
        s->class_names[c] = evo_mem_strdup(r.class_names[c]);
    if (labelled) {
        s->confusion = evo_mem_alloc(evo_mem_mul(evo_mem_mul(C, C), sizeof *s->confusion));
        s->accuracy = evo_predict_confusion(s->confusion, ds.y, pred, ds.n, (int)C);
        struct evo_metrics_acc acc; /* the log-loss as validation scores it (metrics.h) */
        struct evo_metrics m;
        size_t *counts = evo_mem_calloc(evo_mem_mul(3, C), sizeof *counts);
        evo_metrics_acc_init(&acc, C, counts);
        evo_metrics_add_classes(&acc, probs, ds.y, ds.n, 0.0);
        evo_metrics_finish(&acc, &m);
        s->log_loss = m.log_loss;
        free(counts);
    }
    rc = EVO_OK;
out:
    free(probs);
    free(pred);
    evo_mlp_workspace_release(&ws);
    evo_data_release(&ds);
    evo_mlp_release(&net);
    evo_config_release(&cfg);
    evo_results_release(&r);
    return rc;
}

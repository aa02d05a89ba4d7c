/* The data of a search: load, check, split, standardise (problem.h). */
#include "evotune/problem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"

static int load_split(struct evo_problem *p, const struct evo_config *cfg, struct evo_error *err)
{
    struct evo_dataset all = {0}, test = {0};
    int regression = cfg->task == EVO_TASK_REGRESSION;
    int rc = evo_data_load(&all, cfg->train, cfg->train_labels, cfg->label, err);
    if (!rc && regression)
        rc = evo_data_to_regression(&all, cfg->train, err);
    if (!rc)
        p->data_hash = evo_data_hash(&all);
    if (!rc && cfg->image_shape[0]) {
        size_t h = (size_t)cfg->image_shape[0], w = (size_t)cfg->image_shape[1];
        if (h * w != all.d || (all.image_h && (all.image_h != h || all.image_w != w)))
            rc = evo_error_set(err, EVO_ECONFIG, "data.image_shape [%zu, %zu] does not fit '%s' (%zu "
                               "features)", h, w, cfg->train, all.d);
        all.image_h = h;
        all.image_w = w;
        /* Image data of 8-bit values (pixels written as text) are held as bytes, as IDX images are:
         * a quarter of the memory, and of the memory traffic of every batch (data.h). */
        if (!rc)
            evo_data_compact(&all);
    }
    if (!rc && cfg->test) {
        rc = evo_data_load(&test, cfg->test, cfg->test_labels, cfg->label, err);
        if (!rc && regression)
            rc = evo_data_to_regression(&test, cfg->test, err);
        if (!rc)
            p->test_data_hash = evo_data_hash(&test);
        if (!rc)
            rc = evo_data_align(&test, &all, cfg->test, err);
        if (!rc && cfg->image_shape[0])
            evo_data_compact(&test);
    }
    if (!rc) {
        /* with a separate test file, the training file gives train and validation only */
        rc = evo_data_split(&all, cfg->validation_fraction, cfg->test ? 0.0 : cfg->test_fraction,
                            (uint64_t)cfg->seed, &p->train, cfg->folds ? NULL : &p->validation,
                            cfg->test ? NULL : &p->test_sealed, err);
        if (rc)
            evo_error_prefix(err, "%s", cfg->train);
    }
    if (!rc && cfg->test)
        p->test_sealed = test;
    else
        evo_data_release(&test);
    evo_data_release(&all);
    return rc;
}

/* Deals the pool (p->train) into k stratified folds and copies each fold's training and validation rows. */
static int make_folds(struct evo_problem *p, size_t k, uint64_t seed, struct evo_error *err)
{
    size_t n = p->train.n;
    size_t *fold_of = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof *fold_of));
    int rc = evo_data_folds(&p->train, k, seed, fold_of, err);
    if (!rc) {
        size_t *in = evo_mem_alloc(evo_mem_mul(n, sizeof *in)), *out = evo_mem_alloc(evo_mem_mul(n, sizeof *out));
        p->fold_train = evo_mem_calloc(k, sizeof *p->fold_train);
        p->fold_val = evo_mem_calloc(k, sizeof *p->fold_val);
        p->n_folds = k;
        for (size_t f = 0; f < k; f++) {
            size_t a = 0, b = 0;
            for (size_t i = 0; i < n; i++) {
                if (fold_of[i] == f)
                    out[b++] = i;
                else
                    in[a++] = i;
            }
            evo_data_subset(&p->fold_train[f], &p->train, in, a);
            evo_data_subset(&p->fold_val[f], &p->train, out, b);
        }
        free(in);
        free(out);
    }
    free(fold_of);
    return rc;
}

int evo_problem_load(struct evo_problem *p, const struct evo_config *cfg, struct evo_error *err)
{
    memset(p, 0, sizeof *p);
    int rc = load_split(p, cfg, err);
    if (rc) {
        evo_problem_release(p);
        return rc;
    }
    p->n_test = p->test_sealed.n;
    size_t d = p->train.d;
    p->feature_mean = evo_mem_calloc(d, sizeof(float));
    p->feature_std = evo_mem_alloc(evo_mem_mul(d, sizeof(float)));
    if (cfg->standardize)
        evo_data_standardize(&p->train, cfg->folds ? NULL : &p->validation, &p->test_sealed, p->feature_mean,
                             p->feature_std);
    else
        for (size_t j = 0; j < d; j++)
            p->feature_std[j] = 1.0f;
    p->target_mean = 0.0;
    p->target_std = 1.0;
    if (p->train.target && cfg->standardize) {
        /* The data keep their targets; the networks learn (t - mean) / std and undo it in their
         * output, so that every metric is in the targets' units. */
        double sum = 0.0, ss = 0.0;
        size_t n = p->train.n;
        for (size_t i = 0; i < n; i++)
            sum += p->train.target[i];
        p->target_mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += (p->train.target[i] - p->target_mean) * (p->train.target[i] - p->target_mean);
        p->target_std = ss > 0 ? sqrt(ss / (double)n) : 1.0;
    }
    if (cfg->folds && (rc = make_folds(p, (size_t)cfg->folds, (uint64_t)cfg->seed, err))) {
        evo_error_prefix(err, "%s", cfg->train);
        evo_problem_release(p);
        return rc;
    }
    return EVO_OK;
}

const struct evo_dataset *evo_problem_test(struct evo_problem *p)
{
    p->test_uses++;
    return &p->test_sealed;
}

size_t evo_problem_outputs(const struct evo_problem *p)
{
    return p->train.target ? 1 : (size_t)p->train.n_classes;
}

void evo_problem_release(struct evo_problem *p)
{
    evo_data_release(&p->train);
    evo_data_release(&p->validation);
    evo_data_release(&p->test_sealed);
    for (size_t f = 0; f < p->n_folds; f++) {
        evo_data_release(&p->fold_train[f]);
        evo_data_release(&p->fold_val[f]);
    }
    free(p->fold_train);
    free(p->fold_val);
    free(p->feature_mean);
    free(p->feature_std);
    memset(p, 0, sizeof *p);
}

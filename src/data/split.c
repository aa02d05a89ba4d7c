/* Choosing and copying rows: a subset of a data set, the seeded stratified split into train,
 * validation and test, the stratified assignment to cross-validation folds, and aligning a separately
 * loaded test set's classes and features with the training set's. */
#include "internal.h"
#include "evotune/mem.h"
#include "evotune/rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void evo_data_subset(struct evo_dataset *dst, const struct evo_dataset *src, const size_t *idx,
                     size_t n)
{
    memset(dst, 0, sizeof *dst);
    dst->n = n;
    dst->d = src->d;
    dst->n_classes = src->n_classes;
    dst->image_h = src->image_h;
    dst->image_w = src->image_w;
    size_t d = src->d;
    if (src->bytes) {
        dst->bytes = evo_mem_alloc(evo_mem_mul(n, d));
        for (size_t i = 0; i < n; i++)
            memcpy(dst->bytes + i * d, src->bytes + idx[i] * d, d);
        dst->scale = evo_data_scale_copy(src->scale);
    } else {
        dst->x = evo_mem_alloc(evo_mem_mul(evo_mem_mul(n, d), sizeof *dst->x));
        for (size_t i = 0; i < n; i++)
            memcpy(dst->x + i * d, src->x + idx[i] * d, d * sizeof *dst->x);
    }
    dst->y = evo_mem_alloc(evo_mem_mul(n, sizeof *dst->y));
    for (size_t i = 0; i < n; i++)
        dst->y[i] = src->y[idx[i]];
    if (src->target) {
        dst->target = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof *dst->target));
        for (size_t i = 0; i < n; i++)
            dst->target[i] = src->target[idx[i]];
    }
    dst->feature_names = evo_data_names_copy(src->feature_names, src->d);
    dst->class_names = evo_data_names_copy(src->class_names, (size_t)src->n_classes);
    dst->label_name = evo_mem_strdup(src->label_name);
}

enum { TO_TRAIN, TO_VALIDATION, TO_TEST };

int evo_data_split(const struct evo_dataset *all, double validation_fraction, double test_fraction,
                   uint64_t seed, struct evo_dataset *train, struct evo_dataset *validation,
                   struct evo_dataset *test, struct evo_error *err)
{
    memset(train, 0, sizeof *train);
    if (validation)
        memset(validation, 0, sizeof *validation);
    if (test)
        memset(test, 0, sizeof *test);
    double vf = validation_fraction, tf = test_fraction;
    if (!(vf >= 0 && vf < 1) || !(tf >= 0 && tf < 1) || !(vf + tf < 1))
        return evo_error_set(err, EVO_EDATA,
                             "split fractions must lie in [0, 1) and sum to less than 1 "
                             "(validation %g, test %g)", vf, tf);
    if (tf > 0 && !test)
        return evo_error_set(err, EVO_EDATA, "test fraction %g given but no test set to fill", tf);

    /* a regression set (every y 0) is a single class: the split is a seeded random one */
    size_t n = all->n, k = all->target ? 1 : all->n_classes > 0 ? (size_t)all->n_classes : 0;
    /* Rows grouped by class in their original order (a counting sort), then each group shuffled
     * by the one split stream, class after class, so the split depends on the seed alone. */
    size_t *start = evo_mem_calloc(k + 1, sizeof *start);
    for (size_t i = 0; i < n; i++)
        start[all->y[i] + 1]++;
    for (size_t c = 0; c < k; c++)
        start[c + 1] += start[c];
    size_t *order = evo_mem_alloc(evo_mem_mul(n, sizeof *order));
    size_t *fill = evo_mem_alloc(evo_mem_mul(k + 1, sizeof *fill));
    memcpy(fill, start, (k + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        order[fill[all->y[i]]++] = i;

    struct evo_rng rng;
    evo_rng_seed(&rng, seed, 0, 0, EVO_RNG_SPLIT);
    unsigned char *dest = evo_mem_alloc(n ? n : 1);
    size_t count[3] = {0, 0, 0};
    for (size_t c = 0; c < k; c++) {
        size_t m = start[c + 1] - start[c];
        size_t *rows = order + start[c];
        evo_rng_shuffle(&rng, rows, m);
        size_t nv = (size_t)floor(vf * (double)m + 0.5);
        size_t nt = (size_t)floor(tf * (double)m + 0.5);
        /* vf + tf < 1 keeps nv + nt <= m after rounding; the clamps only guard that argument. */
        if (nv > m)
            nv = m;
        if (nt > m - nv)
            nt = m - nv;
        for (size_t i = 0; i < m; i++) /* without a validation set its rows stay in train */
            dest[rows[i]] = i < nv ? (validation ? TO_VALIDATION : TO_TRAIN) : i < nv + nt ? TO_TEST : TO_TRAIN;
        count[validation ? TO_VALIDATION : TO_TRAIN] += nv;
        count[TO_TEST] += nt;
        count[TO_TRAIN] += m - nv - nt;
    }
    free(fill);
    free(start);

    int rc = EVO_OK;
    if (!count[TO_TRAIN] || (validation && !count[TO_VALIDATION]) || (tf > 0 && !count[TO_TEST])) {
        const char *which = !count[TO_TRAIN] ? "training" : !count[TO_VALIDATION] ? "validation" : "test";
        rc = evo_error_set(err, EVO_EDATA,
                           "%s split would be empty (%zu rows, %d classes, validation %g, test %g)",
                           which, n, all->n_classes, vf, tf);
        free(order);
        free(dest);
        return rc;
    }
    /* Gather each split in original row order. */
    size_t *pos[3];
    struct evo_dataset *out[3] = {train, validation, test};
    for (int s = 0; s < 3; s++)
        pos[s] = evo_mem_alloc(evo_mem_mul(count[s] ? count[s] : 1, sizeof *pos[s]));
    size_t at[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        pos[dest[i]][at[dest[i]]++] = i;
    for (int s = 0; s < 3; s++) {
        if (out[s])
            evo_data_subset(out[s], all, pos[s], count[s]);
        free(pos[s]);
    }
    free(order);
    free(dest);
    return EVO_OK;
}

int evo_data_folds(const struct evo_dataset *ds, size_t k, uint64_t seed, size_t *fold_of, struct evo_error *err)
{
    size_t n = ds->n, classes = ds->target ? 1 : ds->n_classes > 0 ? (size_t)ds->n_classes : 1;
    if (k < 2 || k > n)
        return evo_error_set(err, EVO_EDATA, "%zu folds of %zu rows: every fold needs a row, and there "
                             "must be at least 2 folds", k, n);
    size_t *rows = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof *rows));
    struct evo_rng rng;
    evo_rng_seed(&rng, seed, 1, 0, EVO_RNG_SPLIT);
    size_t turn = 0;
    for (size_t c = 0; c < classes; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (ds->target || (size_t)ds->y[i] == c)
                rows[m++] = i;
        evo_rng_shuffle(&rng, rows, m);
        for (size_t i = 0; i < m; i++, turn++)
            fold_of[rows[i]] = turn % k;
    }
    free(rows);
    return EVO_OK;
}

int evo_data_align(struct evo_dataset *ds, const struct evo_dataset *ref, const char *what,
                   struct evo_error *err)
{
    if (ds->d != ref->d)
        return evo_error_set(err, EVO_EDATA, "%s: %zu features, but the training data has %zu", what,
                             ds->d, ref->d);
    if (ref->target || ds->target)
        return EVO_OK; /* regression: no classes to match */
    size_t k = ds->n_classes > 0 ? (size_t)ds->n_classes : 0;
    int32_t *map = evo_mem_calloc(k, sizeof *map);
    for (size_t c = 0; c < k; c++) {
        int found = -1;
        for (int r = 0; r < ref->n_classes; r++)
            if (!strcmp(ds->class_names[c], ref->class_names[r])) {
                found = r;
                break;
            }
        if (found < 0) {
            free(map);
            return evo_error_set(err, EVO_EDATA, "%s: class '%s' does not occur in the training data",
                                 what, ds->class_names[c]);
        }
        map[c] = found;
    }
    for (size_t i = 0; i < ds->n; i++)
        ds->y[i] = map[ds->y[i]];
    free(map);
    evo_data_names_free(ds->class_names, k);
    ds->class_names = evo_data_names_copy(ref->class_names, (size_t)ref->n_classes);
    ds->n_classes = ref->n_classes;
    return EVO_OK;
}

/* A data set as a whole: releasing it and its name lists, its content hash (which a results file
 * records to identify the data a run used), and turning numeric class labels into regression
 * targets. */
#include "internal.h"
#include "evotune/mem.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char **evo_data_names_copy(char *const *v, size_t n)
{
    char **out = evo_mem_calloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = evo_mem_strdup(v[i]);
    return out;
}

void evo_data_names_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void evo_data_release(struct evo_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->bytes);
    free(ds->scale);
    free(ds->y);
    free(ds->target);
    evo_data_names_free(ds->feature_names, ds->d);
    evo_data_names_free(ds->class_names, ds->n_classes > 0 ? (size_t)ds->n_classes : 0);
    free(ds->label_name);
    memset(ds, 0, sizeof *ds);
}

uint64_t evo_data_hash(const struct evo_dataset *ds)
{
    /* Shape as little-endian 64-bit words, so the hash does not depend on sizeof(size_t). */
    unsigned char shape[16];
    uint64_t n = ds->n, d = ds->d;
    for (int i = 0; i < 8; i++) {
        shape[i] = (unsigned char)(n >> (8 * i));
        shape[8 + i] = (unsigned char)(d >> (8 * i));
    }
    uint64_t h = fnv1a(shape, sizeof shape, FNV_OFFSET);
    if (ds->bytes) {
        /* the floats the rows read as, a few rows at a time: FNV-1a runs byte by byte */
        float buf[4096];
        size_t per = ds->d && ds->d <= 4096 ? 4096 / ds->d : 1;
        float *row = ds->d > 4096 ? evo_mem_alloc(ds->d * sizeof *row) : buf;
        for (size_t i = 0; i < ds->n; i += per) {
            size_t k = ds->n - i < per ? ds->n - i : per;
            h = fnv1a(evo_data_rows(ds, NULL, k, i, row), k * ds->d * sizeof *row, h);
        }
        if (row != buf)
            free(row);
    } else {
        h = fnv1a(ds->x, ds->n * ds->d * sizeof *ds->x, h);
    }
    h = fnv1a(ds->y, ds->n * sizeof *ds->y, h);
    return ds->target ? fnv1a(ds->target, ds->n * sizeof *ds->target, h) : h;
}

int evo_data_to_regression(struct evo_dataset *ds, const char *what, struct evo_error *err)
{
    size_t k = ds->n_classes > 0 ? (size_t)ds->n_classes : 0;
    float *value = evo_mem_alloc(evo_mem_mul(k ? k : 1, sizeof *value));
    for (size_t c = 0; c < k; c++) {
        char *end;
        const char *text = ds->class_names[c];
        double v = strtod(text, &end);
        if (end == text || *end || !isfinite(v) || fabs(v) > FLT_MAX) {
            free(value);
            return evo_error_set(err, EVO_EDATA, "%s: label column '%s': expected a number, got '%.40s'",
                                 what, ds->label_name ? ds->label_name : "label", text);
        }
        value[c] = (float)v;
    }
    ds->target = evo_mem_alloc(evo_mem_mul(ds->n ? ds->n : 1, sizeof *ds->target));
    for (size_t i = 0; i < ds->n; i++) {
        ds->target[i] = value[ds->y[i]];
        ds->y[i] = 0;
    }
    free(value);
    evo_data_names_free(ds->class_names, k);
    ds->class_names = NULL;
    ds->n_classes = 0;
    return EVO_OK;
}

/* Feature values as a network sees them: reading rows as floats from float or byte storage (a byte
 * set's standardisation applied as rows are read, bit for bit what standardising floats in place
 * gives), prefetching a batch's rows, moving a set between bytes and floats, and standardisation by
 * the training split's statistics. */
#include "internal.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A byte set's standardisation, which must give the floats that standardising the set held as floats
 * in place gives: (float)(((double)v - mean) / std). A division costs several times a multiplication,
 * and with the reciprocal the same floats come out for all 256 byte values of nearly every feature:
 * the product differs from the quotient by an ulp of a double at most, and that shows in the float
 * only when the quotient lies exactly halfway between two floats. Each feature's multiplier is
 * checked against the division for every byte value when the standardisation is applied (1/std, or
 * a neighbouring double when that fails); a feature that none fits is divided. One allocation. */
struct evo_data_scale {
    size_t d, n_divide;
    double *mean;   /* [d] */
    double *std;    /* [d] */
    double *recip;  /* [d] the multiplier checked for this feature */
    size_t *divide; /* [n_divide] features computed by division */
};

static struct evo_data_scale *scale_alloc(size_t d, size_t n_divide)
{
    size_t bytes = evo_mem_mul(d, 3 * sizeof(double) + sizeof(size_t));
    struct evo_data_scale *sc = evo_mem_alloc(sizeof *sc + bytes);
    sc->d = d;
    sc->n_divide = n_divide;
    sc->mean = (double *)(sc + 1);
    sc->std = sc->mean + d;
    sc->recip = sc->std + d;
    sc->divide = (size_t *)(sc->recip + d);
    return sc;
}

struct evo_data_scale *evo_data_scale_copy(const struct evo_data_scale *src)
{
    if (!src)
        return NULL;
    struct evo_data_scale *sc = scale_alloc(src->d, src->n_divide);
    memcpy(sc->mean, src->mean, src->d * 3 * sizeof(double));
    memcpy(sc->divide, src->divide, src->n_divide * sizeof(size_t));
    return sc;
}

static int same_float(float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ua == ub; /* bits, not values: -0 and +0 differ, as do NaNs */
}

/* 1 when (float)((v - m) * r) is (float)((v - m) / s), bit for bit, for every byte value v. */
static int recip_fits(double m, double s, double r)
{
    for (int v = 0; v < 256; v++) {
        double a = (double)v - m;
        if (!same_float((float)(a * r), (float)(a / s)))
            return 0;
    }
    return 1;
}

static struct evo_data_scale *scale_new(const float *mean, const float *std, size_t d)
{
    struct evo_data_scale *sc = scale_alloc(d, 0);
    for (size_t j = 0; j < d; j++) {
        double m = mean[j], s = std[j], r = 1.0 / s;
        double candidates[3] = {r, nextafter(r, INFINITY), nextafter(r, -INFINITY)};
        sc->mean[j] = m;
        sc->std[j] = s;
        sc->recip[j] = r;
        int fits = 0;
        for (int c = 0; c < 3 && !fits; c++)
            if ((fits = recip_fits(m, s, candidates[c])))
                sc->recip[j] = candidates[c];
        if (!fits)
            sc->divide[sc->n_divide++] = j;
    }
    return sc;
}

/* One row of bytes as floats; the trainer calls this for every row of every batch, so the bulk of it
 * is a kernel of the chosen table (AVX-512 converts a row in about half the time of the scalar
 * build's SSE2). The trainer runs it with subnormals flushed to zero, which changes
 * nothing here: no result is subnormal, as a mean of byte values (a sum of integers over a row count)
 * is an integer or lies at least 1 / (2 n) from every integer, and a std is at most 255. */
static void bytes_row(float *restrict out, const uint8_t *restrict in, const struct evo_data_scale *sc,
                      size_t d)
{
    if (!sc) {
        for (size_t j = 0; j < d; j++)
            out[j] = (float)in[j];
        return;
    }
    evo_kernels()->bytes_standardize(out, in, sc->mean, sc->recip, d);
    for (size_t k = 0; k < sc->n_divide; k++) {
        size_t j = sc->divide[k];
        out[j] = (float)(((double)in[j] - sc->mean[j]) / sc->std[j]);
    }
}

const float *evo_data_rows(const struct evo_dataset *ds, const size_t *rows, size_t n, size_t first,
                           float *out)
{
    size_t d = ds->d;
    if (!ds->bytes) {
        if (!rows)
            return ds->x + first * d;
        for (size_t r = 0; r < n; r++)
            memcpy(out + r * d, ds->x + rows[r] * d, d * sizeof *out);
        return out;
    }
    for (size_t r = 0; r < n; r++)
        bytes_row(out + r * d, ds->bytes + (rows ? rows[r] : first + r) * d, ds->scale, d);
    return out;
}

void evo_data_prefetch(const struct evo_dataset *ds, const size_t *rows, size_t n)
{
    /* The rows of a shuffled batch are scattered over a data set larger than the caches: asking for
     * them a batch ahead lets their loads overlap the current batch's compute instead of stalling
     * the next gather. Of a float row only the first 256 bytes: the hardware prefetcher follows the
     * rest of a long contiguous row, and issuing every line (1568 a step for 784 float features)
     * cost more than it saved. A byte row is asked for whole (13 lines for 784 bytes): with its
     * first 256 bytes only, the byte path was 5 % slower than floats on 784-32-10 (measured). */
    size_t d = ds->d;
    for (size_t r = 0; r < n; r++) {
        const char *row = ds->bytes ? (const char *)(ds->bytes + rows[r] * d)
                                    : (const char *)(ds->x + rows[r] * d);
        size_t len = ds->bytes ? d : d * sizeof(float) < 256 ? d * sizeof(float) : 256;
        for (size_t b = 0; b < len; b += 64)
            __builtin_prefetch(row + b, 0, 1);
    }
}

void evo_data_to_floats(struct evo_dataset *ds)
{
    if (!ds->bytes)
        return;
    float *x = evo_mem_alloc(evo_mem_mul(evo_mem_mul(ds->n, ds->d), sizeof *x));
    evo_data_rows(ds, NULL, ds->n, 0, x);
    free(ds->bytes);
    free(ds->scale);
    ds->bytes = NULL;
    ds->scale = NULL;
    ds->x = x;
}

int evo_data_compact(struct evo_dataset *ds)
{
    if (ds->bytes || !ds->x)
        return 0;
    size_t total = ds->n * ds->d;
    for (size_t i = 0; i < total; i++) {
        float v = ds->x[i];
        if (!(v >= 0.0f && v <= 255.0f) || v != (float)(int)v || signbit(v))
            return 0;
    }
    ds->bytes = evo_mem_alloc(total);
    for (size_t i = 0; i < total; i++)
        ds->bytes[i] = (uint8_t)ds->x[i];
    free(ds->x);
    ds->x = NULL;
    return 1;
}

void evo_data_apply_standardize(struct evo_dataset *ds, const float *mean, const float *std)
{
    if (!ds)
        return;
    if (ds->bytes && ds->scale)
        evo_data_to_floats(ds);
    if (ds->bytes) {
        ds->scale = scale_new(mean, std, ds->d);
        return;
    }
    for (size_t i = 0; i < ds->n; i++) {
        float *row = ds->x + i * ds->d;
        for (size_t j = 0; j < ds->d; j++)
            row[j] = (float)(((double)row[j] - mean[j]) / std[j]);
    }
}

/* Feature j of row i as it is stored (before a byte set's standardisation). */
static float stored(const struct evo_dataset *ds, size_t i, size_t j)
{
    return ds->bytes ? (float)ds->bytes[i * ds->d + j] : ds->x[i * ds->d + j];
}

void evo_data_standardize(struct evo_dataset *train, struct evo_dataset *validation,
                          struct evo_dataset *test, float *mean, float *std)
{
    size_t n = train->n, d = train->d;
    if (train->bytes && train->scale)
        evo_data_to_floats(train); /* statistics of what the rows read as */
    for (size_t j = 0; j < d; j++) {
        double sum = 0;
        float lo = n ? stored(train, 0, j) : 0, hi = lo;
        for (size_t i = 0; i < n; i++) {
            float v = stored(train, i, j);
            sum += v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (lo == hi) {
            /* Exactly constant: the computed mean may be off by rounding, which would turn the
             * zeros this feature should become into noise. */
            mean[j] = lo;
            std[j] = 1;
            continue;
        }
        double m = sum / (double)n, ss = 0;
        for (size_t i = 0; i < n; i++) {
            double t = stored(train, i, j) - m;
            ss += t * t;
        }
        double s = sqrt(ss / (double)n);
        mean[j] = (float)m;
        std[j] = s > 0 && (float)s > 0 ? (float)s : 1;
    }
    /* The float mean and std are what a caller stores and applies to new data later, so the data
     * here are transformed with exactly those values. */
    evo_data_apply_standardize(train, mean, std);
    evo_data_apply_standardize(validation, mean, std);
    evo_data_apply_standardize(test, mean, std);
}

/* Data sets: loading CSV and MNIST-style IDX files (plain or gzip), a seeded stratified split into
 * train/validation/test, standardisation with statistics of the training split only, and reading
 * rows as the floats a network sees (evo_data_rows). 8-bit image data are held as bytes, a quarter
 * of the floats' memory and memory traffic, and standardised as rows are read.
 * A loaded data set is immutable afterwards and shared read-only by every training thread. */
#ifndef EVOTUNE_DATA_H
#define EVOTUNE_DATA_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "evotune/error.h"

struct evo_data_scale;

struct evo_dataset {
    size_t n;              /* rows */
    size_t d;              /* features per row */
    float *x;              /* [n, d] row-major features; NULL when the set is held as bytes */
    uint8_t *bytes;        /* [n, d] row-major features of a set held as bytes (IDX images, or image
                            * data whose every value is an integer in [0, 255]: evo_data_compact),
                            * else NULL. Read them with evo_data_rows, which applies `scale`. */
    struct evo_data_scale *scale; /* bytes only: the standardisation evo_data_rows applies (NULL:
                                   * raw values); set by evo_data_(apply_)standardize, opaque */
    int32_t *y;            /* [n] class index in [0, n_classes); all 0 for a regression set */
    int n_classes;         /* 0 for a regression set (and an unlabelled one) */
    float *target;         /* [n] regression targets in the file's units; NULL for classification */
    char **feature_names;  /* [d] column names (CSV header; "pixel_<i>" for IDX) */
    char **class_names;    /* [n_classes] label values as written in the file, in class-index order */
    char *label_name;      /* name of the label column ("label" for IDX) */
    size_t image_h, image_w; /* image rows and columns when every row is one grayscale image
                              * (image_h * image_w == d; IDX files, or data.image_shape), else 0 */
};

/* Loads a CSV file (plain or .gz) with a header row. `label` names the label column by its header
 * name, or by a 0-based index written in decimal (negative counts from the end: "-1" is the last
 * column). Every other column must hold numbers. Labels may be integers (classes ordered by value)
 * or any other text (classes ordered by byte order of their text).
 * Errors (EVO_EDATA, message "FILE:LINE: ..."): missing file, empty file, ragged row, non-numeric or
 * empty cell, unknown label column, fewer than 2 classes, truncated gzip stream.
 * On error *ds is left empty (safe to release). Not thread-safe with respect to ds only. */
int evo_data_load_csv(struct evo_dataset *ds, const char *path, const char *label,
                      struct evo_error *err);

/* Loads an IDX image file (idx3, unsigned bytes) and its IDX label file (idx1), plain or gzip.
 * Pixels are held as bytes (ds->bytes; they read as floats in [0, 255]); classes are the distinct
 * label values, ascending.
 * Errors (EVO_EDATA): bad magic, sizes that disagree between the two files or with the file length,
 * truncated file or gzip stream. */
int evo_data_load_idx(struct evo_dataset *ds, const char *images, const char *labels,
                      struct evo_error *err);

/* Chooses the loader from the file's first bytes (after gzip decompression): a file that starts
 * with two zero bytes, as IDX's magic number does (0x00000803 images), is IDX and needs `labels`, an
 * IDX label file (0x00000801); so is a file named "*idx*-ubyte" or "*.idx*" (with optional .gz),
 * whatever it holds, so that a damaged one is reported as IDX. Anything else is CSV and uses
 * `label`. */
int evo_data_load(struct evo_dataset *ds, const char *path, const char *labels, const char *label,
                  struct evo_error *err);

/* Loads a data set without labels, for applying a model to new data: a CSV file whose every column is
 * a feature, or an IDX image file alone. y is all 0, n_classes 0, class_names and label_name NULL.
 * Errors as the loaders above. */
int evo_data_load_unlabelled(struct evo_dataset *ds, const char *path, struct evo_error *err);

/* Turns a data set loaded as a classification set into a regression set: every class name must be a
 * number (strtod, finite, float range), which becomes the target of the rows of that class; y is zeroed
 * and the classes dropped. Errors (EVO_EDATA, "WHAT: label column 'L': expected a number, got 'X'").
 * On error ds is unchanged. */
int evo_data_to_regression(struct evo_dataset *ds, const char *what, struct evo_error *err);

/* *has = 1 when path is a CSV file whose header row has a column called name (0 for IDX files). */
int evo_data_csv_has_column(const char *path, const char *name, int *has, struct evo_error *err);

/* Frees everything ds owns and zeroes it. Safe on a zeroed or already released data set. */
void evo_data_release(struct evo_dataset *ds);

/* Copies the rows idx[0..n) of src into dst (features, as floats or bytes with their standardisation,
 * labels or targets, and a copy of names and classes). */
void evo_data_subset(struct evo_dataset *dst, const struct evo_dataset *src, const size_t *idx,
                     size_t n);

/* Stratified, seeded split of `all` into train, validation and test (a regression set is one class:
 * a seeded random split). Within every class the rows are
 * shuffled by the stream (seed, 0, 0, EVO_RNG_SPLIT) and cut so that each split holds round(fraction *
 * class count) rows of it (the remainder goes to train). test may be NULL when test_fraction is 0
 * (a separate test file); validation may be NULL, and its rows then stay in train (cross-validation's
 * pool: the test rows are those of the same split with a validation set). Rows keep their original
 * relative order inside each split.
 * Errors (EVO_EDATA): fractions outside [0, 1) or summing to >= 1, or a split left without rows. */
int evo_data_split(const struct evo_dataset *all, double validation_fraction, double test_fraction,
                   uint64_t seed, struct evo_dataset *train, struct evo_dataset *validation,
                   struct evo_dataset *test, struct evo_error *err);

/* Stratified, seeded assignment of ds's rows to k folds, fold_of[i] in [0, k): within every class the
 * rows are shuffled by the stream (seed, 1, 0, EVO_RNG_SPLIT) and dealt to the folds in turn, the turn
 * going on from one class to the next, so that fold sizes differ by at most one and every class is
 * spread evenly (a regression set is one class). Errors (EVO_EDATA): k < 2, or more folds than rows. */
int evo_data_folds(const struct evo_dataset *ds, size_t k, uint64_t seed, size_t *fold_of, struct evo_error *err);

/* Remaps the labels of `ds` to the class indices of `ref` (matching class names), and checks that the
 * feature count agrees (for regression sets, only the feature count). Used for a separately loaded test file. Errors (EVO_EDATA) name `what` (the
 * file) and the unknown class or the feature counts. */
int evo_data_align(struct evo_dataset *ds, const struct evo_dataset *ref, const char *what,
                   struct evo_error *err);

/* Computes per-feature mean and standard deviation over `train` (double accumulation; a feature with
 * zero spread gets std 1), writes them to mean[d] and std[d], and standardises train, and validation
 * and test when not NULL, as evo_data_apply_standardize does. */
void evo_data_standardize(struct evo_dataset *train, struct evo_dataset *validation,
                          struct evo_dataset *test, float *mean, float *std);

/* Applies a stored standardisation, x = (x - mean) / std computed in double and rounded to float,
 * exactly as evo_data_standardize does (ds may be NULL): a float set in place; a set held as bytes
 * keeps its bytes and records the standardisation, which evo_data_rows applies with the same result,
 * bit for bit. A byte set that already has one becomes floats first, so that the two compose as
 * they do on floats. */
void evo_data_apply_standardize(struct evo_dataset *ds, const float *mean, const float *std);

/* Holds a float set as bytes when every feature value is an integer in [0, 255] (and not -0, whose
 * bits differ from 0's): ds->x is freed and ds->bytes takes its place. Returns 1 when it did, 0 when
 * the set stays float (a value outside that range, a non-integer, or already bytes). Rows read the same before and
 * after, bit for bit, and evo_data_hash does not change. */
int evo_data_compact(struct evo_dataset *ds);

/* The features of n rows as the floats a network sees: standardised, when a standardisation was
 * applied, exactly as evo_data_apply_standardize computes it. With rows NULL, the n contiguous rows
 * first..first+n; otherwise the rows rows[0..n) (first is ignored). Writes them to out[n, d] and
 * returns out, except that contiguous rows of a float set are not copied: the return value points
 * into ds->x. The one way to read features that works for both float and byte sets. Reads ds only:
 * any number of threads may call it on one set, each with its own out. */
const float *evo_data_rows(const struct evo_dataset *ds, const size_t *rows, size_t n, size_t first,
                           float *out);

/* Asks the CPU to start loading rows[0..n) of ds into the caches (a hint; no effect on results), so
 * that a trainer can overlap the next batch's loads with this batch's compute. */
void evo_data_prefetch(const struct evo_dataset *ds, const size_t *rows, size_t n);

/* Writes ds as CSV in the shipped format: a header row of feature names then the label column (its
 * class names, or a regression set's targets), floats with 9 significant digits so that they read back exactly. Unlabelled data sets
 * get no label column. Returns 0, or -1 on a write error. */
int evo_data_write_csv(const struct evo_dataset *ds, FILE *f);

/* 64-bit FNV-1a hash of the shape, features and labels (and targets, for a regression set): identifies
 * a data set's content. Features are hashed as the bytes of their floats, so that a set held as bytes
 * hashes as it did when it was held as floats. */
uint64_t evo_data_hash(const struct evo_dataset *ds);

/* Turns a byte set into a float set holding what its rows read as (evo_data_rows), bit for bit; a
 * float set is left as it is. Aborts with the size on out of memory. */
void evo_data_to_floats(struct evo_dataset *ds);

#endif

/* Reading a results file into named columns for export, reports and prediction. Tables are read
 * field by field with one-member compound types, so any set of genes (and any later field) is read
 * without this file knowing the schema; enums keep their names. */
#include "evotune/results.h"
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/fmt.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "h5io.h"

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void table_release(struct evo_table *t)
{
    for (size_t c = 0; c < t->n_cols; c++) {
        free(t->cols[c].name);
        free_strings(t->cols[c].enum_names, (size_t)t->cols[c].n_enum);
        free(t->cols[c].values);
    }
    free(t->cols);
    memset(t, 0, sizeof *t);
}

void evo_results_release(struct evo_results *r)
{
    table_release(&r->individuals);
    table_release(&r->generations);
    table_release(&r->best_individual);
    table_release(&r->curves);
    table_release(&r->folds);
    free(r->written_at);
    free(r->strategy);
    free(r->strategy_state);
    free(r->best_layer_sizes);
    free(r->confusion);
    free(r->path);
    free(r->config);
    free(r->state);
    free(r->evotune_version);
    free(r->task);
    free(r->fitness);
    free_strings(r->feature_names, (size_t)r->n_features);
    free_strings(r->class_names, (size_t)r->n_classes);
    free(r->label);
    free(r->feature_mean);
    free(r->feature_std);
    memset(r, 0, sizeof *r);
}

/* Rows of the 1-D dataset name (its current extent); 0 when absent or not 1-D. */
static size_t dataset_rows(hid_t loc, const char *name)
{
    if (H5LTfind_dataset(loc, name) <= 0)
        return 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return 0;
    hid_t s = H5Dget_space(d);
    hsize_t dims[1] = {0};
    size_t n = s >= 0 && H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, dims, NULL) == 1
                   ? (size_t)dims[0] : 0;
    if (s >= 0)
        H5Sclose(s);
    H5Dclose(d);
    return n;
}

/* A 1-D integer attribute; *n receives its length. NULL when absent or not 1-D integers. */
static int64_t *attr_int_array(hid_t obj, const char *name, size_t *n)
{
    *n = 0;
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t s = H5Aget_space(a), t = H5Aget_type(a);
    hssize_t count = H5Sget_simple_extent_npoints(s);
    int64_t *v = NULL;
    if (H5Tget_class(t) == H5T_INTEGER && H5Sget_simple_extent_ndims(s) == 1 && count > 0) {
        v = evo_mem_alloc(evo_mem_mul((size_t)count, sizeof *v));
        if (H5Aread(a, H5T_NATIVE_INT64, v) >= 0) {
            *n = (size_t)count;
        } else {
            free(v);
            v = NULL;
        }
    }
    H5Tclose(t);
    H5Sclose(s);
    H5Aclose(a);
    return v;
}

/* A 2-D integer dataset of shape [n, n] as int64. NULL when absent or of another shape. */
static int64_t *read_square_int64(hid_t loc, const char *name, int64_t n)
{
    if (n <= 0 || !evo_h5_has_shape(loc, name, 2, (hsize_t)n, (hsize_t)n))
        return NULL;
    size_t count = evo_mem_mul((size_t)n, (size_t)n);
    int64_t *v = evo_mem_alloc(evo_mem_mul(count, sizeof *v));
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0 || H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        free(v);
        v = NULL;
    }
    if (d >= 0)
        H5Dclose(d);
    return v;
}

/* Reads a 1-D dataset of variable-length strings; *n receives its length. NULL when absent. */
static char **read_strings(hid_t loc, const char *name, size_t *n)
{
    *n = 0;
    if (H5LTfind_dataset(loc, name) <= 0)
        return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t s = H5Dget_space(d), t = evo_h5io_string_type();
    hssize_t count = H5Sget_simple_extent_npoints(s);
    char **raw = evo_mem_calloc(count > 0 ? (size_t)count : 1, sizeof *raw), **out = NULL;
    if (count >= 0 && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0) {
        out = evo_mem_calloc(count > 0 ? (size_t)count : 1, sizeof *out);
        for (hssize_t i = 0; i < count; i++)
            out[i] = evo_mem_strdup(raw[i] ? raw[i] : "");
        H5Dvlen_reclaim(t, s, H5P_DEFAULT, raw);
        *n = (size_t)count;
    }
    free(raw);
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    return out;
}

static float *read_floats(hid_t loc, const char *name, size_t expect)
{
    if (!evo_h5_has_shape(loc, name, 1, expect, 0))
        return NULL;
    float *v = evo_mem_alloc(evo_mem_mul(expect ? expect : 1, sizeof *v));
    if (H5LTread_dataset_float(loc, name, v) < 0) {
        free(v);
        return NULL;
    }
    return v;
}

/* How an enum column's stored values become the reader's: the member stored as value[k] reads as
 * index[k], its name's place in enum_names. */
struct enum_map {
    int n;
    long long *value;
    int *index;
};

/* The value a stored enum value v reads as, or -1 for a value that names no member. */
static double enum_read(const struct enum_map *m, long long v)
{
    for (int k = 0; k < m->n; k++)
        if (m->value[k] == v)
            return m->index[k];
    return -1;
}

/* Sets up column col from member `member` of the compound file type ftype: its name, its kind and, for
 * an enum, its names and how the stored values map to them (*map). Enums are mapped by name: a column
 * the writer knows (evo_h5_enum_names) reads with the writer's values whatever numbers the file gives
 * its names; another reads as its members in the order of their values. values[n] zeroed. Returns 0,
 * or -1 for a member that is neither integer, float nor enum, or an enum that names a value the writer
 * does not know or twice (not a file we wrote). */
static int column_init(struct evo_column *col, struct enum_map *map, hid_t ftype, unsigned member, size_t n)
{
    hid_t mt = H5Tget_member_type(ftype, member);
    H5T_class_t cls = H5Tget_class(mt);
    char *name = H5Tget_member_name(ftype, member);
    int rc = 0;
    col->name = evo_mem_strdup(name ? name : "");
    H5free_memory(name);
    col->values = evo_mem_calloc(n ? n : 1, sizeof(double));
    if (cls == H5T_INTEGER) {
        col->kind = EVO_COLUMN_INT;
    } else if (cls == H5T_FLOAT) {
        col->kind = EVO_COLUMN_FLOAT;
    } else if (cls == H5T_ENUM) {
        col->kind = EVO_COLUMN_ENUM;
        hid_t native = H5Tget_native_type(mt, H5T_DIR_ASCEND);
        size_t size = H5Tget_size(native);
        int nm = H5Tget_nmembers(mt);
        const char *known[64];
        int nk = evo_h5_enum_names(col->name, known, 64);
        map->n = nm > 0 ? nm : 0;
        map->value = evo_mem_calloc((size_t)map->n + 1, sizeof *map->value);
        map->index = evo_mem_calloc((size_t)map->n + 1, sizeof *map->index);
        col->n_enum = nk > 0 ? nk : map->n;
        col->enum_names = evo_mem_calloc((size_t)col->n_enum + 1, sizeof(char *));
        for (int k = 0; k < nk; k++)
            col->enum_names[k] = evo_mem_strdup(known[k]);
        for (int k = 0; k < map->n && !rc; k++) {
            long long v = 0;
            char *en = H5Tget_member_name(native, (unsigned)k);
            rc = !en || H5Tget_member_value(native, (unsigned)k, &v) < 0 ? -1 : 0;
            /* little-endian: the low bytes of v hold the value whatever the base size */
            map->value[k] = size == 1 ? (int8_t)v : size == 2 ? (int16_t)v : size == 4 ? (int32_t)v : v;
            map->index[k] = -1;
            for (int j = 0; !rc && j < nk; j++)
                if (!strcmp(en, known[j]))
                    map->index[k] = j;
            if (!rc && nk <= 0) { /* not one of ours: members by value */
                map->index[k] = 0;
                for (int j = 0; j < k; j++)
                    map->index[map->value[j] < map->value[k] ? k : j]++;
                col->enum_names[k] = evo_mem_strdup(en);
            }
            if (map->index[k] < 0)
                rc = -1;
            for (int j = 0; !rc && j < k; j++)
                if (map->index[j] == map->index[k] || map->value[j] == map->value[k])
                    rc = -1;
            H5free_memory(en);
        }
        if (!rc && nk <= 0) { /* enum_names[k] is member k's name: put it at its place by value */
            char **by_value = evo_mem_calloc((size_t)col->n_enum + 1, sizeof *by_value);
            for (int k = 0; k < map->n; k++)
                by_value[map->index[k]] = col->enum_names[k];
            free(col->enum_names);
            col->enum_names = by_value;
        }
        H5Tclose(native);
    } else {
        rc = -1;
    }
    H5Tclose(mt);
    return rc;
}

/* Value of a member of class cls, size bytes, signed or not, at p (native byte order), as a double;
 * an enum's base integer is signed, as its values 0 .. n_enum - 1 are. */
static double member_value(const unsigned char *p, H5T_class_t cls, size_t size, int is_signed)
{
    if (cls == H5T_FLOAT) {
        if (size == sizeof(float)) {
            float v;
            memcpy(&v, p, sizeof v);
            return v;
        }
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    if (size == 8) {
        int64_t v;
        memcpy(&v, p, 8);
        return is_signed ? (double)v : (double)(uint64_t)v;
    }
    if (size == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return is_signed ? (double)v : (double)(uint32_t)v;
    }
    if (size == 2) {
        int16_t v;
        memcpy(&v, p, 2);
        return is_signed ? (double)v : (double)(uint16_t)v;
    }
    return is_signed ? (double)(int8_t)p[0] : (double)p[0];
}

/* Rows read at once: a block of the table in its native layout, a few MiB whatever the table's size. */
#define READ_BLOCK_BYTES ((size_t)8 << 20)

/* Reads every column of the compound dataset d (file type ftype, n rows) into t->cols, whose names and
 * kinds column_init set: the rows a block at a time in the native layout of the file's type, each
 * block converted column by column. One pass over the file, where reading a column at a time made
 * HDF5 read the whole table once per column (100 times for /individuals). Returns 0 or -1. */
static int read_rows(hid_t d, hid_t ftype, struct evo_table *t, const struct enum_map *maps)
{
    hid_t mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND), fspace = H5Dget_space(d), mspace = -1;
    size_t row = mtype >= 0 ? H5Tget_size(mtype) : 0, n_cols = t->n_cols;
    int rc = mtype >= 0 && fspace >= 0 && row > 0 ? 0 : -1;
    size_t slots = n_cols ? n_cols : 1;
    size_t *offset = evo_mem_calloc(slots, sizeof *offset), *size = evo_mem_calloc(slots, sizeof *size);
    H5T_class_t *cls = evo_mem_calloc(slots, sizeof *cls);
    int *is_signed = evo_mem_calloc(slots, sizeof *is_signed);
    for (size_t c = 0; !rc && c < n_cols; c++) {
        hid_t m = H5Tget_member_type(mtype, (unsigned)c);
        if (m < 0) {
            rc = -1;
            break;
        }
        offset[c] = H5Tget_member_offset(mtype, (unsigned)c);
        size[c] = H5Tget_size(m);
        cls[c] = H5Tget_class(m);
        is_signed[c] = cls[c] == H5T_ENUM || H5Tget_sign(m) != H5T_SGN_NONE;
        H5Tclose(m);
        int sized = cls[c] == H5T_FLOAT ? size[c] == 4 || size[c] == 8
                                        : size[c] == 1 || size[c] == 2 || size[c] == 4 || size[c] == 8;
        if (!sized || offset[c] + size[c] > row)
            rc = -1;
    }
    size_t block = rc || READ_BLOCK_BYTES / row == 0 ? 1 : READ_BLOCK_BYTES / row;
    if (block > t->n_rows)
        block = t->n_rows ? t->n_rows : 1;
    unsigned char *buf = rc ? NULL : evo_mem_alloc(evo_mem_mul(block, row));
    for (size_t first = 0; !rc && first < t->n_rows; first += block) {
        hsize_t start[1] = {first}, count[1] = {t->n_rows - first < block ? t->n_rows - first : block};
        if ((mspace = H5Screate_simple(1, count, NULL)) < 0 ||
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(d, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0) {
            rc = -1;
        } else {
            for (size_t c = 0; c < n_cols; c++) {
                double *out = t->cols[c].values + first;
                const unsigned char *p = buf + offset[c];
                for (size_t i = 0; i < count[0]; i++, p += row)
                    out[i] = member_value(p, cls[c], size[c], is_signed[c]);
                for (size_t i = 0; cls[c] == H5T_ENUM && i < count[0]; i++)
                    if ((out[i] = enum_read(&maps[c], (long long)out[i])) < 0)
                        rc = -1;
            }
        }
        if (mspace >= 0)
            H5Sclose(mspace);
        mspace = -1;
    }
    free(buf);
    free(offset);
    free(size);
    free(cls);
    free(is_signed);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mtype >= 0)
        H5Tclose(mtype);
    return rc;
}

static int read_table(hid_t file, const char *name, struct evo_table *t)
{
    if (H5LTfind_dataset(file, name) <= 0)
        return -1;
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t s = H5Dget_space(d), ft = H5Dget_type(d);
    int rc = -1;
    hssize_t n = H5Sget_simple_extent_npoints(s);
    int nm = H5Tget_class(ft) == H5T_COMPOUND ? H5Tget_nmembers(ft) : -1;
    struct enum_map *maps = NULL;
    if (n >= 0 && nm > 0 && H5Sget_simple_extent_ndims(s) == 1 && evo_h5_stored(d)) {
        t->n_rows = (size_t)n;
        t->cols = evo_mem_calloc((size_t)nm, sizeof *t->cols);
        maps = evo_mem_calloc((size_t)nm, sizeof *maps);
        rc = 0;
        for (int m = 0; m < nm && !rc; m++) {
            rc = column_init(&t->cols[t->n_cols], &maps[m], ft, (unsigned)m, t->n_rows);
            t->n_cols++;
        }
        if (!rc && t->n_rows)
            rc = read_rows(d, ft, t, maps);
    }
    for (int m = 0; maps && m < nm; m++) {
        free(maps[m].value);
        free(maps[m].index);
    }
    free(maps);
    H5Tclose(ft);
    H5Sclose(s);
    H5Dclose(d);
    return rc;
}

/* The numeric attributes of the root and of /best, and where each goes in struct evo_results. Every
 * format read (6 and later) has them all, but for the two that only cross-validated runs write. */
struct number_attr {
    const char *name;
    size_t offset;
    int is_int;   /* int64_t field, else double */
    int optional; /* absent reads as 0 */
};
#define INT_ATTR(name, field) {name, offsetof(struct evo_results, field), 1, 0}
#define F64_ATTR(name, field) {name, offsetof(struct evo_results, field), 0, 0}
#define CV_ATTR(name, field) {name, offsetof(struct evo_results, field), 1, 1}

static const struct number_attr root_numbers[] = {
    INT_ATTR("seed", seed), INT_ATTR("n_train", n_train), INT_ATTR("n_validation", n_validation),
    INT_ATTR("n_test", n_test), INT_ATTR("n_features", n_features), INT_ATTR("n_classes", n_classes),
    INT_ATTR("workers", workers), INT_ATTR("trials_done", trials_done), INT_ATTR("trials_decided", trials_decided),
    INT_ATTR("generations_done", generations_done), INT_ATTR("threads", threads), INT_ATTR("time_up", time_up),
    F64_ATTR("elapsed_seconds", elapsed_seconds), F64_ATTR("time_limit_seconds", time_limit_seconds),
};

static const struct number_attr best_numbers[] = {
    INT_ATTR("id", best_id), F64_ATTR("fitness", best_fitness), CV_ATTR("final_epochs", final_epochs),
    CV_ATTR("final_rows", final_rows),
};

/* Reads the attributes a[0..n) of obj into r; returns the name of the first that is required and
 * absent, or NULL. */
static const char *read_numbers(struct evo_results *r, hid_t obj, const struct number_attr *a, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!a[k].optional && H5Aexists(obj, a[k].name) <= 0)
            return a[k].name;
        void *field = (char *)r + a[k].offset;
        if (a[k].is_int)
            *(int64_t *)field = evo_h5io_i64_or(obj, a[k].name, 0);
        else
            *(double *)field = evo_h5io_f64_or(obj, a[k].name, 0);
    }
    return NULL;
}

/* The string attributes of the root, every one required. */
static const struct {
    const char *name;
    size_t offset;
} root_strings[] = {
    {"state", offsetof(struct evo_results, state)}, {"evotune_version", offsetof(struct evo_results, evotune_version)},
    {"task", offsetof(struct evo_results, task)}, {"fitness", offsetof(struct evo_results, fitness)},
    {"strategy", offsetof(struct evo_results, strategy)},
    {"strategy_state", offsetof(struct evo_results, strategy_state)},
    {"written_at", offsetof(struct evo_results, written_at)},
};

int evo_results_open(struct evo_results *r, const char *path, struct evo_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = evo_mem_strdup(path);
    hid_t f = evo_h5_open(path, err);
    if (f < 0) {
        evo_results_release(r);
        return EVO_EDATA;
    }
    int rc = EVO_OK;
    r->format_version = evo_h5io_i64_or(f, "format_version", -1); /* evo_h5_open checked it */
    r->config = evo_h5io_dup_str(f, "config");
    if (!r->config || read_table(f, "individuals", &r->individuals) || read_table(f, "generations", &r->generations)) {
        rc = evo_error_set(err, EVO_EDATA, "'%s' is not an evotune results file", path);
        goto out;
    }
    const char *missing = read_numbers(r, f, root_numbers, sizeof root_numbers / sizeof *root_numbers);
    for (size_t k = 0; !missing && k < sizeof root_strings / sizeof *root_strings; k++)
        if (!(*(char **)(void *)((char *)r + root_strings[k].offset) = evo_h5io_dup_str(f, root_strings[k].name)))
            missing = root_strings[k].name;
    if (missing) {
        rc = evo_error_set(err, EVO_EDATA, "'%s': incomplete evotune results file: no attribute '%s'", path,
                           missing);
        goto out;
    }
    r->regression = !strcmp(r->task, "regression");
    r->n_in_flight = dataset_rows(f, "in_flight");
    /* optional: a table of another shape is left out rather than refused, so a report still shows
     * everything else */
    if (H5LTfind_dataset(f, "curves") > 0 && read_table(f, "curves", &r->curves))
        table_release(&r->curves);
    if (H5LTfind_dataset(f, "folds") > 0 && read_table(f, "folds", &r->folds))
        table_release(&r->folds);
    if (H5Lexists(f, "data", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "data", H5P_DEFAULT);
        size_t nf = 0, nc = 0;
        r->feature_names = read_strings(g, "feature_names", &nf);
        r->class_names = read_strings(g, "class_names", &nc);
        r->label = evo_h5io_dup_str(g, "label");
        if ((int64_t)nf != r->n_features || (int64_t)nc != r->n_classes) {
            H5Gclose(g);
            rc = evo_error_set(err, EVO_EDATA, "'%s': /data does not match n_features and n_classes", path);
            goto out;
        }
        r->feature_mean = read_floats(g, "feature_mean", nf);
        r->feature_std = read_floats(g, "feature_std", nf);
        H5Gclose(g);
    }
    if (H5Lexists(f, "best", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "best", H5P_DEFAULT);
        r->has_best = 1;
        const char *missing_best = read_numbers(r, g, best_numbers, sizeof best_numbers / sizeof *best_numbers);
        for (size_t k = 0; !missing_best && k < EVO_METRIC_COUNT; k++) { /* test_<metric> */
            if (H5Aexists(g, evo_metrics_fields[k].test_name) <= 0)
                missing_best = evo_metrics_fields[k].test_name;
            evo_metrics_set(&r->test, k, evo_h5io_f64_or(g, evo_metrics_fields[k].test_name, NAN));
        }
        if (missing_best) {
            H5Gclose(g);
            rc = evo_error_set(err, EVO_EDATA, "'%s': incomplete evotune results file: no attribute '/best/%s'",
                               path, missing_best);
            goto out;
        }
        if (H5LTfind_dataset(g, "individual") > 0 && read_table(g, "individual", &r->best_individual))
            table_release(&r->best_individual);
        r->best_layer_sizes = attr_int_array(g, "layer_sizes", &r->n_best_layers);
        r->confusion = read_square_int64(g, "confusion_matrix", r->n_classes);
        H5Gclose(g);
    }
out:
    H5Fclose(f);
    if (rc)
        evo_results_release(r);
    return rc;
}

const struct evo_column *evo_results_column(const struct evo_table *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (!strcmp(t->cols[c].name, name))
            return &t->cols[c];
    return NULL;
}

void evo_results_format(char *buf, size_t n, const struct evo_column *c, size_t i, const char *nan_text)
{
    double v = c->values[i];
    if (c->kind == EVO_COLUMN_ENUM && v >= 0 && v < c->n_enum)
        snprintf(buf, n, "%s", c->enum_names[(int)v]);
    else if (isnan(v))
        snprintf(buf, n, "%s", nan_text);
    else if (c->kind == EVO_COLUMN_FLOAT)
        evo_fmt_float(buf, n, v); /* "0.0": a float column must not read back as integers */
    else
        snprintf(buf, n, "%.0f", v);
}

int evo_results_write_csv(const struct evo_table *t, FILE *f)
{
    char buf[64];
    for (size_t c = 0; c < t->n_cols; c++)
        fprintf(f, "%s%s", c ? "," : "", t->cols[c].name);
    fputc('\n', f);
    for (size_t i = 0; i < t->n_rows; i++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            evo_results_format(buf, sizeof buf, &t->cols[c], i, "");
            fprintf(f, "%s%s", c ? "," : "", buf);
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int evo_results_write_jsonl(const struct evo_table *t, FILE *f)
{
    char buf[64];
    for (size_t i = 0; i < t->n_rows; i++) {
        fputc('{', f);
        for (size_t c = 0; c < t->n_cols; c++) {
            const struct evo_column *col = &t->cols[c];
            evo_results_format(buf, sizeof buf, col, i, "null");
            /* infinities have no JSON spelling */
            if (col->kind == EVO_COLUMN_FLOAT && isinf(col->values[i]))
                snprintf(buf, sizeof buf, "null");
            int quoted = col->kind == EVO_COLUMN_ENUM;
            fprintf(f, "%s\"%s\": %s%s%s", c ? ", " : "", col->name, quoted ? "\"" : "", buf, quoted ? "\"" : "");
        }
        fputs("}\n", f);
    }
    return ferror(f) ? -1 : 0;
}

size_t evo_results_finalists(const struct evo_results *r, struct evo_finalist **out)
{
    const struct evo_table *t = &r->individuals;
    const struct evo_column *id = evo_results_column(t, "id"), *pa = evo_results_column(t, "parent_a"),
                            *purpose = evo_results_column(t, "purpose"), *fit = evo_results_column(t, "fitness"),
                            *status = evo_results_column(t, "status");
    *out = NULL;
    if (!id || !pa || !purpose || !fit || !status || !t->n_rows)
        return 0;
    struct evo_individual *rows = evo_mem_calloc(t->n_rows, sizeof *rows);
    for (size_t i = 0; i < t->n_rows; i++) {
        rows[i].id = (int64_t)id->values[i];
        rows[i].parent_a = (int64_t)pa->values[i];
        rows[i].purpose = (int32_t)purpose->values[i];
        rows[i].fitness = fit->values[i];
        rows[i].status = (int32_t)status->values[i];
    }
    size_t n = evo_finalists_summarize(rows, t->n_rows, out);
    free(rows);
    return n;
}

/* Writing the results file: root attributes, /individuals and /generations as compound tables
 * (categorical genes as HDF5 enums), /data (feature and class names, standardisation) and /best
 * (genome, test metrics, weights). Temporary file + fsync + rename keeps the published file whole. */
#include "evotune/h5.h"
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "evotune/mem.h"

void evo_h5_init(void)
{
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* Fails the enclosing write when an HDF5 call returns a negative id or status. */
#define TRY(call)                                                                              \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            what = #call;                                                                          \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* ---- typed attribute and dataset helpers; each returns < 0 on failure ---- */

static hid_t string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static herr_t attr_write(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, type, value);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static herr_t attr_i64(hid_t obj, const char *name, int64_t v) { return attr_write(obj, name, H5T_NATIVE_INT64, &v); }
static herr_t attr_u64(hid_t obj, const char *name, uint64_t v) { return attr_write(obj, name, H5T_NATIVE_UINT64, &v); }
static herr_t attr_f64(hid_t obj, const char *name, double v) { return attr_write(obj, name, H5T_NATIVE_DOUBLE, &v); }

static herr_t attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = string_type();
    herr_t rc = t < 0 ? -1 : attr_write(obj, name, t, &v);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

static herr_t write_strings(hid_t loc, const char *name, char *const *v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t t = string_type();
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = (t < 0 || space < 0) ? -1 : H5Dcreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : (n ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : 0);
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

static herr_t write_floats(hid_t loc, const char *name, const float *v, int rank, const hsize_t *dims)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = space < 0 ? -1 : H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* A chunked table with an unlimited first dimension, so that readers and later writers (resume) can
 * grow it with H5Dset_extent. */
static herr_t write_table(hid_t loc, const char *name, hid_t type, const void *rows, size_t n)
{
    hsize_t dims[1] = {n}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {256};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    herr_t rc = (space < 0 || plist < 0) ? -1 : H5Pset_chunk(plist, 1, chunk);
    hid_t d = rc < 0 ? -1 : H5Dcreate2(loc, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    rc = d < 0 ? -1 : (n ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) : 0);
    if (d >= 0)
        H5Dclose(d);
    if (plist >= 0)
        H5Pclose(plist);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static hid_t enum_type(const char *const *names, int n)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    for (int8_t k = 0; t >= 0 && k < n; k++)
        if (H5Tenum_insert(t, names[k], &k) < 0) {
            H5Tclose(t);
            return -1;
        }
    return t;
}

/* ---- /individuals: one packed row layout serves the file type, the memory type and the packing ---- */

enum { F_GENERATION, F_ID, F_PARENT_A, F_PARENT_B, F_GENE0,
       F_FITNESS = F_GENE0 + EVO_GENE_COUNT, F_VAL_ACCURACY, F_VAL_LOSS, F_TRAIN_LOSS, F_TRAIN_SECONDS,
       F_STATUS, F_COUNT };

struct row_layout {
    size_t size;
    size_t off[F_COUNT];
    hid_t type;
};

static const char *const status_names[] = {"ok", "diverged"};

static const char *field_name(int f)
{
    static const char *const fixed[] = {"generation", "id", "parent_a", "parent_b"};
    static const char *const tail[] = {"fitness", "val_accuracy", "val_loss", "train_loss", "train_seconds", "status"};
    return f < F_GENE0 ? fixed[f] : f < F_FITNESS ? evo_genome_gene(f - F_GENE0)->name : tail[f - F_FITNESS];
}

/* The HDF5 type of field f; enum types are created and must be closed by the caller (is_new). */
static hid_t field_type(int f, int *is_new)
{
    *is_new = 0;
    if (f == F_GENERATION)
        return H5T_NATIVE_INT32;
    if (f <= F_PARENT_B)
        return H5T_NATIVE_INT64;
    if (f == F_STATUS) {
        *is_new = 1;
        return enum_type(status_names, EVO_TRAIN_STATUS_COUNT);
    }
    if (f >= F_FITNESS)
        return H5T_NATIVE_DOUBLE;
    const struct evo_gene_info *g = evo_genome_gene(f - F_GENE0);
    if (g->type == EVO_GENE_ENUM) {
        *is_new = 1;
        return enum_type(g->enum_names, g->n_enum);
    }
    return g->type == EVO_GENE_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
}

static int layout_init(struct row_layout *L)
{
    size_t size = 0;
    for (int f = 0; f < F_COUNT; f++) {
        int is_new;
        hid_t t = field_type(f, &is_new);
        if (t < 0)
            return -1;
        L->off[f] = size;
        size += H5Tget_size(t);
        if (is_new)
            H5Tclose(t);
    }
    L->size = size;
    L->type = H5Tcreate(H5T_COMPOUND, size);
    for (int f = 0; L->type >= 0 && f < F_COUNT; f++) {
        int is_new;
        hid_t t = field_type(f, &is_new);
        herr_t rc = t < 0 ? -1 : H5Tinsert(L->type, field_name(f), L->off[f], t);
        if (is_new && t >= 0)
            H5Tclose(t);
        if (rc < 0) {
            H5Tclose(L->type);
            L->type = -1;
        }
    }
    return L->type < 0 ? -1 : 0;
}

static void pack_row(unsigned char *p, const struct row_layout *L, const struct evo_individual *r)
{
    int64_t i64;
    int8_t i8;
    memcpy(p + L->off[F_GENERATION], &r->generation, 4);
    memcpy(p + L->off[F_ID], &r->id, 8);
    memcpy(p + L->off[F_PARENT_A], &r->parent_a, 8);
    memcpy(p + L->off[F_PARENT_B], &r->parent_b, 8);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        unsigned char *q = p + L->off[F_GENE0 + g];
        switch (evo_genome_gene(g)->type) {
        case EVO_GENE_ENUM: i8 = (int8_t)r->genome.g[g]; memcpy(q, &i8, 1); break;
        case EVO_GENE_INT: i64 = (int64_t)r->genome.g[g]; memcpy(q, &i64, 8); break;
        default: memcpy(q, &r->genome.g[g], 8);
        }
    }
    const double tail[] = {r->fitness, r->val_accuracy, r->val_loss, r->train_loss, r->train_seconds};
    for (int k = 0; k < 5; k++)
        memcpy(p + L->off[F_FITNESS + k], &tail[k], 8);
    i8 = (int8_t)r->status;
    memcpy(p + L->off[F_STATUS], &i8, 1);
}

/* ---- /generations ---- */

static hid_t generations_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct evo_generation));
    if (t < 0)
        return -1;
#define G_FIELD(name, type)                                                                         \
    if (H5Tinsert(t, #name, offsetof(struct evo_generation, name), type) < 0)                       \
        goto fail;
    G_FIELD(generation, H5T_NATIVE_INT32)
    G_FIELD(evaluations, H5T_NATIVE_INT32)
    G_FIELD(failures, H5T_NATIVE_INT32)
    G_FIELD(best_fitness, H5T_NATIVE_DOUBLE)
    G_FIELD(mean_fitness, H5T_NATIVE_DOUBLE)
    G_FIELD(std_fitness, H5T_NATIVE_DOUBLE)
    G_FIELD(wall_seconds, H5T_NATIVE_DOUBLE)
#undef G_FIELD
    return t;
fail:
    H5Tclose(t);
    return -1;
}

/* ---- the file ---- */

static int write_contents(hid_t file, const struct evo_ga *ga, const char **what_out)
{
    const char *what = NULL;
    const struct evo_config *cfg = ga->cfg;
    struct row_layout L = {.type = -1};
    hid_t gtype = -1, grp = -1, sub = -1;
    unsigned char *rows = NULL;
    char buf[64];
    int rc = -1;

    /* root attributes: provenance, data set shape, run state */
    TRY(attr_i64(file, "format_version", EVO_H5_FORMAT_VERSION));
    TRY(attr_str(file, "evotune_version", EVOTUNE_VERSION));
    TRY(attr_str(file, "config", cfg->text ? cfg->text : ""));
    TRY(attr_i64(file, "seed", cfg->seed));
    TRY(attr_i64(file, "threads", ga->threads));
    TRY(attr_i64(file, "n_train", (int64_t)ga->train.n));
    TRY(attr_i64(file, "n_validation", (int64_t)ga->validation.n));
    TRY(attr_i64(file, "n_test", (int64_t)ga->test.n));
    TRY(attr_i64(file, "n_features", (int64_t)ga->train.d));
    TRY(attr_i64(file, "n_classes", ga->train.n_classes));
    TRY(attr_u64(file, "data_hash", ga->data_hash));
    TRY(attr_str(file, "fitness", "validation accuracy"));
    TRY(attr_str(file, "state", ga->finished ? "finished" : "running"));
    TRY(attr_i64(file, "generations_done", (int64_t)ga->n_gens));
    TRY(attr_i64(file, "generations", cfg->generations));
    time_t now = time(NULL);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    TRY(attr_str(file, "written_at", buf));

    /* /individuals */
    TRY(layout_init(&L));
    rows = evo_mem_calloc(ga->n_rows ? ga->n_rows : 1, L.size);
    for (size_t i = 0; i < ga->n_rows; i++)
        pack_row(rows + i * L.size, &L, &ga->rows[i]);
    TRY(write_table(file, "individuals", L.type, rows, ga->n_rows));
    TRY(grp = H5Dopen2(file, "individuals", H5P_DEFAULT));
    TRY(attr_str(grp, "units", "train_seconds: s (wall time); fitness, val_accuracy: fraction; losses: mean cross-entropy, nats"));
    TRY(H5Dclose(grp));
    grp = -1;

    /* /generations */
    TRY(gtype = generations_type());
    TRY(write_table(file, "generations", gtype, ga->gens, ga->n_gens));

    /* /data: what a model needs to be applied to new data */
    TRY(grp = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    TRY(write_strings(grp, "feature_names", ga->train.feature_names, ga->train.d));
    TRY(write_strings(grp, "class_names", ga->train.class_names, (size_t)ga->train.n_classes));
    hsize_t dd[1] = {ga->train.d};
    TRY(write_floats(grp, "feature_mean", ga->feature_mean, 1, dd));
    TRY(write_floats(grp, "feature_std", ga->feature_std, 1, dd));
    TRY(attr_str(grp, "label", ga->train.label_name ? ga->train.label_name : ""));
    TRY(attr_str(grp, "train_file", cfg->train));
    TRY(attr_str(grp, "test_file", cfg->test ? cfg->test : ""));
    TRY(H5Gclose(grp));
    grp = -1;

    /* /best */
    if (ga->has_best) {
        TRY(grp = H5Gcreate2(file, "best", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        pack_row(rows, &L, &ga->best);
        TRY(write_table(grp, "individual", L.type, rows, 1));
        for (int g = 0; g < EVO_GENE_COUNT; g++) {
            const struct evo_gene_info *gi = evo_genome_gene(g);
            double v = ga->best.genome.g[g];
            if (gi->type == EVO_GENE_ENUM) {
                evo_genome_format(buf, sizeof buf, g, v);
                TRY(attr_str(grp, gi->name, buf));
            } else if (gi->type == EVO_GENE_INT) {
                TRY(attr_i64(grp, gi->name, (int64_t)v));
            } else {
                TRY(attr_f64(grp, gi->name, v));
            }
        }
        TRY(attr_i64(grp, "id", ga->best.id));
        TRY(attr_f64(grp, "fitness", ga->best.fitness));
        TRY(attr_f64(grp, "val_accuracy", ga->best.val_accuracy));
        TRY(attr_f64(grp, "test_accuracy", ga->test_accuracy));
        TRY(attr_f64(grp, "test_loss", ga->test_loss));
        const struct evo_mlp *net = &ga->best_net;
        int64_t sizes[EVO_MLP_MAX_HIDDEN + 2];
        sizes[0] = (int64_t)net->arch.n_in;
        for (size_t l = 0; l < net->arch.n_hidden; l++)
            sizes[l + 1] = (int64_t)net->arch.hidden[l];
        sizes[net->n_layers] = (int64_t)net->arch.n_out;
        hsize_t nl[1] = {net->n_layers + 1};
        TRY(H5LTset_attribute_long_long(grp, ".", "layer_sizes", (const long long *)sizes, nl[0]));
        TRY(attr_str(grp, "output", "softmax"));
        TRY(sub = H5Gcreate2(grp, "weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        for (size_t l = 0; l < net->n_layers; l++) {
            char name[64];
            hsize_t wd[2] = {(hsize_t)sizes[l], (hsize_t)sizes[l + 1]}, bd[1] = {(hsize_t)sizes[l + 1]};
            snprintf(name, sizeof name, "dense_%zu_kernel", l);
            TRY(write_floats(sub, name, net->params + net->w_off[l], 2, wd));
            snprintf(name, sizeof name, "dense_%zu_bias", l);
            TRY(write_floats(sub, name, net->params + net->b_off[l], 1, bd));
        }
        TRY(H5Gclose(sub));
        sub = -1;
        TRY(H5Gclose(grp));
        grp = -1;
    }
    rc = 0;
fail:
    if (sub >= 0)
        H5Gclose(sub);
    if (grp >= 0)
        H5Oclose(grp);
    if (gtype >= 0)
        H5Tclose(gtype);
    if (L.type >= 0)
        H5Tclose(L.type);
    free(rows);
    *what_out = what;
    return rc;
}

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path)
{
    char *dup = evo_mem_strdup(path);
    int rc = 0;
    for (char *p = dup + 1; *p && !rc; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dup, 0777) && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    free(dup);
    return rc;
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int evo_h5_write(const struct evo_ga *ga, const char *path, struct evo_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = evo_mem_alloc(n);
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
    if (make_parents(path)) {
        evo_error_set(err, EVO_EIO, "cannot create the directory of '%s': %s", path, strerror(errno));
        free(tmp);
        return EVO_EIO;
    }
    errno = 0;
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        evo_error_set(err, EVO_EIO, "cannot create '%s': %s", tmp, errno ? strerror(errno) : "HDF5 error");
        free(tmp);
        return EVO_EIO;
    }
    const char *what = NULL;
    errno = 0;
    int rc = write_contents(file, ga, &what);
    int saved = errno;
    if (H5Fclose(file) < 0 && !rc) {
        rc = -1;
        what = "H5Fclose";
        saved = errno;
    }
    if (!rc && fsync_path(tmp, O_RDONLY)) {
        rc = -1;
        what = "fsync";
        saved = errno;
    }
    if (!rc && rename(tmp, path)) {
        rc = -1;
        what = "rename";
        saved = errno;
    }
    if (rc) {
        unlink(tmp);
        /* errno is worth quoting only when it says why a write failed; HDF5 leaves stale values */
        if (saved != ENOSPC && saved != EDQUOT && saved != EIO && saved != EROFS && saved != EACCES &&
            saved != EFBIG && saved != EISDIR && saved != ENOTDIR && saved != EXDEV && saved != EPERM)
            saved = 0;
        evo_error_set(err, EVO_EIO, "cannot write '%s': %s failed%s%s", path, what,
                      saved ? ": " : "", saved ? strerror(saved) : "");
        free(tmp);
        return EVO_EIO;
    }
    /* the rename itself is durable only once the directory is synced */
    char *dir = evo_mem_strdup(path);
    fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY);
    free(dir);
    free(tmp);
    return EVO_OK;
}

/* Writing and reading the run log file: root attributes, /individuals, /in_flight, /curves, /folds and
 * /generations (their layouts in rows.c), /data and /best (its network in model.c). The file is built
 * in memory, sealed (seal.c) and published by the file layer (file.h), which keeps it whole; it is
 * opened, summarised for `info`, and loaded back for `resume`. */
#include "evotune/h5.h"
#include <ctype.h>
#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "evotune/file.h"
#include "evotune/genome.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "h5io.h"
#include "model.h"
#include "rows.h"
#include "seal.h"

static int write_contents(hid_t file, const struct evo_runlog *log, const char **what_out)
{
    const char *what = NULL;
    const struct evo_config *cfg = log->cfg;
    const struct evo_problem *pb = log->problem;
    struct evo_h5_row_layout L = {.type = -1};
    hid_t gtype = -1, ctype = -1, ftype = -1, grp = -1;
    unsigned char *rows = NULL;
    struct evo_curve_row *curves = NULL;
    struct evo_fold_row *folds = NULL;
    char buf[64];
    int rc = -1;

    /* root attributes: provenance, data set shape, run state */
    TRY(evo_h5io_put_i64(file, "format_version", EVO_H5_FORMAT_VERSION));
    TRY(evo_h5io_put_str(file, "evotune_version", EVOTUNE_VERSION));
    TRY(evo_h5io_put_str(file, "isa", evo_kernels()->name)); /* the kernel table that did the arithmetic */
    TRY(evo_h5io_put_str(file, "config", cfg->text ? cfg->text : ""));
    TRY(evo_h5io_put_i64(file, "seed", cfg->seed));
    TRY(evo_h5io_put_i64(file, "threads", log->threads));
    TRY(evo_h5io_put_i64(file, "n_train", (int64_t)pb->train.n));
    TRY(evo_h5io_put_i64(file, "n_validation", (int64_t)pb->validation.n));
    TRY(evo_h5io_put_i64(file, "n_test", (int64_t)pb->n_test));
    TRY(evo_h5io_put_i64(file, "n_features", (int64_t)pb->train.d));
    TRY(evo_h5io_put_i64(file, "n_classes", pb->train.n_classes));
    TRY(evo_h5io_put_u64(file, "data_hash", pb->data_hash));
    TRY(evo_h5io_put_u64(file, "test_data_hash", pb->test_data_hash));
    TRY(evo_h5io_put_str(file, "task", cfg->task == EVO_TASK_REGRESSION ? "regression" : "classification"));
    TRY(evo_h5io_put_str(file, "fitness", evo_metrics_fitness_name(cfg->fitness)));
    TRY(evo_h5io_put_str(file, "state", log->finished ? "finished" : log->stopped ? "interrupted" : "running"));
    TRY(evo_h5io_put_str(file, "strategy", evo_config_strategy_name(cfg->strategy)));
    TRY(evo_h5io_put_str(file, "strategy_state", log->strategy_state));
    TRY(evo_h5io_put_i64(file, "workers", cfg->workers));
    TRY(evo_h5io_put_i64(file, "trials_done", (int64_t)log->n_rows));
    TRY(evo_h5io_put_i64(file, "trials_decided", log->trials_decided));
    TRY(evo_h5io_put_i64(file, "generations_done", (int64_t)log->n_gens));
    TRY(evo_h5io_put_f64(file, "elapsed_seconds", log->elapsed));
    TRY(evo_h5io_put_f64(file, "time_limit_seconds", cfg->time_limit));
    TRY(evo_h5io_put_i64(file, "time_up", log->time_up));
    TRY(evo_h5io_put_i64(file, "writer_pid", (int64_t)getpid()));
    if (gethostname(buf, sizeof buf))
        buf[0] = '\0';
    buf[sizeof buf - 1] = '\0';
    TRY(evo_h5io_put_str(file, "writer_host", buf));
    time_t now = time(NULL);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    TRY(evo_h5io_put_str(file, "written_at", buf));

    /* /individuals */
    TRY(evo_h5_layout_init(&L));
    size_t n_ind = log->n_rows;
    size_t room = log->n_rows > log->n_in_flight ? log->n_rows : log->n_in_flight;
    rows = evo_mem_calloc(evo_mem_add(room, 1), L.size);
    for (size_t i = 0; i < log->n_rows; i++)
        evo_h5_pack_row(rows + i * L.size, &L, &log->rows[i], 1);
    TRY(evo_h5io_write_table(file, "individuals", L.type, rows, n_ind));
    TRY(grp = H5Dopen2(file, "individuals", H5P_DEFAULT));
    TRY(evo_h5io_put_str(grp, "units", "train_seconds: s (wall time); finished_at: s of the run's running time "
                               "(over every resume) when the result arrived; fitness: the root attribute fitness's "
                               "score, larger is better; val_accuracy, val_macro_f1: fraction; "
                               "val_log_loss: nats; val_rmse, val_mae: target units; val_loss, "
                               "train_loss: mean of the loss gene's loss; NaN: not the task's metric"));
    TRY(H5Dclose(grp));
    grp = -1;

    /* /curves */
    size_t n_curves;
    curves = evo_h5_curve_rows(log);
    n_curves = log->n_curves;
    TRY(ctype = evo_h5_curves_type());
    TRY(evo_h5io_write_table(file, "curves", ctype, curves, n_curves));
    TRY(grp = H5Dopen2(file, "curves", H5P_DEFAULT));
    TRY(evo_h5io_put_str(grp, "units", "epoch: 0-based; losses: mean of the loss gene's loss (train_loss with "
                               "dropout active); val_fitness: the validation score of the root "
                               "attribute fitness"));
    TRY(H5Dclose(grp));
    grp = -1;

    /* /folds: cross-validation only */
    if (pb->n_folds) {
        folds = evo_h5_fold_rows(log);
        TRY(ftype = evo_h5_folds_type());
        TRY(evo_h5io_write_table(file, "folds", ftype, folds, log->n_fold_rows));
    }

    /* /generations */
    TRY(gtype = evo_h5_generations_type());
    TRY(evo_h5io_write_table(file, "generations", gtype, log->gens, log->n_gens));

    /* /in_flight: trials decided and not finished (what a resume trains first), every gene kept */
    memset(rows, 0, evo_mem_add(room, 1) * L.size);
    for (size_t i = 0; i < log->n_in_flight; i++)
        evo_h5_pack_row(rows + i * L.size, &L, &log->in_flight[i], 0);
    TRY(evo_h5io_write_table(file, "in_flight", L.type, rows, log->n_in_flight));

    /* /data: what a model needs to be applied to new data */
    TRY(grp = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    TRY(evo_h5io_write_strings(grp, "feature_names", pb->train.feature_names, pb->train.d));
    TRY(evo_h5io_write_strings(grp, "class_names", pb->train.class_names, (size_t)pb->train.n_classes));
    hsize_t dd[1] = {pb->train.d};
    TRY(evo_h5io_write_floats(grp, "feature_mean", pb->feature_mean, 1, dd));
    TRY(evo_h5io_write_floats(grp, "feature_std", pb->feature_std, 1, dd));
    TRY(evo_h5io_put_str(grp, "label", pb->train.label_name ? pb->train.label_name : ""));
    TRY(evo_h5io_put_f64(grp, "target_mean", pb->target_mean));
    TRY(evo_h5io_put_f64(grp, "target_std", pb->target_std));
    TRY(evo_h5io_put_str(grp, "train_file", cfg->train));
    TRY(evo_h5io_put_str(grp, "test_file", cfg->test ? cfg->test : ""));
    TRY(H5Gclose(grp));
    grp = -1;

    /* /best */
    if (log->has_best && log->best_net.n_params) {
        TRY(grp = H5Gcreate2(file, "best", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        evo_h5_pack_row(rows, &L, &log->best, 1);
        TRY(evo_h5io_write_table(grp, "individual", L.type, rows, 1));
        for (int g = 0; g < EVO_GENE_COUNT; g++) {
            const struct evo_gene_info *gi = evo_genome_gene(g);
            double v = evo_genome_active(&log->best.genome, g) ? log->best.genome.g[g] : evo_genome_inactive_value(g);
            if (gi->type == EVO_GENE_ENUM) {
                evo_genome_format(buf, sizeof buf, g, v);
                TRY(evo_h5io_put_str(grp, gi->name, buf));
            } else if (gi->type == EVO_GENE_INT) {
                TRY(evo_h5io_put_i64(grp, gi->name, (int64_t)v));
            } else {
                TRY(evo_h5io_put_f64(grp, gi->name, v));
            }
        }
        TRY(evo_h5io_put_i64(grp, "id", log->best.id));
        TRY(evo_h5io_put_f64(grp, "fitness", log->best.fitness));
        TRY(evo_h5io_put_f64(grp, "val_accuracy", log->best.val.accuracy));
        for (size_t k = 0; k < EVO_METRIC_COUNT; k++) /* test_<metric> */
            TRY(evo_h5io_put_f64(grp, evo_metrics_fields[k].test_name, evo_metrics_get(&log->test_metrics, k)));
        const struct evo_mlp *net = &log->best_net;
        long long sizes[EVO_MLP_MAX_HIDDEN + 2]; /* the dense layers' inputs, then the outputs */
        for (size_t i = 0, d = 0; i < net->n_table; i++)
            if (net->table[i].kind == EVO_LAYER_DENSE) {
                sizes[d++] = (long long)(net->table[i].c * net->table[i].h * net->table[i].w);
                sizes[d] = (long long)net->table[i].oc;
            }
        hsize_t nl[1] = {net->n_layers + 1};
        TRY(H5LTset_attribute_long_long(grp, ".", "layer_sizes", sizes, nl[0]));
        if (pb->n_folds) { /* cross-validated: trained again on every row of the folds */
            TRY(evo_h5io_put_i64(grp, "final_epochs", log->final_epochs));
            TRY(evo_h5io_put_i64(grp, "final_rows", (int64_t)pb->train.n));
        }
        TRY(evo_h5io_put_str(grp, "output", net->arch.regression ? "linear"
                                    : net->arch.loss == EVO_LOSS_BINARY_CROSS_ENTROPY ? "sigmoid" : "softmax"));
        if (log->confusion) {
            hsize_t cd[2] = {(hsize_t)pb->train.n_classes, (hsize_t)pb->train.n_classes};
            TRY(H5LTmake_dataset(grp, "confusion_matrix", 2, cd, H5T_NATIVE_INT64, log->confusion));
        }
        if (evo_h5_write_model(grp, net, &what))
            goto fail;
        TRY(H5Gclose(grp));
        grp = -1;
    }
    rc = 0;
fail:
    if (grp >= 0)
        H5Oclose(grp);
    if (gtype >= 0)
        H5Tclose(gtype);
    if (ctype >= 0)
        H5Tclose(ctype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (L.type >= 0)
        H5Tclose(L.type);
    free(rows);
    free(curves);
    free(folds);
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

/* Writes the whole file in memory (HDF5's core driver, no backing store), so that its bytes reach the
 * disk through the file layer in one piece, sealed; returns the image (heap) and its size, or NULL. */
static void *file_image(const struct evo_runlog *log, const char *name, size_t *size, const char **what)
{
    void *image = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t file = fapl < 0 || fcpl < 0 || H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 ||
                         H5Pset_userblock(fcpl, EVO_H5_USERBLOCK) < 0
                     ? -1 : H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    *what = file < 0 ? "H5Fcreate" : NULL;
    if (file >= 0 && !write_contents(file, log, what)) {
        /* the image is what the driver holds: the metadata cache must be written out first. It
         * starts at the superblock; the user block in front of it is the seal's. */
        ssize_t n = H5Fflush(file, H5F_SCOPE_LOCAL) < 0 ? -1 : H5Fget_file_image(file, NULL, 0);
        image = n > 0 ? evo_mem_alloc(evo_mem_add((size_t)n, EVO_H5_USERBLOCK)) : NULL;
        if (!image || H5Fget_file_image(file, (char *)image + EVO_H5_USERBLOCK, (size_t)n) != n) {
            *what = "H5Fget_file_image";
            free(image);
            image = NULL;
        }
        *size = (size_t)n + EVO_H5_USERBLOCK;
        if (image)
            evo_h5_seal(image, *size);
    }
    if (file >= 0 && H5Fclose(file) < 0 && image) {
        *what = "H5Fclose";
        free(image);
        image = NULL;
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    return image;
}

int evo_h5_write(const struct evo_runlog *log, const char *path, struct evo_error *err)
{
    if (make_parents(path))
        return evo_error_set(err, EVO_EIO, "cannot create the directory of '%s': %s", path, strerror(errno));
    size_t size = 0;
    const char *what = NULL;
    void *image = file_image(log, path, &size, &what);
    if (!image)
        return evo_error_set(err, EVO_EIO, "cannot write '%s': %s failed", path, what);
    int rc = evo_file_publish(path, image, size, err);
    free(image);
    return rc;
}

/* ---- reading ---- */

hid_t evo_h5_open(const char *path, struct evo_error *err)
{
    if (access(path, R_OK))
        return evo_error_set(err, EVO_EDATA, "cannot open '%s': %s", path, strerror(errno)), -1;
    /* HDF5 trusts what it reads, and some damage makes it crash: damage is caught before it reads.
     * HDF5 opens the path again: a writer's rename in between swaps in another whole, sealed file. */
    int sealed = evo_h5_check_seal(path, err);
    if (sealed < 0)
        return -1;
    if (H5Fis_hdf5(path) <= 0) /* reads the signature alone */
        return evo_error_set(err, EVO_EDATA, "'%s' is not an HDF5 file", path), -1;
    if (!sealed) /* every file of the formats read is sealed: another program's, or damaged in its first bytes */
        return evo_error_set(err, EVO_EDATA,
                             "'%s' is not an evotune results file: it has no seal line (every file of format 6 "
                             "and later has one; an older file is read by evotune 0.1.0)", path), -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return evo_error_set(err, EVO_EDATA, "cannot open '%s': damaged HDF5 file", path), -1;
    int64_t v;
    if (evo_h5io_get_i64(f, "format_version", &v) || H5Aexists(f, "evotune_version") <= 0) {
        H5Fclose(f);
        return evo_error_set(err, EVO_EDATA, "'%s' is not an evotune results file", path), -1;
    }
    if (v < EVO_H5_FORMAT_OLDEST || v > EVO_H5_FORMAT_VERSION) {
        /* the evotune that wrote it reads it: name it (formats up to 5 are evotune 0.1.0's) */
        char writer[64] = "";
        evo_h5io_get_str(f, "evotune_version", writer, sizeof writer);
        for (char *c = writer; *c; c++)
            *c = isgraph((unsigned char)*c) ? *c : '?'; /* one line, whatever the file holds */
        H5Fclose(f);
        return evo_error_set(err, EVO_EDATA,
                             "'%s' has format version %lld, written by evotune %s, which reads it; this "
                             "evotune (%s) reads versions %d to %d", path, (long long)v,
                             writer[0] ? writer : "(unknown)", EVOTUNE_VERSION, EVO_H5_FORMAT_OLDEST,
                             EVO_H5_FORMAT_VERSION), -1;
    }
    return f;
}

void evo_h5_summary_release(struct evo_h5_summary *s)
{
    free(s->config);
    memset(s, 0, sizeof *s);
}

int evo_h5_summary_read(struct evo_h5_summary *s, const char *path, struct evo_error *err)
{
    memset(s, 0, sizeof *s);
    hid_t f = evo_h5_open(path, err);
    if (f < 0)
        return EVO_EDATA;
    char host[256] = "", here[256] = "";
    int bad = evo_h5io_get_i64(f, "format_version", &s->format_version) || !(s->config = evo_h5io_dup_str(f, "config")) ||
              evo_h5io_get_str(f, "state", s->state, sizeof s->state) ||
              evo_h5io_get_i64(f, "generations_done", &s->generations_done) ||
              evo_h5io_get_str(f, "strategy", s->strategy, sizeof s->strategy) ||
              evo_h5io_get_str(f, "strategy_state", s->strategy_state, sizeof s->strategy_state) ||
              evo_h5io_get_i64(f, "trials_decided", &s->trials_decided) || evo_h5io_get_i64(f, "workers", &s->workers) ||
              H5LTget_attribute_double(f, ".", "elapsed_seconds", &s->elapsed) < 0 ||
              H5LTget_attribute_double(f, ".", "time_limit_seconds", &s->time_limit) < 0 ||
              evo_h5io_get_i64(f, "writer_pid", &s->writer_pid) || evo_h5io_get_str(f, "writer_host", host, sizeof host) ||
              evo_h5io_get_str(f, "written_at", s->written_at, sizeof s->written_at) ||
              evo_h5io_get_str(f, "fitness", s->fitness, sizeof s->fitness) ||
              evo_h5io_get_str(f, "task", s->task, sizeof s->task);
    hsize_t n = 0;
    bad = bad || evo_h5io_rows_of(f, "individuals", &n);
    s->n_individuals = (int64_t)n;
    bad = bad || evo_h5_count_search_rows(f, s->format_version, n, &s->n_search);
    bad = bad || evo_h5io_rows_of(f, "in_flight", &n);
    s->n_in_flight = (int64_t)n;
    if (!bad && H5Lexists(f, "best", H5P_DEFAULT) > 0) {
        hid_t b = H5Gopen2(f, "best", H5P_DEFAULT);
        s->has_best = 1;
        bad = b < 0 || evo_h5io_get_i64(b, "id", &s->best_id) ||
              H5LTget_attribute_double(b, ".", "fitness", &s->best_fitness) < 0;
        for (size_t k = 0; k < EVO_METRIC_COUNT && !bad; k++) {
            double v;
            bad = H5LTget_attribute_double(b, ".", evo_metrics_fields[k].test_name, &v) < 0;
            evo_metrics_set(&s->test, k, v);
        }
        struct evo_h5_row_layout L = {.type = -1};
        if (!bad && !evo_h5_layout_init(&L)) {
            unsigned char *row = evo_mem_calloc(1, L.size);
            struct evo_individual r;
            bad = evo_h5io_read_all(b, "individual", L.type, row, 1);
            evo_h5_unpack_row(&r, row, &L);
            s->best_generation = r.generation;
            free(row);
            H5Tclose(L.type);
        }
        if (b >= 0)
            H5Gclose(b);
    }
    H5Fclose(f);
    if (bad) {
        evo_h5_summary_release(s);
        return evo_error_set(err, EVO_EDATA, "'%s': incomplete evotune results file", path);
    }
    if (!strcmp(s->state, "running") && !gethostname(here, sizeof here) && !strcmp(host, here) &&
        s->writer_pid > 0)
        s->writer_alive = kill((pid_t)s->writer_pid, 0) == 0 || errno == EPERM;
    return EVO_OK;
}

/* Restores /folds (cross-validation: K rows per row of /individuals, in (id, fold) order). Returns 0,
 * or -1 when it is missing or does not match /individuals. */
static int load_folds(struct evo_runlog *log, size_t K, hid_t f)
{
    hsize_t n;
    hid_t t = evo_h5_folds_type();
    if (t < 0 || evo_h5io_rows_of(f, "folds", &n) || n != (hsize_t)log->n_rows * K) {
        if (t >= 0)
            H5Tclose(t);
        return -1;
    }
    struct evo_fold_row *rows = evo_mem_calloc(n ? n : 1, sizeof *rows);
    int rc = n && evo_h5io_read_all(f, "folds", t, rows, n) ? -1 : 0;
    H5Tclose(t);
    for (size_t i = 0; !rc && i < log->n_rows; i++) {
        for (size_t k = 0; k < K; k++) {
            const struct evo_fold_row *x = &rows[i * K + k];
            if (x->id != log->rows[i].id || x->fold != (int32_t)k || x->status < 0 ||
                x->status >= EVO_TRAIN_STATUS_COUNT || x->epochs_run < 0 || x->epochs_kept < 0)
                rc = -1;
        }
        if (!rc)
            evo_runlog_add_folds(log, rows + i * K, K);
    }
    free(rows);
    return rc;
}

/* Restores /curves into log->curves: every row's curve whole (epochs from_epoch .. epochs_run - 1, in order),
 * in the order of the rows. Returns 0, or -1 when /curves is missing or does not match /individuals.
 * *ctype and *buf are for the caller to release. */
static int load_curves(struct evo_runlog *log, size_t max_epochs, hid_t f, hid_t *ctype, struct evo_curve_row **buf)
{
    hsize_t n = 0;
    if ((*ctype = evo_h5_curves_type()) < 0 || evo_h5io_rows_of(f, "curves", &n))
        return -1;
    struct evo_curve_row *c = *buf = evo_mem_alloc(evo_mem_mul((size_t)n + 1, sizeof *c));
    if (n && evo_h5io_read_all(f, "curves", *ctype, c, n))
        return -1;
    size_t k = 0;
    for (size_t r = 0; r < log->n_rows; r++) {
        const struct evo_individual *row = &log->rows[r];
        size_t first = (size_t)row->from_epoch;
        size_t len = row->epochs_run > row->from_epoch ? (size_t)(row->epochs_run - row->from_epoch) : 0;
        if (first + len > max_epochs || k + len > n)
            return -1;
        for (size_t e = 0; e < len; e++)
            if (c[k + e].id != row->id || c[k + e].epoch != (int32_t)(first + e))
                return -1;
        k += len;
    }
    if (k != n)
        return -1;
    evo_runlog_append_curves(log, c, (size_t)n);
    return 0;
}

int evo_h5_load(struct evo_runlog *log, const char *path, struct evo_error *err)
{
    const struct evo_config *cfg = log->cfg;
    const struct evo_problem *pb = log->problem;
    struct evo_h5_row_layout L = {.type = -1};
    hid_t f = evo_h5_open(path, err), ctype = -1, grp = -1;
    unsigned char *rows = NULL;
    struct evo_curve_row *curves = NULL;
    if (f < 0)
        return EVO_EDATA;
    int64_t nf = 0, nc = 0, time_up = 0, decided = 0, gens_done = 0;
    uint64_t h = 0, th = 0;
    int rc = EVO_EDATA;
    char state[16] = "", strategy[32] = "";
    double elapsed = 0;
    if (evo_h5io_get_i64(f, "n_features", &nf) || evo_h5io_get_i64(f, "n_classes", &nc) ||
        evo_h5io_get_str(f, "state", state, sizeof state) || evo_h5io_get_str(f, "strategy", strategy, sizeof strategy) ||
        H5LTget_attribute_double(f, ".", "elapsed_seconds", &elapsed) < 0 || evo_h5io_get_i64(f, "time_up", &time_up) ||
        evo_h5io_get_i64(f, "trials_decided", &decided) || evo_h5io_get_i64(f, "generations_done", &gens_done) ||
        evo_h5io_get_str(f, "strategy_state", log->strategy_state, sizeof log->strategy_state) ||
        evo_h5io_get_u64(f, "data_hash", &h) || evo_h5io_get_u64(f, "test_data_hash", &th)) {
        evo_error_set(err, EVO_EDATA, "'%s': incomplete evotune results file", path);
        goto out;
    }
    if (h != pb->data_hash || th != pb->test_data_hash) {
        evo_error_set(err, EVO_EDATA, "'%s' was written for other data: the content of '%s'%s%s%s has changed since",
                      path, cfg->train, cfg->test ? " or '" : "", cfg->test ? cfg->test : "", cfg->test ? "'" : "");
        goto out;
    }
    if (strcmp(strategy, evo_config_strategy_name(cfg->strategy))) {
        evo_error_set(err, EVO_EDATA, "'%s' is a run of strategy %s; a run cannot change its strategy (asked: %s)",
                      path, strategy, evo_config_strategy_name(cfg->strategy));
        goto out;
    }
    if ((size_t)nf != pb->train.d || nc != pb->train.n_classes) {
        evo_error_set(err, EVO_EDATA, "'%s' does not match its configuration (data shape)", path);
        goto out;
    }
    hsize_t n = 0, nfl = 0;
    if (evo_h5_layout_init(&L) || evo_h5io_rows_of(f, "individuals", &n) || evo_h5io_rows_of(f, "in_flight", &nfl))
        goto damaged;
    rows = evo_mem_calloc(evo_mem_add((size_t)(n > nfl ? n : nfl), 1), L.size);
    if (n && evo_h5io_read_all(f, "individuals", L.type, rows, n))
        goto damaged;
    for (size_t i = 0; i < n; i++) {
        struct evo_individual r;
        evo_h5_unpack_row(&r, rows + i * L.size, &L);
        if (!evo_genome_within_bounds(&r.genome) || (log->n_rows && r.id <= log->rows[log->n_rows - 1].id) ||
            r.id < 0 || r.epochs_run < 0 || r.rung < 0 || r.from_epoch < 0 || r.budget <= r.from_epoch ||
            r.epochs_run > r.budget || r.origin < 0 || r.origin > r.id || r.purpose < 0 ||
            r.purpose >= EVO_PURPOSE_COUNT)
            goto damaged;
        evo_runlog_add(log, &r, NULL);
    }
    if (load_curves(log, (size_t)evo_genome_spec_max(&cfg->space.spec[EVO_GENE_EPOCHS]), f, &ctype, &curves))
        goto damaged;
    if (pb->n_folds && load_folds(log, pb->n_folds, f))
        goto damaged;
    if (nfl && evo_h5io_read_all(f, "in_flight", L.type, rows, nfl))
        goto damaged;
    struct evo_individual *flight = evo_mem_calloc((size_t)nfl + 1, sizeof *flight);
    int bad = 0;
    for (size_t i = 0; i < nfl; i++) {
        evo_h5_unpack_row(&flight[i], rows + i * L.size, &L);
        bad = bad || flight[i].id < 0 || flight[i].id >= decided || !evo_genome_within_bounds(&flight[i].genome);
    }
    evo_runlog_set_in_flight(log, flight, (size_t)nfl);
    free(flight);
    /* every id logged or in flight was decided */
    if (bad || gens_done < 0 || (log->n_rows && log->rows[log->n_rows - 1].id >= decided))
        goto damaged;
    log->trials_decided = decided;
    log->gens_restored = (size_t)gens_done;
    log->elapsed = elapsed;
    log->time_up = (int)time_up;
    if (H5Lexists(f, "best", H5P_DEFAULT) > 0) {
        if ((grp = H5Gopen2(f, "best", H5P_DEFAULT)) < 0)
            goto damaged;
        log->has_best = 1;
        struct evo_h5_model_info mi = {pb->train.target != NULL, pb->target_mean, pb->target_std};
        int brc = evo_h5_read_best_net(grp, &L, rows, pb->train.d, (size_t)pb->train.n_classes, &mi, &log->best,
                                &log->best_net, err);
        if (brc == EVO_EDATA)
            goto damaged;
        if (brc)
            goto out;
        log->finished = !strcmp(state, "finished");
        int64_t final_epochs = 0;
        if (pb->n_folds &&
            (evo_h5io_get_i64(grp, "final_epochs", &final_epochs) || final_epochs < 1 || final_epochs > INT32_MAX))
            goto damaged;
        log->final_epochs = (int32_t)final_epochs;
        for (size_t k = 0; log->finished && k < EVO_METRIC_COUNT; k++) {
            double v;
            if (H5LTget_attribute_double(grp, ".", evo_metrics_fields[k].test_name, &v) < 0)
                goto damaged;
            evo_metrics_set(&log->test_metrics, k, v);
        }
        if (log->finished && H5LTfind_dataset(grp, "confusion_matrix") > 0) {
            size_t C = (size_t)pb->train.n_classes;
            log->confusion = evo_mem_alloc(evo_mem_mul(evo_mem_mul(C, C), sizeof *log->confusion));
            if (!evo_h5_has_shape(grp, "confusion_matrix", 2, C, C) ||
                H5LTread_dataset(grp, "confusion_matrix", H5T_NATIVE_INT64, log->confusion) < 0)
                goto damaged;
        }
        H5Gclose(grp);
        grp = -1;
    } else {
        log->finished = !strcmp(state, "finished");
    }
    rc = EVO_OK;
    goto out;
damaged:
    evo_error_set(err, EVO_EDATA, "'%s': damaged or incomplete evotune results file", path);
out:
    if (grp >= 0)
        H5Oclose(grp);
    if (ctype >= 0)
        H5Tclose(ctype);
    if (L.type >= 0)
        H5Tclose(L.type);
    free(rows);
    free(curves);
    H5Fclose(f);
    return rc;
}

/* The layouts of the run log's tables: /individuals' packed row (one layout serves the file type, the
 * memory type and the packing; also /in_flight's and /best/individual's), the compound types of
 * /generations, /curves and /folds, and the names the writer gives enum values (evo_h5_enum_names). */
#include "rows.h"
#include <stdlib.h>
#include <string.h>
#include "evotune/genome.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "evotune/train.h"
#include "h5io.h"

enum { F_GENERATION, F_ID, F_PARENT_A, F_PARENT_B, F_GENE0,
       F_FITNESS = F_GENE0 + EVO_GENE_COUNT, F_VAL0, /* val_<m> of evo_metrics_fields */
       F_TRAIN_LOSS = F_VAL0 + EVO_METRIC_COUNT, F_EPOCHS_RUN,
       F_TRAIN_SECONDS, F_FINISHED_AT, F_STATUS, F_RUNG, F_BUDGET, F_FROM_EPOCH, F_ORIGIN, F_PAUSED,
       F_PURPOSE, F_COUNT };

_Static_assert(F_COUNT == EVO_H5_ROW_FIELDS, "rows.h counts the fields of /individuals");

static const char *field_name(int f)
{
    static const char *const fixed[] = {"generation", "id", "parent_a", "parent_b"};
    static const char *const tail[] = {"train_loss", "epochs_run", "train_seconds", "finished_at", "status",
                                       "rung", "budget", "from_epoch", "origin", "paused", "purpose"};
    if (f < F_GENE0)
        return fixed[f];
    if (f < F_FITNESS)
        return evo_genome_gene(f - F_GENE0)->name;
    if (f == F_FITNESS)
        return "fitness";
    return f < F_TRAIN_LOSS ? evo_metrics_fields[f - F_VAL0].val_name : tail[f - F_TRAIN_LOSS];
}

/* The HDF5 type of field f; enum types are created and must be closed by the caller (is_new). */
static hid_t field_type(int f, int *is_new)
{
    *is_new = 0;
    if (f == F_GENERATION || f == F_EPOCHS_RUN || f == F_RUNG || f == F_BUDGET || f == F_FROM_EPOCH)
        return H5T_NATIVE_INT32;
    if (f == F_ORIGIN)
        return H5T_NATIVE_INT64;
    if (f == F_PAUSED)
        return H5T_NATIVE_INT8;
    if (f <= F_PARENT_B)
        return H5T_NATIVE_INT64;
    if (f == F_PURPOSE) {
        const char *names[EVO_PURPOSE_COUNT];
        for (int k = 0; k < EVO_PURPOSE_COUNT; k++)
            names[k] = evo_trial_purpose_name(k);
        *is_new = 1;
        return evo_h5io_enum_type(names, EVO_PURPOSE_COUNT);
    }
    if (f == F_STATUS) {
        const char *names[EVO_TRAIN_STATUS_COUNT]; /* the names evo_train_status_name gives */
        for (int k = 0; k < EVO_TRAIN_STATUS_COUNT; k++)
            names[k] = evo_train_status_name(k);
        *is_new = 1;
        return evo_h5io_enum_type(names, EVO_TRAIN_STATUS_COUNT);
    }
    if (f >= F_FITNESS)
        return H5T_NATIVE_DOUBLE;
    const struct evo_gene_info *g = evo_genome_gene(f - F_GENE0);
    if (g->type == EVO_GENE_ENUM) {
        *is_new = 1;
        return evo_h5io_enum_type(g->enum_names, g->n_enum);
    }
    return g->type == EVO_GENE_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
}

int evo_h5_enum_names(const char *column, const char **names, int cap)
{
    for (int f = 0; f < F_COUNT; f++) {
        if (strcmp(field_name(f), column))
            continue;
        if (f == F_STATUS || f == F_PURPOSE) {
            int n = f == F_STATUS ? EVO_TRAIN_STATUS_COUNT : EVO_PURPOSE_COUNT;
            for (int k = 0; k < n && k < cap; k++)
                names[k] = f == F_STATUS ? evo_train_status_name(k) : evo_trial_purpose_name(k);
            return n <= cap ? n : -1;
        }
        const struct evo_gene_info *g = f >= F_GENE0 && f < F_FITNESS ? evo_genome_gene(f - F_GENE0) : NULL;
        if (!g || g->type != EVO_GENE_ENUM)
            return 0;
        for (int k = 0; k < g->n_enum && k < cap; k++)
            names[k] = g->enum_names[k];
        return g->n_enum <= cap ? g->n_enum : -1;
    }
    return 0;
}

int evo_h5_layout_init(struct evo_h5_row_layout *L)
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

void evo_h5_pack_row(unsigned char *p, const struct evo_h5_row_layout *L, const struct evo_individual *r,
                     int record)
{
    int64_t i64;
    int8_t i8;
    memcpy(p + L->off[F_GENERATION], &r->generation, 4);
    memcpy(p + L->off[F_ID], &r->id, 8);
    memcpy(p + L->off[F_PARENT_A], &r->parent_a, 8);
    memcpy(p + L->off[F_PARENT_B], &r->parent_b, 8);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        unsigned char *q = p + L->off[F_GENE0 + g];
        double v = record && !evo_genome_active(&r->genome, g) ? evo_genome_inactive_value(g) : r->genome.g[g];
        switch (evo_genome_gene(g)->type) {
        case EVO_GENE_ENUM: i8 = (int8_t)v; memcpy(q, &i8, 1); break;
        case EVO_GENE_INT: i64 = (int64_t)v; memcpy(q, &i64, 8); break;
        default: memcpy(q, &v, 8);
        }
    }
    memcpy(p + L->off[F_FITNESS], &r->fitness, 8);
    for (size_t m = 0; m < EVO_METRIC_COUNT; m++) {
        double v = evo_metrics_get(&r->val, m);
        memcpy(p + L->off[F_VAL0 + (int)m], &v, 8);
    }
    memcpy(p + L->off[F_TRAIN_LOSS], &r->train_loss, 8);
    memcpy(p + L->off[F_EPOCHS_RUN], &r->epochs_run, 4);
    memcpy(p + L->off[F_TRAIN_SECONDS], &r->train_seconds, 8);
    memcpy(p + L->off[F_FINISHED_AT], &r->finished_at, 8);
    i8 = (int8_t)r->status;
    memcpy(p + L->off[F_STATUS], &i8, 1);
    memcpy(p + L->off[F_RUNG], &r->rung, 4);
    memcpy(p + L->off[F_BUDGET], &r->budget, 4);
    memcpy(p + L->off[F_FROM_EPOCH], &r->from_epoch, 4);
    memcpy(p + L->off[F_ORIGIN], &r->origin, 8);
    i8 = (int8_t)r->paused;
    memcpy(p + L->off[F_PAUSED], &i8, 1);
    i8 = (int8_t)r->purpose;
    memcpy(p + L->off[F_PURPOSE], &i8, 1);
}

void evo_h5_unpack_row(struct evo_individual *r, const unsigned char *p, const struct evo_h5_row_layout *L)
{
    int64_t i64;
    int8_t i8;
    memset(r, 0, sizeof *r);
    memcpy(&r->generation, p + L->off[F_GENERATION], 4);
    memcpy(&r->id, p + L->off[F_ID], 8);
    memcpy(&r->parent_a, p + L->off[F_PARENT_A], 8);
    memcpy(&r->parent_b, p + L->off[F_PARENT_B], 8);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        const unsigned char *q = p + L->off[F_GENE0 + g];
        switch (evo_genome_gene(g)->type) {
        case EVO_GENE_ENUM: memcpy(&i8, q, 1); r->genome.g[g] = i8; break;
        case EVO_GENE_INT: memcpy(&i64, q, 8); r->genome.g[g] = (double)i64; break;
        default: memcpy(&r->genome.g[g], q, 8);
        }
    }
    memcpy(&r->fitness, p + L->off[F_FITNESS], 8);
    for (size_t m = 0; m < EVO_METRIC_COUNT; m++) {
        double v;
        memcpy(&v, p + L->off[F_VAL0 + (int)m], 8);
        evo_metrics_set(&r->val, m, v);
    }
    memcpy(&r->train_loss, p + L->off[F_TRAIN_LOSS], 8);
    memcpy(&r->epochs_run, p + L->off[F_EPOCHS_RUN], 4);
    memcpy(&r->train_seconds, p + L->off[F_TRAIN_SECONDS], 8);
    memcpy(&r->finished_at, p + L->off[F_FINISHED_AT], 8);
    memcpy(&i8, p + L->off[F_STATUS], 1);
    r->status = i8;
    memcpy(&r->rung, p + L->off[F_RUNG], 4);
    memcpy(&r->budget, p + L->off[F_BUDGET], 4);
    memcpy(&r->from_epoch, p + L->off[F_FROM_EPOCH], 4);
    memcpy(&r->origin, p + L->off[F_ORIGIN], 8);
    memcpy(&i8, p + L->off[F_PAUSED], 1);
    r->paused = i8;
    memcpy(&i8, p + L->off[F_PURPOSE], 1); /* before format 9: 0, every row a search one */
    r->purpose = i8;
    /* files before format 8 have none of these: every row a whole training of its epochs gene */
    if (r->budget == 0) {
        r->budget = (int32_t)r->genome.g[EVO_GENE_EPOCHS];
        r->origin = r->id;
    }
}

/* ---- /generations and /curves: compound types straight from a C struct ---- */

hid_t evo_h5_generations_type(void)
{
    const struct evo_h5io_field f[] = {
        FIELD(struct evo_generation, generation, H5T_NATIVE_INT32),
        FIELD(struct evo_generation, evaluations, H5T_NATIVE_INT32),
        FIELD(struct evo_generation, failures, H5T_NATIVE_INT32),
        FIELD(struct evo_generation, best_fitness, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_generation, mean_fitness, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_generation, std_fitness, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_generation, wall_seconds, H5T_NATIVE_DOUBLE),
    };
    return evo_h5io_compound_type(sizeof(struct evo_generation), f, sizeof f / sizeof *f);
}

hid_t evo_h5_curves_type(void)
{
    const struct evo_h5io_field f[] = {
        FIELD(struct evo_curve_row, id, H5T_NATIVE_INT64),
        FIELD(struct evo_curve_row, epoch, H5T_NATIVE_INT32),
        FIELD(struct evo_curve_row, train_loss, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_curve_row, val_loss, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_curve_row, val_fitness, H5T_NATIVE_DOUBLE),
    };
    return evo_h5io_compound_type(sizeof(struct evo_curve_row), f, sizeof f / sizeof *f);
}

/* /folds: its status an enum as /individuals' */
hid_t evo_h5_folds_type(void)
{
    const char *names[EVO_TRAIN_STATUS_COUNT];
    for (int k = 0; k < EVO_TRAIN_STATUS_COUNT; k++)
        names[k] = evo_train_status_name(k);
    hid_t status = evo_h5io_enum_type(names, EVO_TRAIN_STATUS_COUNT);
    if (status < 0)
        return -1;
    const struct evo_h5io_field f[] = {
        FIELD(struct evo_fold_row, id, H5T_NATIVE_INT64),
        FIELD(struct evo_fold_row, fold, H5T_NATIVE_INT32),
        FIELD(struct evo_fold_row, status, status),
        FIELD(struct evo_fold_row, fitness, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_fold_row, val_loss, H5T_NATIVE_DOUBLE),
        FIELD(struct evo_fold_row, epochs_run, H5T_NATIVE_INT32),
        FIELD(struct evo_fold_row, epochs_kept, H5T_NATIVE_INT32),
    };
    hid_t t = evo_h5io_compound_type(sizeof(struct evo_fold_row), f, sizeof f / sizeof *f);
    H5Tclose(status);
    return t;
}

/* The rows of /folds in zeroed memory (the padding is written too). Heap. */
struct evo_fold_row *evo_h5_fold_rows(const struct evo_runlog *log)
{
    struct evo_fold_row *rows = evo_mem_calloc(log->n_fold_rows ? log->n_fold_rows : 1, sizeof *rows);
    for (size_t k = 0; k < log->n_fold_rows; k++) {
        const struct evo_fold_row *x = &log->fold_rows[k];
        rows[k].id = x->id;
        rows[k].fold = x->fold;
        rows[k].status = x->status;
        rows[k].fitness = x->fitness;
        rows[k].val_loss = x->val_loss;
        rows[k].epochs_run = x->epochs_run;
        rows[k].epochs_kept = x->epochs_kept;
    }
    return rows;
}

/* The rows of /curves, copied field by field into zeroed memory: the compound type spans the
 * struct's padding, which is written to the file too and must not differ between identical runs.
 * Heap. */
struct evo_curve_row *evo_h5_curve_rows(const struct evo_runlog *log)
{
    struct evo_curve_row *rows = evo_mem_calloc(log->n_curves ? log->n_curves : 1, sizeof *rows);
    for (size_t k = 0; k < log->n_curves; k++) {
        rows[k].id = log->curves[k].id;
        rows[k].epoch = log->curves[k].epoch;
        rows[k].train_loss = log->curves[k].train_loss;
        rows[k].val_loss = log->curves[k].val_loss;
        rows[k].val_fitness = log->curves[k].val_fitness;
    }
    return rows;
}

/* reads the one column purpose, through a one-member compound type */
int evo_h5_count_search_rows(hid_t f, int64_t format, hsize_t n, int64_t *out)
{
    *out = (int64_t)n;
    if (format < 9 || !n)
        return 0;
    int is_new;
    hid_t e = field_type(F_PURPOSE, &is_new), t = e < 0 ? -1 : H5Tcreate(H5T_COMPOUND, 1);
    int8_t *p = evo_mem_alloc((size_t)n);
    int rc = t < 0 || H5Tinsert(t, field_name(F_PURPOSE), 0, e) < 0 || evo_h5io_read_all(f, "individuals", t, p, n) ? -1 : 0;
    for (hsize_t i = 0; !rc && i < n; i++)
        *out -= p[i] != EVO_PURPOSE_SEARCH;
    free(p);
    if (t >= 0)
        H5Tclose(t);
    if (e >= 0 && is_new)
        H5Tclose(e);
    return rc;
}

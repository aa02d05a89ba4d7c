/* Reading a results file for analysis: the tables /individuals and /generations as named columns
 * (whatever genes the file holds, enum names included), the root attributes, /data and /best. Used by
 * `evotune export`, `report` and `predict`; independent of the strategy's own state (resume rebuilds
 * that from the log). */
#ifndef EVOTUNE_RESULTS_H
#define EVOTUNE_RESULTS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "evotune/error.h"
#include "evotune/finalist.h"
#include "evotune/metrics.h"

enum evo_column_kind {
    EVO_COLUMN_INT,    /* integer field (values exact in a double up to 2^53) */
    EVO_COLUMN_FLOAT,  /* floating-point field */
    EVO_COLUMN_ENUM,   /* HDF5 enum, mapped by name (evo_h5_enum_names): values index enum_names */
};

struct evo_column {
    char *name;
    int kind;            /* enum evo_column_kind */
    char **enum_names;   /* ENUM: [n_enum] names by value: the writer's for its columns, whatever
                          * numbers the file stored */
    int n_enum;
    double *values;      /* [n_rows] */
};

struct evo_table {
    size_t n_rows, n_cols;
    struct evo_column *cols;
};

struct evo_results {
    char *path;
    struct evo_table individuals;   /* one row per finished trial (trained network), in id order */
    struct evo_table generations;   /* one row per generation (generational only; else no rows) */
    char *config;                   /* the effective configuration text */
    char *state;                    /* running, interrupted, finished */
    char *evotune_version;
    int64_t format_version, seed, n_train, n_validation, n_test, n_features, n_classes;
    char **feature_names;           /* [n_features] */
    char **class_names;             /* [n_classes] */
    char *label;                    /* name of the label column the model was trained with */
    float *feature_mean, *feature_std; /* [n_features] */
    int has_best;
    int64_t best_id;
    double best_fitness;
    struct evo_metrics test;        /* /best's test_<metric> (NaN: not the task's, or absent) */
    char *task;                     /* "classification" or "regression" */
    char *fitness;                  /* the fitness's name, root attribute fitness */
    int regression;                 /* task is "regression" */
    /* the search: root attributes strategy (steady_state, generational, tpe or random) and
     * strategy_state (one line on the strategy's state); workers (virtual workers of the schedule),
     * trials_done (rows of /individuals), trials_decided (done or in flight), generations_done
     * (generational; 0 for the others), threads, time_up (1 when the wall-clock limit ended the search).
     * The root's attributes are all there in every format read (else evo_results_open refuses the
     * file as incomplete), /best's too but final_epochs and final_rows (0 unless cross-validated) */
    char *strategy, *strategy_state;
    int64_t workers, trials_done, trials_decided, generations_done, threads, time_up;
    /* running time of the run over every resume, and its limit (0: none), seconds */
    double elapsed_seconds, time_limit_seconds;
    size_t n_in_flight;             /* rows of /in_flight: decided, not finished; 0 when absent */
    char *written_at;               /* UTC time of the write */
    struct evo_table best_individual; /* /best/individual: its row (0 rows without /best) */
    int64_t *best_layer_sizes;        /* /best attribute layer_sizes [n_best_layers], NULL when absent */
    size_t n_best_layers;
    int64_t *confusion;               /* /best/confusion_matrix [n_classes * n_classes], row-major,
                                       * rows the true class, columns the predicted; NULL when absent */
    /* /curves when the file has it: a compound table, one row per (individual, epoch), with fields
     * `id` and `epoch` and one float field per metric (train_loss, val_loss, val_fitness, ...).
     * No columns (n_cols 0) when absent or not such a table. */
    struct evo_table curves;
    /* cross-validation (format 9, data.folds): /folds, one row per (trial, fold) with fields id, fold,
     * status, fitness, val_loss, epochs_run, epochs_kept (no rows otherwise); and /best's final_epochs
     * and final_rows, the epochs and rows of the best network's final training (0 otherwise) */
    struct evo_table folds;
    int64_t final_epochs, final_rows;
};

/* Reads the file at path. Errors (EVO_EDATA, one line naming the file): missing, not HDF5, not an
 * evotune results file. On error r is left released. */
int evo_results_open(struct evo_results *r, const char *path, struct evo_error *err);

/* Frees what r owns. */
void evo_results_release(struct evo_results *r);

/* The column called name, or NULL. */
const struct evo_column *evo_results_column(const struct evo_table *t, const char *name);

/* Writes the value of row i of column c as text: enum names, integers without a decimal point,
 * floats with 17 significant digits (round-trip exact). NaN is written as `nan_text`. */
void evo_results_format(char *buf, size_t n, const struct evo_column *c, size_t i, const char *nan_text);

/* The finalists of a run (finalist.h), the winner first, summarised from /individuals (purpose,
 * parent_a, fitness, status) into *out (allocated; free it). Returns their count: 0 (and *out NULL)
 * for a run without finalists, or a file before format 9. */
size_t evo_results_finalists(const struct evo_results *r, struct evo_finalist **out);

/* Writes the table as CSV (header row, enums as names, NaN as an empty cell) to f. */
int evo_results_write_csv(const struct evo_table *t, FILE *f);

/* Writes the table as JSON Lines: one object per row, enums as strings, NaN as null. */
int evo_results_write_jsonl(const struct evo_table *t, FILE *f);

#endif

/* The run log: finished trials (in id order, and the order they arrived) with their curves and folds,
 * the trials in flight, the best (runlog.h). */
#include "evotune/runlog.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"

void evo_runlog_init(struct evo_runlog *log, const struct evo_config *cfg, const struct evo_problem *p)
{
    memset(log, 0, sizeof *log);
    log->cfg = cfg;
    log->problem = p;
    evo_metrics_nan(&log->test_metrics);
}

/* Index of the first of n elements of `size` bytes, ordered by the int64_t id at byte `offset` of each,
 * whose id is >= id (binary search). */
static size_t first_at_least(const void *base, size_t n, size_t size, size_t offset, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t v;
        memcpy(&v, (const char *)base + mid * size + offset, sizeof v);
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first row whose id is >= id. */
static size_t row_index(const struct evo_runlog *log, int64_t id)
{
    return first_at_least(log->rows, log->n_rows, sizeof *log->rows, offsetof(struct evo_individual, id), id);
}

/* Index of the first curve row whose id is >= id. */
static size_t curve_index(const struct evo_runlog *log, int64_t id)
{
    return first_at_least(log->curves, log->n_curves, sizeof *log->curves, offsetof(struct evo_curve_row, id), id);
}

static void reserve_curves(struct evo_runlog *log, size_t n)
{
    if (log->n_curves + n <= log->cap_curves)
        return;
    size_t cap = log->cap_curves ? 2 * log->cap_curves : 256;
    while (cap < log->n_curves + n)
        cap *= 2;
    log->curves = evo_mem_realloc(log->curves, evo_mem_mul(cap, sizeof *log->curves));
    log->cap_curves = cap;
}

int evo_runlog_add(struct evo_runlog *log, const struct evo_individual *t, const struct evo_epoch_metrics *curve)
{
    size_t at = row_index(log, t->id);
    if (at < log->n_rows && log->rows[at].id == t->id)
        return -1;
    if (log->n_rows == log->cap_rows) {
        log->cap_rows = log->cap_rows ? 2 * log->cap_rows : 64;
        log->rows = evo_mem_realloc(log->rows, evo_mem_mul(log->cap_rows, sizeof *log->rows));
    }
    /* trials finish out of id order, but most near the end: the moves are short */
    memmove(log->rows + at + 1, log->rows + at, (log->n_rows - at) * sizeof *log->rows);
    log->rows[at] = *t;
    log->n_rows++;
    if (log->n_arrived == log->cap_arrived) {
        log->cap_arrived = log->cap_arrived ? 2 * log->cap_arrived : 64;
        log->arrived = evo_mem_realloc(log->arrived, evo_mem_mul(log->cap_arrived, sizeof *log->arrived));
    }
    log->arrived[log->n_arrived++] = t->id;
    size_t first = t->from_epoch > 0 ? (size_t)t->from_epoch : 0;
    size_t n = curve && t->epochs_run > t->from_epoch ? (size_t)(t->epochs_run - t->from_epoch) : 0;
    if (!n)
        return 0; /* an evaluation that trains nothing (a synthetic fitness): curves may still be NULL */
    reserve_curves(log, n);
    size_t c = curve_index(log, t->id);
    memmove(log->curves + c + n, log->curves + c, (log->n_curves - c) * sizeof *log->curves);
    for (size_t e = first; e < first + n; e++)
        log->curves[c + e - first] = (struct evo_curve_row){t->id, (int32_t)e, curve[e].train_loss,
                                                            curve[e].val_loss, curve[e].val_fitness};
    log->n_curves += n;
    return 0;
}

void evo_runlog_append_curves(struct evo_runlog *log, const struct evo_curve_row *rows, size_t n)
{
    if (!n)
        return; /* rows and log->curves may be NULL */
    reserve_curves(log, n);
    memcpy(log->curves + log->n_curves, rows, n * sizeof *rows);
    log->n_curves += n;
}

static size_t fold_index(const struct evo_runlog *log, int64_t id)
{
    return first_at_least(log->fold_rows, log->n_fold_rows, sizeof *log->fold_rows,
                          offsetof(struct evo_fold_row, id), id);
}

void evo_runlog_add_folds(struct evo_runlog *log, const struct evo_fold_row *rows, size_t n)
{
    if (!n)
        return;
    if (log->n_fold_rows + n > log->cap_fold_rows) {
        size_t cap = log->cap_fold_rows ? 2 * log->cap_fold_rows : 64;
        while (cap < log->n_fold_rows + n)
            cap *= 2;
        log->fold_rows = evo_mem_realloc(log->fold_rows, evo_mem_mul(cap, sizeof *log->fold_rows));
        log->cap_fold_rows = cap;
    }
    size_t at = fold_index(log, rows[0].id);
    memmove(log->fold_rows + at + n, log->fold_rows + at, (log->n_fold_rows - at) * sizeof *log->fold_rows);
    memcpy(log->fold_rows + at, rows, n * sizeof *rows);
    log->n_fold_rows += n;
}

const struct evo_fold_row *evo_runlog_folds(const struct evo_runlog *log, int64_t id, size_t *n)
{
    size_t c = fold_index(log, id), k = c;
    while (k < log->n_fold_rows && log->fold_rows[k].id == id)
        k++;
    *n = k - c;
    return log->fold_rows + c;
}

const struct evo_individual *evo_runlog_find(const struct evo_runlog *log, int64_t id)
{
    size_t at = row_index(log, id);
    return at < log->n_rows && log->rows[at].id == id ? &log->rows[at] : NULL;
}

const struct evo_curve_row *evo_runlog_curve(const struct evo_runlog *log, int64_t id, size_t *n)
{
    size_t c = curve_index(log, id), k = c;
    while (k < log->n_curves && log->curves[k].id == id)
        k++;
    *n = k - c;
    return log->curves + c;
}

void evo_runlog_set_in_flight(struct evo_runlog *log, const struct evo_individual *trials, size_t n)
{
    if (n > log->cap_in_flight) {
        log->cap_in_flight = n;
        log->in_flight = evo_mem_realloc(log->in_flight, evo_mem_mul(n, sizeof *log->in_flight));
    }
    if (n)
        memcpy(log->in_flight, trials, n * sizeof *trials);
    log->n_in_flight = n;
}

int evo_runlog_ranks_best(const struct evo_runlog *log, const struct evo_individual *t)
{
    return t->status == EVO_TRAIN_OK && (!log->has_best || evo_trial_better(t, &log->best));
}

void evo_runlog_set_best(struct evo_runlog *log, const struct evo_individual *t, struct evo_mlp *net)
{
    struct evo_mlp old = log->best_net;
    log->best_net = *net;
    *net = old;
    log->best = *t;
    log->has_best = 1;
}

int evo_runlog_offer_best(struct evo_runlog *log, const struct evo_individual *t, struct evo_mlp *net)
{
    if (!evo_runlog_ranks_best(log, t))
        return 0;
    evo_runlog_set_best(log, t, net);
    return 1;
}

void evo_runlog_truncate(struct evo_runlog *log, int64_t id)
{
    log->truncations++;
    log->n_rows = row_index(log, id);
    log->n_curves = curve_index(log, id);
    log->n_fold_rows = fold_index(log, id);
    size_t k = 0;
    for (size_t i = 0; i < log->n_in_flight; i++)
        if (log->in_flight[i].id < id)
            log->in_flight[k++] = log->in_flight[i];
    log->n_in_flight = k;
    k = 0;
    for (size_t i = 0; i < log->n_arrived; i++)
        if (log->arrived[i] < id)
            log->arrived[k++] = log->arrived[i];
    log->n_arrived = k;
    if (log->trials_decided > id)
        log->trials_decided = id;
    if (!log->has_best || log->best.id < id)
        return;
    evo_mlp_release(&log->best_net);
    const struct evo_individual *best = evo_runlog_best_row(log, EVO_PURPOSE_SEARCH);
    log->has_best = best != NULL;
    if (best)
        log->best = *best;
}

const struct evo_individual *evo_runlog_best_row(const struct evo_runlog *log, int purpose)
{
    const struct evo_individual *best = NULL;
    for (size_t i = 0; i < log->n_rows; i++)
        if (log->rows[i].purpose == purpose && log->rows[i].status == EVO_TRAIN_OK &&
            (!best || evo_trial_better(&log->rows[i], best)))
            best = &log->rows[i];
    return best;
}

void evo_runlog_unfinish(struct evo_runlog *log)
{
    log->finished = 0;
    evo_metrics_nan(&log->test_metrics);
    free(log->confusion);
    log->confusion = NULL;
}

void evo_runlog_release(struct evo_runlog *log)
{
    free(log->rows);
    free(log->arrived);
    free(log->curves);
    free(log->fold_rows);
    free(log->in_flight);
    free(log->confusion);
    evo_mlp_release(&log->best_net);
    memset(log, 0, sizeof *log);
}

/* The mini-batch trainer: epochs of gathered (and augmented) batches through the network's
 * forward/backward pass and the optimizer, the learning-rate schedule, early stopping, learning
 * curves and cancellation (train.h). */
#include "evotune/train.h"
#include <math.h>
#include <string.h>
#include "evotune/batch.h"
#include "evotune/kernels.h"
#include "evotune/optim.h"

/* Checks that net and the data fit the workspace and that tp is usable. */
static int check_train(const struct evo_mlp *net, const struct evo_mlp_workspace *ws,
                       const struct evo_train_params *tp, const struct evo_dataset *train,
                       const struct evo_dataset *validation, struct evo_error *err)
{
    const struct evo_mlp_arch *a = &net->arch;
    if (!net->slab)
        return evo_error_set(err, EVO_ERUNTIME, "network is not initialised");
    if (tp->batch_size == 0 || tp->batch_size > ws->max_batch)
        return evo_error_set(err, EVO_ERUNTIME, "batch size %zu outside [1, %zu] of the workspace",
                             tp->batch_size, ws->max_batch);
    if (a->n_in > ws->n_in || a->n_out > ws->n_out || evo_mlp_workspace_floats(net, ws->max_batch) > ws->n_floats)
        return evo_error_set(err, EVO_ERUNTIME,
                             "network (%zu inputs, %zu outputs, %zu floats of scratch at batches of %zu) "
                             "exceeds the workspace (%zu, %zu, %zu)",
                             a->n_in, a->n_out, evo_mlp_workspace_floats(net, ws->max_batch),
                             ws->max_batch, ws->n_in, ws->n_out, ws->n_floats);
    if (train->n == 0 || train->n > ws->n_rows)
        return evo_error_set(err, EVO_ERUNTIME, "training set of %zu rows outside [1, %zu] of the workspace",
                             train->n, ws->n_rows);
    if (train->d != a->n_in || (validation && validation->d != a->n_in))
        return evo_error_set(err, EVO_ERUNTIME, "data set has %zu features, the network %zu inputs",
                             train->d != a->n_in ? train->d : validation->d, a->n_in);
    if (train->n_classes > 0 && (size_t)train->n_classes > a->n_out)
        return evo_error_set(err, EVO_ERUNTIME, "data set has %d classes, the network %zu outputs",
                             train->n_classes, a->n_out);
    if (tp->optimizer < 0 || tp->optimizer >= EVO_OPT_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown optimizer %d", tp->optimizer);
    if (!(tp->dropout >= 0.0 && tp->dropout < 1.0))
        return evo_error_set(err, EVO_ERUNTIME, "dropout %g outside [0, 1)", tp->dropout);
    for (size_t h = 0; tp->dropout_per_layer && h < a->n_hidden; h++)
        if (!(tp->layer_dropout[h] >= 0.0 && tp->layer_dropout[h] < 1.0))
            return evo_error_set(err, EVO_ERUNTIME, "dropout of hidden layer %zu, %g, outside [0, 1)",
                                 h + 1, tp->layer_dropout[h]);
    if (!(tp->l1 >= 0.0) || !(tp->max_norm >= 0.0))
        return evo_error_set(err, EVO_ERUNTIME, "l1 %g and max_norm %g must be >= 0", tp->l1,
                             tp->max_norm);
    if (tp->epochs < 0)
        return evo_error_set(err, EVO_ERUNTIME, "negative epoch count %d", tp->epochs);
    if (tp->lr_schedule < 0 || tp->lr_schedule >= EVO_LR_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown learning-rate schedule %d", tp->lr_schedule);
    if (tp->batch_selection < 0 || tp->batch_selection >= EVO_BATCH_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown batch selection %d", tp->batch_selection);
    const struct evo_augment_params *g = &tp->augment;
    if (g->translate < 0 || !(g->rotate >= 0) || !(g->scale >= 0 && g->scale < 1) || !(g->noise >= 0))
        return evo_error_set(err, EVO_ERUNTIME,
                             "augmentation ranges must be >= 0 (scale < 1): translate %d, rotate %g, "
                             "scale %g, noise %g", g->translate, g->rotate, g->scale, g->noise);
    if (a->regression != (train->target != NULL) || (validation && a->regression != (validation->target != NULL)))
        return evo_error_set(err, EVO_ERUNTIME, "a %s network cannot train on %s data",
                             a->regression ? "regression" : "classification",
                             a->regression ? "classification" : "regression");
    if (tp->fitness < 0 || tp->fitness >= EVO_FITNESS_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown fitness %d", tp->fitness);
    if (tp->batch_selection != EVO_BATCH_SHUFFLE && !train->target)
        for (size_t i = 0; i < train->n; i++)
            if (train->y[i] < 0 || (size_t)train->y[i] >= ws->n_out)
                return evo_error_set(err, EVO_ERUNTIME, "row %zu has label %d, outside the %zu classes",
                                     i, (int)train->y[i], ws->n_out);
    return EVO_OK;
}

static int params_finite(const struct evo_mlp *net)
{
    for (size_t k = 0; k < net->n_params; k++)
        if (!isfinite(net->params[k]))
            return 0;
    return 1;
}

/* One epoch over train in a fresh order at rate lr; returns the mean loss, or the first non-finite
 * batch loss (training stops there). */
static double train_epoch(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                          const struct evo_dataset *train, double lr, struct evo_rng *rng)
{
    float *bx, *aug;
    void *labels;
    evo_mlp_workspace_batch(net, ws, &bx, &labels, &aug);
    int32_t *by = labels;
    float *bt = labels; /* regression: the same region holds float targets */
    size_t n = train->n, d = train->d, bs = tp->batch_size;
    evo_batch_order(ws, tp->batch_selection, train, bs, rng);
    /* Only image sets are augmented, and only when some range is non-zero: otherwise not a single
     * extra draw, so such training is what it was before augmentation existed. */
    size_t ih = train->image_h, iw = train->image_w;
    int augment = ih > 0 && iw > 0 && ih * iw == d && evo_augment_active(&tp->augment);
    double dropout[EVO_MLP_MAX_HIDDEN + 1];
    for (size_t h = 0; h < EVO_MLP_MAX_HIDDEN; h++)
        dropout[h] = tp->dropout_per_layer ? tp->layer_dropout[h] : tp->dropout;
    dropout[EVO_MLP_MAX_HIDDEN] = tp->dropout; /* the conv blocks' */
    double sum = 0.0;
    for (size_t start = 0; start < n; start += bs) {
        size_t B = n - start < bs ? n - start : bs;
        evo_data_rows(train, ws->order + start, B, 0, bx);
        for (size_t r = 0; r < B; r++) {
            size_t row = ws->order[start + r];
            if (train->target)
                bt[r] = train->target[row];
            else
                by[r] = train->y[row];
        }
        for (size_t r = 0; augment && r < B; r++)
            evo_augment_image(bx + r * d, ih, iw, &tp->augment, tp->feature_mean, tp->feature_std,
                              aug, rng);
        /* the next batch's rows, loading while this batch computes */
        size_t next = start + bs < n ? start + bs : n, next_end = next + bs < n ? next + bs : n;
        evo_data_prefetch(train, ws->order + next, next_end - next);
        /* weight decay is applied by the fused optimizer pass, not added to the gradient */
        double loss = train->target ? evo_mlp_loss_grad_regression(net, ws, bx, bt, B, dropout, 0.0, rng)
                                    : evo_mlp_loss_grad(net, ws, bx, by, B, dropout, 0.0, rng);
        if (!isfinite(loss))
            return loss;
        sum += loss * (double)B;
        evo_optim_update(net, tp, lr);
    }
    return sum / (double)n;
}

void evo_train_begin(struct evo_train_state *st, const struct evo_train_params *tp, const struct evo_rng *rng)
{
    memset(st, 0, sizeof *st);
    st->best_e = -1;
    st->best_loss = INFINITY;
    st->best_train = NAN;
    evo_metrics_nan(&st->val);
    evo_metrics_nan(&st->best_val);
    evo_optim_lr_init(&st->sched, tp);
    st->rng = *rng;
}

/* Exchanges the parameters and the best epoch's copy: a training paused under early stopping shows
 * the best epoch's weights (its result) and keeps the current ones aside until it goes on. */
static void swap_best(struct evo_mlp *net)
{
    for (size_t k = 0; k < net->n_params; k++) {
        float t = net->params[k];
        net->params[k] = net->best[k];
        net->best[k] = t;
    }
}

/* The result of the state reached: as if training ended there. Ending for good (done) restores
 * the best epoch under early stopping; a pause shows it by swapping (swap_best). */
static void report(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_dataset *validation,
                   struct evo_train_state *st, struct evo_train_result *res)
{
    struct evo_metrics val = st->val;
    int evaluated = st->evaluated;
    res->status = st->status;
    res->train_loss = st->train_loss;
    res->epochs_run = st->epoch;
    res->best_epoch = st->epoch > 0 ? st->epoch - 1 : 0;
    res->paused = !st->done;
    if (st->status == EVO_TRAIN_OK && st->best_e >= 0) {
        /* the best epoch's weights; its scores are known, so no evaluation is needed */
        if (st->done)
            memcpy(net->params, net->best, net->n_params * sizeof(float));
        else if (st->best_e != st->epoch - 1) {
            swap_best(net);
            st->swapped = 1;
        }
        res->best_epoch = st->best_e;
        res->train_loss = st->best_train;
        val = st->best_val;
        evaluated = 1;
    }
    /* The last update can overflow the weights without any batch loss having seen it yet. */
    if (res->status == EVO_TRAIN_OK && !params_finite(net)) {
        res->status = st->status = EVO_TRAIN_DIVERGED;
        res->paused = 0;
        st->done = 1;
    }
    if (validation && evaluated)
        res->val = val;
    else if (validation)
        evo_mlp_evaluate(net, ws, validation, &res->val);
    else
        evo_metrics_nan(&res->val);
}

static int train_body(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                      const struct evo_dataset *train, const struct evo_dataset *validation,
                      struct evo_train_state *st, int until, struct evo_train_result *res, struct evo_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = check_train(net, ws, tp, train, validation, err);
    if (rc != EVO_OK)
        return rc;
    if (st->swapped) {
        swap_best(net);
        st->swapped = 0;
    }
    /* The validation set is scored after every epoch only when something reads the score. */
    int every_epoch = tp->curve || tp->early_stopping || tp->lr_schedule == EVO_LR_PLATEAU;
    int patience = tp->patience > 0 ? tp->patience : 1;
    int end = until < tp->epochs ? until : tp->epochs;
    while (!st->done && st->epoch < end) {
        int e = st->epoch;
        if (tp->cancel && atomic_load_explicit(tp->cancel, memory_order_relaxed)) {
            res->cancelled = 1;
            return EVO_OK;
        }
        double loss = train_epoch(net, ws, tp, train, st->sched.lr, &st->rng);
        st->train_loss = loss;
        st->epoch = e + 1;
        st->evaluated = 0;
        if (!isfinite(loss)) {
            if (tp->curve)
                tp->curve[e] = (struct evo_epoch_metrics){loss, NAN, NAN};
            st->status = EVO_TRAIN_DIVERGED;
            st->done = 1;
            break;
        }
        if (every_epoch) {
            if (validation) {
                evo_mlp_evaluate(net, ws, validation, &st->val);
                st->evaluated = 1;
            }
            if (tp->curve)
                tp->curve[e] = (struct evo_epoch_metrics){
                    loss, st->val.loss, validation ? evo_metrics_fitness(&st->val, tp->fitness) : NAN};
        }
        if (tp->early_stopping && validation) {
            if (st->val.loss < st->best_loss - tp->min_delta) {
                st->best_loss = st->val.loss;
                st->best_train = loss;
                st->best_val = st->val;
                st->best_e = e;
                memcpy(net->best, net->params, net->n_params * sizeof(float));
                st->wait = 0;
            } else if (++st->wait >= patience) {
                st->done = 1;
                break;
            }
        }
        evo_optim_lr_next(&st->sched, tp, st->val.loss);
    }
    if (st->epoch >= tp->epochs)
        st->done = 1;
    report(net, ws, validation, st, res);
    return EVO_OK;
}

int evo_train_continue(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                       const struct evo_dataset *train, const struct evo_dataset *validation,
                       struct evo_train_state *st, int until, struct evo_train_result *res,
                       struct evo_error *err)
{
    unsigned fp = evo_kernels_fp_enter(); /* subnormals flushed: see evo_kernels_fp_enter */
    int rc = train_body(net, ws, tp, train, validation, st, until, res, err);
    evo_kernels_fp_leave(fp);
    return rc;
}

int evo_train_run(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                  const struct evo_dataset *train, const struct evo_dataset *validation,
                  struct evo_rng *rng, struct evo_train_result *res, struct evo_error *err)
{
    struct evo_train_state st;
    evo_train_begin(&st, tp, rng);
    int rc = evo_train_continue(net, ws, tp, train, validation, &st, tp->epochs, res, err);
    *rng = st.rng;
    return rc;
}

const char *evo_train_status_name(int status)
{
    static const char *const names[EVO_TRAIN_STATUS_COUNT] = {"ok", "diverged", "too_large", "too_small"};
    return status >= 0 && status < EVO_TRAIN_STATUS_COUNT ? names[status] : "unknown";
}

/* The optimizers (one fused pass per parameter segment, L1 and max-norm around it) and the
 * learning-rate schedules of evo_train_params, over a network's slab (optim.h). */
#include "evotune/optim.h"
#include <math.h>
#include "evotune/kernels.h"

/* One fused optimizer pass over params[off, off + n) with decay on that segment. */
static void update_segment(const struct evo_kernels *k, struct evo_mlp *net,
                           const struct evo_train_params *tp, size_t off, size_t n, float lr, float decay,
                           float bc1, float bc2)
{
    float *p = net->params + off, *m = net->m + off, *v = net->v + off;
    const float *g = net->grads + off;
    float b1 = (float)tp->beta1, b2 = (float)tp->beta2, eps = (float)tp->eps;
    switch (tp->optimizer) {
    case EVO_OPT_SGD:
        k->sgd_update(p, g, n, lr, decay);
        break;
    case EVO_OPT_MOMENTUM:
        k->momentum_update(p, g, m, n, lr, (float)tp->momentum, decay);
        break;
    case EVO_OPT_NESTEROV:
        k->nesterov_update(p, g, m, n, lr, (float)tp->momentum, decay);
        break;
    case EVO_OPT_RMSPROP:
        k->rmsprop_update(p, g, v, n, lr, (float)tp->rho, eps, decay);
        break;
    case EVO_OPT_ADAM:
        k->adam_update(p, g, m, v, n, lr, b1, b2, eps, bc1, bc2, decay);
        break;
    case EVO_OPT_ADAMW:
        k->adamw_update(p, g, m, v, n, lr, b1, b2, eps, bc1, bc2, decay);
        break;
    default:
        break;
    }
}

/* g[n] += l1 * sign(w[n]), sign(0) = 0: the L1 penalty's (sub)gradient. A separate pass rather than
 * a term in every fused optimizer kernel of every ISA: it runs only when l1 > 0, so training
 * without it is bit-for-bit what it was. */
static void add_l1(float *g, const float *w, size_t n, float l1)
{
    for (size_t i = 0; i < n; i++)
        g[i] += w[i] > 0.0f ? l1 : w[i] < 0.0f ? -l1 : 0.0f;
}

/* Scales each column j of w[in, out] (unit j's incoming weights) whose Euclidean norm exceeds
 * max_norm down to norm max_norm. Norms in double; the columns are read with stride `out` rather than
 * through a scratch row of sums, so the update needs no workspace. */
static void cap_norms(float *w, size_t in, size_t out, double max_norm)
{
    for (size_t j = 0; j < out; j++) {
        double ss = 0.0;
        for (size_t i = 0; i < in; i++)
            ss += (double)w[i * out + j] * w[i * out + j];
        double norm = sqrt(ss);
        if (norm > max_norm) {
            float f = (float)(max_norm / norm);
            for (size_t i = 0; i < in; i++)
                w[i * out + j] *= f;
        }
    }
}

/* Scales each filter of w[oc, n] (row f: the filter's oc-th incoming weights) whose Euclidean norm
 * exceeds max_norm down to norm max_norm. Norms in double. */
static void cap_rows(float *w, size_t oc, size_t n, double max_norm)
{
    for (size_t f = 0; f < oc; f++) {
        float *r = w + f * n;
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (double)r[i] * r[i];
        double norm = sqrt(ss);
        if (norm > max_norm) {
            float s = (float)(max_norm / norm);
            for (size_t i = 0; i < n; i++)
                r[i] *= s;
        }
    }
}

void evo_optim_update(struct evo_mlp *net, const struct evo_train_params *tp, double lr)
{
    const struct evo_kernels *k = evo_kernels();
    net->step++;
    /* Bias corrections in double: beta2^t stays distinguishable from 1 for many more steps. */
    float bc1 = 1.0f, bc2 = 1.0f;
    if (tp->optimizer == EVO_OPT_ADAM || tp->optimizer == EVO_OPT_ADAMW) {
        bc1 = (float)(1.0 - pow(tp->beta1, (double)net->step));
        bc2 = (float)(1.0 - pow(tp->beta2, (double)net->step));
    }
    float wd = (float)tp->weight_decay, flr = (float)lr;
    /* Weights decay; biases and batch norm's gamma and beta do not, and the running statistics are
     * not trained. Neighbouring segments without decay go through one pass, as one fused pass over
     * a layer's biases, gamma and beta was before the layer table (a vector loop's tail may round
     * differently from its body, so the cut points are part of the result). */
    size_t run_off = 0, run_n = 0; /* the pending segment without decay */
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        if (l->kind == EVO_LAYER_DENSE || l->kind == EVO_LAYER_CONV2D) {
            if (run_n)
                update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
            if (tp->l1 > 0.0)
                add_l1(net->grads + l->w_off, net->params + l->w_off, l->n_w, (float)tp->l1);
            update_segment(k, net, tp, l->w_off, l->n_w, flr, wd, bc1, bc2);
            run_off = l->b_off;
            run_n = l->n_b;
        } else if (l->kind == EVO_LAYER_BATCH_NORM) { /* gamma and beta follow the biases */
            if (run_n && run_off + run_n != l->w_off) {
                update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
                run_n = 0;
            }
            if (!run_n)
                run_off = l->w_off;
            run_n += l->n_w;
        }
    }
    if (run_n)
        update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
    if (tp->max_norm > 0.0)
        for (size_t i = 0; i + 1 < net->n_table; i++) { /* not the output layer */
            const struct evo_layer *l = &net->table[i];
            if (l->kind == EVO_LAYER_DENSE)
                cap_norms(net->params + l->w_off, l->c * l->h * l->w, l->oc, tp->max_norm);
            else if (l->kind == EVO_LAYER_CONV2D)
                cap_rows(net->params + l->w_off, l->oc, l->n_w / l->oc, tp->max_norm);
        }
}

/* ---- learning-rate schedules ---- */

/* Rate of epoch e of the schedules that depend on the epoch alone (all but plateau). */
static double lr_at(const struct evo_train_params *tp, int e)
{
    double lr = tp->learning_rate, floor_ = fmin(tp->lr_min, lr);
    const double pi = 3.14159265358979323846;
    switch (tp->lr_schedule) {
    case EVO_LR_STEP: {
        int every = tp->lr_step_epochs > 0 ? tp->lr_step_epochs : 1;
        return fmax(floor_, lr * pow(tp->lr_decay, (double)(e / every)));
    }
    case EVO_LR_EXPONENTIAL:
        return fmax(floor_, lr * pow(tp->lr_decay, (double)e));
    case EVO_LR_WARMUP: {
        int w = tp->lr_warmup_epochs > 0 ? tp->lr_warmup_epochs : 0;
        if (e < w)
            return lr * (double)(e + 1) / (double)(w + 1);
        int span = tp->epochs - w;
        return span > 0 ? floor_ + (lr - floor_) * 0.5 * (1.0 + cos(pi * (double)(e - w) / (double)span)) : lr;
    }
    case EVO_LR_COSINE:
        return tp->epochs > 0 ? floor_ + (lr - floor_) * 0.5 * (1.0 + cos(pi * (double)e / (double)tp->epochs))
                              : lr;
    default: /* constant; plateau starts from lr */
        return lr;
    }
}

void evo_optim_lr_init(struct evo_optim_lr *s, const struct evo_train_params *tp)
{
    s->epoch = 0;
    s->best = INFINITY;
    s->wait = 0;
    s->lr = lr_at(tp, 0);
}

void evo_optim_lr_next(struct evo_optim_lr *s, const struct evo_train_params *tp, double val_loss)
{
    s->epoch++;
    if (tp->lr_schedule != EVO_LR_PLATEAU) {
        s->lr = lr_at(tp, s->epoch);
        return;
    }
    /* "improved" as for early stopping, so one min_delta serves both */
    if (val_loss < s->best - tp->min_delta) {
        s->best = val_loss;
        s->wait = 0;
    } else if (++s->wait >= (tp->lr_plateau_patience > 0 ? tp->lr_plateau_patience : 1)) {
        s->lr = fmax(fmin(tp->lr_min, tp->learning_rate), s->lr * tp->lr_decay);
        s->wait = 0;
    }
}

const char *const evo_optim_names[EVO_OPT_COUNT] = {"sgd", "momentum", "adam", "nesterov", "rmsprop", "adamw"};
const char *const evo_optim_schedule_names[EVO_LR_COUNT] = {"constant", "step", "exponential", "cosine", "warmup",
                                                             "plateau"};

const char *evo_optim_name(int opt)
{
    return opt >= 0 && opt < EVO_OPT_COUNT ? evo_optim_names[opt] : "unknown";
}

const char *evo_optim_schedule_name(int schedule)
{
    return schedule >= 0 && schedule < EVO_LR_COUNT ? evo_optim_schedule_names[schedule] : "unknown";
}

/* Tests of the network and trainer in mlp.c: whole-network gradient checks by finite differences
 * (directional, genann/kann style, and per parameter), optimizer steps against hand-computed values,
 * weight initialisation statistics, learning a separable problem, determinism, divergence and the
 * error paths, clone and release. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mlp.h"
#include "evotune/train.h"
#include "evotune/optim.h"
#include "evotune/batch.h"
#include "evotune/rng.h"
#include "kernels_support.h"

static void expect_close(double got, double want, double abs_tol, double rel_tol, const char *what,
                         size_t idx)
{
    if (!(fabs(got - want) <= abs_tol + rel_tol * fabs(want)))
        fail_msg("%s[%zu]: got %.9g, want %.9g", what, idx, got, want);
}

static struct evo_mlp_arch make_arch(size_t n_in, size_t n_out, size_t n_hidden, const size_t *hidden,
                                     int act)
{
    struct evo_mlp_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = n_in;
    a.n_out = n_out;
    a.n_hidden = n_hidden;
    for (size_t h = 0; h < n_hidden; h++)
        a.hidden[h] = hidden[h];
    a.activation = act;
    return a;
}

static struct evo_train_params default_params(void)
{
    struct evo_train_params tp;
    memset(&tp, 0, sizeof tp);
    tp.learning_rate = 0.01;
    tp.epochs = 5;
    tp.batch_size = 32;
    tp.optimizer = EVO_OPT_ADAM;
    tp.momentum = 0.9;
    tp.beta1 = 0.9;
    tp.beta2 = 0.999;
    tp.eps = 1e-8;
    return tp;
}

/* Loss at the current parameters with the mask stream reseeded, plus the L2 term whose gradient
 * evo_mlp_loss_grad adds (0.5 * wd * |w|^2 has gradient wd * w). */
static double full_loss(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                        const int32_t *y, const float *t, size_t B, const double *dropout, double wd)
{
    struct evo_rng rng;
    evo_rng_seed(&rng, 77, 0, 0, 0); /* the same dropout mask for every evaluation */
    double loss = net->arch.regression ? evo_mlp_loss_grad_regression(net, ws, x, t, B, dropout, wd, &rng)
                                       : evo_mlp_loss_grad(net, ws, x, y, B, dropout, wd, &rng);
    double l2 = 0;
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        for (size_t k = 0; (l->kind == EVO_LAYER_DENSE || l->kind == EVO_LAYER_CONV2D) && k < l->n_w; k++) {
            double w = net->params[l->w_off + k];
            l2 += w * w;
        }
    }
    return loss + 0.5 * wd * l2;
}

struct gradcheck_case {
    size_t n_hidden;
    size_t hidden[3];
    double dropout[3];    /* per hidden layer */
    double weight_decay;
    int batch_norm;
    /* conv blocks before the dense layers, on an ih x iw image (the input): filters, kernel,
     * pooling, and the blocks' dropout */
    size_t conv_blocks, filters[2], kernel;
    int pooling;
    double conv_dropout;
    size_t ih, iw;
};

/* The output layer a gradient check runs on. */
struct gradcheck_output {
    int loss;       /* enum evo_loss */
    int regression; /* one linear output against float targets (loss mse) */
};

/* Directional check over all parameters, then a check of each parameter, for one architecture and
 * output layer (out NULL: softmax cross-entropy). */
static void gradcheck_output(const struct gradcheck_case *gc, int act, const struct gradcheck_output *out)
{
    static const struct gradcheck_output softmax = {EVO_LOSS_CROSS_ENTROPY, 0};
    const struct gradcheck_output *go = out ? out : &softmax;
    const size_t n_in = gc->conv_blocks ? gc->ih * gc->iw : 5, n_out = go->regression ? 1 : 4, B = 9;
    struct evo_mlp_arch arch = make_arch(n_in, n_out, gc->n_hidden, gc->hidden, act);
    arch.conv_blocks = gc->conv_blocks;
    for (size_t i = 0; i < gc->conv_blocks; i++)
        arch.filters[i] = gc->filters[i];
    arch.kernel_size = gc->kernel;
    arch.pooling = gc->pooling;
    arch.image_c = 1;
    arch.image_h = gc->ih;
    arch.image_w = gc->iw;
    double dropout[EVO_MLP_MAX_HIDDEN + 1] = {0};
    memcpy(dropout, gc->dropout, sizeof gc->dropout);
    dropout[EVO_MLP_MAX_HIDDEN] = gc->conv_dropout;
    arch.leaky_slope = 0.2; /* read by leaky_relu only */
    arch.batch_norm = gc->batch_norm;
    arch.loss = go->loss;
    arch.regression = go->regression;
    arch.target_mean = 3.0; /* the loss compares the output with (t - 3) / 2 */
    arch.target_std = 2.0;
    struct evo_rng rng;
    evo_rng_seed(&rng, 11, (uint64_t)act, gc->n_hidden, 0);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    /* biases start at 0, gamma at 1 and beta at 0; random ones exercise their gradient in a less
     * special place */
    for (size_t i = 0; i < net.n_table; i++) {
        const struct evo_layer *l = &net.table[i];
        if (l->kind == EVO_LAYER_DENSE || l->kind == EVO_LAYER_CONV2D)
            for (size_t k = 0; k < l->n_b; k++)
                net.params[l->b_off + k] = 0.2f * (float)evo_rng_normal(&rng);
        else if (l->kind == EVO_LAYER_BATCH_NORM)
            for (size_t k = 0; k < l->n_w; k++)
                net.params[l->w_off + k] = (k < l->oc ? 1.0f : 0.0f) + 0.2f * (float)evo_rng_normal(&rng);
    }
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init_for(&ws, &arch, B, B);
    float x[9 * 64];
    int32_t y[9];
    float t[9];
    for (size_t k = 0; k < B * n_in; k++)
        x[k] = (float)evo_rng_normal(&rng);
    for (size_t r = 0; r < B; r++) {
        y[r] = (int32_t)evo_rng_below(&rng, n_out);
        t[r] = (float)(3.0 + 2.0 * evo_rng_normal(&rng));
    }

    size_t n = net.n_params;
    full_loss(&net, &ws, x, y, t, B, dropout, gc->weight_decay);
    double *g = malloc(n * sizeof *g), *d = malloc(n * sizeof *d);
    float *p0 = malloc(n * sizeof *p0);
    for (size_t k = 0; k < n; k++)
        g[k] = net.grads[k];
    memcpy(p0, net.params, n * sizeof *p0);

    /* Directional: a random unit direction, so every parameter moves a little at once. */
    double norm = 0, gd = 0;
    for (size_t k = 0; k < n; k++) {
        d[k] = evo_rng_normal(&rng);
        norm += d[k] * d[k];
    }
    norm = sqrt(norm);
    for (size_t k = 0; k < n; k++) {
        d[k] /= norm;
        gd += g[k] * d[k];
    }
    /* a smaller step with pooling: moving every parameter at once crosses many windows' kinks */
    const double h = gc->pooling == EVO_POOL_MAX ? 1e-3 : 1e-2;
    for (size_t k = 0; k < n; k++)
        net.params[k] = (float)(p0[k] + h * d[k]);
    double lp = full_loss(&net, &ws, x, y, t, B, dropout, gc->weight_decay);
    for (size_t k = 0; k < n; k++)
        net.params[k] = (float)(p0[k] - h * d[k]);
    double lm = full_loss(&net, &ws, x, y, t, B, dropout, gc->weight_decay);
    double fd = (lp - lm) / (2 * h);
    double rel = fabs(fd - gd) / fmax(fabs(fd) + fabs(gd), 1e-8);
    /* float rounding of the loss bounds what the smaller pooled step can resolve: 1e-4 absolute */
    if (!(rel < 1e-2) && !(gc->pooling == EVO_POOL_MAX && fabs(fd - gd) < 1e-4))
        fail_msg("%s, %s%s, %zu hidden, dropout %g, wd %g, bn %d: directional fd %.8g vs grad %.8g (rel %.3g)",
                 evo_kernels_activation_name(act), evo_mlp_loss_name(go->loss), go->regression ? " regression" : "",
                 gc->n_hidden, gc->dropout[0], gc->weight_decay, gc->batch_norm, fd, gd, rel);
    memcpy(net.params, p0, n * sizeof *p0);

    /* Per parameter, each moved alone. A relu unit whose input crosses 0 inside [p-h, p+h] has no
     * derivative there; such a kink shows as one-sided differences that disagree, and is skipped
     * (rarely: the check fails if more than a tenth of the parameters are skipped). */
    size_t skipped = 0;
    double l0 = full_loss(&net, &ws, x, y, t, B, dropout, gc->weight_decay);
    for (size_t k = 0; k < n; k++) {
        const float hk = 1e-3f;
        float up = p0[k] + hk, down = p0[k] - hk; /* the steps float rounding actually takes */
        net.params[k] = up;
        double a = full_loss(&net, &ws, x, y, t, B, dropout, gc->weight_decay);
        net.params[k] = down;
        double b = full_loss(&net, &ws, x, y, t, B, dropout, gc->weight_decay);
        net.params[k] = p0[k];
        double right = (a - l0) / ((double)up - p0[k]), left = (l0 - b) / ((double)p0[k] - down);
        double central = (a - b) / ((double)up - down);
        /* max-pooling switches its winner the same way, for any activation; its kinks are milder
         * (two close inputs trade places), so one-sided differences that disagree by more than the
         * check's own tolerance mark one */
        int kinked = act == EVO_ACT_RELU || act == EVO_ACT_LEAKY_RELU;
        double kink_tol = gc->pooling == EVO_POOL_MAX ? 1e-3 + 2e-2 * fabs(central) : 5e-3 + 0.05 * fabs(central);
        if ((kinked || gc->pooling == EVO_POOL_MAX) && fabs(right - left) > kink_tol) {
            skipped++;
            continue;
        }
        /* with pooling a kink milder than kink_tol passes unseen and shifts the central difference
         * by up to half of it: the tolerance allows that (a wrong routing errs by far more) */
        double tol = gc->pooling == EVO_POOL_MAX ? kink_tol : 5e-4 + 1e-2 * fabs(central);
        if (!(fabs(g[k] - central) <= tol))
            fail_msg("%s, %s%s, %zu hidden, dropout %g, wd %g, bn %d: param %zu of %zu: fd %.8g vs grad %.8g",
                     evo_kernels_activation_name(act), evo_mlp_loss_name(go->loss),
                     go->regression ? " regression" : "", gc->n_hidden, gc->dropout[0], gc->weight_decay,
                     gc->batch_norm, k, n, central, g[k]);
    }
    if (skipped * 10 > n)
        fail_msg("%s, %s%s, case with %zu conv blocks: %zu of %zu parameters at kinks", evo_kernels_activation_name(act),
                 evo_mlp_loss_name(go->loss), go->regression ? " regression" : "", gc->conv_blocks, skipped, n);
    free(g), free(d), free(p0);
    evo_mlp_workspace_release(&ws);
    evo_mlp_release(&net);
}

static void gradcheck(const struct gradcheck_case *gc, int act)
{
    gradcheck_output(gc, act, NULL);
}

static const struct gradcheck_case GRAD_CASES[] = {
    {0, {0}, {0}, 0, 0, 0, {0}, 0, 0, 0, 0, 0},
    {1, {7}, {0}, 0, 0, 0, {0}, 0, 0, 0, 0, 0},
    {3, {6, 8, 3}, {0}, 0, 0, 0, {0}, 0, 0, 0, 0, 0},
    {1, {7}, {0}, 0.1, 0, 0, {0}, 0, 0, 0, 0, 0},
    {3, {6, 8, 3}, {0}, 0.05, 0, 0, {0}, 0, 0, 0, 0, 0},
    {1, {7}, {0.3}, 0, 0, 0, {0}, 0, 0, 0, 0, 0},
    {3, {6, 8, 3}, {0.25, 0.25, 0.25}, 0.01, 0, 0, {0}, 0, 0, 0, 0, 0},
    /* per-layer dropout, a layer without */
    {3, {6, 8, 3}, {0.4, 0, 0.2}, 0, 0, 0, {0}, 0, 0, 0, 0, 0},
    /* batch normalisation, alone and with dropout and decay */
    {1, {7}, {0}, 0, 1, 0, {0}, 0, 0, 0, 0, 0},
    {3, {6, 8, 3}, {0}, 0, 1, 0, {0}, 0, 0, 0, 0, 0},
    {3, {6, 8, 3}, {0.2, 0.1, 0}, 0.01, 1, 0, {0}, 0, 0, 0, 0, 0},
    /* conv blocks: odd image sizes, kernels larger than the image, pooling of odd sizes down to 1 x 1,
     * a 1-pixel image, batch norm per channel, dropout and decay */
    {0, {0}, {0}, 0, 0, 1, {3}, 3, EVO_POOL_NONE, 0, 5, 6},
    {1, {5}, {0}, 0, 0, 2, {3, 4}, 3, EVO_POOL_MAX, 0, 7, 6},
    {0, {0}, {0}, 0, 0, 1, {2}, 5, EVO_POOL_MAX, 0, 4, 3},
    {1, {4}, {0}, 0, 0, 1, {3}, 3, EVO_POOL_NONE, 0, 1, 1},
    {0, {0}, {0}, 0, 1, 2, {3, 2}, 3, EVO_POOL_NONE, 0, 5, 4},
    {1, {5}, {0.2}, 0.01, 1, 2, {2, 3}, 3, EVO_POOL_MAX, 0.3, 6, 5},
};

static void test_gradcheck(void **state)
{
    (void)state;
    for (int act = 0; act < EVO_ACT_COUNT; act++)
        for (size_t c = 0; c < sizeof GRAD_CASES / sizeof GRAD_CASES[0]; c++)
            gradcheck(&GRAD_CASES[c], act);
}

/* The other losses' output layers: binary cross-entropy (one-vs-rest sigmoids), mse on softmax
 * probabilities, and mse regression through a linear unit with a target standardisation, alone and
 * under hidden layers, dropout and weight decay. */
static const struct gradcheck_output LOSS_OUTPUTS[] = {
    {EVO_LOSS_BINARY_CROSS_ENTROPY, 0},
    {EVO_LOSS_MSE, 0},
    {EVO_LOSS_MSE, 1},
};

static void test_gradcheck_losses(void **state)
{
    (void)state;
    /* smooth activations: the directional check has no kink handling, and the unbounded squared
     * error of regression magnifies a relu kink crossed by the step (the per-parameter check of the
     * softmax cases covers relu) */
    const int acts[] = {EVO_ACT_TANH, EVO_ACT_SIGMOID, EVO_ACT_ELU, EVO_ACT_GELU};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (size_t o = 0; o < sizeof LOSS_OUTPUTS / sizeof LOSS_OUTPUTS[0]; o++)
            for (size_t c = 0; c < sizeof GRAD_CASES / sizeof GRAD_CASES[0]; c++)
                gradcheck_output(&GRAD_CASES[c], acts[a], &LOSS_OUTPUTS[o]);
}

/* The losses' values and the outputs on a 1-row, 2-class network with zero weights and chosen biases
 * z = (0.5, -1): by hand. */
static void test_loss_values(void **state)
{
    (void)state;
    struct evo_mlp_arch arch = make_arch(1, 2, 0, NULL, EVO_ACT_RELU);
    struct evo_rng rng;
    evo_rng_seed(&rng, 3, 0, 0, 0);
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 1, 2, 0, 1, 4, 4);
    const float x[1] = {0.7f};
    const int32_t y[1] = {1};
    float probs[2];
    double e0 = exp(0.5), e1 = exp(-1.0), s0 = 1 / (1 + exp(-0.5)), s1 = 1 / (1 + exp(1.0));
    double p0 = e0 / (e0 + e1), p1 = e1 / (e0 + e1);
    const double want_loss[EVO_LOSS_COUNT] = {
        -log(p1),                              /* cross-entropy of class 1 */
        -log(1 - s0) - log(s1),                /* class 0's unit says no, class 1's yes */
        p0 * p0 + (p1 - 1) * (p1 - 1),         /* Brier */
    };
    const double want_p0[EVO_LOSS_COUNT] = {p0, s0 / (s0 + s1), p0};
    for (int loss = 0; loss < EVO_LOSS_COUNT; loss++) {
        struct evo_mlp net;
        arch.loss = loss;
        assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
        memset(net.params, 0, net.n_params * sizeof(float));
        net.params[net.b_off[0]] = 0.5f;
        net.params[net.b_off[0] + 1] = -1.0f;
        expect_close(evo_mlp_loss_grad(&net, &ws, x, y, 1, 0, 0, NULL), want_loss[loss], 1e-6, 1e-6,
                     evo_mlp_loss_name(loss), 0);
        evo_mlp_predict(&net, &ws, x, 1, probs);
        expect_close(probs[0], want_p0[loss], 1e-6, 1e-6, "p0", loss);
        expect_close(probs[0] + probs[1], 1.0, 1e-6, 0, "sum", loss);
        assert_true(isnan(evo_mlp_loss_grad_regression(&net, &ws, x, (const float[]){1.0f}, 1, 0, 0, NULL)));
        evo_mlp_release(&net);
    }
    /* regression: one output z = 0.5 undone to 10 + 4 * 0.5 = 12; target 13 is (13 - 10) / 4 = 0.75 */
    struct evo_mlp_arch rarch = make_arch(1, 1, 0, NULL, EVO_ACT_RELU);
    rarch.loss = EVO_LOSS_MSE;
    rarch.regression = 1;
    rarch.target_mean = 10;
    rarch.target_std = 4;
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &rarch, &rng, NULL), EVO_OK);
    memset(net.params, 0, net.n_params * sizeof(float));
    net.params[net.b_off[0]] = 0.5f;
    expect_close(evo_mlp_loss_grad_regression(&net, &ws, x, (const float[]){13.0f}, 1, 0, 0, NULL),
                 0.25 * 0.25, 1e-7, 1e-6, "regression loss", 0);
    assert_true(isnan(evo_mlp_loss_grad(&net, &ws, x, y, 1, 0, 0, NULL)));
    evo_mlp_predict(&net, &ws, x, 1, probs);
    expect_close(probs[0], 12.0, 1e-6, 0, "regression prediction", 0);
    evo_mlp_release(&net);
    /* a regression network has one output and the mse loss */
    struct evo_error err = {0};
    rarch.loss = EVO_LOSS_CROSS_ENTROPY;
    assert_int_equal(evo_mlp_init(&net, &rarch, &rng, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "regression network"));
    rarch.loss = EVO_LOSS_MSE;
    rarch.n_out = 2;
    assert_int_equal(evo_mlp_init(&net, &rarch, &rng, &err), EVO_ERUNTIME);
    evo_mlp_workspace_release(&ws);
}

/* Optimizers: three steps on four parameters with changing gradients, against double arithmetic.
 * Weight decay wd is applied by the update to the two weights only, not to the two biases: as an L2
 * term in the gradient, except AdamW's decoupled shrink. */
static void check_optimizer(int opt, double wd)
{
    struct evo_mlp_arch arch = make_arch(1, 2, 0, NULL, EVO_ACT_RELU); /* w[1,2], b[2]: 4 params */
    struct evo_rng rng;
    evo_rng_seed(&rng, 1, 0, 0, 0);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    assert_int_equal(net.n_params, 4);
    struct evo_train_params tp = default_params();
    tp.optimizer = opt;
    tp.learning_rate = 0.1; /* ignored: the rate is evo_optim_update's argument */
    tp.momentum = 0.8;
    tp.beta1 = 0.9;
    tp.beta2 = 0.99;
    tp.rho = 0.7;
    tp.eps = 1e-3; /* large enough to matter in the comparison */
    tp.weight_decay = wd;
    static const double p_init[4] = {0.5, -1.0, 0.25, 2.0};
    static const double grads[3][4] = {{1.0, -2.0, 0.5, 0.0}, {0.5, 1.0, -0.25, 3.0}, {-1.0, 0.1, 0.2, -4.0}};
    static const double lrs[3] = {0.1, 0.05, 0.2}; /* as a schedule would change it */
    double p[4], m[4] = {0}, v[4] = {0};
    for (size_t k = 0; k < 4; k++) {
        p[k] = p_init[k];
        net.params[k] = (float)p_init[k];
    }
    for (int t = 1; t <= 3; t++) {
        double lr = lrs[t - 1];
        for (size_t k = 0; k < 4; k++)
            net.grads[k] = (float)grads[t - 1][k];
        evo_optim_update(&net, &tp, lr);
        assert_int_equal(net.step, (uint64_t)t);
        for (size_t k = 0; k < 4; k++) {
            double d = k < 2 ? wd : 0.0;
            double g = grads[t - 1][k] + (opt == EVO_OPT_ADAMW ? 0.0 : d * p[k]);
            if (opt == EVO_OPT_SGD) {
                p[k] -= lr * g;
            } else if (opt == EVO_OPT_MOMENTUM) {
                m[k] = 0.8 * m[k] + g;
                p[k] -= lr * m[k];
            } else if (opt == EVO_OPT_NESTEROV) {
                m[k] = 0.8 * m[k] + g;
                p[k] -= lr * (g + 0.8 * m[k]);
            } else if (opt == EVO_OPT_RMSPROP) {
                v[k] = 0.7 * v[k] + 0.3 * g * g;
                p[k] -= lr * g / (sqrt(v[k]) + 1e-3);
            } else {
                m[k] = 0.9 * m[k] + 0.1 * g;
                v[k] = 0.99 * v[k] + 0.01 * g * g;
                double mh = m[k] / (1 - pow(0.9, t)), vh = v[k] / (1 - pow(0.99, t));
                p[k] -= lr * mh / (sqrt(vh) + 1e-3) + (opt == EVO_OPT_ADAMW ? lr * d * p[k] : 0.0);
            }
            expect_close(net.params[k], p[k], 1e-6, 1e-6, evo_optim_name(opt), k);
        }
    }
    evo_mlp_release(&net);
}

static void test_optimizers(void **state)
{
    (void)state;
    for (int opt = 0; opt < EVO_OPT_COUNT; opt++)
        for (int wd = 0; wd < 2; wd++)
            check_optimizer(opt, wd ? 0.05 : 0.0);
    static const char *const names[EVO_OPT_COUNT] = {"sgd", "momentum", "adam", "nesterov", "rmsprop", "adamw"};
    for (int opt = 0; opt < EVO_OPT_COUNT; opt++)
        assert_string_equal(evo_optim_name(opt), names[opt]);
    assert_string_equal(evo_optim_name(EVO_OPT_COUNT), "unknown");
    assert_string_equal(evo_train_status_name(EVO_TRAIN_OK), "ok");
    assert_string_equal(evo_train_status_name(EVO_TRAIN_DIVERGED), "diverged");
    assert_string_equal(evo_train_status_name(EVO_TRAIN_TOO_LARGE), "too_large");
    assert_string_equal(evo_train_status_name(EVO_TRAIN_STATUS_COUNT), "unknown");
    static const char *const sched[EVO_LR_COUNT] = {"constant", "step", "exponential", "cosine", "warmup",
                                                    "plateau"};
    for (int k = 0; k < EVO_LR_COUNT; k++)
        assert_string_equal(evo_optim_schedule_name(k), sched[k]);
    assert_string_equal(evo_optim_schedule_name(-1), "unknown");
}

/* Runs schedule with the other parameters of tp over `n` epochs with the given validation losses
 * (after each epoch) and compares each epoch's rate with the hand-computed `want`. */
static void check_schedule(struct evo_train_params tp, int schedule, const double *val, const double *want, int n)
{
    tp.lr_schedule = schedule;
    struct evo_optim_lr s;
    evo_optim_lr_init(&s, &tp);
    for (int e = 0; e < n; e++) {
        assert_int_equal(s.epoch, e);
        expect_close(s.lr, want[e], 1e-15, 1e-12, evo_optim_schedule_name(tp.lr_schedule), (size_t)e);
        evo_optim_lr_next(&s, &tp, val ? val[e] : NAN);
    }
}

static void test_schedules(void **state)
{
    (void)state;
    struct evo_train_params tp = default_params();
    tp.learning_rate = 0.1;
    tp.epochs = 6;
    tp.lr_decay = 0.5;
    tp.lr_step_epochs = tp.lr_warmup_epochs = tp.lr_plateau_patience = 2; /* each schedule's period */
    tp.min_delta = 0.01;
    tp.lr_min = 0.0;

    check_schedule(tp, EVO_LR_CONSTANT, NULL, (const double[]){0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 6);
    check_schedule(tp, EVO_LR_STEP, NULL, (const double[]){0.1, 0.1, 0.05, 0.05, 0.025, 0.025}, 6);
    check_schedule(tp, EVO_LR_EXPONENTIAL, NULL,
                   (const double[]){0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125}, 6);
    /* cos(pi e / 6) = 1, sqrt(3)/2, 1/2, 0, -1/2, -sqrt(3)/2 */
    const double r3 = sqrt(3.0) / 2;
    check_schedule(tp, EVO_LR_COSINE, NULL,
                   (const double[]){0.1, 0.05 * (1 + r3), 0.075, 0.05, 0.025, 0.05 * (1 - r3)}, 6);
    /* warm-up 1/3, 2/3 of lr, then cosine over the last 4 epochs: cos(pi k / 4) = 1, r2, 0, -r2 */
    const double r2 = sqrt(2.0) / 2;
    check_schedule(tp, EVO_LR_WARMUP, NULL,
                   (const double[]){0.1 / 3, 0.2 / 3, 0.1, 0.05 * (1 + r2), 0.05, 0.05 * (1 - r2)}, 6);
    /* the floor: step and exponential stop at lr_min, cosine ends there */
    tp.lr_min = 0.03;
    check_schedule(tp, EVO_LR_EXPONENTIAL, NULL, (const double[]){0.1, 0.05, 0.03, 0.03, 0.03, 0.03}, 6);
    check_schedule(tp, EVO_LR_COSINE, NULL,
                   (const double[]){0.1, 0.03 + 0.035 * (1 + r3), 0.03 + 0.035 * 1.5, 0.065,
                                    0.03 + 0.035 * 0.5, 0.03 + 0.035 * (1 - r3)}, 6);
    /* plateau: improvements must beat the best by more than min_delta = 0.01; after two epochs
     * without, the rate halves and the count restarts */
    tp.lr_min = 0.02;
    tp.epochs = 10;
    static const double val[10] = {1.0, 0.9, 0.895, 0.899, 0.5, 0.6, 0.7, 0.8, NAN, 0.1};
    /* e=0: 1.0 improves (from +inf); e=1: 0.9 improves; e=2: 0.895 not (wait 1); e=3: wait 2 -> 0.05;
     * e=4: 0.5 improves; e=5, 6: wait 2 -> 0.025; e=7, 8 (NaN): wait 2 -> 0.0125, floored at 0.02;
     * e=9 improves */
    check_schedule(tp, EVO_LR_PLATEAU, val,
                   (const double[]){0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.02}, 10);
}

static void test_init_statistics(void **state)
{
    (void)state;
    static const size_t hidden[2] = {300, 200};
    for (int act = 0; act < EVO_ACT_COUNT; act++) {
        struct evo_mlp_arch arch = make_arch(400, 10, 2, hidden, act);
        struct evo_rng rng;
        evo_rng_seed(&rng, 3, 0, 0, (uint64_t)act);
        struct evo_mlp net;
        assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
        assert_int_equal(net.n_layers, 3);
        assert_int_equal(net.n_params, 400 * 300 + 300 + 300 * 200 + 200 + 200 * 10 + 10);
        static const size_t fan[3][2] = {{400, 300}, {300, 200}, {200, 10}};
        for (size_t l = 0; l < 3; l++) {
            size_t in = fan[l][0], out = fan[l][1], cnt = in * out;
            assert_int_equal(net.b_off[l] - net.w_off[l], cnt);
            double s = 0, s2 = 0;
            for (size_t k = 0; k < cnt; k++) {
                double w = net.params[net.w_off[l] + k];
                s += w;
                s2 += w * w;
            }
            double mean = s / (double)cnt, sd = sqrt(s2 / (double)cnt - mean * mean);
            int he = l < 2 && act != EVO_ACT_TANH && act != EVO_ACT_SIGMOID; /* the relu family */
            double want = he ? sqrt(2.0 / (double)in) : sqrt(2.0 / (double)(in + out));
            expect_close(sd, want, 0, 0.03, "std", l);
            expect_close(mean, 0, 4 * want / sqrt((double)cnt), 0, "mean", l);
            for (size_t k = 0; k < out; k++)
                assert_true(net.params[net.b_off[l] + k] == 0.0f);
        }
        for (size_t k = 0; k < net.n_params; k++)
            assert_true(net.grads[k] == 0.0f && net.m[k] == 0.0f && net.v[k] == 0.0f);
        assert_int_equal(net.step, 0);
        evo_mlp_release(&net);
    }
}

/* Each explicit initialisation on every layer: mean 0 and the variance its formula gives, and for
 * the uniform ones the support's bound. */
static void test_init_choices(void **state)
{
    (void)state;
    static const size_t hidden[2] = {300, 200};
    static const size_t fan[3][2] = {{400, 300}, {300, 200}, {200, 10}};
    for (int init = EVO_INIT_UNIFORM; init < EVO_INIT_COUNT; init++) {
        struct evo_mlp_arch arch = make_arch(400, 10, 2, hidden, EVO_ACT_TANH);
        arch.init = init;
        struct evo_rng rng;
        evo_rng_seed(&rng, 5, 0, 0, (uint64_t)init);
        struct evo_mlp net;
        assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
        for (size_t l = 0; l < 3; l++) {
            double in = (double)fan[l][0], out = (double)fan[l][1];
            size_t cnt = fan[l][0] * fan[l][1];
            double var; /* the formula's variance */
            int uniform = init == EVO_INIT_UNIFORM || init == EVO_INIT_XAVIER_UNIFORM ||
                          init == EVO_INIT_HE_UNIFORM;
            switch (init) {
            case EVO_INIT_UNIFORM: var = 0.05 * 0.05 / 3; break;
            case EVO_INIT_NORMAL: var = 0.05 * 0.05; break;
            case EVO_INIT_XAVIER_UNIFORM: case EVO_INIT_XAVIER_NORMAL: var = 2 / (in + out); break;
            default: var = 2 / in; break;
            }
            double s = 0, s2 = 0, mx = 0;
            for (size_t k = 0; k < cnt; k++) {
                double w = net.params[net.w_off[l] + k];
                s += w;
                s2 += w * w;
                mx = fmax(mx, fabs(w));
            }
            double mean = s / (double)cnt, v = s2 / (double)cnt - mean * mean;
            expect_close(v, var, 0, 0.06, "variance", (size_t)init * 10 + l);
            expect_close(mean, 0, 4 * sqrt(var / (double)cnt), 0, "mean", (size_t)init * 10 + l);
            if (uniform) { /* support [-sqrt(3 var), sqrt(3 var)], nearly reached */
                assert_true(mx <= sqrt(3 * var) * (1 + 1e-6));
                assert_true(mx >= 0.99 * sqrt(3 * var));
            } else { /* a normal's tail goes past the uniform's bound */
                assert_true(mx > 2 * sqrt(var));
            }
            for (size_t k = 0; k < fan[l][1]; k++)
                assert_true(net.params[net.b_off[l] + k] == 0.0f);
        }
        evo_mlp_release(&net);
    }
    /* by_activation (0) is the default: a zeroed arch draws what the explicit value draws */
    struct evo_mlp_arch arch = make_arch(7, 3, 1, hidden, EVO_ACT_RELU);
    struct evo_mlp a, b;
    struct evo_rng r1, r2;
    evo_rng_seed(&r1, 9, 0, 0, 0);
    r2 = r1;
    assert_int_equal(evo_mlp_init(&a, &arch, &r1, NULL), EVO_OK);
    arch.init = EVO_INIT_HE_NORMAL; /* relu's by_activation hidden layer is He-normal */
    assert_int_equal(evo_mlp_init(&b, &arch, &r2, NULL), EVO_OK);
    assert_memory_equal(a.params, b.params, 7 * 300 * sizeof(float));
    evo_mlp_release(&a);
    evo_mlp_release(&b);
    arch.init = EVO_INIT_COUNT;
    assert_int_equal(evo_mlp_init(&a, &arch, &r1, NULL), EVO_ERUNTIME);
    arch.init = 0;
    arch.activation = EVO_ACT_LEAKY_RELU;
    arch.leaky_slope = -0.1;
    assert_int_equal(evo_mlp_init(&a, &arch, &r1, NULL), EVO_ERUNTIME);
}

/* L1: one SGD step against p - lr (g + wd p + l1 sign(p)) computed by hand, biases untouched by
 * both penalties; every optimizer sees l1 in its gradient (checked through Adam's first moment). */
static void test_l1(void **state)
{
    (void)state;
    static const size_t hidden[1] = {4};
    struct evo_mlp_arch arch = make_arch(3, 2, 1, hidden, EVO_ACT_TANH);
    struct evo_rng rng;
    evo_rng_seed(&rng, 21, 0, 0, 0);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    size_t n = net.n_params;
    for (size_t k = 0; k < n; k++) {
        net.params[k] = (float)evo_rng_normal(&rng);
        net.grads[k] = (float)evo_rng_normal(&rng);
    }
    net.params[net.w_off[0] + 1] = 0.0f; /* sign(0) = 0 */
    float *p0 = malloc(n * sizeof *p0), *g0 = malloc(n * sizeof *g0);
    memcpy(p0, net.params, n * sizeof *p0);
    memcpy(g0, net.grads, n * sizeof *g0);
    struct evo_train_params tp = default_params();
    tp.optimizer = EVO_OPT_SGD;
    tp.weight_decay = 0.01;
    tp.l1 = 0.03;
    const double lr = 0.1;
    evo_optim_update(&net, &tp, lr);
    for (size_t l = 0; l < net.n_layers; l++) {
        size_t end = l + 1 < net.n_layers ? net.w_off[l + 1] : n;
        for (size_t k = net.w_off[l]; k < end; k++) {
            int weight = k < net.b_off[l];
            double p = p0[k], sgn = p > 0 ? 1 : p < 0 ? -1 : 0;
            double want = weight ? p - lr * (g0[k] + tp.weight_decay * p + tp.l1 * sgn) : p - lr * g0[k];
            expect_close(net.params[k], want, 1e-6, 1e-6, "l1 sgd", k);
        }
    }
    /* Adam: m = (1 - b1) (g + l1 sign(p)) after one step from m = 0 */
    memcpy(net.params, p0, n * sizeof *p0);
    memcpy(net.grads, g0, n * sizeof *g0);
    memset(net.m, 0, n * sizeof *net.m);
    memset(net.v, 0, n * sizeof *net.v);
    tp.optimizer = EVO_OPT_ADAMW;
    tp.beta1 = 0.9;
    tp.beta2 = 0.999;
    tp.eps = 1e-8;
    evo_optim_update(&net, &tp, lr);
    for (size_t k = net.w_off[0]; k < net.b_off[0]; k++) {
        double p = p0[k], sgn = p > 0 ? 1 : p < 0 ? -1 : 0;
        expect_close(net.m[k], 0.1 * (g0[k] + tp.l1 * sgn), 1e-7, 1e-5, "l1 adamw m", k);
    }
    free(p0), free(g0);
    evo_mlp_release(&net);
}

/* max_norm: after an update every hidden unit's incoming weight vector is at most max_norm long;
 * shorter ones are untouched, longer ones keep their direction; biases and the output layer are
 * not constrained. */
static void test_max_norm(void **state)
{
    (void)state;
    static const size_t hidden[2] = {5, 6};
    struct evo_mlp_arch arch = make_arch(4, 3, 2, hidden, EVO_ACT_ELU);
    struct evo_rng rng;
    evo_rng_seed(&rng, 23, 0, 0, 0);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    size_t n = net.n_params;
    for (size_t k = 0; k < n; k++)
        net.params[k] = (float)(1.5 * evo_rng_normal(&rng)); /* columns of norm ~1.5 sqrt(in) */
    net.params[net.w_off[0] + 0 * 5 + 2] = 0.01f; /* make unit 2 of layer 0 short */
    net.params[net.w_off[0] + 1 * 5 + 2] = 0.02f;
    net.params[net.w_off[0] + 2 * 5 + 2] = -0.01f;
    net.params[net.w_off[0] + 3 * 5 + 2] = 0.0f;
    memset(net.grads, 0, n * sizeof *net.grads); /* plain SGD with zero gradient: only the cap acts */
    float *p0 = malloc(n * sizeof *p0);
    memcpy(p0, net.params, n * sizeof *p0);
    struct evo_train_params tp = default_params();
    tp.optimizer = EVO_OPT_SGD;
    tp.max_norm = 2.0;
    evo_optim_update(&net, &tp, 0.1);
    size_t capped = 0;
    for (size_t l = 0; l < 2; l++) {
        size_t in = l ? hidden[0] : 4, out = hidden[l];
        for (size_t j = 0; j < out; j++) {
            double n0 = 0, n1 = 0;
            for (size_t i = 0; i < in; i++) {
                n0 += (double)p0[net.w_off[l] + i * out + j] * p0[net.w_off[l] + i * out + j];
                n1 += (double)net.params[net.w_off[l] + i * out + j] * net.params[net.w_off[l] + i * out + j];
            }
            n0 = sqrt(n0), n1 = sqrt(n1);
            assert_true(n1 <= 2.0 * (1 + 1e-6));
            if (n0 <= 2.0) {
                for (size_t i = 0; i < in; i++)
                    assert_true(net.params[net.w_off[l] + i * out + j] == p0[net.w_off[l] + i * out + j]);
            } else {
                capped++;
                expect_close(n1, 2.0, 0, 1e-6, "capped norm", j);
                for (size_t i = 0; i < in; i++) /* same direction */
                    expect_close(net.params[net.w_off[l] + i * out + j],
                                 p0[net.w_off[l] + i * out + j] * 2.0 / n0, 1e-6, 1e-5, "direction", i);
            }
        }
    }
    assert_true(capped >= 5);
    /* the output layer's weights and every bias unchanged */
    assert_memory_equal(net.params + net.w_off[2], p0 + net.w_off[2], (n - net.w_off[2]) * sizeof *p0);
    for (size_t l = 0; l < 2; l++)
        assert_memory_equal(net.params + net.b_off[l], p0 + net.b_off[l], hidden[l] * sizeof *p0);
    free(p0);
    evo_mlp_release(&net);
}

/* Three gaussian blobs in d dimensions, unit spread, centres 4 apart along separate axes. */
static void make_blobs(struct evo_dataset *ds, size_t n, size_t d, struct evo_rng *rng)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->d = d;
    ds->n_classes = 3;
    ds->x = malloc(n * d * sizeof *ds->x);
    ds->y = malloc(n * sizeof *ds->y);
    for (size_t r = 0; r < n; r++) {
        int32_t c = (int32_t)evo_rng_below(rng, 3);
        ds->y[r] = c;
        for (size_t j = 0; j < d; j++)
            ds->x[r * d + j] = (float)evo_rng_normal(rng) + ((size_t)c == j ? 4.0f : 0.0f);
    }
}

static void free_blobs(struct evo_dataset *ds)
{
    free(ds->x);
    free(ds->y);
}

/* What most training tests share: blob sets of n_tr training and n_va validation rows of 6 features,
 * drawn in that order from a stream seeded with seed (which the test may go on drawing from), and a
 * workspace for 6-16-16-3 networks with batches up to max_batch. */
struct blobs {
    struct evo_rng rng;
    struct evo_dataset tr, va;
    struct evo_mlp_workspace ws;
};

static void blobs_open(struct blobs *f, uint64_t seed, size_t n_tr, size_t n_va, size_t max_batch)
{
    evo_rng_seed(&f->rng, seed, 0, 0, 0);
    make_blobs(&f->tr, n_tr, 6, &f->rng);
    make_blobs(&f->va, n_va, 6, &f->rng);
    evo_mlp_workspace_init(&f->ws, 6, 3, 2, 16, max_batch, n_tr);
}

static void blobs_close(struct blobs *f)
{
    evo_mlp_workspace_release(&f->ws);
    free_blobs(&f->tr);
    free_blobs(&f->va);
}

/* Trains a fresh 6-16-16-3 network from seed and returns it in net. */
static void train_blobs(struct evo_mlp *net, struct evo_mlp_workspace *ws,
                        const struct evo_train_params *tp, const struct evo_dataset *tr,
                        const struct evo_dataset *va, uint64_t seed, struct evo_train_result *res)
{
    static const size_t hidden[2] = {16, 16};
    struct evo_mlp_arch arch = make_arch(6, 3, 2, hidden, EVO_ACT_RELU);
    struct evo_rng rng;
    evo_rng_seed(&rng, seed, 0, 0, EVO_RNG_TRAIN);
    assert_int_equal(evo_mlp_init(net, &arch, &rng, NULL), EVO_OK);
    struct evo_error err = {0};
    assert_int_equal(evo_train_run(net, ws, tp, tr, va, &rng, res, &err), EVO_OK);
}

/* Pausing changes nothing: for every optimizer and schedule, with and without early stopping (one
 * threshold that stops it early, one that lets it run), training paused at 1, 2 and 4 epochs and
 * continued to 7 ends with the parameters, optimizer moments, step count, curve and result of one
 * uninterrupted training, bit for bit; and a pause reports what a training that paused there at once
 * reports. */
static void test_pause_continue(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 41, 90, 40, 16);
    static const size_t hidden[2] = {16, 16};
    struct evo_mlp_arch arch = make_arch(6, 3, 2, hidden, EVO_ACT_RELU);
    enum { E = 7 };
    static const int pauses[] = {1, 2, 4, E};
    int paused_swapped = 0, stopped_early = 0;
    for (int opt = 0; opt < EVO_OPT_COUNT; opt++)
        for (int sch = 0; sch < EVO_LR_COUNT; sch++)
            for (int es = 0; es < 3; es++) {
                struct evo_train_params tp = {0};
                tp.learning_rate = 0.05;
                tp.epochs = E;
                tp.batch_size = 16;
                tp.optimizer = opt;
                tp.momentum = 0.9;
                tp.beta1 = 0.9;
                tp.beta2 = 0.999;
                tp.rho = 0.9;
                tp.eps = 1e-8;
                tp.weight_decay = 1e-4;
                tp.dropout = 0.2; /* draws from the stream every batch */
                tp.lr_schedule = sch;
                tp.lr_step_epochs = 2;
                tp.lr_decay = 0.5;
                tp.lr_warmup_epochs = 2;
                tp.lr_plateau_patience = 1;
                tp.lr_min = 1e-3;
                tp.early_stopping = es > 0;
                tp.patience = 2;
                tp.min_delta = es == 2 ? 0.05 : 0.0;
                struct evo_epoch_metrics curve_a[E], curve_b[E], curve_c[E];
                struct evo_mlp a, b, c;
                struct evo_train_result ra, rb, rc;
                struct evo_error err = {0};
                struct evo_rng rng;
                /* a: at once */
                evo_rng_seed(&rng, 7, (uint64_t)opt, (uint64_t)sch, EVO_RNG_TRAIN);
                assert_int_equal(evo_mlp_init(&a, &arch, &rng, NULL), EVO_OK);
                tp.curve = curve_a;
                assert_int_equal(evo_train_run(&a, &f.ws, &tp, &f.tr, &f.va, &rng, &ra, &err), EVO_OK);
                struct evo_rng after_a = rng;
                /* b: paused three times; c: straight to b's third pause */
                evo_rng_seed(&rng, 7, (uint64_t)opt, (uint64_t)sch, EVO_RNG_TRAIN);
                assert_int_equal(evo_mlp_init(&b, &arch, &rng, NULL), EVO_OK);
                evo_mlp_clone(&c, &b);
                struct evo_train_state sb, sc;
                evo_train_begin(&sb, &tp, &rng);
                evo_train_begin(&sc, &tp, &rng);
                tp.curve = curve_c;
                assert_int_equal(evo_train_continue(&c, &f.ws, &tp, &f.tr, &f.va, &sc, 4, &rc, &err), EVO_OK);
                tp.curve = curve_b;
                for (size_t k = 0; k < sizeof pauses / sizeof pauses[0]; k++) {
                    assert_int_equal(evo_train_continue(&b, &f.ws, &tp, &f.tr, &f.va, &sb, pauses[k], &rb, &err),
                                     EVO_OK);
                    assert_int_equal(rb.paused, !sb.done);
                    assert_true(rb.epochs_run <= pauses[k]);
                    paused_swapped += sb.swapped;
                    if (pauses[k] == 4) { /* the same report and weights as c's */
                        assert_int_equal(rb.epochs_run, rc.epochs_run);
                        assert_int_equal(rb.paused, rc.paused);
                        assert_int_equal(rb.best_epoch, rc.best_epoch);
                        assert_memory_equal(&rb.val, &rc.val, sizeof rb.val);
                        assert_memory_equal(b.slab, c.slab, 5 * b.n_params * sizeof(float));
                        assert_memory_equal(curve_b, curve_c, (size_t)rb.epochs_run * sizeof curve_b[0]);
                    }
                }
                stopped_early += ra.epochs_run < E;
                assert_false(rb.paused);
                assert_int_equal(rb.status, ra.status);
                assert_int_equal(rb.epochs_run, ra.epochs_run);
                assert_int_equal(rb.best_epoch, ra.best_epoch);
                assert_memory_equal(&rb.train_loss, &ra.train_loss, sizeof ra.train_loss);
                assert_memory_equal(&rb.val, &ra.val, sizeof ra.val);
                assert_int_equal(b.step, a.step);
                /* params | grads | m | v | best */
                assert_memory_equal(b.params, a.params, b.n_params * sizeof(float));
                assert_memory_equal(b.m, a.m, b.n_params * sizeof(float));
                assert_memory_equal(b.v, a.v, b.n_params * sizeof(float));
                assert_memory_equal(curve_b, curve_a, (size_t)ra.epochs_run * sizeof curve_a[0]);
                assert_memory_equal(&sb.rng, &after_a, sizeof after_a);
                evo_mlp_release(&a);
                evo_mlp_release(&b);
                evo_mlp_release(&c);
            }
    /* the cases the test is for occurred: pauses away from the best epoch, and early stops */
    assert_true(paused_swapped > 0);
    assert_true(stopped_early > 0);
    blobs_close(&f);
}

/* Batch normalisation: the training pass moves the running statistics by the documented rule
 * (momentum 0.1, unbiased variance); evaluation normalises with them, so a row's prediction does not
 * depend on the rows batched with it; a batch-normalised network learns; per-layer dropout trains. */
static void test_batch_norm(void **state)
{
    (void)state;
    static const size_t hidden[1] = {5};
    struct evo_mlp_arch arch = make_arch(3, 2, 1, hidden, EVO_ACT_TANH);
    arch.batch_norm = 1;
    struct evo_rng rng;
    evo_rng_seed(&rng, 5, 0, 0, 0);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    /* slab: w[3,5] b[5] gamma[5] beta[5] mean[5] var[5] | w[5,2] b[2] */
    assert_int_equal(net.n_params, 15 + 5 + 20 + 10 + 2);
    assert_int_equal(net.bn_off[0], 20);
    assert_int_equal(net.stat_off[0], 30);
    assert_int_equal(net.w_off[1], 40);
    for (size_t j = 0; j < 5; j++) {
        assert_true(net.params[20 + j] == 1.0f && net.params[25 + j] == 0.0f); /* gamma, beta */
        assert_true(net.params[30 + j] == 0.0f && net.params[35 + j] == 1.0f); /* running stats */
        net.params[15 + j] = 0.1f * (float)j; /* biases: the statistics must include them */
    }
    enum { B = 6 };
    float x[B * 3];
    int32_t y[B] = {0, 1, 0, 1, 1, 0};
    for (size_t k = 0; k < B * 3; k++)
        x[k] = (float)evo_rng_normal(&rng);
    /* the batch statistics of the dense product z = x w + b, in double */
    double mean[5] = {0}, ss[5] = {0};
    for (size_t r = 0; r < B; r++)
        for (size_t j = 0; j < 5; j++) {
            double z = net.params[15 + j];
            for (size_t i = 0; i < 3; i++)
                z += (double)x[r * 3 + i] * net.params[i * 5 + j];
            mean[j] += z / B;
        }
    for (size_t r = 0; r < B; r++)
        for (size_t j = 0; j < 5; j++) {
            double z = net.params[15 + j];
            for (size_t i = 0; i < 3; i++)
                z += (double)x[r * 3 + i] * net.params[i * 5 + j];
            ss[j] += (z - mean[j]) * (z - mean[j]);
        }
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 3, 2, 1, 5, B, B);
    float before[52];
    memcpy(before, net.params, sizeof before);
    evo_mlp_loss_grad(&net, &ws, x, y, B, NULL, 0, NULL);
    for (size_t j = 0; j < 5; j++) {
        expect_close(net.params[30 + j], 0.1 * mean[j], 1e-6, 1e-5, "running mean", j);
        expect_close(net.params[35 + j], 0.9 + 0.1 * ss[j] / (B - 1), 1e-6, 1e-5, "running var", j);
    }
    /* everything but the running statistics is untouched; gamma and beta have gradients */
    assert_memory_equal(before, net.params, 30 * sizeof *before);
    assert_memory_equal(before + 40, net.params + 40, 12 * sizeof *before);
    double gsum = 0;
    for (size_t j = 20; j < 30; j++)
        gsum += fabs(net.grads[j]);
    assert_true(gsum > 0);
    for (size_t j = 30; j < 40; j++)
        assert_true(net.grads[j] == 0.0f); /* the statistics are not trained */

    /* evaluation: gamma (z - running mean) / sqrt(running var + eps) + beta, row by row */
    float probs_all[B * 2], probs_one[2];
    evo_mlp_predict(&net, &ws, x, B, probs_all);
    for (size_t r = 0; r < B; r++) {
        evo_mlp_predict(&net, &ws, x + r * 3, 1, probs_one);
        assert_memory_equal(probs_one, probs_all + r * 2, sizeof probs_one);
        double logit[2] = {net.params[50], net.params[51]};
        for (size_t j = 0; j < 5; j++) {
            double z = net.params[15 + j];
            for (size_t i = 0; i < 3; i++)
                z += (double)x[r * 3 + i] * net.params[i * 5 + j];
            double h = tanh((z - net.params[30 + j]) / sqrt(net.params[35 + j] + EVO_MLP_BN_EPS));
            for (size_t c = 0; c < 2; c++)
                logit[c] += h * net.params[40 + j * 2 + c];
        }
        double p1 = 1.0 / (1.0 + exp(logit[0] - logit[1]));
        expect_close(probs_all[r * 2 + 1], p1, 1e-5, 1e-4, "bn predict", r);
    }
    /* the optimizer leaves the running statistics alone */
    struct evo_train_params tp = default_params();
    memcpy(before, net.params, sizeof before);
    evo_optim_update(&net, &tp, 0.1);
    assert_memory_equal(before + 30, net.params + 30, 10 * sizeof *before);
    evo_mlp_release(&net);
    evo_mlp_workspace_release(&ws);

    /* training with batch norm and per-layer dropout learns the blobs */
    struct evo_dataset tr, va;
    make_blobs(&tr, 600, 6, &rng);
    make_blobs(&va, 301, 6, &rng);
    evo_mlp_workspace_init(&ws, 6, 3, 2, 16, 64, 600);
    static const size_t h2[2] = {16, 16};
    struct evo_mlp_arch a2 = make_arch(6, 3, 2, h2, EVO_ACT_RELU);
    a2.batch_norm = 1;
    evo_rng_seed(&rng, 8, 0, 0, EVO_RNG_TRAIN);
    assert_int_equal(evo_mlp_init(&net, &a2, &rng, NULL), EVO_OK);
    tp.batch_size = 32;
    tp.dropout_per_layer = 1;
    tp.layer_dropout[0] = 0.3;
    tp.layer_dropout[1] = 0.0;
    struct evo_train_result res;
    struct evo_error err = {0};
    assert_int_equal(evo_train_run(&net, &ws, &tp, &tr, &va, &rng, &res, &err), EVO_OK);
    assert_int_equal(res.status, EVO_TRAIN_OK);
    assert_true(res.val.accuracy > 0.95);
    /* a per-layer rate outside [0, 1) is refused, naming the layer */
    tp.layer_dropout[1] = 1.0;
    assert_int_equal(evo_train_run(&net, &ws, &tp, &tr, &va, &rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "hidden layer 2"));
    evo_mlp_release(&net);
    evo_mlp_workspace_release(&ws);
    free_blobs(&tr);
    free_blobs(&va);
}

static void test_training_learns(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 21, 600, 301, 64);
    struct evo_train_params tp = default_params();
    tp.batch_size = 50; /* 600 = 12 * 50: no partial batch here, see below */
    struct evo_train_result res;
    struct evo_mlp net;
    train_blobs(&net, &f.ws, &tp, &f.tr, &f.va, 5, &res);
    assert_int_equal(res.status, EVO_TRAIN_OK);
    assert_int_equal(res.epochs_run, 5);
    assert_true(res.val.accuracy > 0.95);
    assert_true(res.val.loss < 0.3 && res.train_loss < 0.3);
    assert_int_equal(net.step, 5 * 12);

    /* the evaluation agrees with one loss pass over the whole validation set */
    struct evo_metrics m;
    evo_mlp_evaluate(&net, &f.ws, &f.va, &m);
    double loss = m.loss;
    assert_true(loss == res.val.loss && m.accuracy == res.val.accuracy);
    struct evo_mlp_workspace big;
    evo_mlp_workspace_init(&big, 6, 3, 2, 16, 301, 1);
    double full = evo_mlp_loss_grad(&net, &big, f.va.x, f.va.y, f.va.n, NULL, 0, NULL);
    expect_close(full, loss, 1e-6, 1e-5, "val_loss", 0);

    /* predict: rows sum to 1, and chunking by max_batch does not change the answer */
    float *p1 = malloc(f.va.n * 3 * sizeof *p1), *p2 = malloc(f.va.n * 3 * sizeof *p2);
    evo_mlp_predict(&net, &f.ws, f.va.x, f.va.n, p1);
    evo_mlp_predict(&net, &big, f.va.x, f.va.n, p2);
    size_t correct = 0;
    for (size_t r = 0; r < f.va.n; r++) {
        double s = 0;
        size_t arg = 0;
        for (size_t c = 0; c < 3; c++) {
            s += p1[r * 3 + c];
            expect_close(p1[r * 3 + c], p2[r * 3 + c], 1e-7, 1e-6, "predict", r);
            arg = p1[r * 3 + c] > p1[r * 3 + arg] ? c : arg;
        }
        expect_close(s, 1, 1e-5, 0, "sum", r);
        correct += arg == (size_t)f.va.y[r];
    }
    expect_close((double)correct / (double)f.va.n, m.accuracy, 0.01, 0, "accuracy", 0);

    /* a partial last batch (600 = 18 * 32 + 24) is used: one more step per epoch */
    evo_mlp_release(&net);
    tp.batch_size = 32;
    tp.optimizer = EVO_OPT_MOMENTUM;
    tp.learning_rate = 0.05;
    tp.dropout = 0.1;
    tp.weight_decay = 1e-4;
    train_blobs(&net, &f.ws, &tp, &f.tr, &f.va, 6, &res);
    assert_int_equal(net.step, 5 * 19);
    assert_int_equal(res.status, EVO_TRAIN_OK);
    assert_true(res.val.accuracy > 0.95);

    free(p1), free(p2);
    evo_mlp_release(&net);
    evo_mlp_workspace_release(&big);
    blobs_close(&f);
}


/* A labelled set with class c holding sizes[c] rows, in a scrambled order; x is the row index. */
static void make_classes(struct evo_dataset *ds, const size_t *sizes, size_t C, struct evo_rng *rng)
{
    memset(ds, 0, sizeof *ds);
    size_t n = 0;
    for (size_t c = 0; c < C; c++)
        n += sizes[c];
    ds->n = n;
    ds->d = 1;
    ds->n_classes = (int)C;
    ds->x = malloc(n * sizeof *ds->x);
    ds->y = malloc(n * sizeof *ds->y);
    size_t k = 0;
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < sizes[c]; i++)
            ds->y[k++] = (int32_t)c;
    for (size_t i = n; i > 1; i--) { /* scramble, so that grouping by class is not a no-op */
        size_t j = (size_t)evo_rng_below(rng, i);
        int32_t t = ds->y[i - 1];
        ds->y[i - 1] = ds->y[j];
        ds->y[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        ds->x[i] = (float)i;
}

/* Checks one epoch's order: every batch holds between floor(B t_c / n) and one more rows of class
 * c, t_c the epoch's total of class c (want[c]), which the epoch meets exactly. Returns the number of
 * times each row is used in uses[n]. */
static void check_batches(const struct evo_mlp_workspace *ws, const struct evo_dataset *ds, size_t bs,
                          const size_t *want, size_t C, size_t *uses)
{
    size_t n = ds->n, total[64] = {0};
    memset(uses, 0, n * sizeof *uses);
    for (size_t start = 0; start < n; start += bs) {
        size_t B = n - start < bs ? n - start : bs, count[64] = {0};
        for (size_t r = start; r < start + B; r++) {
            assert_true(ws->order[r] < n);
            uses[ws->order[r]]++;
            count[ds->y[ws->order[r]]]++;
        }
        for (size_t c = 0; c < C; c++) {
            size_t lo = B * want[c] / n;
            if (count[c] < lo || count[c] > lo + 1)
                fail_msg("n %zu, batch size %zu, batch at %zu: class %zu has %zu rows, want %g (+-1)",
                         n, bs, start, c, count[c], (double)B * (double)want[c] / (double)n);
            total[c] += count[c];
        }
    }
    for (size_t c = 0; c < C; c++)
        assert_int_equal(total[c], want[c]);
}

static void test_batch_selection(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 31, 0, 0, 0);

    /* shuffle: exactly today's order, one Fisher-Yates shuffle of 0..n-1 */
    static const size_t three[3] = {40, 30, 30};
    struct evo_dataset ds;
    make_classes(&ds, three, 3, &rng);
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 1, 3, 0, 1, 64, ds.n);
    struct evo_rng a, b;
    evo_rng_seed(&a, 5, 1, 2, EVO_RNG_TRAIN);
    b = a;
    evo_batch_order(&ws, EVO_BATCH_SHUFFLE, &ds, 16, &a);
    size_t ref[100];
    for (size_t k = 0; k < 100; k++)
        ref[k] = k;
    evo_rng_shuffle(&b, ref, 100);
    assert_memory_equal(ws.order, ref, sizeof ref);
    assert_memory_equal(&a, &b, sizeof a);
    evo_mlp_workspace_release(&ws);
    free_blobs(&ds);

    /* stratified and balanced on random imbalanced sets, every batch size from 1 to 64 */
    size_t *uses = NULL;
    for (int trial = 0; trial < 60; trial++) {
        size_t C = 2 + (size_t)evo_rng_below(&rng, 9), sizes[16];
        for (size_t c = 0; c < C; c++) /* from 1 to 150 rows: up to two orders of magnitude */
            sizes[c] = 1 + (size_t)(exp(evo_rng_uniform(&rng) * log(150.0)));
        if (trial % 5 == 0)
            sizes[C - 1] = 0; /* a class absent from the split */
        make_classes(&ds, sizes, C, &rng);
        evo_mlp_workspace_init(&ws, 1, C, 0, 1, 64, ds.n);
        uses = realloc(uses, ds.n * sizeof *uses);
        size_t bs = 1 + (size_t)evo_rng_below(&rng, 64);

        evo_batch_order(&ws, EVO_BATCH_STRATIFIED, &ds, bs, &rng);
        check_batches(&ws, &ds, bs, sizes, C, uses);
        for (size_t r = 0; r < ds.n; r++)
            assert_int_equal(uses[r], 1); /* a permutation */

        /* balanced: n / C' rows per present class over the epoch, B / C' +-1 per batch */
        evo_batch_order(&ws, EVO_BATCH_BALANCED, &ds, bs, &rng);
        size_t present = 0, want[16], lo = 0;
        for (size_t c = 0; c < C; c++)
            present += sizes[c] > 0;
        for (size_t c = 0; c < C; c++) {
            size_t got = 0;
            for (size_t r = 0; r < ds.n; r++)
                got += (size_t)ds.y[ws.order[r]] == c;
            want[c] = got;
            lo += got;
            if (sizes[c] == 0)
                assert_int_equal(got, 0);
            else if (got != ds.n / present && got != ds.n / present + 1)
                fail_msg("balanced: class %zu has %zu rows of %zu, want %zu", c, got, ds.n,
                         ds.n / present);
        }
        assert_int_equal(lo, ds.n);
        check_batches(&ws, &ds, bs, want, C, uses);
        /* a small class repeats its rows evenly, a large one uses each row at most once */
        for (size_t r = 0; r < ds.n; r++) {
            size_t c = (size_t)ds.y[r], m = want[c], nc = sizes[c];
            assert_true(uses[r] >= m / nc && uses[r] <= (m + nc - 1) / nc);
        }
        evo_mlp_workspace_release(&ws);
        free_blobs(&ds);
    }
    free(uses);
}

/* Training under the other selections learns, and is deterministic. */
static void test_batch_selection_trains(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 32, 333, 100, 32);
    for (int sel = EVO_BATCH_STRATIFIED; sel <= EVO_BATCH_BALANCED; sel++) {
        struct evo_train_params tp = default_params();
        tp.batch_selection = sel;
        struct evo_train_result r1, r2;
        struct evo_mlp a, b;
        train_blobs(&a, &f.ws, &tp, &f.tr, &f.va, 9, &r1);
        train_blobs(&b, &f.ws, &tp, &f.tr, &f.va, 9, &r2);
        assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
        assert_true(r1.val.accuracy > 0.95);
        evo_mlp_release(&a);
        evo_mlp_release(&b);
    }
    blobs_close(&f);
}

/* Augmentation: off (zeroed) changes nothing; on an image set it changes training, deterministically,
 * and never writes to the shared data set; on a non-image set it is ignored. */
static void test_augmentation_training(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 33, 300, 100, 32); /* 6 features: a 2 x 3 "image" when image_h/w say so */
    float *copy = malloc(f.tr.n * f.tr.d * sizeof *copy);
    memcpy(copy, f.tr.x, f.tr.n * f.tr.d * sizeof *copy);
    float mean[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, sd[6] = {1, 2, 1, 2, 1, 2};
    struct evo_train_params plain = default_params(), aug = plain;
    aug.augment = (struct evo_augment_params){.translate = 1, .flip = 1, .noise = 0.1};
    aug.feature_mean = mean;
    aug.feature_std = sd;
    struct evo_train_result r0, r1, r2, r3;
    struct evo_mlp n0, n1, n2, n3;
    train_blobs(&n0, &f.ws, &plain, &f.tr, &f.va, 4, &r0);
    train_blobs(&n3, &f.ws, &aug, &f.tr, &f.va, 4, &r3); /* not an image set: ignored */
    assert_memory_equal(n0.params, n3.params, n0.n_params * sizeof(float));
    f.tr.image_h = 2;
    f.tr.image_w = 3;
    train_blobs(&n1, &f.ws, &aug, &f.tr, &f.va, 4, &r1);
    train_blobs(&n2, &f.ws, &aug, &f.tr, &f.va, 4, &r2);
    assert_memory_equal(n1.params, n2.params, n1.n_params * sizeof(float));
    assert_memory_not_equal(n0.params, n1.params, n0.n_params * sizeof(float));
    assert_memory_equal(f.tr.x, copy, f.tr.n * f.tr.d * sizeof *copy);
    evo_mlp_release(&n3);
    train_blobs(&n3, &f.ws, &plain, &f.tr, &f.va, 4, &r3); /* an image set, augmentation off */
    assert_memory_equal(n0.params, n3.params, n0.n_params * sizeof(float));
    evo_mlp_release(&n0);
    evo_mlp_release(&n1);
    evo_mlp_release(&n2);
    evo_mlp_release(&n3);
    free(copy);
    blobs_close(&f);
}

static void test_determinism(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 22, 333, 100, 32);
    struct evo_train_params tp = default_params();
    tp.dropout = 0.2;
    tp.weight_decay = 1e-3;
    struct evo_train_result r1, r2, r3;
    struct evo_mlp a, b, c;
    train_blobs(&a, &f.ws, &tp, &f.tr, &f.va, 9, &r1);
    train_blobs(&b, &f.ws, &tp, &f.tr, &f.va, 9, &r2);
    train_blobs(&c, &f.ws, &tp, &f.tr, &f.va, 10, &r3);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.slab, b.slab, 5 * a.n_params * sizeof(float));
    assert_memory_equal(&r1, &r2, sizeof r1);
    assert_int_equal(a.step, b.step);
    assert_memory_not_equal(a.params, c.params, a.n_params * sizeof(float)); /* the seed matters */
    evo_mlp_release(&a);
    evo_mlp_release(&b);
    evo_mlp_release(&c);
    blobs_close(&f);
}

/* Early stopping restores the best epoch's weights and scores; curves record every epoch and do
 * not change the training (the per-epoch evaluation draws nothing from the stream). */
static void test_early_stopping_curves(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 24, 300, 100, 32);
    struct evo_train_params tp = default_params();
    tp.epochs = 60;
    tp.learning_rate = 0.02;
    struct evo_epoch_metrics curve[60], curve2[60];
    struct evo_train_result plain, with_curve, es;
    struct evo_mlp a, b, c;

    /* a curve changes nothing but the curve; its last point is the final score */
    train_blobs(&a, &f.ws, &tp, &f.tr, &f.va, 3, &plain);
    tp.curve = curve;
    train_blobs(&b, &f.ws, &tp, &f.tr, &f.va, 3, &with_curve);
    assert_memory_equal(&plain, &with_curve, sizeof plain);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    assert_int_equal(with_curve.epochs_run, 60);
    assert_int_equal(with_curve.best_epoch, 59);
    assert_true(curve[59].train_loss == plain.train_loss && curve[59].val_loss == plain.val.loss &&
                curve[59].val_fitness == plain.val.accuracy);
    assert_true(curve[0].val_loss > curve[59].val_loss);

    /* early stopping: the first 60 epochs are those of the run above, so its curve says where the
     * run must stop */
    tp.early_stopping = 1;
    tp.patience = 3;
    tp.min_delta = 1e-3;
    tp.curve = curve2;
    train_blobs(&c, &f.ws, &tp, &f.tr, &f.va, 3, &es);
    double best = INFINITY;
    int best_e = -1, wait = 0, stop = 60;
    for (int e = 0; e < 60; e++) {
        if (curve[e].val_loss < best - 1e-3) {
            best = curve[e].val_loss;
            best_e = e;
            wait = 0;
        } else if (++wait >= 3) {
            stop = e + 1;
            break;
        }
    }
    assert_true(stop < 60); /* the data set makes this run stop early */
    assert_int_equal(es.epochs_run, stop);
    assert_int_equal(es.best_epoch, best_e);
    assert_memory_equal(curve2, curve, (size_t)stop * sizeof *curve);
    assert_true(es.val.loss == curve[best_e].val_loss && es.val.accuracy == curve[best_e].val_fitness &&
                es.train_loss == curve[best_e].train_loss);
    /* the restored weights are the best epoch's: they score what it scored */
    struct evo_metrics m;
    evo_mlp_evaluate(&c, &f.ws, &f.va, &m);
    assert_true(m.loss == es.val.loss && m.accuracy == es.val.accuracy);

    /* without a validation set, early stopping has nothing to go by and runs every epoch */
    evo_mlp_release(&c);
    train_blobs(&c, &f.ws, &tp, &f.tr, NULL, 3, &es);
    assert_int_equal(es.epochs_run, 60);
    assert_true(isnan(curve2[0].val_loss) && isnan(es.val.loss));
    assert_memory_equal(c.params, a.params, a.n_params * sizeof(float));

    /* the plateau schedule trains differently from the constant one once it decays */
    evo_mlp_release(&c);
    tp = default_params();
    tp.epochs = 60;
    tp.learning_rate = 0.02;
    tp.lr_schedule = EVO_LR_PLATEAU;
    tp.lr_decay = 0.5;
    tp.lr_plateau_patience = 1;
    tp.min_delta = 1e-3;
    train_blobs(&c, &f.ws, &tp, &f.tr, &f.va, 3, &es);
    assert_int_equal(es.epochs_run, 60);
    assert_int_equal(es.status, EVO_TRAIN_OK);
    assert_memory_not_equal(c.params, a.params, a.n_params * sizeof(float));

    evo_mlp_release(&a);
    evo_mlp_release(&b);
    evo_mlp_release(&c);
    blobs_close(&f);
}

static void test_diverged(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 23, 200, 50, 32);
    struct evo_train_params tp = default_params();
    tp.optimizer = EVO_OPT_SGD;
    tp.learning_rate = 1e6;
    tp.epochs = 50;
    struct evo_train_result res;
    struct evo_mlp net;
    /* relu lets the activations grow without bound, so the logits overflow within an epoch (tanh
     * and sigmoid saturate: their losses grow huge but stay finite) */
    struct evo_epoch_metrics curve[50];
    tp.curve = curve;
    train_blobs(&net, &f.ws, &tp, &f.tr, &f.va, 1, &res);
    assert_int_equal(res.status, EVO_TRAIN_DIVERGED);
    assert_true(res.epochs_run >= 1 && res.epochs_run < tp.epochs);
    /* the diverged epoch is the curve's last point */
    assert_false(isfinite(curve[res.epochs_run - 1].train_loss));
    assert_true(isnan(curve[res.epochs_run - 1].val_loss));
    assert_false(isfinite(res.train_loss));
    assert_true(res.val.accuracy >= 0 || isnan(res.val.accuracy));
    evo_mlp_release(&net);
    blobs_close(&f);
}

static void test_train_errors(void **state)
{
    (void)state;
    struct blobs f;
    blobs_open(&f, 24, 100, 20, 32);
    static const size_t hidden[2] = {16, 16};
    struct evo_mlp_arch arch = make_arch(6, 3, 2, hidden, EVO_ACT_TANH);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &f.rng, NULL), EVO_OK);
    float *before = malloc(net.n_params * sizeof *before);
    memcpy(before, net.params, net.n_params * sizeof *before);
    struct evo_train_result res;
    struct evo_error err;

    struct evo_train_params tp = default_params();
    tp.batch_size = 33; /* one more than the workspace holds */
    memset(&err, 0, sizeof err);
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_int_equal(err.status, EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "batch size 33"));

    tp.batch_size = 0;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "batch size 0"));

    tp = default_params();
    f.tr.n = 101; /* more rows than the workspace's order array */
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "101 rows"));
    f.tr.n = 100;

    f.va.d = 5;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "5 features"));
    f.va.d = 6;

    tp.dropout = 1.0;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    tp = default_params();
    tp.optimizer = EVO_OPT_COUNT;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    tp = default_params();
    tp.lr_schedule = EVO_LR_COUNT;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "learning-rate schedule"));
    tp = default_params();
    tp.batch_selection = EVO_BATCH_COUNT;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "unknown batch selection 3"));
    tp = default_params();
    tp.augment.scale = 1.0;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "augmentation"));
    tp = default_params();
    tp.augment.translate = -1;
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    tp = default_params();
    tp.batch_selection = EVO_BATCH_STRATIFIED;
    f.tr.y[7] = 3; /* beyond the workspace's 3 classes */
    assert_int_equal(evo_train_run(&net, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "row 7 has label 3"));
    f.tr.y[7] = 0;
    assert_memory_equal(before, net.params, net.n_params * sizeof *before); /* nothing trained */

    /* a network wider than the workspace */
    static const size_t wide[2] = {400, 300}; /* far more scratch than the workspace holds */
    struct evo_mlp_arch warch = make_arch(6, 3, 2, wide, EVO_ACT_TANH);
    struct evo_mlp wnet;
    assert_int_equal(evo_mlp_init(&wnet, &warch, &f.rng, NULL), EVO_OK);
    tp = default_params();
    assert_int_equal(evo_train_run(&wnet, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "exceeds the workspace"));
    /* the unchecked entry points refuse a misfit with NaN instead of overrunning the workspace */
    struct evo_metrics m;
    evo_mlp_evaluate(&wnet, &f.ws, &f.va, &m);
    assert_true(isnan(m.loss) && isnan(m.accuracy));
    float probs[3] = {0};
    evo_mlp_predict(&wnet, &f.ws, f.va.x, 1, probs);
    assert_true(isnan(probs[0]) && isnan(probs[2]));
    assert_true(isnan(evo_mlp_loss_grad(&wnet, &f.ws, f.tr.x, f.tr.y, 4, NULL, 0, &f.rng)));
    evo_mlp_release(&wnet);
    assert_true(isnan(evo_mlp_loss_grad(&net, &f.ws, f.tr.x, f.tr.y, 33, NULL, 0, &f.rng)));
    assert_memory_equal(before, net.params, net.n_params * sizeof *before);

    /* deeper than the workspace's bound, at its width: the scratch is a total, so depth counts */
    static const size_t deep[8] = {16, 16, 16, 16, 16, 16, 16, 16};
    struct evo_mlp_arch darch = make_arch(6, 3, 8, deep, EVO_ACT_GELU);
    darch.batch_norm = 1;
    assert_int_equal(evo_mlp_init(&wnet, &darch, &f.rng, NULL), EVO_OK);
    assert_int_equal(evo_train_run(&wnet, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_ERUNTIME);
    evo_mlp_release(&wnet);
    /* a network within the bound's shape fits, whatever its activation and batch norm */
    static const size_t within[2] = {16, 16};
    darch = make_arch(6, 3, 2, within, EVO_ACT_GELU);
    darch.batch_norm = 1;
    assert_int_equal(evo_mlp_init(&wnet, &darch, &f.rng, NULL), EVO_OK);
    assert_int_equal(evo_train_run(&wnet, &f.ws, &tp, &f.tr, &f.va, &f.rng, &res, &err), EVO_OK);
    evo_mlp_release(&wnet);

    free(before);
    evo_mlp_release(&net);
    blobs_close(&f);
}

static void test_init_errors(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 25, 0, 0, 0);
    struct evo_error err;
    struct evo_mlp net;
    static const size_t h1[2] = {4, 0};
    struct evo_mlp_arch bad[5];
    bad[0] = make_arch(0, 3, 0, NULL, EVO_ACT_RELU);
    bad[1] = make_arch(4, 0, 0, NULL, EVO_ACT_RELU);
    bad[2] = make_arch(4, 3, 2, h1, EVO_ACT_RELU);
    bad[3] = make_arch(4, 3, 0, NULL, EVO_ACT_RELU);
    bad[3].n_hidden = EVO_MLP_MAX_HIDDEN + 1;
    static const size_t huge[2] = {SIZE_MAX / 2, SIZE_MAX / 2};
    bad[4] = make_arch(4, 3, 2, huge, EVO_ACT_RELU);
    for (size_t k = 0; k < 5; k++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(evo_mlp_init(&net, &bad[k], &rng, &err), EVO_ERUNTIME);
        assert_true(err.msg[0] != '\0');
        assert_null(net.slab);
        evo_mlp_release(&net); /* safe on a failed init */
    }
    struct evo_mlp_arch act = make_arch(4, 3, 0, NULL, EVO_ACT_COUNT);
    assert_int_equal(evo_mlp_init(&net, &act, &rng, &err), EVO_ERUNTIME);
}

static void test_clone_release(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 26, 0, 0, 0);
    static const size_t hidden[1] = {5};
    struct evo_mlp_arch arch = make_arch(3, 2, 1, hidden, EVO_ACT_SIGMOID);
    struct evo_mlp src, dst;
    assert_int_equal(evo_mlp_init(&src, &arch, &rng, NULL), EVO_OK);
    for (size_t k = 0; k < 4 * src.n_params; k++)
        src.slab[k] = (float)k * 0.5f; /* grads and moments are copied too */
    src.step = 7;
    evo_mlp_clone(&dst, &src);
    assert_ptr_not_equal(dst.slab, src.slab);
    assert_ptr_equal(dst.params, dst.slab);
    assert_ptr_equal(dst.grads, dst.slab + dst.n_params);
    assert_ptr_equal(dst.m, dst.slab + 2 * dst.n_params);
    assert_ptr_equal(dst.v, dst.slab + 3 * dst.n_params);
    assert_int_equal(dst.step, 7);
    assert_int_equal(dst.n_params, src.n_params);
    assert_memory_equal(&dst.arch, &src.arch, sizeof src.arch);
    assert_memory_equal(dst.w_off, src.w_off, sizeof src.w_off);
    assert_memory_equal(dst.slab, src.slab, 4 * src.n_params * sizeof(float));
    dst.params[0] = -1.0f;
    dst.v[1] = -2.0f;
    assert_true(src.params[0] == 0.0f && src.v[1] == (float)(3 * src.n_params + 1) * 0.5f);
    evo_mlp_release(&src);
    assert_true(dst.params[1] == 0.5f); /* still readable after the source is gone */
    evo_mlp_release(&dst);
    evo_mlp_release(&dst); /* twice is safe */
    evo_mlp_release(&src);
    assert_null(dst.slab);

    struct evo_mlp zero;
    memset(&zero, 0, sizeof zero);
    evo_mlp_clone(&dst, &zero); /* cloning an empty network gives an empty network */
    assert_null(dst.slab);
    evo_mlp_release(&dst);

    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 3, 2, 1, 5, 4, 10);
    evo_mlp_workspace_release(&ws);
    evo_mlp_workspace_release(&ws);
    assert_null(ws.buf);
}

static void test_evaluate_empty(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 27, 0, 0, 0);
    struct evo_mlp_arch arch = make_arch(3, 2, 0, NULL, EVO_ACT_RELU);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 3, 2, 0, 0, 4, 10);
    struct evo_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.d = 3;
    struct evo_metrics m;
    evo_mlp_evaluate(&net, &ws, &ds, &m);
    assert_true(isnan(m.loss) && isnan(m.accuracy));
    evo_mlp_release(&net);
    evo_mlp_workspace_release(&ws);
}

/* Regression: a network learns t = 50 + 20 (x0 - 2 x1) + noise from standardised targets, scores
 * what its predictions score by hand, and ignores the batch selection (no classes: shuffle). */
static void test_regression_training(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 31, 0, 0, 0);
    struct evo_dataset tr = {0}, va = {0};
    struct evo_dataset *sets[2] = {&tr, &va};
    const size_t sizes[2] = {400, 100};
    for (int s = 0; s < 2; s++) {
        struct evo_dataset *ds = sets[s];
        ds->n = sizes[s];
        ds->d = 3;
        ds->x = malloc(ds->n * 3 * sizeof(float));
        ds->y = calloc(ds->n, sizeof(int32_t));
        ds->target = malloc(ds->n * sizeof(float));
        for (size_t i = 0; i < ds->n; i++) {
            for (size_t j = 0; j < 3; j++)
                ds->x[i * 3 + j] = (float)evo_rng_normal(&rng);
            ds->target[i] = (float)(50 + 20 * (ds->x[i * 3] - 2 * ds->x[i * 3 + 1]) + evo_rng_normal(&rng));
        }
    }
    static const size_t hidden[1] = {16};
    struct evo_mlp_arch arch = make_arch(3, 1, 1, hidden, EVO_ACT_TANH);
    arch.loss = EVO_LOSS_MSE;
    arch.regression = 1;
    arch.target_mean = 50;
    arch.target_std = 44;
    struct evo_train_params tp = default_params();
    tp.epochs = 40;
    tp.fitness = EVO_FITNESS_NEG_RMSE;
    struct evo_epoch_metrics curve[40];
    tp.curve = curve;
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 3, 1, 1, 16, 32, 400);
    struct evo_mlp a, b;
    struct evo_train_result ra, rb;
    for (int sel = 0; sel < EVO_BATCH_COUNT; sel++) {
        struct evo_rng r1;
        evo_rng_seed(&r1, 5, 0, 0, 0);
        tp.batch_selection = sel;
        struct evo_mlp *net = sel ? &b : &a;
        struct evo_train_result *res = sel ? &rb : &ra;
        assert_int_equal(evo_mlp_init(net, &arch, &r1, NULL), EVO_OK);
        assert_int_equal(evo_train_run(net, &ws, &tp, &tr, &va, &r1, res, NULL), EVO_OK);
        if (sel) {
            assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
            evo_mlp_release(&b);
        }
    }
    assert_int_equal(ra.status, EVO_TRAIN_OK);
    assert_true(ra.val.r2 > 0.98 && ra.val.rmse < 6.0);
    assert_true(isnan(ra.val.accuracy) && isnan(ra.val.macro_f1) && isnan(ra.val.log_loss));
    assert_true(curve[39].val_fitness == -ra.val.rmse && curve[39].val_loss == ra.val.loss);
    /* the metrics are those of the predictions, in target units */
    float pred[100];
    evo_mlp_predict(&a, &ws, va.x, va.n, pred);
    double sse = 0, sae = 0, mean = 0, sst = 0, loss = 0;
    for (size_t i = 0; i < va.n; i++)
        mean += va.target[i] / (double)va.n;
    for (size_t i = 0; i < va.n; i++) {
        double e = (double)pred[i] - va.target[i], z = ((double)pred[i] - 50) / 44, u = (va.target[i] - 50.0) / 44;
        sse += e * e;
        sae += fabs(e);
        sst += (va.target[i] - mean) * (va.target[i] - mean);
        loss += (z - u) * (z - u) / (double)va.n;
    }
    expect_close(ra.val.rmse, sqrt(sse / 100), 1e-9, 1e-9, "rmse", 0);
    expect_close(ra.val.mae, sae / 100, 1e-9, 1e-9, "mae", 0);
    expect_close(ra.val.r2, 1 - sse / sst, 1e-9, 1e-9, "r2", 0);
    expect_close(ra.val.loss, loss, 1e-6, 1e-4, "loss", 0);
    /* a regression network cannot train on classification data, nor the other way round */
    struct evo_error err = {0};
    struct evo_train_result rc;
    float *t = tr.target;
    tr.target = NULL;
    tr.n_classes = 1;
    assert_int_equal(evo_train_run(&a, &ws, &tp, &tr, &va, &rng, &rc, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "regression network cannot train on classification data"));
    tr.target = t;
    evo_mlp_release(&a);
    evo_mlp_workspace_release(&ws);
    for (int s = 0; s < 2; s++) {
        free(sets[s]->x);
        free(sets[s]->y);
        free(sets[s]->target);
    }
}

/* evo_mlp_size is the slab's one size table: the count evo_mlp_init carves, SIZE_MAX when the
 * arithmetic overflows (then evo_mlp_init refuses without allocating), errors for invalid shapes. */
static void test_size(void **state)
{
    (void)state;
    static const size_t hidden[3] = {7, 5, 11};
    struct evo_mlp_arch arch = make_arch(13, 4, 3, hidden, EVO_ACT_TANH);
    size_t n, bytes;
    assert_int_equal(evo_mlp_size(&arch, &n, &bytes, NULL), EVO_OK);
    assert_int_equal(n, 13 * 7 + 7 + 7 * 5 + 5 + 5 * 11 + 11 + 11 * 4 + 4);
    assert_int_equal(bytes, 5 * n * sizeof(float));
    struct evo_rng rng;
    evo_rng_seed(&rng, 31, 0, 0, 0);
    struct evo_mlp net;
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, NULL), EVO_OK);
    assert_int_equal(net.n_params, n);
    assert_int_equal(net.b_off[3] + 4, n);
    evo_mlp_release(&net);

    /* products that overflow size_t: reported, and nothing is allocated */
    static const size_t wide[2] = {(size_t)1 << 40, (size_t)1 << 40};
    arch = make_arch(8, 2, 2, wide, EVO_ACT_RELU);
    assert_int_equal(evo_mlp_size(&arch, &n, &bytes, NULL), EVO_OK);
    assert_true(n == SIZE_MAX && bytes == SIZE_MAX);
    struct evo_error err = {0};
    assert_int_equal(evo_mlp_init(&net, &arch, &rng, &err), EVO_ERUNTIME);
    assert_string_equal(err.msg, "network size overflows");
    assert_null(net.slab);
    /* a count that fits but whose five arrays of floats do not */
    static const size_t half[1] = {SIZE_MAX / 32}; /* n about 3 x 2^59, 20 bytes each */
    arch = make_arch(1, 1, 1, half, EVO_ACT_RELU);
    assert_int_equal(evo_mlp_size(&arch, &n, &bytes, NULL), EVO_OK);
    assert_true(n == SIZE_MAX && bytes == SIZE_MAX);

    arch = make_arch(0, 2, 0, NULL, EVO_ACT_RELU);
    assert_int_equal(evo_mlp_size(&arch, &n, &bytes, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "at least one input"));
    static const size_t empty[1] = {0};
    arch = make_arch(3, 2, 1, empty, EVO_ACT_RELU);
    assert_int_equal(evo_mlp_size(&arch, &n, &bytes, &err), EVO_ERUNTIME);
    assert_non_null(strstr(err.msg, "no units"));

    /* the workspace's size, checked before its allocation */
    size_t ws = evo_mlp_workspace_bytes(6, 3, 2, 16, 32, 100);
    assert_true(ws > 2 * 4 * 32 * 16 * sizeof(float) && ws < 1 << 20);
    assert_int_equal(evo_mlp_workspace_bytes(6, 3, 8, (size_t)1 << 40, (size_t)1 << 30, 100), SIZE_MAX);
    assert_int_equal(evo_mlp_workspace_bytes(6, 3, 1, 4, 4, SIZE_MAX / 2), SIZE_MAX);
}

/* A batch size above the training split's rows is one full batch per epoch: the same training as a
 * batch of exactly n rows (the same order is drawn either way). */
static void test_batch_larger_than_data(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 33, 0, 0, 0);
    struct evo_dataset tr, va;
    make_blobs(&tr, 50, 6, &rng);
    make_blobs(&va, 20, 6, &rng);
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, 6, 3, 1, 8, 500, 50);
    static const size_t hidden[1] = {8};
    struct evo_mlp_arch arch = make_arch(6, 3, 1, hidden, EVO_ACT_TANH);
    struct evo_mlp a, b;
    struct evo_train_result ra, rb;
    struct evo_rng r1, r2;
    evo_rng_seed(&r1, 34, 0, 0, 0);
    r2 = r1;
    assert_int_equal(evo_mlp_init(&a, &arch, &r1, NULL), EVO_OK);
    assert_int_equal(evo_mlp_init(&b, &arch, &r2, NULL), EVO_OK);
    struct evo_train_params tp = default_params();
    tp.dropout = 0.2;
    tp.batch_size = 50;
    assert_int_equal(evo_train_run(&a, &ws, &tp, &tr, &va, &r1, &ra, NULL), EVO_OK);
    tp.batch_size = 500;
    assert_int_equal(evo_train_run(&b, &ws, &tp, &tr, &va, &r2, &rb, NULL), EVO_OK);
    assert_int_equal(ra.status, EVO_TRAIN_OK);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    assert_memory_equal(&ra.val.loss, &rb.val.loss, sizeof(double));
    evo_mlp_release(&a);
    evo_mlp_release(&b);
    evo_mlp_workspace_release(&ws);
    free_blobs(&tr);
    free_blobs(&va);
}

int main(void)
{
    int rc = support_kernels_init();
    if (rc)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_gradcheck_losses),
        cmocka_unit_test(test_loss_values),
        cmocka_unit_test(test_regression_training),
        cmocka_unit_test(test_optimizers),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_early_stopping_curves),
        cmocka_unit_test(test_init_statistics),
        cmocka_unit_test(test_init_choices),
        cmocka_unit_test(test_l1),
        cmocka_unit_test(test_max_norm),
        cmocka_unit_test(test_training_learns),
        cmocka_unit_test(test_batch_norm),
        cmocka_unit_test(test_pause_continue),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_batch_selection),
        cmocka_unit_test(test_batch_selection_trains),
        cmocka_unit_test(test_augmentation_training),
        cmocka_unit_test(test_diverged),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_batch_larger_than_data),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_clone_release),
        cmocka_unit_test(test_evaluate_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

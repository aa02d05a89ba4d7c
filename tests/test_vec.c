/* Tests of the element-wise kernels (src/kernels/vec_*.c): every ISA table this CPU can run against
 * the scalar reference on awkward lengths, exp and tanh against libm in ulp over random and edge
 * inputs, activation and softmax cross-entropy gradients by finite differences of a double reference,
 * the six fused optimizers against a double reference over three steps, and the dropout multiply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/kernels.h"
#include "evotune/rng.h"
#include "kernels_support.h"

/* Lengths 1..67 cover every tail of 8 and 16 lanes several times over; then a few large ones. */
#define N_SHORT 67
static const size_t LONG_SIZES[] = {255, 1000, 4099};
#define N_LONG (sizeof LONG_SIZES / sizeof LONG_SIZES[0])
#define N_LENGTHS (N_SHORT + N_LONG)

/* The i-th length of a sweep, i < N_LENGTHS: 1..N_SHORT, then LONG_SIZES. */
static size_t length(size_t i)
{
    return i < N_SHORT ? i + 1 : LONG_SIZES[i - N_SHORT];
}

static float *fill_uniform(size_t n, float lo, float hi, struct evo_rng *rng)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * evo_rng_uniformf(rng);
    return a;
}

/* n floats of NaN plus one guard float after them, set to a sentinel, to catch tail overruns. */
#define GUARD 12345.0f
static float *fill_nan(size_t n)
{
    float *a = malloc((n + 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
    a[n] = GUARD;
    return a;
}

/* Fails unless |got - want| <= abs_tol + rel_tol * |want|, naming the index. */
static void expect_close(double got, double want, double abs_tol, double rel_tol, const char *what,
                         size_t idx)
{
    if (!(fabs(got - want) <= abs_tol + rel_tol * fabs(want)))
        fail_msg("%s[%zu]: got %.9g, want %.9g", what, idx, got, want);
}

/* Distance in units in the last place between two floats (both NaN: 0; one NaN: huge). */
static uint64_t ulp_diff(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : UINT64_MAX;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    /* map the sign-magnitude encoding onto a monotonic integer line */
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia, lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return (uint64_t)(la > lb ? la - lb : lb - la);
}

/* The tables this CPU runs in ISA order, scalar first: next_table(NULL) is the first, NULL after the
 * last. */
static const struct evo_kernels *next_table(const struct evo_kernels *k)
{
    for (int isa = k ? k->isa + 1 : 0; isa < EVO_ISA_COUNT; isa++)
        if (evo_kernels_table(isa))
            return evo_kernels_table(isa);
    return NULL;
}

static const struct evo_kernels *scalar(void)
{
    return evo_kernels_table(EVO_ISA_SCALAR);
}

/* The parameter the tests give the activation kernels (leaky_relu's slope; ignored by the others). */
#define ALPHA 0.13f

static double act_ref(double x, int act)
{
    return support_act_ref(x, act, ALPHA);
}

static void test_tables(void **state)
{
    (void)state;
    assert_non_null(scalar());
    assert_string_equal(scalar()->name, "scalar");
    for (int isa = 0; isa < EVO_ISA_COUNT; isa++) {
        const struct evo_kernels *k = evo_kernels_table(isa);
        if (!k) {
            print_message("isa %d not supported here, skipped\n", isa);
            continue;
        }
        assert_int_equal(k->isa, isa);
    }
    assert_null(evo_kernels_table(-1));
    assert_null(evo_kernels_table(EVO_ISA_COUNT));
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_RELU), "relu");
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_TANH), "tanh");
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_SIGMOID), "sigmoid");
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_LEAKY_RELU), "leaky_relu");
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_ELU), "elu");
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_GELU), "gelu");
    assert_string_equal(evo_kernels_activation_name(EVO_ACT_IDENTITY), "identity");
}

/* Every ISA against scalar, forward and backward, out of place and in place, on every length. */
static void check_activation(const struct evo_kernels *k, size_t n, int act, struct evo_rng *rng)
{
    const struct evo_kernels *s = scalar();
    float *x = fill_uniform(n, -12, 12, rng), *d = fill_uniform(n, -1, 1, rng);
    float *ref = fill_nan(n), *got = fill_nan(n), *dref = fill_nan(n), *dgot = fill_nan(n);
    s->activation_forward(ref, x, n, act, ALPHA);
    k->activation_forward(got, x, n, act, ALPHA);
    s->activation_backward(dref, d, ref, x, n, act, ALPHA);
    k->activation_backward(dgot, d, ref, x, n, act, ALPHA);
    /* elu's exp(x) - 1 and gelu's 1 + tanh(.) cancel: their error is absolute, a few ulp of 1 */
    float abs_tol = act == EVO_ACT_ELU || act == EVO_ACT_GELU ? 5e-7f : 1e-7f;
    for (size_t i = 0; i < n; i++) {
        if (ulp_diff(got[i], ref[i]) > 4 && fabsf(got[i] - ref[i]) > abs_tol)
            fail_msg("%s %s n=%zu [%zu]: %.9g vs scalar %.9g", k->name, evo_kernels_activation_name(act),
                     n, i, got[i], ref[i]);
        expect_close(dgot[i], dref[i], act == EVO_ACT_GELU ? 1e-6 : 1e-7, 1e-6, "dact", i);
    }
    assert_true(got[n] == GUARD && dgot[n] == GUARD);
    /* in place, as the trainer calls them */
    float *y = malloc(n * sizeof *y), *g = malloc(n * sizeof *g);
    memcpy(y, x, n * sizeof *y);
    memcpy(g, d, n * sizeof *g);
    k->activation_forward(y, y, n, act, ALPHA);
    k->activation_backward(g, g, ref, x, n, act, ALPHA);
    assert_memory_equal(y, got, n * sizeof *y);
    assert_memory_equal(g, dgot, n * sizeof *g);
    free(x), free(d), free(ref), free(got), free(dref), free(dgot), free(y), free(g);
}

static void test_activations_isa(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 11, 0, 0, 0);
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        for (int act = EVO_ACT_IDENTITY; act < EVO_ACT_COUNT; act++)
            for (size_t i = 0; i < N_LENGTHS; i++)
                check_activation(k, length(i), act, &rng);
    }
}

/* Forward against a double reference and backward against central differences, for every ISA. */
static void test_activations_fd(void **state)
{
    (void)state;
    const size_t n = 37;
    struct evo_rng rng;
    evo_rng_seed(&rng, 3, 0, 0, 0);
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        for (int act = EVO_ACT_IDENTITY; act < EVO_ACT_COUNT; act++) {
            float *x = fill_uniform(n, -4, 4, &rng);
            for (size_t i = 0; i < n; i++)
                if (fabsf(x[i]) < 0.05f) /* keep finite differences away from relu's kink */
                    x[i] = 0.5f;
            float *dout = fill_uniform(n, -1, 1, &rng);
            float *out = fill_nan(n), *din = fill_nan(n);
            k->activation_forward(out, x, n, act, ALPHA);
            k->activation_backward(din, dout, out, x, n, act, ALPHA);
            for (size_t i = 0; i < n; i++) {
                expect_close(out[i], act_ref(x[i], act), 1e-6, 1e-6, evo_kernels_activation_name(act), i);
                const double h = 1e-4;
                double fd = dout[i] * (act_ref(x[i] + h, act) - act_ref(x[i] - h, act)) / (2 * h);
                expect_close(din[i], fd, 1e-5, 1e-4, "dact", i);
            }
            free(x), free(dout), free(out), free(din);
        }
    }
}

/* Max ulp error of f against (float)ref(double) over inputs; fails above max_ulp. */
static uint64_t ulp_check(const struct evo_kernels *k, void (*f)(float *, const float *, size_t),
                          double (*ref)(double), const float *in, size_t n, uint64_t max_ulp,
                          const char *what)
{
    float *out = fill_nan(n);
    f(out, in, n);
    uint64_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        float want = (float)ref((double)in[i]);
        uint64_t u = ulp_diff(out[i], want);
        if (u > max_ulp)
            fail_msg("%s %s(%.9g) = %.9g, want %.9g (%llu ulp)", k->name, what, in[i], out[i], want,
                     (unsigned long long)u);
        if (signbit(out[i]) != signbit(want) && !isnan(want))
            fail_msg("%s %s(%.9g): sign of %.9g", k->name, what, in[i], out[i]);
        worst = u > worst ? u : worst;
    }
    assert_true(out[n] == GUARD);
    free(out);
    return worst;
}

static void test_exp_tanh_ulp(void **state)
{
    (void)state;
    static const float edges_exp[] = {
        0.0f, -0.0f, 1.0f, -1.0f, 1e-30f, -1e-30f, 1e-45f, 0.5f, 0.34657359f, -0.34657359f,
        88.0f, 88.5f, 88.72283f, 88.722839f, 88.7229f, 89.0f, 100.0f, 1e30f, FLT_MAX,
        -87.0f, -87.33654f, -87.5f, -90.0f, -100.0f, -103.0f, -103.9f, -103.97208f, -103.973f,
        -104.0f, -105.0f, -1e30f, -FLT_MAX, INFINITY, -INFINITY, NAN, -NAN};
    static const float edges_tanh[] = {
        0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f, 1e-20f, -1e-10f, 1e-4f, 0.1f, 0.5f, 0.6249999f, 0.625f,
        -0.625f, 0.6250001f, 1.0f, -1.0f, 2.0f, 5.0f, 8.0f, 9.0f, 9.01f, 9.1f, -9.1f, 10.0f, 20.0f,
        44.4f, 45.0f, 88.0f, 100.0f, -100.0f, 1e30f, -1e30f, FLT_MAX, INFINITY, -INFINITY, NAN};
    const size_t n_rand = 200000;
    struct evo_rng rng;
    evo_rng_seed(&rng, 21, 0, 0, 0);
    float *rx = fill_uniform(n_rand, -104.5f, 89.0f, &rng);
    float *rt = fill_uniform(n_rand, -12.0f, 12.0f, &rng);
    /* log-spaced magnitudes too, where tanh's small-argument branch and exp near 0 matter */
    float *rl = malloc(n_rand * sizeof *rl);
    for (size_t i = 0; i < n_rand; i++)
        rl[i] = (i & 1 ? -1.0f : 1.0f) * powf(10.0f, -40.0f + 42.0f * evo_rng_uniformf(&rng));
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        uint64_t e1 = ulp_check(k, k->vexp, exp, edges_exp, sizeof edges_exp / sizeof *edges_exp, 4, "exp");
        uint64_t e2 = ulp_check(k, k->vexp, exp, rx, n_rand, 4, "exp");
        uint64_t e3 = ulp_check(k, k->vexp, exp, rl, n_rand, 4, "exp");
        uint64_t t1 = ulp_check(k, k->vtanh, tanh, edges_tanh, sizeof edges_tanh / sizeof *edges_tanh, 4,
                                "tanh");
        uint64_t t2 = ulp_check(k, k->vtanh, tanh, rt, n_rand, 4, "tanh");
        uint64_t t3 = ulp_check(k, k->vtanh, tanh, rl, n_rand, 4, "tanh");
        uint64_t me = e1 > e2 ? e1 : e2, mt = t1 > t2 ? t1 : t2;
        me = me > e3 ? me : e3;
        mt = mt > t3 ? mt : t3;
        print_message("%-6s max error vs libm: exp %llu ulp, tanh %llu ulp\n", k->name,
                      (unsigned long long)me, (unsigned long long)mt);
        /* every length, against scalar, out of place and in place */
        for (size_t n = 1; n <= N_SHORT; n++) {
            ulp_check(k, k->vexp, exp, rx, n, 4, "exp");
            ulp_check(k, k->vtanh, tanh, rt, n, 4, "tanh");
            float *y = malloc(n * sizeof *y);
            memcpy(y, rt, n * sizeof *y);
            k->vtanh(y, y, n);
            for (size_t i = 0; i < n; i++)
                assert_true(ulp_diff(y[i], (float)tanh(rt[i])) <= 4);
            free(y);
        }
    }
    free(rx), free(rt), free(rl);
}

/* Mean cross-entropy in double via log-sum-exp, and its probabilities. */
static double xent_ref(double *probs, const double *logits, const int32_t *y, size_t B, size_t C)
{
    double loss = 0;
    for (size_t r = 0; r < B; r++) {
        const double *l = logits + r * C;
        double mx = l[0];
        for (size_t c = 1; c < C; c++)
            mx = l[c] > mx ? l[c] : mx;
        double s = 0;
        for (size_t c = 0; c < C; c++)
            s += exp(l[c] - mx);
        for (size_t c = 0; c < C && probs; c++)
            probs[r * C + c] = exp(l[c] - mx) / s;
        loss += log(s) - (l[y[r]] - mx);
    }
    return loss / (double)B;
}

static void test_softmax_xent(void **state)
{
    (void)state;
    static const size_t shapes[][2] = {{1, 2}, {3, 3}, {7, 10}, {16, 17}, {5, 1}, {4, 16}, {2, 37}, {64, 10}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 4, 0, 0, 0);
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            size_t B = shapes[s][0], C = shapes[s][1];
            for (int big = 0; big < 2; big++) {
                /* big: logits around 1e4 with spreads of tens, where a naive exp overflows */
                float *logits = fill_uniform(B * C, big ? 1e4f - 30 : -3, big ? 1e4f + 30 : 3, &rng);
                int32_t *y = malloc(B * sizeof *y);
                for (size_t r = 0; r < B; r++)
                    y[r] = (int32_t)evo_rng_below(&rng, C);
                float *probs = fill_nan(B * C), *dl = fill_nan(B * C);
                size_t correct = 12345;
                double loss = k->softmax_xent_forward(probs, &correct, logits, y, B, C);
                k->softmax_xent_backward(dl, probs, y, B, C);
                assert_true(probs[B * C] == GUARD && dl[B * C] == GUARD);

                double *ld = malloc(B * C * sizeof *ld), *pd = malloc(B * C * sizeof *pd);
                for (size_t i = 0; i < B * C; i++)
                    ld[i] = logits[i];
                double want = xent_ref(pd, ld, y, B, C);
                assert_true(isfinite(loss));
                expect_close(loss, want, 1e-5, 1e-5, "loss", s);
                size_t want_correct = 0;
                for (size_t r = 0; r < B; r++) {
                    size_t arg = 0;
                    for (size_t c = 1; c < C; c++)
                        arg = logits[r * C + c] > logits[r * C + arg] ? c : arg;
                    want_correct += arg == (size_t)y[r];
                }
                assert_int_equal(correct, want_correct);
                for (size_t i = 0; i < B * C; i++) {
                    expect_close(probs[i], pd[i], 1e-6, 1e-5, "probs", i);
                    /* with logits at 1e4 a double step of 1e-3 is still exact enough */
                    const double h = 1e-3;
                    double save = ld[i];
                    ld[i] = save + h;
                    double lp = xent_ref(NULL, ld, y, B, C);
                    ld[i] = save - h;
                    double lm = xent_ref(NULL, ld, y, B, C);
                    ld[i] = save;
                    expect_close(dl[i], (lp - lm) / (2 * h), 1e-6, 1e-4, "dlogits", i);
                }
                free(logits), free(y), free(probs), free(dl), free(ld), free(pd);
            }
        }
    }
}

static void test_softmax_extremes(void **state)
{
    (void)state;
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        /* A confident wrong answer: p[y] underflows to 0 in float, the loss must stay finite (2e4). */
        float logits[6] = {1e4f, -1e4f, 0, 5, 5, 1};
        int32_t y[2] = {1, 2};
        float probs[6], dl[6];
        size_t correct = 99;
        double loss = k->softmax_xent_forward(probs, &correct, logits, y, 2, 3);
        double row1 = log(2 + exp(-4.0)) + 4; /* logit 1 against a maximum of 5 */
        expect_close(loss, (2e4 + row1) / 2, 1e-3, 1e-6, "loss", 0);
        /* row 1 ties between classes 0 and 1: the first wins, so y=1 would not count and y=0 does */
        assert_int_equal(correct, 0);
        y[1] = 0;
        k->softmax_xent_forward(probs, &correct, logits, y, 2, 3);
        assert_int_equal(correct, 1);
        k->softmax_xent_backward(dl, probs, y, 2, 3);
        expect_close(dl[0], 0.5, 0, 1e-6, "dl", 0);
        expect_close(dl[1], -0.5, 0, 1e-6, "dl", 1);
        for (size_t i = 0; i < 6; i++)
            assert_true(isfinite(probs[i]) && isfinite(dl[i]));
        expect_close(dl[3] + dl[4] + dl[5], 0, 1e-7, 0, "rowsum", 1);
        /* NULL correct is allowed */
        assert_true(isfinite(k->softmax_xent_forward(probs, NULL, logits, y, 2, 3)));
    }
}

enum { OPT_SGD, OPT_MOMENTUM, OPT_ADAM, OPT_NESTEROV, OPT_RMSPROP, OPT_ADAMW, N_OPT };

/* Three steps of each optimizer against a double reference, with and without decay (L2 in the
 * gradient, except AdamW's decoupled shrink). */
static void check_optimizer(const struct evo_kernels *k, int opt, size_t n, float decay,
                            struct evo_rng *rng)
{
    const float lr = 0.01f, mu = 0.9f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, rho = 0.8f;
    float *p = fill_uniform(n, -1, 1, rng), *m = calloc(n + 1, sizeof *m), *v = calloc(n + 1, sizeof *v);
    double *pd = malloc(n * sizeof *pd), *md = calloc(n, sizeof *md), *vd = calloc(n, sizeof *vd);
    for (size_t i = 0; i < n; i++)
        pd[i] = p[i];
    m[n] = v[n] = GUARD;
    for (int t = 1; t <= 3; t++) {
        float *g = fill_uniform(n, -0.5f, 0.5f, rng);
        double bc1 = 1 - pow(b1, t), bc2 = 1 - pow(b2, t);
        switch (opt) {
        case OPT_SGD: k->sgd_update(p, g, n, lr, decay); break;
        case OPT_MOMENTUM: k->momentum_update(p, g, m, n, lr, mu, decay); break;
        case OPT_NESTEROV: k->nesterov_update(p, g, m, n, lr, mu, decay); break;
        case OPT_RMSPROP: k->rmsprop_update(p, g, v, n, lr, rho, eps, decay); break;
        case OPT_ADAM: k->adam_update(p, g, m, v, n, lr, b1, b2, eps, (float)bc1, (float)bc2, decay); break;
        default: k->adamw_update(p, g, m, v, n, lr, b1, b2, eps, (float)bc1, (float)bc2, decay); break;
        }
        for (size_t i = 0; i < n; i++) {
            double gi = (double)g[i] + (opt == OPT_ADAMW ? 0.0 : (double)decay * pd[i]);
            switch (opt) {
            case OPT_SGD:
                pd[i] -= lr * gi;
                break;
            case OPT_MOMENTUM:
                md[i] = mu * md[i] + gi;
                pd[i] -= lr * md[i];
                break;
            case OPT_NESTEROV:
                md[i] = mu * md[i] + gi;
                pd[i] -= lr * (gi + mu * md[i]);
                break;
            case OPT_RMSPROP:
                vd[i] = rho * vd[i] + (1 - (double)rho) * gi * gi;
                pd[i] -= lr * gi / (sqrt(vd[i]) + eps);
                break;
            default:
                md[i] = b1 * md[i] + (1 - (double)b1) * gi;
                vd[i] = b2 * vd[i] + (1 - (double)b2) * gi * gi;
                pd[i] -= lr * (md[i] / bc1) / (sqrt(vd[i] / bc2) + eps) +
                         (opt == OPT_ADAMW ? (double)lr * decay * pd[i] : 0.0);
            }
        }
        free(g);
    }
    static const char *const names[N_OPT] = {"sgd", "momentum", "adam", "nesterov", "rmsprop", "adamw"};
    int has_m = opt != OPT_SGD && opt != OPT_RMSPROP;
    int has_v = opt == OPT_ADAM || opt == OPT_ADAMW || opt == OPT_RMSPROP;
    for (size_t i = 0; i < n; i++) {
        expect_close(p[i], pd[i], 1e-6, 1e-5, names[opt], i);
        if (has_m)
            expect_close(m[i], md[i], 1e-6, 1e-5, "m", i);
        else
            assert_true(m[i] == 0.0f);
        if (has_v)
            expect_close(v[i], vd[i], 1e-9, 1e-5, "v", i);
        else
            assert_true(v[i] == 0.0f);
    }
    assert_true(m[n] == GUARD && v[n] == GUARD);
    free(p), free(m), free(v), free(pd), free(md), free(vd);
}

static void test_optimizers(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 5, 0, 0, 0);
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        for (int opt = 0; opt < N_OPT; opt++)
            for (int wd = 0; wd < 2; wd++)
                for (size_t i = 0; i < N_LENGTHS; i++)
                    check_optimizer(k, opt, length(i), wd ? 1e-2f : 0.0f, &rng);
    }
}

/* The dropout multiply: exact products (one rounding each, as in scalar), out of place and in place. */
static void test_mul(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 6, 0, 0, 0);
    for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
        for (size_t n = 1; n <= N_SHORT + 1000; n += n < N_SHORT ? 1 : 1000) {
            float *a = fill_uniform(n, -1, 1, &rng), *mask = malloc(n * sizeof *mask);
            for (size_t i = 0; i < n; i++) /* inverted dropout with p = 0.3 */
                mask[i] = evo_rng_uniformf(&rng) < 0.3f ? 0.0f : 1.0f / 0.7f;
            float *out = fill_nan(n);
            k->mul(out, a, mask, n);
            for (size_t i = 0; i < n; i++)
                assert_true(out[i] == a[i] * mask[i]);
            assert_true(out[n] == GUARD);
            k->mul(a, a, mask, n);
            assert_memory_equal(a, out, n * sizeof *a);
            free(a), free(mask), free(out);
        }
    }
}

/* Bytes standardised: every table gives scalar's floats, bit for bit, on every length (the tails),
 * and writes nothing past n. */
static void test_bytes_standardize(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 7, 0, 0, 0);
    const struct evo_kernels *ref = evo_kernels_table(EVO_ISA_SCALAR);
    for (size_t n = 1; n <= 800; n += n < 40 ? 1 : 49) {
        uint8_t *in = malloc(n);
        double *mean = malloc(n * sizeof *mean), *recip = malloc(n * sizeof *recip);
        for (size_t j = 0; j < n; j++) {
            in[j] = (uint8_t)(evo_rng_next(&rng) >> 56);
            mean[j] = (float)(255 * evo_rng_uniform(&rng));
            recip[j] = 1.0 / (float)(0.01 + 100 * evo_rng_uniform(&rng));
        }
        float *want = fill_nan(n), *got = fill_nan(n);
        ref->bytes_standardize(want, in, mean, recip, n);
        for (size_t j = 0; j < n; j++)
            assert_true(want[j] == (float)(((double)in[j] - mean[j]) * recip[j]));
        for (const struct evo_kernels *k = next_table(NULL); k; k = next_table(k)) {
            k->bytes_standardize(got, in, mean, recip, n);
            assert_memory_equal(got, want, n * sizeof *got);
            assert_true(got[n] == GUARD);
        }
        free(in), free(mean), free(recip), free(want), free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_activations_isa),
        cmocka_unit_test(test_activations_fd),
        cmocka_unit_test(test_exp_tanh_ulp),
        cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_softmax_extremes),
        cmocka_unit_test(test_optimizers),
        cmocka_unit_test(test_mul),
        cmocka_unit_test(test_bytes_standardize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests of the scalar layers in nn.c: dense forward against a double-precision reference on awkward
 * shapes, every backward against central finite differences of a double reference, the softmax loss
 * on extreme logits, and inverted dropout's mask, statistics and determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/nn.h"
#include "evotune/rng.h"

/* Batch, input and output sizes: 1, powers of two, and primes on either side of a vector width. */
static const size_t SIZES[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 17};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])

static float *fill_uniform(size_t n, float lo, float hi, struct evo_rng *rng)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * evo_rng_uniformf(rng);
    return a;
}

static float *fill_nan(size_t n)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
    return a;
}

/* Fails unless |got - want| <= abs_tol + rel_tol * |want|, naming the index. */
static void expect_close(double got, double want, double abs_tol, double rel_tol, const char *what,
                         size_t idx)
{
    if (!(fabs(got - want) <= abs_tol + rel_tol * fabs(want)))
        fail_msg("%s[%zu]: got %.9g, want %.9g", what, idx, got, want);
}

/* out[B,O] in double, with the weights given in double so finite differences are exact. */
static void dense_ref(double *out, const double *inp, const double *w, const double *b, size_t B,
                      size_t I, size_t O)
{
    for (size_t r = 0; r < B; r++)
        for (size_t o = 0; o < O; o++) {
            double s = b[o];
            for (size_t i = 0; i < I; i++)
                s += inp[r * I + i] * w[i * O + o];
            out[r * O + o] = s;
        }
}

static double *to_double(const float *a, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = a[i];
    return d;
}

static void test_dense_forward_shapes(void **state)
{
    (void)state;
    struct evo_rng rng;
    evo_rng_seed(&rng, 1, 0, 0, 0);
    for (size_t a = 0; a < N_SIZES; a++)
        for (size_t c = 0; c < N_SIZES; c++)
            for (size_t e = 0; e < N_SIZES; e++) {
                size_t B = SIZES[a], I = SIZES[c], O = SIZES[e];
                float *x = fill_uniform(B * I, -1, 1, &rng);
                float *w = fill_uniform(I * O, -1, 1, &rng);
                float *b = fill_uniform(O, -1, 1, &rng);
                float *out = fill_nan(B * O); /* NaN would survive any read of out */
                evo_nn_dense_forward(out, x, w, b, B, I, O);
                for (size_t r = 0; r < B; r++)
                    for (size_t o = 0; o < O; o++) {
                        double s = b[o], mag = fabs(b[o]);
                        for (size_t i = 0; i < I; i++) {
                            s += (double)x[r * I + i] * w[i * O + o];
                            mag += fabs((double)x[r * I + i] * w[i * O + o]);
                        }
                        /* float summation error grows with the number and size of the terms */
                        expect_close(out[r * O + o], s, 1e-6 * (mag + 1) * (double)(I + 1), 0, "out",
                                     r * O + o);
                    }
                free(x);
                free(w);
                free(b);
                free(out);
            }
}

/* L = sum(g .* dense(inp, w, b)) in double, so dL/dparams is what dense_backward returns for dout=g. */
static double dense_probe(const double *g, const double *inp, const double *w, const double *b,
                          size_t B, size_t I, size_t O)
{
    double *out = malloc(B * O * sizeof *out);
    dense_ref(out, inp, w, b, B, I, O);
    double s = 0;
    for (size_t k = 0; k < B * O; k++)
        s += g[k] * out[k];
    free(out);
    return s;
}

/* Central difference of dense_probe in one coordinate of p. */
static double dense_fd(double *p, size_t k, const double *g, const double *inp, const double *w,
                       const double *b, size_t B, size_t I, size_t O)
{
    const double h = 1e-3;
    double save = p[k];
    p[k] = save + h;
    double lp = dense_probe(g, inp, w, b, B, I, O);
    p[k] = save - h;
    double lm = dense_probe(g, inp, w, b, B, I, O);
    p[k] = save;
    return (lp - lm) / (2 * h);
}

static void test_dense_backward_fd(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 13, 2}, {4, 16, 8}, {5, 3, 17},
                                       {8, 17, 13}, {2, 1, 9}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 2, 0, 0, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t B = shapes[s][0], I = shapes[s][1], O = shapes[s][2];
        float *x = fill_uniform(B * I, -1, 1, &rng);
        float *w = fill_uniform(I * O, -1, 1, &rng);
        float *b = fill_uniform(O, -1, 1, &rng);
        float *dout = fill_uniform(B * O, -1, 1, &rng);
        float *dw = calloc(I * O, sizeof *dw), *db = calloc(O, sizeof *db);
        float *dinp = fill_nan(B * I); /* overwritten, never read */
        evo_nn_dense_backward(dinp, dw, db, dout, x, w, B, I, O);

        double *xd = to_double(x, B * I), *wd = to_double(w, I * O), *bd = to_double(b, O);
        double *gd = to_double(dout, B * O);
        for (size_t k = 0; k < I * O; k++)
            expect_close(dw[k], dense_fd(wd, k, gd, xd, wd, bd, B, I, O), 1e-5, 1e-5, "dw", k);
        for (size_t k = 0; k < O; k++)
            expect_close(db[k], dense_fd(bd, k, gd, xd, wd, bd, B, I, O), 1e-5, 1e-5, "db", k);
        for (size_t k = 0; k < B * I; k++)
            expect_close(dinp[k], dense_fd(xd, k, gd, xd, wd, bd, B, I, O), 1e-5, 1e-5, "dinp", k);

        /* A second call adds the same gradient again: parameter gradients accumulate. A NULL dinp
         * (the first layer) must leave dw and db exactly as a non-NULL one would. */
        float *dw2 = malloc(I * O * sizeof *dw2), *db2 = malloc(O * sizeof *db2);
        memcpy(dw2, dw, I * O * sizeof *dw2);
        memcpy(db2, db, O * sizeof *db2);
        float *dinp2 = fill_nan(B * I);
        evo_nn_dense_backward(dinp2, dw, db, dout, x, w, B, I, O);
        evo_nn_dense_backward(NULL, dw2, db2, dout, x, w, B, I, O);
        assert_memory_equal(dw, dw2, I * O * sizeof *dw);
        assert_memory_equal(db, db2, O * sizeof *db);
        assert_memory_equal(dinp, dinp2, B * I * sizeof *dinp);
        for (size_t k = 0; k < I * O; k++)
            expect_close(dw[k], 2 * dense_fd(wd, k, gd, xd, wd, bd, B, I, O), 2e-5, 2e-5, "2dw", k);
        for (size_t k = 0; k < O; k++)
            expect_close(db[k], 2 * dense_fd(bd, k, gd, xd, wd, bd, B, I, O), 2e-5, 2e-5, "2db", k);

        free(x), free(w), free(b), free(dout), free(dw), free(db), free(dinp);
        free(dw2), free(db2), free(dinp2), free(xd), free(wd), free(bd), free(gd);
    }
}

static double act_ref(double x, int act)
{
    switch (act) {
    case EVO_ACT_RELU:
        return x > 0 ? x : 0;
    case EVO_ACT_TANH:
        return tanh(x);
    default:
        return 1 / (1 + exp(-x));
    }
}

static void test_activations(void **state)
{
    (void)state;
    const size_t n = 37;
    struct evo_rng rng;
    evo_rng_seed(&rng, 3, 0, 0, 0);
    for (int act = 0; act < EVO_ACT_COUNT; act++) {
        float *x = fill_uniform(n, -4, 4, &rng);
        for (size_t i = 0; i < n; i++)
            if (fabsf(x[i]) < 0.05f) /* keep finite differences away from relu's kink */
                x[i] = 0.5f;
        float *dout = fill_uniform(n, -1, 1, &rng);
        float *out = fill_nan(n), *dinp = fill_nan(n);
        evo_nn_activation_forward(out, x, n, act);
        evo_nn_activation_backward(dinp, dout, out, n, act);
        for (size_t i = 0; i < n; i++) {
            expect_close(out[i], act_ref(x[i], act), 1e-6, 1e-6, evo_nn_activation_name(act), i);
            const double h = 1e-4;
            double fd = dout[i] * (act_ref(x[i] + h, act) - act_ref(x[i] - h, act)) / (2 * h);
            expect_close(dinp[i], fd, 1e-5, 1e-4, "dact", i);
        }
        /* In place, as the trainer calls them. */
        float *y = malloc(n * sizeof *y), *g = malloc(n * sizeof *g);
        memcpy(y, x, n * sizeof *y);
        memcpy(g, dout, n * sizeof *g);
        evo_nn_activation_forward(y, y, n, act);
        evo_nn_activation_backward(g, g, y, n, act);
        assert_memory_equal(y, out, n * sizeof *y);
        assert_memory_equal(g, dinp, n * sizeof *g);
        free(x), free(dout), free(out), free(dinp), free(y), free(g);
    }
    assert_string_equal(evo_nn_activation_name(EVO_ACT_RELU), "relu");
    assert_string_equal(evo_nn_activation_name(EVO_ACT_TANH), "tanh");
    assert_string_equal(evo_nn_activation_name(EVO_ACT_SIGMOID), "sigmoid");
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
    static const size_t shapes[][2] = {{1, 2}, {3, 3}, {7, 10}, {16, 17}, {5, 1}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 4, 0, 0, 0);
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
            double loss = evo_nn_softmax_xent_forward(probs, &correct, logits, y, B, C);
            evo_nn_softmax_xent_backward(dl, probs, y, B, C);

            double *ld = to_double(logits, B * C), *pd = malloc(B * C * sizeof *pd);
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
            for (size_t k = 0; k < B * C; k++) {
                expect_close(probs[k], pd[k], 1e-6, 1e-5, "probs", k);
                /* with logits at 1e4 a double step of 1e-3 is still exact enough */
                const double h = 1e-3;
                double save = ld[k];
                ld[k] = save + h;
                double lp = xent_ref(NULL, ld, y, B, C);
                ld[k] = save - h;
                double lm = xent_ref(NULL, ld, y, B, C);
                ld[k] = save;
                expect_close(dl[k], (lp - lm) / (2 * h), 1e-6, 1e-4, "dlogits", k);
            }
            free(logits), free(y), free(probs), free(dl), free(ld), free(pd);
        }
    }
}

static void test_softmax_extremes(void **state)
{
    (void)state;
    /* A confident wrong answer: p[y] underflows to 0 in float, the loss must stay finite (2e4). */
    float logits[6] = {1e4f, -1e4f, 0, 5, 5, 1};
    int32_t y[2] = {1, 2};
    float probs[6], dl[6];
    size_t correct = 99;
    double loss = evo_nn_softmax_xent_forward(probs, &correct, logits, y, 2, 3);
    double row1 = log(2 + exp(-4.0)) + 4; /* logit 1 against a maximum of 5 */
    expect_close(loss, (2e4 + row1) / 2, 1e-3, 1e-6, "loss", 0);
    /* row 1 ties between classes 0 and 1: the first wins, so y=1 would not count and y=0 does */
    assert_int_equal(correct, 0);
    y[1] = 0;
    evo_nn_softmax_xent_forward(probs, &correct, logits, y, 2, 3);
    assert_int_equal(correct, 1);
    evo_nn_softmax_xent_backward(dl, probs, y, 2, 3);
    expect_close(dl[0], 0.5, 0, 1e-6, "dl", 0);
    expect_close(dl[1], -0.5, 0, 1e-6, "dl", 1);
    for (size_t k = 0; k < 6; k++)
        assert_true(isfinite(probs[k]) && isfinite(dl[k]));
    /* gradient rows sum to zero */
    expect_close(dl[3] + dl[4] + dl[5], 0, 1e-7, 0, "rowsum", 1);
}

static void test_dropout(void **state)
{
    (void)state;
    const size_t n = 1001;
    const float p = 0.3f;
    struct evo_rng rng, rng2, rng3;
    evo_rng_seed(&rng, 5, 0, 0, 0);
    rng2 = rng;
    rng3 = rng;
    float *x = fill_uniform(n, -1, 1, &rng3);
    rng3 = rng;
    float *out = fill_nan(n), *mask = fill_nan(n), *out2 = fill_nan(n), *mask2 = fill_nan(n);
    evo_nn_dropout_forward(out, mask, x, n, p, &rng);
    evo_nn_dropout_forward(out2, mask2, x, n, p, &rng2);
    assert_memory_equal(mask, mask2, n * sizeof *mask); /* same stream, same mask */
    assert_memory_equal(out, out2, n * sizeof *out);
    /* exactly n uniforms were drawn */
    for (size_t i = 0; i < n; i++)
        evo_rng_uniformf(&rng3);
    assert_memory_equal(&rng, &rng3, sizeof rng);

    const float keep = 1.0f / (1.0f - p);
    size_t dropped = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(mask[i] == 0.0f || mask[i] == keep);
        dropped += mask[i] == 0.0f;
        assert_true(out[i] == x[i] * mask[i]);
    }
    assert_true(dropped > 0 && dropped < n);

    float *dout = fill_uniform(n, -1, 1, &rng3), *dinp = fill_nan(n);
    evo_nn_dropout_backward(dinp, dout, mask, n);
    for (size_t i = 0; i < n; i++)
        assert_true(dinp[i] == dout[i] * mask[i]);
    evo_nn_dropout_backward(dout, dout, mask, n); /* in place */
    assert_memory_equal(dout, dinp, n * sizeof *dout);

    /* p = 0 keeps everything, unscaled */
    evo_nn_dropout_forward(out, mask, x, n, 0.0f, &rng);
    for (size_t i = 0; i < n; i++)
        assert_true(mask[i] == 1.0f && out[i] == x[i]);

    /* the dropped fraction approaches p: 200000 draws give a standard error near 0.001 */
    const size_t big = 200000;
    float *bx = malloc(big * sizeof *bx), *bm = malloc(big * sizeof *bm);
    for (size_t i = 0; i < big; i++)
        bx[i] = 1.0f;
    static const float ps[] = {0.1f, 0.5f, 0.9f};
    for (size_t k = 0; k < 3; k++) {
        evo_nn_dropout_forward(bx, bm, bx, big, ps[k], &rng); /* out == inp is allowed */
        size_t zeros = 0;
        double sum = 0;
        for (size_t i = 0; i < big; i++) {
            zeros += bm[i] == 0.0f;
            sum += bx[i];
            bx[i] = 1.0f;
        }
        expect_close((double)zeros / (double)big, ps[k], 0.006, 0, "dropped", k);
        /* inverted dropout keeps the expected activation */
        expect_close(sum / (double)big, 1.0, 0.05, 0, "mean", k);
    }
    free(x), free(out), free(mask), free(out2), free(mask2), free(dout), free(dinp), free(bx), free(bm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_forward_shapes),
        cmocka_unit_test(test_dense_backward_fd),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_softmax_extremes),
        cmocka_unit_test(test_dropout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

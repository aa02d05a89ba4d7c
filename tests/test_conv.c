/* Tests of the convolution and max-pooling kernels (src/kernels/conv_*.c) of the table EVOTUNE_ISA
 * forces (ctest runs this file once per ISA): each form against a double-precision reference written
 * here as naive loops, on awkward shapes (1 x 1 and 1-pixel-wide images, odd sizes, channel counts not
 * a multiple of any vector width, k larger than the image), outputs pre-filled with NaN, the workspace
 * pre-filled with NaN and guarded by a canary; pooling's odd sizes, ties and NaNs; finite-difference
 * gradient checks of both layers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/error.h"
#include "evotune/kernels.h"
#include "evotune/rng.h"
#include "kernels_support.h"

#define CANARY 16
#define CANARY_VALUE 12345.0f

static const struct evo_kernels *T; /* the table under test, chosen in main */

static float *alloc_floats(size_t n)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    assert_non_null(a);
    return a;
}

static void fill_nan(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
}

struct shape {
    size_t B, Cin, H, W, Cout, k;
};

/* A workspace of the documented size, NaN-filled (stale scratch must never reach a result), with a
 * canary after it. */
static float *work_new(const struct shape *s, size_t *n)
{
    *n = evo_kernels_conv_work_floats(s->Cin, s->H, s->W, s->Cout, s->k);
    float *w = alloc_floats(*n + CANARY);
    fill_nan(w, *n);
    for (size_t i = 0; i < CANARY; i++)
        w[*n + i] = CANARY_VALUE;
    return w;
}

static void work_check(const float *w, size_t n, const struct shape *s, const char *form)
{
    for (size_t i = 0; i < CANARY; i++)
        if (w[n + i] != CANARY_VALUE)
            fail_msg("%s conv %s B=%zu Cin=%zu H=%zu W=%zu Cout=%zu k=%zu: wrote past "
                     "evo_kernels_conv_work_floats",
                     T->name, form, s->B, s->Cin, s->H, s->W, s->Cout, s->k);
}

/* x[n, c, y, x] with zero padding outside the image. */
static double px(const float *x, const struct shape *s, size_t n, size_t c, ptrdiff_t y, ptrdiff_t xx)
{
    if (y < 0 || xx < 0 || y >= (ptrdiff_t)s->H || xx >= (ptrdiff_t)s->W)
        return 0;
    return x[((n * s->Cin + c) * s->H + (size_t)y) * s->W + (size_t)xx];
}

static void expect_near(const char *form, const struct shape *s, const char *what, size_t idx,
                        double got, double want, double mag)
{
    double tol = 1e-5 * mag + 1e-6 * (fabs(want) + 1.0);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s conv %s B=%zu Cin=%zu H=%zu W=%zu Cout=%zu k=%zu: %s[%zu] = %.9g, want %.9g",
                 T->name, form, s->B, s->Cin, s->H, s->W, s->Cout, s->k, what, idx, got, want);
}

/* One shape, the three forms, against the naive reference; variant picks bias, activation and db. */
static void check_conv(const struct shape *s, unsigned variant, struct evo_rng *rng)
{
    size_t B = s->B, Cin = s->Cin, H = s->H, W = s->W, Cout = s->Cout, k = s->k;
    ptrdiff_t p = (ptrdiff_t)(k / 2);
    size_t nx = B * Cin * H * W, ny = B * Cout * H * W, nw = Cout * Cin * k * k;
    struct support_floats bufs = {0};
    float *x = support_floats_new(&bufs, nx), *w = support_floats_new(&bufs, nw);
    float *b = support_floats_new(&bufs, Cout), *dy = support_floats_new(&bufs, ny);
    float *out = support_floats_new(&bufs, ny), *dx = support_floats_new(&bufs, nx);
    float *dw = support_floats_new(&bufs, nw), *dw0 = support_floats_new(&bufs, nw);
    float *db = support_floats_new(&bufs, Cout), *db0 = support_floats_new(&bufs, Cout);
    support_fill(x, nx, rng);
    support_fill(w, nw, rng);
    support_fill(b, Cout, rng);
    support_fill(dy, ny, rng);
    support_fill(dw0, nw, rng);
    support_fill(db0, Cout, rng);
    static const int ACTS[] = {EVO_ACT_IDENTITY, EVO_ACT_RELU, EVO_ACT_TANH, EVO_ACT_SIGMOID};
    int act = ACTS[variant % 4];
    const float *bias = (variant >> 2) & 1 ? NULL : b;
    int with_db = !((variant >> 3) & 1);
    size_t wn;
    float *work = work_new(s, &wn);

    fill_nan(out, ny);
    T->conv2d_forward(out, x, w, bias, B, Cin, H, W, Cout, k, act, work);
    work_check(work, wn, s, "forward");
    for (size_t n = 0; n < B; n++)
        for (size_t o = 0; o < Cout; o++)
            for (size_t y = 0; y < H; y++)
                for (size_t xx = 0; xx < W; xx++) {
                    double v = bias ? bias[o] : 0, mag = fabs(v);
                    for (size_t c = 0; c < Cin; c++)
                        for (size_t i = 0; i < k; i++)
                            for (size_t j = 0; j < k; j++) {
                                double t = w[((o * Cin + c) * k + i) * k + j] *
                                           px(x, s, n, c, (ptrdiff_t)(y + i) - p, (ptrdiff_t)(xx + j) - p);
                                v += t;
                                mag += fabs(t);
                            }
                    size_t at = ((n * Cout + o) * H + y) * W + xx;
                    expect_near("forward", s, evo_kernels_activation_name(act), at, out[at],
                                support_act_ref(v, act, 0), mag);
                }

    fill_nan(work, wn);
    memcpy(dw, dw0, nw * sizeof *dw);
    memcpy(db, db0, Cout * sizeof *db);
    T->conv2d_backward_weights(dw, with_db ? db : NULL, dy, x, B, Cin, H, W, Cout, k, work);
    work_check(work, wn, s, "backward_weights");
    for (size_t o = 0; o < Cout; o++) {
        for (size_t c = 0; c < Cin; c++)
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j < k; j++) {
                    size_t at = ((o * Cin + c) * k + i) * k + j;
                    double v = dw0[at], mag = fabs(v);
                    for (size_t n = 0; n < B; n++)
                        for (size_t y = 0; y < H; y++)
                            for (size_t xx = 0; xx < W; xx++) {
                                double t = dy[((n * Cout + o) * H + y) * W + xx] *
                                           px(x, s, n, c, (ptrdiff_t)(y + i) - p, (ptrdiff_t)(xx + j) - p);
                                v += t;
                                mag += fabs(t);
                            }
                    expect_near("backward_weights", s, "dw", at, dw[at], v, mag);
                }
        double v = db0[o], mag = fabs(v);
        for (size_t n = 0; n < B; n++)
            for (size_t q = 0; q < H * W; q++) {
                v += dy[(n * Cout + o) * H * W + q];
                mag += fabs(dy[(n * Cout + o) * H * W + q]);
            }
        if (with_db)
            expect_near("backward_weights", s, "db", o, db[o], v, mag);
        else if (memcmp(&db[o], &db0[o], sizeof db[o]))
            fail_msg("%s conv backward_weights: db changed although NULL was passed", T->name);
    }

    fill_nan(work, wn);
    fill_nan(dx, nx);
    T->conv2d_backward_input(dx, dy, w, B, Cin, H, W, Cout, k, work);
    work_check(work, wn, s, "backward_input");
    for (size_t n = 0; n < B; n++)
        for (size_t c = 0; c < Cin; c++)
            for (size_t y = 0; y < H; y++)
                for (size_t xx = 0; xx < W; xx++) {
                    double v = 0, mag = 0;
                    for (size_t o = 0; o < Cout; o++)
                        for (size_t i = 0; i < k; i++)
                            for (size_t j = 0; j < k; j++) {
                                /* out[y'] used x[y] when y' + i - p = y */
                                ptrdiff_t yo = (ptrdiff_t)y - (ptrdiff_t)i + p;
                                ptrdiff_t xo = (ptrdiff_t)xx - (ptrdiff_t)j + p;
                                if (yo < 0 || xo < 0 || yo >= (ptrdiff_t)H || xo >= (ptrdiff_t)W)
                                    continue;
                                double t = (double)w[((o * Cin + c) * k + i) * k + j] *
                                           dy[((n * Cout + o) * H + (size_t)yo) * W + (size_t)xo];
                                v += t;
                                mag += fabs(t);
                            }
                    size_t at = ((n * Cin + c) * H + y) * W + xx;
                    expect_near("backward_input", s, "dx", at, dx[at], v, mag);
                }
    support_floats_free(&bufs);
    free(work);
}

static void test_conv_shapes(void **state)
{
    (void)state;
    static const size_t BS[] = {1, 5}, CS[] = {1, 3, 17}, KS[] = {3, 5};
    static const size_t HW[][2] = {{1, 1}, {1, 7}, {7, 1}, {2, 3}, {5, 6}, {9, 7}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 21, (uint64_t)T->isa, 0, 0);
    unsigned v = 0;
    for (size_t a = 0; a < 2; a++)
        for (size_t ci = 0; ci < 3; ci++)
            for (size_t co = 0; co < 3; co++)
                for (size_t kk = 0; kk < 2; kk++)
                    for (size_t h = 0; h < sizeof HW / sizeof HW[0]; h++) {
                        struct shape s = {BS[a], CS[ci], HW[h][0], HW[h][1], CS[co], KS[kk]};
                        check_conv(&s, v++, &rng);
                    }
    /* The layers, k = 1 and 7, and one past the GEMM's block sizes (K + 1 and H W > 512). */
    static const struct shape BIG[] = {{2, 1, 28, 28, 32, 3}, {2, 32, 14, 14, 64, 3}, {3, 4, 6, 5, 2, 1},
                                       {2, 2, 9, 4, 3, 7}, {1, 21, 23, 25, 20, 5}};
    for (size_t i = 0; i < sizeof BIG / sizeof BIG[0]; i++)
        for (unsigned u = 0; u < 8; u += 3)
            check_conv(&BIG[i], v++ + u, &rng);
}

/* The reference window maximum of pooling: the first maximum in row-major order; SIZE_MAX when the
 * window holds a NaN (the output is NaN and no gradient passes). */
static size_t ref_argmax(const float *plane, size_t W, size_t y, size_t x)
{
    size_t at = 2 * y * W + 2 * x;
    const size_t all[4] = {at, at + 1, at + W, at + W + 1};
    size_t best = at;
    for (int c = 0; c < 4; c++) {
        if (isnan(plane[all[c]]))
            return SIZE_MAX;
        if (plane[all[c]] > plane[best])
            best = all[c];
    }
    return best;
}

/* Forward (with and without the maxima's positions) and backward against the reference, bit for bit
 * (pooling moves values, it does not compute them). ties: values from {-1, 0, 1}, so that most
 * windows hold equal maxima. */
static void check_pool(size_t B, size_t C, size_t H, size_t W, int ties, int nans, struct evo_rng *rng)
{
    size_t Ho = H / 2, Wo = W / 2, nx = B * C * H * W, ny = B * C * Ho * Wo;
    float *x = alloc_floats(nx), *out = alloc_floats(ny + 1), *dy = alloc_floats(ny),
          *dx = alloc_floats(nx), *out2 = alloc_floats(ny + 1);
    uint8_t *arg = malloc(ny + 1);
    assert_non_null(arg);
    memset(arg, 0xEE, ny + 1);
    support_fill(x, nx, rng);
    support_fill(dy, ny, rng);
    if (ties)
        for (size_t i = 0; i < nx; i++)
            x[i] = x[i] < -0.33f ? -1.0f : x[i] < 0.33f ? 0.0f : 1.0f;
    if (nans)
        for (size_t i = 0; i < nx; i += 5)
            x[i] = NAN;
    fill_nan(out, ny);
    out[ny] = CANARY_VALUE;
    T->maxpool2_forward(out, arg, x, B, C, H, W);
    if (out[ny] != CANARY_VALUE || arg[ny] != 0xEE)
        fail_msg("%s maxpool2_forward B=%zu C=%zu H=%zu W=%zu: wrote past the output", T->name, B, C, H,
                 W);
    fill_nan(out2, ny);
    T->maxpool2_forward(out2, NULL, x, B, C, H, W);
    if (ny && memcmp(out2, out, ny * sizeof *out))
        fail_msg("%s maxpool2_forward B=%zu C=%zu H=%zu W=%zu: the output differs without positions",
                 T->name, B, C, H, W);
    fill_nan(dx, nx);
    T->maxpool2_backward(dx, dy, arg, B, C, H, W);
    for (size_t pl = 0; pl < B * C; pl++) {
        const float *xp = x + pl * H * W;
        for (size_t y = 0; y < Ho; y++)
            for (size_t q = 0; q < Wo; q++) {
                size_t o = pl * Ho * Wo + y * Wo + q, at = ref_argmax(xp, W, y, q);
                if (at == SIZE_MAX ? !isnan(out[o]) : memcmp(&out[o], &xp[at], sizeof out[o]))
                    fail_msg("%s maxpool2_forward B=%zu C=%zu H=%zu W=%zu ties=%d nans=%d: out[%zu] = "
                             "%g, want %g",
                             T->name, B, C, H, W, ties, nans, o, out[o],
                             at == SIZE_MAX ? (double)NAN : xp[at]);
                /* the position in the window: 0, 1 in its top row, 2, 3 in its bottom row */
                unsigned want = at == SIZE_MAX ? EVO_POOL_ARG_NONE
                                               : (unsigned)((at / W - 2 * y) * 2 + (at % W - 2 * q));
                if (arg[o] != want)
                    fail_msg("%s maxpool2_forward B=%zu C=%zu H=%zu W=%zu ties=%d nans=%d: arg[%zu] = %u, "
                             "want %u",
                             T->name, B, C, H, W, ties, nans, o, arg[o], want);
            }
        for (size_t i = 0; i < H * W; i++) {
            size_t y = i / W, q = i % W;
            float want = 0.0f;
            if (y / 2 < Ho && q / 2 < Wo && ref_argmax(xp, W, y / 2, q / 2) == i)
                want = dy[pl * Ho * Wo + (y / 2) * Wo + q / 2];
            if (memcmp(&dx[pl * H * W + i], &want, sizeof want))
                fail_msg("%s maxpool2_backward B=%zu C=%zu H=%zu W=%zu ties=%d nans=%d: dx[%zu] = %g, "
                         "want %g",
                         T->name, B, C, H, W, ties, nans, pl * H * W + i, dx[pl * H * W + i], want);
        }
    }
    free(x);
    free(out);
    free(out2);
    free(arg);
    free(dy);
    free(dx);
}

static void test_pool_shapes(void **state)
{
    (void)state;
    static const size_t BS[] = {1, 5}, CS[] = {1, 3, 17}, SIDES[] = {1, 2, 3, 4, 5, 7, 8, 28};
    struct evo_rng rng;
    evo_rng_seed(&rng, 22, (uint64_t)T->isa, 0, 0);
    for (size_t a = 0; a < 2; a++)
        for (size_t c = 0; c < 3; c++)
            for (size_t h = 0; h < sizeof SIDES / sizeof SIDES[0]; h++)
                for (size_t w = 0; w < sizeof SIDES / sizeof SIDES[0]; w++)
                    for (int mode = 0; mode < 3; mode++)
                        check_pool(BS[a], CS[c], SIDES[h], SIDES[w], mode == 1, mode == 2, &rng);
}

/* A 1-pixel-high or -wide image pools to nothing: the output is not written, dx is all zero. */
static void test_pool_degenerate(void **state)
{
    (void)state;
    float x[7] = {1, 2, 3, 4, 5, 6, 7}, dx[7], out[1] = {42.0f}, dy[1] = {9.0f};
    uint8_t arg[1] = {0xEE};
    fill_nan(dx, 7);
    T->maxpool2_forward(out, arg, x, 1, 1, 1, 7);
    assert_true(out[0] == 42.0f && arg[0] == 0xEE);
    T->maxpool2_backward(dx, dy, arg, 1, 1, 7, 1);
    for (int i = 0; i < 7; i++)
        assert_true(dx[i] == 0.0f);
    /* 3 x 3: one window; the last row and column get no gradient */
    float x9[9] = {0, 5, 9, 1, 2, 9, 9, 9, 9}, dx9[9];
    T->maxpool2_forward(out, arg, x9, 1, 1, 3, 3);
    assert_true(out[0] == 5.0f && arg[0] == 1);
    T->maxpool2_backward(dx9, dy, arg, 1, 1, 3, 3);
    for (int i = 0; i < 9; i++)
        assert_true(dx9[i] == (i == 1 ? 9.0f : 0.0f));
}

/* ---- finite-difference gradient checks ---- */

/* loss = sum(act(conv(x, w) + b) * r), in double from the table's forward. */
static double conv_loss(const struct shape *s, const float *x, const float *w, const float *b,
                        const float *r, float *out, int act, float *work)
{
    T->conv2d_forward(out, x, w, b, s->B, s->Cin, s->H, s->W, s->Cout, s->k, act, work);
    double l = 0;
    for (size_t i = 0; i < s->B * s->Cout * s->H * s->W; i++)
        l += (double)out[i] * r[i];
    return l;
}

static void expect_grad(const char *layer, const char *what, size_t idx, double got, double fdv)
{
    if (!(fabs(got - fdv) <= 2e-3 + 2e-2 * fabs(fdv)))
        fail_msg("%s %s gradient %s[%zu]: analytic %.6g, finite difference %.6g", T->name, layer, what,
                 idx, got, fdv);
}

static double conv_fd(const struct shape *s, float *v, const float *x, const float *w, const float *b,
                      const float *r, float *out, int act, float *work)
{
    const float h = 1e-3f;
    float keep = *v;
    *v = keep + h;
    double lp = conv_loss(s, x, w, b, r, out, act, work);
    *v = keep - h;
    double lm = conv_loss(s, x, w, b, r, out, act, work);
    *v = keep;
    return (lp - lm) / (2.0 * (double)h);
}

static void test_conv_gradcheck(void **state)
{
    (void)state;
    static const struct shape SHAPES[] = {{2, 3, 5, 4, 2, 3}, {1, 2, 3, 1, 3, 5}, {3, 1, 1, 1, 2, 3},
                                          {2, 17, 3, 3, 3, 3}, {1, 3, 6, 7, 17, 5}};
    static const int ACTS[] = {EVO_ACT_IDENTITY, EVO_ACT_TANH, EVO_ACT_SIGMOID};
    struct evo_rng rng;
    evo_rng_seed(&rng, 23, (uint64_t)T->isa, 0, 0);
    for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++)
        for (size_t ai = 0; ai < 3; ai++) {
            const struct shape *s = &SHAPES[si];
            int act = ACTS[ai];
            size_t nx = s->B * s->Cin * s->H * s->W, ny = s->B * s->Cout * s->H * s->W,
                   nw = s->Cout * s->Cin * s->k * s->k;
            struct support_floats bufs = {0};
            float *x = support_floats_new(&bufs, nx), *w = support_floats_new(&bufs, nw);
            float *b = support_floats_new(&bufs, s->Cout), *r = support_floats_new(&bufs, ny);
            float *out = support_floats_new(&bufs, ny), *dy = support_floats_new(&bufs, ny);
            float *dw = support_floats_new(&bufs, nw), *db = support_floats_new(&bufs, s->Cout);
            float *dx = support_floats_new(&bufs, nx);
            size_t wn;
            float *work = work_new(s, &wn);
            support_fill(x, nx, &rng);
            support_fill(w, nw, &rng);
            support_fill(b, s->Cout, &rng);
            support_fill(r, ny, &rng);
            conv_loss(s, x, w, b, r, out, act, work);
            for (size_t i = 0; i < ny; i++) { /* dy = r * act'(pre), from the output */
                double o = out[i], d = 1;
                if (act == EVO_ACT_TANH)
                    d = 1 - o * o;
                else if (act == EVO_ACT_SIGMOID)
                    d = o * (1 - o);
                dy[i] = (float)(r[i] * d);
            }
            memset(dw, 0, nw * sizeof *dw);
            memset(db, 0, s->Cout * sizeof *db);
            T->conv2d_backward_weights(dw, db, dy, x, s->B, s->Cin, s->H, s->W, s->Cout, s->k, work);
            T->conv2d_backward_input(dx, dy, w, s->B, s->Cin, s->H, s->W, s->Cout, s->k, work);
            for (size_t i = 0; i < nw; i += 1 + i % 3)
                expect_grad("conv", "dw", i, dw[i], conv_fd(s, &w[i], x, w, b, r, out, act, work));
            for (size_t i = 0; i < s->Cout; i++)
                expect_grad("conv", "db", i, db[i], conv_fd(s, &b[i], x, w, b, r, out, act, work));
            for (size_t i = 0; i < nx; i += 1 + i % 2)
                expect_grad("conv", "dx", i, dx[i], conv_fd(s, &x[i], x, w, b, r, out, act, work));
            support_floats_free(&bufs);
            free(work);
        }
}

static double pool_loss(const float *x, const float *r, float *out, size_t B, size_t C, size_t H,
                        size_t W)
{
    T->maxpool2_forward(out, NULL, x, B, C, H, W);
    double l = 0;
    for (size_t i = 0; i < B * C * (H / 2) * (W / 2); i++)
        l += (double)out[i] * r[i];
    return l;
}

/* Inputs a shuffled grid 0.01 apart, so that no window's maximum changes within the step h. */
static void test_pool_gradcheck(void **state)
{
    (void)state;
    static const size_t SHAPES[][4] = {{2, 3, 4, 4}, {1, 2, 5, 7}, {3, 1, 3, 2}, {1, 1, 1, 4}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 24, (uint64_t)T->isa, 0, 0);
    for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++) {
        size_t B = SHAPES[si][0], C = SHAPES[si][1], H = SHAPES[si][2], W = SHAPES[si][3];
        size_t nx = B * C * H * W, ny = B * C * (H / 2) * (W / 2);
        float *x = alloc_floats(nx), *r = alloc_floats(ny), *out = alloc_floats(ny),
              *dx = alloc_floats(nx);
        for (size_t i = 0; i < nx; i++)
            x[i] = 0.01f * (float)i - 0.5f;
        for (size_t i = nx; i > 1; i--) {
            size_t j = (size_t)evo_rng_below(&rng, i);
            float t = x[i - 1];
            x[i - 1] = x[j];
            x[j] = t;
        }
        support_fill(r, ny, &rng);
        uint8_t *arg = malloc(ny + 1);
        assert_non_null(arg);
        T->maxpool2_forward(out, arg, x, B, C, H, W);
        T->maxpool2_backward(dx, r, arg, B, C, H, W);
        free(arg);
        const float h = 1e-3f;
        for (size_t i = 0; i < nx; i++) {
            float keep = x[i];
            x[i] = keep + h;
            double lp = pool_loss(x, r, out, B, C, H, W);
            x[i] = keep - h;
            double lm = pool_loss(x, r, out, B, C, H, W);
            x[i] = keep;
            expect_grad("maxpool2", "dx", i, dx[i], (lp - lm) / (2.0 * (double)h));
        }
        free(x);
        free(r);
        free(out);
        free(dx);
    }
}

/* The bound does not depend on the batch, grows with every dimension, and saturates on overflow. */
static void test_work_bound(void **state)
{
    (void)state;
    size_t small = evo_kernels_conv_work_floats(1, 1, 1, 1, 3);
    assert_true(small >= 10 + 1);
    assert_true(evo_kernels_conv_work_floats(32, 14, 14, 64, 3) >= 289 * 196 + 64 * 289);
    assert_true(evo_kernels_conv_work_floats(32, 14, 14, 64, 5) > evo_kernels_conv_work_floats(32, 14, 14, 64, 3));
    assert_true(evo_kernels_conv_work_floats(SIZE_MAX / 2, 1, 1, 1, 3) == SIZE_MAX);
    assert_true(evo_kernels_conv_work_floats(1, SIZE_MAX / 4, 8, 1, 3) == SIZE_MAX);
    assert_true(evo_kernels_conv_work_floats(1, 1, 1, SIZE_MAX / 2, 3) == SIZE_MAX);
}

int main(void)
{
    int rc = support_kernels_init();
    if (rc)
        return rc;
    T = evo_kernels();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_bound),     cmocka_unit_test(test_conv_shapes),
        cmocka_unit_test(test_pool_shapes),    cmocka_unit_test(test_pool_degenerate),
        cmocka_unit_test(test_conv_gradcheck), cmocka_unit_test(test_pool_gradcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests of the dense-layer GEMMs of every kernel table (src/kernels/gemm_*.c): each form against a
 * double-precision reference on awkward shapes (1..67 and past the block sizes), overwritten outputs
 * pre-filled with NaN, inputs offset by one float, the workspace bound guarded by a canary, bitwise
 * determinism across pointer alignments, and a finite-difference gradient check of a dense layer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/kernels.h"
#include "evotune/rng.h"
#include "kernels_support.h"

/* The activations dense_forward fuses (relu, tanh, sigmoid; kernels.h): the others are applied by
 * the caller after an identity GEMM. */
#define GEMM_ACTS (EVO_ACT_SIGMOID + 1)

static const size_t SIZES[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 67};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])
static const size_t FEW[] = {1, 7, 16, 67};
#define N_FEW (sizeof FEW / sizeof FEW[0])

enum form { FORWARD, WEIGHTS, INPUT, N_FORMS };
static const char *const FORM_NAMES[] = {"forward", "backward_weights", "backward_input"};

#define CANARY 16
#define CANARY_VALUE 12345.0f

/* One problem's buffers, allocated with one float of slack so that inputs can sit off alignment. */
struct problem {
    size_t M, K, N;
    float *x, *w, *b, *dy, *c, *db, *work; /* c: out[M,N], dw[K,N] or dx[M,K] */
    size_t work_n;
};

static float *alloc_floats(size_t n)
{
    float *a = malloc((n + 1) * sizeof *a);
    assert_non_null(a);
    return a;
}

static size_t out_size(enum form f, size_t M, size_t K, size_t N)
{
    return f == FORWARD ? M * N : f == WEIGHTS ? K * N : M * K;
}

/* Runs one form on table t with every input (and the output) shifted by off floats. */
static void run_form(const struct evo_kernels *t, enum form f, const struct problem *p, size_t off,
                     float *c, float *db, const float *bias, int act)
{
    const float *x = p->x + off, *w = p->w + off, *dy = p->dy + off;
    for (size_t i = 0; i < CANARY; i++)
        p->work[p->work_n + i] = CANARY_VALUE;
    if (f == FORWARD)
        t->dense_forward(c, x, w, bias, p->M, p->K, p->N, act, p->work);
    else if (f == WEIGHTS)
        t->dense_backward_weights(c, db, dy, x, p->M, p->K, p->N, p->work);
    else
        t->dense_backward_input(c, dy, w, p->M, p->K, p->N, p->work);
    for (size_t i = 0; i < CANARY; i++)
        if (p->work[p->work_n + i] != CANARY_VALUE)
            fail_msg("%s %s M=%zu K=%zu N=%zu: wrote past evo_kernels_work_floats", t->name,
                     FORM_NAMES[f], p->M, p->K, p->N);
}

/* Checks c against the double reference of form f: |got - want| <= 1e-5 sum|terms| + 1e-6 (|want| + 1). */
static void check_form(const char *isa, enum form f, const struct problem *p, const float *c,
                       const float *c0, const float *db, const float *db0, const float *bias,
                       int act)
{
    size_t M = p->M, K = p->K, N = p->N;
    size_t rows = f == WEIGHTS ? K : M, cols = f == INPUT ? K : N, inner = f == FORWARD ? K
                                                                          : f == WEIGHTS ? M
                                                                                         : N;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double s = 0, mag = 0;
            for (size_t q = 0; q < inner; q++) {
                double t = f == FORWARD   ? (double)p->x[i * K + q] * p->w[q * N + j]
                           : f == WEIGHTS ? (double)p->x[q * K + i] * p->dy[q * N + j]
                                          : (double)p->dy[i * N + q] * p->w[j * N + q];
                s += t;
                mag += fabs(t);
            }
            if (f == FORWARD && bias) {
                s += bias[j];
                mag += fabs(bias[j]);
            }
            if (f == WEIGHTS) {
                s += c0[i * cols + j];
                mag += fabs(c0[i * cols + j]);
            }
            double want = f == FORWARD ? support_act_ref(s, act, 0) : s;
            double got = c[i * cols + j];
            double tol = 1e-5 * mag + 1e-6 * (fabs(want) + 1.0);
            if (!(fabs(got - want) <= tol))
                fail_msg("%s %s M=%zu K=%zu N=%zu act=%s bias=%d: c[%zu,%zu] = %.9g, want %.9g",
                         isa, FORM_NAMES[f], M, K, N, evo_kernels_activation_name(act), bias != NULL,
                         i, j, got, want);
        }
    if (f == WEIGHTS && db)
        for (size_t j = 0; j < N; j++) {
            double s = db0[j], mag = fabs(db0[j]);
            for (size_t q = 0; q < M; q++) {
                s += p->dy[q * N + j];
                mag += fabs(p->dy[q * N + j]);
            }
            if (!(fabs(db[j] - s) <= 1e-5 * mag + 1e-6))
                fail_msg("%s db M=%zu N=%zu: db[%zu] = %.9g, want %.9g", isa, M, N, j, db[j], s);
        }
}

/* One shape, every form, on table t; variant selects bias, activation and input offset. */
static void check_shape(const struct evo_kernels *t, size_t M, size_t K, size_t N, unsigned variant,
                        struct evo_rng *rng)
{
    struct problem p = {.M = M, .K = K, .N = N};
    p.x = alloc_floats(M * K);
    p.w = alloc_floats(K * N);
    p.b = alloc_floats(N);
    p.dy = alloc_floats(M * N);
    size_t cmax = M * N > K * N ? M * N : K * N;
    cmax = cmax > M * K ? cmax : M * K;
    float *c = alloc_floats(cmax), *c0 = alloc_floats(cmax);
    float *db = alloc_floats(N), *db0 = alloc_floats(N);
    p.work_n = evo_kernels_work_floats(M, K, N);
    p.work = alloc_floats(p.work_n + CANARY);
    size_t off = variant & 1;
    /* Inputs live at +off; the reference reads them through p.x etc. after the shift. */
    support_fill(p.x, M * K + 1, rng);
    support_fill(p.w, K * N + 1, rng);
    support_fill(p.b, N, rng);
    support_fill(p.dy, M * N + 1, rng);
    struct problem ref = p;
    ref.x += off;
    ref.w += off;
    ref.dy += off;
    int act = (int)((variant >> 1) % (GEMM_ACTS + 1)) - 1; /* -1 = identity .. 2 */
    const float *bias = (variant >> 3) & 1 ? p.b : NULL;
    for (int f = 0; f < N_FORMS; f++) {
        size_t n = out_size((enum form)f, M, K, N);
        for (size_t i = 0; i < p.work_n; i++)
            p.work[i] = NAN; /* packing must never let stale scratch reach a result */
        if (f == WEIGHTS) {
            support_fill(c0, n, rng);
            support_fill(db0, N, rng);
            memcpy(c + off, c0, n * sizeof *c);
            memcpy(db, db0, N * sizeof *db);
        } else {
            for (size_t i = 0; i < n; i++)
                c[i] = NAN; /* overwritten, never read */
        }
        run_form(t, (enum form)f, &p, off, c + off, f == WEIGHTS && bias ? db : NULL, bias, act);
        /* the output was shifted too: compare the shifted copy */
        memmove(c, c + off, n * sizeof *c);
        check_form(t->name, (enum form)f, &ref, c, c0, f == WEIGHTS && bias ? db : NULL, db0, bias,
                   act);
        /* Same inputs at the other alignment: bit-identical results. */
        struct problem q = p;
        float *x2 = alloc_floats(M * K), *w2 = alloc_floats(K * N), *dy2 = alloc_floats(M * N);
        size_t off2 = 1 - off;
        memcpy(x2 + off2, ref.x, M * K * sizeof *x2);
        memcpy(w2 + off2, ref.w, K * N * sizeof *w2);
        memcpy(dy2 + off2, ref.dy, M * N * sizeof *dy2);
        q.x = x2;
        q.w = w2;
        q.dy = dy2;
        float *c2 = alloc_floats(n);
        if (f == WEIGHTS)
            memcpy(c2 + off2, c0, n * sizeof *c2);
        run_form(t, (enum form)f, &q, off2, c2 + off2, NULL, bias, act);
        if (memcmp(c2 + off2, c, n * sizeof *c))
            fail_msg("%s %s M=%zu K=%zu N=%zu: result depends on pointer alignment", t->name,
                     FORM_NAMES[f], M, K, N);
        free(c2);
        free(x2);
        free(w2);
        free(dy2);
    }
    free(p.x);
    free(p.w);
    free(p.b);
    free(p.dy);
    free(c);
    free(c0);
    free(db);
    free(db0);
    free(p.work);
}

/* The per-ISA tests run once per kernel table, registered by PER_ISA as <test>_scalar, _avx2 and
 * _avx512, each given its ISA as state. */
static int ISAS[EVO_ISA_COUNT] = {EVO_ISA_SCALAR, EVO_ISA_AVX2, EVO_ISA_AVX512};
#define PER_ISA(f)                                          \
    {#f "_scalar", f, NULL, NULL, &ISAS[EVO_ISA_SCALAR]},   \
        {#f "_avx2", f, NULL, NULL, &ISAS[EVO_ISA_AVX2]},   \
        {#f "_avx512", f, NULL, NULL, &ISAS[EVO_ISA_AVX512]}

/* The table of a per-ISA test's ISA (put in *isa), or NULL, said on stdout, where this CPU or build
 * cannot run it: the test then passes without checking anything, as the tests of a missing ISA do. */
static const struct evo_kernels *table_of(void **state, int *isa)
{
    *isa = *(const int *)*state;
    const struct evo_kernels *t = evo_kernels_table(*isa);
    if (!t)
        printf("[  SKIP    ] isa %d not supported on this CPU or build\n", *isa);
    return t;
}

static void test_scalar_present(void **state)
{
    (void)state;
    const struct evo_kernels *t = evo_kernels_table(EVO_ISA_SCALAR);
    assert_non_null(t);
    assert_string_equal(t->name, "scalar");
    assert_non_null(evo_kernels());
}

static void test_shapes(void **state)
{
    int isa;
    const struct evo_kernels *t = table_of(state, &isa);
    if (!t)
        return;
    struct evo_rng rng;
    evo_rng_seed(&rng, 4, (uint64_t)isa, 0, 0);
    unsigned v = 0;
    for (size_t a = 0; a < N_SIZES; a++)
        for (size_t b = 0; b < N_SIZES; b++) {
            for (size_t k = 0; k < N_FEW; k++)
                check_shape(t, SIZES[a], FEW[k], SIZES[b], v++, &rng); /* M x N, a few K */
            check_shape(t, FEW[a % N_FEW], SIZES[b], SIZES[a], v++, &rng); /* K x N */
            check_shape(t, SIZES[b], SIZES[a], FEW[b % N_FEW], v++, &rng); /* M x K */
        }
    /* Past the block sizes: several depth blocks in each form, and more than one column block. */
    static const size_t BIG[][3] = {{33, 600, 70}, {600, 33, 45}, {9, 70, 530}, {17, 530, 600},
                                    {70, 9, 1030}, {40, 784, 256}};
    for (size_t i = 0; i < sizeof BIG / sizeof BIG[0]; i++)
        check_shape(t, BIG[i][0], BIG[i][1], BIG[i][2], v++, &rng);
}

/* loss = sum(act(x.w + b) * r) computed in double from the table's forward. */
static double layer_loss(const struct evo_kernels *t, const float *x, const float *w, const float *b,
                         const float *r, float *out, size_t M, size_t K, size_t N, int act,
                         float *work)
{
    t->dense_forward(out, x, w, b, M, K, N, act, work);
    double s = 0;
    for (size_t i = 0; i < M * N; i++)
        s += (double)out[i] * r[i];
    return s;
}

static void expect_grad(const char *isa, int act, const char *what, size_t idx, double got, double fd)
{
    if (!(fabs(got - fd) <= 2e-3 + 2e-2 * fabs(fd)))
        fail_msg("%s %s gradient %s[%zu]: analytic %.6g, finite difference %.6g", isa, evo_kernels_activation_name(act), what, idx, got,
                 fd);
}

/* Central differences of the loss w.r.t. one float, perturbed in place. */
static double fd(const struct evo_kernels *t, float *v, float *x, float *w, float *b, const float *r,
                 float *out, size_t M, size_t K, size_t N, int act, float *work)
{
    const float h = 1e-3f;
    float keep = *v;
    *v = keep + h;
    double lp = layer_loss(t, x, w, b, r, out, M, K, N, act, work);
    *v = keep - h;
    double lm = layer_loss(t, x, w, b, r, out, M, K, N, act, work);
    *v = keep;
    return (lp - lm) / (2.0 * (double)h);
}

static void test_gradcheck(void **state)
{
    int isa;
    const struct evo_kernels *t = table_of(state, &isa);
    if (!t)
        return;
    static const size_t SHAPES[][3] = {{5, 7, 6}, {3, 17, 33}, {9, 2, 19}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 5, (uint64_t)isa, 0, 0);
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++)
        for (int act = -1; act < GEMM_ACTS; act++) {
            size_t M = SHAPES[s][0], K = SHAPES[s][1], N = SHAPES[s][2];
            struct support_floats bufs = {0};
            float *x = support_floats_new(&bufs, M * K), *w = support_floats_new(&bufs, K * N);
            float *b = support_floats_new(&bufs, N), *r = support_floats_new(&bufs, M * N);
            float *out = support_floats_new(&bufs, M * N), *dy = support_floats_new(&bufs, M * N);
            float *dw = support_floats_new(&bufs, K * N), *db = support_floats_new(&bufs, N);
            float *dx = support_floats_new(&bufs, M * K);
            float *work = support_floats_new(&bufs, evo_kernels_work_floats(M, K, N));
            support_fill(x, M * K, &rng);
            support_fill(w, K * N, &rng);
            support_fill(b, N, &rng);
            support_fill(r, M * N, &rng);
            layer_loss(t, x, w, b, r, out, M, K, N, act, work);
            for (size_t i = 0; i < M * N; i++) { /* dy = r * act'(pre) from the output */
                double o = out[i], d = 1;
                if (act == EVO_ACT_RELU)
                    d = o > 0;
                else if (act == EVO_ACT_TANH)
                    d = 1 - o * o;
                else if (act == EVO_ACT_SIGMOID)
                    d = o * (1 - o);
                dy[i] = (float)(r[i] * d);
            }
            memset(dw, 0, K * N * sizeof *dw);
            memset(db, 0, N * sizeof *db);
            t->dense_backward_weights(dw, db, dy, x, M, K, N, work);
            t->dense_backward_input(dx, dy, w, M, K, N, work);
            for (size_t i = 0; i < K * N; i += 1 + i % 3)
                expect_grad(t->name, act, "dw", i, dw[i], fd(t, &w[i], x, w, b, r, out, M, K, N, act, work));
            for (size_t i = 0; i < N; i++)
                expect_grad(t->name, act, "db", i, db[i], fd(t, &b[i], x, w, b, r, out, M, K, N, act, work));
            for (size_t i = 0; i < M * K; i += 1 + i % 2)
                expect_grad(t->name, act, "dx", i, dx[i], fd(t, &x[i], x, w, b, r, out, M, K, N, act, work));
            support_floats_free(&bufs);
        }
}

/* Each output row bit-identical to the same row computed alone: full row tiles take the light path
 * (A read in place), edge tiles and single rows a packed A strip, and the summation order must not
 * depend on which. Weight-gradient rows are computed alone from one column of x. */
static void test_rows(void **state)
{
    int isa;
    const struct evo_kernels *t = table_of(state, &isa);
    if (!t)
        return;
    static const size_t SHAPES[][3] = {{33, 784, 32}, {33, 784, 10}, {35, 37, 20}, {32, 32, 10},
                                       {19, 300, 16}, {40, 33, 64}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 11, (uint64_t)isa, 0, 0);
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        size_t M = SHAPES[s][0], K = SHAPES[s][1], N = SHAPES[s][2];
        struct support_floats bufs = {0};
        float *x = support_floats_new(&bufs, M * K), *w = support_floats_new(&bufs, K * N);
        float *b = support_floats_new(&bufs, N), *dy = support_floats_new(&bufs, M * N);
        float *xc = support_floats_new(&bufs, M), *c0 = support_floats_new(&bufs, K * N);
        float *all = support_floats_new(&bufs, M * K + K * N), *one = support_floats_new(&bufs, K + N);
        float *work = support_floats_new(&bufs, evo_kernels_work_floats(M, K, N));
        support_fill(x, M * K, &rng);
        support_fill(w, K * N, &rng);
        support_fill(b, N, &rng);
        support_fill(dy, M * N, &rng);
        support_fill(c0, K * N, &rng);
        t->dense_forward(all, x, w, b, M, K, N, EVO_ACT_RELU, work);
        for (size_t r = 0; r < M; r++) {
            t->dense_forward(one, x + r * K, w, b, 1, K, N, EVO_ACT_RELU, work);
            if (memcmp(one, all + r * N, N * sizeof *one))
                fail_msg("%s forward M=%zu K=%zu N=%zu: row %zu differs alone", t->name, M, K, N, r);
        }
        t->dense_backward_input(all, dy, w, M, K, N, work);
        for (size_t r = 0; r < M; r++) {
            t->dense_backward_input(one, dy + r * N, w, 1, K, N, work);
            if (memcmp(one, all + r * K, K * sizeof *one))
                fail_msg("%s backward_input M=%zu K=%zu N=%zu: row %zu differs alone", t->name, M, K, N,
                         r);
        }
        memcpy(all, c0, K * N * sizeof *all);
        t->dense_backward_weights(all, NULL, dy, x, M, K, N, work);
        for (size_t i = 0; i < K; i++) {
            for (size_t r = 0; r < M; r++)
                xc[r] = x[r * K + i];
            memcpy(one, c0 + i * N, N * sizeof *one);
            t->dense_backward_weights(one, NULL, dy, xc, M, 1, N, work);
            if (memcmp(one, all + i * N, N * sizeof *one))
                fail_msg("%s backward_weights M=%zu K=%zu N=%zu: row %zu differs alone", t->name, M, K,
                         N, i);
        }
        support_floats_free(&bufs);
    }
}

/* The workspace bound is modest: packing panels, not whole matrices, for large shapes. */
static void test_work_bound(void **state)
{
    (void)state;
    assert_true(evo_kernels_work_floats(1, 1, 1) >= 1);
    size_t big = evo_kernels_work_floats(4096, 4096, 4096);
    assert_true(big < (size_t)4096 * 4096 / 8);
    assert_true(evo_kernels_work_floats(8, 8, 8) <= evo_kernels_work_floats(256, 784, 256));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_present),
        cmocka_unit_test(test_work_bound),
        PER_ISA(test_shapes),
        PER_ISA(test_gradcheck),
        PER_ISA(test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

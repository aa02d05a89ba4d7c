/* Dense-layer GEMM benchmark: every supported kernel table against single-threaded OpenBLAS
 * (cblas_sgemm) on the MLP shapes, batch {32, 64, 256} x layers {784->256, 256->128, 128->10}, in the
 * three forms. Each ISA's results are checked against the scalar table before timing; timings are
 * medians of 9 runs of enough iterations to take >= 20 ms each. The core's FMA peak (bench_peak.h)
 * shows how far from the ceiling both sides are. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/kernels.h"
#include "bench_clock.h"
#include "bench_peak.h"

void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
char *openblas_get_config(void);

enum form { FORWARD, WEIGHTS, INPUT, N_FORMS };
static const char *const FORM_NAMES[] = {"fwd X.W", "wgrad X^T.dY", "igrad dY.W^T"};
static const size_t BATCH[] = {32, 64, 256};
static const size_t LAYERS[][2] = {{784, 256}, {256, 128}, {128, 10}};
#define REPS 9

struct bufs {
    float *x, *w, *dy, *c, *c2, *db, *work;
};

static void run_ours(const struct evo_kernels *t, enum form f, struct bufs *b, float *c, size_t M,
                     size_t K, size_t N)
{
    if (f == FORWARD)
        t->dense_forward(c, b->x, b->w, NULL, M, K, N, EVO_ACT_IDENTITY, b->work);
    else if (f == WEIGHTS)
        t->dense_backward_weights(c, NULL, b->dy, b->x, M, K, N, b->work);
    else
        t->dense_backward_input(c, b->dy, b->w, M, K, N, b->work);
}

static void run_blas(enum form f, struct bufs *b, float *c, size_t M, size_t K, size_t N)
{
    int m = (int)M, k = (int)K, n = (int)N;
    if (f == FORWARD)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, b->x, k, b->w, n,
                    0.0f, c, n);
    else if (f == WEIGHTS)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m, 1.0f, b->x, k, b->dy, n,
                    1.0f, c, n);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, n, 1.0f, b->dy, n, b->w, n,
                    0.0f, c, k);
}

struct gemm_call {
    const struct evo_kernels *t; /* NULL: OpenBLAS */
    enum form f;
    struct bufs *b;
    size_t M, K, N;
};

static void gemm_call_run(void *arg)
{
    const struct gemm_call *c = arg;
    if (c->t)
        run_ours(c->t, c->f, c->b, c->b->c, c->M, c->K, c->N);
    else
        run_blas(c->f, c->b, c->b->c, c->M, c->K, c->N);
}

/* GFLOP/s of the median of REPS runs of >= 20 ms; t NULL times OpenBLAS. */
static double time_one(const struct evo_kernels *t, enum form f, struct bufs *b, size_t M, size_t K,
                       size_t N)
{
    struct gemm_call c = {t, f, b, M, K, N};
    return 2.0 * (double)M * (double)K * (double)N / bench_time(gemm_call_run, &c, 0.02, REPS) * 1e-9;
}

static void fill(float *a, size_t n, unsigned *s)
{
    for (size_t i = 0; i < n; i++) {
        *s = *s * 1664525u + 1013904223u;
        a[i] = (float)(*s >> 8) / 8388608.0f - 1.0f;
    }
}

/* Largest |ours - scalar| relative to the largest |scalar| entry. */
static double check(const struct evo_kernels *t, const struct evo_kernels *ref, enum form f,
                    struct bufs *b, size_t M, size_t K, size_t N)
{
    size_t n = f == FORWARD ? M * N : f == WEIGHTS ? K * N : M * K;
    unsigned s = 99;
    fill(b->c, n, &s);
    memcpy(b->c2, b->c, n * sizeof *b->c);
    run_ours(t, f, b, b->c, M, K, N);
    run_ours(ref, f, b, b->c2, M, K, N);
    double err = 0, mag = 1e-30;
    for (size_t i = 0; i < n; i++) {
        err = fmax(err, fabs((double)b->c[i] - b->c2[i]));
        mag = fmax(mag, fabs((double)b->c2[i]));
    }
    return err / mag;
}

/* Usage: bench_gemm [isa...]: every supported table by default, else only the named ones. */
int main(int argc, char **argv)
{
    openblas_set_num_threads(1);
    char model[256];
    bench_cpu_model(model, sizeof model);
    printf("cpu: %s\nopenblas: core %s, config %s, 1 thread\n", model, openblas_get_corename(),
           openblas_get_config());
    printf("ours: forward with b = NULL and identity activation (sgemm NN beta 0); weight gradient\n"
           "without db (sgemm TN beta 1); input gradient (sgemm NT beta 0). GFLOP/s = 2MKN / time,\n"
           "median of %d runs of >= 20 ms.\n",
           REPS);
    struct bufs b;
    size_t big = 256 * 784;
    b.x = malloc(big * sizeof(float));
    b.w = malloc(big * sizeof(float));
    b.dy = malloc(big * sizeof(float));
    b.c = malloc(big * sizeof(float));
    b.c2 = malloc(big * sizeof(float));
    b.work = malloc(evo_kernels_work_floats(256, 784, 256) * sizeof(float));
    if (!b.x || !b.w || !b.dy || !b.c || !b.c2 || !b.work) {
        fprintf(stderr, "bench_gemm: out of memory\n");
        return 1;
    }
    unsigned s = 1;
    fill(b.x, big, &s);
    fill(b.w, big, &s);
    fill(b.dy, big, &s);
    const struct evo_kernels *ref = evo_kernels_table(EVO_ISA_SCALAR);
    int status = 0;
    for (int isa = EVO_ISA_COUNT - 1; isa >= 0; isa--) {
        const struct evo_kernels *t = evo_kernels_table(isa);
        int wanted = argc < 2;
        for (int i = 1; i < argc && t; i++)
            wanted |= !strcmp(argv[i], t->name);
        if (!t || !wanted)
            continue;
        double peak = bench_peak_gflops(t->name), best_ours = 0, best_blas = 0;
        if (peak > 0)
            printf("\n%s FMA peak of this core: %.1f GFLOP/s (bench_peak.h)", t->name, peak);
        printf("\n== %s ==\n%-14s %4s %4s %4s %9s %9s %7s\n", t->name, "form", "B", "in", "out",
               "ours", "openblas", "ratio");
        double lg = 0, lg_small = 0;
        int n = 0, n_small = 0;
        for (int f = 0; f < N_FORMS; f++)
            for (size_t l = 0; l < 3; l++)
                for (size_t bi = 0; bi < 3; bi++) {
                    size_t M = BATCH[bi], K = LAYERS[l][0], N = LAYERS[l][1];
                    double err = check(t, ref, (enum form)f, &b, M, K, N);
                    if (!(err < 1e-5)) {
                        printf("%s %s B=%zu %zux%zu: differs from scalar (%.3g)\n", t->name,
                               FORM_NAMES[f], M, K, N, err);
                        status = 1;
                    }
                    double ours = time_one(t, (enum form)f, &b, M, K, N);
                    double blas = time_one(NULL, (enum form)f, &b, M, K, N);
                    double ratio = ours / blas;
                    best_ours = ours > best_ours ? ours : best_ours;
                    best_blas = blas > best_blas ? blas : best_blas;
                    printf("%-14s %4zu %4zu %4zu %9.1f %9.1f %7.2f\n", FORM_NAMES[f], M, K, N, ours,
                           blas, ratio);
                    fflush(stdout);
                    lg += log(ratio);
                    n++;
                    if (M <= 64) {
                        lg_small += log(ratio);
                        n_small++;
                    }
                }
        printf("%s geometric mean ours/openblas: all %.3f, B <= 64 %.3f\n", t->name, exp(lg / n),
               exp(lg_small / n_small));
        if (peak > 0)
            printf("%s fastest shape: ours %.0f %%, openblas %.0f %% of the FMA peak\n", t->name,
                   100 * best_ours / peak, 100 * best_blas / peak);
    }
    free(b.x);
    free(b.w);
    free(b.dy);
    free(b.c);
    free(b.c2);
    free(b.work);
    return status;
}

/* Convolution benchmark: the conv layers of the issue-14 network (conv 32@3x3 relu on 28x28x1, max-pool
 * 2x2, conv 64@3x3 relu on 14x14x32, max-pool 2x2), forward and backward of a batch (the first layer
 * computes no input gradient), for every supported kernel table. Each table's results are checked
 * against the scalar table before timing; timings are medians of REPS runs of >= 50 ms each. Prints
 * samples/s, GFLOP/s of the convolutions (2 flops a multiply-add; pooling and relu count 0), the
 * fraction of the core's FMA peak (bench_peak.h, at the widest vector width this CPU runs), and a
 * per-kernel breakdown. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/kernels.h"
#include "bench_clock.h"
#include "bench_peak.h"

#define REPS 7
#define KSZ 3
#define H1 28
#define C1 32
#define H2 14
#define C2 64

struct net {
    size_t B;
    float *x, *w1, *b1, *a1, *p1, *w2, *b2, *a2, *p2; /* forward: inputs, parameters, activations */
    float *dp2, *da2, *dp1, *da1, *dw1, *db1, *dw2, *db2; /* backward */
    uint8_t *m1, *m2; /* the pooling windows' maxima positions */
    float *work;
};

/* The steps of one forward + backward, in order; run_step(-1) runs them all. */
enum step {
    CONV1_FWD, POOL1_FWD, CONV2_FWD, POOL2_FWD, POOL2_BWD, RELU2_BWD, CONV2_WGRAD, CONV2_IGRAD,
    POOL1_BWD, RELU1_BWD, CONV1_WGRAD, N_STEPS
};
static const char *const STEP_NAMES[] = {
    "conv1 forward+relu", "pool1 forward", "conv2 forward+relu", "pool2 forward", "pool2 backward",
    "relu2 backward", "conv2 weight grad", "conv2 input grad", "pool1 backward", "relu1 backward",
    "conv1 weight grad"};

/* Multiply-adds a sample of each step (0 for data movement). */
static double step_flops(int s)
{
    double c1 = 2.0 * C1 * 1 * KSZ * KSZ * H1 * H1, c2 = 2.0 * C2 * C1 * KSZ * KSZ * H2 * H2;
    switch (s) {
    case CONV1_FWD:
    case CONV1_WGRAD:
        return c1;
    case CONV2_FWD:
    case CONV2_WGRAD:
    case CONV2_IGRAD:
        return c2;
    }
    return 0;
}

static void run_step(const struct evo_kernels *t, struct net *n, int s)
{
    size_t B = n->B;
    switch (s) {
    case CONV1_FWD:
        t->conv2d_forward(n->a1, n->x, n->w1, n->b1, B, 1, H1, H1, C1, KSZ, EVO_ACT_RELU, n->work);
        break;
    case POOL1_FWD:
        t->maxpool2_forward(n->p1, n->m1, n->a1, B, C1, H1, H1);
        break;
    case CONV2_FWD:
        t->conv2d_forward(n->a2, n->p1, n->w2, n->b2, B, C1, H2, H2, C2, KSZ, EVO_ACT_RELU, n->work);
        break;
    case POOL2_FWD:
        t->maxpool2_forward(n->p2, n->m2, n->a2, B, C2, H2, H2);
        break;
    case POOL2_BWD:
        t->maxpool2_backward(n->da2, n->dp2, n->m2, B, C2, H2, H2);
        break;
    case RELU2_BWD:
        t->activation_backward(n->da2, n->da2, n->a2, NULL, B * C2 * H2 * H2, EVO_ACT_RELU, 0.0f);
        break;
    case CONV2_WGRAD:
        t->conv2d_backward_weights(n->dw2, n->db2, n->da2, n->p1, B, C1, H2, H2, C2, KSZ, n->work);
        break;
    case CONV2_IGRAD:
        t->conv2d_backward_input(n->dp1, n->da2, n->w2, B, C1, H2, H2, C2, KSZ, n->work);
        break;
    case POOL1_BWD:
        t->maxpool2_backward(n->da1, n->dp1, n->m1, B, C1, H1, H1);
        break;
    case RELU1_BWD:
        t->activation_backward(n->da1, n->da1, n->a1, NULL, B * C1 * H1 * H1, EVO_ACT_RELU, 0.0f);
        break;
    case CONV1_WGRAD:
        t->conv2d_backward_weights(n->dw1, n->db1, n->da1, n->x, B, 1, H1, H1, C1, KSZ, n->work);
        break;
    }
}

static void run_all(const struct evo_kernels *t, struct net *n)
{
    for (int s = 0; s < N_STEPS; s++)
        run_step(t, n, s);
}

struct step_call {
    const struct evo_kernels *t;
    struct net *n;
    int s;
};

static void step_call_run(void *arg)
{
    const struct step_call *c = arg;
    if (c->s < 0)
        run_all(c->t, c->n);
    else
        run_step(c->t, c->n, c->s);
}

/* Median seconds a batch of step s (every step when s < 0), runs of >= 50 ms. */
static double time_step(const struct evo_kernels *t, struct net *n, int s)
{
    struct step_call c = {t, n, s};
    return bench_time(step_call_run, &c, 0.05, REPS);
}

static void fill(float *a, size_t n, float lo, float hi, unsigned *s)
{
    for (size_t i = 0; i < n; i++) {
        *s = *s * 1664525u + 1013904223u;
        a[i] = lo + (hi - lo) * ((float)(*s >> 8) / 16777216.0f);
    }
}

static float *floats(size_t n)
{
    float *a = calloc(n, sizeof *a);
    if (!a) {
        fprintf(stderr, "bench_conv: out of memory (%zu floats)\n", n);
        exit(1);
    }
    return a;
}

static void net_init(struct net *n, size_t B)
{
    n->B = B;
    size_t s1 = B * C1 * H1 * H1, s2 = B * C2 * H2 * H2;
    n->x = floats(B * H1 * H1);
    n->w1 = floats(C1 * KSZ * KSZ);
    n->b1 = floats(C1);
    n->a1 = floats(s1);
    n->p1 = floats(s1 / 4);
    n->w2 = floats(C2 * C1 * KSZ * KSZ);
    n->b2 = floats(C2);
    n->a2 = floats(s2);
    n->p2 = floats(s2 / 4);
    n->dp2 = floats(s2 / 4);
    n->da2 = floats(s2);
    n->dp1 = floats(s1 / 4);
    n->da1 = floats(s1);
    n->dw1 = floats(C1 * KSZ * KSZ);
    n->db1 = floats(C1);
    n->dw2 = floats(C2 * C1 * KSZ * KSZ);
    n->db2 = floats(C2);
    n->m1 = (uint8_t *)floats(s1 / 16 + 1);
    n->m2 = (uint8_t *)floats(s2 / 16 + 1);
    size_t w1 = evo_kernels_conv_work_floats(1, H1, H1, C1, KSZ);
    size_t w2 = evo_kernels_conv_work_floats(C1, H2, H2, C2, KSZ);
    n->work = floats(w1 > w2 ? w1 : w2);
    unsigned s = 7;
    /* pixels in [0, 1]; He-uniform weights, so activations stay O(1) through both layers */
    fill(n->x, B * H1 * H1, 0.0f, 1.0f, &s);
    float r1 = sqrtf(6.0f / (KSZ * KSZ)), r2 = sqrtf(6.0f / (C1 * KSZ * KSZ));
    fill(n->w1, C1 * KSZ * KSZ, -r1, r1, &s);
    fill(n->b1, C1, -0.1f, 0.1f, &s);
    fill(n->w2, C2 * C1 * KSZ * KSZ, -r2, r2, &s);
    fill(n->b2, C2, -0.1f, 0.1f, &s);
    fill(n->dp2, s2 / 4, -1.0f, 1.0f, &s);
}

static void net_free(struct net *n)
{
    float *all[] = {n->x,   n->w1,  n->b1,  n->a1,  n->p1,  n->w2,  n->b2,  n->a2,  n->p2,
                    n->dp2, n->da2, n->dp1, n->da1, n->dw1, n->db1, n->dw2, n->db2, n->work,
                    (float *)n->m1, (float *)n->m2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

/* max |a - b| / max |b|. */
static double rel_err(const float *a, const float *b, size_t n)
{
    double e = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return e / m;
}

/* One forward + backward on t and on the scalar table from the same data: the activations, the
 * pooled outputs and every gradient must agree. A pre-activation within rounding of 0, or a pooling
 * window whose two largest values are within rounding, can route one gradient differently: hence
 * a tolerance on the weight gradients (sums over the whole batch) rather than bit equality. */
static int check(const struct evo_kernels *t, struct net *n, struct net *ref)
{
    const struct evo_kernels *sc = evo_kernels_table(EVO_ISA_SCALAR);
    size_t B = n->B, s1 = B * C1 * H1 * H1, s2 = B * C2 * H2 * H2;
    memset(n->dw1, 0, C1 * KSZ * KSZ * sizeof(float));
    memset(ref->dw1, 0, C1 * KSZ * KSZ * sizeof(float));
    memset(n->db1, 0, C1 * sizeof(float));
    memset(ref->db1, 0, C1 * sizeof(float));
    memset(n->dw2, 0, C2 * C1 * KSZ * KSZ * sizeof(float));
    memset(ref->dw2, 0, C2 * C1 * KSZ * KSZ * sizeof(float));
    memset(n->db2, 0, C2 * sizeof(float));
    memset(ref->db2, 0, C2 * sizeof(float));
    run_all(t, n);
    run_all(sc, ref);
    struct {
        const char *name;
        const float *a, *b;
        size_t n;
        double tol;
    } cmp[] = {{"conv1 out", n->a1, ref->a1, s1, 1e-5},      {"pool2 out", n->p2, ref->p2, s2 / 4, 1e-4},
               {"conv2 dw", n->dw2, ref->dw2, C2 * C1 * KSZ * KSZ, 1e-3}, {"conv2 db", n->db2, ref->db2, C2, 1e-3},
               {"pool1 dx", n->dp1, ref->dp1, s1 / 4, 1e-3},  {"conv1 dw", n->dw1, ref->dw1, C1 * KSZ * KSZ, 1e-3},
               {"conv1 db", n->db1, ref->db1, C1, 1e-3}};
    int bad = 0;
    for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
        double e = rel_err(cmp[i].a, cmp[i].b, cmp[i].n);
        if (!(e <= cmp[i].tol)) {
            printf("%s: %s differs from scalar: max error %.3g of the largest value\n", t->name,
                   cmp[i].name, e);
            bad = 1;
        }
    }
    return bad;
}

/* Usage: bench_conv [batch [isa...]]: batch 64 and every supported table by default. */
int main(int argc, char **argv)
{
    size_t B = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 64;
    if (B == 0) {
        fprintf(stderr, "bench_conv: batch must be >= 1\n");
        return 2;
    }
    char model[256];
    bench_cpu_model(model, sizeof model);
    double peak = 0;
    const char *peak_isa = "none";
    for (int isa = EVO_ISA_COUNT - 1; isa > EVO_ISA_SCALAR && peak == 0; isa--)
        if (evo_kernels_table(isa)) {
            peak_isa = evo_kernels_table(isa)->name;
            peak = bench_peak_gflops(peak_isa);
        }
    double flops = 0;
    for (int s = 0; s < N_STEPS; s++)
        flops += step_flops(s);
    printf("cpu: %s\nFMA peak of this core: %.1f GFLOP/s (%s vectors, bench_peak.h)\n", model, peak,
           peak_isa);
    printf("conv 32@3x3 relu on 28x28x1, pool, conv 64@3x3 relu on 14x14x32, pool; batch %zu;\n"
           "forward + backward (no input gradient for the first layer): %.2f MFLOP a sample.\n"
           "im2col of a group of images onto the table's GEMM. Medians of %d runs of >= 50 ms.\n",
           B, flops * 1e-6, REPS);
    struct net n, ref;
    net_init(&n, B);
    net_init(&ref, B);
    int status = 0;
    for (int isa = EVO_ISA_COUNT - 1; isa >= 0; isa--) {
        const struct evo_kernels *t = evo_kernels_table(isa);
        int wanted = argc < 3;
        for (int i = 2; i < argc && t; i++)
            wanted |= !strcmp(argv[i], t->name);
        if (!t || !wanted)
            continue;
        if (check(t, &n, &ref)) {
            status = 1;
            continue;
        }
        double sec = time_step(t, &n, -1);
        double gf = flops * (double)B / sec * 1e-9;
        printf("\n== %s ==\nforward+backward: %.0f samples/s, %.1f GFLOP/s, %.0f %% of the FMA peak\n",
               t->name, (double)B / sec, gf, peak > 0 ? 100 * gf / peak : 0.0);
        printf("%-20s %9s %8s %7s\n", "step", "us/batch", "GFLOP/s", "share");
        double total = 0, part[N_STEPS];
        for (int s = 0; s < N_STEPS; s++) {
            part[s] = time_step(t, &n, s);
            total += part[s];
        }
        for (int s = 0; s < N_STEPS; s++)
            printf("%-20s %9.1f %8.1f %6.1f%%\n", STEP_NAMES[s], part[s] * 1e6,
                   step_flops(s) * (double)B / part[s] * 1e-9, 100 * part[s] / total);
        fflush(stdout);
    }
    net_free(&n);
    net_free(&ref);
    return status;
}

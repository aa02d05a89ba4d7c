/* Shared by the kernel tests (test_gemm, test_conv, test_vec, test_mlp): the kernel table chosen from
 * EVOTUNE_ISA as ctest asks, the double-precision reference of every activation, float buffers freed
 * together, and uniform fills.
 * Include after <cmocka.h>. */
#ifndef EVOTUNE_TEST_KERNELS_SUPPORT_H
#define EVOTUNE_TEST_KERNELS_SUPPORT_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/error.h"
#include "evotune/kernels.h"
#include "evotune/rng.h"

/* Chooses the kernel table from EVOTUNE_ISA (ctest runs the per-ISA tests once per ISA) and prints
 * its name: 0 when chosen, 77 (ctest's skip) when this CPU cannot run the ISA asked for, 1 for any
 * other failure, its message printed. */
static inline int support_kernels_init(void)
{
    const char *want = getenv("EVOTUNE_ISA");
    for (int isa = 0; want && isa < EVO_ISA_COUNT; isa++) {
        static const char *const names[EVO_ISA_COUNT] = {"scalar", "avx2", "avx512"};
        if (!strcmp(want, names[isa]) && !evo_kernels_table(isa)) {
            printf("skipped: EVOTUNE_ISA=%s is not supported by this CPU\n", want);
            return 77;
        }
    }
    struct evo_error err;
    if (evo_kernels_init(&err) != EVO_OK) {
        printf("%s\n", err.msg);
        return 1;
    }
    printf("kernels: %s\n", evo_kernels()->name);
    return 0;
}

/* act(x) in double precision; alpha is leaky_relu's slope (ignored by the others); EVO_ACT_IDENTITY
 * and any other value: x. */
static inline double support_act_ref(double x, int act, double alpha)
{
    switch (act) {
    case EVO_ACT_RELU:
        return x > 0 ? x : 0;
    case EVO_ACT_TANH:
        return tanh(x);
    case EVO_ACT_SIGMOID:
        return 1 / (1 + exp(-x));
    case EVO_ACT_LEAKY_RELU:
        return x > 0 ? x : alpha * x;
    case EVO_ACT_ELU:
        return x > 0 ? x : expm1(x);
    case EVO_ACT_GELU:
        return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
    default:
        return x;
    }
}

/* The float buffers one test case allocates as it goes, freed together. */
struct support_floats {
    float *p[32];
    size_t n;
};

/* n floats (at least one, so that an empty shape still gets a pointer), uninitialised, kept in b. */
static inline float *support_floats_new(struct support_floats *b, size_t n)
{
    assert_true(b->n < sizeof b->p / sizeof b->p[0]);
    float *a = malloc((n ? n : 1) * sizeof *a);
    assert_non_null(a);
    return b->p[b->n++] = a;
}

static inline void support_floats_free(struct support_floats *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->p[i]);
    b->n = 0;
}

/* a[0..n) uniform in [-1, 1). */
static inline void support_fill(float *a, size_t n, struct evo_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        a[i] = 2.0f * evo_rng_uniformf(rng) - 1.0f;
}

#endif

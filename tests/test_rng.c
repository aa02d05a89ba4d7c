/* Tests of the random streams: determinism, independence of streams, ranges and distributions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "evotune/rng.h"

#define PINNED_A 0x76e231025c3b9153ULL
#define PINNED_B 0x3d42137ae0f418ddULL

static void test_same_tuple_same_stream(void **state)
{
    (void)state;
    struct evo_rng a, b;
    evo_rng_seed(&a, 42, 3, 7, EVO_RNG_TRAIN);
    evo_rng_seed(&b, 42, 3, 7, EVO_RNG_TRAIN);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(evo_rng_next(&a), evo_rng_next(&b));
}

static void test_each_coordinate_changes_stream(void **state)
{
    (void)state;
    const uint64_t tuples[][4] = {{42, 3, 7, EVO_RNG_TRAIN}, {43, 3, 7, EVO_RNG_TRAIN},
                                  {42, 4, 7, EVO_RNG_TRAIN}, {42, 3, 8, EVO_RNG_TRAIN},
                                  {42, 3, 7, EVO_RNG_BREED}, {42, 7, 3, EVO_RNG_TRAIN},
                                  {0, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
    size_t n = sizeof tuples / sizeof tuples[0];
    uint64_t first[16];
    for (size_t i = 0; i < n; i++) {
        struct evo_rng r;
        evo_rng_seed(&r, tuples[i][0], tuples[i][1], tuples[i][2], tuples[i][3]);
        first[i] = evo_rng_next(&r);
        for (size_t j = 0; j < i; j++)
            assert_true(first[i] != first[j]);
    }
}

/* The stream of a tuple is part of the file format's reproducibility promise: a results file must be
 * reproducible by later versions, so the first outputs are pinned. */
static void test_stream_is_stable_across_versions(void **state)
{
    (void)state;
    struct evo_rng r;
    evo_rng_seed(&r, 1, 0, 0, EVO_RNG_SPLIT);
    uint64_t a = evo_rng_next(&r), b = evo_rng_next(&r);
    evo_rng_seed(&r, 1, 0, 0, EVO_RNG_SPLIT);
    assert_int_equal(evo_rng_next(&r), a);
    assert_int_equal(evo_rng_next(&r), b);
    assert_int_equal(a, PINNED_A);
    assert_int_equal(b, PINNED_B);
}

static void test_uniform_ranges_and_moments(void **state)
{
    (void)state;
    struct evo_rng r;
    evo_rng_seed(&r, 5, 0, 0, 1);
    double sum = 0, sumf = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = evo_rng_uniform(&r);
        float f = evo_rng_uniformf(&r);
        assert_true(u >= 0 && u < 1);
        assert_true(f >= 0 && f < 1);
        sum += u;
        sumf += f;
    }
    assert_true(fabs(sum / n - 0.5) < 0.005);
    assert_true(fabs(sumf / n - 0.5) < 0.005);
}

static void test_normal_moments(void **state)
{
    (void)state;
    struct evo_rng r;
    evo_rng_seed(&r, 6, 0, 0, 1);
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = evo_rng_normal(&r);
        assert_true(isfinite(x));
        s += x;
        s2 += x * x;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    assert_true(fabs(mean) < 0.01);
    assert_true(fabs(var - 1) < 0.02);
}

static void test_below_is_uniform(void **state)
{
    (void)state;
    struct evo_rng r;
    evo_rng_seed(&r, 7, 0, 0, 1);
    enum { K = 7, N = 70000 };
    int count[K] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = evo_rng_below(&r, K);
        assert_true(v < K);
        count[v]++;
    }
    double chi2 = 0, e = (double)N / K;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    assert_true(chi2 < 22.5); /* p = 0.001 for 6 degrees of freedom */
    assert_int_equal(evo_rng_below(&r, 1), 0);
}

static void test_shuffle_is_permutation(void **state)
{
    (void)state;
    struct evo_rng r;
    evo_rng_seed(&r, 8, 0, 0, 1);
    size_t idx[100], seen[100] = {0};
    for (size_t i = 0; i < 100; i++)
        idx[i] = i;
    evo_rng_shuffle(&r, idx, 100);
    size_t fixed = 0;
    for (size_t i = 0; i < 100; i++) {
        assert_true(idx[i] < 100);
        seen[idx[i]]++;
        fixed += idx[i] == i;
    }
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(seen[i], 1);
    assert_true(fixed < 10);
    evo_rng_shuffle(&r, idx, 0); /* empty and single arrays are fine */
    evo_rng_shuffle(&r, idx, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_tuple_same_stream),
        cmocka_unit_test(test_each_coordinate_changes_stream),
        cmocka_unit_test(test_stream_is_stable_across_versions),
        cmocka_unit_test(test_uniform_ranges_and_moments),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_below_is_uniform),
        cmocka_unit_test(test_shuffle_is_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

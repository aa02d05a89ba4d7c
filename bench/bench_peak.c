/* FMA throughput of one core (bench_peak.h): 12 independent accumulator chains, enough to cover the
 * FMA latency times the FMA ports of current x86-64 cores, in a loop the compiler cannot shorten
 * (each chain feeds on itself). Compiled with generic flags: the ISA loops carry their own targets. */
#include "bench_peak.h"
#include "bench_clock.h"
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define CHAINS 12
#define ITERS 2000000L /* x 12 FMAs: about 40 ms on a 3.5 GHz core doing one vector FMA a cycle */

#if defined(__x86_64__)
/* One loop for both widths, ggml's way (simd-mappings.h): VEC, SET1, FMA and SUM are the ISA's vector
 * type, broadcast, fused multiply-add and horizontal sum. The function returns a sum of the chains, so
 * that none of the work is dead. */
#define FMA_CHAINS(name, isa, VEC, SET1, FMA, SUM)             \
    __attribute__((target(isa))) static float name(long iters) \
    {                                                          \
        VEC acc[CHAINS], a = SET1(0.999f), b = SET1(1e-7f);    \
        for (int i = 0; i < CHAINS; i++)                       \
            acc[i] = SET1((float)i);                           \
        for (long k = 0; k < iters; k++)                       \
            _Pragma("GCC unroll 12")                           \
            for (int i = 0; i < CHAINS; i++)                   \
                acc[i] = FMA(acc[i], a, b);                    \
        float s = 0;                                           \
        for (int i = 0; i < CHAINS; i++)                       \
            s += SUM(acc[i]);                                  \
        return s;                                              \
    }

__attribute__((target("avx2"))) static inline float sum256(__m256 v)
{
    float lanes[8], s = 0;
    _mm256_storeu_ps(lanes, v);
    for (int l = 0; l < 8; l++)
        s += lanes[l];
    return s;
}

FMA_CHAINS(run_avx512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_reduce_add_ps)
FMA_CHAINS(run_avx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, sum256)
#endif

double bench_peak_gflops(const char *isa)
{
#if defined(__x86_64__)
    float (*run)(long) = NULL;
    int width = 0;
    if (!strcmp(isa, "avx512"))
        run = run_avx512, width = 16;
    else if (!strcmp(isa, "avx2"))
        run = run_avx2, width = 8;
    if (!run)
        return 0.0;
    double best = 0.0;
    volatile float sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t = bench_wall();
        sink += run(ITERS);
        t = bench_wall() - t;
        double g = (double)ITERS * CHAINS * width * 2 / t / 1e9;
        best = g > best ? g : best;
    }
    (void)sink;
    return best;
#else
    (void)isa;
    return 0.0;
#endif
}

/* AVX2+FMA dense-layer GEMMs: the micro-kernel, the packing of a column-major A strip and the block
 * sizes; the loops around them are gemm_driver.h's. The tile is 6 x 16 (12 ymm accumulators), or
 * 12 x 8 for outputs at most 8 wide. Edge tiles are handled in the kernel (maskload of B and C, a
 * scalar copy for partial stores); C is never read when it is overwritten. */
#include <immintrin.h>
#include "impl.h"

#define GEMM_ISA avx2
/* Block sizes: within the bounds in gemm_scalar.c (KC <= 512, NC <= 512, MR + PAD). */
#define MR 6
/* Output blocks at most half a tile wide (the 10-class layer) take a taller tile of one vector
 * per row, so that as many accumulators stay busy. */
#define MR_NARROW 12
#define NR 16
#define KC 256
#define NC 512

#define VW 8
#define VEC __m256
#define MASK __m256i
#define MASK_ALL _mm256_set1_epi32(-1)
#define V_ZERO() _mm256_setzero_ps()
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_LOADM(p, m) _mm256_maskload_ps(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)

#define INLINE static inline __attribute__((always_inline))

/* Lanes i < n set (all when n >= 8). */
static inline __m256i tail_mask(size_t n)
{
    int k = n >= 8 ? 8 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* vmaskmovps stores are slow on AMD cores: partial vectors go through a scalar copy. */
INLINE void store_tail(float *restrict c, __m256 v, __m256i m)
{
    int bits = _mm256_movemask_ps(_mm256_castsi256_ps(m));
    if (bits == 0xFF) {
        _mm256_storeu_ps(c, v);
        return;
    }
    float t[8];
    _mm256_storeu_ps(t, v);
    for (int l = 0; l < 8 && (bits >> l & 1); l++)
        c[l] = t[l];
}

/* C[mr, n<=NR] (= or +=) A[mrt, kc] . B[kc, NR] (+ bias) (relu), A(r, p) = pa[r * rs + p * cs]. B
 * rows are ldb apart; the last vector is loaded and stored under mask m1 (m0 for the first when
 * nv == 1). */
INLINE void kernel(const int nv, const int mrt, size_t kc, const float *restrict pa, size_t rs,
                   size_t cs, const float *restrict b, size_t ldb, __m256i m0, __m256i m1,
                   float *restrict c, size_t ldc, size_t mr, int beta, const float *restrict bias,
                   int relu)
{
    __m256 acc0[MR_NARROW], acc1[MR_NARROW];
#pragma GCC unroll 16
    for (int r = 0; r < mrt; r++) {
        acc0[r] = _mm256_setzero_ps();
        acc1[r] = _mm256_setzero_ps();
    }
    for (size_t p = 0; p < kc; p++) {
        __m256 b0 = nv == 1 ? _mm256_maskload_ps(b, m0) : _mm256_loadu_ps(b);
        __m256 b1 = nv == 2 ? _mm256_maskload_ps(b + 8, m1) : _mm256_setzero_ps();
#pragma GCC unroll 16
        for (int r = 0; r < mrt; r++) {
            __m256 a = _mm256_broadcast_ss(pa + r * rs);
            acc0[r] = _mm256_fmadd_ps(a, b0, acc0[r]);
            if (nv == 2)
                acc1[r] = _mm256_fmadd_ps(a, b1, acc1[r]);
        }
        pa += cs;
        b += ldb;
    }
    __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
    if (bias) {
        bias0 = _mm256_maskload_ps(bias, m0);
        if (nv == 2)
            bias1 = _mm256_maskload_ps(bias + 8, m1);
    }
    const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 16
    for (int r = 0; r < mrt; r++) {
        if ((size_t)r >= mr)
            continue;
        float *cr = c + r * ldc;
        __m256 v0 = acc0[r], v1 = acc1[r];
        if (beta) {
            v0 = _mm256_add_ps(_mm256_maskload_ps(cr, m0), v0);
            if (nv == 2)
                v1 = _mm256_add_ps(_mm256_maskload_ps(cr + 8, m1), v1);
        }
        if (bias) {
            v0 = _mm256_add_ps(v0, bias0);
            v1 = _mm256_add_ps(v1, bias1);
        }
        if (relu) {
            v0 = _mm256_max_ps(v0, zero);
            v1 = _mm256_max_ps(v1, zero);
        }
        if (nv == 2) {
            _mm256_storeu_ps(cr, v0);
            store_tail(cr + 8, v1, m1);
        } else {
            store_tail(cr, v0, m0);
        }
    }
}

/* dst[p * mrt + r] = src[p * lds + r] for r < rows (zero beyond), p < kc. */
static void pack_rows(float *restrict dst, size_t mrt, const float *restrict src, size_t lds,
                      size_t rows, size_t kc)
{
    for (size_t p = 0; p < kc; p++) {
        size_t r = 0;
        for (; r < rows; r++)
            dst[p * mrt + r] = src[p * lds + r];
        for (; r < mrt; r++)
            dst[p * mrt + r] = 0.0f;
    }
}

#include "gemm_driver.h"

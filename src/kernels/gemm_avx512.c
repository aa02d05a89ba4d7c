/* AVX-512 dense-layer GEMMs: the micro-kernel, the packing of a column-major A strip and the block
 * sizes; the loops around them are gemm_driver.h's. The tile is 8 x 32 (16 zmm accumulators), or
 * 16 x 16 for outputs at most 16 wide. Edge tiles are handled in the kernel (masked B loads and C
 * stores); C is never read when it is overwritten. */
#include <immintrin.h>
#include "impl.h"

#define GEMM_ISA avx512
/* Block sizes: within the bounds in gemm_scalar.c (KC <= 512, NC <= 512, MR + PAD). */
#define MR 8
/* Output blocks at most half a tile wide (the 10-class layer) take a taller tile of one vector
 * per row, so that as many accumulators stay busy. */
#define MR_NARROW 16
#define NR 32
#define KC 256
#define NC 512

#define VW 16
#define VEC __m512
#define MASK __mmask16
#define MASK_ALL ((__mmask16)0xFFFF)
#define V_ZERO() _mm512_setzero_ps()
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_LOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)

#define INLINE static inline __attribute__((always_inline))

static inline __mmask16 tail_mask(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u) /* n = 0: none */;
}

/* C[mr, n<=NR] (= or +=) A[mrt, kc] . B[kc, NR] (+ bias) (relu), A(r, p) = pa[r * rs + p * cs]. B
 * rows are ldb apart; the last vector is loaded and stored under mask m1 (m0 for the first when
 * nv == 1). */
INLINE void kernel(const int nv, const int mrt, size_t kc, const float *restrict pa, size_t rs,
                   size_t cs, const float *restrict b, size_t ldb, __mmask16 m0, __mmask16 m1,
                   float *restrict c, size_t ldc, size_t mr, int beta, const float *restrict bias,
                   int relu)
{
    __m512 acc0[MR_NARROW], acc1[MR_NARROW];
#pragma GCC unroll 16
    for (int r = 0; r < mrt; r++) {
        acc0[r] = _mm512_setzero_ps();
        acc1[r] = _mm512_setzero_ps();
    }
    for (size_t p = 0; p < kc; p++) {
        __m512 b0 = nv == 1 ? _mm512_maskz_loadu_ps(m0, b) : _mm512_loadu_ps(b);
        __m512 b1 = nv == 2 ? _mm512_maskz_loadu_ps(m1, b + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
        for (int r = 0; r < mrt; r++) {
            __m512 a = _mm512_set1_ps(pa[r * rs]);
            acc0[r] = _mm512_fmadd_ps(a, b0, acc0[r]);
            if (nv == 2)
                acc1[r] = _mm512_fmadd_ps(a, b1, acc1[r]);
        }
        pa += cs;
        b += ldb;
    }
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (bias) {
        bias0 = _mm512_maskz_loadu_ps(m0, bias);
        if (nv == 2)
            bias1 = _mm512_maskz_loadu_ps(m1, bias + 16);
    }
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 16
    for (int r = 0; r < mrt; r++) {
        if ((size_t)r >= mr)
            continue;
        float *cr = c + r * ldc;
        __m512 v0 = acc0[r], v1 = acc1[r];
        if (beta) {
            v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), v0);
            if (nv == 2)
                v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cr + 16), v1);
        }
        if (bias) {
            v0 = _mm512_add_ps(v0, bias0);
            v1 = _mm512_add_ps(v1, bias1);
        }
        if (relu) {
            v0 = _mm512_max_ps(v0, zero);
            v1 = _mm512_max_ps(v1, zero);
        }
        _mm512_mask_storeu_ps(cr, m0, v0);
        if (nv == 2)
            _mm512_mask_storeu_ps(cr + 16, m1, v1);
    }
}

/* dst[p * mrt + r] = src[p * lds + r] for r < rows (zero beyond), p < kc. */
static void pack_rows(float *restrict dst, size_t mrt, const float *restrict src, size_t lds,
                      size_t rows, size_t kc)
{
    __mmask16 m = (__mmask16)((1u << rows) - 1u);
    if (mrt == 16)
        for (size_t p = 0; p < kc; p++)
            _mm512_storeu_ps(dst + p * 16, _mm512_maskz_loadu_ps(m, src + p * lds));
    else
        for (size_t p = 0; p < kc; p++)
            _mm256_storeu_ps(dst + p * 8, _mm256_maskz_loadu_ps((__mmask8)m, src + p * lds));
}

#include "gemm_driver.h"

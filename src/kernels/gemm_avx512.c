/* AVX-512 dense-layer GEMMs: BLIS-style loops around an 8 x 32 register-tile micro-kernel (16 zmm
 * accumulators) on a packed A strip. B is read in place when its rows are contiguous (forward and
 * weight gradient: the light path, no B packing); only the input gradient's W^T is packed, by 8 x 8
 * transposes. Edge tiles are handled in the kernel (zero-padded A rows, masked B loads and C stores);
 * C is never read when it is overwritten. Summation order depends on the shape only. */
#include <immintrin.h>
#include "impl.h"

/* Block sizes: within the bounds in gemm_scalar.c (KC <= 512, NC <= 512, MR + PAD). */
#define MR 8
/* Output blocks at most half a tile wide (the 10-class layer) take a taller tile of one vector
 * per row, so that as many accumulators stay busy. */
#define MR_NARROW 16
#define NR 32
#define KC 256
#define NC 512

#define INLINE static inline __attribute__((always_inline))

/* C[mr, n<=NR] (= or +=) Apack[mrt, kc] . B[kc, NR] (+ bias) (relu). B rows are ldb apart; the
 * last vector is loaded and stored under mask m1 (m0 for the first when nv == 1). */
INLINE void kernel(const int nv, const int mrt, size_t kc, const float *restrict pa, const float *restrict b,
                   size_t ldb, __mmask16 m0, __mmask16 m1, float *restrict c, size_t ldc, size_t mr,
                   int beta, const float *restrict bias, int relu)
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
            __m512 a = _mm512_set1_ps(pa[r]);
            acc0[r] = _mm512_fmadd_ps(a, b0, acc0[r]);
            if (nv == 2)
                acc1[r] = _mm512_fmadd_ps(a, b1, acc1[r]);
        }
        pa += mrt;
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

/* The three shapes of tile: narrow (one vector per row, MR_NARROW rows), and MR rows of one or two
 * vectors; the first vector of a two-vector tile is always full. */
static __attribute__((noinline)) void kernel1n(size_t kc, const float *pa, const float *b, size_t ldb,
                                               __mmask16 m0, float *c, size_t ldc, size_t mr, int beta,
                                               const float *bias, int relu)
{
    kernel(1, MR_NARROW, kc, pa, b, ldb, m0, m0, c, ldc, mr, beta, bias, relu);
}

static __attribute__((noinline)) void kernel1w(size_t kc, const float *pa, const float *b, size_t ldb,
                                               __mmask16 m0, float *c, size_t ldc, size_t mr, int beta,
                                               const float *bias, int relu)
{
    kernel(1, MR, kc, pa, b, ldb, m0, m0, c, ldc, mr, beta, bias, relu);
}

static __attribute__((noinline)) void kernel2(size_t kc, const float *pa, const float *b, size_t ldb,
                                              __mmask16 m1, float *c, size_t ldc, size_t mr, int beta,
                                              const float *bias, int relu)
{
    kernel(2, MR, kc, pa, b, ldb, 0xFFFF, m1, c, ldc, mr, beta, bias, relu);
}

/* dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block. */
INLINE void transpose8(float *restrict dst, size_t ldd, const float *restrict src, size_t lds)
{
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
}

/* dst[p * ldd + r] = src[r * lds + p] for r < rows, p < cols; rows r in [rows, width) are zeroed. */
static void pack_transpose(float *restrict dst, size_t ldd, size_t width, const float *restrict src,
                           size_t lds, size_t rows, size_t cols)
{
    size_t r = 0;
    for (; r + 8 <= rows; r += 8) {
        size_t p = 0;
        for (; p + 8 <= cols; p += 8)
            transpose8(dst + p * ldd + r, ldd, src + r * lds + p, lds);
        for (; p < cols; p++)
            for (size_t i = 0; i < 8; i++)
                dst[p * ldd + r + i] = src[(r + i) * lds + p];
    }
    for (size_t p = 0; p < cols; p++) {
        for (size_t i = r; i < rows; i++)
            dst[p * ldd + i] = src[i * lds + p];
        for (size_t i = rows; i < width; i++)
            dst[p * ldd + i] = 0.0f;
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

static inline __mmask16 tail_mask(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u) /* n = 0: none */;
}

/* C[Mc, Nc] (= or +=) A[Mc, P] . B[P, Nc] (+ bias) then act. A(i, p) = a[i * ars + p * acs] with
 * either acs == 1 or ars == 1; B(p, j) = b[p * brs + j] when b_trans is 0, b[j * brs + p] when 1
 * (then packed). accumulate: C += instead of C =. */
static void gemm(size_t Mc, size_t Nc, size_t P, const float *a, size_t ars, size_t acs,
                 const float *b, size_t brs, int b_trans, float *c, size_t ldc, int accumulate,
                 const float *bias, int act, float *work)
{
    size_t nkb = P ? (P + KC - 1) / KC : 1;
    size_t kcb = P ? (P + nkb - 1) / nkb : 0;
    size_t mrt = Nc <= NR / 2 ? MR_NARROW : MR;
    float *bpack = work;
    size_t ncmax = Nc < NC ? Nc : NC;
    float *apack = work + (b_trans ? kcb * ((ncmax + NR - 1) / NR * NR) : 0);
    for (size_t jc = 0; jc < Nc; jc += NC) {
        size_t nc = Nc - jc < NC ? Nc - jc : NC;
        for (size_t pc = 0; pc < P || (pc == 0 && P == 0); pc += kcb) {
            size_t kc = P - pc < kcb ? P - pc : kcb;
            int first = pc == 0, last = pc + kc >= P;
            int beta = accumulate || !first;
            const float *bias_k = first && !accumulate ? bias : NULL;
            int relu = last && act == EVO_ACT_RELU;
            const float *bp;
            size_t ldb;
            if (b_trans) {
                for (size_t j = 0; j < nc; j += NR) {
                    size_t nr = nc - j < NR ? nc - j : NR;
                    pack_transpose(bpack + j * kc, NR, NR, b + (jc + j) * brs + pc, brs, nr, kc);
                }
                bp = bpack;
                ldb = NR;
            } else {
                bp = b + pc * brs + jc;
                ldb = brs;
            }
            for (size_t i = 0; i < Mc; i += mrt) {
                size_t mr = Mc - i < mrt ? Mc - i : mrt;
                if (acs == 1)
                    pack_transpose(apack, mrt, mrt, a + i * ars + pc, ars, mr, kc);
                else
                    pack_rows(apack, mrt, a + pc * acs + i, acs, mr, kc);
                float *ci = c + i * ldc + jc;
                for (size_t j = 0; j < nc; j += NR) {
                    size_t nr = nc - j < NR ? nc - j : NR;
                    const float *bj = b_trans ? bp + j * kc : bp + j;
                    const float *bias_j = bias_k ? bias_k + jc + j : NULL;
                    if (mrt == MR_NARROW)
                        kernel1n(kc, apack, bj, ldb, tail_mask(nr), ci + j, ldc, mr, beta, bias_j,
                                 relu);
                    else if (nr > 16)
                        kernel2(kc, apack, bj, ldb, tail_mask(nr - 16), ci + j, ldc, mr, beta,
                                bias_j, relu);
                    else
                        kernel1w(kc, apack, bj, ldb, tail_mask(nr), ci + j, ldc, mr, beta, bias_j,
                                 relu);
                }
                if (last && act != EVO_ACT_RELU && act != EVO_ACT_IDENTITY)
                    for (size_t r = 0; r < mr; r++)
                        evo_vec_activation_forward_avx512(ci + r * ldc, ci + r * ldc, nc, act);
            }
            if (P == 0)
                break;
        }
    }
}

void evo_gemm_forward_avx512(float *out, const float *x, const float *w, const float *b, size_t M,
                             size_t K, size_t N, int act, float *work)
{
    // out[M,N] = act(x[M,K] . w[K,N] + b[N])
    gemm(M, N, K, x, K, 1, w, N, 0, out, N, 0, b, act, work);
}

void evo_gemm_backward_weights_avx512(float *dw, float *db, const float *dy, const float *x,
                                      size_t M, size_t K, size_t N, float *work)
{
    // dw[K,N] += x[M,K]^T . dy[M,N]; db[N] += colsum(dy)
    if (db) {
        for (size_t j = 0; j < N; j += 16) {
            __mmask16 m = tail_mask(N - j);
            __m512 s = _mm512_setzero_ps();
            for (size_t r = 0; r < M; r++)
                s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, dy + r * N + j));
            _mm512_mask_storeu_ps(db + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, db + j), s));
        }
    }
    gemm(K, N, M, x, 1, K, dy, N, 0, dw, N, 1, NULL, EVO_ACT_IDENTITY, work);
}

void evo_gemm_backward_input_avx512(float *dx, const float *dy, const float *w, size_t M, size_t K,
                                    size_t N, float *work)
{
    // dx[M,K] = dy[M,N] . w[K,N]^T
    gemm(M, K, N, dy, N, 1, w, N, 1, dx, K, 0, NULL, EVO_ACT_IDENTITY, work);
}

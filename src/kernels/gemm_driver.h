/* The blocked GEMM driver shared by gemm_avx2.c and gemm_avx512.c (BLIS: loops around a register-tile
 * micro-kernel; only the micro-kernel is ISA-specific, block sizes are data per ISA). Included once, at
 * the end, by each ISA file, which first defines:
 *   GEMM_ISA                      the suffix of the public names (avx2, avx512)
 *   MR, MR_NARROW, NR, KC, NC     tile rows (two-vector / one-vector tiles), tile columns, block sizes
 *   MASK, MASK_ALL, tail_mask(n)  the lane-mask type, all lanes, lanes i < n set
 *   VEC, VW, V_ZERO, V_ADD, V_LOADM(p, m), V_STOREM(p, m, v)   vectors of VW floats, masked
 *   kernel(nv, mrt, kc, pa, rs, cs, b, ldb, m0, m1, c, ldc, mr, beta, bias, relu)
 *                                 the micro-kernel, always_inline, on A(r, p) = pa[r * rs + p * cs]
 *   pack_rows(dst, mrt, src, lds, rows, kc)   the A strip of a column-major A (the weight gradient)
 * Everything here is static; the summation order of every output depends on the shape only (KC), never
 * on the tiles, the light path or pointer alignment. */
#include "transpose.h"

#define GEMM_CAT2(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT2(a, b)
#define GEMM_PUBLIC(name) GEMM_CAT(GEMM_CAT(evo_gemm_, name), GEMM_CAT(_, GEMM_ISA))

/* The tile shapes: narrow (one vector per row, MR_NARROW rows) and MR rows of one or two vectors (the
 * first vector of a two-vector tile is always full); each on a packed A strip (rs 1, cs mrt), on A read
 * in place from a column-major A (rs 1, cs = its row stride) or from a row-major A (rs = its row
 * stride, cs 1). The in-place forms are the light path: no packing where the strip is used once. */
#define GEMM_TILE(name, nv, mrt, rs, cs, m0, m1)                                                       \
    static __attribute__((noinline)) void name(size_t kc, const float *pa, size_t lda, const float *b,  \
                                               size_t ldb, MASK m, float *c, size_t ldc, size_t mr,    \
                                               int beta, const float *bias, int relu)                  \
    {                                                                                                  \
        (void)lda;                                                                                     \
        kernel(nv, mrt, kc, pa, rs, cs, b, ldb, m0, m1, c, ldc, mr, beta, bias, relu);                 \
    }
GEMM_TILE(kernel1n, 1, MR_NARROW, 1, MR_NARROW, m, m)
GEMM_TILE(kernel1w, 1, MR, 1, MR, m, m)
GEMM_TILE(kernel2, 2, MR, 1, MR, MASK_ALL, m)
GEMM_TILE(kernel1n_cols, 1, MR_NARROW, 1, lda, m, m)
GEMM_TILE(kernel1w_cols, 1, MR, 1, lda, m, m)
GEMM_TILE(kernel2_cols, 2, MR, 1, lda, MASK_ALL, m)
GEMM_TILE(kernel1n_rows, 1, MR_NARROW, lda, 1, m, m)
GEMM_TILE(kernel1w_rows, 1, MR, lda, 1, m, m)
GEMM_TILE(kernel2_rows, 2, MR, lda, 1, MASK_ALL, m)

typedef void (*gemm_tile_fn)(size_t kc, const float *pa, size_t lda, const float *b, size_t ldb, MASK m,
                             float *c, size_t ldc, size_t mr, int beta, const float *bias, int relu);

/* dst[p * mrt + r] = src[r * lds + p] for r < rows <= mrt, zero for r >= rows: the A strip of a
 * row-major A. A strip narrower than 8 goes by 8 x 8 transposes whose extra lanes per row are
 * overwritten by the next row (the last spills into slack the workspace bound includes). */
static void pack_a(float *restrict dst, size_t mrt, const float *restrict src, size_t lds, size_t rows,
                   size_t cols)
{
    if (mrt >= 8) {
        pack_transpose(dst, mrt, mrt, src, lds, rows, cols);
        return;
    }
    float tmp[8 * 8];
    size_t p = 0;
    for (; p + 8 <= cols; p += 8) {
        __m256 r[8];
        for (size_t i = 0; i < 8; i++)
            r[i] = i < rows ? _mm256_loadu_ps(src + i * lds + p) : _mm256_setzero_ps();
        for (size_t i = 0; i < 8; i++)
            _mm256_storeu_ps(tmp + i * 8, r[i]);
        transpose8(dst + p * mrt, mrt, tmp, 8);
    }
    for (; p < cols; p++)
        for (size_t i = 0; i < mrt; i++)
            dst[p * mrt + i] = i < rows ? src[i * lds + p] : 0.0f;
}

/* C[Mc, Nc] (= or +=) A[Mc, P] . B[P, Nc] (+ bias) then act. A(i, p) = a[i * ars + p * acs] with
 * either acs == 1 or ars == 1; B(p, j) = b[p * brs + j] when b_trans is 0, b[j * brs + p] when 1
 * (then packed). accumulate: C += instead of C =. a_in_place: every full A strip is read in place,
 * never packed (the light path's kernels), whatever the tiles that use it. */
static void gemm(size_t Mc, size_t Nc, size_t P, const float *a, size_t ars, size_t acs,
                 const float *b, size_t brs, int b_trans, float *c, size_t ldc, int accumulate,
                 const float *bias, int act, int a_in_place, float *work)
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
                /* The light path: a full strip used by one tile only (or all, a_in_place) is read
                 * in place, unpacked. */
                int direct = mr == mrt && (nc <= NR || a_in_place);
                const float *pa = apack;
                size_t lda = 0;
                gemm_tile_fn k1n = kernel1n, k1w = kernel1w, k2 = kernel2;
                if (direct && acs == 1) {
                    pa = a + i * ars + pc, lda = ars;
                    k1n = kernel1n_rows, k1w = kernel1w_rows, k2 = kernel2_rows;
                } else if (direct) {
                    pa = a + pc * acs + i, lda = acs;
                    k1n = kernel1n_cols, k1w = kernel1w_cols, k2 = kernel2_cols;
                } else if (acs == 1) {
                    pack_a(apack, mrt, a + i * ars + pc, ars, mr, kc);
                } else {
                    pack_rows(apack, mrt, a + pc * acs + i, acs, mr, kc);
                }
                float *ci = c + i * ldc + jc;
                for (size_t j = 0; j < nc; j += NR) {
                    size_t nr = nc - j < NR ? nc - j : NR;
                    const float *bj = b_trans ? bp + j * kc : bp + j;
                    const float *bias_j = bias_k ? bias_k + jc + j : NULL;
                    if (mrt == MR_NARROW)
                        k1n(kc, pa, lda, bj, ldb, tail_mask(nr), ci + j, ldc, mr, beta, bias_j, relu);
                    else if (nr > VW)
                        k2(kc, pa, lda, bj, ldb, tail_mask(nr - VW), ci + j, ldc, mr, beta, bias_j,
                           relu);
                    else
                        k1w(kc, pa, lda, bj, ldb, tail_mask(nr), ci + j, ldc, mr, beta, bias_j, relu);
                }
                if (last && act != EVO_ACT_RELU && act != EVO_ACT_IDENTITY)
                    for (size_t r = 0; r < mr; r++)
                        GEMM_CAT(evo_vec_activation_forward_, GEMM_ISA)(ci + r * ldc, ci + r * ldc, nc,
                                                                        act, 0.0f);
            }
            if (P == 0)
                break;
        }
    }
}

void GEMM_PUBLIC(forward)(float *out, const float *x, const float *w, const float *b, size_t M,
                          size_t K, size_t N, int act, float *work)
{
    // out[M,N] = act(x[M,K] . w[K,N] + b[N])
    gemm(M, N, K, x, K, 1, w, N, 0, out, N, 0, b, act, 0, work);
}

void GEMM_PUBLIC(conv)(float *c, const float *a, const float *b, size_t M, size_t K, size_t N, int act,
                       int accumulate, float *work)
{
    // c[M,N] (+)= a[M,K] . b[K,N], then act
    gemm(M, N, K, a, K, 1, b, N, 0, c, N, accumulate, NULL, act, 1, work);
}

void GEMM_PUBLIC(backward_weights)(float *dw, float *db, const float *dy, const float *x, size_t M,
                                   size_t K, size_t N, float *work)
{
    // dw[K,N] += x[M,K]^T . dy[M,N]; db[N] += colsum(dy)
    if (db) {
        for (size_t j = 0; j < N; j += VW) {
            MASK m = tail_mask(N - j);
            VEC s = V_ZERO();
            for (size_t r = 0; r < M; r++)
                s = V_ADD(s, V_LOADM(dy + r * N + j, m));
            V_STOREM(db + j, m, V_ADD(V_LOADM(db + j, m), s));
        }
    }
    gemm(K, N, M, x, 1, K, dy, N, 0, dw, N, 1, NULL, EVO_ACT_IDENTITY, 0, work);
}

void GEMM_PUBLIC(backward_input)(float *dx, const float *dy, const float *w, size_t M, size_t K,
                                 size_t N, float *work)
{
    // dx[M,K] = dy[M,N] . w[K,N]^T
    gemm(M, K, N, dy, N, 1, w, N, 1, dx, K, 0, NULL, EVO_ACT_IDENTITY, 0, work);
}

/* Scalar reference of the dense-layer GEMMs (forward X.W, weight gradient X^T.dY, input gradient
 * dY.W^T), and the scratch bound shared by every ISA. Plain loops that gcc -O3 vectorises without
 * -ffast-math: inner loops run over a contiguous output dimension, and the one true reduction (the
 * input gradient) keeps fixed lanes so its summation order never depends on the compiler. */
#include "impl.h"

/* Upper bounds of every ISA's block sizes (gemm_avx2.c and gemm_avx512.c stay within them): depth KC
 * of a packed panel, width NC of a packed B panel, height MC of a packed A panel, and slack for
 * rounding edges up to whole register tiles. */
#define EVO_GEMM_KC_MAX 512
#define EVO_GEMM_NC_MAX 512
#define EVO_GEMM_MC_MAX 512
#define EVO_GEMM_PAD 64

/* Every ISA's blocking fits these bounds: a KC x NC panel of B and an MC x KC
 * panel of A, each dimension capped by the problem's largest one, plus slack for edge rounding. */
size_t evo_kernels_work_floats(size_t M, size_t K, size_t N)
{
    size_t d = M > K ? M : K;
    d = d > N ? d : N;
    size_t kc = d < EVO_GEMM_KC_MAX ? d : EVO_GEMM_KC_MAX;
    size_t nc = d < EVO_GEMM_NC_MAX ? d : EVO_GEMM_NC_MAX;
    size_t mc = d < EVO_GEMM_MC_MAX ? d : EVO_GEMM_MC_MAX;
    return kc * (nc + EVO_GEMM_PAD) + (mc + EVO_GEMM_PAD) * kc + EVO_GEMM_PAD;
}

/* Lanes of the dot-product accumulator: two SSE registers, so the loop is not bound by the latency
 * of one add chain. The lanes are summed in a fixed order afterwards. */
#define DOT_LANES 8

static float dot(const float *restrict a, const float *restrict b, size_t n)
{
    float acc[DOT_LANES] = {0};
    size_t k = 0;
    for (; k + DOT_LANES <= n; k += DOT_LANES)
        for (size_t j = 0; j < DOT_LANES; j++)
            acc[j] += a[k + j] * b[k + j];
    float s = 0.0f;
    for (size_t j = 0; j < DOT_LANES; j++)
        s += acc[j];
    for (; k < n; k++)
        s += a[k] * b[k];
    return s;
}

static void activate_rows(float *out, size_t n, int act)
{
    if (act == EVO_ACT_RELU) {
        for (size_t i = 0; i < n; i++)
            out[i] = out[i] > 0.0f ? out[i] : 0.0f;
    } else if (act != EVO_ACT_IDENTITY) {
        evo_vec_activation_forward_scalar(out, out, n, act, 0.0f);
    }
}

void evo_gemm_forward_scalar(float *restrict out, const float *restrict x, const float *restrict w,
                             const float *restrict b, size_t M, size_t K, size_t N, int act,
                             float *work)
{
    // out[M,N], x[M,K], w[K,N], b[N] or NULL
    (void)work;
    /* i-k-j order: each input element scales a whole weight row into the output row, so the inner
     * loop streams over N contiguous floats. Four rows share each weight row load. */
    size_t r = 0;
    for (; r + 4 <= M; r += 4) {
        float *o0 = out + r * N, *o1 = o0 + N, *o2 = o1 + N, *o3 = o2 + N;
        const float *x0 = x + r * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
        for (size_t o = 0; o < N; o++) {
            float bo = b ? b[o] : 0.0f;
            o0[o] = bo;
            o1[o] = bo;
            o2[o] = bo;
            o3[o] = bo;
        }
        /* Two inputs per pass halve the loads and stores of the output rows; the sums are written
         * left to right, so every output still adds its terms in input order. */
        size_t i = 0;
        for (; i + 2 <= K; i += 2) {
            const float *wa = w + i * N, *wb = wa + N;
            float a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
            float c0 = x0[i + 1], c1 = x1[i + 1], c2 = x2[i + 1], c3 = x3[i + 1];
            for (size_t o = 0; o < N; o++) {
                float u = wa[o], v = wb[o];
                o0[o] = o0[o] + a0 * u + c0 * v;
                o1[o] = o1[o] + a1 * u + c1 * v;
                o2[o] = o2[o] + a2 * u + c2 * v;
                o3[o] = o3[o] + a3 * u + c3 * v;
            }
        }
        for (; i < K; i++) {
            const float *wr = w + i * N;
            float a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
            for (size_t o = 0; o < N; o++) {
                float wv = wr[o];
                o0[o] += a0 * wv;
                o1[o] += a1 * wv;
                o2[o] += a2 * wv;
                o3[o] += a3 * wv;
            }
        }
        activate_rows(o0, 4 * N, act);
    }
    for (; r < M; r++) {
        float *orow = out + r * N;
        const float *xr = x + r * K;
        for (size_t o = 0; o < N; o++)
            orow[o] = b ? b[o] : 0.0f;
        for (size_t i = 0; i < K; i++) {
            const float *wr = w + i * N;
            float a = xr[i];
            for (size_t o = 0; o < N; o++)
                orow[o] += a * wr[o];
        }
        activate_rows(orow, N, act);
    }
}

void evo_gemm_backward_weights_scalar(float *restrict dw, float *restrict db,
                                      const float *restrict dy, const float *restrict x, size_t M,
                                      size_t K, size_t N, float *work)
{
    // dw[K,N] +=, db[N] += or NULL, dy[M,N], x[M,K]
    (void)work;
    if (db)
        for (size_t r = 0; r < M; r++) {
            const float *d = dy + r * N;
            for (size_t o = 0; o < N; o++)
                db[o] += d[o];
        }
    /* Row i of dw stays in L1 while every batch row adds into it: dw is read and written once per
     * four batch rows, summed left to right (the same order as one row at a time). */
    for (size_t i = 0; i < K; i++) {
        float *dwr = dw + i * N;
        size_t r = 0;
        for (; r + 4 <= M; r += 4) {
            const float *d0 = dy + r * N, *d1 = d0 + N, *d2 = d1 + N, *d3 = d2 + N;
            float a0 = x[r * K + i], a1 = x[(r + 1) * K + i];
            float a2 = x[(r + 2) * K + i], a3 = x[(r + 3) * K + i];
            for (size_t o = 0; o < N; o++)
                dwr[o] = dwr[o] + a0 * d0[o] + a1 * d1[o] + a2 * d2[o] + a3 * d3[o];
        }
        for (; r < M; r++) {
            const float *d = dy + r * N;
            float a = x[r * K + i];
            for (size_t o = 0; o < N; o++)
                dwr[o] += a * d[o];
        }
    }
}

void evo_gemm_backward_input_scalar(float *restrict dx, const float *restrict dy,
                                    const float *restrict w, size_t M, size_t K, size_t N,
                                    float *work)
{
    // dx[M,K] =, dy[M,N], w[K,N]
    (void)work;
    for (size_t r = 0; r < M; r++) {
        const float *d = dy + r * N;
        float *di = dx + r * K;
        for (size_t i = 0; i < K; i++)
            di[i] = dot(d, w + i * N, N);
    }
}

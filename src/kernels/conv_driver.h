/* The convolution and pooling kernels shared by conv_scalar.c, conv_avx2.c and conv_avx512.c: im2col
 * of a group of images onto the GEMM of the same ISA, col2im for the input gradient, and 2 x 2
 * max-pooling.
 * Included once by each conv_<isa>.c, which first defines CONV_ISA (the suffix of the public names and
 * of the GEMM it calls), so the data movement here is compiled with that file's flags only (and uses
 * that ISA's masked vector moves when its macros say so).
 * The workspace layout is conv_layout's; evo_kernels_conv_work_floats (conv_scalar.c) bounds it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CONV_CAT2(a, b) a##b
#define CONV_CAT(a, b) CONV_CAT2(a, b)
#define CONV_PUBLIC(name) CONV_CAT(CONV_CAT(evo_conv_, name), CONV_CAT(_, CONV_ISA))
#define CONV_GEMM(name) CONV_CAT(CONV_CAT(evo_gemm_, name), CONV_CAT(_, CONV_ISA))

/* The forward and the input gradient run one GEMM over a group of images side by side, so that its
 * output is about CONV_COLS columns wide: the second layer (14 x 14 = 196 = 12 vectors of 16
 * and a quarter) goes in pairs. The group depends on the shape only, never on the batch. */
#define CONV_COLS 384

static inline size_t conv_group(size_t HW)
{
    return HW >= CONV_COLS / 2 ? (HW >= CONV_COLS ? 1 : 2) : CONV_COLS / HW;
}

/* Offsets (in floats) of the workspace's parts; every part starts on a 64-byte boundary relative to
 * work. wb: the weights with the bias as column K ([Cout, K + 1]), their transpose [K, Cout], or the
 * weight gradient of one image. col: a group's im2col side by side [K + 1, G H W], the last row all
 * ones (it carries the bias), the column gradient [K, G H W], or one image's im2row [H W, K]. grp: a
 * group's outputs or output gradients side by side [Cout, G H W], or one image in NHWC [H W, Cin].
 * gs: the weight gradient summed over a call's images, taps in (i, j, c) order [Cout, K]. gemm: the
 * GEMM's packing buffers. */
struct conv_layout {
    size_t wb, col, grp, gs, gemm;
};

static inline size_t conv_round16(size_t n)
{
    return (n + 15) / 16 * 16;
}

static inline struct conv_layout conv_layout(size_t Cin, size_t H, size_t W, size_t Cout, size_t k)
{
    size_t K = Cin * k * k, GHW = conv_group(H * W) * H * W;
    struct conv_layout L;
    L.wb = 0;
    L.col = conv_round16(Cout * (K + 1));
    L.grp = L.col + conv_round16((K + 1) * GHW);
    L.gs = L.grp + conv_round16((Cout > Cin ? Cout : Cin) * GHW);
    L.gemm = L.gs + conv_round16(Cout * K);
    return L;
}

/* The output columns ox whose input column ox + d lies inside [0, W): [*lo, *hi). */
static inline void conv_valid(ptrdiff_t d, size_t W, size_t *lo, size_t *hi)
{
    ptrdiff_t w = (ptrdiff_t)W;
    ptrdiff_t l = d < 0 ? -d : 0, h = d > 0 ? w - d : w;
    l = l < w ? l : w;
    h = h > l ? h : l;
    *lo = (size_t)l;
    *hi = (size_t)h;
}

/* Rows of the image are short (14 or 28 floats in the network), so im2col and its adjoint
 * move them a vector at a time under lane masks rather than in loops gcc vectorises with prologues
 * and epilogues: CV_W lanes, cv_load_range(p, a, b) loads lane l from p[l] for a <= l < b and zero
 * elsewhere (the other lanes are not read: masked loads do not fault), cv_store_n stores the first n
 * lanes. Loops that load the same lanes many times compute the mask once: cv_range_mask(a, b), then
 * cv_load_mask(p, m). The scalar build has one lane. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define CV_W 16
typedef __m512 cv_vec;
static inline __mmask16 cv_range_mask(ptrdiff_t a, ptrdiff_t b)
{
    a = a < 0 ? 0 : a > 16 ? 16 : a;
    b = b < 0 ? 0 : b > 16 ? 16 : b;
    uint32_t hi = (1u << b) - 1u, lo = (1u << a) - 1u;
    return (__mmask16)(hi & ~lo);
}
static inline cv_vec cv_zero(void)
{
    return _mm512_setzero_ps();
}
static inline cv_vec cv_add(cv_vec a, cv_vec b)
{
    return _mm512_add_ps(a, b);
}
static inline cv_vec cv_fma(cv_vec a, cv_vec b, cv_vec c)
{
    return _mm512_fmadd_ps(a, b, c);
}
static inline float cv_hsum(cv_vec v)
{
    return _mm512_reduce_add_ps(v);
}
static inline cv_vec cv_load_range(const float *p, ptrdiff_t a, ptrdiff_t b)
{
    if (a <= 0 && b >= 16)
        return _mm512_loadu_ps(p);
    return _mm512_maskz_loadu_ps(cv_range_mask(a, b), p);
}
typedef __mmask16 cv_mask;
static inline cv_vec cv_load_mask(const float *p, cv_mask m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
static inline void cv_store_n(float *p, cv_vec v, size_t n)
{
    if (n >= 16)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, cv_range_mask(0, (ptrdiff_t)n), v);
}
#elif defined(__AVX2__)
#include <immintrin.h>
#define CV_W 8
typedef __m256 cv_vec;
static inline __m256i cv_range_mask(ptrdiff_t a, ptrdiff_t b)
{
    a = a < -1 ? -1 : a > 8 ? 8 : a;
    b = b < 0 ? 0 : b > 8 ? 8 : b;
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)a - 1));
    __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)b), idx);
    return _mm256_and_si256(ge, lt);
}
static inline cv_vec cv_zero(void)
{
    return _mm256_setzero_ps();
}
static inline cv_vec cv_add(cv_vec a, cv_vec b)
{
    return _mm256_add_ps(a, b);
}
static inline cv_vec cv_fma(cv_vec a, cv_vec b, cv_vec c)
{
    return _mm256_fmadd_ps(a, b, c);
}
static inline float cv_hsum(cv_vec v)
{
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}
static inline cv_vec cv_load_range(const float *p, ptrdiff_t a, ptrdiff_t b)
{
    if (a <= 0 && b >= 8)
        return _mm256_loadu_ps(p);
    return _mm256_maskload_ps(p, cv_range_mask(a, b));
}
typedef __m256i cv_mask;
static inline cv_vec cv_load_mask(const float *p, cv_mask m)
{
    return _mm256_maskload_ps(p, m);
}
/* Not vmaskmovps: its store form is microcoded on AMD cores (im2col of the second layer took
 * 38.6 us with it on a Zen 4, 4.3 us with these plain stores). */
static inline void cv_store_n(float *p, cv_vec v, size_t n)
{
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 h = _mm256_castps256_ps128(v);
    if (n & 4) {
        _mm_storeu_ps(p, h);
        p += 4;
        h = _mm256_extractf128_ps(v, 1);
    }
    if (n & 2) {
        _mm_storel_pi((__m64 *)p, h);
        p += 2;
        h = _mm_movehl_ps(h, h);
    }
    if (n & 1)
        _mm_store_ss(p, h);
}
#else
#define CV_W 1
typedef float cv_vec;
static inline cv_vec cv_zero(void)
{
    return 0.0f;
}
static inline cv_vec cv_add(cv_vec a, cv_vec b)
{
    return a + b;
}
static inline cv_vec cv_load_range(const float *p, ptrdiff_t a, ptrdiff_t b)
{
    return a <= 0 && b > 0 ? p[0] : 0.0f;
}
typedef int cv_mask;
static inline cv_mask cv_range_mask(ptrdiff_t a, ptrdiff_t b)
{
    return a <= 0 && b > 0;
}
static inline cv_vec cv_load_mask(const float *p, cv_mask m)
{
    return m ? p[0] : 0.0f;
}
static inline void cv_store_n(float *p, cv_vec v, size_t n)
{
    if (n)
        p[0] = v;
}
#endif

/* c[M, N] = act(a[M, K] . b[K, N]) on this ISA's GEMM: the SIMD ones' conv form, which reads a in
 * place rather than repacking the same weights for every group of images (the same sums either way). */
static inline void conv_gemm(float *c, const float *a, const float *b, size_t M, size_t K, size_t N,
                             int act, float *work)
{
#if CV_W > 1
    CONV_GEMM(conv)(c, a, b, M, K, N, act, 0, work);
#else
    CONV_GEMM(forward)(c, a, b, NULL, M, K, N, act, work);
#endif
}

/* col[(c k + i) k + j, y W + x] = xi[c, y + i - k/2, x + j - k/2], 0 outside the image; rows of col
 * are ld floats apart (ld >= H W). A vector of CV_W columns at a time, each tap's lane mask computed
 * once for all channels and rows, and the rows that fall outside the image zeroed without a test
 * per row. */
static void im2col(float *restrict col, size_t ld, const float *restrict xi, size_t Cin, size_t H,
                   size_t W, size_t k)
{
    size_t HW = H * W;
    ptrdiff_t p = (ptrdiff_t)(k / 2);
    for (size_t j = 0; j < k; j++) {
        ptrdiff_t dj = (ptrdiff_t)j - p;
        size_t lo, hi;
        conv_valid(dj, W, &lo, &hi);
        for (size_t x = 0; x < W; x += CV_W) {
            /* lanes l of the vector: columns x + l + dj of the input row, only [lo, hi) read */
            ptrdiff_t xs = (ptrdiff_t)x;
            cv_mask m = cv_range_mask((ptrdiff_t)lo - xs, (ptrdiff_t)hi - xs);
            size_t n = W - x;
            for (size_t c = 0; c < Cin; c++)
                for (size_t i = 0; i < k; i++) {
                    float *r = col + ((c * k + i) * k + j) * ld + x;
                    ptrdiff_t di = (ptrdiff_t)i - p;
                    /* rows y with y + di inside the image: [y0, y1) */
                    size_t y0, y1;
                    conv_valid(di, H, &y0, &y1);
                    const float *s = xi + c * HW + (ptrdiff_t)x + dj;
                    size_t y = 0;
                    for (; y < y0; y++)
                        cv_store_n(r + y * W, cv_zero(), n);
                    for (; y < y1; y++)
                        cv_store_n(r + y * W, cv_load_mask(s + ((ptrdiff_t)y + di) * (ptrdiff_t)W, m), n);
                    for (; y < H; y++)
                        cv_store_n(r + y * W, cv_zero(), n);
                }
        }
    }
}

/* dxi[c, Y, X] = sum over (i, j), in that order from 0, of dcol[(c k + i) k + j, y W + x] with
 * y = Y - i + k/2, x = X - j + k/2 inside the image: the adjoint of im2col, computed per input row
 * (a gather: each output is written once, dxi is never read). Rows of dcol are ld floats apart. The
 * lane masks of the first CONV_MASKS taps j are computed once per vector of columns. */
#define CONV_MASKS 8
static void col2im(float *restrict dxi, const float *restrict dcol, size_t ld, size_t Cin, size_t H,
                   size_t W, size_t k)
{
    size_t HW = H * W;
    ptrdiff_t p = (ptrdiff_t)(k / 2);
    for (size_t X = 0; X < W; X += CV_W) {
        ptrdiff_t xs = (ptrdiff_t)X;
        cv_mask mj[CONV_MASKS];
        for (size_t j = 0; j < k && j < CONV_MASKS; j++) { /* output column x = X - dj in [0, W) */
            ptrdiff_t dj = (ptrdiff_t)j - p;
            mj[j] = cv_range_mask(dj - xs, (ptrdiff_t)W + dj - xs);
        }
        for (size_t c = 0; c < Cin; c++)
            for (size_t Y = 0; Y < H; Y++) {
                cv_vec acc = cv_zero();
                for (size_t i = 0; i < k; i++) {
                    ptrdiff_t y = (ptrdiff_t)Y - (ptrdiff_t)i + p;
                    if (y < 0 || y >= (ptrdiff_t)H)
                        continue;
                    for (size_t j = 0; j < k; j++) {
                        ptrdiff_t dj = (ptrdiff_t)j - p;
                        const float *r = dcol + ((c * k + i) * k + j) * ld + (size_t)y * W;
                        cv_mask m = j < CONV_MASKS ? mj[j]
                                                   : cv_range_mask(dj - xs, (ptrdiff_t)W + dj - xs);
                        acc = cv_add(acc, cv_load_mask(r + xs - dj, m));
                    }
                }
                cv_store_n(dxi + c * HW + Y * W + X, acc, W - X);
            }
    }
}

void CONV_PUBLIC(forward)(float *out, const float *x, const float *w, const float *b, size_t B,
                          size_t Cin, size_t H, size_t W, size_t Cout, size_t k, int act,
                          float *work)
{
    // out[B,Cout,H,W] = act(conv(x[B,Cin,H,W], w[Cout,Cin,k,k]) + b[Cout])
    size_t HW = H * W, K = Cin * k * k, Ka = K, G = conv_group(HW);
    struct conv_layout L = conv_layout(Cin, H, W, Cout, k);
    float *col = work + L.col, *grp = work + L.grp;
    const float *a = w;
    if (b) { /* the bias as an extra input row of ones, so the GEMM adds it and can fuse act */
        float *wb = work + L.wb;
        Ka = K + 1;
        for (size_t o = 0; o < Cout; o++) {
            memcpy(wb + o * Ka, w + o * K, K * sizeof *wb);
            wb[o * Ka + K] = b[o];
        }
        a = wb;
    }
    for (size_t n0 = 0; n0 < B; n0 += G) {
        size_t g = B - n0 < G ? B - n0 : G, ld = g * HW;
        for (size_t t = 0; t < g; t++)
            im2col(col + t * HW, ld, x + (n0 + t) * Cin * HW, Cin, H, W, k);
        if (b)
            for (size_t q = 0; q < ld; q++)
                col[K * ld + q] = 1.0f;
        if (g == 1) { /* out_n[Cout, HW] = a[Cout, Ka] . col[Ka, HW] */
            conv_gemm(out + n0 * Cout * HW, a, col, Cout, Ka, HW, act, work + L.gemm);
            continue;
        }
        /* grp[Cout, ld] = a[Cout, Ka] . col[Ka, ld], then each image's columns to its place */
        conv_gemm(grp, a, col, Cout, Ka, ld, act, work + L.gemm);
        for (size_t t = 0; t < g; t++)
            for (size_t o = 0; o < Cout; o++)
                memcpy(out + ((n0 + t) * Cout + o) * HW, grp + o * ld + t * HW, HW * sizeof *out);
    }
}

#if CV_W > 1
/* Below this many taps (Cin k k) the weight gradient of an image is dot products over its pixels,
 * not a GEMM: with K = 9 (a grey image, 3 x 3) the GEMM's output is 9 columns wide, a third of a
 * tile, and ran at 40 GFLOP/s on a Zen 4. */
#define CONV_SMALL_K 32

/* Taps a pass of wgrad_dots: two channels' accumulators for this many taps, the two rows of dy and
 * a tap's vector fit the registers (32 zmm, 16 ymm). */
#if defined(__AVX512F__)
#define CONV_DOT_TAPS 9
#else
#define CONV_DOT_TAPS 4
#endif

/* dw[c K + r] += sum over q < HW of dy[c HW + q] col[r HW + q] for c < nch (1 or 2), r < nt: one pass
 * over the rows, each loaded once for every product it takes part in, in CV_W lanes summed at the
 * end (a fixed order for this ISA, whatever the pass's nch and nt). */
static inline __attribute__((always_inline)) void dots_tile(float *restrict dw, const float *restrict dy,
                                                            const float *restrict col, size_t K, size_t HW,
                                                            const int nch, const int nt)
{
    cv_vec a0[CONV_DOT_TAPS], a1[CONV_DOT_TAPS];
#pragma GCC unroll 9
    for (int r = 0; r < nt; r++) {
        a0[r] = cv_zero();
        a1[r] = cv_zero();
    }
    /* whole vectors, then the tail under a mask (one loop with both kept the accumulators in memory) */
    size_t q = 0;
    for (; q + CV_W <= HW; q += CV_W) {
        cv_vec d0 = cv_load_range(dy + q, 0, CV_W);
        cv_vec d1 = nch == 2 ? cv_load_range(dy + HW + q, 0, CV_W) : cv_zero();
#pragma GCC unroll 9
        for (int r = 0; r < nt; r++) {
            cv_vec v = cv_load_range(col + (size_t)r * HW + q, 0, CV_W);
            a0[r] = cv_fma(d0, v, a0[r]);
            if (nch == 2)
                a1[r] = cv_fma(d1, v, a1[r]);
        }
    }
    if (q < HW) {
        cv_mask m = cv_range_mask(0, (ptrdiff_t)(HW - q));
        cv_vec d0 = cv_load_mask(dy + q, m), d1 = nch == 2 ? cv_load_mask(dy + HW + q, m) : cv_zero();
#pragma GCC unroll 9
        for (int r = 0; r < nt; r++) {
            cv_vec v = cv_load_mask(col + (size_t)r * HW + q, m);
            a0[r] = cv_fma(d0, v, a0[r]);
            if (nch == 2)
                a1[r] = cv_fma(d1, v, a1[r]);
        }
    }
#pragma GCC unroll 9
    for (int r = 0; r < nt; r++) {
        dw[r] += cv_hsum(a0[r]);
        if (nch == 2)
            dw[K + (size_t)r] += cv_hsum(a1[r]);
    }
}

/* dots_tile with its shape as constants, so that its accumulators live in registers. */
#define CONV_DOTS_CASE(t)                                                                            \
    case t:                                                                                          \
        if (nch == 2)                                                                                \
            dots_tile(dw, dy, col, K, HW, 2, t);                                                     \
        else                                                                                         \
            dots_tile(dw, dy, col, K, HW, 1, t);                                                     \
        break;
static void dots_pass(float *restrict dw, const float *restrict dy, const float *restrict col, size_t K,
                      size_t HW, int nch, int nt)
{
    switch (nt) {
        CONV_DOTS_CASE(1)
        CONV_DOTS_CASE(2)
        CONV_DOTS_CASE(3)
        CONV_DOTS_CASE(4)
#if CONV_DOT_TAPS > 4
        CONV_DOTS_CASE(5)
        CONV_DOTS_CASE(6)
        CONV_DOTS_CASE(7)
        CONV_DOTS_CASE(8)
        CONV_DOTS_CASE(9)
#endif
    }
}

/* dw[o, r] += sum over q < HW of dy[o, q] col[r, q], for o < Cout, r < K: two channels and up to
 * CONV_DOT_TAPS taps a pass (the first design, one channel and 8 taps, loaded 9 vectors for 8 FMAs;
 * K = 9's ninth tap took a second pass over dy). The sums are the same, bit for bit, whatever the
 * passes. */
static void wgrad_dots(float *restrict dw, const float *restrict dy, const float *restrict col,
                       size_t Cout, size_t K, size_t HW)
{
    for (size_t o = 0; o < Cout; o += 2) {
        int nch = Cout - o >= 2 ? 2 : 1;
        for (size_t r0 = 0; r0 < K; r0 += CONV_DOT_TAPS) {
            int nt = (int)(K - r0 < CONV_DOT_TAPS ? K - r0 : CONV_DOT_TAPS);
            dots_pass(dw + o * K + r0, dy + o * HW, col + r0 * HW, K, HW, nch, nt);
        }
    }
}
#endif

#if CV_W > 1
#include "transpose.h"

/* xt[q, c] = xi[c, q]: one image from NCHW to NHWC ([H W, Cin]), by 8 x 8 blocks (the element loop
 * it replaces was most of the weight gradient's time outside the GEMM). */
static void to_nhwc(float *restrict xt, const float *restrict xi, size_t Cin, size_t HW)
{
    pack_transpose(xt, Cin, Cin, xi, HW, Cin, HW);
}

/* row[y W + x, (i k + j) Cin + c] = xt[(y + i - k/2) W + x + j - k/2, c], 0 outside the image: the
 * transpose of im2col, with the taps in (i, j, c) order, from the NHWC image xt, a channel vector at
 * a time. */
static void im2row(float *restrict row, const float *restrict xt, size_t Cin, size_t H, size_t W,
                   size_t k)
{
    size_t K = Cin * k * k;
    ptrdiff_t p = (ptrdiff_t)(k / 2);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            float *d = row + (y * W + x) * K;
            for (size_t i = 0; i < k; i++) {
                ptrdiff_t iy = (ptrdiff_t)y + (ptrdiff_t)i - p;
                for (size_t j = 0; j < k; j++, d += Cin) {
                    ptrdiff_t ix = (ptrdiff_t)x + (ptrdiff_t)j - p;
                    int in = iy >= 0 && iy < (ptrdiff_t)H && ix >= 0 && ix < (ptrdiff_t)W;
                    const float *s = in ? xt + ((size_t)iy * W + (size_t)ix) * Cin : xt;
                    for (size_t c = 0; c < Cin; c += CV_W)
                        cv_store_n(d + c, in ? cv_load_range(s + c, 0, (ptrdiff_t)(Cin - c)) : cv_zero(),
                                   Cin - c);
                }
            }
        }
}
#endif

/* The sum of r[n] in 16 fixed lanes (one dependent add chain would cost its latency per element),
 * summed in lane order at the end: the same order for every ISA, whatever gcc vectorises. */
static float row_sum(const float *restrict r, size_t n)
{
    float acc[16] = {0};
    size_t q = 0;
    for (; q + 16 <= n; q += 16)
        for (size_t l = 0; l < 16; l++)
            acc[l] += r[q + l];
    for (size_t l = 0; q + l < n; l++)
        acc[l] += r[q + l];
    float s = 0.0f;
    for (size_t l = 0; l < 16; l++)
        s += acc[l];
    return s;
}

void CONV_PUBLIC(backward_weights)(float *dw, float *db, const float *dy, const float *x, size_t B,
                                   size_t Cin, size_t H, size_t W, size_t Cout, size_t k,
                                   float *work)
{
    // dw[Cout,Cin,k,k] +=, db[Cout] += or NULL, dy[B,Cout,H,W], x[B,Cin,H,W]
    size_t HW = H * W, K = Cin * k * k;
    struct conv_layout L = conv_layout(Cin, H, W, Cout, k);
    float *col = work + L.col, *g = work + L.wb, *gs = work + L.gs;
    (void)g, (void)gs;
    for (size_t n = 0; n < B; n++) {
        const float *xn = x + n * Cin * HW, *dyn = dy + n * Cout * HW;
#if CV_W > 1
        if (K < CONV_SMALL_K) {
            im2col(col, HW, xn, Cin, H, W, k);
            wgrad_dots(dw, dyn, col, Cout, K, HW);
        } else {
            /* gs[Cout, K] (+)= dy_n[Cout, HW] . row[HW, K], the taps in (i, j, c) order: the
             * GEMM reads row in place, where the transposed form below packs col transposed */
            to_nhwc(work + L.grp, xn, Cin, HW);
            im2row(col, work + L.grp, Cin, H, W, k);
            CONV_GEMM(conv)(gs, dyn, col, Cout, HW, K, EVO_ACT_IDENTITY, n > 0, work + L.gemm);
        }
#else
        /* g[Cout, K] = dy_n[Cout, HW] . col[K, HW]^T. The bias is not a row of ones here as in the
         * forward: a K + 1'th output column costs the GEMM a whole extra tile (the second
         * layer: K = 288 = 9 tiles of 32; 289 took 12 % longer on a Zen 4). */
        im2col(col, HW, xn, Cin, H, W, k);
        CONV_GEMM(backward_input)(g, dyn, col, Cout, K, HW, work + L.gemm);
        for (size_t o = 0; o < Cout; o++) {
            float *d = dw + o * K;
            const float *s = g + o * K;
            for (size_t q = 0; q < K; q++)
                d[q] += s[q];
        }
#endif
        if (db)
            for (size_t o = 0; o < Cout; o++)
                db[o] += row_sum(dyn + o * HW, HW);
    }
#if CV_W > 1
    if (K >= CONV_SMALL_K && B) /* gs's taps from (i, j, c) to dw's (c, i, j) order */
        for (size_t o = 0; o < Cout; o++)
            for (size_t c = 0; c < Cin; c++)
                for (size_t t = 0; t < k * k; t++)
                    dw[(o * Cin + c) * k * k + t] += gs[o * K + t * Cin + c];
#endif
}

void CONV_PUBLIC(backward_input)(float *dx, const float *dy, const float *w, size_t B, size_t Cin,
                                 size_t H, size_t W, size_t Cout, size_t k, float *work)
{
    // dx[B,Cin,H,W] =, dy[B,Cout,H,W], w[Cout,Cin,k,k]
    size_t HW = H * W, K = Cin * k * k, G = conv_group(HW);
    struct conv_layout L = conv_layout(Cin, H, W, Cout, k);
    float *dcol = work + L.col, *wt = work + L.wb, *grp = work + L.grp;
    /* wt[K, Cout] = w^T, so that the GEMM overwrites dcol (the accumulating form would need it
     * zeroed and read back) */
    for (size_t o = 0; o < Cout; o++)
        for (size_t q = 0; q < K; q++)
            wt[q * Cout + o] = w[o * K + q];
    for (size_t n0 = 0; n0 < B; n0 += G) {
        size_t g = B - n0 < G ? B - n0 : G, ld = g * HW;
        const float *dyg = dy + n0 * Cout * HW;
        if (g > 1) { /* the group's output gradients side by side: grp[Cout, ld] */
            for (size_t t = 0; t < g; t++)
                for (size_t o = 0; o < Cout; o++)
                    memcpy(grp + o * ld + t * HW, dy + ((n0 + t) * Cout + o) * HW, HW * sizeof *grp);
            dyg = grp;
        }
        /* dcol[K, ld] = wt[K, Cout] . dyg[Cout, ld] */
        conv_gemm(dcol, wt, dyg, K, Cout, ld, EVO_ACT_IDENTITY, work + L.gemm);
        for (size_t t = 0; t < g; t++)
            col2im(dx + (n0 + t) * Cin * HW, dcol + t * HW, ld, Cin, H, W, k);
    }
}

/* Pooling: branch-free selects over the four values of a window, loaded as interleaved pairs, and no
 * early exit. A window holding a NaN outputs NaN (a + b + c + d is NaN then) and passes no gradient.
 * The forward pass records each window's first maximum (its position in row-major order, 0..3, or
 * EVO_POOL_ARG_NONE), so that the backward pass is a scatter that reads neither the forward input
 * (a batch of a first conv layer's outputs is 6.4 MB in the network) nor compares again. */
static inline float pool_max(float a, float b, float c, float d)
{
    float m0 = b > a ? b : a, m1 = d > c ? d : c;
    return m1 > m0 ? m1 : m0;
}

static inline int pool_nan(float a, float b, float c, float d)
{
    return (a != a) | (b != b) | (c != c) | (d != d);
}

/* keep ? v : 0 by a bit mask: the windows whose maximum is where are random, so a branch (which
 * gcc emits for the ternary outside the vectorised loop, where rows are short) mispredicts. */
static inline float pool_keep(int keep, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u &= (uint32_t)0 - (uint32_t)keep;
    memcpy(&v, &u, sizeof v);
    return v;
}

#if CV_W > 1
/* One output row of pooling. AVX2: CV_W / 2 windows a vector, each window's pair of a row in adjacent
 * lanes, the pair swapped by an in-lane permute, so that the even lanes hold pool_max's and
 * pool_nan's operands in the scalar code's order (same selects, same sum), then the even lanes
 * packed. AVX-512: 16 windows a vector, deinterleaved. Rows of 7 or 14 windows had gcc's vectorised
 * loop run mostly its scalar epilogue. The positions (arg
 * may be NULL) are chosen as in the scalar code: the first of a, b, c equal to the maximum, else d.
 * Returns the windows done (all). */
static size_t pool_row_forward(float *restrict o, uint8_t *restrict arg, const float *restrict r0,
                               const float *restrict r1, size_t Wo)
{
#if defined(__AVX512F__)
    /* 16 windows a step: each row's 32 values deinterleaved into its windows' left and right values
     * (the pair layout below took twice the steps for the 14-window rows) */
    const __m512i left = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i right = _mm512_add_epi32(left, _mm512_set1_epi32(1));
    for (size_t q = 0; q < Wo; q += 16) {
        size_t nq = Wo - q < 16 ? Wo - q : 16;
        ptrdiff_t n = (ptrdiff_t)(2 * nq);
        __m512 lo0 = cv_load_range(r0 + 2 * q, 0, n), hi0 = cv_load_range(r0 + 2 * q + 16, 0, n - 16);
        __m512 lo1 = cv_load_range(r1 + 2 * q, 0, n), hi1 = cv_load_range(r1 + 2 * q + 16, 0, n - 16);
        __m512 a = _mm512_permutex2var_ps(lo0, left, hi0), b = _mm512_permutex2var_ps(lo0, right, hi0);
        __m512 c = _mm512_permutex2var_ps(lo1, left, hi1), d = _mm512_permutex2var_ps(lo1, right, hi1);
        __m512 m0 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, a, _CMP_GT_OQ), a, b);
        __m512 m1 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, c, _CMP_GT_OQ), c, d);
        __m512 m = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(m1, m0, _CMP_GT_OQ), m0, m1);
        __mmask16 nan = _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q);
        __mmask16 keep = (__mmask16)((1u << nq) - 1u);
        if (arg) {
            __m512i pos = _mm512_set1_epi32(3);
            pos = _mm512_mask_mov_epi32(pos, _mm512_cmp_ps_mask(c, m, _CMP_EQ_OQ), _mm512_set1_epi32(2));
            pos = _mm512_mask_mov_epi32(pos, _mm512_cmp_ps_mask(b, m, _CMP_EQ_OQ), _mm512_set1_epi32(1));
            pos = _mm512_mask_mov_epi32(pos, _mm512_cmp_ps_mask(a, m, _CMP_EQ_OQ), _mm512_setzero_si512());
            pos = _mm512_mask_mov_epi32(pos, nan, _mm512_set1_epi32(EVO_POOL_ARG_NONE));
            _mm_mask_storeu_epi8(arg + q, keep, _mm512_cvtepi32_epi8(pos));
        }
        m = _mm512_mask_blend_ps(nan, m, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), c), d));
        _mm512_mask_storeu_ps(o + q, keep, m);
    }
#else
    const size_t per = CV_W / 2;
    for (size_t q = 0; q < Wo; q += per) {
        size_t nq = Wo - q < per ? Wo - q : per;
        cv_vec a = cv_load_range(r0 + 2 * q, 0, (ptrdiff_t)(2 * nq));
        cv_vec c = cv_load_range(r1 + 2 * q, 0, (ptrdiff_t)(2 * nq));
        __m256 b = _mm256_permute_ps(a, 0xB1), d = _mm256_permute_ps(c, 0xB1);
        __m256 m0 = _mm256_blendv_ps(a, b, _mm256_cmp_ps(b, a, _CMP_GT_OQ));
        __m256 m1 = _mm256_blendv_ps(c, d, _mm256_cmp_ps(d, c, _CMP_GT_OQ));
        __m256 m = _mm256_blendv_ps(m0, m1, _mm256_cmp_ps(m1, m0, _CMP_GT_OQ));
        __m256 nan = _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q));
        const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        if (arg) {
            __m256 pos = _mm256_castsi256_ps(_mm256_set1_epi32(3));
            pos = _mm256_blendv_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(2)), _mm256_cmp_ps(c, m, _CMP_EQ_OQ));
            pos = _mm256_blendv_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(1)), _mm256_cmp_ps(b, m, _CMP_EQ_OQ));
            pos = _mm256_blendv_ps(pos, _mm256_setzero_ps(), _mm256_cmp_ps(a, m, _CMP_EQ_OQ));
            pos = _mm256_blendv_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(EVO_POOL_ARG_NONE)), nan);
            __m128i p4 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_castps_si256(pos), even));
            uint32_t v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(_mm_packus_epi32(p4, p4), p4));
            for (size_t t = 0; t < nq; t++)
                arg[q + t] = (uint8_t)(v >> (8 * t));
        }
        m = _mm256_blendv_ps(m, _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a, b), c), d), nan);
        cv_store_n(o + q, _mm256_permutevar8x32_ps(m, even), nq);
    }
#endif
    return Wo;
}
#endif

void CONV_PUBLIC(maxpool2_forward)(float *restrict out, uint8_t *restrict arg, const float *restrict x,
                                   size_t B, size_t C, size_t H, size_t W)
{
    // out[B,C,H/2,W/2], arg[B,C,H/2,W/2] or NULL, x[B,C,H,W]
    size_t Ho = H / 2, Wo = W / 2;
    for (size_t pl = 0; pl < B * C; pl++) {
        const float *xp = x + pl * H * W;
        float *op = out + pl * Ho * Wo;
        uint8_t *ap = arg ? arg + pl * Ho * Wo : NULL;
        for (size_t y = 0; y < Ho; y++) {
            const float *restrict r0 = xp + 2 * y * W, *restrict r1 = r0 + W;
            float *restrict o = op + y * Wo;
            uint8_t *restrict ar = ap ? ap + y * Wo : NULL;
            size_t q = 0;
#if CV_W > 1
            q = pool_row_forward(o, ar, r0, r1, Wo);
#endif
            for (; q < Wo; q++) {
                float a = r0[2 * q], b = r0[2 * q + 1], c = r1[2 * q], d = r1[2 * q + 1];
                float m = pool_max(a, b, c, d);
                int nan = pool_nan(a, b, c, d);
                o[q] = nan ? a + b + c + d : m;
                if (ar)
                    ar[q] = (uint8_t)(nan ? EVO_POOL_ARG_NONE : a == m ? 0 : b == m ? 1 : c == m ? 2 : 3);
            }
        }
    }
}

#if CV_W > 1
/* One row pair of pooling's backward, CV_W / 2 windows a vector, laid out as pool_row_forward's: each
 * window's position and dy copied to both lanes of its pair, and dy kept in the lane (of the top
 * row's pair, positions 0 and 1, or the bottom's, 2 and 3) whose position it is. Returns the windows
 * done (all). */
static size_t pool_row_backward(float *restrict g0, float *restrict g1, const uint8_t *restrict arg,
                                const float *restrict d, size_t Wo)
{
    const size_t per = CV_W / 2;
    for (size_t q = 0; q < Wo; q += per) {
        size_t nq = Wo - q < per ? Wo - q : per;
        /* not vmaskmovps for a half-vector row of dy, nor a copy through memory (a store-forwarding
         * stall): both ran pooling's backward slower than the scalar code on a Zen 4 */
#if defined(__AVX512F__)
        __m512 dq = _mm512_castps256_ps512(_mm256_maskz_loadu_ps((__mmask8)((1u << nq) - 1u), d + q));
        __m512i aq = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8((__mmask16)((1u << nq) - 1u), arg + q));
        const __m512i pairs = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
        __m512 dv = _mm512_permutexvar_ps(pairs, dq);
        __m512i av = _mm512_permutexvar_epi32(pairs, aq);
        const __m512i top = _mm512_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1);
        __mmask16 k0 = _mm512_cmpeq_epi32_mask(av, top);
        __mmask16 k1 = _mm512_cmpeq_epi32_mask(av, _mm512_add_epi32(top, _mm512_set1_epi32(2)));
        cv_store_n(g0 + 2 * q, _mm512_maskz_mov_ps(k0, dv), 2 * nq);
        cv_store_n(g1 + 2 * q, _mm512_maskz_mov_ps(k1, dv), 2 * nq);
#else
        __m256 dq;
        uint32_t a4 = 0;
        if (nq == 4) {
            dq = _mm256_castps128_ps256(_mm_loadu_ps(d + q));
            memcpy(&a4, arg + q, 4);
        } else {
            dq = _mm256_setr_ps(d[q], nq > 1 ? d[q + 1] : 0.0f, nq > 2 ? d[q + 2] : 0.0f, 0.0f, 0.0f,
                                0.0f, 0.0f, 0.0f);
            for (size_t t = 0; t < nq; t++)
                a4 |= (uint32_t)arg[q + t] << (8 * t);
        }
        const __m256i pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
        __m256 dv = _mm256_permutevar8x32_ps(dq, pairs);
        __m256i av = _mm256_permutevar8x32_epi32(_mm256_cvtepu8_epi32(_mm_cvtsi32_si128((int)a4)), pairs);
        const __m256i top = _mm256_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1);
        __m256 k0 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(av, top));
        __m256 k1 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(av, _mm256_add_epi32(top, _mm256_set1_epi32(2))));
        cv_store_n(g0 + 2 * q, _mm256_and_ps(k0, dv), 2 * nq);
        cv_store_n(g1 + 2 * q, _mm256_and_ps(k1, dv), 2 * nq);
#endif
    }
    return Wo;
}
#endif

void CONV_PUBLIC(maxpool2_backward)(float *restrict dx, const float *restrict dy,
                                    const uint8_t *restrict arg, size_t B, size_t C, size_t H, size_t W)
{
    // dx[B,C,H,W] =, dy[B,C,H/2,W/2], arg[B,C,H/2,W/2]
    size_t Ho = H / 2, Wo = W / 2;
    for (size_t pl = 0; pl < B * C; pl++) {
        const float *dp = dy + pl * Ho * Wo;
        const uint8_t *ap = arg + pl * Ho * Wo;
        float *gp = dx + pl * H * W;
        for (size_t y = 0; y < Ho; y++) {
            float *restrict g0 = gp + 2 * y * W, *restrict g1 = g0 + W;
            const float *restrict d = dp + y * Wo;
            const uint8_t *restrict ar = ap + y * Wo;
            size_t q = 0;
#if CV_W > 1
            q = pool_row_backward(g0, g1, ar, d, Wo);
#endif
            for (; q < Wo; q++) {
                int at = ar[q];
                g0[2 * q] = pool_keep(at == 0, d[q]);
                g0[2 * q + 1] = pool_keep(at == 1, d[q]);
                g1[2 * q] = pool_keep(at == 2, d[q]);
                g1[2 * q + 1] = pool_keep(at == 3, d[q]);
            }
            if (W & 1) { /* the last column belongs to no window */
                g0[W - 1] = 0.0f;
                g1[W - 1] = 0.0f;
            }
        }
        if (H & 1) /* so does the last row */
            memset(gp + (H - 1) * W, 0, W * sizeof *gp);
    }
}

/* AVX2 + FMA element-wise kernels (compiled with -mavx2 -mfma only; dispatch.c calls them only when
 * the CPU and OS support them). Eight lanes per step; every loop ends with one masked step
 * (vmaskmovps) for the tail, so no element past n is ever read or written. exp and tanh are
 * Cephes-style, a few ulp from libm (tests/test_vec.c measures it). */
#include <immintrin.h>
#include <math.h>
#include "impl.h"

#define W 8

/* Lane mask (all ones in the lanes still inside n) when r elements remain. */
static inline __m256i lanes(size_t r)
{
    int k = r >= W ? W : (int)r;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Runs the body once per W lanes: plain loads and stores over the full vectors, then one masked
 * step for the tail (vmaskmovps stores are slow on some cores, so only the tail uses them). The body
 * reads and writes through LD(ptr) and ST(ptr, v), which `full` (a constant in each copy) resolves. */
#define VEC_LOOP(n, var, ...)                                                                        \
    do {                                                                                             \
        size_t n_ = (n), var = 0;                                                                    \
        for (; var + W <= n_; var += W) {                                                            \
            const int full = 1;                                                                      \
            const __m256i k = _mm256_set1_epi32(-1);                                                 \
            __VA_ARGS__                                                                              \
        }                                                                                            \
        if (var < n_) {                                                                              \
            const int full = 0;                                                                      \
            const __m256i k = lanes(n_ - var);                                                       \
            __VA_ARGS__                                                                              \
        }                                                                                            \
    } while (0)
#define LD(ptr) (full ? _mm256_loadu_ps(ptr) : _mm256_maskload_ps((ptr), k))
#define ST(ptr, v) (full ? _mm256_storeu_ps((ptr), (v)) : _mm256_maskstore_ps((ptr), k, (v)))

/* exp(x): x = n ln2 + r with |r| <= ln2/2 (ln2 split so that n ln2_hi is exact), Cephes expf's
 * polynomial for exp(r), and 2^n applied as two normal powers 2^(n/2) 2^(n - n/2): the first product
 * is exact and the second rounds once, giving +inf on overflow and correctly rounded subnormals and 0
 * on underflow. The clamp keeps n in [-150, 128]; max(lo, x) and min(hi, .) return x when it is NaN,
 * and the NaN then propagates through the polynomial. */
static inline __m256 exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-104.0f), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-6f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
    p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* tanh(x): x + x^3 P(x^2) (Cephes tanhf) for |x| < 0.625, which keeps full relative precision for tiny
 * x; otherwise 1 - 2 / (exp(2|x|) + 1), saturating to +-1 once exp overflows and propagating NaN
 * through exp. */
static inline __m256 tanh8(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 ax = _mm256_andnot_ps(sign, x);
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
    __m256 e = exp8(_mm256_add_ps(ax, ax));
    __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                               _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
    /* tanh is odd: both branches work on |x| and take x's sign at the end (so tanh(-0) = -0) */
    return _mm256_or_ps(_mm256_blendv_ps(big, small, is_small), _mm256_and_ps(sign, x));
}

static inline __m256 sigmoid8(__m256 x)
{
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* Horizontal reductions of the eight lanes. */
static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hmax8(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* GELU's tanh approximation: sqrt(2/pi) and the cubic coefficient (as the scalar reference). */
#define GELU_C 0.7978845608028654f
#define GELU_A 0.044715f

/* tanh(sqrt(2/pi) (x + 0.044715 x^3)), GELU's gate before the 0.5 (1 + .) */
static inline __m256 gelu_t8(__m256 x)
{
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(GELU_A), x2), x, x);
    return tanh8(_mm256_mul_ps(_mm256_set1_ps(GELU_C), inner));
}

void evo_vec_activation_forward_avx2(float *out, const float *in, size_t n, int act, float alpha)
{
    // out[n], in[n]; out may equal in
    if (act == EVO_ACT_IDENTITY || act < 0 || act >= EVO_ACT_COUNT) {
        if (out != in)
            VEC_LOOP(n, i, {
                ST(out + i, LD(in + i));
            });
        return;
    }
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
    const __m256 va = _mm256_set1_ps(alpha);
    VEC_LOOP(n, i, {
        __m256 x = LD(in + i), y;
        switch (act) {
        case EVO_ACT_RELU:
            y = _mm256_max_ps(x, zero); /* NaN -> 0, -0 -> +0, as the scalar select */
            break;
        case EVO_ACT_TANH:
            y = tanh8(x);
            break;
        case EVO_ACT_SIGMOID:
            y = sigmoid8(x);
            break;
        case EVO_ACT_LEAKY_RELU:
            y = _mm256_blendv_ps(_mm256_mul_ps(va, x), x, _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
            break;
        case EVO_ACT_ELU: /* exp(x) - 1 is absolutely (not relatively) accurate near 0: a few 1e-8 */
            y = _mm256_blendv_ps(_mm256_sub_ps(exp8(_mm256_min_ps(x, zero)), one), x,
                                 _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
            break;
        default: /* EVO_ACT_GELU */
            y = _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, gelu_t8(x)));
            break;
        }
        ST(out + i, y);
    });
}

void evo_vec_activation_backward_avx2(float *din, const float *dout, const float *out,
                                      const float *pre, size_t n, int act, float alpha)
{
    // din[n], dout[n], out[n], pre[n] (gelu only); din may equal dout
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f);
    const __m256 va = _mm256_set1_ps(alpha);
    if (act == EVO_ACT_GELU) {
        VEC_LOOP(n, i, {
            __m256 x = LD(pre + i), t = gelu_t8(x);
            __m256 x2 = _mm256_mul_ps(x, x);
            __m256 dt = _mm256_mul_ps(_mm256_fnmadd_ps(t, t, one),
                                      _mm256_mul_ps(_mm256_set1_ps(GELU_C),
                                                    _mm256_fmadd_ps(_mm256_set1_ps(3.0f * GELU_A), x2, one)));
            __m256 g = _mm256_mul_ps(half, _mm256_fmadd_ps(x, dt, _mm256_add_ps(one, t)));
            ST(din + i, _mm256_mul_ps(LD(dout + i), g));
        });
        return;
    }
    VEC_LOOP(n, i, {
        __m256 d = LD(dout + i), o = LD(out + i), r;
        switch (act) {
        case EVO_ACT_RELU:
            r = _mm256_and_ps(d, _mm256_cmp_ps(o, zero, _CMP_GT_OQ));
            break;
        case EVO_ACT_TANH:
            r = _mm256_mul_ps(d, _mm256_fnmadd_ps(o, o, one));
            break;
        case EVO_ACT_SIGMOID:
            r = _mm256_mul_ps(_mm256_mul_ps(d, o), _mm256_sub_ps(one, o));
            break;
        case EVO_ACT_LEAKY_RELU:
            r = _mm256_blendv_ps(_mm256_mul_ps(va, d), d, _mm256_cmp_ps(o, zero, _CMP_GT_OQ));
            break;
        case EVO_ACT_ELU:
            r = _mm256_blendv_ps(_mm256_mul_ps(d, _mm256_add_ps(o, one)), d,
                                 _mm256_cmp_ps(o, zero, _CMP_GT_OQ));
            break;
        default:
            r = d;
            break;
        }
        ST(din + i, r);
    });
}

double evo_vec_softmax_xent_forward_avx2(float *restrict probs, size_t *correct,
                                         const float *restrict logits, const int32_t *restrict y,
                                         size_t B, size_t C)
{
    // probs[B,C], logits[B,C], y[B]
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    double loss = 0.0;
    size_t n_correct = 0;
    for (size_t r = 0; r < B; r++) {
        const float *l = logits + r * C;
        float *p = probs + r * C;
        __m256 vmx = ninf;
        VEC_LOOP(C, c, {
            vmx = _mm256_max_ps(vmx, _mm256_blendv_ps(ninf, LD(l + c), _mm256_castsi256_ps(k)));
        });
        float mx = hmax8(vmx);
        size_t arg = 0; /* the first arg-max, as the scalar scan finds it */
        while (arg + 1 < C && l[arg] != mx)
            arg++;
        __m256 vsum = _mm256_setzero_ps(), m = _mm256_set1_ps(mx);
        VEC_LOOP(C, c, {
            __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(LD(l + c), m)), _mm256_castsi256_ps(k));
            vsum = _mm256_add_ps(vsum, e);
            ST(p + c, e);
        });
        float sum = hsum8(vsum);
        __m256 inv = _mm256_set1_ps(1.0f / sum);
        VEC_LOOP(C, c, {
            ST(p + c, _mm256_mul_ps(LD(p + c), inv));
        });
        size_t t = (size_t)y[r];
        loss += log((double)sum) - ((double)l[t] - (double)mx);
        n_correct += arg == t;
    }
    if (correct)
        *correct = n_correct;
    return B ? loss / (double)B : 0.0;
}

void evo_vec_softmax_xent_backward_avx2(float *restrict dlogits, const float *restrict probs,
                                        const int32_t *restrict y, size_t B, size_t C)
{
    // dlogits[B,C], probs[B,C], y[B]; rows are contiguous, so one pass over B*C, then the labels
    float inv_b = 1.0f / (float)B;
    __m256 vinv = _mm256_set1_ps(inv_b);
    size_t n = B * C;
    VEC_LOOP(n, i, {
        ST(dlogits + i, _mm256_mul_ps(LD(probs + i), vinv));
    });
    for (size_t r = 0; r < B; r++)
        dlogits[r * C + (size_t)y[r]] -= inv_b;
}

void evo_vec_mul_avx2(float *out, const float *a, const float *b, size_t n)
{
    // out[n], a[n], b[n]; out may alias a
    VEC_LOOP(n, i, {
        ST(out + i, _mm256_mul_ps(LD(a + i), LD(b + i)));
    });
}

void evo_vec_sgd_update_avx2(float *restrict p, const float *restrict g, size_t n, float lr, float decay)
{
    // p[n], g[n]
    const __m256 vlr = _mm256_set1_ps(lr), vd = _mm256_set1_ps(decay);
    VEC_LOOP(n, i, {
        __m256 pv = LD(p + i);
        __m256 gv = _mm256_fmadd_ps(vd, pv, LD(g + i));
        ST(p + i, _mm256_fnmadd_ps(vlr, gv, pv));
    });
}

/* Heavy-ball momentum and Nesterov's look-ahead share the velocity update; they differ in the
 * step direction only (m, or g + mu m). nesterov is a constant at each call site. */
static inline __attribute__((always_inline)) void heavy_ball(float *restrict p, const float *restrict g,
                                                            float *restrict m, size_t n, float lr,
                                                            float mu, float decay, int nesterov)
{
    // p[n], g[n], m[n]
    const __m256 vlr = _mm256_set1_ps(lr), vmu = _mm256_set1_ps(mu), vd = _mm256_set1_ps(decay);
    VEC_LOOP(n, i, {
        __m256 pv = LD(p + i);
        __m256 gv = _mm256_fmadd_ps(vd, pv, LD(g + i));
        __m256 mv = _mm256_fmadd_ps(vmu, LD(m + i), gv);
        ST(m + i, mv);
        ST(p + i, _mm256_fnmadd_ps(vlr, nesterov ? _mm256_fmadd_ps(vmu, mv, gv) : mv, pv));
    });
}

void evo_vec_momentum_update_avx2(float *restrict p, const float *restrict g, float *restrict m,
                                  size_t n, float lr, float mu, float decay)
{
    heavy_ball(p, g, m, n, lr, mu, decay, 0);
}

void evo_vec_nesterov_update_avx2(float *restrict p, const float *restrict g, float *restrict m,
                                  size_t n, float lr, float mu, float decay)
{
    heavy_ball(p, g, m, n, lr, mu, decay, 1);
}

void evo_vec_adam_update_avx2(float *restrict p, const float *restrict g, float *restrict m,
                              float *restrict v, size_t n, float lr, float b1, float b2, float eps,
                              float bc1, float bc2, float decay)
{
    // p[n], g[n], m[n], v[n]
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vd = _mm256_set1_ps(decay);
    const __m256 c1 = _mm256_set1_ps(1.0f - b1), c2 = _mm256_set1_ps(1.0f - b2);
    const __m256 step = _mm256_set1_ps(lr / bc1), inv_bc2 = _mm256_set1_ps(1.0f / bc2);
    const __m256 veps = _mm256_set1_ps(eps);
    VEC_LOOP(n, i, {
        __m256 pv = LD(p + i);
        __m256 gv = _mm256_fmadd_ps(vd, pv, LD(g + i));
        __m256 mv = _mm256_fmadd_ps(vb1, LD(m + i), _mm256_mul_ps(c1, gv));
        __m256 vv = _mm256_fmadd_ps(vb2, LD(v + i), _mm256_mul_ps(_mm256_mul_ps(c2, gv), gv));
        __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vv, inv_bc2)), veps);
        ST(m + i, mv);
        ST(v + i, vv);
        ST(p + i, _mm256_fnmadd_ps(step, _mm256_div_ps(mv, den), pv));
    });
}


void evo_vec_rmsprop_update_avx2(float *restrict p, const float *restrict g, float *restrict v,
                                 size_t n, float lr, float rho, float eps, float decay)
{
    // p[n], g[n], v[n]
    const __m256 vlr = _mm256_set1_ps(lr), vrho = _mm256_set1_ps(rho), vd = _mm256_set1_ps(decay);
    const __m256 c = _mm256_set1_ps(1.0f - rho), veps = _mm256_set1_ps(eps);
    VEC_LOOP(n, i, {
        __m256 pv = LD(p + i);
        __m256 gv = _mm256_fmadd_ps(vd, pv, LD(g + i));
        __m256 vv = _mm256_fmadd_ps(vrho, LD(v + i), _mm256_mul_ps(_mm256_mul_ps(c, gv), gv));
        __m256 den = _mm256_add_ps(_mm256_sqrt_ps(vv), veps);
        ST(v + i, vv);
        ST(p + i, _mm256_fnmadd_ps(vlr, _mm256_div_ps(gv, den), pv));
    });
}

void evo_vec_adamw_update_avx2(float *restrict p, const float *restrict g, float *restrict m,
                               float *restrict v, size_t n, float lr, float b1, float b2, float eps,
                               float bc1, float bc2, float wd)
{
    // p[n], g[n], m[n], v[n]
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), shrink = _mm256_set1_ps(lr * wd);
    const __m256 c1 = _mm256_set1_ps(1.0f - b1), c2 = _mm256_set1_ps(1.0f - b2);
    const __m256 step = _mm256_set1_ps(lr / bc1), inv_bc2 = _mm256_set1_ps(1.0f / bc2);
    const __m256 veps = _mm256_set1_ps(eps);
    VEC_LOOP(n, i, {
        __m256 pv = LD(p + i);
        __m256 gv = LD(g + i);
        __m256 mv = _mm256_fmadd_ps(vb1, LD(m + i), _mm256_mul_ps(c1, gv));
        __m256 vv = _mm256_fmadd_ps(vb2, LD(v + i), _mm256_mul_ps(_mm256_mul_ps(c2, gv), gv));
        __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vv, inv_bc2)), veps);
        __m256 upd = _mm256_fmadd_ps(shrink, pv, _mm256_mul_ps(step, _mm256_div_ps(mv, den)));
        ST(m + i, mv);
        ST(v + i, vv);
        ST(p + i, _mm256_sub_ps(pv, upd));
    });
}

void evo_vec_exp_avx2(float *out, const float *in, size_t n)
{
    // out[n], in[n]; out may equal in
    VEC_LOOP(n, i, {
        ST(out + i, exp8(LD(in + i)));
    });
}

void evo_vec_tanh_avx2(float *out, const float *in, size_t n)
{
    // out[n], in[n]; out may equal in
    VEC_LOOP(n, i, {
        ST(out + i, tanh8(LD(in + i)));
    });
}

void evo_vec_bytes_standardize_avx2(float *restrict out, const uint8_t *restrict in,
                                    const double *restrict mean, const double *restrict recip, size_t n)
{
    // out[n], in[n], mean[n], recip[n]; eight bytes a step in two halves of four doubles. AVX2 has
    // no masked byte load, so the tail is scalar (the same arithmetic).
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(in + j)));
        __m256d lo = _mm256_cvtepi32_pd(_mm256_castsi256_si128(v));
        __m256d hi = _mm256_cvtepi32_pd(_mm256_extracti128_si256(v, 1));
        lo = _mm256_mul_pd(_mm256_sub_pd(lo, _mm256_loadu_pd(mean + j)), _mm256_loadu_pd(recip + j));
        hi = _mm256_mul_pd(_mm256_sub_pd(hi, _mm256_loadu_pd(mean + j + 4)), _mm256_loadu_pd(recip + j + 4));
        _mm_storeu_ps(out + j, _mm256_cvtpd_ps(lo));
        _mm_storeu_ps(out + j + 4, _mm256_cvtpd_ps(hi));
    }
    for (; j < n; j++)
        out[j] = (float)(((double)in[j] - mean[j]) * recip[j]);
}

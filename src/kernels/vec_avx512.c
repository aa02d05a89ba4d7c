/* AVX-512 element-wise kernels (compiled with -mavx512f/dq/bw/vl -mfma only; dispatch.c calls them
 * only when the CPU and OS support them). Sixteen lanes per step; every loop ends with one masked
 * step for the tail, so no lane past n is ever read or written. exp and tanh are Cephes-style: range
 * reduction plus a minimax polynomial, a few ulp from libm (tests/test_vec.c measures it). */
#include <immintrin.h>
#include <math.h>
#include "impl.h"

#define W 16

/* Mask of the lanes still inside n when r elements remain. */
static inline __mmask16 lanes(size_t r)
{
    return r >= W ? (__mmask16)0xFFFF : (__mmask16)((1u << r) - 1u);
}

/* exp(x): x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so that n ln2_hi is exact), a degree-7
 * polynomial for exp(r) (Cephes expf's coefficients), and vscalefps for the 2^n, which rounds once and
 * so handles overflow to +inf, gradual underflow to subnormals and 0, and NaN (propagated) by itself.
 * The clamp keeps n in range; max(lo, x) and min(hi, .) return x when it is NaN. */
static inline __m512 exp16(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-6f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* tanh(x): for |x| < 0.625 an odd polynomial x + x^3 P(x^2) (Cephes tanhf), which keeps full
 * relative precision for tiny x; otherwise 1 - 2 / (exp(2|x|) + 1), which saturates to +-1 once exp
 * overflows and propagates NaN through exp. */
static inline __m512 tanh16(__m512 x)
{
    const __m512 sign = _mm512_set1_ps(-0.0f);
    __m512 ax = _mm512_andnot_ps(sign, x);
    __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), ax, ax);
    __m512 e = exp16(_mm512_add_ps(ax, ax));
    __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.0f),
                               _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    /* tanh is odd: both branches work on |x| and take x's sign at the end (so tanh(-0) = -0) */
    return _mm512_or_ps(_mm512_mask_blend_ps(is_small, big, small), _mm512_and_ps(sign, x));
}

static inline __m512 sigmoid16(__m512 x)
{
    __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

/* GELU's tanh approximation: sqrt(2/pi) and the cubic coefficient (as the scalar reference). */
#define GELU_C 0.7978845608028654f
#define GELU_A 0.044715f

/* tanh(sqrt(2/pi) (x + 0.044715 x^3)), GELU's gate before the 0.5 (1 + .) */
static inline __m512 gelu_t16(__m512 x)
{
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(GELU_A), x2), x, x);
    return tanh16(_mm512_mul_ps(_mm512_set1_ps(GELU_C), inner));
}

void evo_vec_activation_forward_avx512(float *out, const float *in, size_t n, int act, float alpha)
{
    // out[n], in[n]; out may equal in
    if (act == EVO_ACT_IDENTITY || act < 0 || act >= EVO_ACT_COUNT) {
        if (out != in)
            for (size_t i = 0; i < n; i += W) {
                __mmask16 k = lanes(n - i);
                _mm512_mask_storeu_ps(out + i, k, _mm512_maskz_loadu_ps(k, in + i));
            }
        return;
    }
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
    const __m512 va = _mm512_set1_ps(alpha);
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 x = _mm512_maskz_loadu_ps(k, in + i), y;
        switch (act) {
        case EVO_ACT_RELU:
            y = _mm512_max_ps(x, zero); /* NaN -> 0, -0 -> +0, as the scalar select */
            break;
        case EVO_ACT_TANH:
            y = tanh16(x);
            break;
        case EVO_ACT_SIGMOID:
            y = sigmoid16(x);
            break;
        case EVO_ACT_LEAKY_RELU:
            y = _mm512_mask_mov_ps(_mm512_mul_ps(va, x), _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), x);
            break;
        case EVO_ACT_ELU: /* exp(x) - 1 is absolutely (not relatively) accurate near 0: a few 1e-8 */
            y = _mm512_mask_mov_ps(_mm512_sub_ps(exp16(_mm512_min_ps(x, zero)), one),
                                   _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), x);
            break;
        default: /* EVO_ACT_GELU */
            y = _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_add_ps(one, gelu_t16(x)));
            break;
        }
        _mm512_mask_storeu_ps(out + i, k, y);
    }
}

void evo_vec_activation_backward_avx512(float *din, const float *dout, const float *out,
                                        const float *pre, size_t n, int act, float alpha)
{
    // din[n], dout[n], out[n], pre[n] (gelu only); din may equal dout
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps(), half = _mm512_set1_ps(0.5f);
    const __m512 va = _mm512_set1_ps(alpha);
    if (act == EVO_ACT_GELU) {
        for (size_t i = 0; i < n; i += W) {
            __mmask16 k = lanes(n - i);
            __m512 x = _mm512_maskz_loadu_ps(k, pre + i), t = gelu_t16(x);
            __m512 x2 = _mm512_mul_ps(x, x);
            __m512 dt = _mm512_mul_ps(_mm512_fnmadd_ps(t, t, one),
                                      _mm512_mul_ps(_mm512_set1_ps(GELU_C),
                                                    _mm512_fmadd_ps(_mm512_set1_ps(3.0f * GELU_A), x2, one)));
            __m512 g = _mm512_mul_ps(half, _mm512_fmadd_ps(x, dt, _mm512_add_ps(one, t)));
            _mm512_mask_storeu_ps(din + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dout + i), g));
        }
        return;
    }
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 d = _mm512_maskz_loadu_ps(k, dout + i), o = _mm512_maskz_loadu_ps(k, out + i), r;
        switch (act) {
        case EVO_ACT_RELU:
            r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(o, zero, _CMP_GT_OQ), d);
            break;
        case EVO_ACT_TANH:
            r = _mm512_mul_ps(d, _mm512_fnmadd_ps(o, o, one));
            break;
        case EVO_ACT_SIGMOID:
            r = _mm512_mul_ps(_mm512_mul_ps(d, o), _mm512_sub_ps(one, o));
            break;
        case EVO_ACT_LEAKY_RELU:
            r = _mm512_mask_mov_ps(_mm512_mul_ps(va, d), _mm512_cmp_ps_mask(o, zero, _CMP_GT_OQ), d);
            break;
        case EVO_ACT_ELU:
            r = _mm512_mask_mov_ps(_mm512_mul_ps(d, _mm512_add_ps(o, one)),
                                   _mm512_cmp_ps_mask(o, zero, _CMP_GT_OQ), d);
            break;
        default:
            r = d;
            break;
        }
        _mm512_mask_storeu_ps(din + i, k, r);
    }
}

double evo_vec_softmax_xent_forward_avx512(float *restrict probs, size_t *correct,
                                           const float *restrict logits, const int32_t *restrict y,
                                           size_t B, size_t C)
{
    // probs[B,C], logits[B,C], y[B]
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    double loss = 0.0;
    size_t n_correct = 0;
    for (size_t r = 0; r < B; r++) {
        const float *l = logits + r * C;
        float *p = probs + r * C;
        __m512 vmx = ninf;
        for (size_t c = 0; c < C; c += W)
            vmx = _mm512_max_ps(vmx, _mm512_mask_loadu_ps(ninf, lanes(C - c), l + c));
        float mx = _mm512_reduce_max_ps(vmx);
        size_t arg = 0; /* the first arg-max, as the scalar scan finds it */
        while (arg + 1 < C && l[arg] != mx)
            arg++;
        __m512 vsum = _mm512_setzero_ps(), m = _mm512_set1_ps(mx);
        for (size_t c = 0; c < C; c += W) {
            __mmask16 k = lanes(C - c);
            __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, l + c), m));
            vsum = _mm512_mask_add_ps(vsum, k, vsum, e);
            _mm512_mask_storeu_ps(p + c, k, e);
        }
        float sum = _mm512_reduce_add_ps(vsum);
        __m512 inv = _mm512_set1_ps(1.0f / sum);
        for (size_t c = 0; c < C; c += W) {
            __mmask16 k = lanes(C - c);
            _mm512_mask_storeu_ps(p + c, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + c), inv));
        }
        size_t t = (size_t)y[r];
        loss += log((double)sum) - ((double)l[t] - (double)mx);
        n_correct += arg == t;
    }
    if (correct)
        *correct = n_correct;
    return B ? loss / (double)B : 0.0;
}

void evo_vec_softmax_xent_backward_avx512(float *restrict dlogits, const float *restrict probs,
                                          const int32_t *restrict y, size_t B, size_t C)
{
    // dlogits[B,C], probs[B,C], y[B]; rows are contiguous, so one pass over B*C, then the labels
    float inv_b = 1.0f / (float)B;
    __m512 vinv = _mm512_set1_ps(inv_b);
    size_t n = B * C;
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        _mm512_mask_storeu_ps(dlogits + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, probs + i), vinv));
    }
    for (size_t r = 0; r < B; r++)
        dlogits[r * C + (size_t)y[r]] -= inv_b;
}

void evo_vec_mul_avx512(float *out, const float *a, const float *b, size_t n)
{
    // out[n], a[n], b[n]; out may alias a
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        _mm512_mask_storeu_ps(out + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, a + i),
                                                        _mm512_maskz_loadu_ps(k, b + i)));
    }
}

void evo_vec_sgd_update_avx512(float *restrict p, const float *restrict g, size_t n, float lr,
                               float decay)
{
    // p[n], g[n]
    const __m512 vlr = _mm512_set1_ps(lr), vd = _mm512_set1_ps(decay);
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 gv = _mm512_fmadd_ps(vd, pv, _mm512_maskz_loadu_ps(k, g + i));
        _mm512_mask_storeu_ps(p + i, k, _mm512_fnmadd_ps(vlr, gv, pv));
    }
}

/* Heavy-ball momentum and Nesterov's look-ahead share the velocity update; they differ in the
 * step direction only (m, or g + mu m). nesterov is a constant at each call site. */
static inline __attribute__((always_inline)) void heavy_ball(float *restrict p, const float *restrict g,
                                                            float *restrict m, size_t n, float lr,
                                                            float mu, float decay, int nesterov)
{
    // p[n], g[n], m[n]
    const __m512 vlr = _mm512_set1_ps(lr), vmu = _mm512_set1_ps(mu), vd = _mm512_set1_ps(decay);
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 gv = _mm512_fmadd_ps(vd, pv, _mm512_maskz_loadu_ps(k, g + i));
        __m512 mv = _mm512_fmadd_ps(vmu, _mm512_maskz_loadu_ps(k, m + i), gv);
        _mm512_mask_storeu_ps(m + i, k, mv);
        _mm512_mask_storeu_ps(p + i, k, _mm512_fnmadd_ps(vlr, 
                                           nesterov ? _mm512_fmadd_ps(vmu, mv, gv) : mv, pv));
    }
}

void evo_vec_momentum_update_avx512(float *restrict p, const float *restrict g, float *restrict m,
                                    size_t n, float lr, float mu, float decay)
{
    heavy_ball(p, g, m, n, lr, mu, decay, 0);
}

void evo_vec_nesterov_update_avx512(float *restrict p, const float *restrict g, float *restrict m,
                                    size_t n, float lr, float mu, float decay)
{
    heavy_ball(p, g, m, n, lr, mu, decay, 1);
}

void evo_vec_adam_update_avx512(float *restrict p, const float *restrict g, float *restrict m,
                                float *restrict v, size_t n, float lr, float b1, float b2, float eps,
                                float bc1, float bc2, float decay)
{
    // p[n], g[n], m[n], v[n]
    /* Memory-bound (seven streams of n floats): vrcp14ps in place of the division measured no faster
     * in training, so the exact division stays and results track the scalar reference closely. */
    const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), vd = _mm512_set1_ps(decay);
    const __m512 c1 = _mm512_set1_ps(1.0f - b1), c2 = _mm512_set1_ps(1.0f - b2);
    const __m512 step = _mm512_set1_ps(lr / bc1), inv_bc2 = _mm512_set1_ps(1.0f / bc2);
    const __m512 veps = _mm512_set1_ps(eps);
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 gv = _mm512_fmadd_ps(vd, pv, _mm512_maskz_loadu_ps(k, g + i));
        __m512 mv = _mm512_fmadd_ps(vb1, _mm512_maskz_loadu_ps(k, m + i), _mm512_mul_ps(c1, gv));
        __m512 vv = _mm512_fmadd_ps(vb2, _mm512_maskz_loadu_ps(k, v + i),
                                    _mm512_mul_ps(_mm512_mul_ps(c2, gv), gv));
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(vv, inv_bc2)), veps);
        _mm512_mask_storeu_ps(m + i, k, mv);
        _mm512_mask_storeu_ps(v + i, k, vv);
        _mm512_mask_storeu_ps(p + i, k, _mm512_fnmadd_ps(step, _mm512_div_ps(mv, den), pv));
    }
}


void evo_vec_rmsprop_update_avx512(float *restrict p, const float *restrict g, float *restrict v,
                                   size_t n, float lr, float rho, float eps, float decay)
{
    // p[n], g[n], v[n]
    const __m512 vlr = _mm512_set1_ps(lr), vrho = _mm512_set1_ps(rho), vd = _mm512_set1_ps(decay);
    const __m512 c = _mm512_set1_ps(1.0f - rho), veps = _mm512_set1_ps(eps);
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 gv = _mm512_fmadd_ps(vd, pv, _mm512_maskz_loadu_ps(k, g + i));
        __m512 vv = _mm512_fmadd_ps(vrho, _mm512_maskz_loadu_ps(k, v + i),
                                    _mm512_mul_ps(_mm512_mul_ps(c, gv), gv));
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(vv), veps);
        _mm512_mask_storeu_ps(v + i, k, vv);
        _mm512_mask_storeu_ps(p + i, k, _mm512_fnmadd_ps(vlr, _mm512_div_ps(gv, den), pv));
    }
}

void evo_vec_adamw_update_avx512(float *restrict p, const float *restrict g, float *restrict m,
                                 float *restrict v, size_t n, float lr, float b1, float b2, float eps,
                                 float bc1, float bc2, float wd)
{
    // p[n], g[n], m[n], v[n]
    const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), shrink = _mm512_set1_ps(lr * wd);
    const __m512 c1 = _mm512_set1_ps(1.0f - b1), c2 = _mm512_set1_ps(1.0f - b2);
    const __m512 step = _mm512_set1_ps(lr / bc1), inv_bc2 = _mm512_set1_ps(1.0f / bc2);
    const __m512 veps = _mm512_set1_ps(eps);
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        __m512 mv = _mm512_fmadd_ps(vb1, _mm512_maskz_loadu_ps(k, m + i), _mm512_mul_ps(c1, gv));
        __m512 vv = _mm512_fmadd_ps(vb2, _mm512_maskz_loadu_ps(k, v + i),
                                    _mm512_mul_ps(_mm512_mul_ps(c2, gv), gv));
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(vv, inv_bc2)), veps);
        __m512 upd = _mm512_fmadd_ps(shrink, pv, _mm512_mul_ps(step, _mm512_div_ps(mv, den)));
        _mm512_mask_storeu_ps(m + i, k, mv);
        _mm512_mask_storeu_ps(v + i, k, vv);
        _mm512_mask_storeu_ps(p + i, k, _mm512_sub_ps(pv, upd));
    }
}

void evo_vec_exp_avx512(float *out, const float *in, size_t n)
{
    // out[n], in[n]; out may equal in
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        _mm512_mask_storeu_ps(out + i, k, exp16(_mm512_maskz_loadu_ps(k, in + i)));
    }
}

void evo_vec_tanh_avx512(float *out, const float *in, size_t n)
{
    // out[n], in[n]; out may equal in
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = lanes(n - i);
        _mm512_mask_storeu_ps(out + i, k, tanh16(_mm512_maskz_loadu_ps(k, in + i)));
    }
}

void evo_vec_bytes_standardize_avx512(float *restrict out, const uint8_t *restrict in,
                                      const double *restrict mean, const double *restrict recip, size_t n)
{
    // out[n], in[n], mean[n], recip[n]; sixteen bytes a step in two halves of eight doubles
    for (size_t j = 0; j < n; j += W) {
        __mmask16 k = lanes(n - j);
        __mmask8 klo = (__mmask8)k, khi = (__mmask8)(k >> 8);
        __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, in + j));
        __m512d lo = _mm512_cvtepi32_pd(_mm512_castsi512_si256(v));
        __m512d hi = _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(v, 1));
        lo = _mm512_mul_pd(_mm512_sub_pd(lo, _mm512_maskz_loadu_pd(klo, mean + j)),
                           _mm512_maskz_loadu_pd(klo, recip + j));
        hi = _mm512_mul_pd(_mm512_sub_pd(hi, _mm512_maskz_loadu_pd(khi, mean + j + 8)),
                           _mm512_maskz_loadu_pd(khi, recip + j + 8));
        _mm256_mask_storeu_ps(out + j, klo, _mm512_cvtpd_ps(lo));
        _mm256_mask_storeu_ps(out + j + 8, khi, _mm512_cvtpd_ps(hi));
    }
}

/* Scalar reference of the element-wise kernels: activations, softmax cross-entropy, the dropout
 * multiply, the fused optimizer updates, exp and tanh. This file is the ground truth the AVX2 and
 * AVX-512 variants are tested against; it uses libm for exp and tanh and plain loops otherwise. */
#include <math.h>
#include "impl.h"

/* GELU's tanh approximation: sqrt(2/pi) and the cubic coefficient. */
#define GELU_C 0.7978845608028654f
#define GELU_A 0.044715f

void evo_vec_activation_forward_scalar(float *out, const float *in, size_t n, int act, float alpha)
{
    // out[n], in[n]; out may equal in, so no restrict here
    switch (act) {
    case EVO_ACT_RELU:
        for (size_t i = 0; i < n; i++) {
            float x = in[i];
            out[i] = x > 0.0f ? x : 0.0f;
        }
        break;
    case EVO_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            out[i] = tanhf(in[i]);
        break;
    case EVO_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            out[i] = 1.0f / (1.0f + expf(-in[i]));
        break;
    case EVO_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) {
            float x = in[i];
            out[i] = x > 0.0f ? x : alpha * x;
        }
        break;
    case EVO_ACT_ELU:
        for (size_t i = 0; i < n; i++) {
            float x = in[i];
            out[i] = x > 0.0f ? x : expm1f(x);
        }
        break;
    case EVO_ACT_GELU:
        for (size_t i = 0; i < n; i++) {
            float x = in[i];
            out[i] = 0.5f * x * (1.0f + tanhf(GELU_C * (x + GELU_A * x * x * x)));
        }
        break;
    default: /* identity */
        if (out != in)
            for (size_t i = 0; i < n; i++)
                out[i] = in[i];
        break;
    }
}

void evo_vec_activation_backward_scalar(float *din, const float *dout, const float *out,
                                        const float *pre, size_t n, int act, float alpha)
{
    // din[n], dout[n], out[n], pre[n] (gelu only); derivatives are written in terms of the output,
    // which is what the forward pass keeps, so no pre-activation buffer is needed, except for gelu,
    // which is not monotonic: its output does not determine its input
    switch (act) {
    case EVO_ACT_RELU:
        for (size_t i = 0; i < n; i++) {
            float d = dout[i], o = out[i];
            din[i] = o > 0.0f ? d : 0.0f;
        }
        break;
    case EVO_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            din[i] = dout[i] * (1.0f - out[i] * out[i]);
        break;
    case EVO_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            din[i] = dout[i] * out[i] * (1.0f - out[i]);
        break;
    case EVO_ACT_LEAKY_RELU: /* out > 0 exactly when x > 0, the slope being positive */
        for (size_t i = 0; i < n; i++)
            din[i] = out[i] > 0.0f ? dout[i] : alpha * dout[i];
        break;
    case EVO_ACT_ELU: /* for x <= 0, d/dx (exp(x) - 1) = exp(x) = out + 1 */
        for (size_t i = 0; i < n; i++)
            din[i] = out[i] > 0.0f ? dout[i] : dout[i] * (out[i] + 1.0f);
        break;
    case EVO_ACT_GELU:
        for (size_t i = 0; i < n; i++) {
            float x = pre[i], x2 = x * x;
            float t = tanhf(GELU_C * (x + GELU_A * x2 * x));
            float dt = (1.0f - t * t) * GELU_C * (1.0f + 3.0f * GELU_A * x2);
            din[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * x * dt);
        }
        break;
    default:
        if (din != dout)
            for (size_t i = 0; i < n; i++)
                din[i] = dout[i];
        break;
    }
}

double evo_vec_softmax_xent_forward_scalar(float *restrict probs, size_t *correct,
                                           const float *restrict logits, const int32_t *restrict y,
                                           size_t B, size_t C)
{
    // probs[B,C], logits[B,C], y[B]
    double loss = 0.0;
    size_t n_correct = 0;
    for (size_t r = 0; r < B; r++) {
        const float *l = logits + r * C;
        float *p = probs + r * C;
        float mx = l[0];
        size_t arg = 0;
        for (size_t c = 1; c < C; c++)
            if (l[c] > mx) {
                mx = l[c];
                arg = c;
            }
        float sum = 0.0f;
        for (size_t c = 0; c < C; c++) {
            p[c] = expf(l[c] - mx);
            sum += p[c];
        }
        float inv = 1.0f / sum;
        for (size_t c = 0; c < C; c++)
            p[c] *= inv;
        /* -log p[y] from the log-sum-exp, not from p[y], which underflows to 0 for a confident
         * wrong answer and would turn a large finite loss into infinity. */
        size_t t = (size_t)y[r];
        loss += log((double)sum) - ((double)l[t] - (double)mx);
        n_correct += arg == t;
    }
    if (correct)
        *correct = n_correct;
    return B ? loss / (double)B : 0.0;
}

void evo_vec_softmax_xent_backward_scalar(float *restrict dlogits, const float *restrict probs,
                                          const int32_t *restrict y, size_t B, size_t C)
{
    // dlogits[B,C], probs[B,C], y[B]
    float inv_b = 1.0f / (float)B;
    for (size_t r = 0; r < B; r++) {
        const float *p = probs + r * C;
        float *d = dlogits + r * C;
        for (size_t c = 0; c < C; c++)
            d[c] = p[c] * inv_b;
        d[y[r]] -= inv_b;
    }
}

void evo_vec_mul_scalar(float *out, const float *a, const float *b, size_t n)
{
    // out[n], a[n], b[n]; out may alias a
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] * b[i];
}

void evo_vec_sgd_update_scalar(float *restrict p, const float *restrict g, size_t n, float lr,
                               float decay)
{
    // p[n], g[n]
    for (size_t i = 0; i < n; i++)
        p[i] -= lr * (g[i] + decay * p[i]);
}

void evo_vec_momentum_update_scalar(float *restrict p, const float *restrict g, float *restrict m,
                                    size_t n, float lr, float mu, float decay)
{
    // p[n], g[n], m[n]
    for (size_t i = 0; i < n; i++) {
        m[i] = mu * m[i] + (g[i] + decay * p[i]);
        p[i] -= lr * m[i];
    }
}

void evo_vec_adam_update_scalar(float *restrict p, const float *restrict g, float *restrict m,
                                float *restrict v, size_t n, float lr, float b1, float b2, float eps,
                                float bc1, float bc2, float decay)
{
    // p[n], g[n], m[n], v[n]
    /* lr / bc1 and 1 / bc2 once per call: the loop is then one sqrt and one division per element. */
    float step = lr / bc1, inv_bc2 = 1.0f / bc2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + decay * p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= step * m[i] / (sqrtf(v[i] * inv_bc2) + eps);
    }
}

void evo_vec_nesterov_update_scalar(float *restrict p, const float *restrict g, float *restrict m,
                                    size_t n, float lr, float mu, float decay)
{
    // p[n], g[n], m[n]
    /* The look-ahead in the form that needs no extra parameter copy (Sutskever; PyTorch's
     * nesterov=True): the step uses the gradient plus mu times the freshly updated velocity. */
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + decay * p[i];
        m[i] = mu * m[i] + gi;
        p[i] -= lr * (gi + mu * m[i]);
    }
}

void evo_vec_rmsprop_update_scalar(float *restrict p, const float *restrict g, float *restrict v,
                                   size_t n, float lr, float rho, float eps, float decay)
{
    // p[n], g[n], v[n]
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + decay * p[i];
        v[i] = rho * v[i] + (1.0f - rho) * gi * gi;
        p[i] -= lr * gi / (sqrtf(v[i]) + eps);
    }
}

void evo_vec_adamw_update_scalar(float *restrict p, const float *restrict g, float *restrict m,
                                 float *restrict v, size_t n, float lr, float b1, float b2, float eps,
                                 float bc1, float bc2, float wd)
{
    // p[n], g[n], m[n], v[n]
    /* Decoupled decay: the moments see the raw gradient, and p shrinks by lr * wd * p beside the
     * adaptive step (Loshchilov & Hutter), both from the same old p. */
    float step = lr / bc1, inv_bc2 = 1.0f / bc2, shrink = lr * wd;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= shrink * p[i] + step * m[i] / (sqrtf(v[i] * inv_bc2) + eps);
    }
}

void evo_vec_exp_scalar(float *out, const float *in, size_t n)
{
    // out[n], in[n]; out may equal in
    for (size_t i = 0; i < n; i++)
        out[i] = expf(in[i]);
}

void evo_vec_tanh_scalar(float *out, const float *in, size_t n)
{
    // out[n], in[n]; out may equal in
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(in[i]);
}

void evo_vec_bytes_standardize_scalar(float *restrict out, const uint8_t *restrict in,
                                      const double *restrict mean, const double *restrict recip, size_t n)
{
    // out[n], in[n], mean[n], recip[n]
    for (size_t j = 0; j < n; j++)
        out[j] = (float)(((double)in[j] - mean[j]) * recip[j]);
}

/* Scalar reference layers: dense, activations, inverted dropout, softmax cross-entropy.
 * Plain loops written so that gcc -O3 vectorises them without -ffast-math: every inner loop runs over
 * a contiguous output dimension, and the one true reduction (the input gradient) keeps fixed lanes so
 * its summation order, and hence its result, never depends on the compiler. */
#include "evotune/nn.h"
#include <math.h>

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

void evo_nn_dense_forward(float *restrict out, const float *restrict inp, const float *restrict w,
                          const float *restrict b, size_t B, size_t I, size_t O)
{
    // out[B,O], inp[B,I], w[I,O], b[O]
    /* i-k-j order: each input element scales a whole weight row into the output row, so the inner
     * loop streams over O contiguous floats. Four batch rows share each weight row load. */
    size_t r = 0;
    for (; r + 4 <= B; r += 4) {
        float *o0 = out + r * O, *o1 = o0 + O, *o2 = o1 + O, *o3 = o2 + O;
        const float *x0 = inp + r * I, *x1 = x0 + I, *x2 = x1 + I, *x3 = x2 + I;
        for (size_t o = 0; o < O; o++) {
            float bo = b ? b[o] : 0.0f;
            o0[o] = bo;
            o1[o] = bo;
            o2[o] = bo;
            o3[o] = bo;
        }
        /* Two inputs per pass halve the loads and stores of the output rows; the sums are
         * written left to right, so every output still adds its terms in input order. */
        size_t i = 0;
        for (; i + 2 <= I; i += 2) {
            const float *wa = w + i * O, *wb = wa + O;
            float a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
            float c0 = x0[i + 1], c1 = x1[i + 1], c2 = x2[i + 1], c3 = x3[i + 1];
            for (size_t o = 0; o < O; o++) {
                float u = wa[o], v = wb[o];
                o0[o] = o0[o] + a0 * u + c0 * v;
                o1[o] = o1[o] + a1 * u + c1 * v;
                o2[o] = o2[o] + a2 * u + c2 * v;
                o3[o] = o3[o] + a3 * u + c3 * v;
            }
        }
        for (; i < I; i++) {
            const float *wr = w + i * O;
            float a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
            for (size_t o = 0; o < O; o++) {
                float wv = wr[o];
                o0[o] += a0 * wv;
                o1[o] += a1 * wv;
                o2[o] += a2 * wv;
                o3[o] += a3 * wv;
            }
        }
    }
    for (; r < B; r++) {
        float *orow = out + r * O;
        const float *x = inp + r * I;
        for (size_t o = 0; o < O; o++)
            orow[o] = b ? b[o] : 0.0f;
        for (size_t i = 0; i < I; i++) {
            const float *wr = w + i * O;
            float a = x[i];
            for (size_t o = 0; o < O; o++)
                orow[o] += a * wr[o];
        }
    }
}

void evo_nn_dense_backward(float *restrict dinp, float *restrict dw, float *restrict db,
                           const float *restrict dout, const float *restrict inp,
                           const float *restrict w, size_t B, size_t I, size_t O)
{
    // dinp[B,I] (may be NULL), dw[I,O], db[O], dout[B,O], inp[B,I], w[I,O]
    for (size_t r = 0; r < B; r++) {
        const float *d = dout + r * O;
        for (size_t o = 0; o < O; o++)
            db[o] += d[o];
    }
    /* Row i of dw stays in L1 while every batch row adds into it; the batch loop is in the middle
     * so dw is read and written once per call instead of once per batch row. */
    for (size_t i = 0; i < I; i++) {
        float *dwr = dw + i * O;
        size_t r = 0;
        /* Four batch rows per pass, summed left to right: the same order as one row at a time,
         * with a quarter of the loads and stores of dw. */
        for (; r + 4 <= B; r += 4) {
            const float *d0 = dout + r * O, *d1 = d0 + O, *d2 = d1 + O, *d3 = d2 + O;
            float a0 = inp[r * I + i], a1 = inp[(r + 1) * I + i];
            float a2 = inp[(r + 2) * I + i], a3 = inp[(r + 3) * I + i];
            for (size_t o = 0; o < O; o++)
                dwr[o] = dwr[o] + a0 * d0[o] + a1 * d1[o] + a2 * d2[o] + a3 * d3[o];
        }
        for (; r < B; r++) {
            const float *d = dout + r * O;
            float a = inp[r * I + i];
            for (size_t o = 0; o < O; o++)
                dwr[o] += a * d[o];
        }
    }
    if (!dinp)
        return;
    /* Sharing w's rows between several batch rows here (as the forward pass does) made gcc 12
     * interleave the lanes with shuffles and ran 4x slower: one row at a time it is. */
    for (size_t r = 0; r < B; r++) {
        const float *d = dout + r * O;
        float *di = dinp + r * I;
        for (size_t i = 0; i < I; i++)
            di[i] = dot(d, w + i * O, O);
    }
}

void evo_nn_activation_forward(float *out, const float *inp, size_t n, int act)
{
    // out[n], inp[n]; out may equal inp, so no restrict here
    switch (act) {
    case EVO_ACT_RELU:
        for (size_t i = 0; i < n; i++) {
            float x = inp[i];
            out[i] = x > 0.0f ? x : 0.0f;
        }
        break;
    case EVO_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            out[i] = tanhf(inp[i]);
        break;
    case EVO_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            out[i] = 1.0f / (1.0f + expf(-inp[i]));
        break;
    default:
        break;
    }
}

void evo_nn_activation_backward(float *dinp, const float *dout, const float *out, size_t n, int act)
{
    // dinp[n], dout[n], out[n]; derivatives are written in terms of the output, which is what the
    // forward pass keeps, so no pre-activation buffer is needed
    switch (act) {
    case EVO_ACT_RELU:
        for (size_t i = 0; i < n; i++) {
            /* both loads unconditional, so the select becomes a vector blend, not a branch */
            float d = dout[i], o = out[i];
            dinp[i] = o > 0.0f ? d : 0.0f;
        }
        break;
    case EVO_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
        break;
    case EVO_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
        break;
    default:
        break;
    }
}

void evo_nn_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p,
                            struct evo_rng *rng)
{
    // out[n], mask[n], inp[n]
    /* Inverted dropout scales the kept units at training time, so evaluation needs no rescaling. */
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = evo_rng_uniformf(rng) < p ? 0.0f : keep;
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] * mask[i];
}

void evo_nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n)
{
    // dinp[n], dout[n], mask[n]
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * mask[i];
}

double evo_nn_softmax_xent_forward(float *restrict probs, size_t *correct,
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

void evo_nn_softmax_xent_backward(float *restrict dlogits, const float *restrict probs,
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

const char *evo_nn_activation_name(int act)
{
    static const char *const names[EVO_ACT_COUNT] = {"relu", "tanh", "sigmoid"};
    return act >= 0 && act < EVO_ACT_COUNT ? names[act] : "unknown";
}

/* Neural-network layers as forward/backward pairs over flat float arrays (llm.c style).
 * Argument order: outputs, cached buffers, inputs, parameters, sizes. Shapes are row-major and given
 * in brackets. Backward functions ACCUMULATE (+=) into parameter gradients, which the trainer zeroes
 * once per step, and OVERWRITE input gradients. All functions are single-threaded and reentrant. */
#ifndef EVOTUNE_NN_H
#define EVOTUNE_NN_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/rng.h"

enum evo_activation {
    EVO_ACT_RELU,
    EVO_ACT_TANH,
    EVO_ACT_SIGMOID,
    EVO_ACT_COUNT
};

/* out[B,O] = inp[B,I] . w[I,O] + b[O]. out is never read. */
void evo_nn_dense_forward(float *out, const float *inp, const float *w, const float *b,
                          size_t B, size_t I, size_t O);

/* dw[I,O] += inp^T . dout; db[O] += column sums of dout; dinp[B,I] = dout . w^T (skipped when dinp is
 * NULL, as for the first layer). dout[B,O]. */
void evo_nn_dense_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, size_t B, size_t I, size_t O);

/* out[n] = act(inp[n]); out may equal inp. */
void evo_nn_activation_forward(float *out, const float *inp, size_t n, int act);

/* dinp[n] = dout[n] * act'(.) computed from the activation's OUTPUT out[n]; dinp may equal dout. */
void evo_nn_activation_backward(float *dinp, const float *dout, const float *out, size_t n, int act);

/* Inverted dropout with drop probability p in [0, 1): mask[i] = 0 with probability p, else 1/(1-p);
 * out[i] = inp[i] * mask[i]; out may equal inp. Draws n uniforms from rng. */
void evo_nn_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p,
                            struct evo_rng *rng);

/* dinp[n] = dout[n] * mask[n]; dinp may equal dout. */
void evo_nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n);

/* Softmax over C classes for each of B rows, probs[B,C] from logits[B,C] (max-subtracted); returns the
 * mean cross-entropy loss over the B rows against labels y[B] (double accumulation). If correct is not
 * NULL, *correct receives the number of rows whose arg-max (first on ties) equals y. */
double evo_nn_softmax_xent_forward(float *probs, size_t *correct, const float *logits,
                                   const int32_t *y, size_t B, size_t C);

/* dlogits[B,C] = (probs - onehot(y)) / B: the gradient of the mean loss. */
void evo_nn_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *y,
                                  size_t B, size_t C);

/* Name of an activation ("relu", "tanh", "sigmoid"). */
const char *evo_nn_activation_name(int act);

#endif

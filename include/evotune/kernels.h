/* Compute kernels with runtime dispatch (ggml / OpenBLAS style). A scalar reference fills a table of
 * function pointers; AVX2+FMA and AVX-512 variants, each compiled with its own flags only, fill the
 * same table. One table is chosen once at start-up from the CPU's features and the OS's support for
 * them, or forced with EVOTUNE_ISA=scalar|avx2|avx512; it is recorded in results files. Every kernel is
 * single-threaded, reentrant and allocation-free: scratch memory comes from the caller.
 * Shapes in brackets are row-major. */
#ifndef EVOTUNE_KERNELS_H
#define EVOTUNE_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/error.h"

enum evo_isa {
    EVO_ISA_SCALAR,
    EVO_ISA_AVX2,   /* AVX2 + FMA */
    EVO_ISA_AVX512, /* AVX-512 F (+ DQ, BW, VL) */
    EVO_ISA_COUNT
};

/* Values are stable (they are stored in results files): new activations are appended. alpha is the
 * activation kernels' parameter, ignored by the activations that have none. */
enum evo_activation {
    EVO_ACT_RELU,
    EVO_ACT_TANH,
    EVO_ACT_SIGMOID,
    EVO_ACT_LEAKY_RELU, /* x > 0 ? x : alpha x (alpha the slope, > 0) */
    EVO_ACT_ELU,        /* x > 0 ? x : exp(x) - 1 (alpha = 1, fixed; the kernels' alpha is ignored) */
    EVO_ACT_GELU,       /* tanh approximation (Hendrycks & Gimpel):
                         * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    EVO_ACT_COUNT,
    EVO_ACT_IDENTITY = -1 /* no activation: the output layer's logits */
};

/* maxpool2_forward's position of a window holding a NaN (which passes no gradient). */
#define EVO_POOL_ARG_NONE 4

struct evo_kernels {
    int isa;             /* enum evo_isa */
    const char *name;    /* "scalar", "avx2", "avx512" */

    /* ---- dense layers: GEMM in the three forms training needs (src/kernels/gemm_*.c) ---- */
    /* out[M,N] = act(x[M,K] . w[K,N] + b[N]); b may be NULL; act EVO_ACT_RELU, EVO_ACT_TANH,
     * EVO_ACT_SIGMOID or EVO_ACT_IDENTITY: the activations without a parameter whose backward needs
     * only the output (the others are applied by the caller, after an identity GEMM, with
     * activation_forward). out is never read. work: at least evo_kernels_work_floats(M, K, N) floats. */
    void (*dense_forward)(float *out, const float *x, const float *w, const float *b, size_t M,
                          size_t K, size_t N, int act, float *work);
    /* dw[K,N] += x[M,K]^T . dy[M,N]; db[N] += column sums of dy (db may be NULL). */
    void (*dense_backward_weights)(float *dw, float *db, const float *dy, const float *x, size_t M,
                                   size_t K, size_t N, float *work);
    /* dx[M,K] = dy[M,N] . w[K,N]^T; dx is never read. */
    void (*dense_backward_input)(float *dx, const float *dy, const float *w, size_t M, size_t K,
                                 size_t N, float *work);

    /* ---- element-wise kernels (src/kernels/vec_*.c) ---- */
    /* out[n] = act(in[n]) with parameter alpha (the leaky_relu slope; ignored by the others); out
     * may equal in. */
    void (*activation_forward)(float *out, const float *in, size_t n, int act, float alpha);
    /* din[n] = dout[n] * act'(.), from the activation's output out[n], except gelu, whose derivative
     * is not a function of its output: from the pre-activation pre[n] (read by gelu only; may be
     * NULL for the others). alpha as forward. din may equal dout (not pre or out). */
    void (*activation_backward)(float *din, const float *dout, const float *out, const float *pre,
                                size_t n, int act, float alpha);
    /* probs[B,C] = softmax(logits) per row; returns the mean cross-entropy against y[B] (double
     * accumulation, log-sum-exp, finite for any finite logits); *correct (may be NULL) receives the
     * number of rows whose first arg-max equals y. */
    double (*softmax_xent_forward)(float *probs, size_t *correct, const float *logits, const int32_t *y,
                                   size_t B, size_t C);
    /* dlogits[B,C] = (probs - onehot(y)) / B. */
    void (*softmax_xent_backward)(float *dlogits, const float *probs, const int32_t *y, size_t B,
                                  size_t C);
    /* out[n] = a[n] * b[n] (applying a dropout mask forward and backward); out may alias a. */
    void (*mul)(float *out, const float *a, const float *b, size_t n);
    /* Optimizer updates over p[n] with gradient g[n], in one fused pass each; the gradient used is
     * g + decay * p (L2 weight decay; 0 for biases). */
    void (*sgd_update)(float *p, const float *g, size_t n, float lr, float decay);
    /* m = mu m + (g + decay p); p -= lr m */
    void (*momentum_update)(float *p, const float *g, float *m, size_t n, float lr, float mu, float decay);
    /* Adam: m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2; p -= lr (m / bc1) / (sqrt(v / bc2) + eps)
     * with g' = g + decay p and bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t. */
    void (*adam_update)(float *p, const float *g, float *m, float *v, size_t n, float lr, float b1,
                        float b2, float eps, float bc1, float bc2, float decay);
    /* out[n] = exp(in[n]) and tanh(in[n]), accurate to a few ulp over the float range (overflow to
     * +inf, underflow to 0, NaN propagated). out may equal in. */
    void (*vexp)(float *out, const float *in, size_t n);
    void (*vtanh)(float *out, const float *in, size_t n);
    /* Nesterov momentum (PyTorch form): m = mu m + g'; p -= lr (g' + mu m), g' = g + decay p. */
    void (*nesterov_update)(float *p, const float *g, float *m, size_t n, float lr, float mu, float decay);
    /* RMSprop: v = rho v + (1-rho) g'^2; p -= lr g' / (sqrt(v) + eps), g' = g + decay p. */
    void (*rmsprop_update)(float *p, const float *g, float *v, size_t n, float lr, float rho, float eps,
                           float decay);
    /* AdamW: Adam's moments of the raw gradient g, and decoupled decay:
     * p -= lr wd p + lr (m / bc1) / (sqrt(v / bc2) + eps), both terms from the old p. */
    void (*adamw_update)(float *p, const float *g, float *m, float *v, size_t n, float lr, float b1,
                         float b2, float eps, float bc1, float bc2, float wd);

    /* ---- 2-D convolution and max-pooling, NCHW (src/kernels/conv_*.c) ----
     * Convolution: stride 1, 'same' zero padding of k / 2 on every side, odd kernel size k >= 1
     * (even k is not supported), cross-correlation as in PyTorch's Conv2d. Images are processed in
     * small groups whose size depends on the shape only (H W, never B): im2col of a group into the
     * workspace, then this table's GEMM (so each ISA's speed is mostly its GEMM's). Any B, Cin, Cout, H, W >= 1 (1 x 1 and 1-pixel-wide images included, k may exceed
     * them). Single-threaded, reentrant, allocation-free. work: at least
     * evo_kernels_conv_work_floats(Cin, H, W, Cout, k) floats, the same for the three forms. */
    /* out[B,Cout,H,W] = act(conv(x[B,Cin,H,W], w[Cout,Cin,k,k]) + b[Cout]); b may be NULL; act as
     * dense_forward (relu, tanh, sigmoid or identity). out is never read. */
    void (*conv2d_forward)(float *out, const float *x, const float *w, const float *b, size_t B,
                           size_t Cin, size_t H, size_t W, size_t Cout, size_t k, int act,
                           float *work);
    /* dw[Cout,Cin,k,k] += d loss / d w, db[Cout] += sums of dy per output channel (db may be NULL),
     * from dy[B,Cout,H,W] (the gradient at the convolution's output, before any activation) and
     * x[B,Cin,H,W]. */
    void (*conv2d_backward_weights)(float *dw, float *db, const float *dy, const float *x, size_t B,
                                    size_t Cin, size_t H, size_t W, size_t Cout, size_t k,
                                    float *work);
    /* dx[B,Cin,H,W] = d loss / d x from dy[B,Cout,H,W] and w[Cout,Cin,k,k]; dx is never read. */
    void (*conv2d_backward_input)(float *dx, const float *dy, const float *w, size_t B, size_t Cin,
                                  size_t H, size_t W, size_t Cout, size_t k, float *work);
    /* Max-pooling over 2 x 2 windows, stride 2, per plane: out[B,C,H/2,W/2] (floor): with an odd H
     * (W) the last row (column) of the input belongs to no window; an image of height or width 1
     * pools to an empty output. A window holding a NaN outputs NaN. arg[B,C,H/2,W/2] (NULL: not
     * wanted, as in evaluation) receives each window's first maximum in row-major order (ties go to
     * the first): 0, 1 (top row), 2, 3 (bottom row), or EVO_POOL_ARG_NONE for a window holding a
     * NaN. out and arg are never read. */
    void (*maxpool2_forward)(float *out, uint8_t *arg, const float *x, size_t B, size_t C, size_t H,
                             size_t W);
    /* dx[B,C,H,W] = dy[B,C,H/2,W/2] routed to the position arg[B,C,H/2,W/2] (the forward's) gives
     * each window, 0 everywhere else: the other window positions, a window holding a NaN, and the
     * dropped last row or column of an odd H or W. The forward input is not needed (nor kept). dx
     * is never read. */
    void (*maxpool2_backward)(float *dx, const float *dy, const uint8_t *arg, size_t B, size_t C,
                              size_t H, size_t W);

    /* ---- data held as bytes (src/kernels/vec_*.c) ---- */
    /* out[n] = (float)(((double)in[j] - mean[j]) * recip[j]): a row of bytes standardised as
     * evo_data_rows reads it (src/data/scale.c chooses recip so that this equals the division). In
     * double and with one rounding per step, so every ISA gives the same floats, bit for bit. */
    void (*bytes_standardize)(float *out, const uint8_t *in, const double *mean, const double *recip,
                              size_t n);
};

/* Chooses the table once: EVOTUNE_ISA when set (an unknown name, or an ISA this CPU or OS cannot run,
 * is an error: EVO_EUSAGE naming the variable), else the best the CPU supports. Call at start-up from
 * one thread; later calls return the first call's result. */
int evo_kernels_init(struct evo_error *err);

/* Chooses table `isa` (enum evo_isa) instead, whatever was chosen before: another process's table
 * imposed on this one (the MPI build's ranks run rank 0's, since tables differ in the last bits).
 * Returns EVO_OK, or EVO_EUSAGE when this CPU or OS cannot run it. Call at start-up from one thread,
 * before any kernel runs. */
int evo_kernels_force(int isa, struct evo_error *err);

/* The chosen table (the best supported one if evo_kernels_init was never called). Thread-safe after
 * start-up. */
const struct evo_kernels *evo_kernels(void);

/* The table of a given ISA, or NULL when it was not compiled in (non-x86 build) or this CPU/OS cannot
 * run it. For tests and benchmarks that compare ISAs. */
const struct evo_kernels *evo_kernels_table(int isa);

/* Scratch floats the dense kernels need for an M x K x N problem (packing buffers); the same bound
 * serves all three forms and every ISA. */
size_t evo_kernels_work_floats(size_t M, size_t K, size_t N);

/* Scratch floats the convolution kernels need for one layer (Cin, H, W, Cout, k; independent of the
 * batch size): an im2col buffer of one group of images, a buffer of the group's outputs, the GEMM's
 * packing buffers and a copy of the weights with the bias as an extra column; the same bound serves
 * the three forms and every ISA. SIZE_MAX when the size overflows (an allocation of it fails). */
size_t evo_kernels_conv_work_floats(size_t Cin, size_t H, size_t W, size_t Cout, size_t k);

/* The activations' stored names by enum value ("relu", "tanh", "sigmoid", "leaky_relu", "elu",
 * "gelu"), NULL-terminated: the one list that the activation gene, the results file's enums and the
 * layer table use. */
extern const char *const evo_kernels_activation_names[EVO_ACT_COUNT + 1];

/* Name of an activation (evo_kernels_activation_names, and "identity"). */
const char *evo_kernels_activation_name(int act);

/* Subnormal floats (below 1.2e-38) cost a hundred cycles an operation on x86: a network whose
 * gradients or Adam moments decay into them trains 20x slower (measured on Fashion-MNIST, 784-198-42-10,
 * adam with weight decay: 1.7 s an epoch, then 35 s). evo_kernels_fp_enter makes the calling thread
 * flush them to zero (MXCSR flush-to-zero and denormals-are-zero) and returns the previous state for
 * evo_kernels_fp_leave. Per thread, deterministic: a result still depends only on its inputs. No-ops
 * off x86. */
unsigned evo_kernels_fp_enter(void);
void evo_kernels_fp_leave(unsigned saved);

#endif

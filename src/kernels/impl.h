/* Internal: the variant functions that fill the kernel tables, one set per ISA, declared once by
 * macro so that every variant has exactly the table's signature. gemm_<isa>.c, vec_<isa>.c and
 * conv_<isa>.c define them; dispatch.c assembles the tables. */
#ifndef EVOTUNE_KERNELS_IMPL_H
#define EVOTUNE_KERNELS_IMPL_H
#include "evotune/kernels.h"

#define EVO_DECLARE_GEMM(sfx)                                                                        \
    void evo_gemm_forward_##sfx(float *out, const float *x, const float *w, const float *b,         \
                                size_t M, size_t K, size_t N, int act, float *work);                \
    void evo_gemm_backward_weights_##sfx(float *dw, float *db, const float *dy, const float *x,     \
                                         size_t M, size_t K, size_t N, float *work);                \
    void evo_gemm_backward_input_##sfx(float *dx, const float *dy, const float *w, size_t M,        \
                                       size_t K, size_t N, float *work);

/* Not in the table: the convolutions' GEMM (gemm_driver.h; the SIMD ISAs only, the scalar conv
 * kernels call the scalar forward). c[M,N] = act(a[M,K] . b[K,N]), or c += a . b when accumulate
 * (act then identity), with the same summation order as the forward; a's strips are read in place,
 * never packed: the conv kernels pass the same weights to every group of images, or one image's
 * gradient used once, and repacking them cost more than it saved. */
#define EVO_DECLARE_GEMM_CONV(sfx)                                                                   \
    void evo_gemm_conv_##sfx(float *c, const float *a, const float *b, size_t M, size_t K, size_t N,\
                             int act, int accumulate, float *work);

#define EVO_DECLARE_VEC(sfx)                                                                         \
    void evo_vec_activation_forward_##sfx(float *out, const float *in, size_t n, int act,           \
                                          float alpha);                                             \
    void evo_vec_activation_backward_##sfx(float *din, const float *dout, const float *out,         \
                                           const float *pre, size_t n, int act, float alpha);       \
    double evo_vec_softmax_xent_forward_##sfx(float *probs, size_t *correct, const float *logits,   \
                                              const int32_t *y, size_t B, size_t C);                \
    void evo_vec_softmax_xent_backward_##sfx(float *dlogits, const float *probs, const int32_t *y,  \
                                             size_t B, size_t C);                                   \
    void evo_vec_mul_##sfx(float *out, const float *a, const float *b, size_t n);                   \
    void evo_vec_sgd_update_##sfx(float *p, const float *g, size_t n, float lr, float decay);       \
    void evo_vec_momentum_update_##sfx(float *p, const float *g, float *m, size_t n, float lr,      \
                                       float mu, float decay);                                      \
    void evo_vec_adam_update_##sfx(float *p, const float *g, float *m, float *v, size_t n, float lr,\
                                   float b1, float b2, float eps, float bc1, float bc2,             \
                                   float decay);                                                    \
    void evo_vec_nesterov_update_##sfx(float *p, const float *g, float *m, size_t n, float lr,      \
                                       float mu, float decay);                                      \
    void evo_vec_rmsprop_update_##sfx(float *p, const float *g, float *v, size_t n, float lr,       \
                                      float rho, float eps, float decay);                           \
    void evo_vec_adamw_update_##sfx(float *p, const float *g, float *m, float *v, size_t n,         \
                                    float lr, float b1, float b2, float eps, float bc1, float bc2,  \
                                    float wd);                                                      \
    void evo_vec_exp_##sfx(float *out, const float *in, size_t n);                                  \
    void evo_vec_tanh_##sfx(float *out, const float *in, size_t n);                                 \
    void evo_vec_bytes_standardize_##sfx(float *out, const uint8_t *in, const double *mean,        \
                                         const double *recip, size_t n);

#define EVO_DECLARE_CONV(sfx)                                                                        \
    void evo_conv_forward_##sfx(float *out, const float *x, const float *w, const float *b, size_t B,\
                                size_t Cin, size_t H, size_t W, size_t Cout, size_t k, int act,     \
                                float *work);                                                       \
    void evo_conv_backward_weights_##sfx(float *dw, float *db, const float *dy, const float *x,     \
                                         size_t B, size_t Cin, size_t H, size_t W, size_t Cout,     \
                                         size_t k, float *work);                                    \
    void evo_conv_backward_input_##sfx(float *dx, const float *dy, const float *w, size_t B,        \
                                       size_t Cin, size_t H, size_t W, size_t Cout, size_t k,       \
                                       float *work);                                                \
    void evo_conv_maxpool2_forward_##sfx(float *out, uint8_t *arg, const float *x, size_t B,        \
                                         size_t C, size_t H, size_t W);                             \
    void evo_conv_maxpool2_backward_##sfx(float *dx, const float *dy, const uint8_t *arg, size_t B, \
                                          size_t C, size_t H, size_t W);

EVO_DECLARE_GEMM(scalar)
EVO_DECLARE_VEC(scalar)
EVO_DECLARE_CONV(scalar)
#if defined(__x86_64__) || defined(_M_X64)
#define EVO_HAVE_X86 1
EVO_DECLARE_GEMM(avx2)
EVO_DECLARE_GEMM_CONV(avx2)
EVO_DECLARE_VEC(avx2)
EVO_DECLARE_CONV(avx2)
EVO_DECLARE_GEMM(avx512)
EVO_DECLARE_GEMM_CONV(avx512)
EVO_DECLARE_VEC(avx512)
EVO_DECLARE_CONV(avx512)
#endif

#endif

/* The convolution and pooling kernels on the AVX-512 GEMM: conv_driver.h compiled with this file's
 * flags (its im2col, col2im and pooling loops vectorise with them; the arithmetic is the GEMM's). */
#include "impl.h"

#define CONV_ISA avx512
/* Pooling's backward is the scalar build's in every table (dispatch.c): compiled with this file's
 * flags, gcc vectorises rows of 7 or 14 windows in a way that ran slower than its scalar code
 * (bench_conv, batch 64: pool1 backward avx512 1838 us, avx2 599 us, scalar 516 us). */
#define CONV_NO_POOL_BACKWARD
#include "conv_driver.h"

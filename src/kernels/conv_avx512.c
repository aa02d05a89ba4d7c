/* The convolution and pooling kernels on the AVX-512 GEMM: conv_driver.h compiled with this file's
 * flags (its im2col, col2im and pooling loops vectorise with them; the arithmetic is the GEMM's). */
#include "impl.h"

#define CONV_ISA avx512
#include "conv_driver.h"

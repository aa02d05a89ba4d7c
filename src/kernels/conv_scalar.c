/* Scalar reference of the convolution and pooling kernels (conv_driver.h on the scalar GEMM), and the
 * workspace bound shared by every ISA. */
#include <stdint.h>
#include "impl.h"

#define CONV_ISA scalar
#include "conv_driver.h"

/* a * b, or SIZE_MAX when it overflows (SIZE_MAX absorbs: any product with it stays SIZE_MAX). */
static size_t mul_sat(size_t a, size_t b)
{
    if (a == SIZE_MAX || b == SIZE_MAX || (b && a > SIZE_MAX / b))
        return SIZE_MAX;
    return a * b;
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

size_t evo_kernels_conv_work_floats(size_t Cin, size_t H, size_t W, size_t Cout, size_t k)
{
    /* conv_layout's parts, each rounded up to 16 floats, checked for overflow. */
    size_t K1 = add_sat(mul_sat(mul_sat(Cin, k), k), 1), GHW = mul_sat(mul_sat(H, W), conv_group(H * W));
    size_t wb = add_sat(mul_sat(Cout, K1), 15), col = add_sat(mul_sat(K1, GHW), 15);
    size_t grp = add_sat(mul_sat(Cout > Cin ? Cout : Cin, GHW), 15);
    size_t gs = add_sat(mul_sat(Cout, K1), 15);
    size_t gemm = evo_kernels_work_floats(Cout, K1, GHW);
    return add_sat(add_sat(add_sat(add_sat(wb, col), grp), gs), gemm);
}

/* Transposes with AVX data movement (8 x 8 blocks of __m256), shared by the GEMM driver (packing B
 * transposed, and A strips) and the conv kernels (an image from NCHW to NHWC). Included by files
 * compiled with AVX2 or AVX-512 flags only; everything here is static. */
#ifndef EVOTUNE_KERNELS_TRANSPOSE_H
#define EVOTUNE_KERNELS_TRANSPOSE_H
#include <immintrin.h>
#include <stddef.h>

/* dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block (AVX data movement, both ISAs). */
static inline __attribute__((always_inline)) void transpose8(float *restrict dst, size_t ldd,
                                                             const float *restrict src, size_t lds)
{
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
}

/* dst[p * ldd + r] = src[r * lds + p] for r < rows, p < cols; rows r in [rows, width) are zeroed. */
static void pack_transpose(float *restrict dst, size_t ldd, size_t width, const float *restrict src,
                           size_t lds, size_t rows, size_t cols)
{
    size_t r = 0;
    for (; r + 8 <= rows; r += 8) {
        size_t p = 0;
        for (; p + 8 <= cols; p += 8)
            transpose8(dst + p * ldd + r, ldd, src + r * lds + p, lds);
        for (; p < cols; p++)
            for (size_t i = 0; i < 8; i++)
                dst[p * ldd + r + i] = src[(r + i) * lds + p];
    }
    for (size_t p = 0; p < cols; p++) {
        for (size_t i = r; i < rows; i++)
            dst[p * ldd + i] = src[i * lds + p];
        for (size_t i = rows; i < width; i++)
            dst[p * ldd + i] = 0.0f;
    }
}

#endif

/* Tests of augment.c on synthetic images with known results: exact integer shifts, mirroring, a
 * quarter turn, zoom 1 as the identity, the blank fill of standardised data, the noise's spread, the
 * ranges transforms are drawn from, and that inactive parameters draw nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "evotune/augment.h"

#define H 8
#define W 10

/* A k x k square of value v with its top-left corner at (r0, c0); 0 elsewhere. */
static void square(float *img, long r0, long c0, long k, float v)
{
    memset(img, 0, H * W * sizeof *img);
    for (long r = r0; r < r0 + k; r++)
        for (long c = c0; c < c0 + k; c++)
            img[r * W + c] = v;
}

static void test_translate_exact(void **state)
{
    (void)state;
    float in[H * W], out[H * W], want[H * W];
    square(in, 3, 4, 2, 5.0f);
    struct evo_augment_transform t = {2.0, -1.0, 0.0, 1.0, 0};
    evo_augment_warp(out, in, H, W, &t);
    square(want, 2, 6, 2, 5.0f); /* two right, one up */
    assert_memory_equal(out, want, sizeof want);

    /* a shift off the edge drops what leaves and fills with blank */
    square(in, 0, 0, 3, 1.0f);
    t = (struct evo_augment_transform){-1.0, -1.0, 0.0, 1.0, 0};
    evo_augment_warp(out, in, H, W, &t);
    square(want, 0, 0, 2, 1.0f);
    assert_memory_equal(out, want, sizeof want);
}

static void test_flip_mirrors(void **state)
{
    (void)state;
    float in[H * W], out[H * W];
    for (size_t i = 0; i < H * W; i++)
        in[i] = (float)i;
    struct evo_augment_transform t = {0.0, 0.0, 0.0, 1.0, 1};
    evo_augment_warp(out, in, H, W, &t);
    for (size_t r = 0; r < H; r++)
        for (size_t c = 0; c < W; c++)
            assert_true(out[r * W + c] == in[r * W + (W - 1 - c)]);
}

static void test_quarter_turn(void **state)
{
    (void)state;
    /* square image, so that a quarter turn maps pixel centres onto pixel centres */
    enum { N = 8 };
    float in[N * N], out[N * N];
    memset(in, 0, sizeof in);
    for (int r = 1; r < 3; r++) /* a 2 x 2 square in the top-right area: rows 1-2, columns 5-6 */
        for (int c = 5; c < 7; c++)
            in[r * N + c] = 3.0f;
    struct evo_augment_transform t = {0.0, 0.0, 90.0, 1.0, 0};
    evo_augment_warp(out, in, N, N, &t);
    /* counter-clockwise as displayed (y down): (r, c) goes to (N - 1 - c, r), so the square lands in
     * rows 1-2, columns 1-2: still a 2 x 2 square of the same value */
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++) {
            float want = r >= 1 && r < 3 && c >= 1 && c < 3 ? 3.0f : 0.0f;
            if (fabsf(out[r * N + c] - want) > 1e-6f)
                fail_msg("pixel (%d, %d): got %g, want %g", r, c, out[r * N + c], want);
        }
    /* four quarter turns are the identity */
    float a[N * N], b[N * N];
    memcpy(a, in, sizeof a);
    for (int k = 0; k < 4; k++) {
        evo_augment_warp(b, a, N, N, &t);
        memcpy(a, b, sizeof a);
    }
    for (int i = 0; i < N * N; i++)
        assert_true(fabsf(a[i] - in[i]) <= 1e-6f);
}

static void test_zoom_one_identity(void **state)
{
    (void)state;
    float in[H * W], out[H * W];
    for (size_t i = 0; i < H * W; i++)
        in[i] = (float)(i % 7) - 2.5f;
    struct evo_augment_transform t = {0.0, 0.0, 0.0, 1.0, 0};
    assert_true(evo_augment_is_identity(&t));
    evo_augment_warp(out, in, H, W, &t);
    assert_memory_equal(out, in, sizeof in);

    /* a zoom about the centre keeps a centred symmetric pattern symmetric and its centre lit */
    float sq[H * W];
    square(sq, 3, 4, 2, 1.0f);
    t.zoom = 2.0;
    evo_augment_warp(out, sq, H, W, &t);
    for (size_t r = 0; r < H; r++)
        for (size_t c = 0; c < W; c++)
            assert_true(fabsf(out[r * W + c] - out[(H - 1 - r) * W + (W - 1 - c)]) <= 1e-6f);
    assert_true(out[3 * W + 4] > 0.5f && out[0] == 0.0f);
}

static void test_standardised_fill(void **state)
{
    (void)state;
    /* Standardised data: the raw image is a square; after a shift, what enters from outside is the
     * blank pixel of its position, (0 - mean) / std, and moved pixels carry their raw value. */
    float mean[H * W], std[H * W], raw[H * W], x[H * W], tmp[2 * H * W];
    for (size_t i = 0; i < H * W; i++) {
        mean[i] = 0.5f + 0.01f * (float)i;
        std[i] = 1.0f + 0.02f * (float)i;
    }
    square(raw, 2, 2, 3, 4.0f);
    for (size_t i = 0; i < H * W; i++)
        x[i] = (raw[i] - mean[i]) / std[i];
    struct evo_augment_params p = {.translate = 3};
    struct evo_rng rng, copy;
    /* find a seed whose draw is a non-zero shift, and replay it */
    struct evo_augment_transform t;
    uint64_t seed = 0;
    do {
        evo_rng_seed(&rng, ++seed, 0, 0, 0);
        copy = rng;
        evo_augment_draw(&t, &p, &rng);
    } while (t.dx == 0 || t.dy == 0);
    float want_raw[H * W];
    evo_augment_warp(want_raw, raw, H, W, &t);
    rng = copy;
    evo_augment_image(x, H, W, &p, mean, std, tmp, &rng);
    for (size_t i = 0; i < H * W; i++) {
        float want = (want_raw[i] - mean[i]) / std[i];
        if (fabsf(x[i] - want) > 1e-5f)
            fail_msg("pixel %zu: got %g, want %g (shift %g, %g)", i, x[i], want, t.dx, t.dy);
    }
}

static void test_noise_std(void **state)
{
    (void)state;
    enum { S = 64 };
    static float x[S * S];
    memset(x, 0, sizeof x);
    struct evo_augment_params p = {.noise = 0.3};
    struct evo_rng rng;
    evo_rng_seed(&rng, 5, 0, 0, 0);
    float tmp[2 * S * S];
    evo_augment_image(x, S, S, &p, NULL, NULL, tmp, &rng);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < S * S; i++) {
        sum += x[i];
        sq += (double)x[i] * x[i];
    }
    double mean = sum / (S * S), sd = sqrt(sq / (S * S) - mean * mean);
    assert_true(fabs(mean) < 0.02);
    assert_true(fabs(sd - 0.3) < 0.015);
}

static void test_draw_ranges(void **state)
{
    (void)state;
    struct evo_augment_params p = {.translate = 2, .rotate = 15.0, .scale = 0.1, .flip = 1};
    struct evo_rng rng;
    evo_rng_seed(&rng, 9, 0, 0, 0);
    int seen[5] = {0}, flips = 0;
    double amin = 1e9, amax = -1e9;
    for (int k = 0; k < 2000; k++) {
        struct evo_augment_transform t;
        evo_augment_draw(&t, &p, &rng);
        assert_true(t.dx == nearbyint(t.dx) && t.dx >= -2 && t.dx <= 2);
        assert_true(t.dy == nearbyint(t.dy) && t.dy >= -2 && t.dy <= 2);
        seen[(int)t.dx + 2]++;
        assert_true(t.angle >= -15.0 && t.angle <= 15.0);
        assert_true(t.zoom >= 0.9 && t.zoom <= 1.1);
        amin = fmin(amin, t.angle);
        amax = fmax(amax, t.angle);
        flips += t.flip;
    }
    for (int k = 0; k < 5; k++)
        assert_true(seen[k] > 300);
    assert_true(amin < -14.0 && amax > 14.0);
    assert_true(flips > 900 && flips < 1100);
}

static void test_off_draws_nothing(void **state)
{
    (void)state;
    struct evo_augment_params p = {0};
    assert_false(evo_augment_active(&p));
    float x[H * W], before[H * W], tmp[2 * H * W];
    for (size_t i = 0; i < H * W; i++)
        x[i] = before[i] = (float)i * 0.37f;
    struct evo_rng rng, copy;
    evo_rng_seed(&rng, 3, 0, 0, 0);
    copy = rng;
    evo_augment_image(x, H, W, &p, NULL, NULL, tmp, &rng);
    assert_memory_equal(x, before, sizeof x);
    assert_memory_equal(&rng, &copy, sizeof rng);
    /* only the active parts draw: translation alone draws two integers */
    p.translate = 1;
    struct evo_augment_transform t;
    evo_augment_draw(&t, &p, &rng);
    evo_rng_below(&copy, 3);
    evo_rng_below(&copy, 3);
    assert_memory_equal(&rng, &copy, sizeof rng);
    assert_true(evo_augment_active(&p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translate_exact),
        cmocka_unit_test(test_flip_mirrors),
        cmocka_unit_test(test_quarter_turn),
        cmocka_unit_test(test_zoom_one_identity),
        cmocka_unit_test(test_standardised_fill),
        cmocka_unit_test(test_noise_std),
        cmocka_unit_test(test_draw_ranges),
        cmocka_unit_test(test_off_draws_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Image augmentation: drawing a random affine transform (shift, rotation, zoom, mirror), applying it
 * by bilinear resampling in raw pixel units, and Gaussian noise in standardised units. The trainer
 * calls evo_augment_image on each row of a gathered training batch. */
#include "evotune/augment.h"
#include <math.h>

#define PI 3.14159265358979323846

int evo_augment_active(const struct evo_augment_params *p)
{
    return p->translate > 0 || p->rotate > 0 || p->scale > 0 || p->flip || p->noise > 0;
}

static int geometric(const struct evo_augment_params *p)
{
    return p->translate > 0 || p->rotate > 0 || p->scale > 0 || p->flip;
}

void evo_augment_draw(struct evo_augment_transform *t, const struct evo_augment_params *p,
                      struct evo_rng *rng)
{
    t->dx = t->dy = 0.0;
    t->angle = 0.0;
    t->zoom = 1.0;
    t->flip = 0;
    if (p->translate > 0) {
        uint64_t span = 2 * (uint64_t)p->translate + 1;
        t->dx = (double)evo_rng_below(rng, span) - p->translate;
        t->dy = (double)evo_rng_below(rng, span) - p->translate;
    }
    if (p->rotate > 0)
        t->angle = p->rotate * (2.0 * evo_rng_uniform(rng) - 1.0);
    if (p->scale > 0)
        t->zoom = 1.0 + p->scale * (2.0 * evo_rng_uniform(rng) - 1.0);
    if (p->flip)
        t->flip = (int)(evo_rng_next(rng) >> 63);
}

int evo_augment_is_identity(const struct evo_augment_transform *t)
{
    return t->dx == 0 && t->dy == 0 && t->angle == 0 && t->zoom == 1 && !t->flip;
}

static float pixel(const float *in, size_t h, size_t w, long y, long x)
{
    return y >= 0 && x >= 0 && (size_t)y < h && (size_t)x < w ? in[(size_t)y * w + (size_t)x] : 0.0f;
}

void evo_augment_warp(float *out, const float *in, size_t h, size_t w,
                      const struct evo_augment_transform *t)
{
    /* Inverse map from output to input, about the centre; cos and sin of exact multiples of 90
     * degrees are rounded so that such rotations move whole pixels. */
    double a = t->angle * (PI / 180.0);
    double c = cos(a), s = sin(a);
    c = fabs(c) < 1e-12 ? 0.0 : c;
    s = fabs(s) < 1e-12 ? 0.0 : s;
    double inv = 1.0 / t->zoom, cy = 0.5 * (double)(h - 1), cx = 0.5 * (double)(w - 1);
    for (size_t r = 0; r < h; r++) {
        for (size_t col = 0; col < w; col++) {
            double px = (double)col - cx - t->dx, py = (double)r - cy - t->dy;
            /* rotating the content by +angle (counter-clockwise with y down) means sampling at the
             * point rotated by -angle */
            double qx = (c * px - s * py) * inv, qy = (s * px + c * py) * inv;
            if (t->flip)
                qx = -qx;
            double sx = qx + cx, sy = qy + cy;
            double fx0 = floor(sx), fy0 = floor(sy);
            double fx = sx - fx0, fy = sy - fy0;
            long x0 = (long)fx0, y0 = (long)fy0;
            /* exact reads at whole-pixel positions: the zero-weight neighbours are not touched */
            double v = (1 - fy) * ((1 - fx) * pixel(in, h, w, y0, x0) +
                                   (fx > 0 ? fx * pixel(in, h, w, y0, x0 + 1) : 0.0));
            if (fy > 0)
                v += fy * ((1 - fx) * pixel(in, h, w, y0 + 1, x0) +
                           (fx > 0 ? fx * pixel(in, h, w, y0 + 1, x0 + 1) : 0.0));
            out[r * w + col] = (float)v;
        }
    }
}

void evo_augment_image(float *x, size_t h, size_t w, const struct evo_augment_params *p,
                       const float *mean, const float *std, float *tmp, struct evo_rng *rng)
{
    size_t n = h * w;
    if (geometric(p)) {
        struct evo_augment_transform t;
        evo_augment_draw(&t, p, rng);
        if (!evo_augment_is_identity(&t)) {
            /* Resampling mixes neighbouring pixels, whose standardisations differ, so it works in
             * raw units, where outside the image is simply a blank pixel (0). */
            float *raw = tmp, *warped = tmp + n;
            for (size_t i = 0; i < n; i++)
                raw[i] = mean ? x[i] * std[i] + mean[i] : x[i];
            evo_augment_warp(warped, raw, h, w, &t);
            for (size_t i = 0; i < n; i++)
                x[i] = mean ? (float)(((double)warped[i] - mean[i]) / std[i]) : warped[i];
        }
    }
    if (p->noise > 0)
        for (size_t i = 0; i < n; i++)
            x[i] += (float)(p->noise * evo_rng_normal(rng));
}

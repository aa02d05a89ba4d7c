/* Data augmentation of single-channel images for training batches: random integer translation,
 * rotation, zoom and horizontal flip (one affine map per image, bilinear resampling) and Gaussian
 * noise. Works on one row of a gathered batch at a time, in place, with caller-owned scratch; draws
 * come from the caller's stream, so an augmented epoch is deterministic under it. */
#ifndef EVOTUNE_AUGMENT_H
#define EVOTUNE_AUGMENT_H
#include <stddef.h>
#include "evotune/rng.h"

/* Ranges the random transform of each image is drawn from; a zeroed struct is no augmentation. */
struct evo_augment_params {
    int translate;  /* max shift in pixels: dx, dy each uniform over the integers [-translate, translate] */
    double rotate;  /* max rotation in degrees: angle uniform in [-rotate, rotate] */
    double scale;   /* max relative zoom: factor uniform in [1 - scale, 1 + scale], > 1 enlarges */
    int flip;       /* 1: mirror left-right with probability 1/2 */
    double noise;   /* std of Gaussian noise added to every pixel, in standardised units */
};

/* One drawn transform. Output pixel p (x right, y down, about the image centre) shows the input at
 * F^-1 (R(-angle) (p - t) / zoom), F the mirror when flip: the content is mirrored, zoomed, rotated
 * (positive angle: counter-clockwise as displayed) and shifted by t = (dx, dy). */
struct evo_augment_transform {
    double dx, dy;  /* shift in pixels, +dx right, +dy down */
    double angle;   /* degrees */
    double zoom;    /* 1: no zoom */
    int flip;
};

/* 1 when p changes anything (some range non-zero), else 0: then the trainer draws nothing. */
int evo_augment_active(const struct evo_augment_params *p);

/* Draws a transform from p: dx, dy, angle, zoom, flip, in this order, each only when its range is
 * non-zero (so an inactive part consumes no draws). */
void evo_augment_draw(struct evo_augment_transform *t, const struct evo_augment_params *p,
                      struct evo_rng *rng);

/* 1 when t maps every pixel to itself. */
int evo_augment_is_identity(const struct evo_augment_transform *t);

/* Resamples in[h, w] through t into out[h, w] (out != in) by bilinear interpolation; samples outside
 * the image read 0. Values are in raw pixel units (0 = blank). An integer shift without rotation,
 * zoom or flip moves pixels exactly. */
void evo_augment_warp(float *out, const float *in, size_t h, size_t w,
                      const struct evo_augment_transform *t);

/* Augments one standardised image x[h * w] in place: when the geometric part of p is active, draws
 * a transform, turns x back into raw units (x * std + mean), warps it (outside: a blank, 0, pixel)
 * and standardises the result again; then adds N(0, noise^2) to every pixel. mean and std [h * w]
 * are the standardisation applied to the data (NULL: x is raw). tmp holds 2 * h * w floats of
 * scratch. Reentrant; allocates nothing. */
void evo_augment_image(float *x, size_t h, size_t w, const struct evo_augment_params *p,
                       const float *mean, const float *std, float *tmp, struct evo_rng *rng);

#endif

/* The report's SVG kit (svg.c): HTML escaping, linear and log axes with nice ticks, plot frames and
 * empty plots, legend entries, colour ramps and densities (trials counted per cell of a grid, drawn as
 * shaded strokes). It knows nothing of results files or trials: the sections give it numbers and text.
 * Every function writes to the FILE it is given and keeps no state; thread-safe for distinct files. */
#ifndef EVOTUNE_REPORT_SVG_H
#define EVOTUNE_REPORT_SVG_H
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#define MAX_TICKS 16  /* ticks of an axis at most: the size of the array evo_svg_ticks fills */

/* colours the sections share */
#define ACCENT "#e6550d"
#define FAIL "#d62728"
#define TOP_FILL "#fd8d3c"  /* the best trials drawn over a density */

/* Writes s with & < > " ' escaped (nothing for NULL). */
void evo_svg_esc(FILE *f, const char *s);

/* Tick labels: %g, or scientific for every tick of an axis that goes below 1e-3 (expo), with short
 * exponents and mantissas ("1e-5", "2.5e-4", not "1e-05"). */
void evo_svg_fmt_tick(char *buf, size_t n, double v, int expo);

/* "#rrggbb" at t in [0, 1] (clamped; NaN is 0) of a ramp: light (early, low) to dark blue (late,
 * high), for dots and lines; white to blue, for the cells of a matrix. */
void evo_svg_blues(char *buf, size_t n, double t);
void evo_svg_heat(char *buf, size_t n, double t);

/* Deterministic jitter in [-0.5, 0.5) from a trial's id (splitmix64 finaliser). */
double evo_svg_jitter(double id, unsigned salt);

struct axis {
    double lo, hi;  /* data domain */
    int log;
    double p0, p1;  /* pixel positions of lo and hi */
};

/* The pixel position of v on a (the middle when a's domain gives none; the p0 end for v <= 0 on a
 * log axis). */
static inline double ax_pos(const struct axis *a, double v)
{
    double t;
    if (a->log)
        t = v > 0 ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : 0;
    else
        t = (v - a->lo) / (a->hi - a->lo);
    if (!isfinite(t))
        t = 0.5;
    return a->p0 + t * (a->p1 - a->p0);
}

/* Sets a's domain to cover [lo, hi]: widened to whole tick steps on a linear axis, as is on a log
 * axis; a single value gets a margin either side. */
void evo_svg_axis_domain(struct axis *a, double lo, double hi, int log, int integer);

/* Ticks of a into t[MAX_TICKS]: the given values when there are some (the few values an integer gene
 * takes), else nice ones. Returns their count; *expo says whether to label them in scientific
 * notation. */
size_t evo_svg_ticks(const struct axis *a, int integer, const double *given, size_t n_given, double *t,
                     int *expo);

/* A plot area: the frame [x0, x1] x [y0, y1] in pixels. */
struct area {
    double x0, y0, x1, y1;
};

/* Opens <svg id="<id><id_suffix>" class="plot"> of w x h pixels with an aria label. */
void evo_svg_open(FILE *f, const char *id, const char *id_suffix, double w, double h, const char *label);

/* An empty plot, whole (opened and closed): a dashed frame with a message in the middle. */
void evo_svg_empty(FILE *f, const char *id, double w, double h, const char *message);

/* Places x and y axes in area A, pad pixels in from its edges (y upwards). */
void evo_svg_inset_axes(const struct area *A, struct axis *xa, struct axis *ya, double pad);

void evo_svg_frame(FILE *f, const struct area *A);

/* An axis's grid lines and tick labels (the given ticks, or nice ones: evo_svg_ticks), and its label
 * when not NULL ("(log)" added on a log axis): along the bottom of A, along its left side. */
void evo_svg_xaxis(FILE *f, const struct area *A, const struct axis *a, int integer, const char *label,
                   const double *given, size_t n_given);
void evo_svg_yaxis(FILE *f, const struct area *A, const struct axis *a, int integer, const char *label);

/* A legend entry at (x, y): a swatch ("line", "dash", "band", "dot", "cross", a ring for any other
 * kind, or "cells": a density's shades, color unused) and its text; returns the x where the next
 * entry goes. */
double evo_svg_legend_item(FILE *f, double x, double y, const char *kind, const char *color, const char *text);

/* Trials counted per cell of a grid laid over a plot's frame, the successful and the failed apart:
 * what a plot of thousands of trials draws instead of a mark each. */
struct density {
    int x0, y0;       /* the top left corner of cell (0, 0), pixels */
    int cols, rows;
    unsigned *ok, *fail;  /* [rows * cols] trials per cell */
};

/* A grid over A's frame, every cell empty (heap; out of memory aborts); evo_svg_density_release
 * frees it. */
void evo_svg_density_init(struct density *d, const struct area *A);
void evo_svg_density_release(struct density *d);

/* Counts a trial at (x, y) in the cell under it (the nearest one when it lies outside the grid; not
 * at all when x or y is not finite). */
void evo_svg_density_add(struct density *d, double x, double y, int ok);

/* Draws the cells: one path per shade level (and per successful and failed), each row's runs of
 * cells of that level as strokes one cell thick, titled with the counts they stand for. */
void evo_svg_density_draw(FILE *f, const struct density *d);

/* Three cells of rising shade at (x, y), 18 x 10 pixels: a density in a legend. */
void evo_svg_density_swatch(FILE *f, double x, double y);

#endif

/* The report's SVG kit: HTML escaping, axes (linear and log, nice ticks, compact labels), plot frames,
 * legends, colour ramps and densities, the pieces every plot of the report is drawn with. Knows nothing
 * of results files or trials; svg.h documents each piece. */
#include "svg.h"
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"

#define DENSITY_CELL 6      /* side of a density's cells, pixels */
#define DENSITY_LEVELS 6    /* shades of a density, from one trial per cell to the plot's fullest */

/* ---- text ---------------------------------------------------------------------------------------- */

void evo_svg_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void evo_svg_fmt_tick(char *buf, size_t n, double v, int expo)
{
    if (fabs(v) < 1e-12)
        v = 0;
    snprintf(buf, n, expo && v != 0 ? "%.3e" : "%g", v);
    char *e = strchr(buf, 'e');
    if (e && expo && strchr(buf, '.')) {  /* "2.500e-04": drop the mantissa's trailing zeros */
        char *z = e;
        while (z[-1] == '0')
            z--;
        if (z[-1] == '.')
            z--;
        memmove(z, e, strlen(e) + 1);
        e = z;
    }
    if (e) {
        char *p = e + 1;
        int neg = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        while (*p == '0' && p[1])
            p++;
        memmove(e + 1 + neg, p, strlen(p) + 1);
    }
}

/* ---- colours ------------------------------------------------------------------------------------- */

static void ramp(char *buf, size_t n, double t, const unsigned char (*stops)[3], int n_stops)
{
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    double x = t * (n_stops - 1);
    int k = (int)x;
    if (k >= n_stops - 1)
        k = n_stops - 2;
    double u = x - k;
    int c[3];
    for (int j = 0; j < 3; j++)
        c[j] = (int)lround(stops[k][j] + u * (stops[k + 1][j] - stops[k][j]));
    snprintf(buf, n, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* light (early, low) to dark blue (late, high): YlGnBu without its yellow end */
static const unsigned char BLUES[][3] = {{199, 233, 180}, {65, 182, 196}, {34, 94, 168}, {8, 29, 88}};

static const unsigned char HEAT[][3] = {{247, 251, 255}, {158, 202, 225}, {49, 130, 189}, {8, 48, 107}};
static const unsigned char REDS[][3] = {{252, 187, 161}, {239, 59, 44}, {103, 0, 13}};

void evo_svg_blues(char *buf, size_t n, double t)
{
    ramp(buf, n, t, BLUES, 4);
}

void evo_svg_heat(char *buf, size_t n, double t)
{
    ramp(buf, n, t, HEAT, 4);
}

double evo_svg_jitter(double id, unsigned salt)
{
    uint64_t z = (uint64_t)(int64_t)id * 0x9e3779b97f4a7c15u + salt * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0 - 0.5;
}

/* ---- axes ---------------------------------------------------------------------------------------- */

static double nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double e = pow(10, floor(log10(raw))), m = raw / e;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * e;
}

void evo_svg_axis_domain(struct axis *a, double lo, double hi, int log, int integer)
{
    if (!isfinite(lo) || !isfinite(hi) || lo > hi) {
        lo = 0;
        hi = 1;
    }
    a->log = log && lo > 0;
    if (a->log) {
        if (hi / lo < 1.0001) {
            lo /= 2;
            hi *= 2;
        }
        a->lo = lo;
        a->hi = hi;
        return;
    }
    if (hi - lo < 1e-12 * fmax(1, fabs(hi))) {
        double pad = integer ? 1 : fmax(fabs(hi) * 0.1, 0.05);
        lo -= pad;
        hi += pad;
    }
    double step = nice_step((hi - lo) / 5);
    if (integer && step < 1)
        step = 1;
    a->lo = floor(lo / step + 1e-9) * step;
    a->hi = ceil(hi / step - 1e-9) * step;
}

static size_t axis_ticks(const struct axis *a, int integer, double *t)
{
    size_t n = 0;
    if (a->log) {
        double l0 = log10(a->lo), l1 = log10(a->hi);
        int d0 = (int)ceil(l0 - 1e-9), d1 = (int)floor(l1 + 1e-9);
        if (d1 - d0 >= 2) {
            int every = (d1 - d0) / 6 + 1;
            for (int d = d0; d <= d1 && n < MAX_TICKS; d += every)
                t[n++] = pow(10, d);
            return n;
        }
        static const double mant[] = {1, 2, 5};
        for (int d = (int)floor(l0); d <= (int)ceil(l1); d++)
            for (int k = 0; k < 3 && n < MAX_TICKS; k++) {
                double v = mant[k] * pow(10, d);
                if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9))
                    t[n++] = v;
            }
        if (n >= 2)
            return n;
        n = 0;
    }
    double step = nice_step((a->hi - a->lo) / 5);
    if (integer && step < 1)
        step = 1;
    double first = ceil(a->lo / step - 1e-9) * step;
    for (int k = 0; n < MAX_TICKS; k++) {
        double v = first + k * step;
        if (v > a->hi + step * 1e-9)
            break;
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    }
    return n;
}

void evo_svg_open(FILE *f, const char *id, const char *id_suffix, double w, double h, const char *label)
{
    fprintf(f, "<svg id=\"");
    evo_svg_esc(f, id);
    evo_svg_esc(f, id_suffix);
    fprintf(f, "\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", w, h, w, h);
    evo_svg_esc(f, label);
    fprintf(f, "\">\n");
}

void evo_svg_empty(FILE *f, const char *id, double w, double h, const char *message)
{
    evo_svg_open(f, id, "", w, h, message);
    fprintf(f, "<rect class=\"empty\" x=\"1\" y=\"1\" width=\"%.0f\" height=\"%.0f\" rx=\"8\"/>"
               "<text class=\"msg\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", w - 2, h - 2, w / 2, h / 2 + 4);
    evo_svg_esc(f, message);
    fprintf(f, "</text></svg>\n");
}

void evo_svg_inset_axes(const struct area *A, struct axis *xa, struct axis *ya, double pad)
{
    xa->p0 = A->x0 + pad;
    xa->p1 = A->x1 - pad;
    ya->p0 = A->y1 - pad;
    ya->p1 = A->y0 + pad;
}

void evo_svg_frame(FILE *f, const struct area *A)
{
    fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", A->x0, A->y0,
            A->x1 - A->x0, A->y1 - A->y0);
}

size_t evo_svg_ticks(const struct axis *a, int integer, const double *given, size_t n_given, double *t,
                     int *expo)
{
    size_t n = n_given;
    if (n_given)
        memcpy(t, given, n_given * sizeof *t);
    else
        n = axis_ticks(a, integer, t);
    *expo = a->log && n && t[0] < 1e-3;
    return n;
}

/* The grid lines and tick labels of a across A: upright lines labelled under A for an x axis (x 1),
 * level ones labelled on A's left for a y axis (x 0). */
static void draw_ticks(FILE *f, const struct area *A, const struct axis *a, int x, int integer, const double *given,
                       size_t n_given)
{
    double t[MAX_TICKS];
    int expo;
    size_t n = evo_svg_ticks(a, integer, given, n_given, t, &expo);
    char buf[48];
    for (size_t i = 0; i < n; i++) {
        double p = ax_pos(a, t[i]);
        evo_svg_fmt_tick(buf, sizeof buf, t[i], expo);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
                x ? p : A->x0, x ? A->y0 : p, x ? p : A->x1, x ? A->y1 : p, x ? p : A->x0 - 6, x ? A->y1 + 15 : p + 4,
                x ? "middle" : "end", buf);
    }
}

void evo_svg_xaxis(FILE *f, const struct area *A, const struct axis *a, int integer, const char *label,
                   const double *given, size_t n_given)
{
    draw_ticks(f, A, a, 1, integer, given, n_given);
    if (label) {
        fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (A->x0 + A->x1) / 2,
                A->y1 + 32);
        evo_svg_esc(f, label);
        fprintf(f, "%s</text>\n", a->log ? " (log)" : "");
    }
}

void evo_svg_yaxis(FILE *f, const struct area *A, const struct axis *a, int integer, const char *label)
{
    draw_ticks(f, A, a, 0, integer, NULL, 0);
    if (label) {
        double cy = (A->y0 + A->y1) / 2;
        fprintf(f, "<text class=\"label\" x=\"12\" y=\"%.1f\" text-anchor=\"middle\" "
                   "transform=\"rotate(-90 12 %.1f)\">", cy, cy);
        evo_svg_esc(f, label);
        fprintf(f, "</text>\n");
    }
}

/* ---- densities ----------------------------------------------------------------------------------- */

/* The colour of a density's shade level (1 .. DENSITY_LEVELS): light to dark blue, red for failed. */
static void density_color(char *buf, size_t n, int level, int failed)
{
    double t = 0.2 + 0.8 * (level - 1) / (DENSITY_LEVELS - 1);
    if (failed)
        ramp(buf, n, t, REDS, 3);
    else
        ramp(buf, n, t, HEAT, 4);
}

void evo_svg_density_swatch(FILE *f, double x, double y)
{
    char color[16];
    for (int k = 0; k < 3; k++) {
        density_color(color, sizeof color, 1 + k * (DENSITY_LEVELS - 1) / 2, 0);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"10\" fill=\"%s\"/>", x + 6 * k, y, color);
    }
}

void evo_svg_density_init(struct density *d, const struct area *A)
{
    d->x0 = (int)floor(A->x0);
    d->y0 = (int)floor(A->y0);
    d->cols = (int)ceil((A->x1 - d->x0) / DENSITY_CELL);
    d->rows = (int)ceil((A->y1 - d->y0) / DENSITY_CELL);
    size_t cells = evo_mem_mul((size_t)d->cols, (size_t)d->rows);
    d->ok = evo_mem_calloc(cells, sizeof *d->ok);
    d->fail = evo_mem_calloc(cells, sizeof *d->fail);
}

void evo_svg_density_release(struct density *d)
{
    free(d->ok);
    free(d->fail);
}

void evo_svg_density_add(struct density *d, double x, double y, int ok)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    double c = floor((x - d->x0) / DENSITY_CELL), r = floor((y - d->y0) / DENSITY_CELL);
    c = c < 0 ? 0 : c > d->cols - 1 ? d->cols - 1 : c;
    r = r < 0 ? 0 : r > d->rows - 1 ? d->rows - 1 : r;
    (ok ? d->ok : d->fail)[(size_t)r * (size_t)d->cols + (size_t)c]++;
}

/* The shade level of a cell of count c when the fullest holds max: 0 for none, else 1 ..
 * DENSITY_LEVELS by the square root of c / max, which tells the crowded cells apart better than a log
 * scale while a lone trial (level 1) stays visible. */
static int density_level(unsigned c, unsigned max)
{
    if (!c)
        return 0;
    int level = (int)ceil(DENSITY_LEVELS * sqrt((double)c / (double)max) - 1e-9);
    return level < 1 ? 1 : level > DENSITY_LEVELS ? DENSITY_LEVELS : level;
}

void evo_svg_density_draw(FILE *f, const struct density *d)
{
    size_t cells = (size_t)d->cols * (size_t)d->rows;
    char color[16];
    for (int failed = 0; failed < 2; failed++) {
        const unsigned *cnt = failed ? d->fail : d->ok;
        unsigned max = 0;
        for (size_t k = 0; k < cells; k++)
            max = cnt[k] > max ? cnt[k] : max;
        for (int level = 1; level <= DENSITY_LEVELS; level++) {
            unsigned lo = UINT_MAX, hi = 0;
            for (int r = 0; r < d->rows; r++) {
                const unsigned *row = cnt + (size_t)r * (size_t)d->cols;
                for (int c = 0; c < d->cols; c++) {
                    if (density_level(row[c], max) != level)
                        continue;
                    int end = c;
                    while (end + 1 < d->cols && density_level(row[end + 1], max) == level)
                        end++;
                    if (hi == 0) {
                        density_color(color, sizeof color, level, failed);
                        fprintf(f, "<path class=\"density%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" "
                                   "shape-rendering=\"crispEdges\" d=\"", failed ? " fail" : "", color, DENSITY_CELL);
                    }
                    for (int k = c; k <= end; k++) {
                        lo = row[k] < lo ? row[k] : lo;
                        hi = row[k] > hi ? row[k] : hi;
                    }
                    fprintf(f, "M%d %dh%d", d->x0 + c * DENSITY_CELL, d->y0 + r * DENSITY_CELL + DENSITY_CELL / 2,
                            (end - c + 1) * DENSITY_CELL);
                    c = end;
                }
            }
            if (hi == 0)
                continue;
            fprintf(f, "\"><title>");
            if (lo == hi)
                fprintf(f, "%u", lo);
            else
                fprintf(f, "%u to %u", lo, hi);
            fprintf(f, " %strial%s per cell</title></path>\n", failed ? "failed " : "", hi == 1 ? "" : "s");
        }
    }
}

double evo_svg_legend_item(FILE *f, double x, double y, const char *kind, const char *color, const char *text)
{
    if (!strcmp(kind, "line"))
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>",
                x, y, x + 18, y, color);
    else if (!strcmp(kind, "dash"))
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
                   "stroke-dasharray=\"4 3\"/>", x, y, x + 18, y, color);
    else if (!strcmp(kind, "band"))
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" fill=\"%s\" fill-opacity=\"0.18\"/>",
                x, y - 5, color);
    else if (!strcmp(kind, "dot"))
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", x + 9, y, color);
    else if (!strcmp(kind, "cross"))
        fprintf(f, "<path d=\"M%.1f %.1fl6 6m0 -6l-6 6\" stroke=\"%s\" stroke-width=\"1.8\"/>", x + 6, y - 3, color);
    else if (!strcmp(kind, "cells"))
        evo_svg_density_swatch(f, x, y - 5);
    else
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                x + 9, y, color);
    fprintf(f, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", x + 24, y + 4);
    evo_svg_esc(f, text);
    fprintf(f, "</text>\n");
    return x + 24 + 6.5 * (double)strlen(text) + 18;
}

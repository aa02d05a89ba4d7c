/* The HTML report of a results file: one self-contained page, inline CSS and SVG, no script. Owns the
 * page layout, the small SVG plotting kit (linear/log axes with nice ticks, colour ramps) and the
 * choice of what each section shows for a running, interrupted or finished run of each strategy
 * (generational: per generation; steady_state and random: over trials and over running time), and of
 * how much: past a few hundred trials a plot draws a density of them and only the best one by one,
 * so that the page stays a few megabytes at any size of run.
 * Everything taken from the file (names, paths, config text) goes through esc(). */
#include "evotune/report.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/config.h"
#include "evotune/file.h"
#include "evotune/genome.h"
#include "evotune/mem.h"
#include "evotune/progress.h"

#define TOP_PARALLEL 20          /* trials in the parallel-coordinates view */
#define TOP_TABLE 10             /* rows of the top table */
#define TOP_CURVES 5             /* trials whose learning curves are drawn */
#define ANCESTRY_GENERATIONS 10  /* generations (lineage depths) of ancestry shown, the best's included */
#define ANCESTRY_WIDTH 14        /* ancestors shown per generation */
#define MAX_GENES 64
#define MAX_TICKS 16
/* How many trials a plot draws one by one: beyond these counts of a run's search rows, the trials
 * are a density (cells shaded by how many fall in each) under the best TOP_DOTS drawn as dots, so
 * that a report of 100 000 trials is a few megabytes that a browser opens, not gigabytes. */
#define DOTS_GENE_MAX 500   /* each gene plot (about fifty of them, 370 x 260 pixels) */
#define DOTS_WIDE_MAX 1000  /* each wide plot: fitness per generation, over trials, over time, budget */
#define TOP_DOTS 50         /* trials still drawn as dots over a density: the best by the run's order */
#define DENSITY_CELL 6      /* side of a density's cells, pixels */
#define DENSITY_LEVELS 6    /* shades of a density, from one trial per cell to the plot's fullest */
#define GEN_MARKS_MAX 200   /* generations whose best and mean each get a hover dot */
#define GEN_POINTS_MAX 1000 /* points of the per-generation lines: more generations are merged */

/* columns of /individuals that are not genes (the promotion and finalist bookkeeping of formats 8 and 9
 * included: an id, a rung, a flag, not a hyperparameter to plot against fitness) */
static const char *const NON_GENES[] = {"generation", "id", "parent_a", "parent_b", "fitness",
                                        "val_accuracy", "val_loss", "val_macro_f1", "val_log_loss",
                                        "val_rmse", "val_mae", "val_r2", "train_loss", "epochs_run",
                                        "train_seconds", "finished_at", "status", "rung", "budget",
                                        "from_epoch", "origin", "paused", "purpose"};

/* The fitness's name for notes: the file's, or accuracy for files from before it was a choice. */
static const char *r_fitness_name(const struct evo_results *r)
{
    return r->fitness ? r->fitness : "accuracy";
}

struct gene {
    const struct evo_column *col;
    int log;        /* drawn on a log axis */
    int fixed;      /* a bare value in the config: one value for every trial */
    int integer;    /* integer column */
    int per_layer;  /* a gene of one hidden layer (neurons_2, dropout_3): absent in smaller networks */
    int few;        /* integer column with at most 12 distinct values: jitter x */
    double lo, hi;  /* finite range over the rows */
    double ticks[8];  /* the values of a few-valued integer gene, ascending: its axis ticks */
    size_t n_ticks;
};

/* How the strategy that wrote the file relates trials, which decides the fitness plots and what a
 * trial's `generation` is called. */
enum kind {
    KIND_GENERATIONAL,  /* generations with a barrier; files from before run.strategy are all this */
    KIND_STEADY,        /* steady_state (or a later strategy that breeds): generation = lineage depth */
    KIND_RANDOM,        /* every trial generation 0, no parents: independent samples (random) or a
                         * model's proposals (tpe) */
};

struct report {
    FILE *f;
    const struct evo_results *r;
    int kind;           /* enum kind */
    const char *depth;  /* what `generation` means: "generation", "depth" (lineage), NULL (random) */
    long max_trials, generations, population;  /* from the stored configuration; 0 when unknown */
    int tpe;  /* written by tpe: plotted as random search (no parents, generation 0), but modelled */
    long tpe_startup, tpe_candidates, tpe_window;  /* from the stored configuration; 0 when unknown */
    double tpe_gamma;
    size_t n;  /* rows of /individuals the search plots draw: the search rows, which the finalist rows
                * follow (0 without a fitness column) */
    const struct evo_column *gen, *id, *pa, *pb, *fit, *val_loss, *secs, *fin, *status;
    double ok_value;  /* status value meaning ok; NAN when there is no status column */
    struct gene genes[MAX_GENES];
    size_t n_genes;
    size_t *order;    /* [n] rows, best first */
    size_t n_ok;      /* successful rows (they come first in order) */
    long best;        /* row of the best trial (/best: the winner's finalist run), -1 when none */
    long mark;        /* the row the search plots mark as the best: best, or the search row it repeats */
    double fit_lo, fit_hi;
    double gen_lo, gen_hi;  /* generations spanned by /individuals and /generations */
    const struct evo_column *shade;  /* what colours a trial's dot: generation, or id for random */
    double shade_lo, shade_hi;
    int dense_genes, dense_wide;  /* more search rows than DOTS_GENE_MAX, DOTS_WIDE_MAX: densities */
    unsigned char *top;  /* [n] 1 + rank of each of the TOP_DOTS best rows, TOP_DOTS + 1 for the marked
                          * best when it is not among them, else 0: the dots kept over a density */
};

/* ---- text ---------------------------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
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

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

static double value(const struct evo_column *c, size_t i)
{
    return c ? c->values[i] : NAN;
}

/* A value as people read it: enum names, integers, floats to 4 significant digits. */
static void fmt_value(char *buf, size_t n, const struct evo_column *c, size_t i)
{
    double v = value(c, i);
    if (c && c->kind == EVO_COLUMN_ENUM && v >= 0 && v < c->n_enum)
        snprintf(buf, n, "%s", c->enum_names[(int)v]);
    else if (!isfinite(v))
        snprintf(buf, n, "%s", isnan(v) ? "\xe2\x80\x93" : v > 0 ? "inf" : "-inf");
    else if (c->kind == EVO_COLUMN_FLOAT)
        snprintf(buf, n, "%.4g", v);
    else
        snprintf(buf, n, "%.0f", v);
}

/* Tick labels: %g, or scientific for every tick of an axis that goes below 1e-3 (expo), with short
 * exponents and mantissas ("1e-5", "2.5e-4", not "1e-05"). */
static void fmt_tick(char *buf, size_t n, double v, int expo)
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
static const char *const PALETTE[] = {"#e6550d", "#3182bd", "#31a354", "#756bb1", "#8c564b",
                                      "#e377c2", "#17becf", "#bcbd22"};
#define ACCENT "#e6550d"
#define FAIL "#d62728"
#define TOP_FILL "#fd8d3c"  /* the best trials drawn over a density */

/* The colour of a dot whose shade column (generation, or id for random search) holds v. */
static void shade_color(const struct report *R, char *buf, size_t n, double v)
{
    double span = R->shade_hi - R->shade_lo;
    ramp(buf, n, span > 0 ? (v - R->shade_lo) / span : 1.0, BLUES, 4);
}

/* Deterministic jitter in [-0.5, 0.5) from a trial's id (splitmix64 finaliser). */
static double jitter(double id, unsigned salt)
{
    uint64_t z = (uint64_t)(int64_t)id * 0x9e3779b97f4a7c15u + salt * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0 - 0.5;
}

/* ---- axes ---------------------------------------------------------------------------------------- */

struct axis {
    double lo, hi;  /* data domain */
    int log;
    double p0, p1;  /* pixel positions of lo and hi */
};

static double ax_pos(const struct axis *a, double v)
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

static double nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double e = pow(10, floor(log10(raw))), m = raw / e;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * e;
}

/* Sets a's domain to cover [lo, hi]: widened to whole tick steps on a linear axis, as is on a log
 * axis; a single value gets a margin either side. */
static void axis_domain(struct axis *a, double lo, double hi, int log, int integer)
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

/* A plot area: the frame [x0, x1] x [y0, y1] in pixels. */
struct area {
    double x0, y0, x1, y1;
};

static void svg_open(FILE *f, const char *id, const char *id_suffix, double w, double h, const char *label)
{
    fprintf(f, "<svg id=\"");
    esc(f, id);
    esc(f, id_suffix);
    fprintf(f, "\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", w, h, w, h);
    esc(f, label);
    fprintf(f, "\">\n");
}

/* An empty plot: a dashed frame with a message in the middle. */
static void svg_empty(FILE *f, const char *id, double w, double h, const char *message)
{
    svg_open(f, id, "", w, h, message);
    fprintf(f, "<rect class=\"empty\" x=\"1\" y=\"1\" width=\"%.0f\" height=\"%.0f\" rx=\"8\"/>"
               "<text class=\"msg\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", w - 2, h - 2, w / 2, h / 2 + 4);
    esc(f, message);
    fprintf(f, "</text></svg>\n");
}

/* Places x and y axes in area A, pad pixels in from its edges (y upwards). */
static void inset_axes(const struct area *A, struct axis *xa, struct axis *ya, double pad)
{
    xa->p0 = A->x0 + pad;
    xa->p1 = A->x1 - pad;
    ya->p0 = A->y1 - pad;
    ya->p1 = A->y0 + pad;
}

static void draw_frame(FILE *f, const struct area *A)
{
    fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", A->x0, A->y0,
            A->x1 - A->x0, A->y1 - A->y0);
}

/* Ticks of a: the given values when there are some (the few values an integer gene takes), else
 * nice ones. Returns their count; *expo says whether to label them in scientific notation. */
static size_t ticks_of(const struct axis *a, int integer, const double *given, size_t n_given, double *t,
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

static void draw_xaxis(FILE *f, const struct area *A, const struct axis *a, int integer, const char *label,
                       const double *given, size_t n_given)
{
    double t[MAX_TICKS];
    int expo;
    size_t n = ticks_of(a, integer, given, n_given, t, &expo);
    char buf[48];
    for (size_t i = 0; i < n; i++) {
        double x = ax_pos(a, t[i]);
        fmt_tick(buf, sizeof buf, t[i], expo);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, A->y0, x, A->y1, x, A->y1 + 15, buf);
    }
    if (label) {
        fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (A->x0 + A->x1) / 2,
                A->y1 + 32);
        esc(f, label);
        fprintf(f, "%s</text>\n", a->log ? " (log)" : "");
    }
}

static void draw_yaxis(FILE *f, const struct area *A, const struct axis *a, int integer, const char *label)
{
    double t[MAX_TICKS];
    int expo;
    size_t n = ticks_of(a, integer, NULL, 0, t, &expo);
    char buf[48];
    for (size_t i = 0; i < n; i++) {
        double y = ax_pos(a, t[i]);
        fmt_tick(buf, sizeof buf, t[i], expo);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                A->x0, y, A->x1, y, A->x0 - 6, y + 4, buf);
    }
    if (label) {
        double cy = (A->y0 + A->y1) / 2;
        fprintf(f, "<text class=\"label\" x=\"12\" y=\"%.1f\" text-anchor=\"middle\" "
                   "transform=\"rotate(-90 12 %.1f)\">", cy, cy);
        esc(f, label);
        fprintf(f, "</text>\n");
    }
}

/* ---- densities ----------------------------------------------------------------------------------- */

/* Trials counted per cell of a grid laid over a plot's frame, the successful and the failed apart:
 * what a plot of thousands of trials draws instead of a mark each. */
struct density {
    int x0, y0;       /* the top left corner of cell (0, 0), pixels */
    int cols, rows;
    unsigned *ok, *fail;  /* [rows * cols] trials per cell */
};

static const unsigned char REDS[][3] = {{252, 187, 161}, {239, 59, 44}, {103, 0, 13}};

/* The colour of a density's shade level (1 .. DENSITY_LEVELS): light to dark blue, red for failed. */
static void density_color(char *buf, size_t n, int level, int failed)
{
    double t = 0.2 + 0.8 * (level - 1) / (DENSITY_LEVELS - 1);
    if (failed)
        ramp(buf, n, t, REDS, 3);
    else
        ramp(buf, n, t, HEAT, 4);
}

/* Three cells of rising shade at (x, y), 18 x 10 pixels: a density in a legend. */
static void density_swatch(FILE *f, double x, double y)
{
    char color[16];
    for (int k = 0; k < 3; k++) {
        density_color(color, sizeof color, 1 + k * (DENSITY_LEVELS - 1) / 2, 0);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"10\" fill=\"%s\"/>", x + 6 * k, y, color);
    }
}

static void density_init(struct density *d, const struct area *A)
{
    d->x0 = (int)floor(A->x0);
    d->y0 = (int)floor(A->y0);
    d->cols = (int)ceil((A->x1 - d->x0) / DENSITY_CELL);
    d->rows = (int)ceil((A->y1 - d->y0) / DENSITY_CELL);
    size_t cells = evo_mem_mul((size_t)d->cols, (size_t)d->rows);
    d->ok = evo_mem_calloc(cells, sizeof *d->ok);
    d->fail = evo_mem_calloc(cells, sizeof *d->fail);
}

static void density_release(struct density *d)
{
    free(d->ok);
    free(d->fail);
}

/* Counts a trial at (x, y) in the cell under it (the nearest one when it lies outside the grid). */
static void density_add(struct density *d, double x, double y, int ok)
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

/* Draws the cells: one path per shade level (and per successful and failed), each row's runs of
 * cells of that level as strokes one cell thick, titled with the counts they stand for. */
static void density_draw(FILE *f, const struct density *d)
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

/* A legend entry at (x, y): a swatch (line, band, dot, cross, ring, or cells: a density's shades,
 * color unused) and its text; returns the x where the next entry goes. */
static double legend_item(FILE *f, double x, double y, const char *kind, const char *color, const char *text)
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
        density_swatch(f, x, y - 5);
    else
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                x + 9, y, color);
    fprintf(f, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", x + 24, y + 4);
    esc(f, text);
    fprintf(f, "</text>\n");
    return x + 24 + 6.5 * (double)strlen(text) + 18;
}

/* ---- the data ------------------------------------------------------------------------------------ */

static int row_ok(const struct report *R, size_t i)
{
    if (!R->status)
        return isfinite(R->fit->values[i]);
    return R->status->values[i] == R->ok_value;
}

struct rank {
    int ok;
    double fit, id;
    size_t row;
};

/* successful before failed, higher fitness, lower id: the writer's order of /best */
static int rank_cmp(const void *pa, const void *pb)
{
    const struct rank *a = pa, *b = pb;
    if (a->ok != b->ok)
        return b->ok - a->ok;
    double fa = isnan(a->fit) ? -INFINITY : a->fit, fb = isnan(b->fit) ? -INFINITY : b->fit;
    if (fa != fb)
        return fa > fb ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static long row_of_id(const struct report *R, double id)
{
    if (!R->id || id < 0)
        return -1;
    size_t lo = 0, hi = R->n;  /* rows are in id order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (R->id->values[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < R->n && R->id->values[lo] == id)
        return (long)lo;
    for (size_t i = 0; i < R->n; i++)  /* not sorted after all */
        if (R->id->values[i] == id)
            return (long)i;
    return -1;
}

/* Whether row value v of gene g is a value: not the mark of a layer the network does not have
 * (0 for widths, NaN for rates; results/README.md), nor otherwise missing. */
static int present(const struct gene *g, double v)
{
    return isfinite(v) && !(g->per_layer && g->integer && v == 0);
}

static int is_gene(const char *name)
{
    for (size_t k = 0; k < sizeof NON_GENES / sizeof *NON_GENES; k++)
        if (!strcmp(name, NON_GENES[k]))
            return 0;
    return 1;
}

/* Whether the search space asks for a log scale for a gene: a log range, or a choice of positive
 * numbers spanning a factor of 4 or more (batch sizes). *fixed is set for a fixed gene. Returns -1
 * without a space (the stored configuration did not load) or for a column that is no gene, so that
 * the caller falls back on the values. */
static int space_log(const struct evo_space *space, const char *name, int *fixed)
{
    *fixed = 0;
    int id = evo_genome_find(name);
    if (!space || id < 0)
        return -1;
    const struct evo_gene_spec *s = &space->spec[id];
    if (s->kind == EVO_SPEC_FIXED) {
        *fixed = 1;
        return 0;
    }
    if (s->kind == EVO_SPEC_RANGE)
        return s->log;
    if (s->n_choices < 2 || evo_genome_gene(id)->type == EVO_GENE_ENUM)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < s->n_choices; k++) {
        lo = fmin(lo, s->choices[k]);
        hi = fmax(hi, s->choices[k]);
    }
    return lo > 0 && hi / lo >= 4;
}

static void report_init(struct report *R, const struct evo_results *r, FILE *f)
{
    memset(R, 0, sizeof *R);
    R->f = f;
    R->r = r;
    const struct evo_table *t = &r->individuals;
    R->fit = evo_results_column(t, "fitness");
    R->n = R->fit ? t->n_rows : 0;
    const struct evo_column *purpose = evo_results_column(t, "purpose");
    while (purpose && R->n && purpose->values[R->n - 1] == 1)
        R->n--;
    R->gen = evo_results_column(t, "generation");
    R->id = evo_results_column(t, "id");
    R->pa = evo_results_column(t, "parent_a");
    R->pb = evo_results_column(t, "parent_b");
    R->val_loss = evo_results_column(t, "val_loss");
    R->secs = evo_results_column(t, "train_seconds");
    R->fin = evo_results_column(t, "finished_at");
    R->status = evo_results_column(t, "status");
    /* files from before the strategies (no attribute) were written by the generational GA */
    R->kind = !r->strategy || !strcmp(r->strategy, "generational") ? KIND_GENERATIONAL
              : !strcmp(r->strategy, "random") || !strcmp(r->strategy, "tpe") ? KIND_RANDOM
                                                                                : KIND_STEADY;
    R->tpe = r->strategy && !strcmp(r->strategy, "tpe");
    R->depth = R->kind == KIND_GENERATIONAL ? "generation"
               : R->kind == KIND_RANDOM     ? NULL
               : !strcmp(r->strategy, "steady_state") ? "depth" : "generation";
    R->ok_value = NAN;
    if (R->status && R->status->kind == EVO_COLUMN_ENUM)
        for (int k = 0; k < R->status->n_enum; k++)
            if (!strcmp(R->status->enum_names[k], "ok"))
                R->ok_value = k;
    if (R->status && isnan(R->ok_value))
        R->ok_value = 0;

    struct evo_config cfg;
    struct evo_error err;
    const struct evo_space *space =
        r->config && evo_config_load_string(&cfg, r->config, "stored configuration", NULL, 0, &err) == EVO_OK
            ? &cfg.space : NULL;
    if (space) {
        R->max_trials = (long)cfg.max_trials;
        R->generations = cfg.generations;
        R->population = cfg.population;
        R->tpe_startup = cfg.tpe_startup;
        R->tpe_candidates = cfg.tpe_candidates;
        R->tpe_window = cfg.tpe_window;
        R->tpe_gamma = cfg.tpe_gamma;
    }
    for (size_t c = 0; c < t->n_cols && R->n_genes < MAX_GENES; c++) {
        const struct evo_column *col = &t->cols[c];
        if (!is_gene(col->name))
            continue;
        struct gene *g = &R->genes[R->n_genes++];
        memset(g, 0, sizeof *g); /* the slot of a gene dropped below may be reused */
        g->col = col;
        g->integer = col->kind == EVO_COLUMN_INT;
        g->per_layer = evo_genome_gene_layer(evo_genome_find(col->name)) >= 0;
        g->lo = INFINITY;
        g->hi = -INFINITY;
        double distinct[13];
        int n_distinct = 0;
        for (size_t i = 0; i < R->n; i++) {
            double v = col->values[i];
            if (!present(g, v))
                continue;
            g->lo = fmin(g->lo, v);
            g->hi = fmax(g->hi, v);
            int seen = 0;
            for (int k = 0; k < n_distinct && !seen; k++)
                seen = distinct[k] == v;
            if (!seen && n_distinct < 13)
                distinct[n_distinct++] = v;
        }
        if (g->per_layer && !(g->lo <= g->hi)) { /* no network had this layer: nothing to show */
            R->n_genes--;
            continue;
        }
        g->few = g->integer && n_distinct <= 12;
        if (g->few && n_distinct >= 2 && n_distinct <= 8) {
            for (int a = 0; a < n_distinct; a++)  /* insertion sort */
                for (int b = a; b > 0 && distinct[b - 1] > distinct[b]; b--) {
                    double tmp = distinct[b];
                    distinct[b] = distinct[b - 1];
                    distinct[b - 1] = tmp;
                }
            memcpy(g->ticks, distinct, (size_t)n_distinct * sizeof *distinct);
            g->n_ticks = (size_t)n_distinct;
        }
        int log = space_log(space, col->name, &g->fixed);
        if (log < 0)  /* no config entry: a positive range over two decades or more */
            log = col->kind != EVO_COLUMN_ENUM && g->lo > 0 && g->hi / g->lo >= 100;
        g->log = log && g->lo > 0 && col->kind != EVO_COLUMN_ENUM;
        if (R->n && g->lo == g->hi)
            g->fixed = 1;
    }
    if (space)
        evo_config_release(&cfg);

    /* order, best, and the domains shared by every fitness axis */
    struct rank *rk = evo_mem_alloc(evo_mem_mul(R->n ? R->n : 1, sizeof *rk));
    R->fit_lo = INFINITY;
    R->fit_hi = -INFINITY;
    R->gen_lo = INFINITY;
    R->gen_hi = -INFINITY;
    for (size_t i = 0; i < R->n; i++) {
        rk[i] = (struct rank){row_ok(R, i), R->fit->values[i], R->id ? R->id->values[i] : (double)i, i};
        R->n_ok += rk[i].ok;
        if (isfinite(R->fit->values[i])) {
            R->fit_lo = fmin(R->fit_lo, R->fit->values[i]);
            R->fit_hi = fmax(R->fit_hi, R->fit->values[i]);
        }
        if (R->gen && isfinite(R->gen->values[i])) {
            R->gen_lo = fmin(R->gen_lo, R->gen->values[i]);
            R->gen_hi = fmax(R->gen_hi, R->gen->values[i]);
        }
    }
    qsort(rk, R->n, sizeof *rk, rank_cmp);
    R->order = evo_mem_alloc(evo_mem_mul(R->n ? R->n : 1, sizeof *R->order));
    for (size_t i = 0; i < R->n; i++)
        R->order[i] = rk[i].row;
    free(rk);
    R->best = -1;
    for (size_t i = 0; r->has_best && R->fit && R->id && i < t->n_rows && R->best < 0; i++)
        if (R->id->values[i] == (double)r->best_id)
            R->best = (long)i;
    if (R->best < 0 && R->n)
        R->best = (long)R->order[0];
    R->mark = R->best >= (long)R->n && R->pa ? row_of_id(R, R->pa->values[R->best]) : R->best;
    R->dense_genes = R->n > DOTS_GENE_MAX;
    R->dense_wide = R->n > DOTS_WIDE_MAX;
    R->top = evo_mem_calloc(R->n ? R->n : 1, 1);
    for (size_t s = 0; s < R->n && s < TOP_DOTS; s++)
        R->top[R->order[s]] = (unsigned char)(s + 1);
    if (R->mark >= 0 && R->mark < (long)R->n && !R->top[R->mark])
        R->top[R->mark] = TOP_DOTS + 1;

    const struct evo_table *gt = &r->generations;
    const char *gcols[] = {"best_fitness", "mean_fitness"};
    for (size_t k = 0; k < 2; k++) {
        const struct evo_column *c = evo_results_column(gt, gcols[k]);
        for (size_t i = 0; c && i < gt->n_rows; i++)
            if (isfinite(c->values[i])) {
                R->fit_lo = fmin(R->fit_lo, c->values[i]);
                R->fit_hi = fmax(R->fit_hi, c->values[i]);
            }
    }
    const struct evo_column *gg = evo_results_column(gt, "generation");
    for (size_t i = 0; gg && i < gt->n_rows; i++) {
        R->gen_lo = fmin(R->gen_lo, gg->values[i]);
        R->gen_hi = fmax(R->gen_hi, gg->values[i]);
    }
    if (!(R->fit_lo <= R->fit_hi)) {
        R->fit_lo = 0;
        R->fit_hi = 1;
    }
    if (!(R->gen_lo <= R->gen_hi)) {
        R->gen_lo = 0;
        R->gen_hi = 0;
    }
    /* random search has one generation: its dots are shaded by id (early to late) instead */
    R->shade = R->kind == KIND_RANDOM ? R->id : R->gen;
    R->shade_lo = R->gen_lo;
    R->shade_hi = R->gen_hi;
    if (R->kind == KIND_RANDOM) {
        R->shade_lo = INFINITY;
        R->shade_hi = -INFINITY;
        for (size_t i = 0; R->shade && i < R->n; i++) {
            R->shade_lo = fmin(R->shade_lo, R->shade->values[i]);
            R->shade_hi = fmax(R->shade_hi, R->shade->values[i]);
        }
        if (!(R->shade_lo <= R->shade_hi))
            R->shade_lo = R->shade_hi = 0;
    }
}

/* What a dot's shade means, for legends: "generation", "lineage depth" or "trial id". */
static const char *shade_name(const struct report *R)
{
    if (R->kind == KIND_RANDOM)
        return "trial id";
    return R->depth && !strcmp(R->depth, "depth") ? "lineage depth" : "generation";
}

/* A fitness's height on the fitness axis a: a failed trial's non-finite fitness (-inf, NaN) goes just
 * below the axis's lowest value, where it cannot be taken for a score. */
static double fit_y(const struct axis *a, double v)
{
    return isfinite(v) ? ax_pos(a, v) : a->p0 + 5;
}

/* The fitness axis, shared by every plot that has one. */
static void fitness_axis(const struct report *R, struct axis *a, double p0, double p1)
{
    axis_domain(a, R->fit_lo, R->fit_hi, 0, 0);
    a->p0 = p0;
    a->p1 = p1;
}

/* "#12, generation 1" ("#12, depth 3" for steady_state, "#12" for random), for titles and headings. */
static void write_name(const struct report *R, size_t i)
{
    fprintf(R->f, "#%.0f", value(R->id, i));
    if (R->depth)
        fprintf(R->f, ", %s %.0f", R->depth, value(R->gen, i));
}

/* "#12, generation 1: fitness 0.9", then "learning_rate = 0.003" for the column extra (when not NULL)
 * and every gene when all_genes: a hover title. Every gene is written for a trial in one plot only
 * (the fitness over trials or per generation, the parallel coordinates, the ancestry); the gene
 * plots name their own gene, so that the page does not repeat the genes fifty times a trial. */
static void write_title(const struct report *R, size_t i, const struct evo_column *extra, int all_genes)
{
    FILE *f = R->f;
    char buf[64];
    fprintf(f, "<title>");
    write_name(R, i);
    fprintf(f, ": fitness ");
    fmt_value(buf, sizeof buf, R->fit, i);
    esc(f, buf);
    if (!row_ok(R, i) && R->status) {
        fmt_value(buf, sizeof buf, R->status, i);
        fprintf(f, " (");
        esc(f, buf);
        fprintf(f, ")");
    }
    for (size_t k = 0; k < (all_genes ? R->n_genes : 0) + (extra != NULL); k++) {
        const struct evo_column *c = k < (all_genes ? R->n_genes : 0) ? R->genes[k].col : extra;
        fprintf(f, "\n");
        esc(f, c->name);
        fmt_value(buf, sizeof buf, c, i);
        fprintf(f, " = ");
        esc(f, buf);
    }
    fprintf(f, "</title>");
}

/* Trial i's mark at (x, y): a grey dot (orange over a density: one of the best) of radius r and opacity
 * op with class cls, or a red cross of class "base fail" (opacity op + 0.15) when it failed; its hover
 * title with every gene when all_genes. */
static void write_mark(FILE *f, const struct report *R, size_t i, double x, double y, const char *cls,
                       const char *base, double r, double op, int all_genes, int dense)
{
    int ok = row_ok(R, i);
    if (ok)
        fprintf(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\" fill-opacity=\"%g\"%s>",
                cls, x, y, r, dense ? TOP_FILL : "#9aa5b1", dense ? 0.9 : op, dense ? " stroke=\"#fff\"" : "");
    else
        fprintf(f, "<path class=\"%s fail\" d=\"M%.1f %.1fl5 5m0 -5l-5 5\" stroke=\"" FAIL "\" "
                   "stroke-width=\"1.4\" stroke-opacity=\"%g\">", base, x - 2.5, y - 2.5, op + 0.15);
    write_title(R, i, NULL, all_genes);
    fprintf(f, "%s\n", ok ? "</circle>" : "</path>");
}

/* Trial i at (x, y) of a gene plot: a dot shaded by generation (lineage depth; id for random search),
 * orange over a density (one of the best), a cross when it failed, a ring around the best; its title
 * names the column extra (the plot's gene; NULL: none). */
static void draw_point(struct report *R, size_t i, double x, double y, const struct evo_column *extra, int dense)
{
    FILE *f = R->f;
    char color[16];
    if (row_ok(R, i)) {
        if (dense)
            snprintf(color, sizeof color, TOP_FILL);
        else
            shade_color(R, color, sizeof color, value(R->shade, i));
        fprintf(f, "<circle class=\"pt g\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.6\" fill=\"%s\">", x, y, color);
    } else {
        fprintf(f, "<path class=\"pt fail\" d=\"M%.1f %.1fl6 6m0 -6l-6 6\" stroke=\"" FAIL "\" "
                   "stroke-width=\"1.6\">", x - 3, y - 3);
    }
    write_title(R, i, extra, 0);
    fprintf(f, "%s\n", row_ok(R, i) ? "</circle>" : "</path>");
    if ((long)i == R->mark)
        fprintf(f, "<circle class=\"best-mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"7.5\" fill=\"none\" stroke=\""
                   ACCENT "\" stroke-width=\"2\"/>\n", x, y);
}

/* How a plot draws a trial's mark (struct scatter). */
enum mark_kind {
    MARK_DOT,         /* draw_point: a gene plot's dot, its hover naming the plot's column */
    MARK_TRIAL,       /* write_mark "pt trial": fitness over trials or over time */
    MARK_GENERATION,  /* write_mark "ind": fitness per generation, its hover with every gene */
};

/* The trials of one plot: each drawn as its mark while they are few (dense 0); else counted into a
 * density, with the TOP_DOTS best (and the marked best) kept to be drawn as marks on top of it. */
struct scatter {
    struct report *R;
    int kind;                        /* enum mark_kind */
    const struct evo_column *extra;  /* MARK_DOT: the column its hovers name (NULL: none) */
    int all_genes;                   /* MARK_TRIAL: hovers list every gene */
    int dense;
    struct density d;
    int drawn;                       /* the density is drawn (and released) */
    struct top_mark {
        size_t row;
        double x, y;
    } top[TOP_DOTS + 1];
    size_t n_top;
};

static void scatter_open(struct scatter *s, struct report *R, int kind, int dense, const struct area *A)
{
    memset(s, 0, sizeof *s);
    s->R = R;
    s->kind = kind;
    s->dense = dense;
    if (dense)
        density_init(&s->d, A);
}

static void scatter_mark(struct scatter *s, size_t i, double x, double y)
{
    struct report *R = s->R;
    if (s->kind == MARK_DOT)
        draw_point(R, i, x, y, s->extra, s->dense);
    else if (s->kind == MARK_TRIAL)
        write_mark(R->f, R, i, x, y, "pt trial", "pt", 3, 0.6, s->all_genes, s->dense);
    else
        write_mark(R->f, R, i, x, y, "ind", "ind", 2.6, 0.55, 1, s->dense);
}

/* Trial i at (x, y): drawn now, or counted (and kept when it is one of the best). */
static void scatter_add(struct scatter *s, size_t i, double x, double y)
{
    if (!s->dense) {
        scatter_mark(s, i, x, y);
        return;
    }
    density_add(&s->d, x, y, row_ok(s->R, i));
    if (s->R->top[i] && s->n_top < TOP_DOTS + 1)
        s->top[s->n_top++] = (struct top_mark){i, x, y};
}

/* Draws the density now, under what the plot draws next (and frees it); nothing when not dense. */
static void scatter_density(struct scatter *s)
{
    if (!s->dense || s->drawn)
        return;
    density_draw(s->R->f, &s->d);
    density_release(&s->d);
    s->drawn = 1;
}

/* Draws the density unless drawn, then the marks kept, the best last (on top). */
static void scatter_close(struct scatter *s)
{
    if (!s->dense)
        return;
    scatter_density(s);
    const unsigned char *rank = s->R->top;
    for (size_t a = 1; a < s->n_top; a++) /* insertion sort, worst first */
        for (size_t b = a; b > 0 && rank[s->top[b - 1].row] < rank[s->top[b].row]; b--) {
            struct top_mark t = s->top[b];
            s->top[b] = s->top[b - 1];
            s->top[b - 1] = t;
        }
    for (size_t k = 0; k < s->n_top; k++)
        scatter_mark(s, s->top[k].row, s->top[k].x, s->top[k].y);
}

/* The sentences a section's note adds when its plots are densities; what says which ("the plots are
 * densities"). */
static void dense_note(const struct report *R, const char *what)
{
    fprintf(R->f, " With %zu trials, %s: each cell of a grid is shaded by how many trials fall in it "
                  "(darker: more; red: failed trials), and only the %d best are drawn as orange marks. Hover a "
                  "cell for its count.", R->n, what, TOP_DOTS);
}

/* ---- sections ------------------------------------------------------------------------------------ */

static const char CSS[] =
    ":root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--accent:#e6550d}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1200px;margin:0 auto;padding:24px 24px 8px}\n"
    "h1{font-size:26px;margin:0 0 2px;letter-spacing:-.01em}h1 small{font-weight:400;color:var(--muted)}\n"
    "h2{font-size:17px;margin:0 0 2px}h3{font-size:14px;margin:14px 0 6px}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0;"
    "box-shadow:0 1px 2px rgba(15,23,42,.05)}\n"
    "p.note{color:var(--muted);margin:0 0 12px;max-width:70em}\n"
    "code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f0f2f5;"
    "padding:1px 5px;border-radius:4px}\n"
    ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0 6px}\n"
    ".card{flex:1 1 170px;background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px}\n"
    ".card .k{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.05em}\n"
    ".card .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}\n"
    ".card .s{color:var(--muted);font-size:12.5px}.card .v small{font-size:15px;color:var(--muted);font-weight:400}\n"
    ".state{display:inline-block;padding:1px 10px;border-radius:999px;font-size:12.5px;font-weight:600;"
    "vertical-align:middle}\n"
    ".state-finished{background:#e3f9e5;color:#1f7a2e}.state-running{background:#e6f0ff;color:#1c4fa8}"
    ".state-interrupted,.state-unknown{background:#fff1e0;color:#a35200}\n"
    ".strategy{display:inline-block;padding:1px 10px;border-radius:999px;font-size:12.5px;font-weight:600;"
    "vertical-align:middle;background:#f0f2f5;color:#3e4c59}\n"
    "table.meta{border-collapse:collapse;margin-top:6px}table.meta td{padding:2px 18px 2px 0;vertical-align:top}"
    "table.meta td.k{color:var(--muted);white-space:nowrap}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(350px,1fr));gap:16px 18px}\n"
    "figure{margin:0}figcaption{font-weight:600;margin:0 0 2px 4px}"
    "figcaption span{font-weight:400;color:var(--muted);font-size:12px;margin-left:6px}\n"
    "svg.plot{display:block;max-width:100%;height:auto;font-size:11px;overflow:visible}\n"
    "svg .frame{fill:#fbfcfd;stroke:#cbd2d9}svg .grid{stroke:#e9edf1}svg .tick{fill:#7b8794;font-size:10.5px}\n"
    "svg .label{fill:#3e4c59;font-size:12px}svg .legend{fill:#3e4c59;font-size:11.5px}\n"
    "svg .empty{fill:#fbfcfd;stroke:#cbd2d9;stroke-dasharray:5 4}svg .msg{fill:#7b8794;font-size:13px}\n"
    "svg .head{fill:#1f2933;font-size:12px;font-weight:600}svg .halo{paint-order:stroke;stroke:#fff;"
    "stroke-width:3px;stroke-linejoin:round}\n"
    "svg .edge{fill:none;stroke:#9aa5b1;stroke-width:1.4}svg .edge-b{stroke-dasharray:5 3}\n"
    "svg circle.g{fill-opacity:.85;stroke:#fff;stroke-width:.6}\n"
    "svg circle.pt:hover,svg path.pt:hover{stroke:#000;stroke-width:1.5}\n"
    ".legendbar{display:flex;gap:18px;flex-wrap:wrap;align-items:center;color:var(--muted);font-size:12.5px;"
    "margin:0 0 10px}.legendbar svg{vertical-align:middle;margin-right:4px}\n"
    "table.top{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:13px}\n"
    "table.top th{text-align:right;font-size:11.5px;color:var(--muted);font-weight:600;padding:6px 8px;"
    "border-bottom:2px solid var(--line);white-space:nowrap}\n"
    "table.top td{text-align:right;padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}\n"
    "table.top td.t,table.top th.t{text-align:left}table.top tr.is-best td{background:#fff4ec}\n"
    "table.top tr.is-fail td{color:#9b2c2c}.tag{font-size:11px;background:#fde8e8;color:#9b2c2c;"
    "border-radius:4px;padding:0 5px;margin-left:4px}\n"
    ".wrap{overflow-x:auto}.two{display:flex;gap:36px;flex-wrap:wrap;align-items:flex-start}"
    ".two>div:first-child{flex:0 1 400px}\n"
    "footer{color:var(--muted);font-size:12px;text-align:center;margin:10px 0 26px}\n";

static const char *gene_col_name(const struct report *R, size_t k)
{
    return R->genes[k].col->name;
}

/* A duration as the CLI writes it (1:02:03, 4:05), or in seconds under a minute ("0.07 s"), where
 * "0:00" would hide it. */
static void fmt_duration(char *buf, size_t n, double seconds)
{
    if (isfinite(seconds) && seconds >= 0 && seconds < 59.5)
        snprintf(buf, n, seconds < 9.995 ? "%.2f s" : "%.0f s", seconds);
    else
        evo_progress_duration(buf, n, seconds);
}

/* A card: a key, a value and a line under it; value and sub are HTML written by the caller. */
static void card(FILE *f, const char *key, const char *value, const char *sub)
{
    fprintf(f, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div><div class=\"s\">%s</div>"
               "</div>\n", key, value, sub);
}

static void section_header(struct report *R)
{
    FILE *f = R->f;
    const struct evo_results *r = R->r;
    const char *state = r->state ? r->state : "unknown";
    const char *cls = !strcmp(state, "finished") || !strcmp(state, "running") || !strcmp(state, "interrupted")
                          ? state : "unknown";
    const char *strategy = r->strategy ? r->strategy : "generational";
    char buf[64], v[160], sub[160];
    fprintf(f, "<header><h1>evotune report <small>");
    esc(f, base_name(r->path));
    fprintf(f, "</small> <span class=\"state state-%s\">", cls);
    esc(f, state);
    fprintf(f, "</span> <span class=\"strategy\">");
    esc(f, strategy);
    fprintf(f, "</span></h1>\n");

    /* cards: the best, its test score, and how far the search got */
    size_t failures = R->n - R->n_ok;
    fprintf(f, "<div class=\"cards\">\n<div class=\"card\"><div class=\"k\">best fitness</div><div class=\"v\">");
    if (R->best >= 0) {
        fmt_value(buf, sizeof buf, R->fit, (size_t)R->best);
        esc(f, buf);
        fprintf(f, "</div><div class=\"s\">trial ");
        write_name(R, (size_t)R->best);
        fprintf(f, "</div></div>\n");
    } else {
        fprintf(f, "\xe2\x80\x93</div><div class=\"s\">no trial finished yet</div></div>\n");
    }
    fprintf(f, "<div class=\"card\"><div class=\"k\">test %s</div><div class=\"v\">",
            r->regression ? "RMSE" : "accuracy");
    if (r->regression && r->has_best && isfinite(r->test_rmse))
        fprintf(f, "%.4g</div><div class=\"s\">R\xc2\xb2 %.4f, MAE %.4g</div></div>\n", r->test_rmse, r->test_r2,
                r->test_mae);
    else if (!r->regression && r->has_best && isfinite(r->test_accuracy))
        fprintf(f, "%.2f%%</div><div class=\"s\">test loss %.4g</div></div>\n", 100 * r->test_accuracy,
                r->test_loss);
    else
        fprintf(f, "\xe2\x80\x93</div><div class=\"s\">not scored yet (run not finished)</div></div>\n");
    /* the trial budget is max_trials for random and steady_state; generational counts generations */
    long budget = R->kind != KIND_GENERATIONAL ? R->max_trials : 0;
    size_t finalist_runs = R->fit ? r->individuals.n_rows - R->n : 0; /* on top of the budget */
    int k = snprintf(v, sizeof v, "%zu", R->n);
    if (budget > 0)
        snprintf(v + k, sizeof v - (size_t)k, " <small>of %ld</small>", budget);
    k = snprintf(sub, sizeof sub, "%zu failed", failures);
    if (finalist_runs)
        snprintf(sub + k, sizeof sub - (size_t)k, "; and %zu finalist runs", finalist_runs);
    card(f, "trials done", v, sub);
    snprintf(v, sizeof v, "%zu", r->n_in_flight);
    if (r->workers > 0)
        snprintf(sub, sizeof sub, "decided, not finished; %lld virtual worker%s", (long long)r->workers,
                 r->workers == 1 ? "" : "s");
    else
        snprintf(sub, sizeof sub, "decided, not finished");
    card(f, "in flight", v, sub);
    if (r->strategy) { /* format 6 and later: the running time is recorded */
        fmt_duration(v, sizeof v, r->elapsed_seconds);
        fmt_duration(buf, sizeof buf, r->time_limit_seconds);
        if (r->time_limit_seconds > 0)
            snprintf(sub, sizeof sub, "of the limit %s%s", buf, r->time_up ? "; time up" : "");
        else
            snprintf(sub, sizeof sub, "no time limit; over every resume");
    } else {
        snprintf(v, sizeof v, "\xe2\x80\x93");
        snprintf(sub, sizeof sub, "not recorded in this file");
    }
    card(f, "running time", v, sub);
    if (R->kind == KIND_GENERATIONAL) {
        k = snprintf(v, sizeof v, "%lld", (long long)r->generations_done);
        if (R->generations > 0)
            snprintf(v + k, sizeof v - (size_t)k, " <small>of %ld</small>", R->generations);
        if (R->population > 0)
            snprintf(sub, sizeof sub, "population %ld", R->population);
        else
            snprintf(sub, sizeof sub, "population unknown");
        card(f, "generations done", v, sub);
    }
    if (R->tpe && R->tpe_candidates > 0) {
        snprintf(v, sizeof v, "%ld <small>candidates</small>", R->tpe_candidates);
        snprintf(sub, sizeof sub, "after %ld random; gamma %g, window %ld", R->tpe_startup, R->tpe_gamma,
                 R->tpe_window);
        card(f, "tpe proposals", v, sub);
    }
    fprintf(f, "</div>\n");

    /* details */
    fprintf(f, "<table class=\"meta\">\n<tr><td class=\"k\">file</td><td><code>");
    esc(f, r->path);
    fprintf(f, "</code></td></tr>\n<tr><td class=\"k\">state</td><td>");
    esc(f, state);
    if (r->written_at) {
        fprintf(f, ", written at ");
        esc(f, r->written_at);
    }
    if (!strcmp(state, "running"))
        fprintf(f, " \xe2\x80\x94 a snapshot; render the report again for newer results");
    else if (!strcmp(state, "interrupted")) {
        fprintf(f, " \xe2\x80\x94 continue with <code>evotune resume ");
        esc(f, r->path);
        fprintf(f, "</code>");
    }
    fprintf(f, "</td></tr>\n<tr><td class=\"k\">strategy</td><td>");
    esc(f, strategy);
    if (r->strategy_state) {
        fprintf(f, ": ");
        esc(f, r->strategy_state);
    } else if (!r->strategy) {
        fprintf(f, " (written before <code>run.strategy</code> existed)");
    }
    if (r->workers > 0)
        fprintf(f, "; %lld virtual workers", (long long)r->workers);
    if (r->time_up)
        fprintf(f, "; stopped by its time limit");
    fprintf(f, "</td></tr>\n<tr><td class=\"k\">evotune</td><td>");
    esc(f, r->evotune_version ? r->evotune_version : "unknown");
    fprintf(f, " (format %lld), seed %lld, %lld thread%s</td></tr>\n", (long long)r->format_version,
            (long long)r->seed, (long long)r->threads, r->threads == 1 ? "" : "s");
    fprintf(f, "<tr><td class=\"k\">data</td><td>%lld training, %lld validation, %lld test rows; "
               "%lld features; %lld classes", (long long)r->n_train, (long long)r->n_validation,
            (long long)r->n_test, (long long)r->n_features, (long long)r->n_classes);
    if (r->class_names && r->n_classes > 0 && r->n_classes <= 12) {
        fprintf(f, " (");
        for (int64_t c = 0; c < r->n_classes; c++) {
            fprintf(f, "%s", c ? ", " : "");
            esc(f, r->class_names[c]);
        }
        fprintf(f, ")");
    }
    fprintf(f, "</td></tr>\n");
    if (R->kind == KIND_GENERATIONAL && R->n && R->gen && R->gen_hi >= (double)r->generations_done &&
        r->generations_done >= 0 && r->state && strcmp(r->state, "finished")) {
        size_t in_progress = 0;
        for (size_t i = 0; i < R->n; i++)
            in_progress += R->gen->values[i] == R->gen_hi;
        fprintf(f, "<tr><td class=\"k\">%s</td><td>generation %.0f: %zu trained so far</td></tr>\n",
                strcmp(r->state, "running") ? "incomplete" : "in progress", R->gen_hi, in_progress);
    }
    if (r->n_in_flight > 0)
        fprintf(f, "<tr><td class=\"k\">in flight</td><td>%zu trial%s decided and not finished%s</td></tr>\n",
                r->n_in_flight, r->n_in_flight == 1 ? "" : "s",
                r->state && !strcmp(r->state, "running") ? "" : " (<code>evotune resume</code> trains them first)");
    if (r->n_best_layers > 0) {
        fprintf(f, "<tr><td class=\"k\">best network</td><td>layers ");
        for (size_t l = 0; l < r->n_best_layers; l++)
            fprintf(f, "%s%lld", l ? " \xe2\x86\x92 " : "", (long long)r->best_layer_sizes[l]);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></header>\n");
}

/* Generational: best, mean and spread per generation, the trials of each generation as dots. */
static void section_generations(struct report *R)
{
    FILE *f = R->f;
    const struct evo_table *gt = &R->r->generations;
    const struct evo_column *gg = evo_results_column(gt, "generation");
    const struct evo_column *best = evo_results_column(gt, "best_fitness");
    const struct evo_column *mean = evo_results_column(gt, "mean_fitness");
    const struct evo_column *sd = evo_results_column(gt, "std_fitness");
    size_t G = gg && best && mean ? gt->n_rows : 0;
    fprintf(f, "<section id=\"fitness\"><h2>Fitness per generation</h2>\n<p class=\"note\">Best and mean "
               "fitness (validation ");
    esc(f, r_fitness_name(R->r));
    fprintf(f, ") over each generation's population, carried elites included; "
               "the band is the mean \xc2\xb1 one standard deviation. Grey dots are the trials trained in "
               "each generation.");
    if (G > GEN_POINTS_MAX)
        fprintf(f, " The %zu generations are drawn as %d points of the lines, each the best, mean and spread "
                   "of a run of consecutive generations (best: their best; mean and band: their averages).", G,
                GEN_POINTS_MAX);
    if (G > GEN_MARKS_MAX)
        fprintf(f, " With more than %d generations the lines have no hover dots.", GEN_MARKS_MAX);
    if (R->dense_wide)
        dense_note(R, "the trials are drawn as a density");
    fprintf(f, "</p>\n");
    const double W = 1100, H = 360;
    if (G == 0 && R->n == 0) {
        svg_empty(f, "plot-fitness", W, 120, "no generation completed yet");
        fprintf(f, "</section>\n");
        return;
    }
    struct area A = {62, 40, W - 20, H - 46};
    struct axis xa, ya;
    if (R->gen_hi > R->gen_lo) {
        xa.lo = R->gen_lo;
        xa.hi = R->gen_hi;
    } else {
        xa.lo = R->gen_lo - 0.5;
        xa.hi = R->gen_lo + 0.5;
    }
    xa.log = 0;
    xa.p0 = A.x0 + 16;
    xa.p1 = A.x1 - 16;
    fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
    svg_open(f, "plot-fitness", "", W, H, "fitness per generation");
    fprintf(f, "<defs><clipPath id=\"clip-fitness\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
               "</clipPath></defs>\n", A.x0, A.y0, A.x1 - A.x0, A.y1 - A.y0);
    draw_frame(f, &A);
    draw_xaxis(f, &A, &xa, 1, "generation", NULL, 0);
    draw_yaxis(f, &A, &ya, 0, "fitness");
    double lx = A.x0;
    lx = legend_item(f, lx, 18, "line", ACCENT, "best");
    lx = legend_item(f, lx, 18, "line", "#3182bd", "mean");
    lx = legend_item(f, lx, 18, "band", "#3182bd", "mean \xc2\xb1 std");
    if (R->dense_wide) {
        lx = legend_item(f, lx, 18, "cells", NULL, "trials (density)");
        lx = legend_item(f, lx, 18, "dot", TOP_FILL, "the best trials");
    } else {
        lx = legend_item(f, lx, 18, "dot", "#9aa5b1", "trial");
    }
    if (R->n > R->n_ok)
        legend_item(f, lx, 18, "cross", FAIL, "failed");

    double xw = G > 1 || R->gen_hi > R->gen_lo ? (xa.p1 - xa.p0) / (R->gen_hi - R->gen_lo + 1) : 60;
    struct scatter sc;
    scatter_open(&sc, R, MARK_GENERATION, R->dense_wide, &A);
    for (size_t i = 0; R->gen && i < R->n; i++) {
        double x = ax_pos(&xa, R->gen->values[i]) + jitter(value(R->id, i), 1) * fmin(xw * 0.5, 40);
        scatter_add(&sc, i, x, fit_y(&ya, R->fit->values[i]));
    }
    scatter_close(&sc);
    if (G == 0) {
        fprintf(f, "<text class=\"msg\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no generation completed yet"
                   "</text>\n", (A.x0 + A.x1) / 2, (A.y0 + A.y1) / 2);
    } else {
        /* the lines' points: a generation each, or runs of generations merged when there are too many */
        size_t P = G > GEN_POINTS_MAX ? GEN_POINTS_MAX : G;
        double *pt = evo_mem_alloc(evo_mem_mul(4 * P, sizeof *pt)), *pg = pt, *pm = pt + P, *pb = pt + 2 * P,
               *ps = pt + 3 * P;
        for (size_t p = 0; p < P; p++) {
            size_t a = p * G / P, b = (p + 1) * G / P;
            pg[p] = pm[p] = ps[p] = 0;
            pb[p] = best->values[a];
            for (size_t i = a; i < b; i++) {
                pg[p] += gg->values[i];
                pm[p] += mean->values[i];
                ps[p] += sd ? sd->values[i] : 0;
                pb[p] = fmax(pb[p], best->values[i]);
            }
            pg[p] /= (double)(b - a);
            pm[p] /= (double)(b - a);
            ps[p] /= (double)(b - a);
        }
        if (sd) {
            fprintf(f, "<path class=\"band\" clip-path=\"url(#clip-fitness)\" fill=\"#3182bd\" fill-opacity=\"0.15\" d=\"");
            for (size_t p = 0; p < P; p++)
                fprintf(f, "%s%.1f %.1f", p ? "L" : "M", ax_pos(&xa, pg[p]), ax_pos(&ya, pm[p] + ps[p]));
            for (size_t p = P; p-- > 0;)
                fprintf(f, "L%.1f %.1f", ax_pos(&xa, pg[p]), ax_pos(&ya, pm[p] - ps[p]));
            fprintf(f, "Z\"/>\n");
        }
        const double *lines[] = {pm, pb};
        const char *colors[] = {"#3182bd", ACCENT}, *names[] = {"mean", "best"};
        for (int k = 0; k < 2; k++) {
            fprintf(f, "<path class=\"line line-%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
                       "stroke-linejoin=\"round\" d=\"", names[k], colors[k]);
            for (size_t p = 0; p < P; p++)
                fprintf(f, "%s%.1f %.1f", p ? "L" : "M", ax_pos(&xa, pg[p]), ax_pos(&ya, lines[k][p]));
            fprintf(f, "\"/>\n");
            for (size_t i = 0; G <= GEN_MARKS_MAX && i < G; i++) { /* P == G: the points are generations */
                fprintf(f, "<circle class=\"pt pt-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"#fff\" "
                           "stroke-width=\"1.5\"><title>generation %.0f: %s %.4f", names[k],
                        ax_pos(&xa, pg[i]), ax_pos(&ya, lines[k][i]), colors[k], pg[i], names[k], lines[k][i]);
                if (k == 0 && sd)
                    fprintf(f, " \xc2\xb1 %.4f", ps[i]);
                fprintf(f, "</title></circle>\n");
            }
        }
        free(pt);
    }
    fprintf(f, "</svg>\n</section>\n");
}

struct keyed {
    double key, id;
    size_t row;
};

static int keyed_cmp(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The rows with a finite value in column c, in ascending order of it (ties by id); returns their
 * count and sets *rows (heap, the caller frees it). */
static size_t rows_by(const struct report *R, const struct evo_column *c, size_t **rows)
{
    struct keyed *k = evo_mem_alloc(evo_mem_mul(R->n ? R->n : 1, sizeof *k));
    size_t m = 0;
    for (size_t i = 0; c && i < R->n; i++)
        if (isfinite(c->values[i]))
            k[m++] = (struct keyed){c->values[i], value(R->id, i), i};
    qsort(k, m, sizeof *k, keyed_cmp);
    *rows = evo_mem_alloc(evo_mem_mul(m ? m : 1, sizeof **rows));
    for (size_t j = 0; j < m; j++)
        (*rows)[j] = k[j].row;
    free(k);
    return m;
}

/* A fitness plot against one column of /individuals (trial id, finish time). */
struct xplot {
    const char *id, *aria, *x_label;
    const struct evo_column *x;  /* x of each row, divided by scale */
    double scale;
    int integer;   /* x takes integer values (ids) */
    double x0;     /* the x axis starts here at the latest (scaled) */
    double x_end;  /* the running best line runs on to here (scaled) when it is past the last trial */
    double limit;  /* a dashed vertical line here (scaled; the time limit), NaN for none */
    int all_genes; /* the marks' hovers list every gene (the one plot where they do) */
};

/* A mark per trial at (x, fitness) (a grey dot, a red cross when it failed), the running best through
 * the trials in x order as a step line, and a ring where it rises (class "rec"). Data marks carry
 * class "pt": one per row with a finite x, or over a density of them (dense_wide) the best's. */
static void running_best_plot(struct report *R, const struct xplot *P)
{
    FILE *f = R->f;
    const double W = 1100, H = 340;
    size_t *rows, m = rows_by(R, P->x, &rows);
    if (m == 0) { /* the callers say why first; this keeps the plot's id whatever they check */
        svg_empty(f, P->id, W, 120, "no trial to show");
        free(rows);
        return;
    }
    struct area A = {62, 40, W - 20, H - 46};
    struct axis xa, ya;
    double xlo = fmin(P->x0, P->x->values[rows[0]] / P->scale);
    double xhi = fmax(P->x->values[rows[m - 1]] / P->scale, P->x_end);
    int limit = isfinite(P->limit) && P->limit > 0 && P->limit <= 1.25 * xhi; /* else it squeezes the data */
    if (limit)
        xhi = fmax(xhi, P->limit);
    axis_domain(&xa, xlo, xhi, 0, P->integer);
    xa.p0 = A.x0 + 10;
    xa.p1 = A.x1 - 10;
    fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
    svg_open(f, P->id, "", W, H, P->aria);
    draw_frame(f, &A);
    draw_xaxis(f, &A, &xa, P->integer, P->x_label, NULL, 0);
    draw_yaxis(f, &A, &ya, 0, "fitness");
    int any_failed = 0;
    for (size_t j = 0; j < m; j++)
        any_failed |= !row_ok(R, rows[j]);
    double lx = A.x0;
    if (R->dense_wide) {
        lx = legend_item(f, lx, 18, "cells", NULL, "trials (density)");
        lx = legend_item(f, lx, 18, "dot", TOP_FILL, "the best trials");
    } else {
        lx = legend_item(f, lx, 18, "dot", "#9aa5b1", "trial");
    }
    if (any_failed)
        lx = legend_item(f, lx, 18, "cross", FAIL, "failed");
    lx = legend_item(f, lx, 18, "line", ACCENT, "running best");
    lx = legend_item(f, lx, 18, "ring", ACCENT, "new best");
    if (limit)
        legend_item(f, lx, 18, "dash", "#616e7c", "time limit");
    if (limit)
        fprintf(f, "<line class=\"limit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#616e7c\" "
                   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", ax_pos(&xa, P->limit), A.y0,
                ax_pos(&xa, P->limit), A.y1);
    size_t *rec = evo_mem_alloc(evo_mem_mul(m, sizeof *rec)), n_rec = 0;
    struct scatter sc;
    scatter_open(&sc, R, MARK_TRIAL, R->dense_wide, &A);
    sc.all_genes = P->all_genes;
    for (size_t j = 0; j < m; j++) {
        size_t i = rows[j];
        double x = ax_pos(&xa, P->x->values[i] / P->scale), y = fit_y(&ya, R->fit->values[i]);
        int ok = row_ok(R, i);
        scatter_add(&sc, i, x, y);
        if (ok && isfinite(R->fit->values[i]) && (!n_rec || R->fit->values[i] > R->fit->values[rec[n_rec - 1]]))
            rec[n_rec++] = i;
    }
    scatter_close(&sc);
    if (n_rec) {
        fprintf(f, "<path class=\"best-line\" fill=\"none\" stroke=\"" ACCENT "\" stroke-width=\"2.5\" d=\"");
        for (size_t k = 0; k < n_rec; k++) {
            double x = ax_pos(&xa, P->x->values[rec[k]] / P->scale), y = ax_pos(&ya, R->fit->values[rec[k]]);
            if (k)
                fprintf(f, "H%.1fV%.1f", x, y);
            else
                fprintf(f, "M%.1f %.1f", x, y);
        }
        fprintf(f, "H%.1f\"/>\n", ax_pos(&xa, fmax(P->x->values[rows[m - 1]] / P->scale, P->x_end)));
        for (size_t k = 0; k < n_rec; k++) {
            size_t i = rec[k];
            fprintf(f, "<circle class=\"rec\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#fff\" stroke=\"" ACCENT "\" "
                       "stroke-width=\"2\"><title>new best: ", ax_pos(&xa, P->x->values[i] / P->scale),
                    ax_pos(&ya, R->fit->values[i]));
            write_name(R, i);
            fprintf(f, ", fitness %.4f</title></circle>\n", R->fit->values[i]);
        }
    }
    fprintf(f, "</svg>\n");
    free(rec);
    free(rows);
}

/* steady_state and random: fitness against trial id, with the running best in id order. */
static void section_trials(struct report *R)
{
    FILE *f = R->f;
    fprintf(f, "<section id=\"fitness\"><h2>Fitness over trials</h2>\n<p class=\"note\">One mark per finished "
               "trial at its id (ids count the trials in the order the strategy decided them) and its fitness "
               "(validation ");
    esc(f, r_fitness_name(R->r));
    fprintf(f, "); failed trials are red crosses at the bottom when their fitness is not a number. The orange "
               "step line is the running best <em>in id order</em>: the best fitness among the trials up to "
               "each id, with a ring where it rises. %s Hover a mark for the trial's hyperparameters.",
            R->tpe ? "tpe proposes each trial from the results told before it (the first ones at random), so "
                     "the line shows what its model found."
            : R->kind == KIND_RANDOM ? "Random search draws every trial independently, so the line shows what "
                                     "more samples bought."
                                   : "Trials are trained several at once, so a child may be decided before "
                                     "results of lower ids arrived.");
    if (R->dense_wide)
        dense_note(R, "this plot and the next are densities");
    fprintf(f, "</p>\n");
    if (R->n == 0 || !R->id) {
        svg_empty(f, "plot-trials", 1100, 120, "no trial finished yet");
        fprintf(f, "</section>\n");
        return;
    }
    struct xplot P = {"plot-trials", "fitness over trials", "trial id", R->id, 1, 1, 0, 0, NAN, 1};
    running_best_plot(R, &P);
    fprintf(f, "</section>\n");
}

/* steady_state and random: fitness against the running time its result arrived at, with the running
 * best as it was known at each moment. */
static void section_time(struct report *R)
{
    FILE *f = R->f;
    const struct evo_results *r = R->r;
    fprintf(f, "<section id=\"fitness-time\"><h2>Fitness over time</h2>\n<p class=\"note\">Each trial at the "
               "running time its result arrived (<code>finished_at</code>; running time counts over every resume, "
               "not the pauses between), and the running best as it was known at each moment: how fast the "
               "search improved.");
    if (r->time_limit_seconds > 0)
        fprintf(f, " The dashed line is the time limit (<code>run.time_limit</code>).");
    fprintf(f, "</p>\n");
    double last = -INFINITY;
    for (size_t i = 0; R->fin && i < R->n; i++)
        if (isfinite(R->fin->values[i]))
            last = fmax(last, R->fin->values[i]);
    if (R->n == 0 || !isfinite(last)) {
        svg_empty(f, "plot-time", 1100, 120, R->n ? "no finish times in this file" : "no trial finished yet");
        fprintf(f, "</section>\n");
        return;
    }
    double end = fmax(last, r->elapsed_seconds);
    double scale = end >= 7200 ? 3600 : end >= 120 ? 60 : 1;
    const char *label = scale == 3600 ? "running time (h)" : scale == 60 ? "running time (min)" : "running time (s)";
    struct xplot P = {"plot-time", "fitness over running time", label, R->fin, scale, 0, 0, end / scale,
                      r->time_limit_seconds > 0 ? r->time_limit_seconds / scale : NAN, 0};
    running_best_plot(R, &P);
    fprintf(f, "</section>\n");
}

/* A line from each promoted row to the row it continued (over a density: those of the best rows). */
static void promotion_lines(const struct report *R, const struct axis *xa, const struct axis *ya,
                            const struct evo_column *bud, const struct evo_column *rung)
{
    for (size_t i = 0; i < R->n; i++) {
        if (!(rung->values[i] > 0) || (R->dense_wide && !R->top[i]))
            continue;
        /* the parent: /individuals is in id order, and a parent's id is below its promotion's */
        size_t l = 0, h = i;
        while (l < h) {
            size_t mid = l + (h - l) / 2;
            if (value(R->id, mid) < R->pa->values[i])
                l = mid + 1;
            else
                h = mid;
        }
        if (l < i && value(R->id, l) == R->pa->values[i])
            fprintf(R->f, "<line class=\"promo\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"#9aa5b1\" stroke-width=\"1\"/>\n", ax_pos(xa, bud->values[l]),
                    fit_y(ya, R->fit->values[l]), ax_pos(xa, bud->values[i]), fit_y(ya, R->fit->values[i]));
    }
}

/* Promotion: every row at the budget its fitness was measured at (epochs, log scale), each promotion
 * a line from the row it continued; only when the file holds promotions. */
static void section_budget(struct report *R)
{
    FILE *f = R->f;
    const struct evo_column *bud = evo_results_column(&R->r->individuals, "budget");
    const struct evo_column *rung = evo_results_column(&R->r->individuals, "rung");
    size_t promoted = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; bud && rung && i < R->n; i++) {
        promoted += rung->values[i] > 0;
        lo = fmin(lo, bud->values[i]);
        hi = fmax(hi, bud->values[i]);
    }
    if (!promoted || !R->pa)
        return;
    fprintf(f, "<section id=\"budget\"><h2>Fitness against budget</h2>\n<p class=\"note\">Promotion "
               "(<code>promotion.enabled</code>): each row at the epochs its fitness was measured at "
               "(<code>budget</code>, log scale), %zu promotions drawn as lines from the row each continued. "
               "A trial is promoted when it is in the top 1/eta of its rung.", promoted);
    if (R->dense_wide) {
        dense_note(R, "the rows are drawn as a density");
        fprintf(f, " Only the promotions into those best rows are drawn as lines.");
    }
    fprintf(f, "</p>\n");
    const double W = 1100, H = 340;
    struct area A = {60, 10, W - 16, H - 42};
    svg_open(f, "plot-budget", "", W, H, "fitness against budget");
    struct axis xa, ya;
    axis_domain(&xa, lo, hi, hi / lo >= 4, 1);
    xa.p0 = A.x0 + 14;
    xa.p1 = A.x1 - 14;
    fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
    draw_frame(f, &A);
    draw_yaxis(f, &A, &ya, 0, "fitness");
    draw_xaxis(f, &A, &xa, 1, "budget (epochs)", NULL, 0);
    if (!R->dense_wide) /* under the marks */
        promotion_lines(R, &xa, &ya, bud, rung);
    struct scatter sc;
    scatter_open(&sc, R, MARK_DOT, R->dense_wide, &A);
    sc.extra = bud;
    for (size_t i = 0; i < R->n; i++)
        scatter_add(&sc, i, ax_pos(&xa, bud->values[i]) + 6 * jitter(value(R->id, i), 4),
                    fit_y(&ya, R->fit->values[i]));
    scatter_density(&sc);
    if (R->dense_wide) /* over the density, under the marks of the best */
        promotion_lines(R, &xa, &ya, bud, rung);
    scatter_close(&sc);
    fprintf(f, "</svg></section>\n");
}

/* Finalists (finalist.h): each finalist's validation score in the search against its mean over the
 * runs that re-evaluated it, with their spread and every run, and a table of the same; the gap between
 * the winner's search score, its mean and its test score is what the re-evaluation is for. */
static void section_finalists(struct report *R)
{
    FILE *f = R->f;
    const struct evo_results *r = R->r;
    struct evo_finalist *fs;
    size_t n = evo_results_finalists(r, &fs);
    if (!n)
        return;
    const struct evo_column *pa = evo_results_column(&r->individuals, "parent_a");
    const struct evo_column *purpose = evo_results_column(&r->individuals, "purpose");
    fprintf(f, "<section id=\"finalists\"><h2>Finalists re-evaluated</h2>\n<p class=\"note\">The %zu best "
               "distinct genomes by validation fitness (<code>finalists.count</code>) trained again with "
               "random streams of their own (<code>finalists.repeats</code>): the winner is the best mean "
               "over those runs, its search run not counted, and the best network is its run closest to "
               "that mean, the only one scored on the test split. Points below the diagonal scored lower "
               "when trained again: their search score was partly luck.</p>\n", n);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (int k = -1; k <= 1; k++) {
            double v = k < 0 ? fs[i].fitness : fs[i].mean + k * fs[i].spread;
            if (isfinite(v))
                lo = fmin(lo, v), hi = fmax(hi, v);
        }
    size_t rows = r->individuals.n_rows; /* the finalist rows follow R->n's search rows */
    for (size_t i = R->n; i < rows && purpose && pa; i++)
        if (purpose->values[i] == 1 && isfinite(R->fit->values[i]))
            lo = fmin(lo, R->fit->values[i]), hi = fmax(hi, R->fit->values[i]);
    if (!(hi > lo))
        lo -= 0.01, hi += 0.01;
    const double W = 520, H = 360;
    struct area A = {60, 10, W - 16, H - 42};
    fprintf(f, "<div class=\"two\"><div>");
    svg_open(f, "plot-finalists", "", W, H, "validation fitness in the search against re-evaluated fitness");
    struct axis xa, ya;
    axis_domain(&xa, lo, hi, 0, 0);
    axis_domain(&ya, lo, hi, 0, 0);
    inset_axes(&A, &xa, &ya, 10);
    draw_frame(f, &A);
    draw_yaxis(f, &A, &ya, 0, "fitness when trained again");
    draw_xaxis(f, &A, &xa, 0, "fitness in the search", NULL, 0);
    fprintf(f, "<line class=\"diag\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa5b1\" "
               "stroke-dasharray=\"4 3\"/>\n", ax_pos(&xa, xa.lo), ax_pos(&ya, xa.lo), ax_pos(&xa, xa.hi),
            ax_pos(&ya, xa.hi));
    for (size_t i = 0; i < n; i++) {
        double x = ax_pos(&xa, fs[i].fitness) + 5.0 * ((double)(i % 5) - 2.0); /* finalists often tie */
        const char *color = i == 0 ? "#e6550d" : "#3182bd";
        for (size_t j = R->n; j < rows && purpose && pa; j++) /* every run */
            if (purpose->values[j] == 1 && pa->values[j] == (double)fs[i].id)
                fprintf(f, "<circle class=\"run\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\" "
                           "fill-opacity=\"0.45\"/>\n", x + 8, fit_y(&ya, R->fit->values[j]), color);
        fprintf(f, "<line class=\"spread\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                x, fit_y(&ya, fs[i].mean - fs[i].spread), x, fit_y(&ya, fs[i].mean + fs[i].spread), color);
        fprintf(f, "<circle class=\"finalist\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>#%lld: "
                   "%.4f in the search, %.4f \xc2\xb1 %.4f over %d runs%s</title></circle>\n", x,
                fit_y(&ya, fs[i].mean), color, (long long)fs[i].id, fs[i].fitness, fs[i].mean, fs[i].spread,
                fs[i].runs, i == 0 ? " (the winner)" : "");
    }
    fprintf(f, "</svg></div><div><table class=\"top\"><thead><tr><th>#</th><th>network</th><th>in the "
               "search</th><th>re-evaluated</th><th>runs</th><th>search \xe2\x88\x92 mean</th></tr></thead>"
               "<tbody>\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "<tr%s><td>%zu</td><td>#%lld</td><td>%.4f</td><td>%.4f \xc2\xb1 %.4f</td><td>%d</td>"
                   "<td>%+.4f</td></tr>\n", i == 0 ? " class=\"best\"" : "", i + 1, (long long)fs[i].id,
                fs[i].fitness, fs[i].mean, fs[i].spread, fs[i].runs, fs[i].fitness - fs[i].mean);
    fprintf(f, "</tbody></table>\n<p class=\"note\">The winner, #%lld: %.4f in the search, %.4f \xc2\xb1 %.4f "
               "re-evaluated", (long long)fs[0].id, fs[0].fitness, fs[0].mean, fs[0].spread);
    if (fs[0].chosen >= 0)
        fprintf(f, "; the best network is its run #%lld", (long long)fs[0].chosen);
    if (!r->regression && r->has_best && isfinite(r->test_accuracy))
        fprintf(f, ", test accuracy %.4f", r->test_accuracy);
    else if (r->regression && r->has_best && isfinite(r->test_rmse))
        fprintf(f, ", test RMSE %.4g", r->test_rmse);
    fprintf(f, ".</p></div></div></section>\n");
    free(fs);
}

/* The fitness sections the strategy calls for. */
static void section_fitness(struct report *R)
{
    if (R->kind == KIND_GENERATIONAL) {
        section_generations(R);
        return;
    }
    section_trials(R);
    section_time(R);
    section_budget(R);
}

static void gene_scatter(struct report *R, const struct gene *g, const struct area *A, const struct axis *ya)
{
    FILE *f = R->f;
    struct axis xa;
    axis_domain(&xa, g->lo, g->hi, g->log, g->integer);
    xa.p0 = A->x0 + 10;
    xa.p1 = A->x1 - 10;
    draw_xaxis(f, A, &xa, g->integer, g->col->name, g->ticks, g->n_ticks);
    double jit = 0;
    if (g->few && !g->fixed) {
        double gap = fabs(ax_pos(&xa, g->lo + 1) - ax_pos(&xa, g->lo));
        for (size_t k = 1; k < g->n_ticks; k++)
            gap = fmin(gap, fabs(ax_pos(&xa, g->ticks[k]) - ax_pos(&xa, g->ticks[k - 1])));
        jit = fmin(16, 0.45 * gap);
    } else if (g->fixed) {
        jit = 30;
    }
    struct scatter sc;
    scatter_open(&sc, R, MARK_DOT, R->dense_genes, A);
    sc.extra = g->col;
    for (size_t i = 0; i < R->n; i++) {
        double v = g->col->values[i];
        if (g->per_layer && !present(g, v))
            continue; /* the network has no such layer */
        double x = ax_pos(&xa, isfinite(v) ? v : g->lo) + jit * jitter(value(R->id, i), 2);
        double y = fit_y(ya, R->fit->values[i]);
        scatter_add(&sc, i, x, y);
    }
    scatter_close(&sc);
}

/* A bar at the mean fitness of each choice's successful trials (n_ok[k] of them, their fitness summed
 * in sums[k]) across its strip; orange over a density, where black would not show. */
static void strip_means(const struct report *R, const struct area *A, const struct axis *ya, int K,
                        const size_t *n_ok, const double *sums)
{
    double band = (A->x1 - A->x0) / K;
    for (int k = 0; k < K; k++) {
        if (!n_ok[k])
            continue;
        double cx = A->x0 + band * (k + 0.5), mean = sums[k] / (double)n_ok[k], y = ax_pos(ya, mean);
        fprintf(R->f, "<line class=\"cat-mean\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"2\"><title>mean fitness %.4f over %zu successful</title></line>\n",
                cx - band * 0.32, y, cx + band * 0.32, y, R->dense_genes ? ACCENT : "#1f2933", mean, n_ok[k]);
    }
}

static void gene_strips(struct report *R, const struct gene *g, const struct area *A, const struct axis *ya)
{
    FILE *f = R->f;
    int K = g->col->n_enum > 0 ? g->col->n_enum : 1;
    double band = (A->x1 - A->x0) / K;
    /* per choice: trials, successful ones and their fitness summed */
    size_t *count = evo_mem_calloc(2 * (size_t)K, sizeof *count), *n_ok = count + K;
    double *sums = evo_mem_calloc((size_t)K, sizeof *sums);
    for (size_t i = 0; i < R->n; i++) {
        double v = g->col->values[i];
        if (!(v >= 0 && v < K) || v != floor(v))
            continue;
        count[(int)v]++;
        if (row_ok(R, i)) {
            n_ok[(int)v]++;
            sums[(int)v] += R->fit->values[i];
        }
    }
    for (int k = 0; k < K; k++) {
        double cx = A->x0 + band * (k + 0.5);
        if (k)
            fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", A->x0 + band * k,
                    A->y0, A->x0 + band * k, A->y1);
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"fill:#3e4c59;"
                   "font-size:11.5px\">", cx, A->y1 + 15);
        esc(f, g->col->n_enum > 0 ? g->col->enum_names[k] : "?");
        char n_text[32]; /* short enough for six choices side by side: 17k, not 16861 */
        if (count[k] < 10000)
            snprintf(n_text, sizeof n_text, "%zu", count[k]);
        else
            snprintf(n_text, sizeof n_text, "%.0fk", (double)count[k] / 1000);
        fprintf(f, "</text><text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">n = %s</text>\n",
                cx, A->y1 + 29, n_text);
    }
    if (!R->dense_genes) /* under the dots */
        strip_means(R, A, ya, K, n_ok, sums);
    struct scatter sc;
    scatter_open(&sc, R, MARK_DOT, R->dense_genes, A);
    sc.extra = g->col;
    for (size_t i = 0; i < R->n; i++) {
        double v = g->col->values[i];
        double cx = A->x0 + band * ((v >= 0 && v < K ? v : 0) + 0.5);
        double x = cx + jitter(value(R->id, i), 3) * fmin(band * 0.5, 70), y = fit_y(ya, R->fit->values[i]);
        scatter_add(&sc, i, x, y);
    }
    scatter_density(&sc);
    if (R->dense_genes) /* over the density, under the best's dots */
        strip_means(R, A, ya, K, n_ok, sums);
    scatter_close(&sc);
    free(count);
    free(sums);
}

static void section_genes(struct report *R)
{
    FILE *f = R->f;
    fprintf(f, "<section id=\"genes\"><h2>Hyperparameters against fitness</h2>\n<p class=\"note\">One dot per "
               "finished trial, shaded by %s; categorical genes as jittered strips with their mean fitness as a "
               "bar. Hover a dot for its trial, fitness and value; the marks of the fitness plot above list a "
               "trial's every hyperparameter.", shade_name(R));
    if (R->dense_genes)
        dense_note(R, "the plots are densities");
    fprintf(f, "</p>\n");
    if (R->n_genes == 0) {
        fprintf(f, "<p class=\"note\">no trial finished yet</p></section>\n");
        return;
    }
    if (R->dense_genes) {
        fprintf(f, "<div class=\"legendbar\"><span><svg width=\"18\" height=\"10\">");
        density_swatch(f, 0, 0);
        fprintf(f, "</svg>trials per cell (each plot its own scale)</span><span><svg width=\"14\" height=\"14\">"
                   "<circle cx=\"7\" cy=\"7\" r=\"3.6\" fill=\"" TOP_FILL "\"/></svg>the %d best</span>", TOP_DOTS);
    } else {
        char c0[16], c1[16];
        shade_color(R, c0, sizeof c0, R->shade_lo);
        shade_color(R, c1, sizeof c1, R->shade_hi);
        fprintf(f, "<div class=\"legendbar\"><span><svg width=\"90\" height=\"12\"><defs><linearGradient "
                   "id=\"gen-grad\"><stop offset=\"0\" stop-color=\"%s\"/><stop offset=\"0.5\" stop-color=\"#41b6c4\"/>"
                   "<stop offset=\"1\" stop-color=\"%s\"/></linearGradient></defs><rect width=\"90\" height=\"12\" "
                   "rx=\"3\" fill=\"url(#gen-grad)\"/></svg>%s %.0f \xe2\x86\x92 %.0f</span>", c0, c1, shade_name(R),
                R->shade_lo, R->shade_hi);
    }
    fprintf(f, "<span><svg width=\"14\" height=\"14\"><path d=\"M3 3l8 8m0 -8l-8 8\" stroke=\"" FAIL "\" "
               "stroke-width=\"1.8\"/></svg>failed</span>");
    fprintf(f, "<span><svg width=\"16\" height=\"16\"><circle cx=\"8\" cy=\"8\" r=\"6\" fill=\"none\" stroke=\""
               ACCENT "\" stroke-width=\"2\"/></svg>best</span></div>\n<div class=\"grid\">\n");
    const double W = 370, H = 260;
    struct area A = {52, 10, W - 12, H - 42};
    for (size_t k = 0; k < R->n_genes; k++) {
        const struct gene *g = &R->genes[k];
        int cat = g->col->kind == EVO_COLUMN_ENUM;
        fprintf(f, "<figure><figcaption>");
        esc(f, g->col->name);
        fprintf(f, "<span>%s%s%s</span></figcaption>\n", cat ? "categorical" : g->log ? "log scale" : "linear",
                g->fixed ? ", fixed" : "", R->dense_genes ? "; density" : "");
        svg_open(f, "plot-gene-", g->col->name, W, H, g->col->name);
        struct axis ya;
        fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
        draw_frame(f, &A);
        draw_yaxis(f, &A, &ya, 0, "fitness");
        if (cat)
            gene_strips(R, g, &A, &ya);
        else
            gene_scatter(R, g, &A, &ya);
        fprintf(f, "</svg></figure>\n");
    }
    fprintf(f, "</div></section>\n");
}

static void section_parallel(struct report *R)
{
    FILE *f = R->f;
    size_t shown = R->n_ok < TOP_PARALLEL ? R->n_ok : TOP_PARALLEL;
    fprintf(f, "<section id=\"parallel\"><h2>Top trials across all genes</h2>\n<p class=\"note\">The "
               "%zu best successful trials, one line each (the best in orange, then darker for fitter). "
               "Gene axes span every value tried, on a log scale where the search is log-scaled; the fitness "
               "axis spans the lines shown; a line skips the axes of layers its network does not have.</p>\n", shown);
    const double W = 1100, H = 400;
    if (shown == 0 || R->n_genes == 0) {
        svg_empty(f, "plot-parallel", W, 120, "no successful trial yet");
        fprintf(f, "</section>\n");
        return;
    }
    size_t n_axes = R->n_genes + 1;
    double x0 = 70, x1 = W - 70, y0 = 46, y1 = H - 34;
    struct axis *ax = evo_mem_calloc(n_axes, sizeof *ax);
    double flo = INFINITY, fhi = -INFINITY;
    for (size_t s = 0; s < shown; s++) {
        double v = R->fit->values[R->order[s]];
        flo = fmin(flo, v);
        fhi = fmax(fhi, v);
    }
    for (size_t k = 0; k < n_axes; k++) {
        if (k < R->n_genes) {
            const struct gene *g = &R->genes[k];
            if (g->col->kind == EVO_COLUMN_ENUM) {
                ax[k].lo = 0;
                ax[k].hi = g->col->n_enum > 1 ? g->col->n_enum - 1 : 1;
                ax[k].log = 0;
            } else {
                ax[k].log = g->log;
                ax[k].lo = g->lo;
                ax[k].hi = g->hi;
                if (!(g->hi > g->lo)) {
                    ax[k].lo = g->log ? g->lo / 2 : g->lo - 1;
                    ax[k].hi = g->log ? g->hi * 2 : g->hi + 1;
                }
            }
        } else {
            ax[k].log = 0;
            ax[k].lo = flo;
            ax[k].hi = fhi > flo ? fhi : flo + 0.01;
        }
        ax[k].p0 = y1;
        ax[k].p1 = y0;
    }
    svg_open(f, "plot-parallel", "", W, H, "parallel coordinates of the top trials");
    double dx = (x1 - x0) / (double)(n_axes > 1 ? n_axes - 1 : 1);
    /* lines, worst first so the best is drawn on top */
    char color[16];
    for (size_t s = shown; s-- > 0;) {
        size_t i = R->order[s];
        if (s == 0)
            snprintf(color, sizeof color, ACCENT);
        else
            ramp(color, sizeof color, 1.0 - (double)s / (double)shown * 0.85, BLUES, 4);
        fprintf(f, "<path class=\"pt line\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" stroke-opacity=\"%s\" "
                   "stroke-linejoin=\"round\" d=\"", color, s == 0 ? "3.2" : "1.6", s == 0 ? "1" : "0.75");
        int pen_up = 1;
        for (size_t k = 0; k < n_axes; k++) {
            double v = k < R->n_genes ? R->genes[k].col->values[i] : R->fit->values[i];
            if (k < R->n_genes && R->genes[k].per_layer && !present(&R->genes[k], v)) {
                pen_up = 1; /* a gap where the network has no such layer */
                continue;
            }
            if (k < R->n_genes && R->genes[k].col->kind != EVO_COLUMN_ENUM && !(R->genes[k].hi > R->genes[k].lo))
                v = (ax[k].lo + ax[k].hi) / 2;
            double y = ax_pos(&ax[k], v);
            if (k < R->n_genes && R->genes[k].col->kind == EVO_COLUMN_ENUM && R->genes[k].col->n_enum <= 1)
                y = (y0 + y1) / 2;
            fprintf(f, "%s%.1f %.1f", pen_up ? "M" : "L", x0 + dx * (double)k, y);
            pen_up = 0;
        }
        fprintf(f, "\">");
        write_title(R, i, NULL, 1);
        fprintf(f, "</path>\n");
    }
    /* axes on top of the lines */
    char buf[64];
    for (size_t k = 0; k < n_axes; k++) {
        double x = x0 + dx * (double)k;
        const char *name = k < R->n_genes ? gene_col_name(R, k) : "fitness";
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#52606d\" stroke-width=\"1.2\"/>"
                   "<text class=\"head\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y0, x, y1, x, y0 - 22);
        esc(f, name);
        fprintf(f, "</text>\n");
        if (k < R->n_genes && R->genes[k].log)
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">log</text>\n", x, y0 - 9);
        if (k < R->n_genes && R->genes[k].col->kind == EVO_COLUMN_ENUM) {
            const struct evo_column *c = R->genes[k].col;
            for (int e = 0; e < c->n_enum; e++) {
                double y = c->n_enum <= 1 ? (y0 + y1) / 2 : ax_pos(&ax[k], e);
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#52606d\"/>"
                           "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" style=\"fill:#3e4c59\">", x, y, x + 6, y + 4);
                esc(f, c->enum_names[e]);
                fprintf(f, "</text>\n");
            }
        } else if (k < R->n_genes && !(R->genes[k].hi > R->genes[k].lo)) {
            fmt_tick(buf, sizeof buf, R->genes[k].lo, 0);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#52606d\"/>"
                       "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s (fixed)</text>\n",
                    x - 4, (y0 + y1) / 2, x, (y0 + y1) / 2, x - 6, (y0 + y1) / 2 + 3.5, buf);
        } else {
            double t[MAX_TICKS];
            int expo, is_gene_axis = k < R->n_genes;
            size_t nt = ticks_of(&ax[k], is_gene_axis && R->genes[k].integer, is_gene_axis ? R->genes[k].ticks : NULL,
                                 is_gene_axis ? R->genes[k].n_ticks : 0, t, &expo);
            for (size_t j = 0; j < nt; j++) {
                double y = ax_pos(&ax[k], t[j]);
                if (y < y0 - 0.5 || y > y1 + 0.5)
                    continue;
                fmt_tick(buf, sizeof buf, t[j], expo);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#52606d\"/>"
                           "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                        x - 4, y, x, y, x - 6, y + 3.5, buf);
            }
        }
    }
    fprintf(f, "</svg>\n</section>\n");
    free(ax);
}

struct curve_pt {
    double epoch, v;
};

static int curve_cmp(const void *pa, const void *pb)
{
    const struct curve_pt *a = pa, *b = pb;
    return a->epoch < b->epoch ? -1 : a->epoch > b->epoch;
}

/* The rows of /curves in id order (ties in row order): NULL when they already are, as evotune writes
 * them, else an index (heap; the caller frees it). */
static size_t *curves_by_id(const struct evo_column *cid, size_t n)
{
    size_t i = 1;
    while (i < n && cid->values[i - 1] <= cid->values[i])
        i++;
    if (i >= n)
        return NULL;
    struct keyed *k = evo_mem_alloc(evo_mem_mul(n, sizeof *k));
    for (i = 0; i < n; i++)
        k[i] = (struct keyed){cid->values[i], (double)i, i};
    qsort(k, n, sizeof *k, keyed_cmp);
    size_t *idx = evo_mem_alloc(evo_mem_mul(n, sizeof *idx));
    for (i = 0; i < n; i++)
        idx[i] = k[i].row;
    free(k);
    return idx;
}

/* The positions [*lo, *hi) in the id order of /curves (by, as curves_by_id gives it) of trial id's rows. */
static void curve_span(const struct evo_column *cid, const size_t *by, size_t n, double id, size_t *lo, size_t *hi)
{
    for (int end = 0; end < 2; end++) { /* the first row of id or above, then the first above id */
        size_t a = 0, b = n;
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            double v = cid->values[by ? by[mid] : mid];
            if (v < id || (end && v == id))
                a = mid + 1;
            else
                b = mid;
        }
        *(end ? hi : lo) = a;
    }
}

static void section_curves(struct report *R)
{
    FILE *f = R->f;
    const struct evo_table *ct = &R->r->curves;
    const struct evo_column *cid = evo_results_column(ct, "id"), *cep = evo_results_column(ct, "epoch");
    fprintf(f, "<section id=\"curves\"><h2>Learning curves of the best</h2>\n");
    const double W = 1100, H = 300;
    const struct evo_column *metrics[3];
    size_t n_metrics = 0;
    static const char *const preferred[] = {"val_fitness", "val_loss", "train_loss"};
    for (size_t k = 0; k < 3 && cid && cep; k++) {
        const struct evo_column *c = evo_results_column(ct, preferred[k]);
        if (c)
            metrics[n_metrics++] = c;
    }
    for (size_t c = 0; !n_metrics && cid && cep && c < ct->n_cols && n_metrics < 3; c++)
        if (ct->cols[c].kind == EVO_COLUMN_FLOAT)
            metrics[n_metrics++] = &ct->cols[c];
    /* the best few that have a curve, and where their rows are */
    size_t shown[TOP_CURVES], n_shown = 0, span[TOP_CURVES][2], longest = 1;
    size_t *by = n_metrics ? curves_by_id(cid, ct->n_rows) : NULL;
    for (size_t s = 0; n_metrics && s < R->n && n_shown < TOP_CURVES; s++) {
        curve_span(cid, by, ct->n_rows, value(R->id, R->order[s]), &span[n_shown][0], &span[n_shown][1]);
        if (span[n_shown][1] > span[n_shown][0]) {
            longest = span[n_shown][1] - span[n_shown][0] > longest ? span[n_shown][1] - span[n_shown][0] : longest;
            shown[n_shown++] = R->order[s];
        }
    }
    if (!n_metrics || !n_shown) {
        free(by);
        fprintf(f, "<p class=\"note\">Per-epoch metrics of the best networks.</p>\n");
        svg_empty(f, "plot-curves", W, 90,
                  ct->n_rows && n_metrics ? "no learning curves recorded for the best networks"
                                          : "no learning curves recorded in this file");
        fprintf(f, "</section>\n");
        return;
    }
    fprintf(f, "<p class=\"note\">Per-epoch metrics of the %zu best networks that have curves.</p>\n", n_shown);
    svg_open(f, "plot-curves", "", W, H, "learning curves");
    double lx = 62;
    char label[64];
    for (size_t s = 0; s < n_shown; s++) {
        snprintf(label, sizeof label, "#%.0f (fitness %.4f)", value(R->id, shown[s]), R->fit->values[shown[s]]);
        lx = legend_item(f, lx, 16, "line", PALETTE[s % 8], label);
    }
    struct curve_pt *pts = evo_mem_alloc(evo_mem_mul(longest, sizeof *pts));
    double pw = (W - 40) / (double)n_metrics;
    for (size_t m = 0; m < n_metrics; m++) {
        struct area A = {20 + pw * (double)m + 50, 40, 20 + pw * (double)(m + 1) - 14, H - 46};
        double elo = INFINITY, ehi = -INFINITY, vlo = INFINITY, vhi = -INFINITY;
        for (size_t s = 0; s < n_shown; s++)
            for (size_t k = span[s][0]; k < span[s][1]; k++) {
                size_t j = by ? by[k] : k;
                if (isfinite(metrics[m]->values[j])) {
                    elo = fmin(elo, cep->values[j]);
                    ehi = fmax(ehi, cep->values[j]);
                    vlo = fmin(vlo, metrics[m]->values[j]);
                    vhi = fmax(vhi, metrics[m]->values[j]);
                }
            }
        struct axis xa, ya;
        axis_domain(&xa, elo, ehi, 0, 1);
        axis_domain(&ya, vlo, vhi, 0, 0);
        inset_axes(&A, &xa, &ya, 6);
        draw_frame(f, &A);
        draw_xaxis(f, &A, &xa, 1, "epoch", NULL, 0);
        draw_yaxis(f, &A, &ya, 0, NULL);
        fprintf(f, "<text class=\"head\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">", A.x0 + 8, A.y0 + 16);
        esc(f, metrics[m]->name);
        fprintf(f, "</text>\n");
        for (size_t s = n_shown; s-- > 0;) {
            size_t np = 0;
            double id = value(R->id, shown[s]);
            for (size_t k = span[s][0]; k < span[s][1]; k++) {
                size_t j = by ? by[k] : k;
                if (isfinite(metrics[m]->values[j]))
                    pts[np++] = (struct curve_pt){cep->values[j], metrics[m]->values[j]};
            }
            qsort(pts, np, sizeof *pts, curve_cmp);
            fprintf(f, "<path class=\"pt curve\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
                       "stroke-linejoin=\"round\" d=\"", PALETTE[s % 8], s == 0 ? "2.6" : "1.8");
            for (size_t p = 0; p < np; p++)
                fprintf(f, "%s%.1f %.1f", p ? "L" : "M", ax_pos(&xa, pts[p].epoch), ax_pos(&ya, pts[p].v));
            if (np == 1)
                fprintf(f, "h0.1");
            fprintf(f, "\"><title>#%.0f: ", id);
            esc(f, metrics[m]->name);
            fprintf(f, "</title></path>\n");
        }
    }
    free(pts);
    free(by);
    fprintf(f, "</svg>\n</section>\n");
}

static void section_ancestry(struct report *R)
{
    FILE *f = R->f;
    fprintf(f, "<section id=\"ancestry\"><h2>Ancestry of the best</h2>\n");
    const double W = 1100;
    if (R->mark < 0 || !R->gen || !R->id || !R->pa) {
        fprintf(f, "<p class=\"note\">Parents of the best trial, %s by %s.</p>\n", R->depth ? R->depth : "generation",
                R->depth ? R->depth : "generation");
        svg_empty(f, "plot-ancestry", W, 90, "no trial finished yet");
        fprintf(f, "</section>\n");
        return;
    }
    size_t n = R->n;
    long best = R->mark; /* a finalist run's lineage is that of the search row it repeats */
    int any_parent = 0;
    for (size_t i = 0; i < n && !any_parent; i++)
        any_parent = value(R->pa, i) >= 0 || value(R->pb, i) >= 0;
    if (!any_parent) { /* a plot of one node says nothing: say why instead */
        if (R->kind == KIND_RANDOM)
            fprintf(f, "<p class=\"note ancestry-none\">%s draws every trial %s: no trial has parents, so the best "
                       "(#%.0f) has no ancestry to show.</p>\n", R->tpe ? "tpe" : "Random search",
                    R->tpe ? "from the results of earlier trials" : "independently",
                    R->id->values[best]);
        else
            fprintf(f, "<p class=\"note ancestry-none\">No trial has parents yet: the best (#%.0f) comes from the "
                       "random start of the search.</p>\n", R->id->values[best]);
        fprintf(f, "</section>\n");
        return;
    }
    double gb = R->gen->values[best], gfirst_allowed = gb - (ANCESTRY_GENERATIONS - 1);
    long *queue = evo_mem_alloc(evo_mem_mul(n, sizeof *queue));
    char *shown = evo_mem_calloc(n, 1);
    char *stub = evo_mem_calloc(n, 1);  /* has a parent that is not shown */
    double *y = evo_mem_calloc(n, sizeof *y);
    size_t per_col[ANCESTRY_GENERATIONS] = {0}, hidden[ANCESTRY_GENERATIONS] = {0};
    size_t head = 0, tail = 0;
    queue[tail++] = best;
    shown[best] = 1;
    per_col[ANCESTRY_GENERATIONS - 1] = 1;
    double gfirst = gb;
    while (head < tail) {
        long i = queue[head++];
        for (int p = 0; p < 2; p++) {
            const struct evo_column *pc = p ? R->pb : R->pa;
            long row = pc ? row_of_id(R, pc->values[i]) : -1;
            if (row < 0 || shown[row] == 1)
                continue;
            if (shown[row] == 2) {
                stub[i] = 1;
                continue;
            }
            double g = R->gen->values[row];
            int col = (int)(g - gfirst_allowed);
            /* a steady_state parent_b may be as deep as its child or deeper: drawn as a stub, the
             * lineage runs through parent_a */
            if (g < gfirst_allowed || g >= R->gen->values[i] || col < 0 || col >= ANCESTRY_GENERATIONS) {
                stub[i] = 1;
                continue;
            }
            if (per_col[col] >= ANCESTRY_WIDTH) {
                shown[row] = 2;  /* counted once */
                hidden[col]++;
                stub[i] = 1;
                continue;
            }
            per_col[col]++;
            shown[row] = 1;
            queue[tail++] = row;
            gfirst = fmin(gfirst, g);
        }
    }
    size_t max_col = 1;
    for (int c = 0; c < ANCESTRY_GENERATIONS; c++)
        max_col = per_col[c] > max_col ? per_col[c] : max_col;
    int n_cols = (int)(gb - gfirst) + 1;
    double max_span = 1;  /* generations crossed by the longest edge: arches need room above */
    for (size_t t = 0; t < tail; t++)
        for (int p = 0; p < 2; p++) {
            const struct evo_column *pc = p ? R->pb : R->pa;
            long row = pc ? row_of_id(R, pc->values[queue[t]]) : -1;
            if (row >= 0 && shown[row] == 1 && R->gen->values[row] < R->gen->values[queue[t]])
                max_span = fmax(max_span, R->gen->values[queue[t]] - R->gen->values[row]);
        }
    double arch = max_span > 1 ? 20 + 6 * max_span : 0;
    double H = fmax(170, 38.0 * (double)max_col + 80) + arch, top = 50 + arch, bottom = H - 30;
    double xleft = 90, xright = W - 90;
    double colx[ANCESTRY_GENERATIONS];
    for (int c = 0; c < n_cols; c++)
        colx[c] = n_cols > 1 ? xleft + (xright - xleft) * c / (n_cols - 1) : W / 2;
    /* place columns right to left, each node at the mean height of its shown children */
    size_t *members = evo_mem_alloc(evo_mem_mul(n, sizeof *members));
    double *key = evo_mem_alloc(evo_mem_mul(n, sizeof *key));
    for (int c = n_cols - 1; c >= 0; c--) {
        double g = gfirst + c;
        size_t m = 0;
        for (size_t t = 0; t < tail; t++) {
            size_t i = (size_t)queue[t];
            if (R->gen->values[i] != g)
                continue;
            double sum = 0;
            int cnt = 0;
            for (size_t u = 0; u < tail; u++) {
                size_t ch = (size_t)queue[u];
                if (R->gen->values[ch] > g &&
                    (value(R->pa, ch) == R->id->values[i] || value(R->pb, ch) == R->id->values[i])) {
                    sum += y[ch];
                    cnt++;
                }
            }
            key[i] = cnt ? sum / cnt : (top + bottom) / 2;
            members[m++] = i;
        }
        for (size_t a = 1; a < m; a++)  /* insertion sort by key, stable */
            for (size_t b = a; b > 0 && key[members[b - 1]] > key[members[b]]; b--) {
                size_t tmp = members[b];
                members[b] = members[b - 1];
                members[b - 1] = tmp;
            }
        double spacing = fmin(38, (bottom - top) / (double)(m ? m : 1));
        for (size_t k = 0; k < m; k++)
            y[members[k]] = (top + bottom) / 2 + ((double)k - (double)(m - 1) / 2) * spacing;
    }
    double alo_shown = INFINITY, ahi_shown = -INFINITY;
    for (size_t t = 0; t < tail; t++)
        if (isfinite(R->fit->values[queue[t]]) && row_ok(R, (size_t)queue[t])) {
            alo_shown = fmin(alo_shown, R->fit->values[queue[t]]);
            ahi_shown = fmax(ahi_shown, R->fit->values[queue[t]]);
        }
    int steady = R->kind != KIND_GENERATIONAL;
    fprintf(f, "<p class=\"note\">Parents of the best trial (#%.0f), back to %s %.0f%s: solid edges lead to "
               "<code>parent_a</code>, dashed to <code>parent_b</code> (a child bred without crossover has one "
               "parent).%s Node colour is fitness; hover a node for its hyperparameters.</p>\n",
            R->id->values[best], steady ? "lineage depth" : "generation", gfirst,
            gfirst > 0 && gfirst == gfirst_allowed ? (steady ? " (shallower not shown)" : " (older generations not shown)") : "",
            steady ? " Columns are lineage depths: a trial is one deeper than its <code>parent_a</code>; a "
                     "<code>parent_b</code> as deep as its child or deeper ends in \xe2\x80\xa6 there." : "");
    if (tail > 1)
        fprintf(f, "<div class=\"legendbar\"><span><svg width=\"90\" height=\"12\"><defs><linearGradient "
                   "id=\"anc-grad\"><stop offset=\"0\" stop-color=\"#a3dbb9\"/><stop offset=\"0.5\" "
                   "stop-color=\"#3fa6c2\"/><stop offset=\"1\" stop-color=\"#081d58\"/></linearGradient></defs>"
                   "<rect width=\"90\" height=\"12\" rx=\"3\" fill=\"url(#anc-grad)\"/></svg>fitness %.4g "
                   "\xe2\x86\x92 %.4g</span></div>\n", alo_shown, ahi_shown);
    svg_open(f, "plot-ancestry", "", W, H, "ancestry of the best trial");
    for (int c = 0; c < n_cols; c++) {
        fprintf(f, "<text class=\"head\" x=\"%.1f\" y=\"22\" text-anchor=\"middle\">%s %.0f</text>\n", colx[c],
                steady ? "depth" : "gen", gfirst + c);
        int hc = (int)(gfirst + c - gfirst_allowed);
        if (hc >= 0 && hc < ANCESTRY_GENERATIONS && hidden[hc])
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">+%zu more</text>\n",
                    colx[c], H - 8, hidden[hc]);
    }
    /* edges first */
    for (size_t t = 0; t < tail; t++) {
        size_t i = (size_t)queue[t];
        double xc = colx[(int)(R->gen->values[i] - gfirst)], yc = y[i];
        for (int p = 0; p < 2; p++) {
            const struct evo_column *pc = p ? R->pb : R->pa;
            long row = pc ? row_of_id(R, pc->values[i]) : -1;
            if (row < 0 || shown[row] != 1)
                continue;
            if (R->gen->values[row] >= R->gen->values[i]) { /* shown as someone else's parent */
                stub[i] = 1;
                continue;
            }
            double xp = colx[(int)(R->gen->values[row] - gfirst)], yp = y[row], mx = (xc + xp) / 2;
            double span = R->gen->values[i] - R->gen->values[row];
            if (span > 1) {  /* an elite's child, or a shallower parent_b: arch over the columns between */
                double bow = 20 + 6 * span, ym = fmin(yc, yp) - bow * 1.33;
                fprintf(f, "<path class=\"edge%s\" d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\"/>\n",
                        p ? " edge-b" : "", xc - 8, yc - 6, xc - 40, ym, xp + 40, ym, xp + 8, yp - 6);
                continue;
            }
            fprintf(f, "<path class=\"edge%s\" d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\"/>\n", p ? " edge-b" : "",
                    xc - 10, yc, mx, yc, mx, yp, xp + 10, yp);
        }
        if (stub[i])
            fprintf(f, "<path class=\"edge edge-b\" d=\"M%.1f %.1fh-22\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"end\">\xe2\x80\xa6</text>\n", xc - 10, yc, xc - 34, yc + 4);
    }
    char color[16], buf[64];
    double alo = INFINITY, ahi = -INFINITY;  /* colour over the fitness range shown, which is narrow */
    for (size_t t = 0; t < tail; t++)
        if (isfinite(R->fit->values[queue[t]]) && row_ok(R, (size_t)queue[t])) {
            alo = fmin(alo, R->fit->values[queue[t]]);
            ahi = fmax(ahi, R->fit->values[queue[t]]);
        }
    for (size_t t = 0; t < tail; t++) {
        size_t i = (size_t)queue[t];
        double xc = colx[(int)(R->gen->values[i] - gfirst)], yc = y[i];
        ramp(color, sizeof color, ahi > alo ? 0.15 + 0.85 * (R->fit->values[i] - alo) / (ahi - alo) : 1, BLUES, 4);
        int is_best = (long)i == best;
        fprintf(f, "<circle class=\"pt node\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" stroke=\"%s\" "
                   "stroke-width=\"%s\">", xc, yc, is_best ? "12" : "9", row_ok(R, i) ? color : "#fde8e8",
                is_best ? ACCENT : row_ok(R, i) ? "#fff" : FAIL, is_best ? "3" : "1.5");
        write_title(R, i, NULL, 1);
        fmt_value(buf, sizeof buf, R->fit, i);
        fprintf(f, "</circle><text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                   "<tspan style=\"fill:#1f2933;font-weight:600\">#%.0f</tspan> ", xc, yc + (is_best ? 25 : 21),
                R->id->values[i]);
        esc(f, buf);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n</section>\n");
    free(queue);
    free(shown);
    free(stub);
    free(y);
    free(members);
    free(key);
}

static void section_top(struct report *R)
{
    FILE *f = R->f;
    size_t rows = R->n < TOP_TABLE ? R->n : TOP_TABLE;
    fprintf(f, "<section id=\"top\"><h2>Top %zu trials</h2>\n", rows);
    if (!rows) {
        fprintf(f, "<p class=\"note\">no trial finished yet</p></section>\n");
        return;
    }
    fprintf(f, "<p class=\"note\">Ordered as the run orders them: successful before failed, higher fitness, "
               "then lower id.</p>\n<div class=\"wrap\"><table class=\"top\"><thead><tr><th>#</th><th>id</th>");
    if (R->depth) /* random search has one generation: no column */
        fprintf(f, "<th>%s</th>", R->kind == KIND_GENERATIONAL ? "gen" : R->depth);
    for (size_t k = 0; k < R->n_genes; k++) {
        int cat = R->genes[k].col->kind == EVO_COLUMN_ENUM;
        fprintf(f, "<th%s>", cat ? " class=\"t\"" : "");
        esc(f, R->genes[k].col->name);
        fprintf(f, "</th>");
    }
    fprintf(f, "<th>fitness</th><th>val_loss</th><th>train s</th></tr></thead><tbody>\n");
    char buf[64];
    for (size_t s = 0; s < rows; s++) {
        size_t i = R->order[s];
        int ok = row_ok(R, i);
        fprintf(f, "<tr class=\"top-row%s%s\"><td>%zu</td><td>%.0f</td>", (long)i == R->mark ? " is-best" : "",
                ok ? "" : " is-fail", s + 1, value(R->id, i));
        if (R->depth)
            fprintf(f, "<td>%.0f</td>", value(R->gen, i));
        for (size_t k = 0; k < R->n_genes; k++) {
            int cat = R->genes[k].col->kind == EVO_COLUMN_ENUM;
            fmt_value(buf, sizeof buf, R->genes[k].col, i);
            fprintf(f, "<td%s>", cat ? " class=\"t\"" : "");
            esc(f, buf);
            fprintf(f, "</td>");
        }
        fmt_value(buf, sizeof buf, R->fit, i);
        fprintf(f, "<td><b>");
        esc(f, buf);
        fprintf(f, "</b>");
        if (!ok && R->status) {
            fmt_value(buf, sizeof buf, R->status, i);
            fprintf(f, "<span class=\"tag\">");
            esc(f, buf);
            fprintf(f, "</span>");
        }
        fmt_value(buf, sizeof buf, R->val_loss, i);
        fprintf(f, "</td><td>");
        esc(f, buf);
        if (R->secs && isfinite(R->secs->values[i]))
            fprintf(f, "</td><td>%.2f</td></tr>\n", R->secs->values[i]);
        else
            fprintf(f, "</td><td>\xe2\x80\x93</td></tr>\n");
    }
    fprintf(f, "</tbody></table></div></section>\n");
}

static void confusion_plot(struct report *R)
{
    FILE *f = R->f;
    const struct evo_results *r = R->r;
    int64_t C = r->n_classes;
    double cs = fmin(46, fmax(14, 560.0 / (double)C));
    int labels = C <= 40, numbers = cs >= 24;
    size_t longest = 1;
    for (int64_t k = 0; labels && r->class_names && k < C; k++)
        longest = strlen(r->class_names[k]) > longest ? strlen(r->class_names[k]) : longest;
    double name_px = fmin(150, 6.5 * (double)longest);
    double ml = labels ? 34 + name_px : 40, mt = labels ? 34 + 0.7 * name_px : 50;
    double W = ml + cs * (double)C + 80 + 0.6 * name_px, H = mt + cs * (double)C + 16;
    svg_open(f, "plot-confusion", "", W, H, "confusion matrix of the best network on the test split");
    fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"16\" text-anchor=\"middle\">predicted class</text>"
               "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">recall</text>\n",
            ml + cs * (double)C / 2, ml + cs * (double)C + 40, mt - 8);
    fprintf(f, "<text class=\"label\" x=\"12\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 12 %.1f)\">"
               "true class</text>\n", mt + cs * (double)C / 2, mt + cs * (double)C / 2);
    char color[16];
    for (int64_t t = 0; t < C; t++) {
        int64_t row = 0;
        for (int64_t p = 0; p < C; p++)
            row += r->confusion[t * C + p];
        if (labels) {
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" style=\"fill:#3e4c59\">",
                    ml - 6, mt + cs * ((double)t + 0.5) + 4);
            esc(f, r->class_names ? r->class_names[t] : "?");
            fprintf(f, "</text>\n<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" "
                       "transform=\"rotate(-40 %.1f %.1f)\" style=\"fill:#3e4c59\">",
                    ml + cs * ((double)t + 0.5), mt - 6, ml + cs * ((double)t + 0.5), mt - 6);
            esc(f, r->class_names ? r->class_names[t] : "?");
            fprintf(f, "</text>\n");
        }
        for (int64_t p = 0; p < C; p++) {
            int64_t v = r->confusion[t * C + p];
            double frac = row ? (double)v / (double)row : 0;
            ramp(color, sizeof color, frac, HEAT, 4);
            fprintf(f, "<rect class=\"pt cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                       "stroke=\"#fff\"><title>", ml + cs * (double)p, mt + cs * (double)t, cs, cs, color);
            fprintf(f, "true ");
            esc(f, r->class_names ? r->class_names[t] : "?");
            fprintf(f, ", predicted ");
            esc(f, r->class_names ? r->class_names[p] : "?");
            fprintf(f, ": %lld (%.1f%% of the row)</title></rect>\n", (long long)v, 100 * frac);
            if (numbers && v)
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"font-size:%.0fpx;fill:%s\">"
                           "%lld</text>\n", ml + cs * ((double)p + 0.5), mt + cs * ((double)t + 0.5) + 4,
                        fmin(12, cs * 0.4), frac > 0.5 ? "#fff" : "#1f2933", (long long)v);
        }
        double recall = row ? (double)r->confusion[t * C + t] / (double)row : NAN;
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"fill:#3e4c59\">",
                ml + cs * (double)C + 40, mt + cs * ((double)t + 0.5) + 4);
        if (isfinite(recall))
            fprintf(f, "%.1f%%", 100 * recall);
        else
            fprintf(f, "\xe2\x80\x93");
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
}

static void section_test(struct report *R)
{
    FILE *f = R->f;
    const struct evo_results *r = R->r;
    fprintf(f, "<section id=\"test\"><h2>Best network on the test split</h2>\n");
    if (r->final_epochs > 0) /* cross-validated: the fitness shown is its folds' mean */
        fprintf(f, "<p class=\"note cv\">Cross-validated run: every fitness is the mean over the trial's %zu folds "
                   "(<code>/folds</code> holds each). The best network was trained once more on all %lld rows of "
                   "the folds, for %lld epochs (the mean of the epochs its folds' kept weights had trained), and "
                   "that network is the one scored here.</p>\n",
                r->folds.n_rows && r->individuals.n_rows ? r->folds.n_rows / r->individuals.n_rows : (size_t)0,
                (long long)r->final_rows, (long long)r->final_epochs);
    int scored = r->has_best && isfinite(r->regression ? r->test_rmse : r->test_accuracy);
    if (!r->has_best)
        fprintf(f, "<p class=\"note\">no best network in this file yet: not scored yet (run not finished)</p>\n");
    else if (!scored)
        fprintf(f, "<p class=\"note\">test metrics: not scored yet (run not finished). The test split "
                   "is used once, when the run finishes.</p>\n");
    fprintf(f, "<div class=\"two\"><div>");
    if (scored && r->regression)
        fprintf(f, "<div class=\"cards\" style=\"margin-top:0\"><div class=\"card\"><div class=\"k\">test RMSE"
                   "</div><div class=\"v\">%.4g</div></div><div class=\"card\"><div class=\"k\">test MAE</div>"
                   "<div class=\"v\">%.4g</div></div><div class=\"card\"><div class=\"k\">test R\xc2\xb2</div>"
                   "<div class=\"v\">%.4f</div></div></div>\n", r->test_rmse, r->test_mae, r->test_r2);
    else if (scored)
        fprintf(f, "<div class=\"cards\" style=\"margin-top:0\"><div class=\"card\"><div class=\"k\">test accuracy"
                   "</div><div class=\"v\">%.2f%%</div></div><div class=\"card\"><div class=\"k\">test loss</div>"
                   "<div class=\"v\">%.4f</div></div></div>\n", 100 * r->test_accuracy, r->test_loss);
    if (R->best >= 0) {
        size_t b = (size_t)R->best;
        char buf[64];
        fprintf(f, "<h3>Trial ");
        write_name(R, b);
        fprintf(f, "</h3><table class=\"meta\">\n");
        for (size_t k = 0; k < R->n_genes; k++) {
            fmt_value(buf, sizeof buf, R->genes[k].col, b);
            fprintf(f, "<tr><td class=\"k\">");
            esc(f, R->genes[k].col->name);
            fprintf(f, "</td><td>");
            esc(f, buf);
            fprintf(f, "</td></tr>\n");
        }
        fmt_value(buf, sizeof buf, R->fit, b);
        fprintf(f, "<tr><td class=\"k\">fitness</td><td>");
        esc(f, buf);
        fprintf(f, "</td></tr></table>\n");
    }
    fprintf(f, "</div><div>");
    if (r->confusion && r->n_classes > 0) {
        fprintf(f, "<h3 style=\"margin-top:0\">Confusion matrix</h3>\n");
        confusion_plot(R);
    } else if (!r->regression) { /* regression has none: its metrics are the cards above */
        svg_empty(f, "plot-confusion", 420, 90,
                  scored ? "no confusion matrix in this file" : "not scored yet (run not finished)");
    }
    fprintf(f, "</div></div></section>\n");
}

int evo_report_write(const struct evo_results *r, FILE *f, struct evo_error *err)
{
    struct report R;
    report_init(&R, r, f);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<meta name=\"generator\" content=\"evotune\"><title>evotune report \xe2\x80\x94 ");
    esc(f, base_name(r->path));
    fprintf(f, "</title>\n<style>\n%s</style></head>\n<body><main>\n", CSS);
    section_header(&R);
    section_fitness(&R);
    section_finalists(&R);
    section_genes(&R);
    section_parallel(&R);
    section_curves(&R);
    section_ancestry(&R);
    section_top(&R);
    section_test(&R);
    fprintf(f, "<footer>evotune report of <code>");
    esc(f, r->path);
    fprintf(f, "</code>");
    if (r->written_at) {
        fprintf(f, " as written at ");
        esc(f, r->written_at);
    }
    fprintf(f, "</footer>\n</main></body></html>\n");
    free(R.order);
    free(R.top);
    if (fflush(f) || ferror(f))
        return evo_error_set(err, EVO_EIO, "cannot write the report: %s", strerror(errno ? errno : EIO));
    return EVO_OK;
}

struct save_ctx {
    const struct evo_results *r;
    const char *path;
};

static int write_report(void *ctx, FILE *f, struct evo_error *err)
{
    const struct save_ctx *c = ctx;
    return evo_report_write(c->r, f, err) ? evo_error_prefix(err, "'%s'", c->path) : EVO_OK;
}

int evo_report_save(const struct evo_results *r, const char *path, struct evo_error *err)
{
    struct save_ctx c = {r, path};
    return evo_file_save(path, write_report, &c, err);
}

char *evo_report_default_path(const char *results_path)
{
    size_t n = strlen(results_path);
    char *out = evo_mem_alloc(n + 6);
    memcpy(out, results_path, n + 1);
    if (n > 3 && !strcmp(out + n - 3, ".h5"))
        n -= 3;
    memcpy(out + n, ".html", 6);
    return out;
}

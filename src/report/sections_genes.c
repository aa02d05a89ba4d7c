/* The report's gene sections: every gene against fitness (a scatter per numeric gene, jittered strips
 * with the mean fitness per choice for a categorical one; densities past DOTS_GENE_MAX trials) and the
 * parallel coordinates of the top trials across all genes. */
#include <stdlib.h>
#include "evotune/mem.h"
#include "internal.h"

#define TOP_PARALLEL 20  /* trials in the parallel-coordinates view */

static const char *gene_col_name(const struct report *R, size_t k)
{
    return R->genes[k].col->name;
}

static void gene_scatter(struct report *R, const struct gene *g, const struct area *A, const struct axis *ya)
{
    FILE *f = R->f;
    struct axis xa;
    evo_svg_axis_domain(&xa, g->lo, g->hi, g->log, g->integer);
    xa.p0 = A->x0 + 10;
    xa.p1 = A->x1 - 10;
    evo_svg_xaxis(f, A, &xa, g->integer, g->col->name, g->ticks, g->n_ticks);
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
    evo_report_scatter_open(&sc, R, MARK_DOT, R->dense_genes, A);
    sc.extra = g->col;
    for (size_t i = 0; i < R->n; i++) {
        double v = g->col->values[i];
        if (g->per_layer && !present(g, v))
            continue; /* the network has no such layer */
        double x = ax_pos(&xa, isfinite(v) ? v : g->lo) + jit * evo_svg_jitter(value(R->id, i), 2);
        double y = fit_y(ya, R->fit->values[i]);
        evo_report_scatter_add(&sc, i, x, y);
    }
    evo_report_scatter_close(&sc);
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
        evo_svg_esc(f, g->col->n_enum > 0 ? g->col->enum_names[k] : "?");
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
    evo_report_scatter_open(&sc, R, MARK_DOT, R->dense_genes, A);
    sc.extra = g->col;
    for (size_t i = 0; i < R->n; i++) {
        double v = g->col->values[i];
        double cx = A->x0 + band * ((v >= 0 && v < K ? v : 0) + 0.5);
        double x = cx + evo_svg_jitter(value(R->id, i), 3) * fmin(band * 0.5, 70), y = fit_y(ya, R->fit->values[i]);
        evo_report_scatter_add(&sc, i, x, y);
    }
    evo_report_scatter_density(&sc);
    if (R->dense_genes) /* over the density, under the best's dots */
        strip_means(R, A, ya, K, n_ok, sums);
    evo_report_scatter_close(&sc);
    free(count);
    free(sums);
}

void evo_report_section_genes(struct report *R)
{
    FILE *f = R->f;
    fprintf(f, "<section id=\"genes\"><h2>Hyperparameters against fitness</h2>\n<p class=\"note\">One dot per "
               "finished trial, shaded by %s; categorical genes as jittered strips with their mean fitness as a "
               "bar. Hover a dot for its trial, fitness and value; the marks of the fitness plot above list a "
               "trial's every hyperparameter.", evo_report_shade_name(R));
    if (R->dense_genes)
        evo_report_dense_note(R, "the plots are densities");
    fprintf(f, "</p>\n");
    if (R->n_genes == 0) {
        fprintf(f, "<p class=\"note\">no trial finished yet</p></section>\n");
        return;
    }
    if (R->dense_genes) {
        fprintf(f, "<div class=\"legendbar\"><span><svg width=\"18\" height=\"10\">");
        evo_svg_density_swatch(f, 0, 0);
        fprintf(f, "</svg>trials per cell (each plot its own scale)</span><span><svg width=\"14\" height=\"14\">"
                   "<circle cx=\"7\" cy=\"7\" r=\"3.6\" fill=\"" TOP_FILL "\"/></svg>the %d best</span>", TOP_DOTS);
    } else {
        char c0[16], c1[16];
        evo_report_shade_color(R, c0, sizeof c0, R->shade_lo);
        evo_report_shade_color(R, c1, sizeof c1, R->shade_hi);
        fprintf(f, "<div class=\"legendbar\"><span><svg width=\"90\" height=\"12\"><defs><linearGradient "
                   "id=\"gen-grad\"><stop offset=\"0\" stop-color=\"%s\"/><stop offset=\"0.5\" stop-color=\"#41b6c4\"/>"
                   "<stop offset=\"1\" stop-color=\"%s\"/></linearGradient></defs><rect width=\"90\" height=\"12\" "
                   "rx=\"3\" fill=\"url(#gen-grad)\"/></svg>%s %.0f \xe2\x86\x92 %.0f</span>", c0, c1,
                evo_report_shade_name(R), R->shade_lo, R->shade_hi);
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
        evo_svg_esc(f, g->col->name);
        fprintf(f, "<span>%s%s%s</span></figcaption>\n", cat ? "categorical" : g->log ? "log scale" : "linear",
                g->fixed ? ", fixed" : "", R->dense_genes ? "; density" : "");
        evo_svg_open(f, "plot-gene-", g->col->name, W, H, g->col->name);
        struct axis ya;
        evo_report_fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
        evo_svg_frame(f, &A);
        evo_svg_yaxis(f, &A, &ya, 0, "fitness");
        if (cat)
            gene_strips(R, g, &A, &ya);
        else
            gene_scatter(R, g, &A, &ya);
        fprintf(f, "</svg></figure>\n");
    }
    fprintf(f, "</div></section>\n");
}

void evo_report_section_parallel(struct report *R)
{
    FILE *f = R->f;
    size_t shown = R->n_ok < TOP_PARALLEL ? R->n_ok : TOP_PARALLEL;
    fprintf(f, "<section id=\"parallel\"><h2>Top trials across all genes</h2>\n<p class=\"note\">The "
               "%zu best successful trials, one line each (the best in orange, then darker for fitter). "
               "Gene axes span every value tried, on a log scale where the search is log-scaled; the fitness "
               "axis spans the lines shown; a line skips the axes of layers its network does not have.</p>\n", shown);
    const double W = 1100, H = 400;
    if (shown == 0 || R->n_genes == 0) {
        evo_svg_empty(f, "plot-parallel", W, 120, "no successful trial yet");
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
    evo_svg_open(f, "plot-parallel", "", W, H, "parallel coordinates of the top trials");
    double dx = (x1 - x0) / (double)(n_axes > 1 ? n_axes - 1 : 1);
    /* lines, worst first so the best is drawn on top */
    char color[16];
    for (size_t s = shown; s-- > 0;) {
        size_t i = R->order[s];
        if (s == 0)
            snprintf(color, sizeof color, ACCENT);
        else
            evo_svg_blues(color, sizeof color, 1.0 - (double)s / (double)shown * 0.85);
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
        evo_report_write_title(R, i, NULL, 1);
        fprintf(f, "</path>\n");
    }
    /* axes on top of the lines */
    char buf[64];
    for (size_t k = 0; k < n_axes; k++) {
        double x = x0 + dx * (double)k;
        const char *name = k < R->n_genes ? gene_col_name(R, k) : "fitness";
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#52606d\" stroke-width=\"1.2\"/>"
                   "<text class=\"head\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y0, x, y1, x, y0 - 22);
        evo_svg_esc(f, name);
        fprintf(f, "</text>\n");
        if (k < R->n_genes && R->genes[k].log)
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">log</text>\n", x, y0 - 9);
        if (k < R->n_genes && R->genes[k].col->kind == EVO_COLUMN_ENUM) {
            const struct evo_column *c = R->genes[k].col;
            for (int e = 0; e < c->n_enum; e++) {
                double y = c->n_enum <= 1 ? (y0 + y1) / 2 : ax_pos(&ax[k], e);
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#52606d\"/>"
                           "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" style=\"fill:#3e4c59\">", x, y, x + 6, y + 4);
                evo_svg_esc(f, c->enum_names[e]);
                fprintf(f, "</text>\n");
            }
        } else if (k < R->n_genes && !(R->genes[k].hi > R->genes[k].lo)) {
            evo_svg_fmt_tick(buf, sizeof buf, R->genes[k].lo, 0);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#52606d\"/>"
                       "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s (fixed)</text>\n",
                    x - 4, (y0 + y1) / 2, x, (y0 + y1) / 2, x - 6, (y0 + y1) / 2 + 3.5, buf);
        } else {
            double t[MAX_TICKS];
            int expo, is_gene_axis = k < R->n_genes;
            size_t nt = evo_svg_ticks(&ax[k], is_gene_axis && R->genes[k].integer,
                                      is_gene_axis ? R->genes[k].ticks : NULL, is_gene_axis ? R->genes[k].n_ticks : 0,
                                      t, &expo);
            for (size_t j = 0; j < nt; j++) {
                double y = ax_pos(&ax[k], t[j]);
                if (y < y0 - 0.5 || y > y1 + 0.5)
                    continue;
                evo_svg_fmt_tick(buf, sizeof buf, t[j], expo);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#52606d\"/>"
                           "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                        x - 4, y, x, y, x - 6, y + 3.5, buf);
            }
        }
    }
    fprintf(f, "</svg>\n</section>\n");
    free(ax);
}

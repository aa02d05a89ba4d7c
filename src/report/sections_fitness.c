/* The report's fitness sections: per generation (generational: best, mean and spread, and the trials),
 * over trials and over running time with the running best (the other strategies), against the budget
 * (promotion), and the finalists' re-evaluation. Past DOTS_WIDE_MAX trials a plot's trials are a
 * density. */
#include <stdlib.h>
#include "evotune/mem.h"
#include "internal.h"

#define GEN_MARKS_MAX 200   /* generations whose best and mean each get a hover dot */
#define GEN_POINTS_MAX 1000 /* points of the per-generation lines: more generations are merged */

/* The legend entries of a plot of trial marks, at x on the legend's line: a grey dot per trial, or the
 * cells of a density and the best trials' orange dots; a red cross when failed. Returns the next x. */
static double trials_legend(const struct report *R, double x, int failed)
{
    FILE *f = R->f;
    if (R->dense_wide) {
        x = evo_svg_legend_item(f, x, 18, "cells", NULL, "trials (density)");
        x = evo_svg_legend_item(f, x, 18, "dot", TOP_FILL, "the best trials");
    } else {
        x = evo_svg_legend_item(f, x, 18, "dot", "#9aa5b1", "trial");
    }
    if (failed)
        x = evo_svg_legend_item(f, x, 18, "cross", FAIL, "failed");
    return x;
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
    evo_svg_esc(f, r_fitness_name(R->r));
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
        evo_report_dense_note(R, "the trials are drawn as a density");
    fprintf(f, "</p>\n");
    const double W = 1100, H = 360;
    if (G == 0 && R->n == 0) {
        evo_svg_empty(f, "plot-fitness", W, 120, "no generation completed yet");
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
    evo_report_fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
    evo_svg_open(f, "plot-fitness", "", W, H, "fitness per generation");
    fprintf(f, "<defs><clipPath id=\"clip-fitness\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
               "</clipPath></defs>\n", A.x0, A.y0, A.x1 - A.x0, A.y1 - A.y0);
    evo_svg_frame(f, &A);
    evo_svg_xaxis(f, &A, &xa, 1, "generation", NULL, 0);
    evo_svg_yaxis(f, &A, &ya, 0, "fitness");
    double lx = A.x0;
    lx = evo_svg_legend_item(f, lx, 18, "line", ACCENT, "best");
    lx = evo_svg_legend_item(f, lx, 18, "line", "#3182bd", "mean");
    lx = evo_svg_legend_item(f, lx, 18, "band", "#3182bd", "mean \xc2\xb1 std");
    trials_legend(R, lx, R->n > R->n_ok);

    double xw = G > 1 || R->gen_hi > R->gen_lo ? (xa.p1 - xa.p0) / (R->gen_hi - R->gen_lo + 1) : 60;
    struct scatter sc;
    evo_report_scatter_open(&sc, R, MARK_GENERATION, R->dense_wide, &A);
    for (size_t i = 0; R->gen && i < R->n; i++) {
        double x = ax_pos(&xa, R->gen->values[i]) + evo_svg_jitter(value(R->id, i), 1) * fmin(xw * 0.5, 40);
        evo_report_scatter_add(&sc, i, x, fit_y(&ya, R->fit->values[i]));
    }
    evo_report_scatter_close(&sc);
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
    size_t *rows, m = evo_report_rows_by(R, P->x, &rows);
    if (m == 0) { /* the callers say why first; this keeps the plot's id whatever they check */
        evo_svg_empty(f, P->id, W, 120, "no trial to show");
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
    evo_svg_axis_domain(&xa, xlo, xhi, 0, P->integer);
    xa.p0 = A.x0 + 10;
    xa.p1 = A.x1 - 10;
    evo_report_fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
    evo_svg_open(f, P->id, "", W, H, P->aria);
    evo_svg_frame(f, &A);
    evo_svg_xaxis(f, &A, &xa, P->integer, P->x_label, NULL, 0);
    evo_svg_yaxis(f, &A, &ya, 0, "fitness");
    int any_failed = 0;
    for (size_t j = 0; j < m; j++)
        any_failed |= !row_ok(R, rows[j]);
    double lx = A.x0;
    lx = trials_legend(R, lx, any_failed);
    lx = evo_svg_legend_item(f, lx, 18, "line", ACCENT, "running best");
    lx = evo_svg_legend_item(f, lx, 18, "ring", ACCENT, "new best");
    if (limit)
        evo_svg_legend_item(f, lx, 18, "dash", "#616e7c", "time limit");
    if (limit)
        fprintf(f, "<line class=\"limit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#616e7c\" "
                   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", ax_pos(&xa, P->limit), A.y0,
                ax_pos(&xa, P->limit), A.y1);
    size_t *rec = evo_mem_alloc(evo_mem_mul(m, sizeof *rec)), n_rec = 0;
    struct scatter sc;
    evo_report_scatter_open(&sc, R, MARK_TRIAL, R->dense_wide, &A);
    sc.all_genes = P->all_genes;
    for (size_t j = 0; j < m; j++) {
        size_t i = rows[j];
        double x = ax_pos(&xa, P->x->values[i] / P->scale), y = fit_y(&ya, R->fit->values[i]);
        int ok = row_ok(R, i);
        evo_report_scatter_add(&sc, i, x, y);
        if (ok && isfinite(R->fit->values[i]) && (!n_rec || R->fit->values[i] > R->fit->values[rec[n_rec - 1]]))
            rec[n_rec++] = i;
    }
    evo_report_scatter_close(&sc);
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
            evo_report_write_name(R, i);
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
    evo_svg_esc(f, r_fitness_name(R->r));
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
        evo_report_dense_note(R, "this plot and the next are densities");
    fprintf(f, "</p>\n");
    if (R->n == 0 || !R->id) {
        evo_svg_empty(f, "plot-trials", 1100, 120, "no trial finished yet");
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
        evo_svg_empty(f, "plot-time", 1100, 120, R->n ? "no finish times in this file" : "no trial finished yet");
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
        evo_report_dense_note(R, "the rows are drawn as a density");
        fprintf(f, " Only the promotions into those best rows are drawn as lines.");
    }
    fprintf(f, "</p>\n");
    const double W = 1100, H = 340;
    struct area A = {60, 10, W - 16, H - 42};
    evo_svg_open(f, "plot-budget", "", W, H, "fitness against budget");
    struct axis xa, ya;
    evo_svg_axis_domain(&xa, lo, hi, hi / lo >= 4, 1);
    xa.p0 = A.x0 + 14;
    xa.p1 = A.x1 - 14;
    evo_report_fitness_axis(R, &ya, A.y1 - 8, A.y0 + 8);
    evo_svg_frame(f, &A);
    evo_svg_yaxis(f, &A, &ya, 0, "fitness");
    evo_svg_xaxis(f, &A, &xa, 1, "budget (epochs)", NULL, 0);
    if (!R->dense_wide) /* under the marks */
        promotion_lines(R, &xa, &ya, bud, rung);
    struct scatter sc;
    evo_report_scatter_open(&sc, R, MARK_DOT, R->dense_wide, &A);
    sc.extra = bud;
    for (size_t i = 0; i < R->n; i++)
        evo_report_scatter_add(&sc, i, ax_pos(&xa, bud->values[i]) + 6 * evo_svg_jitter(value(R->id, i), 4),
                               fit_y(&ya, R->fit->values[i]));
    evo_report_scatter_density(&sc);
    if (R->dense_wide) /* over the density, under the marks of the best */
        promotion_lines(R, &xa, &ya, bud, rung);
    evo_report_scatter_close(&sc);
    fprintf(f, "</svg></section>\n");
}

/* Finalists (finalist.h): each finalist's validation score in the search against its mean over the
 * runs that re-evaluated it, with their spread and every run, and a table of the same; the gap between
 * the winner's search score, its mean and its test score is what the re-evaluation is for. */
void evo_report_section_finalists(struct report *R)
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
    evo_svg_open(f, "plot-finalists", "", W, H, "validation fitness in the search against re-evaluated fitness");
    struct axis xa, ya;
    evo_svg_axis_domain(&xa, lo, hi, 0, 0);
    evo_svg_axis_domain(&ya, lo, hi, 0, 0);
    evo_svg_inset_axes(&A, &xa, &ya, 10);
    evo_svg_frame(f, &A);
    evo_svg_yaxis(f, &A, &ya, 0, "fitness when trained again");
    evo_svg_xaxis(f, &A, &xa, 0, "fitness in the search", NULL, 0);
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
    if (!r->regression && r->has_best && isfinite(r->test.accuracy))
        fprintf(f, ", test accuracy %.4f", r->test.accuracy);
    else if (r->regression && r->has_best && isfinite(r->test.rmse))
        fprintf(f, ", test RMSE %.4g", r->test.rmse);
    fprintf(f, ".</p></div></div></section>\n");
    free(fs);
}

/* The fitness sections the strategy calls for. */
void evo_report_section_fitness(struct report *R)
{
    if (R->kind == KIND_GENERATIONAL) {
        section_generations(R);
        return;
    }
    section_trials(R);
    section_time(R);
    section_budget(R);
}

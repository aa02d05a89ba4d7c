/* The report's sections on the best trials' histories: their learning curves (per epoch, from
 * /curves) and the best's ancestry (its parents back over up to ANCESTRY_GENERATIONS generations or
 * lineage depths, drawn as a graph). */
#include <stdlib.h>
#include "evotune/mem.h"
#include "internal.h"

#define TOP_CURVES 5             /* trials whose learning curves are drawn */
#define ANCESTRY_GENERATIONS 10  /* generations (lineage depths) of ancestry shown, the best's included */
#define ANCESTRY_WIDTH 14        /* ancestors shown per generation */

static const char *const PALETTE[] = {"#e6550d", "#3182bd", "#31a354", "#756bb1", "#8c564b",
                                      "#e377c2", "#17becf", "#bcbd22"};

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
    return evo_report_keyed_rows(k, n);
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

void evo_report_section_curves(struct report *R)
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
        evo_svg_empty(f, "plot-curves", W, 90,
                      ct->n_rows && n_metrics ? "no learning curves recorded for the best networks"
                      : "no learning curves recorded in this file");
        fprintf(f, "</section>\n");
        return;
    }
    fprintf(f, "<p class=\"note\">Per-epoch metrics of the %zu best networks that have curves.</p>\n", n_shown);
    evo_svg_open(f, "plot-curves", "", W, H, "learning curves");
    double lx = 62;
    char label[64];
    for (size_t s = 0; s < n_shown; s++) {
        snprintf(label, sizeof label, "#%.0f (fitness %.4f)", value(R->id, shown[s]), R->fit->values[shown[s]]);
        lx = evo_svg_legend_item(f, lx, 16, "line", PALETTE[s % 8], label);
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
        evo_svg_axis_domain(&xa, elo, ehi, 0, 1);
        evo_svg_axis_domain(&ya, vlo, vhi, 0, 0);
        evo_svg_inset_axes(&A, &xa, &ya, 6);
        evo_svg_frame(f, &A);
        evo_svg_xaxis(f, &A, &xa, 1, "epoch", NULL, 0);
        evo_svg_yaxis(f, &A, &ya, 0, NULL);
        fprintf(f, "<text class=\"head\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">", A.x0 + 8, A.y0 + 16);
        evo_svg_esc(f, metrics[m]->name);
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
            evo_svg_esc(f, metrics[m]->name);
            fprintf(f, "</title></path>\n");
        }
    }
    free(pts);
    free(by);
    fprintf(f, "</svg>\n</section>\n");
}

void evo_report_section_ancestry(struct report *R)
{
    FILE *f = R->f;
    fprintf(f, "<section id=\"ancestry\"><h2>Ancestry of the best</h2>\n");
    const double W = 1100;
    if (R->mark < 0 || !R->gen || !R->id || !R->pa) {
        fprintf(f, "<p class=\"note\">Parents of the best trial, %s by %s.</p>\n", R->depth ? R->depth : "generation",
                R->depth ? R->depth : "generation");
        evo_svg_empty(f, "plot-ancestry", W, 90, "no trial finished yet");
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
            long row = pc ? evo_report_row_of_id(R, pc->values[i]) : -1;
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
            long row = pc ? evo_report_row_of_id(R, pc->values[queue[t]]) : -1;
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
    double alo = INFINITY, ahi = -INFINITY;  /* colour over the fitness range shown, which is narrow */
    for (size_t t = 0; t < tail; t++)
        if (isfinite(R->fit->values[queue[t]]) && row_ok(R, (size_t)queue[t])) {
            alo = fmin(alo, R->fit->values[queue[t]]);
            ahi = fmax(ahi, R->fit->values[queue[t]]);
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
                   "\xe2\x86\x92 %.4g</span></div>\n", alo, ahi);
    evo_svg_open(f, "plot-ancestry", "", W, H, "ancestry of the best trial");
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
            long row = pc ? evo_report_row_of_id(R, pc->values[i]) : -1;
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
    for (size_t t = 0; t < tail; t++) {
        size_t i = (size_t)queue[t];
        double xc = colx[(int)(R->gen->values[i] - gfirst)], yc = y[i];
        evo_svg_blues(color, sizeof color, ahi > alo ? 0.15 + 0.85 * (R->fit->values[i] - alo) / (ahi - alo) : 1);
        int is_best = (long)i == best;
        fprintf(f, "<circle class=\"pt node\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" stroke=\"%s\" "
                   "stroke-width=\"%s\">", xc, yc, is_best ? "12" : "9", row_ok(R, i) ? color : "#fde8e8",
                is_best ? ACCENT : row_ok(R, i) ? "#fff" : FAIL, is_best ? "3" : "1.5");
        evo_report_write_title(R, i, NULL, 1);
        evo_report_fmt_value(buf, sizeof buf, R->fit, i);
        fprintf(f, "</circle><text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                   "<tspan style=\"fill:#1f2933;font-weight:600\">#%.0f</tspan> ", xc, yc + (is_best ? 25 : 21),
                R->id->values[i]);
        evo_svg_esc(f, buf);
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

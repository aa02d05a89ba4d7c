/* The report's summary sections, tables and cards rather than plots: the header (the best, its test
 * score, trials done and in flight, running time; the run's file, state, strategy, data and best
 * network), the top-ten table, and the best network on the test split (its metrics, genes, whether it
 * was cross-validated, and its confusion matrix). */
#include <errno.h>
#include <stdint.h>
#include "evotune/progress.h"
#include "internal.h"

#define TOP_TABLE 10  /* rows of the top table */

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

void evo_report_section_header(struct report *R)
{
    FILE *f = R->f;
    const struct evo_results *r = R->r;
    const char *state = r->state;
    const char *cls = !strcmp(state, "finished") || !strcmp(state, "running") || !strcmp(state, "interrupted")
                          ? state : "unknown";
    char buf[64], v[160], sub[160];
    fprintf(f, "<header><h1>evotune report <small>");
    evo_svg_esc(f, base_name(r->path));
    fprintf(f, "</small> <span class=\"state state-%s\">", cls);
    evo_svg_esc(f, state);
    fprintf(f, "</span> <span class=\"strategy\">");
    evo_svg_esc(f, r->strategy);
    fprintf(f, "</span></h1>\n");

    /* cards: the best, its test score, and how far the search got */
    size_t failures = R->n - R->n_ok;
    fprintf(f, "<div class=\"cards\">\n<div class=\"card\"><div class=\"k\">best fitness</div><div class=\"v\">");
    if (R->best >= 0) {
        evo_report_fmt_value(buf, sizeof buf, R->fit, (size_t)R->best);
        evo_svg_esc(f, buf);
        fprintf(f, "</div><div class=\"s\">trial ");
        evo_report_write_name(R, (size_t)R->best);
        fprintf(f, "</div></div>\n");
    } else {
        fprintf(f, "\xe2\x80\x93</div><div class=\"s\">no trial finished yet</div></div>\n");
    }
    fprintf(f, "<div class=\"card\"><div class=\"k\">test %s</div><div class=\"v\">",
            r->regression ? "RMSE" : "accuracy");
    if (r->regression && r->has_best && isfinite(r->test.rmse))
        fprintf(f, "%.4g</div><div class=\"s\">R\xc2\xb2 %.4f, MAE %.4g</div></div>\n", r->test.rmse, r->test.r2,
                r->test.mae);
    else if (!r->regression && r->has_best && isfinite(r->test.accuracy))
        fprintf(f, "%.2f%%</div><div class=\"s\">test loss %.4g</div></div>\n", 100 * r->test.accuracy,
                r->test.loss);
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
    fmt_duration(v, sizeof v, r->elapsed_seconds);
    fmt_duration(buf, sizeof buf, r->time_limit_seconds);
    if (r->time_limit_seconds > 0)
        snprintf(sub, sizeof sub, "of the limit %s%s", buf, r->time_up ? "; time up" : "");
    else
        snprintf(sub, sizeof sub, "no time limit; over every resume");
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
    evo_svg_esc(f, r->path);
    fprintf(f, "</code></td></tr>\n<tr><td class=\"k\">state</td><td>");
    evo_svg_esc(f, state);
    fprintf(f, ", written at ");
    evo_svg_esc(f, r->written_at);
    if (!strcmp(state, "running"))
        fprintf(f, " \xe2\x80\x94 a snapshot; render the report again for newer results");
    else if (!strcmp(state, "interrupted")) {
        fprintf(f, " \xe2\x80\x94 continue with <code>evotune resume ");
        evo_svg_esc(f, r->path);
        fprintf(f, "</code>");
    }
    fprintf(f, "</td></tr>\n<tr><td class=\"k\">strategy</td><td>");
    evo_svg_esc(f, r->strategy);
    fprintf(f, ": ");
    evo_svg_esc(f, r->strategy_state);
    if (r->workers > 0)
        fprintf(f, "; %lld virtual workers", (long long)r->workers);
    if (r->time_up)
        fprintf(f, "; stopped by its time limit");
    fprintf(f, "</td></tr>\n<tr><td class=\"k\">evotune</td><td>");
    evo_svg_esc(f, r->evotune_version);
    fprintf(f, " (format %lld), seed %lld, %lld thread%s</td></tr>\n", (long long)r->format_version,
            (long long)r->seed, (long long)r->threads, r->threads == 1 ? "" : "s");
    fprintf(f, "<tr><td class=\"k\">data</td><td>%lld training, %lld validation, %lld test rows; "
               "%lld features; %lld classes", (long long)r->n_train, (long long)r->n_validation,
            (long long)r->n_test, (long long)r->n_features, (long long)r->n_classes);
    if (r->class_names && r->n_classes > 0 && r->n_classes <= 12) {
        fprintf(f, " (");
        for (int64_t c = 0; c < r->n_classes; c++) {
            fprintf(f, "%s", c ? ", " : "");
            evo_svg_esc(f, r->class_names[c]);
        }
        fprintf(f, ")");
    }
    fprintf(f, "</td></tr>\n");
    if (R->kind == KIND_GENERATIONAL && R->n && R->gen && R->gen_hi >= (double)r->generations_done &&
        r->generations_done >= 0 && strcmp(r->state, "finished")) {
        size_t in_progress = 0;
        for (size_t i = 0; i < R->n; i++)
            in_progress += R->gen->values[i] == R->gen_hi;
        fprintf(f, "<tr><td class=\"k\">%s</td><td>generation %.0f: %zu trained so far</td></tr>\n",
                strcmp(r->state, "running") ? "incomplete" : "in progress", R->gen_hi, in_progress);
    }
    if (r->n_in_flight > 0)
        fprintf(f, "<tr><td class=\"k\">in flight</td><td>%zu trial%s decided and not finished%s</td></tr>\n",
                r->n_in_flight, r->n_in_flight == 1 ? "" : "s",
                !strcmp(r->state, "running") ? "" : " (<code>evotune resume</code> trains them first)");
    if (r->n_best_layers > 0) {
        fprintf(f, "<tr><td class=\"k\">best network</td><td>layers ");
        for (size_t l = 0; l < r->n_best_layers; l++)
            fprintf(f, "%s%lld", l ? " \xe2\x86\x92 " : "", (long long)r->best_layer_sizes[l]);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></header>\n");
}

void evo_report_section_top(struct report *R)
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
        evo_svg_esc(f, R->genes[k].col->name);
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
            evo_report_fmt_value(buf, sizeof buf, R->genes[k].col, i);
            fprintf(f, "<td%s>", cat ? " class=\"t\"" : "");
            evo_svg_esc(f, buf);
            fprintf(f, "</td>");
        }
        evo_report_fmt_value(buf, sizeof buf, R->fit, i);
        fprintf(f, "<td><b>");
        evo_svg_esc(f, buf);
        fprintf(f, "</b>");
        if (!ok && R->status) {
            evo_report_fmt_value(buf, sizeof buf, R->status, i);
            fprintf(f, "<span class=\"tag\">");
            evo_svg_esc(f, buf);
            fprintf(f, "</span>");
        }
        evo_report_fmt_value(buf, sizeof buf, R->val_loss, i);
        fprintf(f, "</td><td>");
        evo_svg_esc(f, buf);
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
    evo_svg_open(f, "plot-confusion", "", W, H, "confusion matrix of the best network on the test split");
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
            evo_svg_esc(f, r->class_names ? r->class_names[t] : "?");
            fprintf(f, "</text>\n<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" "
                       "transform=\"rotate(-40 %.1f %.1f)\" style=\"fill:#3e4c59\">",
                    ml + cs * ((double)t + 0.5), mt - 6, ml + cs * ((double)t + 0.5), mt - 6);
            evo_svg_esc(f, r->class_names ? r->class_names[t] : "?");
            fprintf(f, "</text>\n");
        }
        for (int64_t p = 0; p < C; p++) {
            int64_t v = r->confusion[t * C + p];
            double frac = row ? (double)v / (double)row : 0;
            evo_svg_heat(color, sizeof color, frac);
            fprintf(f, "<rect class=\"pt cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                       "stroke=\"#fff\"><title>", ml + cs * (double)p, mt + cs * (double)t, cs, cs, color);
            fprintf(f, "true ");
            evo_svg_esc(f, r->class_names ? r->class_names[t] : "?");
            fprintf(f, ", predicted ");
            evo_svg_esc(f, r->class_names ? r->class_names[p] : "?");
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

void evo_report_section_test(struct report *R)
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
    int scored = r->has_best && isfinite(r->regression ? r->test.rmse : r->test.accuracy);
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
                   "<div class=\"v\">%.4f</div></div></div>\n", r->test.rmse, r->test.mae, r->test.r2);
    else if (scored)
        fprintf(f, "<div class=\"cards\" style=\"margin-top:0\"><div class=\"card\"><div class=\"k\">test accuracy"
                   "</div><div class=\"v\">%.2f%%</div></div><div class=\"card\"><div class=\"k\">test loss</div>"
                   "<div class=\"v\">%.4f</div></div></div>\n", 100 * r->test.accuracy, r->test.loss);
    if (R->best >= 0) {
        size_t b = (size_t)R->best;
        char buf[64];
        fprintf(f, "<h3>Trial ");
        evo_report_write_name(R, b);
        fprintf(f, "</h3><table class=\"meta\">\n");
        for (size_t k = 0; k < R->n_genes; k++) {
            evo_report_fmt_value(buf, sizeof buf, R->genes[k].col, b);
            fprintf(f, "<tr><td class=\"k\">");
            evo_svg_esc(f, R->genes[k].col->name);
            fprintf(f, "</td><td>");
            evo_svg_esc(f, buf);
            fprintf(f, "</td></tr>\n");
        }
        evo_report_fmt_value(buf, sizeof buf, R->fit, b);
        fprintf(f, "<tr><td class=\"k\">fitness</td><td>");
        evo_svg_esc(f, buf);
        fprintf(f, "</td></tr></table>\n");
    }
    fprintf(f, "</div><div>");
    if (r->confusion && r->n_classes > 0) {
        fprintf(f, "<h3 style=\"margin-top:0\">Confusion matrix</h3>\n");
        confusion_plot(R);
    } else if (!r->regression) { /* regression has none: its metrics are the cards above */
        evo_svg_empty(f, "plot-confusion", 420, 90,
                      scored ? "no confusion matrix in this file" : "not scored yet (run not finished)");
    }
    fprintf(f, "</div></div></section>\n");
}

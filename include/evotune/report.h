/* The HTML report of a results file: one self-contained page (inline CSS and SVG, no script, no
 * network) with the run's header (strategy and its state, trials done and in flight, running time),
 * fitness per generation (generational) or over trials and over running time (steady_state, random, tpe),
 * every gene against fitness, a parallel-coordinates view of the top trials, learning curves, the
 * best trial's ancestry, the top ten and the best network's test metrics. Works on running,
 * interrupted and finished files, and on files written before the strategies (read as generational). */
#ifndef EVOTUNE_REPORT_H
#define EVOTUNE_REPORT_H
#include <stdio.h>
#include "evotune/error.h"
#include "evotune/results.h"

/* Writes the report of r (as evo_results_open fills it) to f as one HTML document. Any part of r may
 * be missing or empty (no /best, no rows, no generations, no curves, no confusion matrix): the
 * section then says so. Every plot is an <svg> with a stable id whose data marks carry class "pt":
 *   plot-fitness     generational only: two per generation (best, mean), none beyond 200 generations
 *                    (and beyond 1000 the lines merge runs of generations into 1000 points);
 *   plot-trials      steady_state and random: one per trial (class "pt fail" when its status is not
 *                    ok) at its id; the running best in id order is a path of class "best-line"
 *                    and each rise of it a circle of class "rec";
 *   plot-time        steady_state and random: the same against finished_at (one per trial that has
 *                    it; the running best in finish order);
 *   plot-gene-<name> one per trial (one per gene column of /individuals);
 *   plot-parallel    one path per shown trial (the top 20 successful ones by fitness);
 *   plot-curves      one path per (metric, shown trial);
 *   plot-ancestry    one per trial in the shown ancestry of the best; when no trial has a parent
 *                    (random search, or a search still in its random start) there is no such svg but
 *                    a note of class "ancestry-none";
 *   plot-confusion   one rect per cell.
 * A plot of one mark per trial keeps that while the search rows are few (500 for the gene plots, 1000
 * for plot-fitness's trials, plot-trials, plot-time and plot-budget); beyond, the trials are a density
 * (paths of class "density", "density fail" for failed trials, one per shade, titled with the counts)
 * and only the 50 best (and the marked best) are marks, so that the page's size does not grow with the
 * trials. A trial's hover lists every gene in plot-fitness (its trial marks), plot-trials,
 * plot-parallel and plot-ancestry only; a gene plot's names that gene alone.
 * The strategy is r->strategy; a file without it is generational. The top-ten table's rows carry
 * class "top-row". All text from the file is HTML-escaped. Returns EVO_OK, or EVO_EIO ("cannot write
 * the report: ...") when writing to f fails. Reads r only; thread-safe for distinct f. */
int evo_report_write(const struct evo_results *r, FILE *f, struct evo_error *err);

/* Writes the report of r to the file at path through the file layer (file.h: published whole, so a
 * reader never sees half a page). Errors (EVO_EIO) name the path. */
int evo_report_save(const struct evo_results *r, const char *path, struct evo_error *err);

/* The default report path of a results file: its path with a trailing ".h5" replaced by ".html",
 * or ".html" appended when it has no such suffix. The caller frees the result. */
char *evo_report_default_path(const char *results_path);

#endif

/* The HTML report of a results file: one self-contained page (inline CSS and SVG, no script, no
 * network) with the run's header, fitness per generation, every gene against fitness, a parallel-
 * coordinates view of the top individuals, learning curves, the best individual's ancestry, the top
 * ten and the best network's test metrics. Works on running, interrupted and finished files. */
#ifndef EVOTUNE_REPORT_H
#define EVOTUNE_REPORT_H
#include <stdio.h>
#include "evotune/error.h"
#include "evotune/results.h"

/* Writes the report of r (as evo_results_open fills it) to f as one HTML document. Any part of r may
 * be missing or empty (no /best, no rows, no generations, no curves, no confusion matrix): the
 * section then says so. Every plot is an <svg> with a stable id — plot-fitness, plot-gene-<name>
 * (one per gene column of /individuals), plot-parallel, plot-curves, plot-ancestry, plot-confusion —
 * whose data marks carry class "pt":
 *   plot-fitness     two per generation (best, mean);
 *   plot-gene-<name> one per individual (class "pt fail" when its status is not ok);
 *   plot-parallel    one path per shown individual (the top 20 successful ones by fitness);
 *   plot-curves      one path per (metric, shown individual);
 *   plot-ancestry    one per individual in the shown ancestry of the best;
 *   plot-confusion   one rect per cell.
 * The top-ten table's rows carry class "top-row". All text from the file is HTML-escaped.
 * Returns EVO_OK, or EVO_EIO ("cannot write the report: ...") when writing to f fails. Reads r only;
 * thread-safe for distinct f. */
int evo_report_write(const struct evo_results *r, FILE *f, struct evo_error *err);

/* Writes the report of r to the file at path through the file layer (file.h: published whole, so a
 * reader never sees half a page). Errors (EVO_EIO) name the path. */
int evo_report_save(const struct evo_results *r, const char *path, struct evo_error *err);

/* The default report path of a results file: its path with a trailing ".h5" replaced by ".html",
 * or ".html" appended when it has no such suffix. The caller frees the result. */
char *evo_report_default_path(const char *results_path);

#endif

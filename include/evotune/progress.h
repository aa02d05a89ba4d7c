/* Progress reporting of a search on stderr: on a terminal, a live bar (trials finished out of the
 * budget, best so far, evaluations per second, ETA of the run) redrawn in place; permanent lines for
 * each new best and, under the generational strategy, each finished generation; elsewhere (a
 * redirected overnight log) the permanent lines only. Verbose adds one line per finished trial. Called
 * from the search hook (the coordinating thread). */
#ifndef EVOTUNE_PROGRESS_H
#define EVOTUNE_PROGRESS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "evotune/search.h"

struct evo_progress {
    FILE *out;
    int live;              /* draw the in-place bar (out is a terminal) */
    int verbose;           /* a line per finished trial */
    double t_start;        /* wall time when this process started searching */
    size_t rows_at_start;  /* trials already logged when it started (resume) */
    int bar_drawn;         /* a bar is on the current line */
    size_t gens_reported;  /* generation lines printed */
    int64_t best_reported; /* id of the last best reported, -1: none */
    size_t arrived_reported; /* log.arrived[0 .. arrived_reported) were reported (verbose mode) */
};

/* Prepares reporting to out for s (live when out is a terminal and TERM is not "dumb"); p owns nothing
 * to release. */
void evo_progress_init(struct evo_progress *p, FILE *out, int verbose, const struct evo_search *s);

/* Reports an event of evo_search_run (enum evo_search_event). */
void evo_progress_event(struct evo_progress *p, const struct evo_search *s, int event);

/* Erases a live bar so that another message can be printed on a clean line. */
void evo_progress_clear(struct evo_progress *p);

/* h:mm:ss, or m:ss under an hour. */
void evo_progress_duration(char *buf, size_t n, double seconds);

#endif

/* Progress reporting of a search on stderr: on a terminal, a live bar for the generation in flight
 * (members done, best so far, evaluations per second, ETA of the run) redrawn in place, and one
 * permanent line per finished generation; elsewhere (a redirected overnight log) the per-generation
 * lines only. Verbose adds one line per trained individual. Called from the GA hook (main thread). */
#ifndef EVOTUNE_PROGRESS_H
#define EVOTUNE_PROGRESS_H
#include <stddef.h>
#include <stdio.h>
#include "evotune/ga.h"

struct evo_progress {
    FILE *out;
    int live;              /* draw the in-place bar (out is a terminal) */
    int verbose;           /* a line per trained individual */
    double t_start;        /* wall time when this process started searching */
    size_t rows_at_start;  /* individuals already saved when it started (resume) */
    int bar_drawn;         /* a bar is on the current line */
    int32_t member_gen;    /* generation `reported` refers to */
    unsigned char *reported; /* [population] members already reported in verbose mode */
};

/* Prepares reporting to out for ga (live when out is a terminal and TERM is not "dumb"). */
void evo_progress_init(struct evo_progress *p, FILE *out, int verbose, const struct evo_ga *ga);
void evo_progress_release(struct evo_progress *p);

/* Reports an event of evo_ga_run (enum evo_ga_event). */
void evo_progress_event(struct evo_progress *p, const struct evo_ga *ga, int event);

/* Erases a live bar so that another message can be printed on a clean line. */
void evo_progress_clear(struct evo_progress *p);

/* Individuals trained so far, the members of the generation in progress included. */
size_t evo_progress_trained(const struct evo_ga *ga);

/* h:mm:ss, or m:ss under an hour. */
void evo_progress_duration(char *buf, size_t n, double seconds);

#endif

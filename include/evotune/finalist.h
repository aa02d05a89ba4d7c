/* Finalists: the defence against overfitting the validation split. A search that keeps the single
 * highest validation score out of hundreds rewards a lucky draw (initial weights, batch order,
 * dropout); so at the end of the search the top finalists.count distinct genomes by validation
 * fitness are trained again finalists.repeats times each, every run with random streams of its own
 * (keyed by its id and EVO_PURPOSE_FINALIST), to their full epochs gene. The winner is the genome of
 * the best mean fitness over those runs (its search run, the lucky draw, does not count), and the
 * network the run keeps as /best is the winner's run closest to that mean: the only network scored
 * on the test split.
 *
 * The finalists are chosen from every search row told, in the deterministic order of the virtual
 * clock (search.h), once all of them are told; finalist runs are trials like any other (parallel,
 * logged in /individuals with purpose "finalist" and parent_a the search row they repeat, resumed
 * after a kill). Nothing here is stored: a resume rebuilds the choice by replaying the tells, and
 * readers (info, report) summarise the finalist rows with evo_finalists_summarize. */
#ifndef EVOTUNE_FINALIST_H
#define EVOTUNE_FINALIST_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/config.h"
#include "evotune/trial.h"

/* The choice being made: the best distinct genomes told so far. */
struct evo_finalists {
    long count, repeats;          /* finalists.count, finalists.repeats */
    struct evo_individual *top;   /* [count] the best search row of each of the best distinct genomes
                                   * (genes that apply compared, evo_genome_applies), best first */
    size_t n_top;
};

/* Starts an empty choice for cfg (nothing allocated when finalists.count is 0). */
void evo_finalists_init(struct evo_finalists *f, const struct evo_config *cfg);

/* Offers a search row told to the strategy (its genome whole, as decided). Rows whose training failed
 * are not finalists. */
void evo_finalists_offer(struct evo_finalists *f, const struct evo_individual *t);

/* The finalist runs of the choice: n_top x repeats. */
size_t evo_finalists_runs(const struct evo_finalists *f);

/* Fills run j (0 .. evo_finalists_runs - 1) into t, whose id the caller has set: finalist j / repeats's
 * genome, parent_a its search row, purpose EVO_PURPOSE_FINALIST, origin t->id, its full epochs gene as
 * budget; results cleared. */
void evo_finalists_trial(const struct evo_finalists *f, size_t j, struct evo_individual *t);

/* Seconds the finalist runs are expected to take on `threads` threads once the `pending` search
 * trials in flight are done: (their count + pending) over the threads, rounded up, times the mean
 * training time of the finalists' search rows (train_seconds, scaled to the full epochs gene), plus
 * half as a margin. What run.time_limit keeps back for them. */
double evo_finalists_reserve(const struct evo_finalists *f, int threads, size_t pending);

/* Frees the choice and zeroes f. Safe on a zeroed f. */
void evo_finalists_release(struct evo_finalists *f);

/* A finalist's re-evaluation, summarised from the rows of a run. */
struct evo_finalist {
    int64_t id;            /* the search row it repeats */
    double fitness;        /* that row's validation fitness (the draw it was chosen on) */
    double mean;           /* mean fitness over its finalist runs (a failed run counts its failed
                            * fitness, evo_trial_failed_fitness) */
    double spread;         /* their standard deviation (n - 1 in the denominator; 0 for one run) */
    int32_t runs;          /* finalist runs logged */
    int64_t chosen;        /* its run that trained successfully with the fitness closest to the mean
                            * (then the lowest id); -1 when none did */
};

/* The finalists of rows[0..n) (a run's rows in id order): one per search row that finalist rows
 * repeat, the winner first — by mean fitness, then by the rank of the search row (evo_trial_better) —
 * into *out (allocated; free it). Returns their count (0 and *out NULL when there are none). */
size_t evo_finalists_summarize(const struct evo_individual *rows, size_t n, struct evo_finalist **out);

#endif

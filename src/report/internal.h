/* What the report's files share (private to src/report/): struct report, the results file as the
 * sections read it (data.c builds it), the trial marks and scatters every trial plot draws with
 * (marks.c), the sections (sections_*.c) and the stylesheet (style.c), in the order report.c calls
 * them. One struct report serves one page, written by one thread. */
#ifndef EVOTUNE_REPORT_INTERNAL_H
#define EVOTUNE_REPORT_INTERNAL_H
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "evotune/results.h"
#include "svg.h"

#define MAX_GENES 64
/* How many trials a plot draws one by one: beyond these counts of a run's search rows, the trials
 * are a density (cells shaded by how many fall in each) under the best TOP_DOTS drawn as dots, so
 * that a report of 100 000 trials is a few megabytes that a browser opens, not gigabytes. */
#define DOTS_GENE_MAX 500   /* each gene plot (about fifty of them, 370 x 260 pixels) */
#define DOTS_WIDE_MAX 1000  /* each wide plot: fitness per generation, over trials, over time, budget */
#define TOP_DOTS 50         /* trials still drawn as dots over a density: the best by the run's order */

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

/* ---- the data (data.c) --------------------------------------------------------------------------- */

/* Fills R from r (read, not copied: r must outlive R) for a page written to f: the search rows, the
 * genes and how to draw each, the rows best first, the best, the fitness and generation domains.
 * evo_report_release frees what it allocates. */
void evo_report_init(struct report *R, const struct evo_results *r, FILE *f);
void evo_report_release(struct report *R);

/* The fitness's name for notes (the root attribute fitness). */
static inline const char *r_fitness_name(const struct evo_results *r)
{
    return r->fitness;
}

static inline const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

static inline double value(const struct evo_column *c, size_t i)
{
    return c ? c->values[i] : NAN;
}

static inline int row_ok(const struct report *R, size_t i)
{
    if (!R->status)
        return isfinite(R->fit->values[i]);
    return R->status->values[i] == R->ok_value;
}

/* Whether row value v of gene g is a value: not the mark of a layer the network does not have
 * (0 for widths, NaN for rates; results/README.md), nor otherwise missing. */
static inline int present(const struct gene *g, double v)
{
    return isfinite(v) && !(g->per_layer && g->integer && v == 0);
}

/* A value as people read it: enum names, integers, floats to 4 significant digits. */
void evo_report_fmt_value(char *buf, size_t n, const struct evo_column *c, size_t i);

/* The search row of trial id, -1 when none. */
long evo_report_row_of_id(const struct report *R, double id);

/* A row and the key it is sorted by (ties by id). */
struct keyed {
    double key, id;
    size_t row;
};

/* Sorts k[m] by key, then id, and returns the rows in that order (heap, the caller frees it); frees k. */
size_t *evo_report_keyed_rows(struct keyed *k, size_t m);

/* The rows with a finite value in column c, in ascending order of it (ties by id); returns their
 * count and sets *rows (heap, the caller frees it). */
size_t evo_report_rows_by(const struct report *R, const struct evo_column *c, size_t **rows);

/* ---- a trial on a plot (marks.c) ----------------------------------------------------------------- */

/* The colour of a dot whose shade column (generation, or id for random search) holds v. */
void evo_report_shade_color(const struct report *R, char *buf, size_t n, double v);

/* What a dot's shade means, for legends: "generation", "lineage depth" or "trial id". */
const char *evo_report_shade_name(const struct report *R);

/* A fitness's height on the fitness axis a: a failed trial's non-finite fitness (-inf, NaN) goes just
 * below the axis's lowest value, where it cannot be taken for a score. */
static inline double fit_y(const struct axis *a, double v)
{
    return isfinite(v) ? ax_pos(a, v) : a->p0 + 5;
}

/* The fitness axis, shared by every plot that has one, from pixel p0 (its lowest value) to p1. */
void evo_report_fitness_axis(const struct report *R, struct axis *a, double p0, double p1);

/* "#12, generation 1" ("#12, depth 3" for steady_state, "#12" for random), for titles and headings. */
void evo_report_write_name(const struct report *R, size_t i);

/* "#12, generation 1: fitness 0.9", then "learning_rate = 0.003" for the column extra (when not NULL)
 * and every gene when all_genes: a hover title. Every gene is written for a trial in one plot only
 * (the fitness over trials or per generation, the parallel coordinates, the ancestry); the gene
 * plots name their own gene, so that the page does not repeat the genes fifty times a trial. */
void evo_report_write_title(const struct report *R, size_t i, const struct evo_column *extra, int all_genes);

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

/* Starts a scatter of marks of kind (enum mark_kind) over area A; a density when dense. */
void evo_report_scatter_open(struct scatter *s, struct report *R, int kind, int dense, const struct area *A);

/* Trial i at (x, y): drawn now, or counted (and kept when it is one of the best). */
void evo_report_scatter_add(struct scatter *s, size_t i, double x, double y);

/* Draws the density now, under what the plot draws next (and frees it); nothing when not dense. */
void evo_report_scatter_density(struct scatter *s);

/* Draws the density unless drawn, then the marks kept, the best last (on top). */
void evo_report_scatter_close(struct scatter *s);

/* The sentences a section's note adds when its plots are densities; what says which ("the plots are
 * densities"). */
void evo_report_dense_note(const struct report *R, const char *what);

/* ---- the page ------------------------------------------------------------------------------------ */

/* The stylesheet (style.c), written whole into the page's <style>. */
extern const char evo_report_css[];

/* The sections, each a <section> (the header a <header>) in the order of the page: */
void evo_report_section_header(struct report *R);     /* sections_summary.c: cards and run details */
void evo_report_section_fitness(struct report *R);    /* sections_fitness.c: what the strategy calls for */
void evo_report_section_finalists(struct report *R);  /* sections_fitness.c: nothing without finalists */
void evo_report_section_genes(struct report *R);      /* sections_genes.c */
void evo_report_section_parallel(struct report *R);   /* sections_genes.c */
void evo_report_section_curves(struct report *R);     /* sections_best.c */
void evo_report_section_ancestry(struct report *R);   /* sections_best.c */
void evo_report_section_top(struct report *R);        /* sections_summary.c */
void evo_report_section_test(struct report *R);       /* sections_summary.c */

#endif

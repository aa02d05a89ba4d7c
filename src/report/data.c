/* The report's view of a results file (struct report): which rows are the search's, which columns
 * are genes and how each is drawn (log or linear, fixed, few-valued, per layer), the rows best first,
 * the best trial, the fitness and generation domains every plot shares, and whether the plots are
 * densities. Reads the file's tables and stored configuration; writes no HTML. */
#include <stdlib.h>
#include "evotune/config.h"
#include "evotune/genome.h"
#include "evotune/mem.h"
#include "internal.h"


void evo_report_fmt_value(char *buf, size_t n, const struct evo_column *c, size_t i)
{
    double v = value(c, i);
    if (c && c->kind == EVO_COLUMN_ENUM && v >= 0 && v < c->n_enum)
        snprintf(buf, n, "%s", c->enum_names[(int)v]);
    else if (!isfinite(v))
        snprintf(buf, n, "%s", isnan(v) ? "\xe2\x80\x93" : v > 0 ? "inf" : "-inf");
    else if (c->kind == EVO_COLUMN_FLOAT)
        snprintf(buf, n, "%.4g", v);
    else
        snprintf(buf, n, "%.0f", v);
}

struct rank {
    int ok;
    double fit, id;
    size_t row;
};

/* successful before failed, higher fitness, lower id: the writer's order of /best */
static int rank_cmp(const void *pa, const void *pb)
{
    const struct rank *a = pa, *b = pb;
    if (a->ok != b->ok)
        return b->ok - a->ok;
    double fa = isnan(a->fit) ? -INFINITY : a->fit, fb = isnan(b->fit) ? -INFINITY : b->fit;
    if (fa != fb)
        return fa > fb ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

long evo_report_row_of_id(const struct report *R, double id)
{
    if (!R->id || id < 0)
        return -1;
    size_t lo = 0, hi = R->n;  /* rows are in id order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (R->id->values[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < R->n && R->id->values[lo] == id)
        return (long)lo;
    for (size_t i = 0; i < R->n; i++)  /* not sorted after all */
        if (R->id->values[i] == id)
            return (long)i;
    return -1;
}

/* A column of /individuals is a gene when the gene table names it (genome.h); the others are the
 * trial's bookkeeping and results. */
static int is_gene(const char *name)
{
    return evo_genome_find(name) >= 0;
}

/* Whether the search space asks for a log scale for a gene: a log range, or a choice of positive
 * numbers spanning a factor of 4 or more (batch sizes). *fixed is set for a fixed gene. Returns -1
 * without a space (the stored configuration did not load) or for a column that is no gene, so that
 * the caller falls back on the values. */
static int space_log(const struct evo_space *space, const char *name, int *fixed)
{
    *fixed = 0;
    int id = evo_genome_find(name);
    if (!space || id < 0)
        return -1;
    const struct evo_gene_spec *s = &space->spec[id];
    if (s->kind == EVO_SPEC_FIXED) {
        *fixed = 1;
        return 0;
    }
    if (s->kind == EVO_SPEC_RANGE)
        return s->log;
    if (s->n_choices < 2 || evo_genome_gene(id)->type == EVO_GENE_ENUM)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < s->n_choices; k++) {
        lo = fmin(lo, s->choices[k]);
        hi = fmax(hi, s->choices[k]);
    }
    return lo > 0 && hi / lo >= 4;
}

void evo_report_init(struct report *R, const struct evo_results *r, FILE *f)
{
    memset(R, 0, sizeof *R);
    R->f = f;
    R->r = r;
    const struct evo_table *t = &r->individuals;
    R->fit = evo_results_column(t, "fitness");
    R->n = R->fit ? t->n_rows : 0;
    const struct evo_column *purpose = evo_results_column(t, "purpose");
    while (purpose && R->n && purpose->values[R->n - 1] == 1)
        R->n--;
    R->gen = evo_results_column(t, "generation");
    R->id = evo_results_column(t, "id");
    R->pa = evo_results_column(t, "parent_a");
    R->pb = evo_results_column(t, "parent_b");
    R->val_loss = evo_results_column(t, "val_loss");
    R->secs = evo_results_column(t, "train_seconds");
    R->fin = evo_results_column(t, "finished_at");
    R->status = evo_results_column(t, "status");
    R->kind = !strcmp(r->strategy, "generational") ? KIND_GENERATIONAL
              : !strcmp(r->strategy, "random") || !strcmp(r->strategy, "tpe") ? KIND_RANDOM
                                                                                : KIND_STEADY;
    R->tpe = !strcmp(r->strategy, "tpe");
    R->depth = R->kind == KIND_GENERATIONAL ? "generation"
               : R->kind == KIND_RANDOM     ? NULL
               : !strcmp(r->strategy, "steady_state") ? "depth" : "generation";
    R->ok_value = NAN;
    if (R->status && R->status->kind == EVO_COLUMN_ENUM)
        for (int k = 0; k < R->status->n_enum; k++)
            if (!strcmp(R->status->enum_names[k], "ok"))
                R->ok_value = k;
    if (R->status && isnan(R->ok_value))
        R->ok_value = 0;

    struct evo_config cfg;
    struct evo_error err;
    const struct evo_space *space =
        r->config && evo_config_load_string(&cfg, r->config, "stored configuration", NULL, 0, &err) == EVO_OK
            ? &cfg.space : NULL;
    if (space) {
        R->max_trials = (long)cfg.max_trials;
        R->generations = cfg.generations;
        R->population = cfg.population;
        R->tpe_startup = cfg.tpe_startup;
        R->tpe_candidates = cfg.tpe_candidates;
        R->tpe_window = cfg.tpe_window;
        R->tpe_gamma = cfg.tpe_gamma;
    }
    for (size_t c = 0; c < t->n_cols && R->n_genes < MAX_GENES; c++) {
        const struct evo_column *col = &t->cols[c];
        if (!is_gene(col->name))
            continue;
        struct gene *g = &R->genes[R->n_genes++];
        memset(g, 0, sizeof *g); /* the slot of a gene dropped below may be reused */
        g->col = col;
        g->integer = col->kind == EVO_COLUMN_INT;
        g->per_layer = evo_genome_gene_layer(evo_genome_find(col->name)) >= 0;
        g->lo = INFINITY;
        g->hi = -INFINITY;
        double distinct[13];
        int n_distinct = 0;
        for (size_t i = 0; i < R->n; i++) {
            double v = col->values[i];
            if (!present(g, v))
                continue;
            g->lo = fmin(g->lo, v);
            g->hi = fmax(g->hi, v);
            int seen = 0;
            for (int k = 0; k < n_distinct && !seen; k++)
                seen = distinct[k] == v;
            if (!seen && n_distinct < 13)
                distinct[n_distinct++] = v;
        }
        if (g->per_layer && !(g->lo <= g->hi)) { /* no network had this layer: nothing to show */
            R->n_genes--;
            continue;
        }
        g->few = g->integer && n_distinct <= 12;
        if (g->few && n_distinct >= 2 && n_distinct <= 8) {
            for (int a = 0; a < n_distinct; a++)  /* insertion sort */
                for (int b = a; b > 0 && distinct[b - 1] > distinct[b]; b--) {
                    double tmp = distinct[b];
                    distinct[b] = distinct[b - 1];
                    distinct[b - 1] = tmp;
                }
            memcpy(g->ticks, distinct, (size_t)n_distinct * sizeof *distinct);
            g->n_ticks = (size_t)n_distinct;
        }
        int log = space_log(space, col->name, &g->fixed);
        if (log < 0)  /* no config entry: a positive range over two decades or more */
            log = col->kind != EVO_COLUMN_ENUM && g->lo > 0 && g->hi / g->lo >= 100;
        g->log = log && g->lo > 0 && col->kind != EVO_COLUMN_ENUM;
        if (R->n && g->lo == g->hi)
            g->fixed = 1;
    }
    if (space)
        evo_config_release(&cfg);

    /* order, best, and the domains shared by every fitness axis */
    struct rank *rk = evo_mem_alloc(evo_mem_mul(R->n ? R->n : 1, sizeof *rk));
    R->fit_lo = INFINITY;
    R->fit_hi = -INFINITY;
    R->gen_lo = INFINITY;
    R->gen_hi = -INFINITY;
    for (size_t i = 0; i < R->n; i++) {
        rk[i] = (struct rank){row_ok(R, i), R->fit->values[i], R->id ? R->id->values[i] : (double)i, i};
        R->n_ok += rk[i].ok;
        if (isfinite(R->fit->values[i])) {
            R->fit_lo = fmin(R->fit_lo, R->fit->values[i]);
            R->fit_hi = fmax(R->fit_hi, R->fit->values[i]);
        }
        if (R->gen && isfinite(R->gen->values[i])) {
            R->gen_lo = fmin(R->gen_lo, R->gen->values[i]);
            R->gen_hi = fmax(R->gen_hi, R->gen->values[i]);
        }
    }
    qsort(rk, R->n, sizeof *rk, rank_cmp);
    R->order = evo_mem_alloc(evo_mem_mul(R->n ? R->n : 1, sizeof *R->order));
    for (size_t i = 0; i < R->n; i++)
        R->order[i] = rk[i].row;
    free(rk);
    R->best = -1;
    for (size_t i = 0; r->has_best && R->fit && R->id && i < t->n_rows && R->best < 0; i++)
        if (R->id->values[i] == (double)r->best_id)
            R->best = (long)i;
    if (R->best < 0 && R->n)
        R->best = (long)R->order[0];
    R->mark = R->best >= (long)R->n && R->pa ? evo_report_row_of_id(R, R->pa->values[R->best]) : R->best;
    R->dense_genes = R->n > DOTS_GENE_MAX;
    R->dense_wide = R->n > DOTS_WIDE_MAX;
    R->top = evo_mem_calloc(R->n ? R->n : 1, 1);
    for (size_t s = 0; s < R->n && s < TOP_DOTS; s++)
        R->top[R->order[s]] = (unsigned char)(s + 1);
    if (R->mark >= 0 && R->mark < (long)R->n && !R->top[R->mark])
        R->top[R->mark] = TOP_DOTS + 1;

    const struct evo_table *gt = &r->generations;
    const char *gcols[] = {"best_fitness", "mean_fitness"};
    for (size_t k = 0; k < 2; k++) {
        const struct evo_column *c = evo_results_column(gt, gcols[k]);
        for (size_t i = 0; c && i < gt->n_rows; i++)
            if (isfinite(c->values[i])) {
                R->fit_lo = fmin(R->fit_lo, c->values[i]);
                R->fit_hi = fmax(R->fit_hi, c->values[i]);
            }
    }
    const struct evo_column *gg = evo_results_column(gt, "generation");
    for (size_t i = 0; gg && i < gt->n_rows; i++) {
        R->gen_lo = fmin(R->gen_lo, gg->values[i]);
        R->gen_hi = fmax(R->gen_hi, gg->values[i]);
    }
    if (!(R->fit_lo <= R->fit_hi)) {
        R->fit_lo = 0;
        R->fit_hi = 1;
    }
    if (!(R->gen_lo <= R->gen_hi)) {
        R->gen_lo = 0;
        R->gen_hi = 0;
    }
    /* random search has one generation: its dots are shaded by id (early to late) instead */
    R->shade = R->kind == KIND_RANDOM ? R->id : R->gen;
    R->shade_lo = R->gen_lo;
    R->shade_hi = R->gen_hi;
    if (R->kind == KIND_RANDOM) {
        R->shade_lo = INFINITY;
        R->shade_hi = -INFINITY;
        for (size_t i = 0; R->shade && i < R->n; i++) {
            R->shade_lo = fmin(R->shade_lo, R->shade->values[i]);
            R->shade_hi = fmax(R->shade_hi, R->shade->values[i]);
        }
        if (!(R->shade_lo <= R->shade_hi))
            R->shade_lo = R->shade_hi = 0;
    }
}

void evo_report_release(struct report *R)
{
    free(R->order);
    free(R->top);
}

static int keyed_cmp(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

size_t *evo_report_keyed_rows(struct keyed *k, size_t m)
{
    qsort(k, m, sizeof *k, keyed_cmp);
    size_t *rows = evo_mem_alloc(evo_mem_mul(m ? m : 1, sizeof *rows));
    for (size_t j = 0; j < m; j++)
        rows[j] = k[j].row;
    free(k);
    return rows;
}

size_t evo_report_rows_by(const struct report *R, const struct evo_column *c, size_t **rows)
{
    struct keyed *k = evo_mem_alloc(evo_mem_mul(R->n ? R->n : 1, sizeof *k));
    size_t m = 0;
    for (size_t i = 0; c && i < R->n; i++)
        if (isfinite(c->values[i]))
            k[m++] = (struct keyed){c->values[i], value(R->id, i), i};
    *rows = evo_report_keyed_rows(k, m);
    return m;
}
